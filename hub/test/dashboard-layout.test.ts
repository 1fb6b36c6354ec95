// The operators' dashboard at a phone's width (390x844) and a desktop's (1280x800) in Debian's Chromium, against
// a real hub: reasons in words, province names from the configured list, values on the chart's axis, counters and
// tables that agree at every moment while scans arrive, and no sideways scroll on the phone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { REASON_WORDS, ScanIdGenerator, topics } from '../../protocol/src/index.js';
import { dashboardLogin, launchChromium, overflows } from '../../kiosk/test/browser.js';
import { addDevice, killAll, makeWorld, startHub, stop, type Hub, type World, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const worlds: World[] = [];
const hubs: Hub[] = [];
let browser: Browser;

interface Site { hub: Hub; base: string; operatorPw: string; kiosks: Record<string, string> }

/** A hub with kiosks in three provinces (by 2021 codes: 79 Hồ Chí Minh, 74 Bình Dương, 24 Bắc Giang) and an operator. */
async function site(name: string, extra: Record<string, unknown> = {}): Promise<Site> {
  const w = makeWorld(name);
  worlds.push(w);
  const kiosks: Record<string, string> = {};
  for (const [id, area] of [['hcm-q1-001', '79/26734'], ['bd-tdm-001', '74/25747'], ['bg-001', '24/07210']]) kiosks[id] = addDevice(w, id, area);
  const hub = await startHub(w, undefined, extra);
  hubs.push(hub);
  const base = webBase(hub.proc.log());
  const operatorPw = addAccount(hub.config, 'ops', 'operator');
  await accountsKnown(hub, 1);
  return { hub, base, operatorPw, kiosks };
}

type Scan = { verdict: 'green' | 'red'; reason: string; override?: boolean };
const ids = new ScanIdGenerator();

async function send(s: Site, kiosk: string, scans: Scan[], status?: Record<string, unknown>): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${s.hub.port}`, { clientId: kiosk, username: kiosk, password: s.kiosks[kiosk], reconnectPeriod: 0 });
  if (status) await c.publishAsync(topics.status(kiosk), JSON.stringify({ v: 1, kiosk, online: true, at: Date.now(), ...status }), { qos: 1 });
  if (scans.length) {
    const batch = scans.map((x) => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, format: 'pass', source: 'serial', ms: 2.5, category: 'resident', ...x, ...(x.override ? { source: 'button', format: 'unknown', ms: 0 } : {}) }));
    await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans: batch }), { qos: 1 });
  }
  await c.endAsync();
}
const many = (n: number, x: Scan): Scan[] => Array.from({ length: n }, () => ({ ...x }));

const login = (s: Site, size: keyof typeof SIZES): Promise<Page> => dashboardLogin(browser, s.base, 'ops', s.operatorPw, SIZES[size]);

/** The numbers on screen, read in one go: the live counters, the totals row, the sums of the rows and of the chart. */
function numbers(page: Page) {
  return page.evaluate(() => {
    const n = (s: string | null | undefined) => Number((s ?? '').replace(/[^\d]/g, '') || 0);
    const col = (sel: string, i: number) => [...document.querySelectorAll(sel)].reduce((a, tr) => a + n(tr.children[i]?.textContent), 0);
    const foot = document.querySelector('#checkpoints tfoot tr');
    return {
      live: [n(document.querySelector('#live-scans')?.textContent), n(document.querySelector('#live-green')?.textContent), n(document.querySelector('#live-red')?.textContent)],
      total: [n(foot?.children[2]?.textContent), n(foot?.children[3]?.textContent), n(foot?.children[4]?.textContent)],
      rows: [col('#checkpoints tbody tr', 2), col('#checkpoints tbody tr', 3), col('#checkpoints tbody tr', 4)],
      provinces: [col('#provinces tbody tr', 1), col('#provinces tbody tr', 2), col('#provinces tbody tr', 3)],
      chart: [...document.querySelectorAll('#chart rect.bar title')].reduce((a, t) => a + n(t.textContent?.split('·')[1]), 0),
    };
  });
}

/** Everything of the page that could reach past the viewport's right edge. */
const WHOLE_PAGE = 'header, h1, h2, .card, .counters > div, #range, #chart, table, tr, td, th';

async function codesShown(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  return Object.keys(REASON_WORDS).filter((code) => new RegExp(`(^|[^A-Za-z-])${code}([^A-Za-z-]|$)`).test(text));
}

let main: Site;

test.before(async () => {
  try {
    browser = await launchChromium();
    main = await site('dashboard-layout');
    mkdirSync(ARTIFACTS, { recursive: true });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

test('counters and tables agree at every moment while scans arrive in bursts', async () => {
  const page = await login(main, 'desktop');
  const samples: Array<Awaited<ReturnType<typeof numbers>>> = [];
  let sampling = true;
  const sampler = (async () => { while (sampling) { samples.push(await numbers(page)); await new Promise((r) => setTimeout(r, 20)); } })();
  let total = 0;
  for (let i = 0; i < 6; i++) {
    await send(main, ['hcm-q1-001', 'bd-tdm-001', 'bg-001'][i % 3], [...many(5, { verdict: 'green', reason: 'ok' }), { verdict: 'red', reason: 'expired' }]);
    total += 6;
  }
  await page.waitForFunction((n) => document.querySelector('#live-scans')?.textContent === String(n), total, { timeout: 5000 });
  sampling = false;
  await sampler;
  const end = await numbers(page);
  assert.equal(end.live, [36, 30, 6]);
  for (const s of [...samples, end]) {
    assert.equal(s.total, s.live, `totals row against the counters: ${JSON.stringify(s)}`);
    assert.equal(s.rows, s.live, `checkpoint rows against the counters: ${JSON.stringify(s)}`);
    assert.equal(s.provinces, s.live, `province rows against the counters: ${JSON.stringify(s)}`);
    assert.is(s.chart, s.live[0], `chart against the counters: ${JSON.stringify(s)}`);
  }
  assert.ok(samples.length > 5, `${samples.length} samples`);
  await page.close();
});

test('reasons in words, provinces by name from the 2021 list, values on the chart axis, lists in words: desktop and phone', async () => {
  await send(main, 'hcm-q1-001', [...many(3, { verdict: 'red', reason: 'outside-hours' }), { verdict: 'red', reason: 'unknown-key' }, { verdict: 'red', reason: 'wrong-area' }, { verdict: 'green', reason: 'override', override: true }],
    { version: '0.1.0', trustVersion: 3, statusVersion: 7, listsStale: true, backlog: 2, clock: { synced: true, source: 'ntp', offsetMs: 4 }, scanner: 'serial ok' });
  for (const size of ['desktop', 'phone'] as const) {
    const page = await login(main, size);
    // the officer's override is counted apart from the scans
    await page.waitForFunction(() => document.querySelector('#live-scans')?.textContent === '41', undefined, { timeout: 5000 });
    assert.is(await page.textContent('#checkpoints tr[data-checkpoint="hcm-q1-001"] td:nth-child(7)'), '1');
    await page.waitForSelector('#fleet tr[data-kiosk="hcm-q1-001"]');
    // reasons: the words of protocol's table, most frequent first; never the codes
    const reasons = await page.$$eval('#checkpoints tr[data-checkpoint="hcm-q1-001"] li', (lis) => lis.map((li) => li.textContent));
    assert.equal(reasons, ['Ngoài khung giờ 3', 'Hết hạn 2', 'Nơi cấp không được công nhận 1', 'Sai địa bàn 1']);
    assert.equal(await codesShown(page), [], 'codes on the page');
    // provinces by name, the code beside it
    const provinces = await page.$$eval('#provinces tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent));
    assert.equal(provinces, ['Bắc Giang (24)', 'Bình Dương (74)', 'TP. Hồ Chí Minh (79)']);
    assert.is(await page.textContent('#province-list'), '(danh mục 2021)');
    assert.is(await page.textContent('#checkpoints tr[data-checkpoint="bd-tdm-001"] td:nth-child(2)'), '74/25747 Bình Dương');
    // the chart's value axis: 0 and ticks up to at least the busiest hour
    const axis = await page.$$eval('#chart text.tick.y', (ts) => ts.map((t) => Number(t.textContent!.replace(/,/g, ''))));
    const bars = await page.$$eval('#chart rect.bar title', (ts) => ts.map((t) => Number(t.textContent!.split('·')[1].replace(/[^\d]/g, ''))));
    assert.is(bars.length, 24);
    assert.is(axis[0], 0);
    assert.ok(axis.length >= 3 && axis[axis.length - 1] >= Math.max(...bars), `axis ${axis} for bars up to ${Math.max(...bars)}`);
    assert.is(await page.$$eval('#chart text.tick.x', (ts) => ts[0].textContent), '00');
    // the fleet's lists and scanner in words
    const fleet = await page.$$eval('#fleet tr[data-kiosk="hcm-q1-001"] td', (tds) => tds.map((td) => td.textContent));
    assert.is(fleet[4], 'tin cậy v3, trạng thái v7 · CŨ');
    assert.is(fleet[7], 'serial: hoạt động');
    assert.equal(await overflows(page, WHOLE_PAGE), [], `${size}: nothing reaches past the right edge`);
    // a nation's day in the pass rate: never broken inside a number or before "%)" (on a desktop, one line)
    const lines = await page.evaluate(() => {
      const e = document.querySelector('#live-rate')!;
      const was = e.textContent;
      e.textContent = '5,263,863 / 5,310,217 (99.1 %)';
      const r = document.createRange(); r.selectNodeContents(e);
      const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
      const words = [...r.getClientRects()].length;
      e.textContent = was;
      return { lines: tops.size, words };
    });
    if (size === 'desktop') assert.is(lines.lines, 1, 'the nation\'s pass rate on one line');
    else assert.ok(lines.lines <= 2, `the nation's pass rate in ${lines.lines} lines on a phone`);
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${size}.png`), fullPage: true });
    // English: the same words in English, names in Latin letters
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Checkpoints: throughput');
    const en = await page.$$eval('#checkpoints tr[data-checkpoint="hcm-q1-001"] li', (lis) => lis.map((li) => li.textContent));
    assert.equal(en, ['Outside its hours 3', 'Expired 2', 'Issuer not recognised 1', 'Wrong area 1']);
    assert.equal(await page.$$eval('#provinces tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent)), ['Bac Giang (24)', 'Binh Duong (74)', 'Ho Chi Minh City (79)']);
    assert.is(await page.textContent('#fleet tr[data-kiosk="hcm-q1-001"] td:nth-child(5)'), 'trust v3, status v7 · OUT OF DATE');
    assert.equal(await codesShown(page), [], 'codes on the English page');
    assert.equal(await overflows(page, WHOLE_PAGE), [], `${size} in English`);
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${size}-en.png`), fullPage: true });
    await page.close();
  }
});

test('a hub on the 2025 list names 24 Bắc Ninh and says 74 is not in it, rather than guessing', async () => {
  const s = await site('dashboard-2025', { provinces: '2025' });
  await send(s, 'bd-tdm-001', [{ verdict: 'green', reason: 'ok' }]);
  await send(s, 'bg-001', [{ verdict: 'green', reason: 'ok' }]);
  const page = await login(s, 'phone');
  await page.waitForFunction(() => document.querySelector('#live-scans')?.textContent === '2', undefined, { timeout: 5000 });
  assert.equal(await page.$$eval('#provinces tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent)), ['Bắc Ninh (24)', '74 (không có trong danh mục 2025)']);
  assert.is(await page.textContent('#province-list'), '(danh mục 2025)');
  assert.equal(await overflows(page, WHOLE_PAGE), []);
  await page.close();
});

test('the hub config takes only a known province list', async () => {
  const w = makeWorld('dashboard-config');
  worlds.push(w);
  const { checkHubConfig } = await import('../src/config.js');
  assert.is(checkHubConfig({ dataDir: w.dir }).provinces, '2021');
  assert.throws(() => checkHubConfig({ dataDir: w.dir, provinces: '2019' }), /provinces/);
});

test.after(async () => {
  await browser?.close();
  for (const h of hubs) await stop(h.proc);
  killAll();
  for (const w of worlds) rmSync(w.dir, { recursive: true, force: true });
});
test.run();

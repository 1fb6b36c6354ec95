// The officer screen at the booth's display sizes (800x480, 1024x600, 1280x720) in Debian's Chromium: nothing
// cut or scrolled, words and never codes for every reason, the pass's hours, areas and validity, and times in the
// checkpoint's time zone while the browser runs in another. A kiosk in this process, built as the booth builds it, with no hub (simulated
// scanner and GPIO), the screen served by the kiosk's own web server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REASON_WORDS, issuePass, signProgrammeWard, type Pass, type Programme } from '../../protocol/src/index.js';
import { checkConfig } from '../src/config.js';
import type { Kiosk } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { OfficerScreen } from '../src/screen/server.js';
import { SimUplink } from '../src/uplink/sim.js';
import { SimPayoutHub } from '../src/payout/sim-hub.js';
import { makeWorld, waitFor } from './rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const SIZES = [[800, 480], [1024, 600], [1280, 720]] as const;
const ZONE = 'Asia/Ho_Chi_Minh';
const BROWSER_ZONE = 'America/Los_Angeles'; // 14 or 15 hours from the checkpoint: a browser-zone time never matches
const w = makeWorld('screen-layout');
const quiet = () => {};
let hub: SimUplink, kiosk: Kiosk, screen: OfficerScreen, browser: Browser, context: BrowserContext, page: Page;
let gpio: SimGpio, scanner: SimSource;

test.before(async () => {
  try {
    gpio = new SimGpio();
    scanner = new SimSource();
    writeFileSync(join(w.dir, 'synced'), '');
    const config = checkConfig({
      kiosk: { id: 'booth-layout', area: '79/26734', timeZone: ZONE, debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, 'kiosk'),
      hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 },
      scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 },
      clock: { syncedFile: join(w.dir, 'synced') },
    });
    // the hub in memory (uplink/sim.ts): these tests are about the screen, not the link
    kiosk = await buildKiosk(config, { gpio, sources: [scanner], uplink: (journal) => (hub = new SimUplink(journal)) }, quiet);
    for (const [kind, file] of [['trust', 'trust-officers.cose'], ['statusList', 'status.cose']] as const) hub.publish(kind, new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', file))));
    await waitFor('both lists from the hub', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1 && kiosk.uplink?.state === 'online');
    screen = new OfficerScreen(kiosk);
    const port = await screen.listen('127.0.0.1', 0);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
    context = await browser.newContext({ viewport: { width: 800, height: 480 }, timezoneId: BROWSER_ZONE });
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => /online/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

/** HH:MM of an instant in a time zone, as the screen writes it. */
function hhmm(ms: number, timeZone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}`;
}
function dateTime(sec: number, timeZone: string): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' }).formatToParts(new Date(sec * 1000)).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
}

/** Feeds a code to the kiosk and waits until the screen shows its verdict. */
async function scan(text: string): Promise<string> {
  const before = kiosk.history[0];
  scanner.feed(text);
  const v = await waitFor('the verdict', () => (kiosk.history[0] !== before ? kiosk.history[0] : undefined), 3000, 5);
  await page.waitForFunction((id) => (document.querySelector('#verdict') as HTMLElement).dataset.scan === id, v.record.id, { timeout: 3000 });
  return v.record.id;
}

/** Layout settles: the page fits its panels on the next animation frame. */
const settled = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Everything that does not fit: the page scrolling, a key element outside the viewport or its panel, a text cut. */
function overflows(): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const vw = innerWidth, vh = innerHeight;
    const se = document.scrollingElement!;
    if (se.scrollHeight > vh || se.scrollWidth > vw) out.push(`the page is ${se.scrollWidth}x${se.scrollHeight} in a ${vw}x${vh} viewport`);
    const visible = (e: Element) => (e as HTMLElement).offsetParent !== null || e.tagName === 'BODY';
    const keys = [...document.querySelectorAll('#verdict, #word, #vi, #en, #warnings, #detail, #detail dt, #detail dd, #recent, #recent h2, #scans li, footer, footer .k, footer .v')].filter(visible);
    for (const e of keys) {
      const r = e.getBoundingClientRect();
      const name = e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.className ? `.${e.className}` : ''} "${(e.textContent ?? '').slice(0, 40)}"`;
      if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) out.push(`${name} at ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} is outside the viewport`);
      const h = e as HTMLElement;
      if (h.scrollWidth > h.clientWidth + 1 || h.scrollHeight > h.clientHeight + 1) out.push(`${name} is cut: content ${h.scrollWidth}x${h.scrollHeight} in ${h.clientWidth}x${h.clientHeight}`);
      // inside its panel, which hides what overflows it
      const panel = e.closest('section, footer');
      if (panel && panel !== e) {
        const p = panel.getBoundingClientRect();
        if (r.top < p.top - 0.5 || r.bottom > p.bottom + 0.5 || r.left < p.left - 0.5 || r.right > p.right + 0.5) out.push(`${name} sticks out of #${panel.id || panel.tagName}`);
      }
    }
    return out;
  });
}

/** Codes that must never reach the officer: every reason's code, as a word of its own. */
async function codesShown(): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  return Object.keys(REASON_WORDS).filter((code) => new RegExp(`(^|[^A-Za-z-])${code}([^A-Za-z-]|$)`).test(text));
}

async function checkAt(label: string): Promise<void> {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await settled();
    const bad = await overflows();
    await page.screenshot({ path: join(ARTIFACTS, `officer-${label}-${width}x${height}.png`) });
    assert.equal(bad, [], `${label} at ${width}x${height}`);
    assert.equal(await codesShown(), [], `${label} at ${width}x${height}: codes on screen`);
  }
}

test('idle before any scan: ready, no scan yet, hub and lists state; fits every size', async () => {
  await settled();
  assert.is(await page.textContent('#word'), 'SẴN SÀNG · READY');
  assert.is(await page.textContent('#vi'), 'Chưa có lượt quét nào');
  assert.match(await page.textContent('#b-hub') ?? '', /trực tuyến · online/);
  assert.match(await page.textContent('#b-lists') ?? '', /^tin cậy v1, trạng thái v1, nhận .* · trust v1, status v1, received /);
  assert.match(await page.textContent('#b-checkpoint') ?? '', /booth-layout · 79\/26734/);
  assert.ok(await page.isHidden('#summary'));
  await checkAt('idle-empty');
});

test('a green pass with hours: its hours, areas and validity in the checkpoint\'s time zone', async () => {
  const t = Math.floor(Date.now() / 1000);
  const pass: Partial<Pass> = { category: 'shipper', plate: '51C-123.45', holderName: 'Nguyễn Thị Minh Khai', areas: ['79/26734', '79/27001'], hours: [[0, 1440]], validFrom: t - 3600, issuedAt: t - 3600, validUntil: t + 6 * 86400 };
  const { text } = w.pass(pass);
  await scan(text);
  assert.is(await page.textContent('#word'), 'QUA · PASS');
  assert.is(await page.textContent('#s-name'), 'Nguyễn Thị Minh Khai');
  assert.is(await page.textContent('#s-hours'), '00:00–24:00');
  assert.is(await page.textContent('#s-areas'), '79/26734, 79/27001');
  assert.is(await page.textContent('#s-valid'), `${dateTime(t - 3600, ZONE)} → ${dateTime(t + 6 * 86400, ZONE)}`);
  assert.is(await page.textContent('#s-plate'), '51C-123.45');
  assert.is(await page.textContent('#s-issuer'), 'VN-79');
  assert.is(await page.textContent('#s-category'), 'Giao hàng · shipper');
  await checkAt('green');
});

test('a red pass outside its hours names the reason in both languages and shows the hours to check', async () => {
  // a window that starts two hours from now, local time at the checkpoint: outside it whenever the test runs
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date()).map((x) => [x.type, x.value]));
  const now = Number(p.hour) * 60 + Number(p.minute);
  const start = (now + 120) % 1440, end = (now + 180) % 1440;
  const fmt = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  await scan(w.pass({ holderName: 'Trần Văn Bình', hours: [[start, end]] }).text);
  assert.is(await page.textContent('#word'), 'DỪNG · STOP');
  assert.is(await page.textContent('#vi'), 'Ngoài khung giờ được phép đi lại.');
  assert.is(await page.textContent('#en'), 'Outside the hours the pass allows.');
  assert.is(await page.textContent('#s-hours'), `${fmt(start)}–${fmt(end)} · bây giờ · now ${hhmm(kiosk.history[0].record.at, ZONE)}`);
  assert.equal(await page.$$eval('#summary > div.bad', (ds) => ds.map((d) => d.id)), ['f-hours'], 'the hours stand out');
  const row = await page.textContent('#scans li:first-child');
  assert.match(row ?? '', /DỪNG\s*Ngoài khung giờ · Outside its hours — Trần Văn Bình/);
  await checkAt('red-hours');
});

test('twenty scans of every kind: the list says each reason in words, times in the checkpoint\'s zone, and it all fits', async () => {
  const t = Math.floor(Date.now() / 1000);
  const stranger = generateKeyPairSync('ed25519');
  const foreign = issuePass({ ...w.pass().pass, id: new Uint8Array(randomBytes(8)) }, stranger.privateKey);
  const codes = [
    w.pass({ validFrom: t - 7200, issuedAt: t - 7200, validUntil: t - 3600, holderName: 'Lê Thị Hồng Gấm' }).text, // expired
    w.pass({ validFrom: t + 86400, issuedAt: t - 60 }).text, // not yet valid
    w.pass({ areas: ['79/27001'] }).text, // another ward: wrong area
    foreign, // unknown key
    'HELLO WORLD', // not a pass
    'HC1:NOT-BASE45!!', // not a pass either
    w.pass({ category: 'medical' }).text, // the issuer may not issue it
    w.pass({ health: 'F1', holderName: 'Võ Thị Sáu' }).text,
  ];
  for (const c of codes) await scan(c);
  // the officer's button opens the gate by hand, once an officer has signed in with their card: the board names them
  scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => kiosk.onDuty());
  await page.waitForFunction(() => document.querySelector('#b-officer')?.textContent === 'Lê Văn Tâm');
  const before = kiosk.history[0];
  gpio.press(24);
  const ov = await waitFor('the override', () => (kiosk.history[0] !== before ? kiosk.history[0] : undefined), 3000, 5);
  await page.waitForFunction((id) => (document.querySelector('#verdict') as HTMLElement).dataset.scan === id, ov.record.id);
  assert.is(await page.textContent('#word'), 'MỞ CỔNG · GATE OPEN');
  for (let i = 0; kiosk.history.length < 20; i++) await scan(w.pass({ holderName: `Đặng Văn Lâm ${i}` }).text);
  await page.waitForFunction(() => document.querySelectorAll('#scans li').length === 20);
  const rows = await page.$$eval('#scans li', (lis) => lis.map((li) => li.textContent ?? ''));
  for (const [code, [vi, en]] of [['expired', ['Hết hạn', 'Expired']], ['not-yet-valid', REASON_WORDS['not-yet-valid']], ['wrong-area', REASON_WORDS['wrong-area']], ['unknown-key', REASON_WORDS['unknown-key']],
    ['unsupported-format', REASON_WORDS['unsupported-format']], ['issuer-not-allowed', REASON_WORDS['issuer-not-allowed']], ['health-status', REASON_WORDS['health-status']], ['override', REASON_WORDS.override]] as const) {
    assert.ok(rows.some((r) => r.includes(`${vi} · ${en}`)), `${code} in words: ${rows.join(' | ')}`);
  }
  assert.ok(rows.some((r) => r.includes('Hết hạn · Expired — Lê Thị Hồng Gấm')), 'a named red scan shows its reason and the name');
  // each row's time is the checkpoint's wall clock, not the browser's
  const first = kiosk.history[0].record.at;
  const shown = await page.textContent('#scans li:first-child time');
  assert.is(shown, hhmm(first, ZONE));
  assert.is.not(shown, hhmm(first, BROWSER_ZONE));
  await checkAt('twenty');
  // the largest display shows all twenty; a smaller one shows whole rows and says how many
  await page.setViewportSize({ width: 1280, height: 720 });
  await settled();
  const counts = await page.evaluate(() => ({ shown: document.querySelectorAll('#scans li:not([hidden])').length, title: document.querySelector('#recent-title')?.textContent }));
  assert.is(counts.shown, 20, JSON.stringify(counts));
  await page.setViewportSize({ width: 800, height: 480 });
  await settled();
  const small = await page.evaluate(() => ({ shown: document.querySelectorAll('#scans li:not([hidden])').length, title: document.querySelector('#recent-title')?.textContent }));
  assert.ok(small.shown >= 8, JSON.stringify(small));
  assert.is(small.title, small.shown === 20 ? '20 lượt gần nhất · last 20 scans' : `${small.shown} lượt gần nhất (giữ 20) · last ${small.shown} of 20 scans`);
});

test('idle after scans: ready, the time since the last scan, hub and lists; fits every size', async () => {
  // the screen goes idle 15 s after a scan; the test does not wait for the timer
  await page.evaluate(() => (window as unknown as { goIdle(): void }).goIdle());
  assert.is(await page.textContent('#word'), 'SẴN SÀNG · READY');
  assert.match(await page.textContent('#vi') ?? '', /^Lượt quét cuối: (vừa xong|\d+ giây trước)$/);
  assert.match(await page.textContent('#en') ?? '', /^Last scan: (just now|\d+ s ago)$/);
  assert.ok(await page.isVisible('#board'));
  assert.match(await page.textContent('#b-last') ?? '', new RegExp(`^${hhmm(kiosk.history[0].record.at, ZONE)} · `));
  await checkAt('idle-after');
});

test('the hub gone: the idle screen and the status bar say so in words', async () => {
  hub.setReachable(false);
  await page.waitForFunction(() => /MẤT KẾT NỐI · offline|đang kết nối · connecting/.test(document.querySelector('#st-link .v')?.textContent ?? ''), undefined, { timeout: 10_000 });
  assert.match(await page.getAttribute('#st-link', 'class') ?? '', /bad/);
  assert.match(await page.textContent('#b-hub') ?? '', /offline|connecting/);
  await checkAt('hub-down');
});

// ---- a payout desk at a ward office (mode "payout"): its own kiosk and screen, the hub's payout desk in memory ----
const sec = Math.floor(Date.now() / 1000);
const PROGRAMME: Programme = { id: 'ho-tro-2021', name: 'Hỗ trợ người lao động 2021', amount: 1_500_000, validFrom: sec - 86400, validUntil: sec + 30 * 86400, version: 4 };
const ELIGIBLE = ['a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3'];
const payDesk = new SimPayoutHub({ programme: PROGRAMME, eligible: new Map(ELIGIBLE.map((h) => [h, '79/26734'])), wardOf: () => '79/26734' });
let desk: Kiosk, deskHub: SimUplink, deskScreen: OfficerScreen;
const deskScanner = new SimSource();
const citizen = (holder: string, holderName: string) => w.pass({ holderToken: Buffer.from(holder, 'hex'), holderName, idLast4: '9075' }).text;
/** Payout outcome codes: never on the screen either, only their words. */
const PAYOUT_CODES = /(^|[^A-Za-z-])(already-paid|not-eligible|other-ward|programme-not-open|hub-offline|hub-timeout|sign-in-needed|pass-refused)([^A-Za-z-]|$)/;

async function deskScan(text: string): Promise<string> {
  const before = desk.history[0];
  deskScanner.feed(text);
  const v = await waitFor('the payout scan', () => (desk.history[0] !== before ? desk.history[0] : undefined), 3000, 5);
  await page.waitForFunction((id) => (document.querySelector('#verdict') as HTMLElement).dataset.scan === id, v.record.id, { timeout: 3000 });
  return v.record.id;
}
const word = () => page.textContent('#word');
async function checkDesk(label: string): Promise<void> {
  await checkAt(label);
  assert.not.match(await page.evaluate(() => document.body.innerText), PAYOUT_CODES, `${label}: codes on screen`);
}

test('payout desk, idle: the programme, the amount for each citizen, the ward and the paying dates, in words; fits every size', async () => {
  const config = checkConfig({
    kiosk: { id: 'desk-layout', area: '79/26734', timeZone: ZONE, debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, 'desk'),
    mode: 'payout', payout: { programme: PROGRAMME.id }, hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 },
    scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 }, clock: { syncedFile: join(w.dir, 'synced') },
  });
  desk = await buildKiosk(config, { gpio: new SimGpio(), sources: [deskScanner], uplink: (journal) => (deskHub = new SimUplink(journal, { payouts: payDesk })) }, quiet);
  for (const [kind, file] of [['trust', 'trust-officers.cose'], ['statusList', 'status.cose']] as const) deskHub.publish(kind, new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', file))));
  deskHub.publishProgramme(PROGRAMME.id, '79/26734', signProgrammeWard(PROGRAMME, '79/26734', ELIGIBLE.map((h) => Buffer.from(h, 'hex')), w.root.privateKey));
  await waitFor('the lists and the programme', () => desk.store.status.version === 1 && desk.payout?.hold.held);
  deskScanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => desk.onDuty());
  deskScreen = new OfficerScreen(desk);
  const port = await deskScreen.listen('127.0.0.1', 0);
  await page.setViewportSize({ width: 800, height: 480 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => /online/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page.evaluate(() => (window as unknown as { goIdle(): void }).goIdle());
  assert.is(await word(), 'SẴN SÀNG · READY');
  assert.is(await page.textContent('#b-checkpoint'), 'desk-layout · 79/26734');
  assert.is(await page.textContent('#b-programme'), 'Hỗ trợ người lao động 2021 (v4, 3 người · eligible)');
  assert.is(await page.textContent('#b-amount'), '1.500.000 đ · 1,500,000 VND');
  assert.is(await page.textContent('#b-validity'), `${dateTime(PROGRAMME.validFrom, ZONE)} → ${dateTime(PROGRAMME.validUntil, ZONE)} · đang chi · paying`);
  assert.is(await page.textContent('#b-officer'), 'Lê Văn Tâm');
  await checkDesk('payout-idle');
});

test('payout desk: amber while the hub decides, then green "pay" with the amount, the name and ID digits to check', async () => {
  payDesk.holdReplies = true;
  const id = await deskScan(citizen(ELIGIBLE[0], 'Nguyễn Thị Minh Khai'));
  assert.is(await word(), 'ĐANG HỎI · ASKING THE HUB');
  assert.is(await page.getAttribute('#verdict', 'class'), 'warn');
  assert.is(await page.textContent('#vi'), 'Đang hỏi trung tâm: chưa chi trả.');
  await checkDesk('payout-asking');
  payDesk.holdReplies = false;
  payDesk.release();
  await page.waitForFunction(() => document.querySelector('#verdict')?.className === 'green', undefined, { timeout: 3000 });
  assert.is(await page.getAttribute('#verdict', 'data-scan'), id);
  assert.is(await word(), 'CHI TRẢ · PAY');
  assert.is(await page.textContent('#vi'), 'Chi trả 1.500.000 đ.');
  assert.is(await page.textContent('#en'), 'Pay 1,500,000 VND.');
  assert.is(await page.textContent('#s-name'), 'Nguyễn Thị Minh Khai');
  assert.is(await page.textContent('#s-last4'), '9075');
  assert.is(await page.textContent('#s-amount'), '1.500.000 đ · 1,500,000 VND');
  assert.is(await page.textContent('#s-programme'), 'Hỗ trợ người lao động 2021');
  assert.ok(await page.isHidden('#f-plate'), 'a pass\'s plate and hours are not what a payout desk checks');
  assert.match(await page.textContent('#scans li:first-child') ?? '', /CHI\s*Chi trả · Paid — Nguyễn Thị Minh Khai/);
  await checkDesk('payout-paid');
});

test('payout desk: already paid elsewhere (where and when), not on the list, the hub away (wait, then pay): each in words, none green until the hub says paid', async () => {
  payDesk.payments.set(ELIGIBLE[1], { kiosk: 'phuong-ben-nghe-2', key: 'k'.repeat(22), at: Date.now() - 3_600_000, amount: PROGRAMME.amount });
  await deskScan(citizen(ELIGIBLE[1], 'Trần Văn Bình'));
  await page.waitForFunction(() => document.querySelector('#verdict')?.className === 'red', undefined, { timeout: 3000 });
  assert.is(await word(), 'ĐÃ CHI TRẢ · ALREADY PAID');
  const at = payDesk.payments.get(ELIGIBLE[1])!.at;
  assert.is(await page.textContent('#en'), `Already paid at phuong-ben-nghe-2 at ${dateTime(Math.floor(at / 1000), ZONE)}: do not pay again.`);
  await checkDesk('payout-already-paid');
  await deskScan(citizen('0909090909090909', 'Lê Thị Hồng Gấm'));
  assert.is(await word(), 'KHÔNG CHI TRẢ · DO NOT PAY');
  assert.match(await page.textContent('#vi') ?? '', /^Không có trong danh sách hưởng hỗ trợ của phường này/);
  await checkDesk('payout-not-eligible');
  deskHub.setReachable(false);
  const waiting = await deskScan(citizen(ELIGIBLE[2], 'Võ Thị Sáu'));
  assert.is(await word(), 'CHƯA CHI TRẢ · NOT PAID YET');
  assert.match(await page.textContent('#vi') ?? '', /^Chưa chi trả: mất kết nối với trung tâm, vui lòng chờ\./);
  assert.match(await page.textContent('#en') ?? '', /^Not paid: no connection to the hub, please wait\./);
  assert.is.not(await page.getAttribute('#verdict', 'class'), 'green');
  await checkDesk('payout-wait');
  const rows = await page.$$eval('#scans li', (lis) => lis.map((li) => li.textContent ?? ''));
  for (const words of ['Đã chi trả trước đó · Already paid — Trần Văn Bình', 'Không thuộc diện hưởng · Not eligible — Lê Thị Hồng Gấm', 'Chưa chi trả: mất kết nối · Not paid: hub offline — Võ Thị Sáu']) {
    assert.ok(rows.some((r) => r.includes(words)), `${words} in ${rows.join(' | ')}`);
  }
  // the link back: the kept claim goes, the hub pays, and the citizen told to wait is paid on the same screen
  deskHub.setReachable(true);
  await page.waitForFunction(() => document.querySelector('#verdict')?.className === 'green', undefined, { timeout: 5000 });
  assert.is(await page.getAttribute('#verdict', 'data-scan'), waiting);
  assert.is(await page.textContent('#vi'), 'Chi trả 1.500.000 đ (trung tâm trả lời muộn, đã xác nhận).');
  await checkDesk('payout-late-paid');
});

test.after(async () => {
  await browser?.close();
  await screen?.close();
  await deskScreen?.close();
  await desk?.stop();
  await kiosk?.stop();
  rmSync(w.dir, { recursive: true, force: true });
});
test.run();

// Issue 13 item 3 through a real hub: scans that carry the officer on duty are grouped by officer in the API, the
// CSV and the dashboard (desktop and phone, Vietnamese and English, in Debian's Chromium); overrides count apart;
// a scan with nobody signed in is counted as such; an officer field that is not a staff code never gets in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { ScanIdGenerator, localDay, topics } from '../../protocol/src/index.js';
import { cells, dashboardLogin, launchChromium, overflows } from '../../kiosk/test/browser.js';
import { addDevice, killAll, makeWorld, startHub, stop, waitFor, type Hub, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('dashboard-officers');
const kiosks: Record<string, string> = {};
for (const [id, area] of [['hcm-q1-001', '79/26734'], ['hcm-q1-002', '79/26734'], ['bd-tdm-001', '74/25747']]) kiosks[id] = addDevice(w, id, area);
let hub: Hub;
let browser: Browser;
let base = '';
let auth = '';
const today = () => localDay(Date.now(), 'Asia/Ho_Chi_Minh');

test.before(async () => {
  try {
    hub = await startHub(w);
    base = webBase(hub.proc.log());
    auth = `Bearer ops:${addAccount(hub.config, 'ops', 'operator')}`;
    await accountsKnown(hub, 1);
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

const get = async (path: string) => {
  const r = await fetch(`${base}${path}`, { headers: { authorization: auth } });
  assert.is(r.status, 200, `${path}: ${r.status}`);
  return r.headers.get('content-type')?.startsWith('text/csv') ? r.text() : r.json();
};

const ids = new ScanIdGenerator();
interface Kind { officer?: string; verdict?: 'green' | 'red'; override?: boolean }
async function send(kiosk: string, scans: Kind[]): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: kiosk, username: kiosk, password: kiosks[kiosk], reconnectPeriod: 0 });
  const batch = scans.map((x) => ({
    id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: x.verdict ?? 'green', ms: 2,
    ...(x.override ? { reason: 'override', format: 'unknown', source: 'button', override: true } : { reason: x.verdict === 'red' ? 'expired' : 'ok', format: 'pass', source: 'serial' }),
    ...(x.officer ? { officer: x.officer } : {}),
  }));
  await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans: batch }), { qos: 1 });
  await c.endAsync();
}
const many = (n: number, x: Kind) => Array.from({ length: n }, () => x);

test('scans with the officer on duty: grouped by officer and checkpoint in the API and CSV; overrides apart; nobody signed in counted', async () => {
  await send('hcm-q1-001', [...many(40, { officer: 'CA79-0042' }), ...many(2, { officer: 'CA79-0042', verdict: 'red' }), { officer: 'CA79-0042', override: true }]);
  await send('hcm-q1-002', [...many(5, { officer: 'CA79-0042' }), ...many(17, { officer: 'CA79-0043' }), ...many(3, { officer: 'CA79-0043', verdict: 'red' })]);
  // an older kiosk: scans and an override with nobody signed in
  await send('bd-tdm-001', [...many(9, { officer: 'CA74-0001' }), ...many(4, {}), { override: true }]);
  // an officer field that is not a staff code (a name, ID digits): the batch is refused, nothing counted
  await send('bd-tdm-001', [{ officer: 'Nguyễn Văn An 079201001234' }]);
  await waitFor('the refused batch logged', () => hub.proc.log().includes('rejected a message from kiosk bd-tdm-001'), 5000);
  assert.not.ok(hub.proc.log().includes('079201001234'), 'the refused value is not logged');
  const r = await get('/api/officers');
  assert.is(r.day, today());
  assert.equal(r.officers.map((o: { officer: string; checkpoints: string[]; scans: number; green: number; red: number; overrides: number; passRateText: string }) => [o.officer, o.checkpoints, o.scans, o.green, o.red, o.overrides, o.passRateText]), [
    ['CA79-0042', ['hcm-q1-001', 'hcm-q1-002'], 47, 45, 2, 1, '45 / 47 (95.7 %)'],
    ['CA79-0043', ['hcm-q1-002'], 20, 17, 3, 0, '17 / 20 (85.0 %)'],
    ['CA74-0001', ['bd-tdm-001'], 9, 9, 0, 0, '9 / 9 (100.0 %)'],
  ]);
  assert.is(r.noOfficer, 4, 'scans with nobody signed in, as the dashboard counts scans (overrides apart)');
  const csv = ((await get('/api/officers.csv')) as string).trim().split('\n');
  assert.is(csv[0], 'day,officer,checkpoint,area,province,scans,green,red,pass_rate,overrides');
  assert.ok(csv.includes(`${today()},CA79-0042,hcm-q1-001,79/26734,79,42,40,2,95.24,1`), csv.join('\n'));
  assert.ok(csv.includes(`${today()},CA79-0042,ALL,,,47,45,2,95.74,1`), csv.join('\n'));
  assert.is(csv.length, 1 + 4 + 3);
  // the day's figures still add up: 80 scans and two overrides, each once
  const f = await get('/api/figures');
  assert.equal([f.nationwide.scans, f.nationwide.overrides], [80, 2]);
  // behind the login, and a bad range is a clear 400
  for (const p of ['/api/officers', '/api/officers.csv']) assert.is((await fetch(`${base}${p}`)).status, 401, p);
  const bad = await fetch(`${base}/api/officers?from=2021-09-12&to=2021-09-10`, { headers: { authorization: auth } });
  assert.is(bad.status, 400);
  assert.match((await bad.json()).error, /from ≤ to, got from=2021-09-12 to=2021-09-10/);
  // an earlier day with no officer: empty, not an error
  assert.equal((await get('/api/officers?day=2021-09-10')).officers, []);
});

async function login(size: { width: number; height: number }): Promise<Page> {
  const page = await dashboardLogin(browser, base, 'ops', auth.slice('Bearer ops:'.length), size);
  await page.waitForFunction(() => !!document.querySelector('#officers tbody tr'), undefined, { timeout: 10_000 });
  return page;
}

const OFFICERS_CARD = '#officers-card, #officers-card *';

test('the dashboard: officers on duty with their checkpoints, scans, pass rate and overrides; Vietnamese and English; desktop and phone', async () => {
  for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
    const page = await login(size);
    assert.equal(await cells(page, '#officers tbody tr'), [
      ['CA79-0042', 'hcm-q1-001, hcm-q1-002', '47', '45', '2', '45 / 47 (95.7 %)', '1'],
      ['CA79-0043', 'hcm-q1-002', '20', '17', '3', '17 / 20 (85.0 %)', '0'],
      ['CA74-0001', 'bd-tdm-001', '9', '9', '0', '9 / 9 (100.0 %)', '0'],
    ]);
    assert.is(await page.textContent('#officers-note'), '4 lượt quét khi không có cán bộ đăng nhập.');
    assert.match(await page.getAttribute('#officers-csv', 'href') ?? '', /^\/api\/officers\.csv\?from=\d{4}-\d\d-\d\d&to=/);
    assert.equal(await overflows(page, OFFICERS_CARD), [], `${name}: nothing reaches past the right edge`);
    await page.locator('#officers-card').screenshot({ path: join(ARTIFACTS, `dashboard-officers-${name}.png`) });
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#officers-card h2 span')?.textContent === 'By officer on duty');
    assert.is(await page.textContent('#officers-note'), '4 scans with nobody signed in.');
    assert.equal(await page.$$eval('#officers thead th', (ths) => ths.map((th) => th.textContent)), ['Officer', 'Checkpoint', 'Scans', 'Passed', 'Refused', 'Pass rate', 'Overrides']);
    assert.equal(await overflows(page, OFFICERS_CARD), [], `${name} in English`);
    await page.locator('#officers-card').screenshot({ path: join(ARTIFACTS, `dashboard-officers-${name}-en.png`) });
    await page.close();
  }
});

test.after(async () => { await browser?.close(); await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

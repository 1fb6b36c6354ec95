// Issue 17 through a real hub: the health authority's import with areas gives exact F0–F3 counts per ward,
// district, province and nation; a second import moves them; a restart keeps them; scans that carry their origin
// make the origin → checkpoint-province matrix; the API and CSV give counts only, small ones as "< 5"; and the
// dashboard shows both in Vietnamese and English, on a desktop and a phone, in Debian's Chromium.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { ScanIdGenerator, localDay, openStatusList, topics } from '../../protocol/src/index.js';
import { cells, dashboardLogin, launchChromium, overflows } from '../../kiosk/test/browser.js';
import { addDevice, chot, killAll, makeWorld, startHub, stop, waitFor, type Hub, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('dashboard-areas');
const kiosks: Record<string, string> = {};
for (const [id, area] of [['hcm-q1-001', '79/26734'], ['bd-tdm-001', '74/25747']]) kiosks[id] = addDevice(w, id, area);
const rootKey = join(w.dir, 'root.key.pem');
writeFileSync(rootKey, w.root.privateKey.export({ type: 'pkcs8', format: 'pem' }));
let hub: Hub;
let browser: Browser;
let base = '';
let auth = '';
const today = () => localDay(Date.now(), 'Asia/Ho_Chi_Minh');

async function startAll(port?: number): Promise<void> {
  hub = await startHub(w, port);
  base = webBase(hub.proc.log());
}

test.before(async () => {
  try {
    await startAll();
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
const tok = (i: number) => (0xabc0000000000000n + BigInt(i)).toString(16);
const counts = (a: { counts: Record<string, unknown> } | undefined) => a && a.counts;

function importCsv(lines: string[]): Record<string, unknown> {
  const csv = join(w.dir, 'changes.csv');
  writeFileSync(csv, ['token,state,area', ...lines].join('\n') + '\n');
  const r = chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  return JSON.parse(r.out);
}

test('an import with areas: exact counts per ward, district, province and nation; small ones "< 5"; the area stays out of the signed list', async () => {
  const lines: string[] = [];
  let i = 0;
  for (let n = 0; n < 12; n++) lines.push(`${tok(i++)},F0,79/760/26734`);
  for (let n = 0; n < 8; n++) lines.push(`${tok(i++)},F1,79/760/26734`);
  for (let n = 0; n < 6; n++) lines.push(`${tok(i++)},F2,79/760/26734`);
  for (let n = 0; n < 3; n++) lines.push(`${tok(i++)},F0,79/760/26740`);
  for (let n = 0; n < 7; n++) lines.push(`${tok(i++)},F1,74/25747`);
  for (let n = 0; n < 5; n++) lines.push(`${tok(i++)},F3,74/25747`);
  for (let n = 0; n < 2; n++) lines.push(`${tok(i++)},F0`);
  const out = importCsv(lines);
  assert.equal([out.to, out.holders, out.figures], [2, 43, { holdersChanged: 43, reconciled: true }]);
  const v = await get('/api/areas');
  assert.is(v.version, 2);
  assert.is(v.nation.text, 'F0 17 · F1 15 · F2 6 · F3 5');
  assert.equal(v.provinces.map((p: { area: string; text: string }) => [p.area, p.text]), [['74', 'F0 0 · F1 7 · F2 0 · F3 5'], ['79', 'F0 15 · F1 8 · F2 6 · F3 0']]);
  assert.equal(v.noArea, { F0: '< 5', F1: 0, F2: 0, F3: 0 });
  const v79 = await get('/api/areas?province=79');
  assert.equal(counts(v79.districts.find((a: { area: string }) => a.area === '79/760')), { F0: 15, F1: 8, F2: 6, F3: 0 });
  assert.equal(counts(v79.wards.find((a: { area: string }) => a.area === '79/26734')), { F0: 12, F1: 8, F2: 6, F3: 0 });
  assert.equal(counts(v79.wards.find((a: { area: string }) => a.area === '79/26740')), { F0: '< 5', F1: 0, F2: 0, F3: 0 }, 'three people in a ward are not shown as three');
  assert.not.ok(v79.wards.some((a: { area: string }) => a.area.startsWith('74/')), 'only the province asked for');
  // the signed list the kiosks get: tokens and states, no area
  const list = readFileSync(join(hub.dataDir, 'lists', 'status.cose'));
  assert.is(openStatusList(new Uint8Array(list), w.root.publicKey).holders.size, 43);
  for (const area of ['26734', '25747', '79/760']) assert.is(list.includes(Buffer.from(area)), false, `${area} in the signed list`);
  // counts only, behind the login
  for (const p of ['/api/areas', '/api/areas.csv', '/api/movement', '/api/movement.csv']) assert.is((await fetch(`${base}${p}`)).status, 401, p);
  assert.not.ok(JSON.stringify(v79).includes(tok(0)), 'no holder token leaves the hub');
  assert.is((await fetch(`${base}/api/areas?province=7`, { headers: { authorization: auth } })).status, 400);
});

test('a second import moves a holder F1 → F0 and to another province: the counts move and today\'s changes say so; a bad area stops it with nothing changed', async () => {
  // the first F1 of ward 79/26734 (token 12) becomes F0 in Bình Dương; the same import run twice changes nothing more
  const out = importCsv([`${tok(12)},F0,74/25747`]);
  assert.equal([out.to, out.figures], [3, { holdersChanged: 1, reconciled: false }]);
  assert.equal(importCsv([`${tok(12)},F0,74/25747`]).figures, { holdersChanged: 0, reconciled: false });
  const v = await get('/api/areas');
  assert.is(v.nation.text, 'F0 18 · F1 14 · F2 6 · F3 5');
  assert.equal(v.provinces.map((p: { area: string; text: string }) => [p.area, p.text]), [['74', 'F0 < 5 · F1 7 · F2 0 · F3 5'], ['79', 'F0 15 · F1 7 · F2 6 · F3 0']]);
  // today saw both imports: 43 holders came in, then one moved
  assert.equal(v.nation.changes, { F0: { in: 18, out: 0 }, F1: { in: 15, out: 1 }, F2: { in: 6, out: 0 }, F3: { in: 5, out: 0 } });
  assert.equal(v.provinces.find((p: { area: string }) => p.area === '79').changes.F1, { in: 8, out: '< 5' });
  const csv = (await get('/api/areas.csv')) as string;
  const rows = csv.trim().split('\n');
  assert.is(rows[0], 'day,level,area,F0,F1,F2,F3,F0_in,F0_out,F1_in,F1_out,F2_in,F2_out,F3_in,F3_out');
  assert.is(rows[1], `${today()},nation,VN,18,14,6,5,18,0,15,1,6,0,5,0`);
  assert.ok(rows.includes(`${today()},ward,79/26740,< 5,0,0,0,< 5,0,0,0,0,0,0,0`), csv);
  assert.ok(rows.includes(`${today()},district,79/760,15,7,6,0,15,0,8,< 5,6,0,0,0`), csv);
  // a bad area: the line named, nothing signed, nothing recorded
  const bad = join(w.dir, 'bad.csv');
  writeFileSync(bad, `${tok(13)},clear\n${tok(14)},F0,79/26734/x\n`);
  const r = chot(['status', 'import', bad, '--root', rootKey, '--config', hub.config]);
  assert.is(r.code, 2);
  assert.match(r.err, /line 2: area "79\/26734\/x" is not a province \(79\), a ward \(79\/26734\) or province\/district\/ward \(79\/760\/26734\); nothing imported/);
  assert.is((await get('/api/areas')).version, 4, 'the version of the last good import (run twice: 3 and 4)');
  // --lists alone (the authority's machine, the root key off the hub): signed there, the areas not recorded, and it says so
  const lists = join(w.dir, 'authority-lists');
  writeFileSync(bad, `${tok(14)},F0,79/26734\n`);
  const alone = chot(['status', 'import', bad, '--root', rootKey, '--lists', lists]);
  assert.is(alone.code, 0, alone.err);
  assert.match(alone.err, /--lists without --config: the areas were not recorded .*the next import made with --config puts the F0–F3 figures right/);
  assert.is(JSON.parse(alone.out).figures, undefined);
  assert.is((await get('/api/areas')).nation.text, 'F0 18 · F1 14 · F2 6 · F3 5');
});

test('a restart: the same counts, read from the store', async () => {
  const before = await get('/api/areas?province=79');
  await stop(hub.proc);
  await startAll(hub.port);
  await waitFor('the hub to know its operator', () => /registry version \d+: \d+ devices, 1 accounts/.test(hub.proc.log()), 30_000);
  assert.equal(await get('/api/areas?province=79'), before);
});

const ids = new ScanIdGenerator();
async function send(kiosk: string, scans: Array<{ origin?: string; verdict?: 'green' | 'red'; format?: string }>): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: kiosk, username: kiosk, password: kiosks[kiosk], reconnectPeriod: 0 });
  const batch = scans.map((x) => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: x.verdict ?? 'green', reason: x.verdict === 'red' ? 'health-status' : 'ok', format: x.format ?? 'pass', source: 'serial', ms: 2, ...(x.origin ? { origin: x.origin } : {}) }));
  await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans: batch }), { qos: 1 });
  await c.endAsync();
}
const many = (n: number, x: { origin?: string; verdict?: 'green' | 'red'; format?: string }) => Array.from({ length: n }, () => x);

test('scans that carry their origin: the origin → checkpoint-province matrix, green and red, in the API and CSV; an origin that is not a code is refused', async () => {
  await send('hcm-q1-001', [...many(12, { origin: 'VN-01' }), ...many(2, { origin: 'VN-01', verdict: 'red' }), ...many(6, { origin: 'VN-74' })]);
  await send('bd-tdm-001', [...many(9, { origin: 'VN-79' }), { origin: 'DE', format: 'dcc' }, ...many(3, {})]);
  // a batch whose origin is free text never reaches the figures (the scan schema is the gate)
  await send('bd-tdm-001', [{ origin: 'o:x:green' }]);
  await waitFor('the refused batch logged', () => hub.proc.log().includes('rejected a message from kiosk bd-tdm-001'), 5000);
  const m = await get('/api/movement');
  assert.equal(m.flows.map((f: { origin: string; province: string; travellers: unknown; green: unknown; red: unknown }) => [f.origin, f.province, f.travellers, f.green, f.red]), [
    ['VN-01', '79', 14, 12, '< 5'], ['VN-79', '74', 9, 9, 0], ['VN-74', '79', 6, 6, 0], ['DE', '74', '< 5', '< 5', 0],
  ]);
  assert.is(m.noOrigin, 3);
  const csv = ((await get('/api/movement.csv')) as string).trim().split('\n');
  assert.is(csv[0], 'day,origin,checkpoint,area,province,travellers,green,red');
  assert.ok(csv.includes(`${today()},VN-01,hcm-q1-001,79/26734,79,14,12,< 5`), csv.join('\n'));
  assert.ok(csv.includes(`${today()},VN-79,ALL,74,74,9,9,0`), csv.join('\n'));
  // the day's figures still add up: every scan counted once, with or without an origin
  assert.is((await get('/api/figures')).nationwide.scans, 33);
});

async function login(size: { width: number; height: number }): Promise<Page> {
  const page = await dashboardLogin(browser, base, 'ops', auth.slice('Bearer ops:'.length), size);
  await page.waitForFunction(() => !!document.querySelector('#health-wards tbody tr') && !!document.querySelector('#movement-flows tbody tr'), undefined, { timeout: 10_000 });
  return page;
}

const CARDS = '#health-card, #movement-card, #health-card *, #movement-card *';

test('the dashboard: F0–F3 in the seed\'s form by province and by ward, and the origin → checkpoint matrix with the top flows; Vietnamese and English; desktop and phone', async () => {
  for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
    const page = await login(size);
    assert.is(await page.textContent('#health-nation'), 'Toàn quốc: F0 18 · F1 14 · F2 6 · F3 5');
    assert.equal(await cells(page, '#health-provinces tbody tr'), [
      ['Bình Dương (74)', 'F0 < 5 · F1 7 · F2 0 · F3 5', 'F0 +(< 5) · F1 +7 · F3 +5'],
      ['TP. Hồ Chí Minh (79)', 'F0 15 · F1 7 · F2 6 · F3 0', 'F0 +15 · F1 +8 −(< 5) · F2 +6'],
    ]);
    assert.match(await page.textContent('#health-note') ?? '', /Chỉ có số đếm, không có danh sách người\. Số từ 1 đến 4 hiện là “< 5”\. Chưa rõ địa bàn: F0 < 5\./);
    // the wards of the province chosen: Bình Dương first in the list, then Hồ Chí Minh
    await page.selectOption('#health-province', '79');
    await page.waitForFunction(() => document.querySelector('#health-wards tr[data-area="79/26740"]') !== null);
    assert.equal(await cells(page, '#health-wards tbody tr'), [
      ['79/760 quận/huyện', 'F0 15 · F1 7 · F2 6 · F3 0', 'F0 +15 · F1 +8 −(< 5) · F2 +6'],
      ['79/26734 phường/xã', 'F0 12 · F1 7 · F2 6 · F3 0', 'F0 +12 · F1 +8 −(< 5) · F2 +6'],
      ['79/26740 phường/xã', 'F0 < 5 · F1 0 · F2 0 · F3 0', 'F0 +(< 5)'],
    ]);
    // the matrix: origins by travellers, checkpoint provinces as columns
    assert.equal(await page.$$eval('#movement-matrix thead th', (ths) => ths.map((th) => th.textContent)), ['Nơi đi ↓ · tỉnh của chốt →', 'TP. Hồ Chí Minh (79)', 'Bình Dương (74)']);
    assert.equal(await cells(page, '#movement-matrix tbody tr'), [
      ['Hà Nội (01)', '14 từ chối < 5', '0'], ['TP. Hồ Chí Minh (79)', '0', '9'], ['Bình Dương (74)', '6', '0'], ['Đức (DE)', '0', '< 5'],
    ].map((r) => r.map((c) => c.replace('Hà Nội', 'TP. Hà Nội'))));
    assert.equal((await cells(page, '#movement-flows tbody tr'))[0], ['TP. Hà Nội (01)', 'TP. Hồ Chí Minh (79)', '14', '12', '< 5']);
    assert.match(await page.textContent('#movement-note') ?? '', /^3 lượt quét không rõ nơi đi/);
    assert.equal(await overflows(page, CARDS), [], `${name}: nothing reaches past the right edge`);
    await page.locator('#health-card').screenshot({ path: join(ARTIFACTS, `dashboard-areas-${name}.png`) });
    await page.locator('#movement-card').screenshot({ path: join(ARTIFACTS, `dashboard-movement-${name}.png`) });
    // English
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Checkpoints: throughput');
    assert.is(await page.textContent('#health-nation'), 'Nationwide: F0 18 · F1 14 · F2 6 · F3 5');
    assert.equal((await cells(page, '#health-provinces tbody tr'))[1].slice(0, 2), ['Ho Chi Minh City (79)', 'F0 15 · F1 7 · F2 6 · F3 0']);
    assert.equal((await cells(page, '#movement-matrix tbody tr')).map((r) => r[0]), ['Ha Noi City (01)', 'Ho Chi Minh City (79)', 'Binh Duong (74)', 'Germany (DE)']);
    assert.match(await page.textContent('#movement-note') ?? '', /^3 scans with no origin/);
    assert.equal(await overflows(page, CARDS), [], `${name} in English`);
    await page.locator('#health-card').screenshot({ path: join(ARTIFACTS, `dashboard-areas-${name}-en.png`) });
    await page.locator('#movement-card').screenshot({ path: join(ARTIFACTS, `dashboard-movement-${name}-en.png`) });
    await page.close();
  }
});

test.after(async () => { await browser?.close(); await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

// The operators' dashboard in a real browser: Debian's Chromium, driven by playwright-core.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import mqtt from 'mqtt';
import { ScanIdGenerator, topics, localDay } from '../../protocol/src/index.js';
import { launchChromium } from '../../kiosk/test/browser.js';
import { addDevice, killAll, makeWorld, startHub, stop, type Hub, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('dashboard');
const kioskPw = addDevice(w, 'hcm-q1-001', '79/26734');
let hub: Hub;
let browser: Browser;
let base = '';
let operatorPw = '';

test.before(async () => {
  try {
    hub = await startHub(w);
    base = webBase(hub.proc.log());
    operatorPw = addAccount(hub.config, 'ops-hcm', 'operator');
    await accountsKnown(hub, 1);
    browser = await launchChromium();
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

async function sendScans(n: number, verdict: 'green' | 'red' = 'green'): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: 'hcm-q1-001', username: 'hcm-q1-001', password: kioskPw, reconnectPeriod: 0 });
  const ids = new ScanIdGenerator();
  const scans = Array.from({ length: n }, () => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict, reason: verdict === 'green' ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.4, category: 'shipper' }));
  await c.publishAsync(topics.scans('hcm-q1-001'), JSON.stringify({ v: 1, kiosk: 'hcm-q1-001', scans }), { qos: 1 });
  await c.endAsync();
}

test('a wrong password does not get in; the API refuses without a login', async () => {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForSelector('#login-view:not([hidden])');
  await page.fill('input[name=user]', 'ops-hcm');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '');
  assert.match(await page.textContent('#login-error') ?? '', /Sai tài khoản hoặc mật khẩu/);
  assert.ok(await page.isHidden('#app'));
  assert.is((await fetch(`${base}/api/figures`)).status, 401);
  await page.close();
});

test('log in, watch a scan sent a moment earlier appear within 2 s, export the CSV and check its rows', async () => {
  await sendScans(3);
  const page = await browser.newPage({ acceptDownloads: true });
  await page.goto(base);
  await page.fill('input[name=user]', 'ops-hcm');
  await page.fill('input[name=password]', operatorPw);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#live-scans')?.textContent === '3', undefined, { timeout: 5000 });
  // a new scan moves the live counters without a reload, within 2 s
  const t0 = Date.now();
  await sendScans(1, 'red');
  await page.waitForFunction(() => document.querySelector('#live-scans')?.textContent === '4', undefined, { timeout: 2000 });
  assert.ok(Date.now() - t0 < 2000);
  assert.is(await page.textContent('#live-rate'), '3 / 4 (75.0 %)');
  await page.waitForFunction(() => document.querySelector('#checkpoints tbody tr[data-checkpoint="hcm-q1-001"] td:nth-child(3)')?.textContent === '4', undefined, { timeout: 3000 });
  const row = await page.$$eval('#checkpoints tbody tr[data-checkpoint="hcm-q1-001"] td', (tds) => tds.map((td) => td.textContent));
  assert.equal(row.slice(0, 6), ['hcm-q1-001', '79/26734 TP. Hồ Chí Minh', '4', '3', '1', '3 / 4 (75.0 %)']);
  assert.match(row[7] ?? '', /Hết hạn 1/);
  // the fleet shows the kiosk (it disconnected after sending: offline, highlighted)
  await page.waitForSelector('#fleet tr[data-kiosk="hcm-q1-001"].offline');
  // English too
  await page.click('#lang');
  assert.is(await page.textContent('h1'), 'Checkpoints: throughput');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
  const today = localDay(Date.now(), 'Asia/Ho_Chi_Minh');
  assert.is(csv.length, 3);
  assert.match(csv[0], /^day,checkpoint,area,province,scans,green,red,pass_rate/);
  assert.ok(csv[1].startsWith(`${today},hcm-q1-001,79/26734,79,4,3,1,75.00,`), csv[1]);
  assert.ok(csv[2].startsWith(`${today},ALL,VN,VN,4,3,1,75.00,`), csv[2]);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  // logging out ends the session
  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  await page.close();
});

test.after(async () => { await browser?.close(); await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

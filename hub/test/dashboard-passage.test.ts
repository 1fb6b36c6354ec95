// A gate that confirms passage, as operators see it on a real hub's dashboard (Debian's Chromium, desktop and
// phone, Vietnamese and English): nothing about passage while no gate has a sensor; once a kiosk says it has one,
// a card with validated, went through, did not pass and tailgating for that gate and the nation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { ScanIdGenerator, topics, type ScanRecord } from '../../protocol/src/index.js';
import { cells, dashboardLogin, launchChromium, overflows } from '../../kiosk/test/browser.js';
import { addDevice, killAll, makeWorld, sleep, startHub, stop, type Hub, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('dashboard-passage');
const kiosks: Record<string, string> = {};
for (const id of ['gate-1', 'booth-2']) kiosks[id] = addDevice(w, id, '79/26734');
let hub: Hub;
let browser: Browser;
let base = '';
let auth = '';

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

const ids = new ScanIdGenerator();
const green = (): ScanRecord => { const at = Date.now(); return { id: ids.next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2 }; };
const passage = (reason: 'no-passage' | 'tailgate', annuls?: string): ScanRecord => {
  const at = Date.now();
  return { id: ids.next(at), at, clockSynced: true, verdict: 'red', reason, format: 'unknown', source: 'button', ms: 0, ...(annuls ? { passId: annuls } : {}) };
};

/** As a kiosk: its status (saying whether the gate has a sensor) and a batch of records, over MQTT. */
async function send(kiosk: string, scans: ScanRecord[], sensor?: boolean): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: kiosk, username: kiosk, password: kiosks[kiosk], reconnectPeriod: 0 });
  if (sensor !== undefined) await c.publishAsync(topics.status(kiosk), JSON.stringify({ v: 1, kiosk, online: true, at: Date.now(), ...(sensor ? { passage: true } : {}) }), { qos: 1 });
  if (scans.length) await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans }), { qos: 1 });
  await c.endAsync();
}

/** Polls an answer that takes a request to get. */
async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) { if (await ok()) return; await sleep(50); }
  throw new Error(`timed out waiting for ${what}`);
}

const figures = async () => (await (await fetch(`${base}/api/figures`, { headers: { authorization: auth } })).json()) as { nationwide: { scans: number; passage?: unknown }; checkpoints: Array<{ id: string; passage?: unknown }> };

async function login(size: { width: number; height: number }): Promise<Page> {
  const page = await dashboardLogin(browser, base, 'ops', auth.slice('Bearer ops:'.length), size);
  await page.waitForFunction(() => !!document.querySelector('#checkpoints tbody tr'), undefined, { timeout: 10_000 });
  return page;
}

test('no gate with a sensor: no passage figure in the API, and no card on the dashboard', async () => {
  await send('booth-2', [green(), green()], false);
  await until('the scans counted', async () => (await figures()).nationwide.scans === 2);
  const f = await figures();
  assert.not.ok('passage' in f.nationwide || f.checkpoints.some((c) => 'passage' in c));
  const page = await login({ width: 1280, height: 800 });
  assert.is(await page.isHidden('#passage-card'), true);
  await page.close();
});

test('a gate whose kiosk has a sensor: validated, went through, did not pass, tailgating, per gate and nationwide; desktop and phone, both languages', async () => {
  const g = [green(), green(), green()];
  await send('gate-1', g, true);
  await send('gate-1', [passage('no-passage', g[1].id), passage('tailgate')]);
  await until('the gate\'s figures', async () => JSON.stringify((await figures()).nationwide.passage) === JSON.stringify({ validated: 3, passed: 2, notPassed: 1, tailgating: 1 }));
  for (const [name, size] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
    const page = await login(size);
    await page.waitForSelector('#passage-card:not([hidden])', { timeout: 5000 });
    assert.equal(await cells(page, '#passage tbody tr'), [['gate-1', '3', '2', '1', '1']], `${name}: only the gate with a sensor`);
    assert.equal(await cells(page, '#passage tfoot tr'), [['Toàn quốc', '3', '2', '1', '1']]);
    assert.equal(await page.$$eval('#passage thead th', (ths) => ths.map((th) => th.textContent)), ['Chốt', 'Hợp lệ, mở cổng', 'Đã qua cổng', 'Không qua: hủy lượt', 'Qua không có lượt hợp lệ']);
    assert.equal(await overflows(page, '#passage-card, #passage-card *'), [], `${name}: nothing reaches past the right edge`);
    await page.locator('#passage-card').screenshot({ path: join(ARTIFACTS, `dashboard-passage-${name}.png`) });
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#passage-card h2 span')?.textContent === 'Through the gate (passage sensor)');
    assert.equal(await page.$$eval('#passage thead th', (ths) => ths.map((th) => th.textContent)), ['Checkpoint', 'Valid, gate opened', 'Went through', 'Did not pass: cancelled', 'Passed with no valid scan']);
    assert.equal(await overflows(page, '#passage-card, #passage-card *'), [], `${name} in English`);
    await page.locator('#passage-card').screenshot({ path: join(ARTIFACTS, `dashboard-passage-${name}-en.png`) });
    await page.close();
  }
});

test.after(async () => { await browser?.close(); await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

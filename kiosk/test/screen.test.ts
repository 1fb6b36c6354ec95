// The officer screen in a real browser (Debian's Chromium, playwright-core), fed by a real kiosk process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addDevice, freePort, kioskConfig, killAll, makeWorld, pty, start, startHub, stop, waitFor, type Hub, type Proc, type Pty } from './rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('screen');
let hub: Hub, port: Pty, browser: Browser, kiosk: Proc, page: Page;
let cfg: ReturnType<typeof kioskConfig>;
let screenPort = 0;

test.before(async () => {
  try {
    const password = addDevice(w, 'booth-scr');
    hub = await startHub(w);
    port = await pty(w.dir);
    screenPort = await freePort();
    cfg = kioskConfig(w, { id: 'booth-scr', hubPort: hub.port, password, scanner: port.scanner, extra: { screen: { host: '127.0.0.1', port: screenPort } } });
    kiosk = start(['kiosk', 'run', '--config', cfg.path], 'kiosk');
    await waitFor('the kiosk with its lists and its port open', () => kiosk.log().includes('now holding status list version 1') && kiosk.log().includes('scanner: reading'), 15_000);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${screenPort}/`);
    await page.waitForFunction(() => /· online/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 10_000 });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

async function scanAndWait(text: string, cls: 'green' | 'red'): Promise<number> {
  const before = await page.getAttribute('#verdict', 'data-scan');
  const t0 = performance.now();
  await port.write(`${text}\r`);
  await page.waitForFunction(([b, c]) => { const v = document.querySelector('#verdict') as HTMLElement; return v.dataset.scan !== b && v.className === c; }, [before, cls] as const, { timeout: 3000 });
  return performance.now() - t0;
}

test('a valid pass turns the screen green with the name and id last 4 for the ID-card check', async () => {
  const ms = await scanAndWait(w.pass({ category: 'shipper', plate: '51C-123.45' }).text, 'green');
  assert.ok(ms < 1000, `updated after ${ms.toFixed(0)} ms`);
  console.log(`  officer screen updated ${ms.toFixed(0)} ms after the code was written to the scanner port`);
  assert.is(await page.textContent('#word'), 'QUA · PASS');
  assert.is(await page.textContent('#vi'), 'Hợp lệ. Mời qua.');
  assert.is(await page.textContent('#s-name'), 'Phạm Thị Lan');
  assert.is(await page.textContent('#s-last4'), '2468');
  assert.is(await page.textContent('#s-plate'), '51C-123.45');
  assert.match(await page.textContent('#s-category') ?? '', /shipper/);
});

test('an expired pass turns it red with the reason in Vietnamese and English; the last scans are listed', async () => {
  const now = Math.floor(Date.now() / 1000);
  await scanAndWait(w.pass({ validFrom: now - 7200, issuedAt: now - 7200, validUntil: now - 3600 }).text, 'red');
  assert.is(await page.textContent('#word'), 'DỪNG · STOP');
  assert.is(await page.textContent('#vi'), 'Giấy đã hết hạn.');
  assert.is(await page.textContent('#en'), 'The pass has expired.');
  assert.is((await page.$$('#scans li')).length, 2);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'officer-screen-red.png') });
});

test('the screen survives the kiosk restarting: it reconnects and shows the next scan without a reload', async () => {
  await stop(kiosk);
  await page.waitForFunction(() => /not responding/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 5000 });
  kiosk = start(['kiosk', 'run', '--config', cfg.path], 'kiosk');
  await waitFor('the kiosk back', () => kiosk.log().includes('scanner: reading'), 15_000);
  await page.waitForFunction(() => /· (online|connecting)/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await scanAndWait(w.pass({ holderName: 'Ngô Bảo Châu' }).text, 'green');
  assert.is(await page.textContent('#s-name'), 'Ngô Bảo Châu');
});

test.after(async () => { await browser?.close(); await stop(kiosk); await stop(hub?.proc); await port?.close(); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

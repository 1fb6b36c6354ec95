// The officer screen of a gate with a passage sensor, in Debian's Chromium at the 7-inch display's size: an annul
// goes into the last scans in words (HỦY, Vietnamese then English) and leaves the verdict on show alone, since the
// next traveller may be at the booth; a tailgate takes the verdict panel as a stop with its sentence. A kiosk in this
// process built as the booth builds it, the simulated GPIO's sensor pin, and a clock moved by hand for the wait.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { checkConfig } from '../src/config.js';
import type { Kiosk } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { OfficerScreen } from '../src/screen/server.js';
import { SimUplink } from '../src/uplink/sim.js';
import { launchChromium, overflows } from './browser.js';
import { ManualTimers } from './manual-timers.js';
import { makeWorld, waitFor } from './rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const WAIT = 8_000;
const w = makeWorld('gate-screen');
let hub: SimUplink, kiosk: Kiosk, screen: OfficerScreen, browser: Browser, page: Page;
const clock = new ManualTimers();
const gpio = new SimGpio(undefined, false, () => clock.now());
const scanner = new SimSource();

test.before(async () => {
  try {
    writeFileSync(join(w.dir, 'synced'), '');
    const config = checkConfig({
      kiosk: { id: 'gate-screen', area: '79/26734', debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, 'kiosk'),
      hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 }, scanner: { type: 'sim' },
      gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 }, gate: { passage: { pin: 25, waitMs: WAIT } },
      clock: { syncedFile: join(w.dir, 'synced') },
    });
    kiosk = await buildKiosk(config, { gpio, sources: [scanner], timers: clock, uplink: (journal) => (hub = new SimUplink(journal)) }, () => {});
    for (const [kind, file] of [['trust', 'trust.cose'], ['statusList', 'status.cose']] as const) hub.publish(kind, new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', file))));
    await waitFor('both lists from the hub', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1);
    screen = new OfficerScreen(kiosk);
    const port = await screen.listen('127.0.0.1', 0);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 800, height: 480 } })).newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => /online/.test(document.querySelector('#st-link')?.textContent ?? ''), undefined, { timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

const firstRow = () => page.$eval('#scans li', (li) => ({ scan: (li as HTMLElement).dataset.scan, text: li.textContent }));
const verdict = () => page.$eval('#verdict', (v) => ({ scan: (v as HTMLElement).dataset.scan, cls: v.className, vi: document.querySelector('#vi')?.textContent, en: document.querySelector('#en')?.textContent }));

test('an annul: in the last scans in words, Vietnamese first; the green on show stays', async () => {
  scanner.feed(w.pass().text);
  const green = await waitFor('the green', () => kiosk.history.find((v) => v.verdict.verdict === 'green'));
  await page.waitForFunction((id) => (document.querySelector('#verdict') as HTMLElement).dataset.scan === id, green.record.id, { timeout: 3000 });
  clock.advance(WAIT);
  const annul = kiosk.history[0].record;
  assert.is(annul.reason, 'no-passage');
  await page.waitForFunction((id) => (document.querySelector('#scans li') as HTMLElement | null)?.dataset.scan === id, annul.id, { timeout: 3000 });
  const row = await firstRow();
  assert.match(row.text ?? '', /HỦY.*Không qua cổng: hủy lượt · Did not pass: scan cancelled/);
  assert.not.match(row.text ?? '', /no-passage/, 'words, never the code');
  const v = await verdict();
  assert.equal([v.scan, v.cls], [green.record.id, 'green'], 'the verdict panel still shows the green');
  assert.equal(await overflows(page, 'body, body *'), []);
});

test('a tailgate: a stop in the verdict panel with its sentence, Vietnamese then English, and in the last scans', async () => {
  assert.ok(gpio.press(25));
  const t = kiosk.history[0].record;
  assert.is(t.reason, 'tailgate');
  await page.waitForFunction((id) => (document.querySelector('#verdict') as HTMLElement).dataset.scan === id, t.id, { timeout: 3000 });
  const v = await verdict();
  assert.equal(v, { scan: t.id, cls: 'red', vi: 'Có người qua cổng mà không có lượt hợp lệ: dừng lại, gặp cán bộ.', en: 'Someone passed the gate without a valid scan: stop and see the officer.' });
  assert.match((await firstRow()).text ?? '', /DỪNG.*Qua cổng không có lượt hợp lệ · Passed with no valid scan/);
  assert.equal(await overflows(page, 'body, body *'), []);
  await page.screenshot({ path: join(ARTIFACTS, 'screen-gate-tailgate-800x480.png') });
});

test.after(async () => { await browser?.close(); await screen?.close(); await kiosk?.stop(); });
test.run();

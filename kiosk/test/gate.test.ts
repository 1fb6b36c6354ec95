// A gate that confirms passage (gate.passage), end to end in one kiosk built by buildKiosk as the booth builds it:
// the simulated GPIO with the sensor on BCM 25, a simulated scanner and hub (SimUplink), and a clock moved by hand
// for the waits and the sensor's debounce, so nothing here waits for a wait to end. What the officer, the journal
// and the hub see: an annul after a green (or an override) nobody passed after, a tailgate with the red flash and
// the buzzer, and nothing at all for a green that was passed through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passageRecordProblem, type ScanRecord } from '../../protocol/src/index.js';
import { checkConfig, ConfigError } from '../src/config.js';
import type { Kiosk } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { doctor } from '../src/doctor.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { SimUplink } from '../src/uplink/sim.js';
import { view, screenState } from '../src/screen/server.js';
import type { Level } from '../../lib/log.js';
import { ManualTimers } from './manual-timers.js';
import { makeWorld, waitFor } from './rig.js';

const w = makeWorld('gate');
const lists = join(w.dir, 'hub', 'lists');
const SENSOR = 25;
const WAIT = 8_000;
const logs: Array<{ line: string; level: Level }> = [];
let kiosk: Kiosk;
let gpio: SimGpio;
let scanner: SimSource;
let hub: SimUplink;
let clock: ManualTimers;
/** every record the kiosk showed, oldest first */
const seen: ScanRecord[] = [];

const config = (name: string, over: Record<string, unknown> = {}) => checkConfig({
  kiosk: { id: `booth-${name}`, area: '79/26734', debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, `kiosk-${name}`),
  hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 },
  scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 1000, beepLongMs: 50 },
  gate: { passage: { pin: SENSOR, waitMs: WAIT } },
  clock: { syncedFile: join(w.dir, 'synced') }, ...over,
});

test.before(() => setUp().catch((e) => { console.error('set-up failed:', e); throw e; }));

async function setUp(): Promise<void> {
  writeFileSync(join(w.dir, 'synced'), '');
  clock = new ManualTimers();
  gpio = new SimGpio(undefined, false, () => clock.now());
  scanner = new SimSource();
  kiosk = await buildKiosk(config('gate'), { gpio, sources: [scanner], timers: clock, uplink: (journal) => (hub = new SimUplink(journal)) }, (line, level = 'info') => { logs.push({ line, level }); });
  kiosk.on('scan', (v) => seen.push(v.record));
  hub.publish('trust', new Uint8Array(readFileSync(join(lists, 'trust-officers.cose'))));
  hub.publish('statusList', new Uint8Array(readFileSync(join(lists, 'status.cose'))));
  await waitFor('both lists from the hub', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1);
}

const scan = async (text: string) => {
  const before = kiosk.history[0];
  scanner.feed(text);
  return waitFor('the verdict', () => (kiosk.history[0] !== before ? kiosk.history[0] : undefined), 2000, 5);
};
const green = async () => {
  const v = await scan(w.pass().text);
  assert.is(v.verdict.verdict, 'green', v.verdict.detail);
  return v.record;
};
/** Someone passes: the sensor closes and opens again (active-low: to ground). */
const pass = () => { assert.ok(gpio.press(SENSOR), 'a passage, not a bounce'); clock.advance(1_000); };
const records = (from: number) => seen.slice(from);
const delivered = (r: ScanRecord) => waitFor(`${r.reason} ${r.id} at the hub`, () => hub.stored.get(r.id), 5000);

test('a green nobody passes after: annulled when the wait ends, journaled, sent to the hub and logged without personal data', async () => {
  const from = seen.length;
  const g = await green();
  clock.advance(WAIT - 1);
  assert.equal(records(from).map((r) => r.reason), ['ok'], 'nothing before the wait ends');
  clock.advance(1);
  const [, annul] = records(from);
  assert.equal({ reason: annul.reason, verdict: annul.verdict, annuls: annul.passId }, { reason: 'no-passage', verdict: 'red', annuls: g.id });
  assert.is(annul.holder, undefined);
  assert.is(passageRecordProblem(annul), undefined, 'the hub takes it');
  assert.ok(annul.id > g.id);
  // the simulated hub takes records from the journal (as the uplink does), never from memory
  assert.equal(await delivered(annul), annul, 'journaled, and at the hub as journaled');
  assert.ok(logs.some((l) => l.line === `scan ${annul.id}: red no-passage (unknown, button, 0 ms): nobody passed the gate within ${WAIT} ms of scan ${g.id}, which is annulled` && l.level === 'info'));
  assert.not.ok(logs.some((l) => l.line.includes(g.passId!) || l.line.includes(g.holder!)), 'no pass id or holder token in the log');
});

test('a green passed through within the wait: nothing annulled, nothing more journaled, no red', async () => {
  const from = seen.length;
  const n = kiosk.journal.stats.appended;
  await green();
  clock.advance(WAIT - 2_000);
  const pins = gpio.timeline.length;
  pass();
  clock.advance(WAIT * 2);
  assert.equal(records(from).map((r) => r.reason), ['ok']);
  assert.is(kiosk.journal.stats.appended, n + 1);
  assert.not.ok(gpio.timeline.slice(pins).some((c) => c.name === 'buzzer' && c.on), 'the passage itself makes no sound');
});

test('a passage with no green before it: a tailgate record, the red lamp flashes, the buzzer sounds, the gate stays shut', async () => {
  const from = seen.length;
  const pins = gpio.timeline.length;
  pass();
  const [t] = records(from);
  assert.equal({ reason: t.reason, verdict: t.verdict }, { reason: 'tailgate', verdict: 'red' });
  assert.is(t.passId, undefined);
  assert.is(passageRecordProblem(t), undefined);
  // the flashes are the signal's own timers: wait for them rather than for a time
  await waitFor('the red lamp flashing', () => gpio.timeline.slice(pins).filter((c) => c.name === 'red').length >= 4, 3000);
  const after = gpio.timeline.slice(pins);
  assert.ok(after.some((c) => c.name === 'buzzer' && c.on), 'the buzzer');
  assert.not.ok(after.some((c) => c.name === 'relay' && c.on), 'the gate stays shut');
  assert.ok(after.some((c) => c.pin === -1 && c.name === `scan ${t.id} red`), 'the signal answers this record');
  assert.equal(await delivered(t), t);
  assert.ok(logs.some((l) => l.line === `scan ${t.id}: red tailgate (unknown, button, 0 ms): someone passed the gate with no green waiting for them` && l.level === 'warn'));
});

test('a passage consumes one green: two greens then two passages are fine; one green and two passages is one tailgate', async () => {
  let from = seen.length;
  await green(); await green();
  pass(); pass();
  clock.advance(WAIT * 2);
  assert.equal(records(from).map((r) => r.reason), ['ok', 'ok']);
  from = seen.length;
  await green();
  pass(); pass();
  clock.advance(WAIT * 2);
  assert.equal(records(from).map((r) => r.reason), ['ok', 'tailgate']);
});

test('the sensor\'s bounce is one passage: a closing that bounces within debounceMs does not count as a tailgate', async () => {
  const from = seen.length;
  await green();
  gpio.drive(SENSOR, 0); gpio.drive(SENSOR, 1); gpio.drive(SENSOR, 0); gpio.drive(SENSOR, 1);
  clock.advance(WAIT * 2);
  assert.equal(records(from).map((r) => r.reason), ['ok']);
});

test('an officer\'s override nobody passes through is annulled too, with the officer on duty', async () => {
  scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => kiosk.onDuty());
  const from = seen.length;
  gpio.press(24);
  clock.advance(WAIT);
  const [o, annul] = records(from);
  assert.is(o.reason, 'override');
  assert.equal({ reason: annul.reason, annuls: annul.passId, officer: annul.officer }, { reason: 'no-passage', annuls: o.id, officer: 'CA79-00123' });
  await delivered(annul);
});

test('a red verdict waits for nothing: a passage after it is tailgating', async () => {
  const from = seen.length;
  const now = Math.floor(Date.now() / 1000);
  assert.is((await scan(w.pass({ validUntil: now - 3600, validFrom: now - 7200, issuedAt: now - 7200 }).text)).verdict.verdict, 'red');
  clock.advance(WAIT * 2);
  assert.equal(records(from).map((r) => r.reason), ['expired'], 'no annul for a red');
  pass();
  assert.equal(records(from).map((r) => r.reason), ['expired', 'tailgate']);
});

test('the officer screen says it in words, Vietnamese first then English; the hub is told the gate has a sensor', async () => {
  const annul = kiosk.history.find((v) => v.record.reason === 'no-passage')!;
  const tail = kiosk.history.find((v) => v.record.reason === 'tailgate')!;
  assert.equal((view(annul) as { message: unknown }).message, { vi: 'Không có người qua cổng sau lượt hợp lệ: lượt quét bị hủy.', en: 'Nobody passed the gate after the valid scan: the scan is cancelled.' });
  assert.equal((view(tail) as { message: unknown }).message, { vi: 'Có người qua cổng mà không có lượt hợp lệ: dừng lại, gặp cán bộ.', en: 'Someone passed the gate without a valid scan: stop and see the officer.' });
  assert.is((screenState(kiosk) as { gpio: string }).gpio, 'sim');
  assert.is(kiosk.status().passage, true);
  await waitFor('a heartbeat saying so', () => hub.statuses.some((s) => s.passage === true), 5000);
});

test('a kiosk without gate.passage waits for nothing and says nothing of a sensor', async () => {
  const g = new SimGpio(), s = new SimSource();
  const k = await buildKiosk(config('nogate', { gate: {}, hub: {} }), { gpio: g, sources: [s] }, () => {});
  assert.is(k.status().passage, undefined);
  assert.throws(() => g.press(SENSOR), /no input on BCM 25/, 'the pin is not watched');
  await k.stop();
});

test('config: gate.passage defaults (active-low, 300 ms debounce, 10 s wait); a pin another part uses is refused with both named; a payout desk has no gate', () => {
  const c = checkConfig({ kiosk: { id: 'a', area: '79' }, rootKey: 'x', gate: { passage: { pin: 25 } } }, 'kiosk.json');
  assert.equal(c.gate?.passage, { pin: 25, activeLow: true, debounceMs: 300, waitMs: 10_000 });
  assert.throws(() => checkConfig({ kiosk: { id: 'a', area: '79' }, rootKey: 'x', gate: { passage: { pin: 24 } } }, 'kiosk.json'),
    (e: Error) => e instanceof ConfigError && e.message === 'kiosk.json: gate.passage.pin 24 is already gpio.pins.button: give the passage sensor a pin of its own');
  assert.throws(() => checkConfig({ kiosk: { id: 'a', area: '79' }, rootKey: 'x', gate: { passage: { pin: 25, waitMs: 10 } } }, 'kiosk.json'), /gate\.passage\.waitMs must be >= 1000, got 10/);
  assert.throws(() => checkConfig({ kiosk: { id: 'a', area: '79/26734' }, rootKey: 'x', mode: 'payout', payout: { programme: 'ho-tro-2021' }, gate: { passage: { pin: 25 } } }, 'kiosk.json'),
    (e: Error) => e instanceof ConfigError && /gate\.passage is for a checkpoint's gate; a payout desk \(mode "payout"\) has none/.test(e.message));
});

test('chot doctor names the passage sensor\'s pin and wait, for the technician wiring it', async () => {
  const path = join(w.dir, 'doctor.json');
  writeFileSync(path, JSON.stringify({ kiosk: { id: 'booth-doc', area: '79/26734' }, rootKey: w.rootPub, stateDir: join(w.dir, 'kiosk-doc'),
    gpio: { driver: 'sim' }, gate: { passage: { pin: SENSOR, waitMs: WAIT } }, screen: { port: 1 } }));
  const g = (await doctor(path)).find((c) => c.name === 'gpio')!;
  assert.match(g.detail, /; passage sensor on BCM 25 \(closes to ground when someone passes; a green waits 8 s for it\)$/);
});

test('stopping the kiosk drops the waits: no annul is written after it has stopped', async () => {
  await green();
  const n = kiosk.journal.stats.appended;
  await kiosk.stop();
  clock.advance(WAIT * 2);
  assert.is(kiosk.journal.stats.appended, n);
});

test.run();

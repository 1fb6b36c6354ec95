// Whether the gate was passed, as a pure state machine (kiosk/src/passage.ts) with plain values and times that
// the test writes down: no clock, no timers, no pins. Then the watcher (passage-watch.ts) on the simulated GPIO
// with a clock moved by hand: the sensor's debounce and the wait's end without waiting for either.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScanIdGenerator, parseScanBatch, passageRecordProblem } from '../../protocol/src/index.js';
import { INITIAL, nextDeadline, passageRecord, step, type PassageEffect, type PassageEvent, type PassageState } from '../src/passage.js';
import { PassageWatch } from '../src/passage-watch.js';
import { SimGpio } from '../src/gpio/sim.js';
import { ManualTimers } from './manual-timers.js';

const WAIT = 10_000;

/** Runs events from the start; what came out, in order, and the state left. */
function run(events: PassageEvent[]): { effects: PassageEffect[]; state: PassageState } {
  let state = INITIAL;
  const effects: PassageEffect[] = [];
  for (const e of events) {
    const r = step(state, e, WAIT);
    state = r.state;
    effects.push(...r.effects);
  }
  return { effects, state };
}

test('a green, then its passage within the wait: passed, nothing annulled, nothing left waiting', () => {
  const r = run([{ kind: 'opened', scanId: 'A', at: 0 }, { kind: 'passage', at: 4_000 }, { kind: 'tick', at: 60_000 }]);
  assert.equal(r.effects, [{ kind: 'passed', scanId: 'A' }]);
  assert.equal(r.state.waiting, []);
  assert.is(nextDeadline(r.state), undefined);
});

test('a green nobody passed after: annulled when the wait ends, not before', () => {
  const open = step(INITIAL, { kind: 'opened', scanId: 'A', at: 1_000 }, WAIT);
  assert.equal(open.effects, []);
  assert.is(nextDeadline(open.state), 11_000, 'the kiosk is asked to look again when the wait ends');
  assert.equal(step(open.state, { kind: 'tick', at: 10_999 }, WAIT).effects, [], 'a tick before the end annuls nothing');
  const end = step(open.state, { kind: 'tick', at: 11_000 }, WAIT);
  assert.equal(end.effects, [{ kind: 'annul', scanId: 'A' }]);
  assert.is(nextDeadline(end.state), undefined);
});

test('a passage with no green before it is tailgating', () => {
  assert.equal(run([{ kind: 'passage', at: 500 }]).effects, [{ kind: 'tailgate' }]);
});

test('a passage consumes one green: two greens then two passages are both passed; one green and two passages is one tailgate', () => {
  const two = run([
    { kind: 'opened', scanId: 'A', at: 0 }, { kind: 'opened', scanId: 'B', at: 1_000 },
    { kind: 'passage', at: 2_000 }, { kind: 'passage', at: 3_000 }, { kind: 'tick', at: 30_000 },
  ]);
  assert.equal(two.effects, [{ kind: 'passed', scanId: 'A' }, { kind: 'passed', scanId: 'B' }], 'oldest first');
  const one = run([{ kind: 'opened', scanId: 'A', at: 0 }, { kind: 'passage', at: 2_000 }, { kind: 'passage', at: 2_500 }]);
  assert.equal(one.effects, [{ kind: 'passed', scanId: 'A' }, { kind: 'tailgate' }]);
});

test('a passage after the wait ended is not the green\'s: the green is annulled and the passage is tailgating, even if no timer fired between', () => {
  const r = run([{ kind: 'opened', scanId: 'A', at: 0 }, { kind: 'passage', at: WAIT + 1 }]);
  assert.equal(r.effects, [{ kind: 'annul', scanId: 'A' }, { kind: 'tailgate' }]);
});

test('two greens, one passage: the first is passed, the second annulled at its own end', () => {
  const r = run([{ kind: 'opened', scanId: 'A', at: 0 }, { kind: 'opened', scanId: 'B', at: 4_000 }, { kind: 'passage', at: 5_000 }]);
  assert.equal(r.effects, [{ kind: 'passed', scanId: 'A' }]);
  assert.is(nextDeadline(r.state), 14_000);
  assert.equal(step(r.state, { kind: 'tick', at: 14_000 }, WAIT).effects, [{ kind: 'annul', scanId: 'B' }]);
});

test('openings that end together are annulled together, oldest first', () => {
  const r = run([{ kind: 'opened', scanId: 'A', at: 0 }, { kind: 'opened', scanId: 'B', at: 0 }, { kind: 'opened', scanId: 'C', at: 500 }, { kind: 'tick', at: 20_000 }]);
  assert.equal(r.effects, [{ kind: 'annul', scanId: 'A' }, { kind: 'annul', scanId: 'B' }, { kind: 'annul', scanId: 'C' }]);
});

test('the machine never changes the state it is given (a caller may keep the old one)', () => {
  const s = step(INITIAL, { kind: 'opened', scanId: 'A', at: 0 }, WAIT).state;
  step(s, { kind: 'passage', at: 1 }, WAIT);
  assert.is(s.waiting.length, 1);
  assert.is(INITIAL.waiting.length, 0);
});

test('the records: an annul names its scan, a tailgate none; both in the hub\'s shape, with only fields a hub before them already takes', () => {
  const ids = new ScanIdGenerator();
  const green = ids.next(1_700_000_000_000);
  const clock = { synced: true, source: 'ntp' as const };
  const annul = passageRecord(ids.next(1_700_000_010_000), 1_700_000_010_000, clock, 'no-passage', green, 'CA79-0042');
  const tail = passageRecord(ids.next(1_700_000_020_000), 1_700_000_020_000, clock, 'tailgate');
  assert.equal({ ...annul, id: '' }, { id: '', at: 1_700_000_010_000, clockSynced: true, verdict: 'red', reason: 'no-passage', format: 'unknown', source: 'button', ms: 0, passId: green, officer: 'CA79-0042' });
  assert.is(tail.passId, undefined);
  for (const r of [annul, tail]) assert.is(passageRecordProblem(r), undefined, r.reason);
  // the scan record's fields before the passage sensor (issue 13's officer the newest): an older hub parses the batch
  const OLDER = ['id', 'at', 'clockSynced', 'verdict', 'reason', 'format', 'source', 'ms', 'passId', 'holder', 'category', 'override', 'officer', 'origin'];
  for (const r of [annul, tail]) assert.equal(Object.keys(r).filter((k) => !OLDER.includes(k)), [], r.reason);
  assert.ok(parseScanBatch(JSON.stringify({ v: 1, kiosk: 'gate-1', scans: [annul, tail] })).ok);
});

// ---- the watcher: the sensor through the simulated GPIO, a clock moved by hand ----------------------------------

function watcher(debounceMs = 300) {
  const clock = new ManualTimers();
  const gpio = new SimGpio(undefined, false, () => clock.now());
  const seen: string[] = [];
  const w = new PassageWatch(gpio, { pin: 25, activeLow: true, debounceMs, waitMs: WAIT }, clock);
  w.start({ annul: (id) => seen.push(`annul ${id}`), tailgate: () => seen.push('tailgate'), passed: (id) => seen.push(`passed ${id}`) });
  return { clock, gpio, seen, w };
}

test('watcher: a green with no passage is annulled when the clock reaches the wait\'s end, and only then', () => {
  const { clock, seen, w } = watcher();
  w.opened('A');
  clock.advance(WAIT - 1);
  assert.equal(seen, []);
  assert.is(w.waiting, 1);
  clock.advance(1);
  assert.equal(seen, ['annul A']);
  assert.is(w.waiting, 0);
  assert.is(clock.pending, 0, 'no timer left behind');
});

test('watcher: the sensor\'s bounce within debounceMs is one passage; the next one after it is another (here: a tailgate)', () => {
  const { clock, gpio, seen, w } = watcher(300);
  w.opened('A');
  clock.advance(2_000);
  gpio.drive(25, 0); gpio.drive(25, 1); gpio.drive(25, 0); // a contact closing with a bounce
  clock.advance(100);
  gpio.drive(25, 1); gpio.drive(25, 0); // still within 300 ms of the passage
  gpio.drive(25, 1);
  assert.equal(seen, ['passed A']);
  clock.advance(300);
  assert.ok(gpio.press(25), 'past the debounce time the sensor counts again');
  assert.equal(seen, ['passed A', 'tailgate']);
});

test('watcher: once stopped, it neither annuls nor reports passages', () => {
  const { clock, gpio, seen, w } = watcher();
  w.opened('A');
  w.stop();
  clock.advance(WAIT * 2);
  gpio.press(25);
  assert.equal(seen, []);
  assert.is(clock.pending, 0);
});

test.run();

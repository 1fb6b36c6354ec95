// Whether the gate was passed: a pure state machine, no clock, no timers, no pins. A gate opening (a green, or
// the officer's override) waits up to waitMs for a passage on the sensor; each passage takes the oldest opening
// still waiting (two greens then two passages: both passed). An opening nobody passed through in time is annulled;
// a passage with nothing waiting is tailgating. passage-watch.ts feeds it the sensor and a clock and acts on what
// it returns.

import type { PassageReason, ScanRecord } from '../../protocol/src/index.js';
import type { ClockState } from './clock.js';
import { decisionTime } from './decide.js';

export interface Waiting {
  /** the scan (or override) that opened the gate */
  scanId: string;
  /** when its wait ends: a passage at or after this is not its own */
  until: number;
}

export interface PassageState {
  /** openings waiting for a passage, oldest first */
  readonly waiting: readonly Waiting[];
}

export type PassageEvent =
  | { kind: 'opened'; scanId: string; at: number }
  | { kind: 'passage'; at: number }
  | { kind: 'tick'; at: number };

export type PassageEffect =
  | { kind: 'passed'; scanId: string }
  | { kind: 'annul'; scanId: string }
  | { kind: 'tailgate' };

export const INITIAL: PassageState = { waiting: [] };

/**
 * One event in, the next state and what to do out. Every event first annuls the openings whose wait has ended by
 * its time, so the outcome does not depend on whether a timer fired before a late passage arrived.
 */
export function step(state: PassageState, event: PassageEvent, waitMs: number): { state: PassageState; effects: PassageEffect[] } {
  const effects: PassageEffect[] = [];
  const waiting = state.waiting.filter((w) => {
    if (event.at < w.until) return true;
    effects.push({ kind: 'annul', scanId: w.scanId });
    return false;
  });
  if (event.kind === 'opened') {
    waiting.push({ scanId: event.scanId, until: event.at + waitMs });
  } else if (event.kind === 'passage') {
    const first = waiting.shift();
    effects.push(first ? { kind: 'passed', scanId: first.scanId } : { kind: 'tailgate' });
  }
  return { state: { waiting }, effects };
}

/** When the machine next needs a tick (the oldest wait's end), or undefined when nothing waits. */
export function nextDeadline(state: PassageState): number | undefined {
  let min: number | undefined;
  for (const w of state.waiting) if (min === undefined || w.until < min) min = w.until;
  return min;
}

/**
 * The record of an outcome, journaled and sent like a scan: 'no-passage' names the scan it annuls (in passId, the
 * field every hub takes: protocol/src/passage.ts), 'tailgate' names none. Red, no pass, no holder: nobody passed
 * as validated. The source is the booth's input ('button'), as for the officer's override. The hub checks the
 * shape (passageRecordProblem); the tests check that these records pass it.
 */
export function passageRecord(id: string, wall: number, clock: ClockState, reason: PassageReason, annuls?: string, officer?: string): ScanRecord {
  const r: ScanRecord = { id, at: Math.round(decisionTime(wall, clock)), clockSynced: clock.synced, verdict: 'red', reason, format: 'unknown', source: 'button', ms: 0 };
  if (annuls !== undefined) r.passId = annuls;
  if (officer) r.officer = officer;
  return r;
}

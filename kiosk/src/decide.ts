// The kiosk's decision, as a pure function: a code read, the lists held, the clock's state and the checkpoint's
// settings in; the verdict, the scan record to journal and the warnings for the officer out. No clock, disk or
// network is touched here: the kiosk gathers the inputs (kiosk.ts) and acts on the result, and the tests call it
// with plain values.
import {
  verifyQr, messageFor,
  type Category, type DccRules, type ScanRecord, type StatusList, type TrustList, type Verdict,
} from '../../protocol/src/index.js';
import type { ClockState } from './clock.js';

export type Warning = 'clock-unsynced' | 'lists-stale' | 'no-lists';

export interface DecisionInput {
  text: string;
  source: ScanRecord['source'];
  /** The scan's id (ScanIdGenerator), made by the caller so that this stays pure. */
  id: string;
  /** The officer on duty (their card's code), carried by the record. */
  officer?: string;
  /** The kiosk's wall clock, ms; the hub's offset is applied here when the clock is set from the hub. */
  wall: number;
  clock: ClockState;
  /** Age of the older list, ms; Infinity when one was never received. */
  listAgeMs: number;
  trust: TrustList;
  status: StatusList;
  checkpoint: { area: string; timeZone?: string; acceptedCategories?: string[]; maxDeclarationAgeHours?: number };
  policy: {
    unsyncedPolicy: 'check-time' | 'skip-time' | 'refuse';
    skewSeconds: number;
    maxListAgeHours: number;
    /** undefined: the built-in rules; null: none */
    dccRules?: DccRules | null;
  };
}

export interface Decision { verdict: Verdict; record: ScanRecord; warnings: Warning[] }

/** The time the kiosk decides at: its own clock, or the hub's when that is the clock's source. */
export function decisionTime(wall: number, clock: ClockState): number {
  return wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0);
}

export function decide(i: DecisionInput): Decision {
  const now = decisionTime(i.wall, i.clock);
  const warnings: Warning[] = [];
  if (!i.clock.synced) warnings.push('clock-unsynced');
  if (i.listAgeMs === Infinity) warnings.push('no-lists');
  else if (i.listAgeMs > i.policy.maxListAgeHours * 3_600_000) warnings.push('lists-stale');

  let verdict: Verdict;
  if (!i.clock.synced && i.policy.unsyncedPolicy === 'refuse') {
    verdict = { verdict: 'red', reason: 'clock-unsynced', format: 'unknown', message: messageFor('clock-unsynced'), detail: 'the kiosk clock is not synchronised and clock.unsyncedPolicy is "refuse"' };
  } else {
    const c = i.checkpoint;
    verdict = verifyQr(i.text, {
      trust: i.trust, status: i.status, now,
      checkpoint: { area: c.area, timeZone: c.timeZone, acceptedCategories: c.acceptedCategories as Category[] | undefined, maxDeclarationAgeHours: c.maxDeclarationAgeHours },
      skewSeconds: i.policy.skewSeconds, checkTime: i.clock.synced || i.policy.unsyncedPolicy === 'check-time', dccRules: i.policy.dccRules,
    });
  }
  const record: ScanRecord = {
    id: i.id, at: Math.round(now), clockSynced: i.clock.synced, verdict: verdict.verdict, reason: verdict.reason,
    format: verdict.format, source: i.source, ms: 0,
  };
  if (verdict.passId) record.passId = verdict.passId.slice(0, 128);
  if (verdict.holderToken) record.holder = verdict.holderToken;
  if (verdict.summary?.category) record.category = verdict.format === 'dcc' ? 'foreign' : verdict.summary.category;
  if (i.officer) record.officer = i.officer;
  // where the traveller comes from (the signer's province or country): the hub counts movement between provinces
  if (verdict.origin) record.origin = verdict.origin;
  return { verdict, record, warnings };
}

/** The officer's button: a green override, with no code behind it. */
export function overrideRecord(id: string, wall: number, clock: ClockState, officer?: string): ScanRecord {
  const r: ScanRecord = { id, at: Math.round(decisionTime(wall, clock)), clockSynced: clock.synced, verdict: 'green', reason: 'override', format: 'unknown', source: 'button', ms: 0, override: true };
  if (officer) r.officer = officer;
  return r;
}

/**
 * The one log line per scan: its id, verdict, reason, format, source and time taken, and the warnings. Nothing
 * that names the holder: no name, no ID digits, no holder token or pass id, and no verdict detail (it can quote
 * the pass).
 */
export function scanLine(r: ScanRecord, warnings: readonly Warning[] = []): string {
  return `scan ${r.id}: ${r.verdict} ${r.reason} (${r.format}, ${r.source}, ${r.ms} ms${warnings.length ? `; ${warnings.join(', ')}` : ''})`;
}

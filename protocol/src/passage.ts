// Passage records: what a gate with a passage sensor (kiosk gate.passage) adds to the scan records. They travel as
// scan records with a reason of their own (reasons.ts PASSAGE_REASONS) and no field a hub before them lacks, so an
// older hub still parses the batch and refuses only these records ('unknown-reason', acknowledged). The hub counts
// them (figures.ts keysOf) only when they have the shape below; this check is pure, shared by both ends.
import type { ScanRecord } from './messages.js';
import { PASSAGE_REASONS, type PassageReason } from './reasons.js';

const SCAN_ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isPassageReason(reason: string): reason is PassageReason {
  return (PASSAGE_REASONS as readonly string[]).includes(reason);
}

/** The scan a 'no-passage' record annuls (carried in passId), or undefined for any other record. */
export function annulledScanOf(r: ScanRecord): string | undefined {
  return r.reason === 'no-passage' ? r.passId : undefined;
}

/**
 * What is wrong with a passage record, in one line, or undefined when it is sound (or not a passage record). A
 * 'no-passage' record names the earlier scan it annuls; neither kind is a scanned pass, so neither carries a
 * holder, a category, an origin or the override flag, and both are red (nobody passed as validated).
 */
export function passageRecordProblem(r: ScanRecord): string | undefined {
  if (!isPassageReason(r.reason)) return undefined;
  if (r.verdict !== 'red') return `a ${r.reason} record must be red, got ${JSON.stringify(r.verdict)}`;
  // values that may be a pass id or a holder token are never quoted: this line may be logged
  for (const f of ['holder', 'category', 'origin', 'override'] as const) {
    if (r[f] !== undefined) return `a ${r.reason} record carries no ${f}, but it has one`;
  }
  if (r.reason === 'tailgate') return r.passId === undefined ? undefined : 'a tailgate record annuls no scan, but it has a passId';
  if (r.passId === undefined) return 'a no-passage record names the scan it annuls in passId, but it has none';
  if (!SCAN_ID_RE.test(r.passId)) return 'a no-passage record names the scan it annuls in passId, but that is not a scan id (26 characters, Crockford base32)';
  if (r.passId >= r.id) return `a no-passage record comes after the scan it annuls, but ${r.passId} is not before its own id ${r.id}`;
  return undefined;
}

// The payout kiosk's claim book, in the state folder (payout-claims.json, written durably before anything is sent):
// each claim's idempotency key with the citizen's holder token and what became of it. A claim is written here
// BEFORE it goes to the hub, so a kiosk that restarts, or retries after a lost reply, sends the same key again and
// learns that its own claim won; the hub never pays the same citizen twice whatever the kiosk resends.
//
// States: 'pending' (written, maybe sent, no answer yet), 'owed' (the hub said paid after the citizen's scan had
// left the screen: paid when they scan again here), 'paid' (the officer was told to pay), 'refused' (the hub said
// no, with its outcome).
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ClaimOutcome } from '../../../protocol/src/index.js';
import { writeDurable } from '../../../lib/durable-file.js';
import type { Log } from '../../../lib/log.js';

/** The file's format (its `format`): the one this version writes and the newest it reads. */
export const CLAIMS_FORMAT = 1;
export const CLAIMS_FILE = 'payout-claims.json';
/** Settled claims kept (newest first) beyond the unsettled ones: a ward's day of payouts, and then some. */
const KEEP_SETTLED = 5000;

export interface ClaimEntry {
  key: string;
  programme: string;
  holder: string;
  passId?: string;
  officer?: string;
  /** when the citizen was at the desk (the first scan), ms */
  at: number;
  /** the scan this claim answers now (a re-scan of the citizen moves it) */
  scanId: string;
  scanAt: number;
  state: 'pending' | 'owed' | 'paid' | 'refused';
  outcome?: ClaimOutcome;
  amount?: number;
  payment?: { kiosk: string; at: number };
  /** sends so far, for the log */
  sent: number;
}

interface ClaimsDoc { format: number; claims: ClaimEntry[] }

export const newClaimKey = (): string => randomBytes(16).toString('base64url');

export class ClaimBook {
  private claims: ClaimEntry[] = [];
  /** false when the file on disk is a newer version's: kept in memory, the file left alone */
  private readonly writable: boolean = true;
  readonly path: string;

  constructor(dir: string, private readonly log: Log) {
    this.path = join(dir, CLAIMS_FILE);
    if (!existsSync(this.path)) return;
    let doc: Partial<ClaimsDoc>;
    try {
      doc = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<ClaimsDoc>;
    } catch (e) {
      // written by rename, so only a damaged disk gets here. The desk goes on with an empty book rather than not at
      // all: the hub still pays nobody twice (a citizen whose claim was in it is 'already paid at this kiosk'), and
      // the damaged file is kept for the ward office to settle against the hub's payout records
      const aside = `${this.path}.damaged-${Date.now()}`;
      try { renameSync(this.path, aside); } catch { /* left where it is; the next write replaces it */ }
      this.log(`payout: ${this.path} cannot be read (${(e as Error).message}); moved to ${aside} and started an empty claim book: check its claims against the hub's payouts for this kiosk (/api/payouts.csv)`, 'error');
      return;
    }
    const format = doc.format ?? 1;
    if (!Number.isInteger(format) || format > CLAIMS_FORMAT) {
      this.writable = false;
      this.log(`payout: ${this.path} is in format ${JSON.stringify(format)}, which this version does not read (it reads ${CLAIMS_FORMAT}): left as it is; new claims are kept in memory until the version that wrote it runs again (chot release rollout)`, 'warn');
      return;
    }
    this.claims = Array.isArray(doc.claims) ? doc.claims : [];
  }

  private save(): void {
    if (!this.writable) return;
    const unsettled = this.claims.filter((c) => c.state === 'pending' || c.state === 'owed');
    const settled = this.claims.filter((c) => c.state === 'paid' || c.state === 'refused');
    if (settled.length > KEEP_SETTLED) this.claims = [...unsettled, ...settled.slice(-KEEP_SETTLED)];
    writeDurable(this.path, JSON.stringify({ format: CLAIMS_FORMAT, claims: this.claims } satisfies ClaimsDoc));
  }

  /** The newest claim for this citizen under this programme, if any. */
  latest(programme: string, holder: string): ClaimEntry | undefined {
    for (let i = this.claims.length - 1; i >= 0; i--) if (this.claims[i].programme === programme && this.claims[i].holder === holder) return this.claims[i];
    return undefined;
  }

  byKey(key: string): ClaimEntry | undefined {
    return this.claims.find((c) => c.key === key);
  }

  /** Written to disk before the caller sends it. */
  add(c: Omit<ClaimEntry, 'state' | 'sent'>): ClaimEntry {
    const e: ClaimEntry = { ...c, state: 'pending', sent: 0 };
    this.claims.push(e);
    this.save();
    return e;
  }

  /** Records a change to a claim (a re-scan moving it, an answer), on disk before the screen shows it. */
  update(e: ClaimEntry, change: Partial<ClaimEntry>): void {
    Object.assign(e, change);
    this.save();
  }

  unsettled(): ClaimEntry[] {
    return this.claims.filter((c) => c.state === 'pending');
  }

  counts(): { pending: number; owed: number; paid: number } {
    let pending = 0, owed = 0, paid = 0;
    for (const c of this.claims) { if (c.state === 'pending') pending++; else if (c.state === 'owed') owed++; else if (c.state === 'paid') paid++; }
    return { pending, owed, paid };
  }
}

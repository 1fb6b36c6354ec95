// The way in for scans, as small steps in series: parse the batch, admit each scan, place it on its day, commit,
// acknowledge, notify. The broker calls it once it has authorised the kiosk for its own scans topic, and sends the
// MQTT PUBACK only when `batch` resolves: a commit that fails rejects, so the kiosk keeps its scans and sends them
// again. While the store is down every batch is refused at once and a probe watches for its return.
import { CATEGORIES, REASONS, decodeScanIdTime, parseScanBatch, passageRecordProblem, type ScanRecord } from '../../protocol/src/index.js';
import { placeScan } from './figures.js';
import { StoreUnavailable, type HubStore, type StoredScan } from './store/port.js';

// reasons and categories are counter keys: only the known ones get in
const KNOWN_REASONS = new Set<string>([...Object.keys(REASONS), 'override']);
const KNOWN_CATEGORIES = new Set<string>(CATEGORIES);
/** how far a synchronised kiosk clock may run ahead of the hub's */
const FUTURE_SKEW_MS = 86_400_000;

export type Refusal = 'time-out-of-range' | 'unknown-reason' | 'unknown-category' | 'bad-passage-record';

/** Whether the hub takes one scan, and if not why (pure: tested with plain values). */
export function admitScan(s: ScanRecord, now: number, retentionDays: number): Refusal | undefined {
  if (!KNOWN_REASONS.has(s.reason)) return 'unknown-reason';
  if (s.category !== undefined && !KNOWN_CATEGORIES.has(s.category)) return 'unknown-category';
  // a gate's passage record (an annul, a tailgate) counts apart from the scans: only in its own shape
  if (passageRecordProblem(s)) return 'bad-passage-record';
  if (s.clockSynced) {
    // a synchronised clock's scan counts on its own day, and its id (which begins with its time) picks its
    // partition: both must lie between the oldest day kept and a day ahead
    const oldest = now - (retentionDays + 1) * 86_400_000, newest = now + FUTURE_SKEW_MS;
    const idAt = decodeScanIdTime(s.id) ?? -1;
    if (s.at < oldest || s.at > newest || idAt < oldest || idAt > newest) return 'time-out-of-range';
  }
  return undefined;
}

export interface IngestStats {
  batches: number;
  scansIn: number;
  stored: number;
  duplicates: number;
  rejectedBatches: number;
  refused: Map<Refusal, number>;
  failedCommits: number;
}

export interface IngestOptions {
  store: HubStore;
  timeZone: string;
  retentionDays: number;
  log: (line: string, level?: 'info' | 'warn' | 'error') => void;
  /** sends the application acknowledgement (the ids the kiosk may forget) */
  ack: (kiosk: string, ids: string[]) => void;
  /** told of every commit that stored something (live counters) */
  stored?: (kiosk: string, n: number) => void;
  /** told of every committed batch's scans, redeliveries included (clone detection: idempotent) */
  committed?: (scans: StoredScan[]) => void;
  now?: () => number;
}

export class Ingest {
  readonly stats: IngestStats = { batches: 0, scansIn: 0, stored: 0, duplicates: 0, rejectedBatches: 0, refused: new Map(), failedCommits: 0 };
  /** false from a failed commit until the store answers again */
  available = true;
  lastError: string | null = null;
  private probe: NodeJS.Timeout | null = null;
  private readonly inflight = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: IngestOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * One MQTT message from a kiosk's scans topic. Resolves 'ok' once the scans are committed and acknowledged,
   * 'rejected' for a message that is not a batch (never stored, never retried by an honest kiosk); rejects when
   * nothing may be acknowledged (store down, too many batches in flight).
   */
  async batch(kiosk: string, payload: Buffer): Promise<'ok' | 'rejected'> {
    // parse
    const parsed = parseScanBatch(payload);
    if (!parsed.ok || parsed.value.kiosk !== kiosk) {
      this.stats.rejectedBatches++;
      this.o.log(`ingest: rejected a message from kiosk ${kiosk}: ${parsed.ok ? `it names kiosk ${JSON.stringify(parsed.value.kiosk)}` : JSON.stringify(parsed.error.slice(0, 200))}`, 'warn');
      return 'rejected';
    }
    if (!this.available) throw new StoreUnavailable(`the store is unavailable (${this.lastError}): not acknowledging`);
    const n = this.inflight.get(kiosk) ?? 0;
    // a kiosk keeps at most 8 batches in flight (uplink.ts): twice that is not a kiosk
    if (n >= 16) throw new Error(`kiosk ${kiosk} has ${n} batches in flight already`);
    this.inflight.set(kiosk, n + 1);
    try {
      return await this.commit(kiosk, parsed.value.scans);
    } finally {
      const left = (this.inflight.get(kiosk) ?? 1) - 1;
      if (left) this.inflight.set(kiosk, left); else this.inflight.delete(kiosk);
    }
  }

  private async commit(kiosk: string, scans: ScanRecord[]): Promise<'ok'> {
    this.stats.batches++;
    this.stats.scansIn += scans.length;
    // admit and place
    const rx = this.now();
    const take: StoredScan[] = [];
    const refused = new Map<Refusal, number>();
    for (const s of scans) {
      const why = admitScan(s, rx, this.o.retentionDays);
      if (why) { refused.set(why, (refused.get(why) ?? 0) + 1); continue; }
      const where = placeScan(s, rx, this.o.timeZone);
      const t = s as StoredScan; // the parsed record is ours alone: completed in place rather than copied
      t.k = kiosk; t.rx = rx; t.day = where.day; t.hour = where.hour;
      take.push(t);
    }
    if (refused.size) {
      for (const [why, c] of refused) this.stats.refused.set(why, (this.stats.refused.get(why) ?? 0) + c);
      this.o.log(`ingest: refused ${[...refused].map(([w, c]) => `${c} ${w}`).join(', ')} of ${scans.length} scans from kiosk ${kiosk} (acknowledged so the kiosk stops sending them; check its clock and version)`, 'warn');
    }
    // commit
    if (take.length) {
      let r;
      try {
        r = await this.o.store.ingest(take);
      } catch (e) {
        this.stats.failedCommits++;
        if (e instanceof StoreUnavailable) this.down(e.message);
        else this.o.log(`ingest: could not store ${take.length} scans from kiosk ${kiosk}: ${(e as Error).message}: not acknowledged, the kiosk will send them again`, 'error');
        throw e;
      }
      this.stats.stored += r.stored;
      this.stats.duplicates += r.duplicates;
      // notify
      if (r.stored) this.o.stored?.(kiosk, r.stored);
      this.o.committed?.(take);
    }
    // acknowledge: every id of the batch, refused ones too (they can never be taken)
    this.o.ack(kiosk, scans.map((s) => s.id));
    return 'ok';
  }

  /** The store failed: stop acknowledging, say so once, and probe it until it answers. */
  down(why: string): void {
    if (this.available) this.o.log(`ingest: the store is unavailable: ${why}; scans are not acknowledged until it is back (kiosks keep them)`, 'error');
    this.available = false;
    this.lastError = why;
    if (this.probe) return;
    // one ping at a time, the next a second after the last answered: a ping that hangs (a server that does not
    // answer) must not be joined by another every second
    const again = () => {
      this.probe = setTimeout(() => {
        this.o.store.ping().then(() => {
          if (!this.probe) return; // stopped meanwhile
          this.probe = null;
          this.available = true;
          this.lastError = null;
          this.o.log('ingest: the store is back: acknowledging scans again', 'warn');
        }, (e: Error) => { this.lastError = e.message; if (this.probe) again(); });
      }, 1000);
    };
    again();
  }

  stop(): void {
    if (this.probe) clearTimeout(this.probe);
    this.probe = null;
  }
}

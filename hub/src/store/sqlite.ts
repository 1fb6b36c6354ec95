// The embedded store of record: one SQLite file (better-sqlite3, WAL), written by a worker thread
// (sqlite-worker.ts says why). A worker that dies, or a database that cannot be opened (a full or read-only disk),
// fails the calls under way with StoreUnavailable; the next call starts a new worker, so the hub resumes by itself
// once the disk is back.
import { Worker } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CloneAlert, Sighting } from '../clones.js';
import type { Programme } from '../../../protocol/src/index.js';
import type { HealthChange, HealthFigures } from '../health.js';
import { scanValues } from './scan-row.js';
import { StoreUnavailable, type ClaimDecision, type PayoutClaim, type PayoutWardRow, type AlertRow, type Account, type CounterRow, type Device, type HubProcessRow, type HubStore, type IngestResult, type KioskStatusRow, type StoredScan } from './port.js';

const WORKER = new URL('./sqlite-worker.js', import.meta.url);

export class SqliteStore implements HubStore {
  readonly describe: string;
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 1;
  private closed = false;

  constructor(readonly path: string, private readonly log: (l: string) => void) {
    if (!path) throw new Error('the SQLite store needs a file path (store.path in the hub config)');
    this.describe = `sqlite ${path}`;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o750 });
    const w = new Worker(WORKER, { workerData: { path: this.path } });
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        if (this.worker !== w) return;
        this.worker = null;
        this.ready = null;
        const e = new StoreUnavailable(`${this.describe}: ${why}`);
        for (const c of this.calls.values()) c.reject(e);
        this.calls.clear();
        reject(e);
      };
      w.on('message', (m: { id: number; value?: unknown; error?: { message: string; code?: string } }) => {
        if (m.id === 0) return resolve();
        const c = this.calls.get(m.id);
        if (!c) return;
        this.calls.delete(m.id);
        if (m.error) c.reject(toError(this.describe, m.error)); else c.resolve(m.value);
      });
      w.on('error', (e) => fail(`the database worker failed: ${e.message}`));
      w.on('exit', (code) => { if (!this.closed) fail(`the database worker stopped (exit ${code})`); });
    });
    this.ready.catch(() => {});
    return this.ready;
  }

  private async call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closed) throw new StoreUnavailable(`${this.describe} is closed`);
    await this.start();
    const w = this.worker!;
    return new Promise<T>((resolve, reject) => {
      const id = this.next++;
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ id, op, args });
    });
  }

  async open(): Promise<void> { await this.start(); }
  ingest(scans: StoredScan[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      if (!this.group.length) this.groupTimer = setImmediate(() => this.postGroup());
      this.group.push({ scans, resolve, reject });
      // a busy turn of the event loop (thousands of kiosks sending at once) must not keep the writer waiting for
      // its end: a group goes as soon as it is this large
      if (this.group.length >= GROUP_BATCHES) this.postGroup();
    });
  }

  private group: Array<{ scans: StoredScan[]; resolve: (r: IngestResult) => void; reject: (e: Error) => void }> = [];
  private groupTimer: NodeJS.Immediate | null = null;

  /** Every batch of this turn of the event loop in one message to the worker (which commits them in one
   * transaction anyway), the scans as one flat array of column values and the batches' sizes: one message of
   * plain values instead of one per batch with an object per scan (postMessage was the main thread's largest
   * item in bench:hub's profile after the socket writes). */
  private postGroup(): void {
    if (this.groupTimer) clearImmediate(this.groupTimer);
    this.groupTimer = null;
    const group = this.group;
    this.group = [];
    const values: unknown[] = [], sizes: number[] = [];
    for (const g of group) {
      for (const s of g.scans) values.push(...scanValues(s, flag));
      sizes.push(g.scans.length);
    }
    this.call<IngestResult[]>('ingest', values, sizes).then((r) => group.forEach((g, i) => g.resolve(r[i])), (e: Error) => { for (const g of group) g.reject(e); });
  }

  counters(from: string, to: string): Promise<CounterRow[]> { return this.call('counters', from, to); }
  totals(day: string, keys: string[]): Promise<Record<string, number>> { return this.call('totals', day, keys); }
  recount(day: string): Promise<Array<{ checkpoint: string; key: string; was: number; now: number }>> { return this.call('recount', day); }
  prune(beforeDay: string): Promise<number> { return this.call('prune', beforeDay); }
  scansOfDay(day: string): Promise<StoredScan[]> { return this.call('scansOfDay', day); }
  scanCount(): Promise<number> { return this.call('scanCount'); }
  days(): Promise<string[]> { return this.call('days'); }
  devices(): Promise<Device[]> { return this.call('devices'); }
  putDevice(d: Device): Promise<void> { return this.call('putDevice', d); }
  accounts(): Promise<Account[]> { return this.call('accounts'); }
  putAccount(a: Account): Promise<void> { return this.call('putAccount', a); }
  registryVersion(): Promise<number> { return this.call('registryVersion'); }
  putKioskStatuses(rows: KioskStatusRow[]): Promise<void> { return this.call('putKioskStatuses', rows); }
  kioskStatuses(): Promise<KioskStatusRow[]> { return this.call('kioskStatuses'); }
  heartbeat(row: HubProcessRow, since: number): Promise<HubProcessRow[]> { return this.call('heartbeat', row, since); }
  sightings(holders: string[]): Promise<Sighting[]> { return this.call('sightings', holders); }
  putSightings(rows: Sighting[]): Promise<void> { return this.call('putSightings', rows); }
  addAlerts(alerts: CloneAlert[]): Promise<number> { return this.call('addAlerts', alerts); }
  alerts(limit: number): Promise<AlertRow[]> { return this.call('alerts', limit); }
  decideAlert(id: number, status: 'revoke' | 'dismissed', by: string): Promise<AlertRow | undefined> { return this.call('decideAlert', id, status, by); }
  revokeDecisions(): Promise<string[]> { return this.call('revokeDecisions'); }
  putProgramme(p: Programme, eligible: Array<{ holder: string; ward: string }>): Promise<void> { return this.call('putProgramme', p, eligible); }
  programmes(): Promise<Programme[]> { return this.call('programmes'); }
  claim(c: PayoutClaim): Promise<ClaimDecision> { return this.call('claim', c); }
  payoutFigures(programme: string): Promise<PayoutWardRow[]> { return this.call('payoutFigures', programme); }
  applyHealth(day: string, changes: HealthChange[], version: number, complete: boolean): Promise<{ changed: number }> { return this.call('applyHealth', day, changes, version, complete); }
  healthFigures(from: string, to: string): Promise<HealthFigures> { return this.call('healthFigures', from, to); }
  getMeta(key: string): Promise<string | undefined> { return this.call('getMeta', key); }
  setMeta(key: string, value: string): Promise<void> { return this.call('setMeta', key, value); }
  ping(): Promise<void> { return this.call('ping'); }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.worker) { try { await this.call('close'); } catch { /* already gone */ } }
    this.closed = true;
    await this.worker?.terminate();
    this.worker = null;
    this.log(`store: ${this.describe} closed`);
  }
}

const flag = (b: boolean) => (b ? 1 : 0);
/** batches per message to the writer at most */
const GROUP_BATCHES = 16;

// SQLite's codes for a disk that is full, read-only, failing or busy: the store is unavailable, not the data wrong
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL|NOLFS|CORRUPT|NOTADB)/;
function toError(where: string, e: { message: string; code?: string }): Error {
  if (e.code && UNAVAILABLE.test(e.code)) return new StoreUnavailable(`${where}: ${e.message} (${e.code})`);
  return Object.assign(new Error(`${where}: ${e.message}`), { code: e.code });
}

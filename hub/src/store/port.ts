// The hub's store of record, as a port: scans, figures, devices and accounts. Two backends implement it (SQLite,
// the embedded default; PostgreSQL, for a national hub), and both pass one contract suite (hub/test/store-contract.ts).
// Exactly-once is the database's job: a scan's key is (kiosk, scan id), inserted with ON CONFLICT DO NOTHING, and
// the figures are updated in the same transaction from the rows that were actually inserted.
import type { ClaimOutcome, Programme, ScanRecord } from '../../../protocol/src/index.js';
import type { CloneAlert, Sighting } from '../clones.js';
import type { HealthChange, HealthFigures } from '../health.js';

/** A scan as the hub keeps it: the kiosk's record, who sent it, when it arrived and where it counts. */
export interface StoredScan extends ScanRecord {
  /** the kiosk that sent it */
  k: string;
  /** hub arrival time, ms */
  rx: number;
  /** the local day it counts on: scan time, or arrival for a kiosk whose clock was not synchronised */
  day: string;
  /** the local hour (0–23) it counts in, by the same rule */
  hour: number;
}

export interface IngestResult {
  /** scans inserted now (first delivery) */
  stored: number;
  /** scans the store already had (a redelivery): acknowledged again, counted once */
  duplicates: number;
}

/** One figure counter: `n` of `key` for a checkpoint on a day (keys: see figures.ts `counterKeys`). */
export interface CounterRow { day: string; checkpoint: string; key: string; n: number }

export interface Device {
  id: string;
  area: string;
  /** h1$salt$hmac (a random kiosk secret) or scrypt$… (imported from the file-based hub) */
  secret: string;
  createdAt: string;
  revokedAt?: string;
  /** one-time enrolment token hash and expiry (see chot kiosk enrol) */
  enrolment?: { tokenHash: string; expiresAt: string; usedAt?: string };
  /** the checkpoint this booth belongs to (booths of one site never raise a clone alert between them); default: id */
  site?: string;
  /** where the checkpoint is, decimal degrees (chot device add --at LAT,LON): clone detection needs it */
  location?: { lat: number; lon: number };
}

export interface PayoutClaim { programme: string; holder: string; ward: string; kiosk: string; key: string; at: number; officer?: string; passId?: string; now: number }
export interface ClaimDecision { outcome: ClaimOutcome; amount?: number; payment?: { kiosk: string; at: number }; /** other-ward: where the citizen is registered */ ward?: string }
export interface PayoutWardRow { ward: string; eligible: number; paid: number; amount: number; refused: Record<string, number> }

/** A suspected clone as the store keeps it, with what an operator decided. */
export interface AlertRow {
  id: number; holder: string; passId: string | null;
  firstKiosk: string; firstAt: number; firstScan: string; secondKiosk: string; secondAt: number; secondScan: string;
  km: number; kmh: number | null; status: 'open' | 'revoke' | 'dismissed'; createdAt: number; decidedBy: string | null;
}

/** A kiosk's last status as some hub process received it (the fleet page, across hub processes). */
export interface KioskStatusRow { kiosk: string; status: string; seenAt: number }

/** A hub process that is alive: it writes this every few seconds. */
export interface HubProcessRow { id: string; info: string; startedAt: number; seenAt: number }

export interface Account {
  name: string;
  role: 'operator' | 'service';
  secret: string;
  createdAt: string;
}

/** Raised when the database cannot take a write or answer a read: the hub acknowledges nothing while it lasts. */
export class StoreUnavailable extends Error {
  constructor(message: string, override readonly cause?: unknown) { super(message); }
}

export interface HubStore {
  /** "sqlite FILE" or "postgresql HOST/DB", for logs and /healthz */
  readonly describe: string;
  /** Creates or upgrades the schema. */
  open(): Promise<void>;
  /** Inserts the scans not stored before and adds them to the figures, in one durable transaction. Rejects (and
   * has stored nothing of the batch) when the commit fails: the caller must then not acknowledge. */
  ingest(scans: StoredScan[]): Promise<IngestResult>;
  /** Figure counters summed over an inclusive range of days, one row per (checkpoint, key); `day` is `from`. */
  counters(from: string, to: string): Promise<CounterRow[]>;
  /** Nationwide totals of a few keys for one day (the dashboard's live counter). */
  totals(day: string, keys: string[]): Promise<Record<string, number>>;
  /** Rebuilds one day's figures from its raw scans; returns every counter that changed (was → now). */
  recount(day: string): Promise<Array<{ checkpoint: string; key: string; was: number; now: number }>>;
  /** Deletes raw scans that count on days before `day` (figures stay). Returns how many went. */
  prune(beforeDay: string): Promise<number>;
  /** Raw scans of one day, in id order (export, tests, recount). */
  scansOfDay(day: string): Promise<StoredScan[]>;
  /** How many raw scans are kept. */
  scanCount(): Promise<number>;
  /** Days that have figures. */
  days(): Promise<string[]>;

  devices(): Promise<Device[]>;
  putDevice(d: Device): Promise<void>;
  accounts(): Promise<Account[]>;
  putAccount(a: Account): Promise<void>;
  /** Bumped by every device or account write, from any process: the running hub polls it. */
  registryVersion(): Promise<number>;

  /** Saves kiosks' last statuses (one transaction for many). */
  putKioskStatuses(rows: KioskStatusRow[]): Promise<void>;
  kioskStatuses(): Promise<KioskStatusRow[]>;
  /** This hub process is alive; returns every process seen since `since`. */
  heartbeat(row: HubProcessRow, since: number): Promise<HubProcessRow[]>;

  /** The last sighting of each of these holders (clone detection). */
  sightings(holders: string[]): Promise<Sighting[]>;
  /** Records sightings; a holder's row moves only to a later scan. */
  putSightings(rows: Sighting[]): Promise<void>;
  /** Adds suspected clones; the same pair of scans is one alert however often it is found. Returns how many are new. */
  addAlerts(alerts: CloneAlert[]): Promise<number>;
  /** Alerts, newest first (at most `limit`). */
  alerts(limit: number): Promise<AlertRow[]>;
  /** An operator's decision on an alert: revoke the pass (in the next status list) or dismiss. */
  decideAlert(id: number, status: 'revoke' | 'dismissed', by: string): Promise<AlertRow | undefined>;
  /** The pass ids (a chot pass's hex id, a DCC's UCI) of every alert an operator decided to revoke: the next
   *  status list revokes them (chot status import). */
  revokeDecisions(): Promise<string[]>;

  /** A support programme and who is eligible where: the eligibility is replaced as a whole (a new version). */
  putProgramme(p: Programme, eligible: Array<{ holder: string; ward: string }>): Promise<void>;
  programmes(): Promise<Programme[]>;
  /** One claim, decided in one transaction: the first claim for (programme, holder) anywhere wins; a retry with the
   * winner's key learns it won; any other claim is refused with where and when the payment was made. */
  claim(c: PayoutClaim): Promise<ClaimDecision>;
  /** Per ward of a programme: eligible, paid, amount paid, refusals by outcome. */
  payoutFigures(programme: string): Promise<PayoutWardRow[]>;

  /** The health authority's changes (health.ts): each holder's state F0–F3 (or cleared) and registered area, applied
   * in one transaction to the holders' rows, the current count per area and state, and `day`'s changes; records
   * `version`, the signed status list they belong to (meta `health.version`). `complete`: the changes name everyone
   * in a state, and every other holder is cleared. Setting a holder to what it is already changes nothing, so an
   * import run twice counts once. */
  applyHealth(day: string, changes: HealthChange[], version: number, complete: boolean): Promise<{ changed: number }>;
  /** The current counts per area and state, the changes summed over the days from..to, and the list version. */
  healthFigures(from: string, to: string): Promise<HealthFigures>;

  /** A named flag or value that survives restarts (file-store import done, schema notes). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  /** Throws StoreUnavailable when the database cannot be reached or written. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreConfig {
  kind: 'sqlite' | 'postgres';
  /** sqlite: the database file */
  path?: string;
  /** postgres: a connection string (postgres://user@host:port/db); the password from PGPASSWORD or a file */
  url?: string;
  timeZone: string;
}

/** Builds the configured backend. Imported lazily so that a SQLite hub never loads the PostgreSQL driver. */
export async function openStore(c: StoreConfig, log: (l: string) => void): Promise<HubStore> {
  const store = c.kind === 'postgres'
    ? new (await import('./postgres.js')).PostgresStore(c.url ?? '', c.timeZone, log)
    : new (await import('./sqlite.js')).SqliteStore(c.path ?? '', log);
  await store.open();
  return store;
}

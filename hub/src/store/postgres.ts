// The national store of record: PostgreSQL (15 or later) through node-postgres (`pg`: the most deployed pure-JS
// driver, with a pool and LISTEN/NOTIFY, which hub scale-out needs). Scans from synchronised kiosks are
// partitioned by local day on their scan id (the id begins with its millisecond time, so a range of ids is a range
// of time), which keeps (kiosk, id) the primary key across every day and lets retention drop a whole partition.
// Scans from kiosks whose clock was not synchronised can carry any time: they go to one plain table, pruned by day.
import pg from 'pg';
import { decodeScanIdTime, localDay, utcOffsetMinutes } from '../../../protocol/src/index.js';
import { counterDeltas, countersFromGroups } from '../figures.js';
import { recountSql, toShape, type GroupRow } from './recount-sql.js';
import { ADDED_SCAN_COLUMNS, SCAN_COLUMNS, SCAN_COLUMN_NAMES, alertFromRow, scanFromRow, scanValues, type AlertDbRow, type ScanDbRow } from './scan-row.js';
import { planHealth, type AreaLevel, type HealthChange, type HealthCode, type HealthFigures, type HolderHealth } from '../health.js';
import type { CloneAlert, Sighting } from '../clones.js';
import type { Programme } from '../../../protocol/src/index.js';
import { StoreUnavailable, type ClaimDecision, type PayoutClaim, type PayoutWardRow, type AlertRow, type Account, type CounterRow, type Device, type HubProcessRow, type HubStore, type IngestResult, type KioskStatusRow, type StoredScan } from './port.js';

const SCAN_TABLE = SCAN_COLUMNS.map(([name, , decl]) => `${name} ${decl}`).join(', ');
/** One scan's columns out of a JSON array of its values (scanValues' order), each as its column's type. */
const ROW_FIELDS = SCAN_COLUMNS.map(([, , , t], i) => `(r->>${i})::${t}`).join(', ');
const keep = (b: boolean) => b;

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function idPrefix(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) { out = B32[ms % 32] + out; ms = Math.floor(ms / 32); }
  return out;
}

/** The instant local midnight begins `day` in `tz`. */
export function dayStartMs(day: string, tz: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let t = utcMidnight - utcOffsetMinutes(utcMidnight, tz) * 60_000;
  t = utcMidnight - utcOffsetMinutes(t, tz) * 60_000; // once more, for a zone whose offset changes that day
  return t;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

// connection lost, server shutting down, cannot connect, disk full, read-only: unavailable, retry later
const UNAVAILABLE_CODES = /^(08|53|57P0|58|XX|25006)/;
function wrap(where: string, e: unknown): Error {
  const err = e as Error & { code?: string };
  if (err instanceof StoreUnavailable) return err;
  if (!err.code || UNAVAILABLE_CODES.test(err.code) || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|terminat|timeout|Connection/i.test(err.message)) {
    return new StoreUnavailable(`${where}: ${err.message}${err.code ? ` (${err.code})` : ''}`, e);
  }
  return Object.assign(new Error(`${where}: ${err.message} (${err.code})`), { code: err.code });
}


/** How long opening a connection (TCP, start-up, authentication) may take before the server counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 20_000;

/** A client whose handshake is limited, unlike the wait for a pooled one (pg-pool uses one option for both). */
class HandshakeLimitedClient extends pg.Client {
  constructor(config?: pg.ClientConfig) { super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }); }
}

export class PostgresStore implements HubStore {
  readonly describe: string;
  private readonly pool: pg.Pool;
  private readonly partitions = new Set<string>();
  private queue: Array<{ scans: StoredScan[]; resolve: (r: IngestResult) => void; reject: (e: Error) => void }> = [];
  private flushing = 0;

  constructor(url: string, private readonly timeZone: string, private readonly log: (l: string) => void) {
    if (!url) throw new Error('the PostgreSQL store needs a connection string (store.url in the hub config)');
    const u = new URL(url);
    this.describe = `postgresql ${u.hostname}:${u.port || 5432}${u.pathname}`;
    // Waiting for a pooled connection has no time limit: the queue in front of the 8 connections is the hub's own
    // backpressure (every kiosk's batches, statuses, sightings, heartbeats), and a limit on it turned a busy hub
    // into a 'store down' one that refused every kiosk (bench:hub, PostgreSQL at 10,000 connections). Only the
    // opening of a new connection has a limit, long enough that a hub whose event loop is busy with 10,000 kiosks
    // does not time out a handshake the server answered (3 s did); a server that cannot be reached still fails
    // at once (refused, reset) or after it. Four connections stay open between bursts (one per group commit in
    // flight), so a burst after a quiet minute needs no handshake first.
    this.pool = new pg.Pool({ connectionString: url, max: 8, min: 4, idleTimeoutMillis: 30_000, keepAlive: true, Client: HandshakeLimitedClient });
    // an idle connection that the server closed (a restart) must not crash the hub: the pool replaces it
    this.pool.on('error', (e) => this.log(`store: ${this.describe}: an idle connection failed: ${e.message}`));
    // and every connection gets a listener of its own: a server that shuts down ends each one with an 'error'
    // event, which Node turns into a crash where nobody listens; the query that used it fails and is retried
    this.pool.on('connect', (c) => c.on('error', () => {}));
  }

  private async q<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<T>> {
    try { return await this.pool.query<T>(sql, params); } catch (e) { throw wrap(this.describe, e); }
  }

  async open(): Promise<void> {
    await this.q(`
CREATE TABLE IF NOT EXISTS scans (${SCAN_TABLE}, PRIMARY KEY (kiosk, id)) PARTITION BY RANGE (id);
CREATE TABLE IF NOT EXISTS scans_offclock (${SCAN_TABLE}, PRIMARY KEY (kiosk, id));
CREATE INDEX IF NOT EXISTS scans_offclock_day ON scans_offclock (day);
CREATE TABLE IF NOT EXISTS counters (day text NOT NULL, checkpoint text NOT NULL, key text NOT NULL, n bigint NOT NULL, PRIMARY KEY (day, checkpoint, key));
CREATE TABLE IF NOT EXISTS devices (id text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (name text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS kiosk_status (kiosk text PRIMARY KEY, status text NOT NULL, seen_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS sightings (holder text PRIMARY KEY, pass_id text, kiosk text NOT NULL, at bigint NOT NULL, scan_id text NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id bigserial PRIMARY KEY, holder text NOT NULL, pass_id text, first_kiosk text NOT NULL, first_at bigint NOT NULL, first_scan text NOT NULL,
  second_kiosk text NOT NULL, second_at bigint NOT NULL, second_scan text NOT NULL, km double precision NOT NULL, kmh double precision, status text NOT NULL,
  created_at bigint NOT NULL, decided_by text, UNIQUE (first_scan, second_scan));
CREATE TABLE IF NOT EXISTS programmes (id text PRIMARY KEY, doc jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS eligible (programme text NOT NULL, holder text NOT NULL, ward text NOT NULL, PRIMARY KEY (programme, holder));
CREATE TABLE IF NOT EXISTS payouts (programme text NOT NULL, holder text NOT NULL, ward text NOT NULL, kiosk text NOT NULL, claim_key text NOT NULL,
  at bigint NOT NULL, amount bigint NOT NULL, officer text, pass_id text, committed_at bigint NOT NULL, PRIMARY KEY (programme, holder));
CREATE TABLE IF NOT EXISTS payout_refusals (programme text NOT NULL, ward text NOT NULL, outcome text NOT NULL, n bigint NOT NULL, PRIMARY KEY (programme, ward, outcome));
CREATE TABLE IF NOT EXISTS hub_processes (id text PRIMARY KEY, info text NOT NULL, started_at bigint NOT NULL, seen_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS health_holders (holder text PRIMARY KEY, state text NOT NULL, area text NOT NULL);
CREATE TABLE IF NOT EXISTS health_counts (level text NOT NULL, area text NOT NULL, state text NOT NULL, n bigint NOT NULL, PRIMARY KEY (level, area, state));
CREATE TABLE IF NOT EXISTS health_changes (day text NOT NULL, level text NOT NULL, area text NOT NULL, key text NOT NULL, n bigint NOT NULL, PRIMARY KEY (day, level, area, key));
-- a database made before scans carried their origin (issue 17) or officer (issue 13): each column, on every
-- partition, empty for the scans it has; looked up first, so a hub starting beside busy ones takes no table lock
-- when the column is there
DO $$ BEGIN
${ADDED_SCAN_COLUMNS.flatMap((c) => ['scans', 'scans_offclock'].map((t) => `  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${t}' AND column_name = '${c}') THEN
    ALTER TABLE ${t} ADD COLUMN ${c} text; END IF;`)).join('\n')}
END $$;`).catch((e: Error & { code?: string }) => {
      // two hub processes creating the schema at once: the loser sees a unique violation on the catalogue
      if (e.code !== '23505' && e.code !== '42P07') throw e;
    });
    const r = await this.q<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'scans'`);
    for (const row of r.rows) this.partitions.add(row.name);
  }

  private partitionName(day: string): string { return `scans_p${day.replace(/-/g, '')}`; }

  /** The day partition a synchronised scan's id falls in, created on first use. */
  private async ensurePartition(day: string): Promise<void> {
    const name = this.partitionName(day);
    if (this.partitions.has(name)) return;
    const from = idPrefix(dayStartMs(day, this.timeZone)) + '0'.repeat(16);
    const to = idPrefix(dayStartMs(nextDay(day), this.timeZone)) + '0'.repeat(16);
    try {
      await this.pool.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF scans FOR VALUES FROM ('${from}') TO ('${to}')`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== '42P07' && code !== '23505') throw wrap(this.describe, e); // another hub made it first: fine
    }
    this.partitions.add(name);
  }

  ingest(scans: StoredScan[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ scans, resolve, reject });
      this.kick();
    });
  }

  // group commit: up to 4 transactions in flight, each taking every batch queued when it starts
  private kick(): void {
    while (this.queue.length && this.flushing < 4) {
      const group = this.queue.splice(0, 64);
      this.flushing++;
      void this.commitGroup(group).finally(() => { this.flushing--; this.kick(); }); // commitGroup settles every batch itself and never rejects
    }
  }

  private async commitGroup(group: typeof this.queue): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.transaction(group.map((g) => g.scans));
        group.forEach((g, i) => g.resolve(results[i]));
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        // a deadlock or serialisation failure rolled everything back: safe to run again
        if ((code === '40P01' || code === '40001') && attempt < 5) continue;
        const err = wrap(this.describe, e);
        for (const g of group) g.reject(err);
        return;
      }
    }
  }

  private async transaction(batches: StoredScan[][]): Promise<IngestResult[]> {
    const all = batches.flat();
    const synced = all.filter((s) => s.clockSynced);
    // the partitions the ids fall in: one local-day conversion per minute of ids (a day begins on a whole minute
    // in every zone), not one per scan
    const days = new Set<string>(), minutes = new Set<number>();
    for (const s of synced) {
      const t = decodeScanIdTime(s.id) ?? s.at, minute = Math.floor(t / 60_000);
      if (!minutes.has(minute)) { minutes.add(minute); days.add(localDay(t, this.timeZone)); }
    }
    for (const day of days) await this.ensurePartition(day);
    let client: pg.PoolClient;
    try { client = await this.pool.connect(); } catch (e) { throw wrap(this.describe, e); }
    let broken = false;
    try {
      await client.query('BEGIN');
      const inserted = new Set<string>();
      for (const [table, rows] of [['scans', synced], ['scans_offclock', all.filter((s) => !s.clockSynced)]] as const) {
        if (!rows.length) continue;
        // one lock order for every transaction: (kiosk, id)
        const sorted = [...rows].sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        // the rows as one JSON parameter (an array of each scan's values), not one array parameter per column:
        // node-postgres escapes every element of an array parameter in JavaScript, which was 7 % of the main
        // thread in bench:hub's profile; JSON.stringify is native, and the server reads the JSON
        const r = await client.query<{ kiosk: string; id: string }>(
          `INSERT INTO ${table} (${SCAN_COLUMN_NAMES.join(', ')}) SELECT ${ROW_FIELDS} FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT DO NOTHING RETURNING kiosk, id`,
          [JSON.stringify(sorted.map((s) => scanValues(s, keep)))]);
        for (const row of r.rows) inserted.add(`${row.kiosk}/${row.id}`);
      }
      const fresh = all.filter((s) => inserted.delete(`${s.k}/${s.id}`)); // delete: a scan twice in the group counts once
      const deltas = counterDeltas(fresh);
      if (deltas.length) {
        await client.query(`INSERT INTO counters (day, checkpoint, key, n) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
          ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = counters.n + excluded.n`,
        [deltas.map((d) => d.day), deltas.map((d) => d.checkpoint), deltas.map((d) => d.key), deltas.map((d) => d.n)]);
      }
      await client.query('COMMIT'); // synchronous_commit on (the default): the WAL is flushed before this returns
      const freshScans = new Set(fresh); // the very records: a scan sent twice in the group is fresh in its first batch only
      return batches.map((b) => {
        let stored = 0;
        for (const s of b) if (freshScans.delete(s)) stored++;
        return { stored, duplicates: b.length - stored };
      });
    } catch (e) {
      broken = true;
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async counters(from: string, to: string): Promise<CounterRow[]> {
    const r = await this.q<{ checkpoint: string; key: string; n: string }>(`SELECT checkpoint, key, SUM(n) AS n FROM counters WHERE day >= $1 AND day <= $2 GROUP BY checkpoint, key`, [from, to]);
    return r.rows.map((x) => ({ day: from, checkpoint: x.checkpoint, key: x.key, n: Number(x.n) }));
  }

  async totals(day: string, keys: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const k of keys) out[k] = 0;
    const r = await this.q<{ key: string; n: string }>(`SELECT key, SUM(n) AS n FROM counters WHERE day = $1 AND key = ANY($2) GROUP BY key`, [day, keys]);
    for (const x of r.rows) out[x.key] = Number(x.n);
    return out;
  }

  async recount(day: string): Promise<Array<{ checkpoint: string; key: string; was: number; now: number }>> {
    const client = await this.pool.connect().catch((e) => { throw wrap(this.describe, e); });
    try {
      await client.query('BEGIN');
      // no ingest adds to this day's counters while it is rebuilt
      await client.query(`LOCK TABLE counters IN SHARE ROW EXCLUSIVE MODE`);
      const was = new Map((await client.query<{ checkpoint: string; key: string; n: string }>(`SELECT checkpoint, key, n FROM counters WHERE day = $1`, [day])).rows.map((r) => [`${r.checkpoint}\u0000${r.key}`, Number(r.n)]));
      // the day's own partition and its neighbours (an id a kiosk's generator moved past midnight), and the off-clock table
      const lo = idPrefix(dayStartMs(day, this.timeZone) - 86_400_000), hi = idPrefix(dayStartMs(nextDay(day), this.timeZone) + 86_400_000);
      const counted = await client.query<GroupRow>(recountSql(`(SELECT * FROM scans WHERE id >= '${lo}' AND id < '${hi}' UNION ALL SELECT * FROM scans_offclock) AS s`, 'day = $1'), [day]);
      const deltas = countersFromGroups(day, counted.rows.map(toShape));
      await client.query(`DELETE FROM counters WHERE day = $1`, [day]);
      if (deltas.length) {
        await client.query(`INSERT INTO counters (day, checkpoint, key, n) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])`,
          [deltas.map((d) => d.day), deltas.map((d) => d.checkpoint), deltas.map((d) => d.key), deltas.map((d) => d.n)]);
      }
      await client.query('COMMIT');
      const now = new Map(deltas.map((c) => [`${c.checkpoint}\u0000${c.key}`, c.n]));
      const changed: Array<{ checkpoint: string; key: string; was: number; now: number }> = [];
      for (const k of new Set([...was.keys(), ...now.keys()])) {
        const a = was.get(k) ?? 0, b = now.get(k) ?? 0;
        if (a !== b) { const [checkpoint, key] = k.split('\u0000'); changed.push({ checkpoint, key, was: a, now: b }); }
      }
      return changed;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw wrap(this.describe, e);
    } finally {
      client.release();
    }
  }

  private async scansWith(client: pg.PoolClient | pg.Pool, day: string): Promise<StoredScan[]> {
    const r = await client.query(`SELECT * FROM scans WHERE day = $1 UNION ALL SELECT * FROM scans_offclock WHERE day = $1 ORDER BY id`, [day]);
    return (r.rows as ScanDbRow[]).map(scanFromRow);
  }

  async scansOfDay(day: string): Promise<StoredScan[]> {
    try { return await this.scansWith(this.pool, day); } catch (e) { throw wrap(this.describe, e); }
  }

  async prune(beforeDay: string): Promise<number> {
    let n = 0;
    // a partition holds the ids of one local day; the scans in it count on that day (a synchronised clock)
    for (const name of [...this.partitions].sort()) {
      const day = `${name.slice(7, 11)}-${name.slice(11, 13)}-${name.slice(13, 15)}`;
      if (day >= beforeDay) continue;
      const c = await this.q<{ n: string }>(`SELECT COUNT(*) AS n FROM ${name}`);
      await this.q(`DROP TABLE IF EXISTS ${name}`);
      this.partitions.delete(name);
      n += Number(c.rows[0].n);
    }
    n += (await this.q(`DELETE FROM scans_offclock WHERE day < $1`, [beforeDay])).rowCount ?? 0;
    return n;
  }

  async scanCount(): Promise<number> {
    const r = await this.q<{ n: string }>(`SELECT (SELECT COUNT(*) FROM scans) + (SELECT COUNT(*) FROM scans_offclock) AS n`);
    return Number(r.rows[0].n);
  }

  async days(): Promise<string[]> {
    return (await this.q<{ day: string }>(`SELECT DISTINCT day FROM counters ORDER BY day`)).rows.map((r) => r.day);
  }

  async devices(): Promise<Device[]> {
    return (await this.q<{ doc: Device }>(`SELECT doc FROM devices ORDER BY id`)).rows.map((r) => r.doc);
  }

  async putDevice(d: Device): Promise<void> {
    await this.q(`WITH w AS (INSERT INTO devices VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc RETURNING 1)
      INSERT INTO meta VALUES ('registry.version', '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`, [d.id, JSON.stringify(d)]);
  }

  async accounts(): Promise<Account[]> {
    return (await this.q<{ doc: Account }>(`SELECT doc FROM accounts ORDER BY name`)).rows.map((r) => r.doc);
  }

  async putAccount(a: Account): Promise<void> {
    await this.q(`WITH w AS (INSERT INTO accounts VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc RETURNING 1)
      INSERT INTO meta VALUES ('registry.version', '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text`, [a.name, JSON.stringify(a)]);
  }

  async registryVersion(): Promise<number> {
    return Number((await this.q<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry.version'`)).rows[0]?.value ?? 0);
  }

  async putKioskStatuses(rows: KioskStatusRow[]): Promise<void> {
    if (!rows.length) return;
    const last = new Map(rows.map((r) => [r.kiosk, r])); // one row per kiosk: ON CONFLICT may touch a row once
    const v = [...last.values()].sort((a, b) => (a.kiosk < b.kiosk ? -1 : 1));
    await this.q(`INSERT INTO kiosk_status SELECT * FROM unnest($1::text[], $2::text[], $3::int8[])
      ON CONFLICT (kiosk) DO UPDATE SET status = excluded.status, seen_at = excluded.seen_at WHERE excluded.seen_at >= kiosk_status.seen_at`,
    [v.map((r) => r.kiosk), v.map((r) => r.status), v.map((r) => r.seenAt)]);
  }

  async kioskStatuses(): Promise<KioskStatusRow[]> {
    return (await this.q<{ kiosk: string; status: string; seen_at: string }>(`SELECT kiosk, status, seen_at FROM kiosk_status`)).rows.map((r) => ({ kiosk: r.kiosk, status: r.status, seenAt: Number(r.seen_at) }));
  }

  async heartbeat(row: HubProcessRow, since: number): Promise<HubProcessRow[]> {
    await this.q(`INSERT INTO hub_processes VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET info = excluded.info, seen_at = excluded.seen_at`, [row.id, row.info, row.startedAt, row.seenAt]);
    return (await this.q<{ id: string; info: string; started_at: string; seen_at: string }>(`SELECT id, info, started_at, seen_at FROM hub_processes WHERE seen_at >= $1 ORDER BY id`, [since]))
      .rows.map((r) => ({ id: r.id, info: r.info, startedAt: Number(r.started_at), seenAt: Number(r.seen_at) }));
  }

  async sightings(holders: string[]): Promise<Sighting[]> {
    if (!holders.length) return [];
    const r = await this.q<{ holder: string; pass_id: string | null; kiosk: string; at: string; scan_id: string }>(`SELECT * FROM sightings WHERE holder = ANY($1)`, [holders]);
    return r.rows.map((x) => ({ holder: x.holder, kiosk: x.kiosk, at: Number(x.at), scanId: x.scan_id, ...(x.pass_id !== null ? { passId: x.pass_id } : {}) }));
  }

  async putSightings(rows: Sighting[]): Promise<void> {
    if (!rows.length) return;
    // one row per holder (the latest), in one lock order
    const last = new Map<string, Sighting>();
    for (const r of rows) { const c = last.get(r.holder); if (!c || r.at > c.at) last.set(r.holder, r); }
    const v = [...last.values()].sort((a, b) => (a.holder < b.holder ? -1 : 1));
    await this.q(`INSERT INTO sightings SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[])
      ON CONFLICT (holder) DO UPDATE SET pass_id = excluded.pass_id, kiosk = excluded.kiosk, at = excluded.at, scan_id = excluded.scan_id WHERE excluded.at > sightings.at`,
    [v.map((r) => r.holder), v.map((r) => r.passId ?? null), v.map((r) => r.kiosk), v.map((r) => r.at), v.map((r) => r.scanId)]);
  }

  async addAlerts(alerts: CloneAlert[]): Promise<number> {
    let n = 0;
    for (const a of alerts) {
      const r = await this.q(`INSERT INTO alerts (holder, pass_id, first_kiosk, first_at, first_scan, second_kiosk, second_at, second_scan, km, kmh, status, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11) ON CONFLICT (first_scan, second_scan) DO NOTHING`,
      [a.holder, a.passId ?? null, a.first.kiosk, a.first.at, a.first.scanId, a.second.kiosk, a.second.at, a.second.scanId, a.km, Number.isFinite(a.kmh) ? a.kmh : null, Date.now()]);
      n += r.rowCount ?? 0;
    }
    return n;
  }

  async alerts(limit: number): Promise<AlertRow[]> {
    return ((await this.q(`SELECT * FROM alerts ORDER BY id DESC LIMIT $1`, [limit])).rows as AlertDbRow[]).map(alertFromRow);
  }

  async decideAlert(id: number, status: 'revoke' | 'dismissed', by: string): Promise<AlertRow | undefined> {
    const r = await this.q(`UPDATE alerts SET status = $1, decided_by = $2 WHERE id = $3 RETURNING *`, [status, by, id]);
    return r.rows[0] ? alertFromRow(r.rows[0] as AlertDbRow) : undefined;
  }

  async revokeDecisions(): Promise<string[]> {
    return (await this.q<{ pass_id: string }>(`SELECT DISTINCT pass_id FROM alerts WHERE status = 'revoke' AND pass_id IS NOT NULL ORDER BY pass_id`)).rows.map((r) => r.pass_id);
  }

  async putProgramme(p: Programme, eligible: Array<{ holder: string; ward: string }>): Promise<void> {
    const client = await this.pool.connect().catch((e) => { throw wrap(this.describe, e); });
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO programmes VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, [p.id, JSON.stringify(p)]);
      await client.query(`DELETE FROM eligible WHERE programme = $1`, [p.id]);
      for (let i = 0; i < eligible.length; i += 50_000) {
        const part = eligible.slice(i, i + 50_000);
        await client.query(`INSERT INTO eligible SELECT $1, h, w FROM unnest($2::text[], $3::text[]) AS x(h, w) ON CONFLICT DO NOTHING`, [p.id, part.map((e) => e.holder), part.map((e) => e.ward)]);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw wrap(this.describe, e);
    } finally { client.release(); }
  }

  async programmes(): Promise<Programme[]> {
    return (await this.q<{ doc: Programme }>(`SELECT doc FROM programmes ORDER BY id`)).rows.map((r) => r.doc);
  }

  async claim(c: PayoutClaim): Promise<ClaimDecision> {
    const client = await this.pool.connect().catch((e) => { throw wrap(this.describe, e); });
    try {
      await client.query('BEGIN');
      const refuse = async (outcome: ClaimDecision['outcome'], extra: Partial<ClaimDecision> = {}): Promise<ClaimDecision> => {
        await client.query(`INSERT INTO payout_refusals VALUES ($1, $2, $3, 1) ON CONFLICT (programme, ward, outcome) DO UPDATE SET n = payout_refusals.n + 1`, [c.programme, c.ward, outcome]);
        return { outcome, ...extra };
      };
      const decide = async (): Promise<ClaimDecision> => {
        const doc = (await client.query<{ doc: Programme }>(`SELECT doc FROM programmes WHERE id = $1`, [c.programme])).rows[0]?.doc;
        if (!doc) return refuse('programme-unknown');
        const payment = async () => (await client.query<{ kiosk: string; claim_key: string; at: string; amount: string }>(`SELECT kiosk, claim_key, at, amount FROM payouts WHERE programme = $1 AND holder = $2`, [c.programme, c.holder])).rows[0];
        const before = await payment();
        // a retry of a claim that already won is answered as it was (the money was handed over)
        if (before && before.claim_key === c.key) return { outcome: 'paid', amount: Number(before.amount), payment: { kiosk: before.kiosk, at: Number(before.at) } };
        if (c.now < doc.validFrom * 1000 || c.now > doc.validUntil * 1000) return refuse('programme-not-open');
        const ward = (await client.query<{ ward: string }>(`SELECT ward FROM eligible WHERE programme = $1 AND holder = $2`, [c.programme, c.holder])).rows[0]?.ward;
        if (!ward) return refuse('not-eligible');
        if (ward !== c.ward) return refuse('other-ward', { ward }); // the desk sends the citizen to their own ward
        // two kiosks at once: the unique key makes one insert wait for the other's commit, then do nothing
        const ins = await client.query(`INSERT INTO payouts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (programme, holder) DO NOTHING`,
          [c.programme, c.holder, c.ward, c.kiosk, c.key, c.at, doc.amount, c.officer ?? null, c.passId ?? null, c.now]);
        if (ins.rowCount) return { outcome: 'paid', amount: doc.amount, payment: { kiosk: c.kiosk, at: c.at } };
        const other = (await payment())!;
        if (other.claim_key === c.key) return { outcome: 'paid', amount: Number(other.amount), payment: { kiosk: other.kiosk, at: Number(other.at) } };
        return refuse('already-paid', { payment: { kiosk: other.kiosk, at: Number(other.at) } });
      };
      const d = await decide();
      await client.query('COMMIT');
      return d;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw wrap(this.describe, e);
    } finally { client.release(); }
  }

  async payoutFigures(programme: string): Promise<PayoutWardRow[]> {
    const rows = new Map<string, PayoutWardRow>();
    const row = (ward: string) => { let r = rows.get(ward); if (!r) rows.set(ward, (r = { ward, eligible: 0, paid: 0, amount: 0, refused: {} })); return r; };
    for (const r of (await this.q<{ ward: string; n: string }>(`SELECT ward, COUNT(*) AS n FROM eligible WHERE programme = $1 GROUP BY ward`, [programme])).rows) row(r.ward).eligible = Number(r.n);
    for (const r of (await this.q<{ ward: string; n: string; amount: string }>(`SELECT ward, COUNT(*) AS n, SUM(amount) AS amount FROM payouts WHERE programme = $1 GROUP BY ward`, [programme])).rows) Object.assign(row(r.ward), { paid: Number(r.n), amount: Number(r.amount) });
    for (const r of (await this.q<{ ward: string; outcome: string; n: string }>(`SELECT ward, outcome, n FROM payout_refusals WHERE programme = $1`, [programme])).rows) row(r.ward).refused[r.outcome] = Number(r.n);
    return [...rows.values()].sort((a, b) => a.ward.localeCompare(b.ward));
  }

  async applyHealth(day: string, changes: HealthChange[], version: number, complete: boolean): Promise<{ changed: number }> {
    const client = await this.pool.connect().catch((e) => { throw wrap(this.describe, e); });
    try {
      await client.query('BEGIN');
      // two imports at once are applied one after the other (scans never touch these tables)
      await client.query(`LOCK TABLE health_holders IN SHARE ROW EXCLUSIVE MODE`);
      const before = new Map<string, HolderHealth>();
      const rows = complete
        ? await client.query<{ holder: string } & HolderHealth>(`SELECT holder, state, area FROM health_holders`)
        : await client.query<{ holder: string } & HolderHealth>(`SELECT holder, state, area FROM health_holders WHERE holder = ANY($1)`, [changes.map((c) => c.holder)]);
      for (const r of rows.rows) before.set(r.holder, { state: r.state, area: r.area });
      const plan = planHealth(day, before, changes, complete);
      for (let i = 0; i < plan.put.length; i += 50_000) {
        const part = plan.put.slice(i, i + 50_000);
        await client.query(`INSERT INTO health_holders SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
          ON CONFLICT (holder) DO UPDATE SET state = excluded.state, area = excluded.area`, [part.map((h) => h.holder), part.map((h) => h.state), part.map((h) => h.area)]);
      }
      for (let i = 0; i < plan.remove.length; i += 50_000) await client.query(`DELETE FROM health_holders WHERE holder = ANY($1)`, [plan.remove.slice(i, i + 50_000)]);
      if (plan.counts.length) {
        await client.query(`INSERT INTO health_counts SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
          ON CONFLICT (level, area, state) DO UPDATE SET n = health_counts.n + excluded.n`,
        [plan.counts.map((c) => c.level), plan.counts.map((c) => c.area), plan.counts.map((c) => c.state), plan.counts.map((c) => c.d)]);
      }
      if (plan.changes.length) {
        await client.query(`INSERT INTO health_changes SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[])
          ON CONFLICT (day, level, area, key) DO UPDATE SET n = health_changes.n + excluded.n`,
        [plan.changes.map((c) => c.day), plan.changes.map((c) => c.level), plan.changes.map((c) => c.area), plan.changes.map((c) => c.key), plan.changes.map((c) => c.n)]);
      }
      await client.query(`INSERT INTO meta VALUES ('health.version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(version)]);
      await client.query('COMMIT');
      return { changed: plan.changed };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw wrap(this.describe, e);
    } finally { client.release(); }
  }

  async healthFigures(from: string, to: string): Promise<HealthFigures> {
    const version = (await this.q<{ value: string }>(`SELECT value FROM meta WHERE key = 'health.version'`)).rows[0]?.value;
    const current = await this.q<{ level: AreaLevel; area: string; state: HealthCode; n: string }>(`SELECT level, area, state, n FROM health_counts WHERE n <> 0`);
    const changes = await this.q<{ level: AreaLevel; area: string; key: string; n: string }>(`SELECT level, area, key, SUM(n) AS n FROM health_changes WHERE day >= $1 AND day <= $2 GROUP BY level, area, key`, [from, to]);
    return {
      version: version === undefined ? null : Number(version),
      current: current.rows.map((r) => ({ ...r, n: Number(r.n) })),
      changes: changes.rows.map((r) => ({ ...r, n: Number(r.n) })),
    };
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.q<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [key])).rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.q(`INSERT INTO meta VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  async ping(): Promise<void> { await this.q('SELECT 1'); }

  async close(): Promise<void> { await this.pool.end(); }
}

// The SQLite writer, in a worker thread: better-sqlite3 is synchronous, and a durable commit (WAL, synchronous=FULL)
// waits for fsync. Done in the main thread, 500 commits of 100 scans blocked the event loop for 0.7 ms at the median
// and 17 ms at p99 on the 2-core test machine (bench:hub, "SQLite commit in the main thread"): every MQTT connection
// would wait that long at each commit. Here the hub's loop keeps serving MQTT while the worker commits. Batches that arrive during a commit are grouped into the
// next transaction (group commit): one fsync for many kiosks' batches.
import { parentPort, workerData } from 'node:worker_threads';
import { Database } from '../../../lib/sqlite.js';
import { counterDeltas, countersFromGroups } from '../figures.js';
import { recountSql, toShape, type GroupRow } from './recount-sql.js';
import { ADDED_SCAN_COLUMNS, SCAN_COLUMNS, SCAN_COLUMN_NAMES, SCAN_WIDTH, alertFromRow, scanFromRow, scanFromValues, type AlertDbRow, type ScanDbRow } from './scan-row.js';
import { planHealth, type AreaLevel, type HealthChange, type HealthCode, type HolderHealth } from '../health.js';
import type { ClaimDecision, PayoutClaim, PayoutWardRow, Account, CounterRow, Device, HubProcessRow, KioskStatusRow, StoredScan } from './port.js';
import type { CloneAlert, Sighting } from '../clones.js';
import type { Programme } from '../../../protocol/src/index.js';

interface Call { id: number; op: string; args: unknown[] }
const port = parentPort!;
const db = new Database((workerData as { path: string }).path);

db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL'); // the WAL is fsynced at every commit: a commit is on disk before any acknowledgement
db.pragma('busy_timeout = 5000'); // chot device add writes from another process
db.exec(`
CREATE TABLE IF NOT EXISTS scans (
  ${SCAN_COLUMNS.map(([name, decl]) => `${name} ${decl}`).join(', ')},
  PRIMARY KEY (kiosk, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scans_day ON scans (day);
CREATE TABLE IF NOT EXISTS counters (
  day TEXT NOT NULL, checkpoint TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (day, checkpoint, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kiosk_status (kiosk TEXT PRIMARY KEY, status TEXT NOT NULL, seen_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sightings (holder TEXT PRIMARY KEY, pass_id TEXT, kiosk TEXT NOT NULL, at INTEGER NOT NULL, scan_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, holder TEXT NOT NULL, pass_id TEXT, first_kiosk TEXT NOT NULL, first_at INTEGER NOT NULL, first_scan TEXT NOT NULL,
  second_kiosk TEXT NOT NULL, second_at INTEGER NOT NULL, second_scan TEXT NOT NULL, km REAL NOT NULL, kmh REAL, status TEXT NOT NULL,
  created_at INTEGER NOT NULL, decided_by TEXT, UNIQUE (first_scan, second_scan));
CREATE TABLE IF NOT EXISTS programmes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS eligible (programme TEXT NOT NULL, holder TEXT NOT NULL, ward TEXT NOT NULL, PRIMARY KEY (programme, holder)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payouts (programme TEXT NOT NULL, holder TEXT NOT NULL, ward TEXT NOT NULL, kiosk TEXT NOT NULL, claim_key TEXT NOT NULL,
  at INTEGER NOT NULL, amount INTEGER NOT NULL, officer TEXT, pass_id TEXT, committed_at INTEGER NOT NULL, PRIMARY KEY (programme, holder)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payout_refusals (programme TEXT NOT NULL, ward TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (programme, ward, outcome)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hub_processes (id TEXT PRIMARY KEY, info TEXT NOT NULL, started_at INTEGER NOT NULL, seen_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS health_holders (holder TEXT PRIMARY KEY, state TEXT NOT NULL, area TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health_counts (level TEXT NOT NULL, area TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (level, area, state)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS health_changes (day TEXT NOT NULL, level TEXT NOT NULL, area TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, level, area, key)) WITHOUT ROWID;
`);
// a database made before scans carried their origin (issue 17) or officer (issue 13) gets the column, empty for the
// scans it has
const hasColumns = new Set((db.prepare(`SELECT name FROM pragma_table_info('scans')`).all() as Array<{ name: string }>).map((c) => c.name));
for (const c of ADDED_SCAN_COLUMNS) if (!hasColumns.has(c)) db.exec(`ALTER TABLE scans ADD COLUMN ${c} TEXT`);

const q = {
  // positional parameters: binding by name cost a third of the worker's time in bench:hub
  // and named columns: an older database has its added columns last, in the order they were added
  insertScan: db.prepare(`INSERT INTO scans (${SCAN_COLUMN_NAMES.join(', ')}) VALUES (${SCAN_COLUMN_NAMES.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`),
  addCounter: db.prepare(`INSERT INTO counters VALUES (?, ?, ?, ?) ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = n + excluded.n`),
  counters: db.prepare(`SELECT checkpoint, key, SUM(n) AS n FROM counters WHERE day >= ? AND day <= ? GROUP BY checkpoint, key`),
  dayCounters: db.prepare(`SELECT checkpoint, key, n FROM counters WHERE day = ?`),
  deleteDayCounters: db.prepare(`DELETE FROM counters WHERE day = ?`),
  scansOfDay: db.prepare(`SELECT * FROM scans WHERE day = ? ORDER BY id`),
  pruneChunk: db.prepare(`DELETE FROM scans WHERE (kiosk, id) IN (SELECT kiosk, id FROM scans WHERE day < ? LIMIT 20000)`),
  scanCount: db.prepare(`SELECT COUNT(*) AS n FROM scans`),
  days: db.prepare(`SELECT DISTINCT day FROM counters ORDER BY day`),
  devices: db.prepare(`SELECT doc FROM devices ORDER BY id`),
  putDevice: db.prepare(`INSERT INTO devices VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`),
  accounts: db.prepare(`SELECT doc FROM accounts ORDER BY name`),
  putAccount: db.prepare(`INSERT INTO accounts VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`),
  getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
  setMeta: db.prepare(`INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
  putStatus: db.prepare(`INSERT INTO kiosk_status VALUES (?, ?, ?) ON CONFLICT (kiosk) DO UPDATE SET status = excluded.status, seen_at = excluded.seen_at WHERE excluded.seen_at >= kiosk_status.seen_at`),
  statuses: db.prepare(`SELECT kiosk, status, seen_at AS seenAt FROM kiosk_status`),
  beat: db.prepare(`INSERT INTO hub_processes VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET info = excluded.info, seen_at = excluded.seen_at`),
  processes: db.prepare(`SELECT id, info, started_at AS startedAt, seen_at AS seenAt FROM hub_processes WHERE seen_at >= ? ORDER BY id`),
  sighting: db.prepare(`SELECT holder, pass_id AS passId, kiosk, at, scan_id AS scanId FROM sightings WHERE holder = ?`),
  putSighting: db.prepare(`INSERT INTO sightings VALUES (@holder, @passId, @kiosk, @at, @scanId) ON CONFLICT (holder) DO UPDATE SET pass_id = excluded.pass_id, kiosk = excluded.kiosk, at = excluded.at, scan_id = excluded.scan_id WHERE excluded.at > sightings.at`),
  addAlert: db.prepare(`INSERT INTO alerts (holder, pass_id, first_kiosk, first_at, first_scan, second_kiosk, second_at, second_scan, km, kmh, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (first_scan, second_scan) DO NOTHING`),
  alerts: db.prepare(`SELECT * FROM alerts ORDER BY id DESC LIMIT ?`),
  decide: db.prepare(`UPDATE alerts SET status = ?, decided_by = ? WHERE id = ? RETURNING *`),
  revokeDecisions: db.prepare(`SELECT DISTINCT pass_id FROM alerts WHERE status = 'revoke' AND pass_id IS NOT NULL ORDER BY pass_id`),
  putProgramme: db.prepare(`INSERT INTO programmes VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`),
  programme: db.prepare(`SELECT doc FROM programmes WHERE id = ?`),
  programmes: db.prepare(`SELECT doc FROM programmes ORDER BY id`),
  dropEligible: db.prepare(`DELETE FROM eligible WHERE programme = ?`),
  addEligible: db.prepare(`INSERT INTO eligible VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
  eligibleWard: db.prepare(`SELECT ward FROM eligible WHERE programme = ? AND holder = ?`),
  pay: db.prepare(`INSERT INTO payouts VALUES (@programme, @holder, @ward, @kiosk, @key, @at, @amount, @officer, @passId, @now) ON CONFLICT (programme, holder) DO NOTHING`),
  payment: db.prepare(`SELECT kiosk, claim_key AS key, at, amount FROM payouts WHERE programme = ? AND holder = ?`),
  refuse: db.prepare(`INSERT INTO payout_refusals VALUES (?, ?, ?, 1) ON CONFLICT (programme, ward, outcome) DO UPDATE SET n = n + 1`),
  eligibleByWard: db.prepare(`SELECT ward, COUNT(*) AS n FROM eligible WHERE programme = ? GROUP BY ward`),
  paidByWard: db.prepare(`SELECT ward, COUNT(*) AS n, SUM(amount) AS amount FROM payouts WHERE programme = ? GROUP BY ward`),
  refusedByWard: db.prepare(`SELECT ward, outcome, n FROM payout_refusals WHERE programme = ?`),
  holderHealth: db.prepare(`SELECT state, area FROM health_holders WHERE holder = ?`),
  allHolderHealth: db.prepare(`SELECT holder, state, area FROM health_holders`),
  putHolderHealth: db.prepare(`INSERT INTO health_holders VALUES (?, ?, ?) ON CONFLICT (holder) DO UPDATE SET state = excluded.state, area = excluded.area`),
  dropHolderHealth: db.prepare(`DELETE FROM health_holders WHERE holder = ?`),
  addHealthCount: db.prepare(`INSERT INTO health_counts VALUES (?, ?, ?, ?) ON CONFLICT (level, area, state) DO UPDATE SET n = n + excluded.n`),
  addHealthChange: db.prepare(`INSERT INTO health_changes VALUES (?, ?, ?, ?, ?) ON CONFLICT (day, level, area, key) DO UPDATE SET n = n + excluded.n`),
  healthCounts: db.prepare(`SELECT level, area, state, n FROM health_counts WHERE n <> 0`),
  healthChanges: db.prepare(`SELECT level, area, key, SUM(n) AS n FROM health_changes WHERE day >= ? AND day <= ? GROUP BY level, area, key`),
  bumpRegistry: db.prepare(`INSERT INTO meta VALUES ('registry.version', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`),
};


// one claim, one transaction (immediate: the write lock first, so two claims are decided one after the other)
const claimTx = db.transaction((c: PayoutClaim): ClaimDecision => {
  const doc = q.programme.get(c.programme) as { doc: string } | undefined;
  const refuse = (outcome: ClaimDecision['outcome'], extra: Partial<ClaimDecision> = {}): ClaimDecision => { q.refuse.run(c.programme, c.ward, outcome); return { outcome, ...extra }; };
  if (!doc) return refuse('programme-unknown');
  const p = JSON.parse(doc.doc) as Programme;
  const ward = (q.eligibleWard.get(c.programme, c.holder) as { ward: string } | undefined)?.ward;
  const mine = () => { const x = q.payment.get(c.programme, c.holder) as { kiosk: string; key: string; at: number; amount: number } | undefined; return x && x.key === c.key ? x : undefined; };
  // a retry of a claim that already won is answered as it was, whatever has changed since (the money was handed over)
  const won = mine();
  if (won) return { outcome: 'paid', amount: won.amount, payment: { kiosk: won.kiosk, at: won.at } };
  if (c.now < p.validFrom * 1000 || c.now > p.validUntil * 1000) return refuse('programme-not-open');
  if (!ward) return refuse('not-eligible');
  if (ward !== c.ward) return refuse('other-ward', { ward }); // the desk sends the citizen to their own ward
  if (q.pay.run({ ...c, amount: p.amount, officer: c.officer ?? null, passId: c.passId ?? null }).changes) return { outcome: 'paid', amount: p.amount, payment: { kiosk: c.kiosk, at: c.at } };
  const other = q.payment.get(c.programme, c.holder) as { kiosk: string; at: number };
  return refuse('already-paid', { payment: { kiosk: other.kiosk, at: other.at } });
});

// group commit: every ingest message waiting when the loop comes round goes into one transaction. A message is
// a group of batches (sqlite.ts): the scans' column values one after the other (SCAN_WIDTH each), and each
// batch's size; it is answered with each batch's result.
let pending: Array<{ id: number; values: unknown[]; sizes: number[] }> = [];
let scheduled = false;
const ingestGroup = db.transaction((group: typeof pending) => {
  const results: Array<Array<{ stored: number; duplicates: number }>> = [];
  const inserted: StoredScan[] = [];
  for (const { values, sizes } of group) {
    const batches: Array<{ stored: number; duplicates: number }> = [];
    let i = 0;
    for (const n of sizes) {
      let stored = 0;
      for (let k = 0; k < n; k++, i += SCAN_WIDTH) {
        if (q.insertScan.run(values.slice(i, i + SCAN_WIDTH)).changes) { stored++; inserted.push(scanFromValues(values, i)); }
      }
      batches.push({ stored, duplicates: n - stored });
    }
    results.push(batches);
  }
  for (const c of counterDeltas(inserted)) q.addCounter.run(c.day, c.checkpoint, c.key, c.n);
  return results;
});

function flush(): void {
  scheduled = false;
  const group = pending;
  pending = [];
  try {
    const results = ingestGroup(group);
    group.forEach((g, i) => port.postMessage({ id: g.id, value: results[i] }));
  } catch (e) {
    // the whole group rolled back: nothing of it is stored, so nothing of it may be acknowledged
    for (const g of group) port.postMessage({ id: g.id, error: describe(e) });
  }
}

function describe(e: unknown): { message: string; code?: string } {
  const err = e as Error & { code?: string };
  return { message: err.message, code: err.code };
}

const recountDay = db.prepare(recountSql('scans', 'day = @day'));
const recount = db.transaction((day: string) => {
  const was = new Map((q.dayCounters.all(day) as CounterRow[]).map((r) => [`${r.checkpoint}\u0000${r.key}`, r.n]));
  const deltas = countersFromGroups(day, (recountDay.all({ day }) as GroupRow[]).map(toShape));
  q.deleteDayCounters.run(day);
  for (const c of deltas) q.addCounter.run(c.day, c.checkpoint, c.key, c.n);
  const changed: Array<{ checkpoint: string; key: string; was: number; now: number }> = [];
  const now = new Map(deltas.map((c) => [`${c.checkpoint}\u0000${c.key}`, c.n]));
  for (const k of new Set([...was.keys(), ...now.keys()])) {
    const a = was.get(k) ?? 0, b = now.get(k) ?? 0;
    if (a !== b) { const [checkpoint, key] = k.split('\u0000'); changed.push({ checkpoint, key, was: a, now: b }); }
  }
  return changed;
});

// one import, one transaction (immediate: two imports at once are applied one after the other)
const applyHealth = db.transaction((day: string, changes: HealthChange[], version: number, complete: boolean) => {
  const before = new Map<string, HolderHealth>();
  if (complete) for (const r of q.allHolderHealth.all() as Array<{ holder: string } & HolderHealth>) before.set(r.holder, { state: r.state, area: r.area });
  else for (const c of changes) { const r = q.holderHealth.get(c.holder) as HolderHealth | undefined; if (r) before.set(c.holder, r); }
  const plan = planHealth(day, before, changes, complete);
  for (const h of plan.put) q.putHolderHealth.run(h.holder, h.state, h.area);
  for (const h of plan.remove) q.dropHolderHealth.run(h);
  for (const c of plan.counts) q.addHealthCount.run(c.level, c.area, c.state, c.d);
  for (const c of plan.changes) q.addHealthChange.run(c.day, c.level, c.area, c.key, c.n);
  q.setMeta.run('health.version', String(version));
  return { changed: plan.changed };
});

const ops: Record<string, (...a: never[]) => unknown> = {
  counters: (from: string, to: string) => (q.counters.all(from, to) as Array<Omit<CounterRow, 'day'>>).map((r) => ({ ...r, day: from })),
  totals: (day: string, keys: string[]) => {
    const out: Record<string, number> = {};
    const stmt = db.prepare(`SELECT key, SUM(n) AS n FROM counters WHERE day = ? AND key IN (${keys.map(() => '?').join(',')}) GROUP BY key`);
    for (const k of keys) out[k] = 0;
    for (const r of stmt.all(day, ...keys) as Array<{ key: string; n: number }>) out[r.key] = r.n;
    return out;
  },
  // immediate: the write lock from the start, so a hub writing meanwhile makes it wait, not fail (SQLITE_BUSY_SNAPSHOT)
  recount: (day: string) => recount.immediate(day),
  prune: (beforeDay: string) => {
    // in chunks, each its own short transaction: ingests queued meanwhile go between them
    let n = 0;
    for (;;) { const c = q.pruneChunk.run(beforeDay).changes; n += c; if (c < 20000) return n; }
  },
  scansOfDay: (day: string) => (q.scansOfDay.all(day) as ScanDbRow[]).map(scanFromRow),
  scanCount: () => (q.scanCount.get() as { n: number }).n,
  days: () => (q.days.all() as Array<{ day: string }>).map((r) => r.day),
  devices: () => (q.devices.all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as Device),
  putDevice: db.transaction((d: Device) => { q.putDevice.run(d.id, JSON.stringify(d)); q.bumpRegistry.run(); }) as never,
  accounts: () => (q.accounts.all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as Account),
  putAccount: db.transaction((a: Account) => { q.putAccount.run(a.name, JSON.stringify(a)); q.bumpRegistry.run(); }) as never,
  registryVersion: () => Number((q.getMeta.get('registry.version') as { value: string } | undefined)?.value ?? 0),
  putKioskStatuses: db.transaction((rows: KioskStatusRow[]) => { for (const r of rows) q.putStatus.run(r.kiosk, r.status, r.seenAt); }) as never,
  kioskStatuses: () => q.statuses.all(),
  heartbeat: (row: HubProcessRow, since: number) => { q.beat.run(row.id, row.info, row.startedAt, row.seenAt); return q.processes.all(since); },
  sightings: (holders: string[]) => holders.map((h) => q.sighting.get(h) as Sighting | undefined).filter((x): x is Sighting => !!x).map((x) => (x.passId === null ? (({ passId: _p, ...r }) => r)(x) : x)),
  putSightings: db.transaction((rows: Sighting[]) => { for (const r of rows) q.putSighting.run({ ...r, passId: r.passId ?? null }); }) as never,
  addAlerts: db.transaction((alerts: CloneAlert[]) => {
    let n = 0;
    for (const a of alerts) n += q.addAlert.run(a.holder, a.passId ?? null, a.first.kiosk, a.first.at, a.first.scanId, a.second.kiosk, a.second.at, a.second.scanId, a.km, Number.isFinite(a.kmh) ? a.kmh : null, Date.now()).changes;
    return n;
  }) as never,
  alerts: (limit: number) => (q.alerts.all(limit) as AlertDbRow[]).map(alertFromRow),
  revokeDecisions: () => (q.revokeDecisions.all() as Array<{ pass_id: string }>).map((r) => r.pass_id),
  decideAlert: (id: number, status: string, by: string) => { const r = q.decide.get(status, by, id) as AlertDbRow | undefined; return r ? alertFromRow(r) : undefined; },
  putProgramme: db.transaction((p: Programme, eligible: Array<{ holder: string; ward: string }>) => {
    q.putProgramme.run(p.id, JSON.stringify(p));
    q.dropEligible.run(p.id);
    for (const e of eligible) q.addEligible.run(p.id, e.holder, e.ward);
  }) as never,
  programmes: () => (q.programmes.all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as Programme),
  claim: (c: PayoutClaim) => claimTx.immediate(c),
  payoutFigures: (programme: string) => {
    const rows = new Map<string, PayoutWardRow>();
    const row = (ward: string) => { let r = rows.get(ward); if (!r) rows.set(ward, (r = { ward, eligible: 0, paid: 0, amount: 0, refused: {} })); return r; };
    for (const r of q.eligibleByWard.all(programme) as Array<{ ward: string; n: number }>) row(r.ward).eligible = r.n;
    for (const r of q.paidByWard.all(programme) as Array<{ ward: string; n: number; amount: number }>) Object.assign(row(r.ward), { paid: r.n, amount: r.amount });
    for (const r of q.refusedByWard.all(programme) as Array<{ ward: string; outcome: string; n: number }>) row(r.ward).refused[r.outcome] = r.n;
    return [...rows.values()].sort((a, b) => a.ward.localeCompare(b.ward));
  },
  applyHealth: (day: string, changes: HealthChange[], version: number, complete: boolean) => applyHealth.immediate(day, changes, version, complete),
  healthFigures: (from: string, to: string) => {
    const version = (q.getMeta.get('health.version') as { value: string } | undefined)?.value;
    return {
      version: version === undefined ? null : Number(version),
      current: q.healthCounts.all() as Array<{ level: AreaLevel; area: string; state: HealthCode; n: number }>,
      changes: q.healthChanges.all(from, to),
    };
  },
  getMeta: (key: string) => (q.getMeta.get(key) as { value: string } | undefined)?.value,
  setMeta: (key: string, value: string) => { q.setMeta.run(key, value); },
  // a write that must reach the disk: a full or read-only disk shows here, not only at the next scan
  ping: () => { q.setMeta.run('ping', String(Date.now())); },
  close: () => { db.close(); },
};

port.on('message', (m: Call) => {
  if (m.op === 'ingest') {
    pending.push({ id: m.id, values: m.args[0] as unknown[], sizes: m.args[1] as number[] });
    if (!scheduled) { scheduled = true; setImmediate(flush); }
    return;
  }
  try {
    const value = (ops[m.op] as (...a: unknown[]) => unknown)(...m.args);
    port.postMessage({ id: m.id, value });
    if (m.op === 'close') port.close();
  } catch (e) {
    port.postMessage({ id: m.id, error: describe(e) });
  }
});
port.postMessage({ id: 0, value: 'open' });

// npm run bench:hub: simulated kiosks publishing QoS 1 scan batches to a real `chot hub run` over loopback, on
// SQLite and on PostgreSQL (a server this script starts), beside Mosquitto (Debian's, no persistence) as the
// reference. Prints durable scans/s (committed before the ack), publish → ack latency (the ack is sent after the
// figures are committed, so it bounds publish → figure), hub memory, the hub's start-up with many scans stored,
// and the ack latency under a wrong-password flood. Installs what it drives (mosquitto, postgresql) as npm test
// does. Usage: npm run bench:hub [-- KIOSKS [CONNECTIONS [STORED]]]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { ScanIdGenerator, topics } from '../protocol/src/index.js';
import { hashKioskSecret, hashPassword } from '../hub/src/credentials.js';
import { Credentials } from '../hub/src/credentials.js';
import { freePort } from '../kiosk/test/rig.js';
import { startPostgres } from './services/postgres.js';
import { startMosquitto } from './services/mosquitto.js';
import { SqliteStore } from '../hub/src/store/sqlite.js';
import { PostgresStore } from '../hub/src/store/postgres.js';
import { placeScan } from '../hub/src/figures.js';
import type { HubStore } from '../hub/src/store/port.js';
import { percentile, printTable, type Row } from './bench/measure.js';

const KIOSKS = Number(process.argv[2] ?? 1000);
const CONNECTIONS = Number(process.argv[3] ?? 10_000);
const STORED = Number(process.argv[4] ?? 1_000_000);

// what the benchmark drives, installed as the test runner installs it (root: apt-get; otherwise the command)
for (const [cmd, pkg] of [['mosquitto', 'mosquitto'], ['/usr/lib/postgresql/*/bin/initdb', 'postgresql']]) {
  if (spawnSync('sh', ['-c', cmd.startsWith('/') ? `ls ${cmd}` : `command -v ${cmd}`], { stdio: 'ignore' }).status === 0) continue;
  if (process.getuid?.() !== 0) { console.error(`bench:hub: ${pkg} is missing: run "sudo apt-get install ${pkg}" and try again`); process.exit(1); }
  console.error(`bench:hub: installing ${pkg} with apt-get`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  if (spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status !== 0) process.exit(1);
}
const pgServer = await startPostgres('bench');
const SECRET = 'bench-secret-not-for-production';

async function waitLog(p: ChildProcess, re: RegExp, ms = 30_000): Promise<string> {
  let log = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${log}`)), ms);
    const on = (d: Buffer) => { log += d; const m = re.exec(log); if (m) { clearTimeout(t); resolve(m[0]); } };
    p.stdout?.on('data', on); p.stderr?.on('data', on);
  });
}

/** Waits for a child to end (at once if it already has: a crashed hub must not hang the benchmark). */
const exited = (p: ChildProcess) => new Promise<void>((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.once('exit', () => res())));

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function connectAll(n: number, port: number, auth: boolean): Promise<{ clients: MqttClient[]; seconds: number }> {
  const t0 = performance.now();
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, j) => {
      const id = `bench-${String(i + j).padStart(5, '0')}`;
      return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: id, username: auth ? id : undefined, password: auth ? SECRET : undefined, reconnectPeriod: 0, keepalive: 600, clean: true, connectTimeout: 120_000 })
        .then((c) => { (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true); return c; }); // as the kiosk's uplink does
    }));
    clients.push(...batch);
    if (process.env.CHOT_BENCH_VERBOSE) console.error(`connected ${clients.length} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { clients, seconds: (performance.now() - t0) / 1000 };
}

/** Each client sends `batches` batches of `size` scans, one at a time, waiting for its ack. */
async function load(clients: MqttClient[], batches: number, size: number, appAck: boolean): Promise<{ scans: number; seconds: number; lat: number[]; lost: number }> {
  const lat: number[] = [];
  let lost = 0;
  const t0 = performance.now();
  await Promise.all(clients.map(async (c) => {
    const id = c.options.clientId!;
    const gen = new ScanIdGenerator();
    const waiting = new Map<string, () => void>();
    if (appAck) {
      c.on('message', (_t, p) => { const ids = JSON.parse(p.toString()).ids as string[]; waiting.get(ids[0])?.(); });
      await c.subscribeAsync(topics.ack(id), { qos: 1 });
    }
    for (let b = 0; b < batches; b++) {
      const scans = Array.from({ length: size }, (_, k) => ({ id: gen.next(Date.now()), at: Date.now(), clockSynced: true, verdict: k % 20 ? 'green' : 'red', reason: k % 20 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.1, category: 'resident' }));
      const s = performance.now();
      // a batch not acknowledged within 60 s is counted as lost rather than stalling the run (a real kiosk resends)
      let timer: NodeJS.Timeout | undefined;
      const acked = appAck ? new Promise<boolean>((r) => { waiting.set(scans[0].id, () => r(true)); timer = setTimeout(() => r(false), 60_000); }) : Promise.resolve(true);
      const sent = await c.publishAsync(topics.scans(id), JSON.stringify({ v: 1, kiosk: id, scans }), { qos: 1 }).then(() => true, () => false);
      const ok = sent && await acked;
      clearTimeout(timer);
      if (!ok) { lost++; continue; }
      lat.push(performance.now() - s);
    }
  }));
  return { scans: (clients.length * batches - lost) * size, seconds: (performance.now() - t0) / 1000, lat: lat.sort((a, b) => a - b), lost };
}

let pgDb = 0;
async function chotCase(kind: 'sqlite' | 'postgres', n: number, batches: number, size: number, label: string, attack = false): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-hub-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const hash = hashKioskSecret(SECRET);
  const devices: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) { const id = `bench-${String(i).padStart(5, '0')}`; devices[id] = { id, checkpoint: id, area: i % 2 ? '79/26734' : '01/00004', secret: hash, createdAt: new Date().toISOString() }; }
  writeFileSync(join(dir, 'data', 'devices.json'), JSON.stringify({ devices, accounts: {} }));
  const port = await freePort();
  let store: Record<string, unknown> = { kind: 'sqlite' };
  if (kind === 'postgres') {
    const db = `bench${++pgDb}`;
    spawnSync('psql', [pgServer.url, '-qc', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
    store = { kind: 'postgres', url: pgServer.url.replace(/\/[^/]+$/, `/${db}`) };
  }
  // every bench kiosk comes from 127.0.0.1: the per-address connection limit is raised as for kiosks behind one NAT
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), mqtt: { host: '127.0.0.1', port }, http: { port: 0 }, store, limits: { connectBurstPerSource: 100_000 } }));
  const hub = spawn(process.execPath, [new URL('./chot.js', import.meta.url).pathname, 'hub', 'run', '--config', join(dir, 'hub.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hubLog = '';
  hub.stderr!.on('data', (d) => { hubLog = (hubLog + d).slice(-4000); });
  await waitLog(hub, /hub: ready/, 600_000); // the first start imports the bench's devices.json
  let stopAttack = false;
  const flood = attack ? (async () => {
    // wrong passwords for an operator account and for names nobody has, 100 at a time, until the load ends
    let n = 0;
    while (!stopAttack) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `x${n + j}`, username: j % 2 ? 'ops' : `nobody${n + j}`, password: 'guess', reconnectPeriod: 0, connectTimeout: 10_000 }).then((c) => c.end(true), () => {})));
      n += 100;
    }
    return n;
  })() : Promise.resolve(0);
  const { clients, seconds: connectS } = await connectAll(n, port, true).catch((e) => { console.error(`connecting ${n} kiosks failed: ${e.message}\nhub log:\n${hubLog}`); throw e; });
  hub.once('exit', (code, sig) => { if (code !== 0 && sig !== 'SIGTERM') console.error(`bench:hub: the hub exited (${code ?? sig}) during the load:\n${hubLog}`); });
  const r = await load(clients, batches, size, true);
  stopAttack = true;
  const guesses = await flood;
  const mem = rss(hub.pid!);
  await Promise.all(clients.map((c) => c.endAsync()));
  hub.kill('SIGTERM');
  await exited(hub);
  rmSync(dir, { recursive: true, force: true });
  const row: Row = { broker: `chot hub, ${kind}${attack ? `, ${guesses} wrong-password CONNECTs meanwhile` : ''}`, case: label, 'lost batches': r.lost, connections: n, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99), 'broker RSS MB': mem, 'connect s': connectS };
  console.error(`bench:hub: ${JSON.stringify(row)}`); // each case as it ends: a run cut short still tells
  return row;
}

async function mosquittoCase(n: number, batches: number, size: number, label: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-mosq-'));
  const port = await freePort();
  writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n`);
  // its log is not read: a pipe nobody drains fills up and blocks mosquitto after a few hundred connections
  const m = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const { clients, seconds: connectS } = await connectAll(n, port, false);
  const r = await load(clients, batches, size, false);
  const mem = rss(m.pid!);
  await Promise.all(clients.map((c) => c.endAsync()));
  m.kill('SIGTERM');
  await exited(m);
  rmSync(dir, { recursive: true, force: true });
  return { broker: 'mosquitto (no persistence, PUBACK only)', case: label, 'lost batches': r.lost, connections: n, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99), 'broker RSS MB': mem, 'connect s': connectS };
}

/** Ids of one day's scans made in SQL: the day's 10-character time prefix, then 16 hex digits (Crockford-safe). */
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function idPrefix(ms: number): string { let out = ''; for (let k = 0; k < 10; k++) { out = B32[ms % 32] + out; ms = Math.floor(ms / 32); } return out; }
const FILL_DAY = '2021-09-10';
const FILL_AT = Date.parse(`${FILL_DAY}T08:00:00+07:00`);

/** Fills a store with `total` scans of one day, in SQL (10 million through the store port would take hours here),
 * and their 'scans' counters; one scan first goes through the port, which makes the day's partition. */
async function fill(kind: 'sqlite' | 'postgres', store: HubStore, target: string, total: number, kiosks: number): Promise<void> {
  const one = { id: idPrefix(FILL_AT) + 'Z'.repeat(16), at: FILL_AT, clockSynced: true, verdict: 'green' as const, reason: 'ok', format: 'pass' as const, source: 'serial' as const, ms: 1.1, category: 'resident' };
  await store.ingest([{ ...one, k: 'bench-00000', rx: FILL_AT, ...placeScan(one, FILL_AT, 'Asia/Ho_Chi_Minh') }]);
  await store.close();
  const prefix = idPrefix(FILL_AT);
  if (kind === 'sqlite') {
    const { Database } = await import('../lib/sqlite.js');
    const db = new Database(target);
    db.pragma('journal_mode = WAL');
    for (let i = 0; i < total; i += 1_000_000) {
      const n = Math.min(1_000_000, total - i);
      db.exec(`WITH RECURSIVE c(i) AS (SELECT ${i} UNION ALL SELECT i + 1 FROM c WHERE i < ${i + n - 1})
        INSERT INTO scans (kiosk, id, at, rx, day, hour, synced, verdict, reason, format, source, ms, pass_id, holder, category, override) SELECT printf('bench-%05d', i % ${kiosks}), '${prefix}' || printf('%016X', i), ${FILL_AT}, ${FILL_AT + 500}, '${FILL_DAY}', 8, 1,
          CASE WHEN i % 20 = 0 THEN 'red' ELSE 'green' END, CASE WHEN i % 20 = 0 THEN 'expired' ELSE 'ok' END, 'pass', 'serial', 1.1, NULL, NULL, 'resident', 0 FROM c`);
    }
    db.exec(`INSERT INTO counters SELECT day, kiosk, 'scans', COUNT(*) FROM scans GROUP BY day, kiosk ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = excluded.n`);
    db.close();
  } else {
    const r = spawnSync('psql', [target, '-qc', `INSERT INTO scans (kiosk, id, at, rx, day, hour, synced, verdict, reason, format, source, ms, pass_id, holder, category, override) SELECT 'bench-' || lpad((i % ${kiosks})::text, 5, '0'), '${prefix}' || lpad(upper(to_hex(i)), 16, '0'), ${FILL_AT}, ${FILL_AT + 500}, '${FILL_DAY}', 8, true,
      CASE WHEN i % 20 = 0 THEN 'red' ELSE 'green' END, CASE WHEN i % 20 = 0 THEN 'expired' ELSE 'ok' END, 'pass', 'serial', 1.1, NULL, NULL, 'resident', false FROM generate_series(0, ${total - 1}) i;
      INSERT INTO counters SELECT day, kiosk, 'scans', COUNT(*) FROM scans GROUP BY day, kiosk ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = excluded.n;`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`filling PostgreSQL failed: ${r.stderr}`);
  }
}

/** Start-up of `chot hub run` (process start to "hub: ready") on a store that already holds `total` scans. */
async function startupCase(kind: 'sqlite' | 'postgres', total: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-start-'));
  let storeConf: Record<string, unknown> = { kind: 'sqlite' };
  let store: HubStore;
  if (kind === 'postgres') {
    const db = `start${++pgDb}`;
    spawnSync('psql', [pgServer.url, '-qc', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
    storeConf = { kind: 'postgres', url: pgServer.url.replace(/\/[^/]+$/, `/${db}`) };
    store = new PostgresStore(storeConf.url as string, 'Asia/Ho_Chi_Minh', () => {});
  } else {
    store = new SqliteStore(join(dir, 'data', 'hub.db'), () => {});
  }
  await store.open();
  const t0 = performance.now();
  await fill(kind, store, kind === 'sqlite' ? join(dir, 'data', 'hub.db') : storeConf.url as string, total, 1000);
  const fillS = (performance.now() - t0) / 1000;
  // retention long enough that the 2021 day is kept, so the start-up really has them all
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), retentionDays: 3650, mqtt: { host: '127.0.0.1', port: 0 }, http: { port: 0 }, store: storeConf }));
  const t1 = performance.now();
  const hub = spawn(process.execPath, [new URL('./chot.js', import.meta.url).pathname, 'hub', 'run', '--config', join(dir, 'hub.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitLog(hub, /hub: ready/, 300_000);
  const startS = (performance.now() - t1) / 1000;
  const mem = rss(hub.pid!);
  hub.kill('SIGTERM');
  await exited(hub);
  rmSync(dir, { recursive: true, force: true });
  return { store: kind, 'scans stored': total, 'fill s (scans/s)': `${fillS.toFixed(0)} (${Math.round(total / fillS)})`, 'start-up s': startS, 'hub RSS MB': mem };
}

/** CPU time (user + system) of processes so far, in ms. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); ticks += Number(f[11]) + Number(f[12]); } catch { /* gone */ }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const postgresPids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'; } catch { return false; } });

/** N hub processes behind Mosquitto with PostgreSQL (scale-out): throughput, latency and CPU per 1,000 scans. */
async function scaleCase(hubsN: number, n: number, batches: number, size: number, label: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-scale-'));
  const broker = await startMosquitto();
  const db = `scale${++pgDb}`;
  spawnSync('psql', [pgServer.url, '-qc', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
  writeFileSync(join(dir, 'pw'), 'unused: the bench broker is anonymous');
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), http: { port: 0 }, store: { kind: 'postgres', url: pgServer.url.replace(/\/[^/]+$/, `/${db}`) },
    mqtt: { broker: 'external', urls: [broker.url], username: 'chot-hub', passwordFile: join(dir, 'pw') } }));
  const hubs: ChildProcess[] = [];
  for (let h = 0; h < hubsN; h++) {
    const p = spawn(process.execPath, [new URL('./chot.js', import.meta.url).pathname, 'hub', 'run', '--config', join(dir, 'hub.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitLog(p, /consuming \$share/, 60_000);
    hubs.push(p);
  }
  const { clients } = await connectAll(n, broker.port, false);
  const pgs = postgresPids();
  const before = { hubs: hubs.map((p) => cpuMs([p.pid!])), broker: cpuMs([broker.pid()]), pg: cpuMs(pgs) };
  const r = await load(clients, batches, size, true);
  const per = (ms: number) => Math.round((ms / r.scans) * 1000);
  const cpu = { hubs: hubs.map((p, k) => per(cpuMs([p.pid!]) - before.hubs[k])), broker: per(cpuMs([broker.pid()]) - before.broker), pg: per(cpuMs(pgs) - before.pg) };
  await Promise.all(clients.map((c) => c.endAsync()));
  for (const p of hubs) { p.kill('SIGTERM'); await exited(p); }
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  return { setup: `${hubsN} hub process${hubsN > 1 ? 'es' : ''} + mosquitto + postgres`, case: label, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99),
    'CPU ms / 1k scans: hubs': cpu.hubs.join(' + '), 'mosquitto': cpu.broker, 'postgres': cpu.pg };
}

/** Why the SQLite writer is a worker thread: a durable commit in the main thread blocks its event loop. */
async function mainThreadCommit(): Promise<Row> {
  const { Database } = await import('../lib/sqlite.js');
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-eld-'));
  const db = new Database(join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE s (k TEXT, id TEXT, v TEXT, PRIMARY KEY (k, id)) WITHOUT ROWID');
  const ins = db.prepare('INSERT INTO s VALUES (?, ?, ?)');
  const tx = db.transaction((rows: string[][]) => { for (const r of rows) ins.run(...r); });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const commits: number[] = [];
  for (let n = 0; n < 500; n++) {
    const rows = Array.from({ length: 100 }, (_, i) => [`k${n % 50}`, String(n * 100 + i).padStart(12, '0'), 'x'.repeat(200)]);
    const t = performance.now();
    tx(rows);
    commits.push(performance.now() - t);
    await new Promise((r) => setImmediate(r));
  }
  h.disable();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  commits.sort((a, b) => a - b);
  return { measure: '500 commits of 100 scans, WAL, synchronous=FULL', 'commit p50 ms': percentile(commits, 50), 'commit p99 ms': percentile(commits, 99), 'event-loop delay p99 ms': h.percentile(99) / 1e6, 'max ms': h.max / 1e6 };
}

// CHOT_BENCH_ONLY=ingest|scale|startup runs one section (the whole run takes tens of minutes on 2 cores)
const only = process.env.CHOT_BENCH_ONLY;
const want = (section: string) => !only || only.split(',').includes(section);
const rows: Row[] = [];
printTable('SQLite commit in the main thread (why the hub commits in a worker thread)', [await mainThreadCommit()]);
console.log(`# chot hub benchmark: ${KIOSKS} kiosks, then ${CONNECTIONS} connections (node ${process.version})`);
if (want('ingest')) {
  for (const kind of ['sqlite', 'postgres'] as const) rows.push(await chotCase(kind, KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
  rows.push(await mosquittoCase(KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
  rows.push(await chotCase('sqlite', KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`, true));
  for (const kind of ['sqlite', 'postgres'] as const) rows.push(await chotCase(kind, CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
  rows.push(await mosquittoCase(CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
  printTable('Hub ingest over loopback (QoS 1 scan batches; chot acks after the commit of the scans and their figures)', rows);
}
if (want('scale')) {
  const scale: Row[] = [];
  for (const h of [1, 2]) scale.push(await scaleCase(h, KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
  scale.push({ setup: 'mosquitto alone (no persistence, PUBACK only)', ...await mosquittoCase(KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`) });
  printTable('Scale-out: hub processes behind an external broker (Mosquitto) with PostgreSQL; all share these 2 cores', scale);
}
if (want('startup')) {
  const starts: Row[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) starts.push(await startupCase(kind, STORED));
  printTable(`Hub start-up with ${STORED.toLocaleString('en-US')} scans stored (one day, 1,000 kiosks)`, starts);
}
pgServer.stop();
const cred = new Credentials();
cred.replace([{ id: 'k', area: '79', secret: hashKioskSecret(SECRET), createdAt: '' }], [{ name: 'ops', role: 'operator', secret: await hashPassword(SECRET), createdAt: '' }]);
let t0 = performance.now();
for (let i = 0; i < 10_000; i++) await cred.check('k', SECRET);
const hmacUs = ((performance.now() - t0) / 10_000) * 1000;
t0 = performance.now();
for (let i = 0; i < 10; i++) await cred.check('ops', `wrong-${i}`);
printTable('Credential checks: a kiosk secret (HMAC-SHA-256) against an account password (scrypt N=16384, r=8, p=1)', [
  { measure: 'kiosk secret, µs per check', value: hmacUs }, { measure: 'account password, ms per check', value: (performance.now() - t0) / 10 }]);
process.exit(0);

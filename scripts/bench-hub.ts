// npm run bench:hub: simulated kiosks publishing QoS 1 scan batches to a real `chot hub run` over loopback, on
// SQLite and on PostgreSQL (a server this script starts), beside Mosquitto (Debian's, no persistence) as the
// reference. Prints durable scans/s (committed before the ack), publish → ack latency (the ack is sent after the
// figures are committed, so it bounds publish → figure), hub memory, the hub's start-up with many scans stored,
// and the ack latency under a wrong-password flood. Installs what it drives (mosquitto, postgresql) as npm test
// does. Usage: npm run bench:hub [-- KIOSKS [CONNECTIONS [STORED]]]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { ScanIdGenerator, topics } from '../protocol/src/index.js';
import { hashKioskSecret, hashPassword } from '../hub/src/credentials.js';
import { Credentials } from '../hub/src/credentials.js';
import { freePort } from '../kiosk/test/rig.js';
import { startPostgres } from './services/postgres.js';
import { SqliteStore } from '../hub/src/store/sqlite.js';
import { PostgresStore } from '../hub/src/store/postgres.js';
import { placeScan } from '../hub/src/figures.js';
import type { HubStore, StoredScan } from '../hub/src/store/port.js';
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
async function load(clients: MqttClient[], batches: number, size: number, appAck: boolean): Promise<{ scans: number; seconds: number; lat: number[] }> {
  const lat: number[] = [];
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
      const acked = appAck ? new Promise<void>((r) => waiting.set(scans[0].id, r)) : Promise.resolve();
      await c.publishAsync(topics.scans(id), JSON.stringify({ v: 1, kiosk: id, scans }), { qos: 1 });
      await acked;
      lat.push(performance.now() - s);
    }
  }));
  return { scans: clients.length * batches * size, seconds: (performance.now() - t0) / 1000, lat: lat.sort((a, b) => a - b) };
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
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), mqtt: { host: '127.0.0.1', port }, http: { port: 0 }, store }));
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
  const r = await load(clients, batches, size, true);
  stopAttack = true;
  const guesses = await flood;
  const mem = rss(hub.pid!);
  await Promise.all(clients.map((c) => c.endAsync()));
  hub.kill('SIGTERM');
  await new Promise((res) => hub.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return { broker: `chot hub, ${kind}${attack ? `, ${guesses} wrong-password CONNECTs meanwhile` : ''}`, case: label, connections: n, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99), 'broker RSS MB': mem, 'connect s': connectS };
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
  await new Promise((res) => m.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return { broker: 'mosquitto (no persistence, PUBACK only)', case: label, connections: n, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99), 'broker RSS MB': mem, 'connect s': connectS };
}

/** Fills a store with `total` scans of one day, in transactions of 20,000, straight through the store port. */
async function fill(store: HubStore, total: number, kiosks: number): Promise<void> {
  const day = Date.parse('2021-09-10T00:00:00+07:00');
  const gen = new ScanIdGenerator();
  for (let i = 0; i < total; i += 20_000) {
    const chunk: StoredScan[] = [];
    for (let j = i; j < Math.min(total, i + 20_000); j++) {
      const at = day + Math.floor((j / total) * 86_000_000);
      const r = { id: gen.next(at), at, clockSynced: true, verdict: j % 20 ? 'green' as const : 'red' as const, reason: j % 20 ? 'ok' : 'expired', format: 'pass' as const, source: 'serial' as const, ms: 1.1, category: 'resident' };
      chunk.push({ ...r, k: `bench-${String(j % kiosks).padStart(5, '0')}`, rx: at + 500, ...placeScan(r, at + 500, 'Asia/Ho_Chi_Minh') });
    }
    await store.ingest(chunk);
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
  await fill(store, total, 1000);
  const fillS = (performance.now() - t0) / 1000;
  await store.close();
  // retention long enough that the 2021 day is kept, so the start-up really has them all
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), retentionDays: 3650, mqtt: { host: '127.0.0.1', port: 0 }, http: { port: 0 }, store: storeConf }));
  const t1 = performance.now();
  const hub = spawn(process.execPath, [new URL('./chot.js', import.meta.url).pathname, 'hub', 'run', '--config', join(dir, 'hub.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitLog(hub, /hub: ready/, 300_000);
  const startS = (performance.now() - t1) / 1000;
  const mem = rss(hub.pid!);
  hub.kill('SIGTERM');
  await new Promise((res) => hub.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return { store: kind, 'scans stored': total, 'fill s (scans/s)': `${fillS.toFixed(0)} (${Math.round(total / fillS)})`, 'start-up s': startS, 'hub RSS MB': mem };
}

const rows: Row[] = [];
console.log(`# chot hub benchmark: ${KIOSKS} kiosks, then ${CONNECTIONS} connections (node ${process.version})`);
for (const kind of ['sqlite', 'postgres'] as const) rows.push(await chotCase(kind, KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
rows.push(await mosquittoCase(KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
rows.push(await chotCase('sqlite', KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`, true));
for (const kind of ['sqlite', 'postgres'] as const) rows.push(await chotCase(kind, CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
rows.push(await mosquittoCase(CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
printTable('Hub ingest over loopback (QoS 1 scan batches; chot acks after the commit of the scans and their figures)', rows);
const starts: Row[] = [];
for (const kind of ['sqlite', 'postgres'] as const) starts.push(await startupCase(kind, STORED));
printTable(`Hub start-up with ${STORED.toLocaleString('en-US')} scans stored (one day, 1,000 kiosks)`, starts);
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

// npm run bench:hub: simulated kiosks publishing QoS 1 scan batches to a real `chot hub run` over loopback.
// Prints scans per second stored durably (fdatasync before the ack), publish → ack latency (the ack is sent
// after the figures are updated, so it bounds publish → figure), hub memory, and the same load through
// Mosquitto (Debian's, no persistence) as a reference. Usage: npm run bench:hub [-- KIOSKS [CONNECTIONS]]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { ScanIdGenerator, topics } from '../protocol/src/index.js';
import { hashKioskSecret, hashPassword } from '../hub/src/credentials.js';
import { Credentials } from '../hub/src/credentials.js';
import { freePort } from '../kiosk/test/rig.js';
import { percentile, printTable, type Row } from './bench/measure.js';

const KIOSKS = Number(process.argv[2] ?? 1000);
const CONNECTIONS = Number(process.argv[3] ?? 10_000);
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

async function chotCase(n: number, batches: number, size: number, label: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-bench-hub-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  const hash = hashKioskSecret(SECRET);
  const devices: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) { const id = `bench-${String(i).padStart(5, '0')}`; devices[id] = { id, checkpoint: id, area: i % 2 ? '79/26734' : '01/00004', secret: hash, createdAt: new Date().toISOString() }; }
  writeFileSync(join(dir, 'data', 'devices.json'), JSON.stringify({ devices, accounts: {} }));
  const port = await freePort();
  writeFileSync(join(dir, 'hub.json'), JSON.stringify({ dataDir: join(dir, 'data'), mqtt: { host: '127.0.0.1', port }, http: { port: 0 } }));
  const hub = spawn(process.execPath, [new URL('./chot.js', import.meta.url).pathname, 'hub', 'run', '--config', join(dir, 'hub.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let hubLog = '';
  hub.stderr!.on('data', (d) => { hubLog = (hubLog + d).slice(-4000); });
  await waitLog(hub, /hub: ready/);
  const { clients, seconds: connectS } = await connectAll(n, port, true).catch((e) => { console.error(`connecting ${n} kiosks failed: ${e.message}\nhub log:\n${hubLog}`); throw e; });
  const r = await load(clients, batches, size, true);
  const mem = rss(hub.pid!);
  await Promise.all(clients.map((c) => c.endAsync()));
  hub.kill('SIGTERM');
  await new Promise((res) => hub.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return { broker: 'chot hub (durable, app ack)', case: label, connections: n, scans: r.scans, 'scans/s': r.scans / r.seconds, 'p50 ms': percentile(r.lat, 50), 'p99 ms': percentile(r.lat, 99), 'broker RSS MB': mem, 'connect s': connectS };
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

const rows: Row[] = [];
console.log(`# chot hub benchmark: ${KIOSKS} kiosks, then ${CONNECTIONS} connections (node ${process.version})`);
rows.push(await chotCase(KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
rows.push(await mosquittoCase(KIOSKS, 20, 10, `${KIOSKS} kiosks × 20 batches of 10`));
rows.push(await chotCase(CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
rows.push(await mosquittoCase(CONNECTIONS, 2, 10, `${CONNECTIONS} connections × 2 batches of 10`));
printTable('Hub ingest over loopback (QoS 1 scan batches; chot acks after fdatasync and the figures)', rows);
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

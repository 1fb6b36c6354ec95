// A busy PostgreSQL store is not a store that is down. The hub's work (scan batches, clone-detection sightings,
// kiosk statuses, heartbeats, the store-down probe) shares a pool of 8 connections; at 10,000 kiosks it queues for
// them, and a hub under that load opens new connections slowly. Neither wait may count as the database failing:
// that refused every kiosk's batches and closed their connections (bench:hub stalled at 10,000 connections on
// PostgreSQL). A real PostgreSQL server, started by the test; the waits below are made by the database (a lock
// another session holds) and by a proxy that holds a new connection, and nothing here asserts on time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { startPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { PostgresStore } from '../src/store/postgres.js';
import { Ingest } from '../src/ingest.js';

const TZ = 'Asia/Ho_Chi_Minh';
/** longer than the 3 s pg-pool limit the store had on waiting for a connection and on opening one */
const HOLD_MS = 4500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: LocalPostgres | undefined;
let dbs = 0;

async function database(): Promise<string> {
  server ??= await startPostgres('busy');
  const db = `busy${++dbs}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  return server.url.replace(/\/[^/]+$/, `/${db}`);
}

function batchOf(kiosk: string, gen: ScanIdGenerator, n: number): Buffer {
  const now = Date.now();
  const scans: ScanRecord[] = Array.from({ length: n }, (_, i) => ({ id: gen.next(now), at: now, clockSynced: true, verdict: i % 5 ? 'green' : 'red', reason: i % 5 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.5, category: 'resident' }));
  return Buffer.from(JSON.stringify({ v: 1, kiosk, scans }));
}

function ingestOn(store: PostgresStore) {
  const lines: string[] = [];
  const acked = new Map<string, number>();
  const ingest = new Ingest({
    store, timeZone: TZ, retentionDays: 30,
    log: (l, level) => lines.push(`${level ?? 'info'}: ${l}`),
    ack: (k, ids) => acked.set(k, (acked.get(k) ?? 0) + ids.length),
  });
  return { ingest, lines, acked };
}

test('every pooled connection held by a lock wait longer than the old limit: batches wait their turn, the store is never called down, each scan is committed and acknowledged once', async () => {
  const url = await database();
  const store = new PostgresStore(url, TZ, () => {});
  await store.open();
  const { ingest, lines, acked } = ingestOn(store);
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  try {
    // another session (an operator's long query, a migration) holds the sightings table: the hub's clone-detection
    // reads wait for it, each on one of the pool's 8 connections
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE sightings IN ACCESS EXCLUSIVE MODE');
    const reads = Array.from({ length: 8 }, (_, i) => store.sightings([`holder-${i}`]));
    for (;;) {
      const r = await locker.query<{ n: string }>(`SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'sightings' AND NOT l.granted`);
      if (Number(r.rows[0].n) >= 8) break;
      await sleep(50);
    }
    // now 40 kiosks' batches, a status write and the probe's ping queue for a connection
    const kiosks = Array.from({ length: 40 }, (_, i) => `booth-${String(i).padStart(2, '0')}`);
    const gens = new Map(kiosks.map((k) => [k, new ScanIdGenerator()]));
    const batches = kiosks.flatMap((k) => [ingest.batch(k, batchOf(k, gens.get(k)!, 10)), ingest.batch(k, batchOf(k, gens.get(k)!, 10))]);
    const others = [store.putKioskStatuses([{ kiosk: kiosks[0], status: '{}', seenAt: Date.now() }]), store.ping()];
    const all = Promise.allSettled([...batches, ...reads, ...others]);
    await sleep(HOLD_MS);
    const available = ingest.available;
    await locker.query('COMMIT');
    const settled = await all;
    assert.ok(available, `the store was called down while it was only busy: ${lines.join(' | ')}`);
    const failed = settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason));
    assert.equal(failed, [], 'nothing the hub queued failed');
    assert.equal(settled.slice(0, batches.length).map((s) => (s as PromiseFulfilledResult<string>).value), batches.map(() => 'ok'));
    assert.ok(ingest.available);
    assert.equal(lines.filter((l) => l.startsWith('error')), []);
    assert.equal(ingest.stats.failedCommits, 0);
    assert.equal([...acked.values()].reduce((a, b) => a + b, 0), kiosks.length * 20, 'every scan acknowledged');
    assert.is(await store.scanCount(), kiosks.length * 20, 'every scan stored once');
  } finally {
    await locker.end().catch(() => {});
    ingest.stop();
    await store.close();
  }
});

test('opening a connection takes longer than the old limit (a hub busy with its kiosks reads the answer late): the batch is committed, the store is not called down', async () => {
  const url = await database();
  const direct = new PostgresStore(url, TZ, () => {});
  await direct.open(); // the schema, through a connection that is not held
  await direct.close();
  // a proxy that holds every new connection before it reaches the server, as a saturated event loop would
  const target = new URL(url);
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    client.pause();
    sockets.add(client);
    setTimeout(() => {
      const up = connect(Number(target.port), target.hostname, () => { client.pipe(up); up.pipe(client); client.resume(); });
      sockets.add(up);
      const end = () => { client.destroy(); up.destroy(); };
      up.on('error', end); client.on('error', end); up.on('close', end); client.on('close', end);
    }, HOLD_MS);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const via = new URL(url);
  via.port = String((proxy.address() as { port: number }).port);
  const store = new PostgresStore(via.toString(), TZ, () => {});
  const { ingest, lines, acked } = ingestOn(store);
  try {
    const gen = new ScanIdGenerator();
    const r = await Promise.allSettled([ingest.batch('booth-1', batchOf('booth-1', gen, 10)), ingest.batch('booth-2', batchOf('booth-2', new ScanIdGenerator(), 10))]);
    assert.equal(r.map((x) => (x.status === 'fulfilled' ? x.value : String(x.reason))), ['ok', 'ok'], lines.join(' | '));
    assert.ok(ingest.available, lines.join(' | '));
    assert.equal(lines.filter((l) => l.startsWith('error')), []);
    assert.equal(acked.get('booth-1'), 10);
    assert.is(await store.scanCount(), 20);
  } finally {
    ingest.stop();
    await store.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  }
});

test('stop the test server', () => { server?.stop(); });
test.run();

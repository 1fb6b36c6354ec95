// The store contract on PostgreSQL: a real server started by the test (initdb, pg_ctl) on a loopback port, one
// fresh database per test.
import { test } from 'uvu';
import pg from 'pg';
import { startPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { PostgresStore } from '../src/store/postgres.js';
import * as assert from 'uvu/assert';
import { scan, storeContract } from './store-contract.js';

let server: LocalPostgres | undefined;
let n = 0;

storeContract('postgresql', async () => {
  server ??= await startPostgres('contract');
  const db = `c${++n}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = server.url.replace(/\/[^/]+$/, `/${db}`);
  const store = new PostgresStore(url, 'Asia/Ho_Chi_Minh', () => {});
  await store.open();
  return {
    store,
    tamper: async (day, checkpoint, key, value) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('INSERT INTO counters VALUES ($1, $2, $3, $4) ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = excluded.n', [day, checkpoint, key, value]);
      await c.end();
    },
    another: async () => { const s = new PostgresStore(url, 'Asia/Ho_Chi_Minh', () => {}); await s.open(); return s; },
    cleanup: async () => { await store.close(); },
  };
});

test('a database from before scans carried an origin and an officer: the columns are added to every partition, old scans have none', async () => {
  server ??= await startPostgres('contract');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE before_origin');
  await admin.end();
  const url = server.url.replace(/\/[^/]+$/, '/before_origin');
  const old = scan('booth-1', '2021-09-10T08:00:00+07:00');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const cols = `kiosk text NOT NULL, id text COLLATE "C" NOT NULL, at bigint NOT NULL, rx bigint NOT NULL, day text NOT NULL, hour smallint NOT NULL, synced boolean NOT NULL,
    verdict text NOT NULL, reason text NOT NULL, format text NOT NULL, source text NOT NULL, ms double precision NOT NULL, pass_id text, holder text, category text, override boolean NOT NULL`;
  await c.query(`CREATE TABLE scans (${cols}, PRIMARY KEY (kiosk, id)) PARTITION BY RANGE (id); CREATE TABLE scans_offclock (${cols}, PRIMARY KEY (kiosk, id));
    CREATE TABLE scans_old PARTITION OF scans FOR VALUES FROM (MINVALUE) TO (MAXVALUE)`);
  await c.query(`INSERT INTO scans VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, $9, $10, $11, NULL, NULL, $12, false)`, [old.k, old.id, old.at, old.rx, old.day, old.hour, old.verdict, old.reason, old.format, old.source, old.ms, old.category]);
  await c.end();
  const store = new PostgresStore(url, 'Asia/Ho_Chi_Minh', () => {});
  try {
    await store.open();
    await store.open(); // a second start finds the column there
    // the old catch-all partition holds every id: the new scan goes there too
    const fresh = { ...scan('booth-1', '2021-09-10T09:00:00+07:00', { origin: 'VN-01', officer: 'CA79-0042' }) };
    (store as unknown as { partitions: Set<string> }).partitions.add('scans_p20210910');
    assert.equal(await store.ingest([fresh]), { stored: 1, duplicates: 0 });
    assert.equal((await store.scansOfDay('2021-09-10')).map((x) => [x.origin ?? null, x.officer ?? null]), [[null, null], ['VN-01', 'CA79-0042']]);
    // the old scan was put there without its counters: the recount adds them, and finds the officer's and origin's right
    assert.equal((await store.recount('2021-09-10')).filter((c) => /^[fo]:/.test(c.key)), [], 'the recount reads the added columns as the ingest counted them');
    const rows = await store.counters('2021-09-10', '2021-09-10');
    assert.equal(rows.filter((r) => r.key.startsWith('o:') || r.key.startsWith('f:')).map((r) => [r.key, r.n]).sort(), [['f:CA79-0042:green', 1], ['o:VN-01:green', 1]]);
  } finally {
    await store.close();
  }
});

test('stop the test server', () => { server?.stop(); });
test.run();

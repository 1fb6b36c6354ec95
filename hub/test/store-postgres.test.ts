// The store contract on PostgreSQL: a real server started by the test (initdb, pg_ctl) on a loopback port, one
// fresh database per test.
import { test } from 'uvu';
import pg from 'pg';
import { startPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { PostgresStore } from '../src/store/postgres.js';
import { storeContract } from './store-contract.js';

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

test('stop the test server', () => { server?.stop(); });
test.run();

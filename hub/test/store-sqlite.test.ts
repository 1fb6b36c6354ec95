// The store contract on SQLite (the embedded default): a real database file in a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite.js';
import { storeContract } from './store-contract.js';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chot-sqlite-'));
  const path = join(dir, 'hub.db');
  const store = new SqliteStore(path, () => {});
  await store.open();
  return {
    store,
    tamper: async (day, checkpoint, key, n) => {
      const db = new Database(path);
      db.prepare('INSERT INTO counters VALUES (?, ?, ?, ?) ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = excluded.n').run(day, checkpoint, key, n);
      db.close();
    },
    another: async () => { const s = new SqliteStore(path, () => {}); await s.open(); return s; },
    cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
});

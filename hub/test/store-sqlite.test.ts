// The store contract on SQLite (the embedded default): a real database file in a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../lib/sqlite.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scan, storeContract } from './store-contract.js';
import { openedDatabases } from '../../kiosk/test/rig.js';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chot-sqlite-'));
  const path = join(dir, 'hub.db');
  const store = new SqliteStore(path, () => {});
  await store.open();
  return {
    store,
    tamper: async (day, checkpoint, key, n) => {
      const db = new Database(path);
      openedDatabases.push(db);
      const st = db.prepare('INSERT INTO counters VALUES (?, ?, ?, ?) ON CONFLICT (day, checkpoint, key) DO UPDATE SET n = excluded.n');
      openedDatabases.push(st);
      st.run(day, checkpoint, key, n);
      db.close();
    },
    another: async () => { const s = new SqliteStore(path, () => {}); await s.open(); return s; },
    cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
});

// the two older layouts: before scans carried an origin, and with an origin (issue 17) but no officer (issue 13)
for (const [era, originColumn] of [['an origin', ''], ['an officer', ', origin TEXT']] as const) {
  test(`a database from before scans carried ${era}: the columns are added, old scans have none, new ones count theirs`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chot-sqlite-'));
    const path = join(dir, 'hub.db');
    const old = scan('booth-1', '2021-09-10T08:00:00+07:00');
    const db = new Database(path);
    openedDatabases.push(db);
    db.exec(`CREATE TABLE scans (kiosk TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, rx INTEGER NOT NULL, day TEXT NOT NULL, hour INTEGER NOT NULL,
      synced INTEGER NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL, format TEXT NOT NULL, source TEXT NOT NULL,
      ms REAL NOT NULL, pass_id TEXT, holder TEXT, category TEXT, override INTEGER NOT NULL${originColumn}, PRIMARY KEY (kiosk, id)) WITHOUT ROWID`);
    const st = db.prepare(`INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, NULL, NULL, ?, 0${originColumn ? ', NULL' : ''})`);
    openedDatabases.push(st);
    st.run(old.k, old.id, old.at, old.rx, old.day, old.hour, old.verdict, old.reason, old.format, old.source, old.ms, old.category);
    db.close();
    const store = new SqliteStore(path, () => {});
    try {
      await store.open();
      const fresh = scan('booth-1', '2021-09-10T09:00:00+07:00', { origin: 'VN-01', officer: 'CA79-0042' });
      assert.equal(await store.ingest([fresh]), { stored: 1, duplicates: 0 });
      assert.equal((await store.scansOfDay('2021-09-10')).map((x) => [x.origin ?? null, x.officer ?? null]), [[null, null], ['VN-01', 'CA79-0042']]);
      // the old scan was put there without its counters: the recount adds them, and finds the officer's and origin's right
      assert.equal((await store.recount('2021-09-10')).filter((c) => /^[fo]:/.test(c.key)), [], 'the recount reads the added columns as the ingest counted them');
      const rows = await store.counters('2021-09-10', '2021-09-10');
      assert.equal(rows.filter((r) => r.key === 'scans' || r.key.startsWith('o:') || r.key.startsWith('f:')).map((r) => [r.key, r.n]).sort(),
        [['f:CA79-0042:green', 1], ['o:VN-01:green', 1], ['scans', 2]]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
test.run();

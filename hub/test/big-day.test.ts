// A national day in the store: 3 million scans of one day from 6,000 checkpoints (made in SQL), their figures rebuilt by `chot hub recount`, then `chot hub run` starts (nothing is replayed: start-up reads
// the devices only) and serves that day's figures exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Database } from '../../lib/sqlite.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { spawnSync } from 'node:child_process';
import { CHOT, chot, killAll, makeWorld, startHub, stop, openedDatabases, webPort, addAccount } from '../../kiosk/test/rig.js';
import { rmSync } from 'node:fs';

const TOTAL = 3_000_000;
const CHECKPOINTS = 6000;
const DAY = '2021-09-10';
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const idPrefix = (ms: number) => { let out = ''; for (let k = 0; k < 10; k++) { out = B32[ms % 32] + out; ms = Math.floor(ms / 32); } return out; };

test(`a day of ${TOTAL.toLocaleString('en-US')} scans from ${CHECKPOINTS.toLocaleString('en-US')} checkpoints: recount, start, exact figures`, async () => {
  const w = makeWorld('big-day');
  const dataDir = join(w.dir, 'hub');
  const store = new SqliteStore(join(dataDir, 'hub.db'), () => {});
  await store.open(); // the schema
  await store.close();
  const at = Date.parse(`${DAY}T08:00:00+07:00`);
  const db = new Database(join(dataDir, 'hub.db'));
  openedDatabases.push(db);
  db.exec('PRAGMA journal_mode = WAL');
  // scan i: checkpoint i div 500 (rows in key order: a fast insert), red with "expired" every 20th, at hour (i mod 24)
  db.exec(`WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ${TOTAL - 1})
    INSERT INTO scans (kiosk, id, at, rx, day, hour, synced, verdict, reason, format, source, ms, pass_id, holder, category, override) SELECT printf('cp-%04d', i / ${TOTAL / CHECKPOINTS}), '${idPrefix(at)}' || printf('%016X', i), ${at}, ${at + 500}, '${DAY}', i % 24, 1,
      CASE WHEN i % 20 = 0 THEN 'red' ELSE 'green' END, CASE WHEN i % 20 = 0 THEN 'expired' ELSE 'ok' END, 'pass', 'serial', 1.1, NULL, NULL, 'resident', 0 FROM c`);
  db.close();
  const config = join(w.dir, 'hub.json');
  const hub = await startHub(w, undefined, { retentionDays: 3650 });
  try {
    // one line per corrected counter: 180,000 of them the first time
    const r = spawnSync(process.execPath, [CHOT, 'hub', 'recount', '--day', DAY, '--config', config], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const err = r.stderr, code = r.status;
    assert.is(code, 0, err);
    assert.match(err, new RegExp(`${DAY}: ${TOTAL} raw scans counted`));
    assert.ok(r.stdout.split('\n').filter(Boolean).length > CHECKPOINTS, 'every checkpoint\'s counters were made');
    assert.is(chot(['hub', 'recount', '--day', DAY, '--config', config]).out, '', 'a second recount finds nothing to correct');
    const token = addAccount(config, 'reader', 'service');
    await stop(hub.proc);
    const again = await startHub(w, hub.port, { retentionDays: 3650 });
    hub.proc = again.proc;
    const http = webPort(again.proc.log());
    const res = await fetch(`http://127.0.0.1:${http}/api/figures?day=${DAY}`, { headers: { Authorization: `Bearer reader:${token}` } });
    assert.is(res.status, 200);
    const f = await res.json() as { nationwide: { scans: number; green: number; red: number; reasons: Record<string, number>; hours: number[]; passRateText: string }; checkpoints: unknown[] };
    assert.is(f.nationwide.scans, TOTAL);
    assert.is(f.nationwide.red, TOTAL / 20);
    assert.equal(f.nationwide.reasons, { expired: TOTAL / 20 });
    assert.is(f.nationwide.hours.reduce((a, b) => a + b, 0), TOTAL);
    assert.is(f.nationwide.hours[7], TOTAL / 24);
    assert.is(f.checkpoints.length, CHECKPOINTS);
    assert.is(f.nationwide.passRateText, '2,850,000 / 3,000,000 (95.0 %)');
  } finally {
    await stop(hub.proc);
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test.after(() => killAll());
test.run();

// Exactly-once figures through faults, on each store: four kiosks (the real kiosk journal and uplink code, in this
// process) send 10,000 scans while the hub process is killed with SIGKILL, PostgreSQL is stopped for 10 s, or the
// SQLite file's disk is full; every scan must end in the figures once, as an operator reads them from the API.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanIdGenerator, localDay, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../../kiosk/src/journal/journal.js';
import { Uplink } from '../../kiosk/src/uplink/uplink.js';
import { addDevice, chot, freePort, killAll, makeWorld, sleep, startHub, stop, waitFor, type Hub, type World, webPort } from '../../kiosk/test/rig.js';
import { startPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';

const KIOSKS = 4;
const PER_KIOSK = 2500;
const TZ = 'Asia/Ho_Chi_Minh';
let pgServer: LocalPostgres | undefined;

interface Rig {
  w: World; port: number; hub: Hub; extra: Record<string, unknown>;
  kiosks: Array<{ id: string; journal: Journal; uplink: Uplink; gen: ScanIdGenerator; dir: string }>;
  written: number;
}

async function setUp(name: string, extra: Record<string, unknown>, dataDir?: string): Promise<Rig> {
  const w = makeWorld(name);
  const port = await freePort();
  // the store must be in the config before chot device add writes to it
  writeFileSync(join(w.dir, 'hub.json'), JSON.stringify({ dataDir: dataDir ?? join(w.dir, 'hub'), mqtt: { host: '127.0.0.1', port }, ...extra }));
  const ids = Array.from({ length: KIOSKS }, (_, i) => `booth-${i + 1}`);
  const passwords = ids.map((id, i) => addDevice(w, id, i % 2 ? '01/00004' : '79/26734'));
  const hub = await startHub(w, port, { ...extra, ...(dataDir ? { dataDir } : {}) });
  const kiosks = ids.map((id, i) => {
    const dir = mkdtempSync(join(tmpdir(), `chot-${id}-`));
    const journal = Journal.open(dir, { commitMs: 20 });
    const uplink = new Uplink({ url: `mqtt://127.0.0.1:${port}`, kioskId: id, password: passwords[i], backoffMinMs: 100, backoffMaxMs: 1000, backlogPerSecond: 5000, batchMax: 100, ackTimeoutMs: 3000, log: () => {} }, journal);
    uplink.start({ v: 1, kiosk: id, online: false, at: Date.now() });
    return { id, journal, uplink, gen: new ScanIdGenerator(), dir };
  });
  await waitFor('all kiosks online', () => kiosks.every((k) => k.uplink.state === 'online'), 10_000);
  return { w, port, hub, extra: { ...extra, ...(dataDir ? { dataDir } : {}) }, kiosks, written: 0 };
}

/** The kiosks signal PER_KIOSK scans each, as fast as a busy lane. Halfway, `fault` starts (and returns how it
 * ends); the second half is signalled while it lasts, then it ends. */
async function burst(r: Rig, fault: () => Promise<() => Promise<void>>): Promise<void> {
  const now = Date.now();
  let end: (() => Promise<void>) | undefined;
  const signal = (async () => {
    for (let n = 0; n < PER_KIOSK; n++) {
      if (n === PER_KIOSK / 2) end = await fault();
      for (const k of r.kiosks) {
        const rec: ScanRecord = { id: k.gen.next(now + n), at: now + n, clockSynced: true, verdict: n % 10 ? 'green' : 'red', reason: n % 10 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.2, category: 'resident' };
        k.journal.append(rec);
        k.uplink.scanned(rec.id);
        r.written++;
      }
      if (n % 50 === 0) await sleep(1);
    }
  })();
  await signal;
  await end?.();
  assert.is(r.written, KIOSKS * PER_KIOSK);
}

let lastReader = '';

async function checkExact(r: Rig): Promise<void> {
  lastReader = `reader-${Date.now()}`;
  await waitFor('every kiosk backlog delivered and confirmed', () => r.kiosks.every((k) => k.journal.pending === 0), 90_000, 100);
  const add = chot(['account', 'add', lastReader, '--role', 'service', '--config', r.hub.config]);
  assert.is(add.code, 0, add.err);
  const token = JSON.parse(add.out).password as string;
  await stop(r.hub.proc);
  r.hub = await startHub(r.w, r.port, r.extra); // and once more: nothing doubles across a restart either
  const httpPort = webPort(r.hub.proc.log());
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/figures?day=${localDay(Date.now(), TZ)}`, { headers: { Authorization: `Bearer ${lastReader}:${token}` } });
  assert.is(res.status, 200, `figures for ${lastReader}: ${res.status}; hub log: ${r.hub.proc.log().slice(-1500)}`);
  const fig = await res.json() as { nationwide: { scans: number; red: number }; provinces: Array<{ province: string; scans: number }> };
  assert.is(fig.nationwide.scans, KIOSKS * PER_KIOSK, 'every scan counted once');
  assert.is(fig.nationwide.red, KIOSKS * PER_KIOSK / 10);
  assert.equal(fig.provinces.map((p) => [p.province, p.scans]), [['01', 2 * PER_KIOSK], ['79', 2 * PER_KIOSK]]);
}

async function tearDown(r: Rig | undefined): Promise<void> {
  if (!r) return;
  for (const k of r.kiosks) { await k.uplink.stop(); k.journal.close(); rmSync(k.dir, { recursive: true, force: true }); }
  await stop(r.hub.proc);
  rmSync(r.w.dir, { recursive: true, force: true });
}

const storedSoFar = (r: Rig) => r.kiosks.reduce((a, k) => a + k.journal.stats.appended - k.journal.pending, 0);

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: ${KIOSKS * PER_KIOSK} scans from ${KIOSKS} kiosks, the hub killed with SIGKILL mid-burst: every scan counted exactly once`, async () => {
    let extra: Record<string, unknown> = {};
    if (kind === 'postgres') { pgServer ??= await startPostgres('exactly'); extra = { store: { kind: 'postgres', url: pgServer.url } }; }
    let r: Rig | undefined;
    try {
      r = await setUp(`kill-${kind}`, extra);
      const rig = r;
      await burst(rig, async () => {
        await waitFor('the hub to have acknowledged some of the burst', () => storedSoFar(rig) > 2000, 30_000, 20);
        rig.hub.proc.child.kill('SIGKILL');
        await rig.hub.proc.exited;
        return async () => { rig.hub = await startHub(rig.w, rig.port, rig.extra); };
      });
      await checkExact(rig);
    } finally {
      await tearDown(r);
    }
  });
}

test('postgres: the database stopped for 10 s in the middle of a burst, then started: nothing lost, nothing twice; /healthz says so meanwhile', async () => {
  const db = await startPostgres('outage');
  let r: Rig | undefined;
  try {
    r = await setUp('pg-outage', { store: { kind: 'postgres', url: db.url } });
    const rig = r;
    await burst(rig, async () => {
      await waitFor('some of the burst acknowledged', () => storedSoFar(rig) > 1000, 30_000, 20);
      db.halt();
      return async () => {
        const httpPort = webPort(rig.hub.proc.log());
        await waitFor('the hub to notice', () => /the store is unavailable/.test(rig.hub.proc.log()), 15_000);
        assert.is((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 503);
        await sleep(10_000);
        db.resume();
        await waitFor('the hub to resume by itself', () => /the store is back/.test(rig.hub.proc.log()), 20_000);
        assert.is((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
      };
    });
    await checkExact(rig);
  } finally {
    await tearDown(r);
    db.stop();
  }
});

const root = process.getuid?.() === 0;
test(`sqlite: a full disk under the database: no acknowledgement while it lasts, every scan there once it is freed${root ? '' : ' (not run: mounting a small tmpfs needs root)'}`, async () => {
  if (!root) { console.log('  not run: the full-disk test mounts a tmpfs, which needs root (CI runs as root)'); return; }
  const mnt = mkdtempSync(join(tmpdir(), 'chot-fulldisk-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
  assert.is(m.status, 0, `mount a tmpfs: ${m.stderr}`);
  let r: Rig | undefined;
  try {
    mkdirSync(join(mnt, 'hub'));
    r = await setUp('full-disk', {}, join(mnt, 'hub'));
    const rig = r;
    await burst(rig, async () => {
      await waitFor('some of the burst acknowledged', () => storedSoFar(rig) > 1000, 30_000, 20);
      // fill the disk: dd stops at ENOSPC
      spawnSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
      return async () => {
        await waitFor('the hub to notice', () => /the store is unavailable/.test(rig.hub.proc.log()), 30_000);
        const pending = rig.kiosks.reduce((a, k) => a + k.journal.pending, 0);
        assert.ok(pending > 0, 'the kiosks keep what the hub could not commit');
        await sleep(3000);
        rmSync(join(mnt, 'filler'));
        await waitFor('the hub to resume by itself', () => /the store is back/.test(rig.hub.proc.log()), 20_000);
      };
    });
    await checkExact(rig);
  } finally {
    await tearDown(r);
    spawnSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

test('stop the test database', () => { pgServer?.stop(); });
test.after(() => killAll());
test.run();

// Exactly-once figures through a hub kill -9: four kiosks (the real kiosk journal and uplink code, in this
// process) send 10,000 scans while the hub process is killed mid-burst and restarted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanIdGenerator, localDay, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../../kiosk/src/journal/journal.js';
import { Uplink } from '../../kiosk/src/uplink/uplink.js';
import { addDevice, chot, freePort, hubScans, killAll, makeWorld, sleep, startHub, stop, waitFor } from '../../kiosk/test/rig.js';

const KIOSKS = 4;
const PER_KIOSK = 2500;

test(`${KIOSKS * PER_KIOSK} scans from ${KIOSKS} kiosks, the hub killed with SIGKILL mid-burst: every scan counted exactly once`, async () => {
  const w = makeWorld('hub-kill');
  const ids = Array.from({ length: KIOSKS }, (_, i) => `booth-${i + 1}`);
  const passwords = ids.map((id, i) => addDevice(w, id, i % 2 ? '01/00004' : '79/26734'));
  const port = await freePort();
  let hub = await startHub(w, port);
  const kiosks = ids.map((id, i) => {
    const journal = Journal.open(mkdtempSync(join(tmpdir(), `chot-${id}-`)), { commitMs: 20 });
    const uplink = new Uplink({ url: `mqtt://127.0.0.1:${port}`, kioskId: id, password: passwords[i], backoffMinMs: 100, backoffMaxMs: 1000, backlogPerSecond: 5000, batchMax: 100, ackTimeoutMs: 3000, log: () => {} }, journal);
    uplink.start({ v: 1, kiosk: id, online: false, at: Date.now() });
    return { id, journal, uplink, gen: new ScanIdGenerator() };
  });
  try {
  await waitFor('all kiosks online', () => kiosks.every((k) => k.uplink.state === 'online'), 10_000);
  const day = Date.now(); // raw files are kept for the retention period (30 days): scans of today
  const dayText = localDay(day, 'Asia/Ho_Chi_Minh');
  let written = 0;
  const burst = (async () => {
    for (let n = 0; n < PER_KIOSK; n++) {
      for (const k of kiosks) {
        const rec: ScanRecord = { id: k.gen.next(day + n), at: day + n, clockSynced: true, verdict: n % 10 ? 'green' : 'red', reason: n % 10 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.2, category: 'resident' };
        k.journal.append(rec);
        k.uplink.scanned(rec.id);
        written++;
      }
      if (n % 50 === 0) await sleep(1);
    }
  })();
  await waitFor('the hub to have stored some of the burst', () => hubScans(hub.dataDir).length > 2000, 30_000, 20);
  hub.proc.child.kill('SIGKILL');
  await hub.proc.exited;
  const atKill = hubScans(hub.dataDir).length;
  await burst;
  assert.is(written, KIOSKS * PER_KIOSK);
  hub = await startHub(w, port);
  await waitFor('every kiosk backlog delivered and confirmed', () => kiosks.every((k) => k.journal.pending === 0), 60_000, 100);
  const stored = hubScans(hub.dataDir);
  assert.is(new Set(stored.map((s) => `${s.k}/${s.id}`)).size, stored.length, 'no scan stored twice');
  assert.is(stored.length, KIOSKS * PER_KIOSK);
  // the figures, as an operator's service account reads them from the API
  const token = JSON.parse(chot(['account', 'add', 'figures-reader', '--role', 'service', '--config', hub.config]).out).password as string;
  await stop(hub.proc);
  hub = await startHub(w, port); // and once more: figures rebuilt from disk must not double either
  const httpPort = Number(/dashboard and API on http:\/\/[\d.]+:(\d+)/.exec(hub.proc.log())![1]);
  const r = await fetch(`http://127.0.0.1:${httpPort}/api/figures?day=${dayText}`, { headers: { Authorization: `Bearer figures-reader:${token}` } });
  assert.is(r.status, 200);
  const fig = await r.json() as { nationwide: { scans: number; green: number; red: number; reasons: Record<string, number> }; provinces: Array<{ province: string; scans: number }> };
  assert.is(fig.nationwide.scans, KIOSKS * PER_KIOSK);
  assert.is(fig.nationwide.red, KIOSKS * PER_KIOSK / 10);
  assert.equal(fig.provinces.map((p) => [p.province, p.scans]), [['01', 2 * PER_KIOSK], ['79', 2 * PER_KIOSK]]);
  console.log(`  hub killed with ${atKill} of ${KIOSKS * PER_KIOSK} scans stored; after restart all ${stored.length} counted once`);
  } finally {
    for (const k of kiosks) { await k.uplink.stop(); k.journal.close(); }
    await stop(hub.proc);
  }
});

test.after(() => killAll());
test.run();

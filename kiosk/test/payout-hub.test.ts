// Payout desks against a real hub (chot hub run, its embedded broker and SQLite store) over real MQTT: a programme
// imported with chot, the ward's signed list reaching the desks on its retained topic, two desks paying the same
// citizen at the same moment (one payment), the hub away (the desk says wait, never green, and pays once it is
// back), and a desk whose answer was lost, restarted before it asked again (the same key resent; the hub's store holds
// one payment with that key). The kiosks run in this process, built by buildKiosk with the real uplink.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../../lib/sqlite.js';
import { checkConfig } from '../src/config.js';
import type { Kiosk, ScanView } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { CLAIMS_FILE } from '../src/payout/claims.js';
import { ManualTimers } from './manual-timers.js';
import { addDevice, chot, freePort, killAll, makeWorld, openedDatabases, startHub, stop, waitFor, type Hub } from './rig.js';

const w = makeWorld('payout-hub');
const ROOT_KEY = join(w.dir, 'root.key.pem');
writeFileSync(ROOT_KEY, w.root.privateKey.export({ type: 'pkcs8', format: 'pem' }));
// the trust list with the police key, so officers can sign in at the desks
copyFileSync(join(w.dir, 'hub', 'lists', 'trust-officers.cose'), join(w.dir, 'hub', 'lists', 'trust.cose'));
const WARD = '79/26734';
const pw = { 'desk-a': addDevice(w, 'desk-a', WARD), 'desk-b': addDevice(w, 'desk-b', WARD), 'desk-c': addDevice(w, 'desk-c', WARD) };
const CIT = { a: 'a1a1a1a1a1a1a1a1', b: 'b2b2b2b2b2b2b2b2', c: 'c3c3c3c3c3c3c3c3' };
let hub: Hub;
let port: number;

interface Desk { kiosk: Kiosk; gpio: SimGpio; scanner: SimSource; timers: ManualTimers }
const desks: Desk[] = [];

async function openDesk(id: keyof typeof pw, o: { waitOnline?: boolean } = {}): Promise<Desk> {
  const gpio = new SimGpio(), scanner = new SimSource(), timers = new ManualTimers();
  const config = checkConfig({
    kiosk: { id, area: WARD, debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, id), mode: 'payout', payout: { programme: 'ho-tro-2021', claimTimeoutMs: 10_000 },
    hub: { url: `mqtt://127.0.0.1:${port}`, password: pw[id], backoffMinMs: 200, backoffMaxMs: 1000, heartbeatSeconds: 2 },
    scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 }, clock: { syncedFile: join(w.dir, 'synced') },
  });
  const kiosk = await buildKiosk(config, { gpio, sources: [scanner], timers }, () => {});
  const d = { kiosk, gpio, scanner, timers };
  desks.push(d);
  if (o.waitOnline ?? true) {
    await waitFor(`${id}'s lists from the hub`, () => kiosk.store.trust.version === 1 && kiosk.payout?.hold.held, 20_000);
    scanner.feed(w.officer().text);
    await waitFor('the officer signed in', () => kiosk.onDuty());
  }
  return d;
}

const passOf = (holder: string) => w.pass({ holderToken: Buffer.from(holder, 'hex') }).text;
async function scan(d: Desk, text: string): Promise<ScanView> {
  const before = d.kiosk.history[0];
  d.scanner.feed(text);
  return waitFor('the scan', () => (d.kiosk.history[0] !== before ? d.kiosk.history[0] : undefined), 5000, 5);
}
const settled = (v: ScanView) => waitFor(`the hub's answer to scan ${v.record.id}`, () => (v.payout && v.payout.by !== 'wait' ? v.payout : undefined), 20_000, 10);
const greens = (d: Desk) => d.gpio.timeline.filter((c) => c.name === 'green' && c.on).length;

/** The payments in the hub's store for a citizen (the hub may be running: WAL lets a reader in). */
function payments(holder: string): Array<{ kiosk: string; claim_key: string }> {
  const db = new Database(join(w.dir, 'hub', 'hub.db'), { readonly: true, fileMustExist: true, timeout: 5000 });
  openedDatabases.push(db);
  try {
    const stmt = db.prepare('SELECT kiosk, claim_key FROM payouts WHERE holder = ?');
    openedDatabases.push(stmt);
    return stmt.all(holder) as Array<{ kiosk: string; claim_key: string }>;
  } finally { db.close(); }
}

test.before(async () => {
  try {
    writeFileSync(join(w.dir, 'synced'), '');
    const csv = join(w.dir, 'eligible.csv');
    writeFileSync(csv, `token,ward\n${Object.values(CIT).map((t) => `${t},${WARD}`).join('\n')}\n`);
    const now = Date.now();
    const r = chot(['programme', 'import', csv, '--id', 'ho-tro-2021', '--name', 'Hỗ trợ người lao động 2021', '--amount', '1500000', '--from', new Date(now - 86_400_000).toISOString(), '--until', new Date(now + 30 * 86_400_000).toISOString(), '--root', ROOT_KEY, '--config', join(w.dir, 'hub.json')]);
    if (r.code !== 0) throw new Error(`programme import failed: ${r.err}`);
    port = await freePort();
    hub = await startHub(w, port);
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

test('two desks, the ward\'s list from the hub, the same citizen at the same moment: one payment, the other desk says where it was paid', async () => {
  const [a, b] = await Promise.all([openDesk('desk-a'), openDesk('desk-b')]);
  const s = a.kiosk.payout!.screen();
  assert.equal([s.programme?.name, s.programme?.amount, s.programme?.eligible, s.programme?.open], ['Hỗ trợ người lao động 2021', 1_500_000, 3, 'open']);
  const text = passOf(CIT.a);
  const [va, vb] = await Promise.all([scan(a, text), scan(b, text)]);
  const [pa, pb] = await Promise.all([settled(va), settled(vb)]);
  assert.equal([pa.reason, pb.reason].sort(), ['already-paid', 'paid']);
  const winner = pa.reason === 'paid' ? 'desk-a' : 'desk-b';
  assert.match((pa.reason === 'paid' ? pb : pa).message.en, new RegExp(`^Already paid at ${winner} at `));
  assert.is(greens(a) + greens(b), 1, 'one desk told to pay');
  assert.equal(payments(CIT.a).map((p) => p.kiosk), [winner]);
});

test('the hub away: "not paid, please wait", never green; once the hub is back the claim goes and the desk says pay, once', async () => {
  const a = desks[0];
  await stop(hub.proc, 'SIGKILL');
  await waitFor('the desk to see the hub gone', () => a.kiosk.uplink?.state !== 'online', 20_000);
  const g = greens(a);
  const v = await scan(a, passOf(CIT.b));
  assert.is(v.payout?.reason, 'hub-offline');
  assert.is(v.payout?.message.en.split('. ')[0], 'Not paid: no connection to the hub, please wait');
  assert.is(greens(a), g);
  hub = await startHub(w, port);
  const p = await settled(v);
  assert.is(p.reason, 'paid');
  assert.match(p.message.en, /^Pay 1,500,000 VND \(the hub's reply came late; confirmed\)\.$/);
  assert.is(greens(a), g + 1);
  assert.is(payments(CIT.b).length, 1);
});

test('a desk restarted between its claim and the answer: the same key resent, one payment in the hub\'s store, paid when the citizen scans again', async () => {
  const c = await openDesk('desk-c');
  // the hub's answer is lost on the way (the desk hears nothing of it), and the desk is restarted before it asks again
  c.kiosk.uplink!.removeAllListeners('claimResult');
  const v0 = await scan(c, passOf(CIT.c));
  await waitFor('the hub to commit the payment', () => payments(CIT.c).length === 1, 20_000);
  assert.is(v0.payout?.reason, 'asking', 'no answer reached the desk');
  await c.kiosk.stop();
  const book = JSON.parse(readFileSync(join(w.dir, 'desk-c', CLAIMS_FILE), 'utf8')) as { claims: Array<{ key: string; holder: string }> };
  const key = book.claims.find((x) => x.holder === CIT.c)!.key;
  const again = await openDesk('desk-c');
  // on connecting it sends the claim again with its key: the hub's answer is recorded as owed to that citizen
  await waitFor('the resent claim answered', () => again.kiosk.payout!.screen().owed === 1, 20_000);
  assert.is(greens(again), 0, 'nobody at the desk is told to pay for the earlier scan');
  const v = await scan(again, passOf(CIT.c));
  assert.is((await settled(v)).reason, 'paid');
  assert.is(greens(again), 1);
  assert.equal(payments(CIT.c), [{ kiosk: 'desk-c', claim_key: key }], 'one payment, with the key written before the first send');
  assert.not.match(hub.proc.log(), new RegExp(Object.values(CIT).join('|')), 'no holder token in the hub\'s log');
});

test.after(async () => { for (const d of desks) await d.kiosk.stop().catch(() => {}); await stop(hub?.proc); killAll(); });
test.run();

// Scale-out with real parts: Mosquitto 2 with its dynamic-security plugin and PostgreSQL, both started by the
// test, two `chot hub run` processes consuming through a shared subscription, four kiosks (the real journal and
// uplink code, in this process). A hub process killed with SIGKILL mid-burst, and the broker restarted mid-burst:
// every scan counted once, as both hub processes serve the figures. The broker refuses a wrong password, a kiosk
// publishing as another, and a revoked kiosk.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ScanIdGenerator, localDay, topics, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../../kiosk/src/journal/journal.js';
import { Uplink } from '../../kiosk/src/uplink/uplink.js';
import { chot, killAll, makeWorld, sleep, start, stop, waitFor, type Proc, webPort, addAccount } from '../../kiosk/test/rig.js';
import { startPostgres, type LocalPostgres } from '../../scripts/services/postgres.js';
import { startMosquitto, type LocalMosquitto } from '../../scripts/services/mosquitto.js';
import { Dynsec } from '../src/dynsec.js';

const KIOSKS = 4;
const TZ = 'Asia/Ho_Chi_Minh';
const w = makeWorld('scale-out');
let pgServer: LocalPostgres;
let broker: LocalMosquitto;
const config = join(w.dir, 'hub.json');
const hubs: Array<{ proc: Proc; http: number }> = [];
const passwords = new Map<string, string>();
let kiosks: Array<{ id: string; journal: Journal; uplink: Uplink; gen: ScanIdGenerator; dir: string }> = [];
let signalled = 0;

async function startHubProcess(i: number): Promise<void> {
  const proc = start(['hub', 'run', '--config', config], `hub-${i}`);
  await waitFor(`hub process ${i} ready`, () => proc.log().includes('hub: ready') || (proc.child.exitCode !== null && (() => { throw new Error(`hub ${i} exited: ${proc.log()}`); })()), 20_000);
  await waitFor(`hub process ${i} subscribed`, () => proc.log().includes('consuming $share/chot-hub/'), 10_000);
  hubs[i] = { proc, http: webPort(proc.log()) };
}

async function signal(n: number, fault?: () => Promise<void>): Promise<void> {
  const now = Date.now();
  for (let j = 0; j < n; j++) {
    if (fault && j === n / 2) await fault();
    for (const k of kiosks) {
      const rec: ScanRecord = { id: k.gen.next(now + j), at: now + j, clockSynced: true, verdict: j % 10 ? 'green' : 'red', reason: j % 10 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.3, category: 'resident' };
      k.journal.append(rec);
      k.uplink.scanned(rec.id);
      signalled++;
    }
    if (j % 50 === 0) await sleep(1);
  }
}

/** Both hub processes serve the same figures, with every signalled scan once. */
async function checkBoth(token: string): Promise<void> {
  await waitFor('every kiosk backlog confirmed', () => kiosks.every((k) => k.journal.pending === 0), 90_000, 100);
  for (const h of hubs) {
    const r = await fetch(`http://127.0.0.1:${h.http}/api/figures?day=${localDay(Date.now(), TZ)}`, { headers: { Authorization: `Bearer reader:${token}` } });
    assert.is(r.status, 200);
    const f = await r.json() as { nationwide: { scans: number; red: number } };
    assert.is(f.nationwide.scans, signalled, `hub on ${h.http}: every scan once`);
    assert.is(f.nationwide.red, signalled / 10);
  }
}

let token = '';
test.before(async () => {
  pgServer = await startPostgres('scaleout');
  broker = await startMosquitto({ dynsec: true });
  // the hub processes' own broker user: reads kiosks' topics, writes acks, and administers the plugin (kiosks)
  const admin = await Dynsec.connect({ url: broker.url, ...broker.admin! });
  const hubPassword = 'hub-' + Math.random().toString(36).slice(2);
  await admin.run({ command: 'createRole', rolename: 'chot-hub', acls: [
    { acltype: 'publishClientSend', topic: 'chot/v1/#', allow: true, priority: 0 },
    { acltype: 'subscribePattern', topic: '$share/chot-hub/chot/v1/kiosk/+/+', allow: true, priority: 0 },
    { acltype: 'subscribePattern', topic: 'chot/v1/kiosk/+/+', allow: true, priority: 0 },
  ] });
  await admin.run({ command: 'createClient', username: 'chot-hub', password: hubPassword, roles: [{ rolename: 'chot-hub', priority: 0 }, { rolename: 'admin', priority: 0 }] });
  await admin.close();
  const pwFile = join(w.dir, 'broker.password');
  writeFileSync(pwFile, hubPassword);
  chmodSync(pwFile, 0o600);
  writeFileSync(config, JSON.stringify({
    dataDir: join(w.dir, 'hub'), timeZone: TZ, http: { host: '127.0.0.1', port: 0 },
    store: { kind: 'postgres', url: pgServer.url },
    mqtt: { broker: 'external', urls: [broker.url], username: 'chot-hub', passwordFile: pwFile, dynsec: true },
  }));
  for (let i = 0; i < KIOSKS; i++) {
    const r = chot(['device', 'add', '--checkpoint', `booth-${i + 1}`, '--area', i % 2 ? '01/00004' : '79/26734', '--config', config]);
    assert.is(r.code, 0, r.err);
    passwords.set(`booth-${i + 1}`, JSON.parse(r.out).password);
  }
  token = addAccount(config, 'reader', 'service');
  await startHubProcess(0);
  await startHubProcess(1);
  kiosks = [...passwords].map(([id, password]) => {
    const dir = mkdtempSync(join(tmpdir(), `chot-${id}-`));
    const journal = Journal.open(dir, { commitMs: 20 });
    const uplink = new Uplink({ url: broker.url, kioskId: id, password, backoffMinMs: 100, backoffMaxMs: 1000, backlogPerSecond: 5000, batchMax: 100, ackTimeoutMs: 3000, log: () => {} }, journal);
    uplink.start({ v: 1, kiosk: id, online: false, at: Date.now() });
    return { id, journal, uplink, gen: new ScanIdGenerator(), dir };
  });
  await waitFor('all kiosks online at the broker', () => kiosks.every((k) => k.uplink.state === 'online'), 10_000);
});

test('two hub processes share the load; one killed with SIGKILL mid-burst and restarted: 10,000 scans, each once, in the figures of both', async () => {
  await signal(2500, async () => {
    hubs[0].proc.child.kill('SIGKILL');
    await hubs[0].proc.exited;
    await sleep(1000);
    await startHubProcess(0);
  });
  await checkBoth(token);
  assert.ok(hubs.every((h) => /hub: ready/.test(h.proc.log())));
  // the fleet page lists the hub processes alive (a killed one until it has been silent for 20 s), and the kiosks
  const fleet = await (await fetch(`http://127.0.0.1:${hubs[1].http}/api/fleet`, { headers: { Authorization: `Bearer reader:${token}` } })).json() as { hubs: Array<{ id: string }>; kiosks: Array<{ id: string; online: boolean }> };
  assert.ok(fleet.hubs.length >= 2, JSON.stringify(fleet.hubs));
  assert.is(fleet.kiosks.length, KIOSKS);
});

test('the broker restarted mid-burst: every scan once', async () => {
  await signal(1000, async () => { await broker.restart(); });
  await checkBoth(token);
});

test('the broker refuses a wrong password and a kiosk publishing as another; a revoked kiosk is cut off and refused', async () => {
  let err: Error | undefined;
  try { (await mqtt.connectAsync(broker.url, { clientId: 'booth-1', username: 'booth-1', password: 'wrong', reconnectPeriod: 0 })).end(true); } catch (e) { err = e as Error; }
  assert.ok(err && /not authori[sz]ed|bad user/i.test(err.message), err?.message);
  // booth-2's credentials, publishing as booth-3: the broker drops it, no hub ever sees it
  const before = signalled;
  const rogue = await mqtt.connectAsync(broker.url, { clientId: 'booth-2~x', username: 'booth-2', password: passwords.get('booth-2'), reconnectPeriod: 0 }).catch((e: Error) => e);
  if (!(rogue instanceof Error)) {
    const fake: ScanRecord = { id: new ScanIdGenerator().next(Date.now()), at: Date.now(), clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 1 };
    await rogue.publishAsync(topics.scans('booth-3'), JSON.stringify({ v: 1, kiosk: 'booth-3', scans: [fake] }), { qos: 1 }).catch(() => {});
    rogue.end(true);
  }
  await sleep(1500);
  assert.is(signalled, before);
  await checkBoth(token); // still exactly what the kiosks signalled: the forged scan is nowhere
  // revoke booth-4: the broker disables it, which disconnects it
  const k4 = kiosks.find((k) => k.id === 'booth-4')!;
  const r = chot(['device', 'revoke', 'booth-4', '--config', config]);
  assert.is(r.code, 0, r.err);
  await waitFor('booth-4 cut off', () => k4.uplink.state !== 'online', 10_000);
  err = undefined;
  try { (await mqtt.connectAsync(broker.url, { clientId: 'booth-4', username: 'booth-4', password: passwords.get('booth-4'), reconnectPeriod: 0 })).end(true); } catch (e) { err = e as Error; }
  assert.ok(err, 'a revoked kiosk cannot reconnect');
});

test.after(async () => {
  for (const k of kiosks) { await k.uplink.stop(); k.journal.close(); rmSync(k.dir, { recursive: true, force: true }); }
  for (const h of hubs) await stop(h?.proc);
  killAll();
  await broker?.stop();
  pgServer?.stop();
  rmSync(w.dir, { recursive: true, force: true });
});
test.run();

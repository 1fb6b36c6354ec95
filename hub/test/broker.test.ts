// The hub's broker with real MQTT clients over loopback: mqtt.js and Debian's mosquitto_pub / mosquitto_sub.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { ScanIdGenerator, topics, type ScanRecord } from '../../protocol/src/index.js';
import { addDevice, chot, hubScans, killAll, makeWorld, sleep, startHub, stop, waitFor, type Hub } from '../../kiosk/test/rig.js';

const w = makeWorld('broker');
const pwA = addDevice(w, 'booth-a', '79/26734');
const pwB = addDevice(w, 'booth-b', '01');
let hub: Hub;
const ids = new ScanIdGenerator();
const scan = (over: Partial<ScanRecord> = {}): ScanRecord => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, ...over });

function connect(id: string, password: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${hub.port}`, { clientId: id, username: id, password, reconnectPeriod: 0, clean: true, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => { c.end(true); reject(e); });
  });
}

test.before(async () => { hub = await startHub(w); });

test('a wrong password is refused at CONNECT, by mqtt.js and by mosquitto_pub', async () => {
  let err: Error | undefined;
  try { (await connect('booth-a', 'wrong')).end(true); } catch (e) { err = e as Error; }
  assert.ok(err && /Bad username or password|Not authorized/i.test(err.message), err?.message);
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-a', '-u', 'booth-a', '-P', 'wrong', '-t', topics.status('booth-a'), '-m', '{}'], { encoding: 'utf8', timeout: 10_000 });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /not authori[sz]ed|bad user ?name or password/i);
  const ok = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-a', '-u', 'booth-a', '-P', pwA, '-q', '1', '-t', topics.status('booth-a'), '-m', JSON.stringify({ v: 1, kiosk: 'booth-a', online: true, at: Date.now() })], { encoding: 'utf8', timeout: 10_000 });
  assert.is(ok.status, 0, ok.stderr);
  assert.match(hub.proc.log(), /refused "booth-a" from .*wrong user or password/);
});

test("a kiosk cannot log in under another kiosk's client id", async () => {
  let err: Error | undefined;
  try { (await connect('booth-b', pwA, { username: 'booth-a' })).end(true); } catch (e) { err = e as Error; }
  assert.ok(err, 'refused');
});

test("kiosk A cannot publish as B (refused and logged), nor read B's config", async () => {
  const a = await connect('booth-a', pwA);
  const closed = new Promise((r) => a.once('close', () => r(null)));
  a.publish(topics.scans('booth-b'), JSON.stringify({ v: 1, kiosk: 'booth-b', scans: [scan()] }), { qos: 1 });
  await closed; // MQTT 3.1.1: a refused publish closes the connection
  await waitFor('the refusal in the hub log', () => /refused a publish to "chot\/v1\/kiosk\/booth-b\/scans" by kiosk booth-a: kiosk booth-a may not publish as kiosk booth-b/.test(hub.proc.log()));
  assert.not.ok(hubScans(hub.dataDir).some((s) => s.k === 'booth-b'));
  const a2 = await connect('booth-a', pwA);
  // mqtt.js rejects when any subscription is refused, with the SUBACK (its reason codes) on the error
  const codes = await a2.subscribeAsync([topics.config('booth-b'), topics.config('booth-a'), topics.trust, 'chot/v1/#'], { qos: 1 })
    .then(() => [] as number[], (e: { packet?: { granted?: number[] } }) => e.packet?.granted ?? []);
  assert.equal(codes, [128, 1, 1, 128]);
  // a subscriber mosquitto_sub as A on B's ack topic gets nothing either
  const sub = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-a', '-u', 'booth-a', '-P', pwA, '-t', topics.config('booth-b'), '-C', '1', '-W', '2'], { encoding: 'utf8', timeout: 10_000 });
  assert.is(sub.stdout, '', 'no retained config of B reaches A');
  a2.end(true);
});

test('a kiosk reads its own retained config and the broadcast lists', async () => {
  const sub = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-a', '-u', 'booth-a', '-P', pwA, '-t', topics.config('booth-a'), '-C', '1', '-W', '5'], { encoding: 'utf8', timeout: 10_000 });
  assert.is(JSON.parse(sub.stdout).area, '79/26734');
});

test('scans are acknowledged by id after they are on disk; a duplicate delivery is stored once', async () => {
  const a = await connect('booth-a', pwA);
  await a.subscribeAsync(topics.ack('booth-a'), { qos: 1 });
  const acks: string[][] = [];
  a.on('message', (t, p) => { if (t === topics.ack('booth-a')) acks.push(JSON.parse(p.toString()).ids); });
  const batch = { v: 1, kiosk: 'booth-a', scans: [scan(), scan({ verdict: 'red', reason: 'expired' })] };
  await a.publishAsync(topics.scans('booth-a'), JSON.stringify(batch), { qos: 1 });
  // the PUBACK came after the hub's fdatasync: the scans are in its files already
  const stored = hubScans(hub.dataDir).filter((s) => s.k === 'booth-a');
  assert.equal(stored.map((s) => s.id), batch.scans.map((s) => s.id));
  await a.publishAsync(topics.scans('booth-a'), JSON.stringify(batch), { qos: 1 });
  await waitFor('two acks', () => acks.length >= 2);
  assert.equal(acks[1], batch.scans.map((s) => s.id), 'a duplicate is acknowledged again');
  assert.is(hubScans(hub.dataDir).filter((s) => s.k === 'booth-a').length, 2, 'and stored once');
  a.end(true);
});

test('a malformed scan body is counted as rejected and logged with the sender; it never enters the store', async () => {
  const before = hubScans(hub.dataDir).length;
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-b', '-u', 'booth-b', '-P', pwB, '-q', '1', '-t', topics.scans('booth-b'), '-m', '{"v":1,"kiosk":"booth-b","scans":[{"id":"nope"}]}'], { encoding: 'utf8', timeout: 10_000 });
  assert.is(r.status, 0, r.stderr);
  const bad = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(hub.port), '-i', 'booth-b', '-u', 'booth-b', '-P', pwB, '-q', '1', '-t', topics.scans('booth-b'), '-m', 'not json at all'], { encoding: 'utf8', timeout: 10_000 });
  assert.is(bad.status, 0);
  await waitFor('two rejections in the log', () => (hub.proc.log().match(/rejected a message from kiosk booth-b/g) ?? []).length >= 2);
  assert.match(hub.proc.log(), /rejected a message from kiosk booth-b: "scanBatch: \/scans\/0 must have required property 'at'|rejected a message from kiosk booth-b: "scanBatch: \/scans\/0\/id must match pattern/);
  assert.is(hubScans(hub.dataDir).length, before);
  assert.is(hub.proc.child.exitCode, null, 'the hub is still running');
});

test('an operator watching kiosk statuses gets the valid ones, never a refused status nor anything of a scan batch', async () => {
  const add = chot(['account', 'add', 'watcher', '--role', 'operator', '--config', hub.config]);
  assert.is(add.code, 0, add.err);
  // the running hub reads the new account from the store within a second
  let ops: MqttClient | undefined;
  for (let i = 0; !ops; i++) {
    try { ops = await connect('watcher-1', JSON.parse(add.out).password as string, { username: 'watcher' }); } catch (e) { if (i >= 50) throw e; await sleep(200); }
  }
  const seen: string[] = [];
  ops.on('message', (t, p) => seen.push(`${t} ${p.toString()}`));
  await ops.subscribeAsync(`${topics.kioskPrefix}+/status`, { qos: 1 });
  await ops.subscribeAsync(`${topics.kioskPrefix}+/scans`, { qos: 1 }).then(() => assert.unreachable('an account may not read scans'), () => {});
  const a = await connect('booth-a', pwA);
  // in order on one connection: the refused status and a batch first, then a valid status
  await a.publishAsync(topics.status('booth-a'), JSON.stringify({ v: 1, kiosk: 'booth-b', online: true, at: Date.now() }), { qos: 1 });
  await a.publishAsync(topics.scans('booth-a'), JSON.stringify({ v: 1, kiosk: 'booth-a', scans: [scan()] }), { qos: 1 });
  await a.publishAsync(topics.status('booth-a'), JSON.stringify({ v: 1, kiosk: 'booth-a', online: true, at: Date.now() }), { qos: 1 });
  await waitFor('the valid status', () => seen.some((m) => m.includes('"kiosk":"booth-a"')));
  assert.equal(seen.map((m) => m.split(' ')[0]), [topics.status('booth-a')], `only the valid status: ${seen.join(' | ')}`);
  a.end(true);
  ops.end(true);
});

test('a revoked device is cut off at once and refused from then on', async () => {
  const b = await connect('booth-b', pwB);
  const closed = new Promise((r) => b.once('close', () => r(null)));
  const r = chot(['device', 'revoke', 'booth-b', '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  await Promise.race([closed, sleep(5000).then(() => { throw new Error('booth-b was not disconnected within 5 s'); })]);
  let err: Error | undefined;
  try { (await connect('booth-b', pwB)).end(true); } catch (e) { err = e as Error; }
  assert.ok(err, 'a revoked device cannot reconnect');
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

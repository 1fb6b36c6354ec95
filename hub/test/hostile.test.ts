// What a hostile kiosk, a stolen kiosk password or a stranger on the network tries against the hub (issue 18),
// against a real `chot hub run` over loopback: each attempt is refused, and the hub stays up and exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as tcpConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { ScanIdGenerator, localDay, topics, type ScanRecord } from '../../protocol/src/index.js';
import { addDevice, hubScans, killAll, makeWorld, sleep, startHub, stop, waitFor, type Hub, webPort, addAccount } from '../../kiosk/test/rig.js';

const w = makeWorld('hostile');
const pw = addDevice(w, 'booth-h', '79/26734');
let hub: Hub;
let httpPort = 0;
let service = '';
let operator = '';
const DAY = 86_400_000;

function connect(id: string, username: string, password: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: id, username, password, reconnectPeriod: 0, clean: true, connectTimeout: 5000 });
}
const scan = (at: number, over: Partial<ScanRecord> = {}): ScanRecord => ({ id: new ScanIdGenerator().next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, category: 'resident', ...over });

async function figures(day: string): Promise<{ nationwide: { scans: number; reasons: Record<string, number>; categories: Record<string, number> } }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/api/figures?day=${day}`, { headers: { Authorization: `Bearer reader:${service}` } });
  assert.is(r.status, 200);
  return r.json() as never;
}

/** Publishes a batch and waits for the hub's ack of its ids (the kiosk's way). */
async function send(c: MqttClient, kiosk: string, scans: ScanRecord[]): Promise<void> {
  const acked = new Promise<void>((resolve) => {
    const on = (t: string, p: Buffer) => { if (t === topics.ack(kiosk) && JSON.parse(p.toString()).ids[0] === scans[0].id) { c.off('message', on); resolve(); } };
    c.on('message', on);
  });
  await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans }), { qos: 1 });
  await acked;
}

test.before(async () => {
  hub = await startHub(w);
  service = addAccount(hub.config, 'reader', 'service');
  operator = addAccount(hub.config, 'ops', 'operator');
  httpPort = webPort(hub.proc.log());
  // the running hub reads new accounts from the store every second (and says so): wait for it, however busy the machine
  await waitFor('the hub to read the accounts', () => /registry version \d+: \d+ devices, 2 accounts/.test(hub.proc.log()), 60_000);
});

test('200 days of `at` from one kiosk: the days within retention are stored, the rest refused with a reason; the hub stays up and exact', async () => {
  const c = await connect('booth-h', 'booth-h', pw);
  await c.subscribeAsync(topics.ack('booth-h'), { qos: 1 });
  const now = Date.now();
  const days = Array.from({ length: 200 }, (_, i) => scan(now - i * DAY));
  for (let i = 0; i < days.length; i += 50) await send(c, 'booth-h', days.slice(i, i + 50));
  // and the clock at both ends of the schema's range
  await send(c, 'booth-h', [scan(0), scan(2 ** 45)]);
  c.end(true);
  const kept = hubScans(hub.dataDir);
  assert.is(kept.length, 31, 'today and the 30 days before it (the retention)');
  assert.ok(kept.every((s) => s.at >= now - 31 * DAY && s.at <= now));
  assert.is(hub.proc.child.exitCode, null, 'the hub is up');
  assert.match(hub.proc.log(), /refused 50 time-out-of-range of 50 scans from kiosk booth-h/);
  assert.match(hub.proc.log(), /refused 2 time-out-of-range of 2 scans from kiosk booth-h/);
  assert.is((await figures(localDay(now, 'Asia/Ho_Chi_Minh'))).nationwide.scans, 1);
  assert.is((await figures('1970-01-01')).nationwide.scans, 0);
});

test('the same scan id sent with `at` on three different days is stored and counted once', async () => {
  const c = await connect('booth-h', 'booth-h', pw);
  await c.subscribeAsync(topics.ack('booth-h'), { qos: 1 });
  const first = scan(Date.now() - 3 * DAY);
  const before = hubScans(hub.dataDir).length;
  for (const d of [3, 2, 1]) await send(c, 'booth-h', [{ ...first, at: Date.now() - d * DAY }]);
  c.end(true);
  assert.is(hubScans(hub.dataDir).length, before + 1);
});

test('`constructor` as a reason and as a category is refused and never reaches the figures', async () => {
  const c = await connect('booth-h', 'booth-h', pw);
  await c.subscribeAsync(topics.ack('booth-h'), { qos: 1 });
  const now = Date.now();
  await send(c, 'booth-h', [scan(now, { verdict: 'red', reason: 'constructor' }), scan(now, { category: 'constructor' })]);
  c.end(true);
  const f = await figures(localDay(now, 'Asia/Ho_Chi_Minh'));
  assert.not.ok(Object.keys(f.nationwide.reasons).includes('constructor'));
  assert.not.ok(Object.keys(f.nationwide.categories).includes('constructor'));
  assert.match(hub.proc.log(), /refused 1 unknown-reason, 1 unknown-category of 2 scans/);
});

test('a CONNECT announcing 60 MB is dropped after its header, before any credential check', async () => {
  const closed = await new Promise<{ sent: number }>((resolve) => {
    const s = tcpConnect(hub.port, '127.0.0.1');
    let sent = 0;
    // CONNECT, remaining length 60,000,000 (varint), then body bytes as fast as the socket takes them
    s.on('connect', () => {
      const len: number[] = [];
      for (let n = 60_000_000; n > 0; n = Math.floor(n / 128)) len.push((n % 128) | (n >= 128 ? 0x80 : 0));
      s.write(Buffer.from([0x10, ...len]));
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => { while (sent < 60_000_000 && s.write(chunk)) sent += chunk.length; };
      s.on('drain', pump);
      pump();
    });
    s.on('error', () => {});
    s.on('close', () => resolve({ sent }));
  });
  assert.ok(closed.sent < 60_000_000, 'the hub closed the connection long before 60 MB');
  await waitFor('the refusal in the log', () => /a connect packet of 60000000 bytes is more than 2048/.test(hub.proc.log()));
});

test('a 10 MB publish on a kiosk\'s own topic closes the connection and is not retained; a bad retained status is not retained either', async () => {
  const c = await connect('booth-h', 'booth-h', pw);
  const closed = new Promise((r) => c.once('close', () => r(null)));
  c.publish(topics.status('booth-h'), Buffer.alloc(10 * 1024 * 1024, 0x41), { qos: 1, retain: true });
  await closed;
  const c2 = await connect('booth-h', 'booth-h', pw);
  await c2.publishAsync(topics.status('booth-h'), 'not a status', { qos: 1, retain: true });
  c2.end(true);
  const watcher = await connect('watcher-1', 'reader', service);
  const got: string[] = [];
  watcher.on('message', (t) => got.push(t));
  await watcher.subscribeAsync(`${topics.kioskPrefix}+/status`, { qos: 1 });
  await sleep(500);
  watcher.end(true);
  assert.equal(got, [], 'nothing retained on a kiosk topic');
});

test('a service account may not publish to the broadcast topics nor subscribe to # or $SYS; it cannot take a kiosk\'s client id', async () => {
  const a = await connect('svc-1', 'reader', service);
  const closed = new Promise((r) => a.once('close', () => r(null)));
  a.publish(topics.statusDelta, Buffer.alloc(1000, 1), { qos: 1, retain: true });
  await closed;
  assert.match(hub.proc.log(), /refused a publish to "chot\/v1\/broadcast\/status-delta" by account reader/);
  const b = await connect('svc-2', 'reader', service);
  const codes = await b.subscribeAsync(['#', '$SYS/#', topics.trust], { qos: 1 }).then(() => [] as number[], (e: { packet?: { granted?: number[] } }) => e.packet?.granted ?? []);
  assert.equal(codes, [128, 128, 1]);
  b.end(true);
  const kiosk = await connect('booth-h', 'booth-h', pw);
  let err: Error | undefined;
  try { (await connect('booth-h', 'reader', service)).end(true); } catch (e) { err = e as Error; }
  assert.ok(err, 'an account is refused the client id of a kiosk');
  assert.ok(kiosk.connected, 'and the kiosk stays connected');
  kiosk.end(true);
});

test('a CONNECT flood of wrong passwords is rate-limited while a kiosk\'s acknowledgements keep flowing', async () => {
  const c = await connect('booth-h', 'booth-h', pw);
  await c.subscribeAsync(topics.ack('booth-h'), { qos: 1 });
  const flood = (async () => {
    let refused = 0;
    for (let i = 0; i < 2000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => connect(`x-${i + j}`, j % 2 ? 'ops' : `nobody-${i + j}`, 'guess').then((x) => x.end(true), () => { refused++; })));
    }
    return refused;
  })();
  let acked = 0;
  for (let b = 0; b < 20; b++) { await send(c, 'booth-h', [scan(Date.now())]); acked++; }
  assert.is(await flood, 2000, 'every guess refused');
  assert.is(acked, 20);
  c.end(true);
  const m = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { Authorization: `Bearer reader:${service}` } })).text();
  const limited = Number(/^chot_connect_rate_limited_total (\d+)/m.exec(m)?.[1] ?? 0);
  assert.ok(limited > 1500, `most of the flood was refused by the rate limit without a password check (${limited})`);
});

test('the web side: a cross-site POST is refused, bad logins are rate-limited, the event stream closes at logout', async () => {
  const evil = await fetch(`http://127.0.0.1:${httpPort}/login`, { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: `user=ops&password=${operator}` });
  assert.is(evil.status, 403);
  const enrol = await fetch(`http://127.0.0.1:${httpPort}/api/enrol`, { method: 'POST', headers: { Origin: 'http://evil.example' }, body: '{"token":"aaaaaaaaaaaaaaaaaaaa"}' });
  assert.is(enrol.status, 403);
  const login = await fetch(`http://127.0.0.1:${httpPort}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `user=ops&password=${operator}` });
  assert.is(login.status, 200);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];
  const ctl = new AbortController();
  const events = await fetch(`http://127.0.0.1:${httpPort}/api/events`, { headers: { Cookie: cookie }, signal: ctl.signal });
  assert.is(events.status, 200);
  const reader = events.body!.getReader();
  await reader.read();
  assert.is((await fetch(`http://127.0.0.1:${httpPort}/logout`, { method: 'POST', headers: { Cookie: cookie } })).status, 204);
  for (;;) { const r = await reader.read(); if (r.done) break; } // the stream ends: no figures after logout
  const statuses: number[] = [];
  for (let i = 0; i < 15; i++) statuses.push((await fetch(`http://127.0.0.1:${httpPort}/login`, { method: 'POST', body: 'user=ops&password=wrong' })).status);
  assert.ok(statuses.slice(0, 5).every((s) => s === 401));
  assert.ok(statuses.slice(-5).every((s) => s === 429), statuses.join(' '));
  // and the right password is refused too while the name is locked: the lock does not depend on the guess
  assert.is((await fetch(`http://127.0.0.1:${httpPort}/login`, { method: 'POST', body: `user=ops&password=${operator}` })).status, 429);
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

// The kiosk's decisions end to end, in one process: a real hub (its broker on loopback), the kiosk with the
// simulated GPIO and a simulated scanner. Lists, deltas, clock policies and warnings, overrides, heartbeats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { buildStatusList, decodeSign1, encodeCbor, makeDelta, signStatusDelta, signTrustList, topics, localDay, unwrapEnvelope, wrapEnvelope, Tagged, PASS_PREFIX } from '../../protocol/src/index.js';
import { checkConfig } from '../src/config.js';
import { Kiosk } from '../src/kiosk.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { Hub } from '../../hub/src/hub.js';
import { checkHubConfig } from '../../hub/src/config.js';
import { makeWorld, waitFor, sleep } from './rig.js';

const w = makeWorld('kiosk');
const quiet = () => {};
let hub: Hub;
let kiosk: Kiosk;
let gpio: SimGpio;
let scanner: SimSource;

// uvu swallows an error thrown in a hook and just reports every test as not passed: print it
test.before(() => setUp().catch((e) => { console.error('set-up failed:', e); throw e; }));

async function setUp(): Promise<void> {
  hub = await Hub.start(checkHubConfig({ dataDir: join(w.dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, http: { port: 0 } }), quiet);
  const { secret } = await hub.admin.add('booth-k', '79/26734');
  await hub.reloadRegistry();
  gpio = new SimGpio();
  scanner = new SimSource();
  const config = checkConfig({
    kiosk: { id: 'booth-k', debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, 'kiosk-k'),
    hub: { url: `mqtt://127.0.0.1:${hub.ports.mqtt}`, password: secret, heartbeatSeconds: 1, backoffMinMs: 100, backoffMaxMs: 1000 },
    scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 },
    clock: { syncedFile: join(w.dir, 'synced') }, lists: { maxAgeHours: 1 },
  });
  writeFileSync(join(w.dir, 'synced'), '');
  kiosk = await Kiosk.start(config, { gpio, sources: [scanner], log: quiet });
  await waitFor('both lists from the hub', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1 && kiosk.area === '79/26734');
}

/** The same pass with one bit of its signature flipped: a forgery that still decodes. */
function forge(text: string): string {
  const s = decodeSign1(unwrapEnvelope(text, PASS_PREFIX));
  const sig = new Uint8Array(s.signature); sig[5] ^= 1;
  return wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, s.payload, sig])), PASS_PREFIX);
}

const scan = async (text: string) => {
  const before = kiosk.history[0];
  scanner.feed(text);
  return waitFor('the verdict', () => (kiosk.history[0] !== before ? kiosk.history[0] : undefined), 2000, 5);
};
const pinsAfter = (from: number) => gpio.timeline.slice(from).filter((c) => c.pin >= 0).map((c) => `${c.name}:${c.on ? 'on' : 'off'}`);

test('a valid pass: green lamp and relay pulse; the officer sees name and id last 4', async () => {
  const from = gpio.timeline.length;
  const v = await scan(w.pass().text);
  assert.is(v.verdict.verdict, 'green', v.verdict.detail);
  assert.equal(v.warnings, []);
  assert.is(v.verdict.summary?.name, 'Phạm Thị Lan');
  assert.ok(pinsAfter(from).slice(0, 4).join() === 'red:off,green:on,relay:on,buzzer:on', pinsAfter(from).join());
});

test('each kind of invalid pass is red with a long beep and the gate stays shut', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, string]> = [
    [w.pass({ validUntil: now - 3600, validFrom: now - 7200, issuedAt: now - 7200 }).text, 'expired'],
    [w.pass({ areas: ['79/99999'] }).text, 'wrong-area'],
    [w.pass({ health: 'F0' }).text, 'health-status'],
    [w.pass({ category: 'official' }).text, 'issuer-not-allowed'],
    [forge(w.pass().text), 'bad-signature'],
    ['https://example.vn/not-a-pass', 'unsupported-format'],
    ['VN1:%%%', 'malformed'],
  ];
  for (const [text, reason] of cases) {
    await sleep(20);
    const from = gpio.timeline.length;
    const v = await scan(text);
    assert.is(v.verdict.verdict, 'red', `${reason}: ${v.verdict.detail}`);
    assert.is(v.verdict.reason, reason);
    const pins = pinsAfter(from);
    assert.ok(pins.includes('buzzer:on') && !pins.includes('relay:on'), `${reason}: ${pins.join()}`);
  }
});

test('the same pass read twice within the debounce window is one scan', async () => {
  const t = w.pass().text;
  await scan(t);
  const n = kiosk.journal.stats.appended;
  scanner.feed(t);
  await sleep(50);
  assert.is(kiosk.journal.stats.appended, n);
  await sleep(300);
  await scan(t);
  assert.is(kiosk.journal.stats.appended, n + 1, 'after the window it counts again');
});

test('a holder turned F0 after issue turns red through a status delta from the hub, without a reissue', async () => {
  const p = w.pass();
  assert.is((await scan(p.text)).verdict.verdict, 'green');
  const v1 = buildStatusList(1, 0, [], []), v2 = buildStatusList(2, 0, [[p.pass.holderToken, 'F0']], []);
  await hub.broker.publish(topics.statusDelta, signStatusDelta(makeDelta(v1, v2), w.root.privateKey), true);
  await waitFor('status list v2', () => kiosk.store.status.version === 2);
  await sleep(350);
  const again = await scan(p.text);
  assert.is(again.verdict.reason, 'health-status');
});

test('a trust list signed by anyone but the root is refused, and the held list stays', async () => {
  const evil = generateKeyPairSync('ed25519');
  await hub.broker.publish(topics.trust, signTrustList(99, 0, [], evil.privateKey), true);
  await sleep(300);
  assert.is(kiosk.store.trust.version, 1);
  assert.is((await scan(w.pass().text)).verdict.verdict, 'green');
});

test('an unsynchronised clock is said on every verdict; the policy decides whether time is checked', async () => {
  const { unlinkSync } = await import('node:fs');
  unlinkSync(join(w.dir, 'synced'));
  // every ack carries the hub's time and would synchronise the clock again: forget it before each scan
  const forgetHubTime = () => { (kiosk.clock as unknown as { hubOffset?: number }).hubOffset = undefined; };
  forgetHubTime();
  const now = Math.floor(Date.now() / 1000);
  const expired = w.pass({ validUntil: now - 3600, validFrom: now - 7200, issuedAt: now - 7200 }).text;
  const v = await scan(expired);
  assert.ok(v.warnings.includes('clock-unsynced'));
  assert.is(v.verdict.reason, 'expired', 'check-time: still decides on expiry, with the warning');
  (kiosk.config.clock as { unsyncedPolicy: string }).unsyncedPolicy = 'skip-time';
  await sleep(350);
  forgetHubTime();
  assert.is((await scan(expired)).verdict.verdict, 'green', 'skip-time: expiry not decided');
  (kiosk.config.clock as { unsyncedPolicy: string }).unsyncedPolicy = 'refuse';
  await sleep(350);
  forgetHubTime();
  assert.is((await scan(w.pass().text)).verdict.reason, 'clock-unsynced');
  (kiosk.config.clock as { unsyncedPolicy: string }).unsyncedPolicy = 'check-time';
  writeFileSync(join(w.dir, 'synced'), '');
});

test('lists older than lists.maxAgeHours put a warning on every verdict', async () => {
  kiosk.store.db.data.trust!.receivedAt = Date.now() - 2 * 3_600_000;
  const v = await scan(w.pass().text);
  assert.ok(v.warnings.includes('lists-stale'), v.warnings.join());
  assert.ok(kiosk.status().listsStale);
  kiosk.store.db.data.trust!.receivedAt = Date.now();
});

test('the officer button opens the gate and is journaled as an override that reaches the hub', async () => {
  const before = kiosk.journal.stats.appended;
  gpio.press(24);
  assert.is(kiosk.journal.stats.appended, before + 1);
  const id = kiosk.history[0].record.id;
  assert.is(kiosk.history[0].record.override, true);
  await waitFor('the override delivered', () => kiosk.journal.pending === 0, 5000);
  const kept = await hub.store.scansOfDay(localDay(kiosk.history[0].record.at, hub.config.timeZone));
  assert.ok(kept.some((s) => s.id === id && s.k === 'booth-k' && s.override), 'the override is stored at the hub');
});

test('the heartbeat tells the hub its versions, backlog, clock and scanner', async () => {
  await waitFor('a status at the hub', () => hub.broker.online.get('booth-k')?.statusVersion === 2, 5000);
  const s = hub.broker.online.get('booth-k')!;
  assert.is(s.version, '0.1.0');
  assert.is(s.trustVersion, 1);
  assert.is(typeof s.backlog, 'number');
  assert.is(s.clock?.synced, true);
  assert.match(s.scanner ?? '', /sim ok/);
});

test('every signalled scan reached the hub', async () => {
  await waitFor('an empty backlog', () => kiosk.journal.pending === 0, 5000);
  const ids = kiosk.history.map((h) => h.record);
  const kept = new Set<string>();
  for (const day of new Set(ids.map((r) => localDay(r.at, hub.config.timeZone)))) for (const s of await hub.store.scansOfDay(day)) kept.add(`${s.k}/${s.id}`);
  for (const r of ids) assert.ok(kept.has(`booth-k/${r.id}`), r.id);
});

test.after(async () => {
  await kiosk?.stop();
  await hub?.stop();
});
test.run();

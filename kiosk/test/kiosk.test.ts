// The kiosk's decisions end to end, in one process and without a hub: built by buildKiosk (main.ts) as the
// booth program builds it, with the simulated GPIO, a simulated scanner and the simulated uplink (the hub in
// memory; the real uplink's behaviour against a real hub is kiosk/test/uplink.test.ts, against the same
// contract). Lists, deltas, clock policies and warnings, overrides, heartbeats, log lines and their levels, and
// a part that fails kept from taking the kiosk down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { buildStatusList, decodeSign1, encodeCbor, makeDelta, signStatusDelta, signTrustList, unwrapEnvelope, wrapEnvelope, Tagged, PASS_PREFIX } from '../../protocol/src/index.js';
import { checkConfig } from '../src/config.js';
import type { Kiosk } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { SimGpio } from '../src/gpio/sim.js';
import { ScanSource, SimSource } from '../src/scan/source.js';
import { SimUplink } from '../src/uplink/sim.js';
import type { Level } from '../../lib/log.js';
import { makeWorld, waitFor, sleep } from './rig.js';

const w = makeWorld('kiosk');
const lists = join(w.dir, 'hub', 'lists');
const logs: Array<{ line: string; level: Level }> = [];
const log = (line: string, level: Level = 'info') => { logs.push({ line, level }); };
let kiosk: Kiosk;
let gpio: SimGpio;
let scanner: SimSource;
let hub: SimUplink;

const config = (name: string, over: Record<string, unknown> = {}) => checkConfig({
  kiosk: { id: `booth-${name}`, area: '79/26734', debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, `kiosk-${name}`),
  hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 },
  scanner: { type: 'sim' }, gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 },
  clock: { syncedFile: join(w.dir, 'synced') }, lists: { maxAgeHours: 1 }, ...over,
});

// uvu swallows an error thrown in a hook and just reports every test as not passed: print it
test.before(() => setUp().catch((e) => { console.error('set-up failed:', e); throw e; }));

async function setUp(): Promise<void> {
  writeFileSync(join(w.dir, 'synced'), '');
  gpio = new SimGpio();
  scanner = new SimSource();
  kiosk = await buildKiosk(config('k'), { gpio, sources: [scanner], uplink: (journal) => (hub = new SimUplink(journal)) }, log);
  hub.publish('trust', new Uint8Array(readFileSync(join(lists, 'trust-officers.cose'))));
  hub.publish('statusList', new Uint8Array(readFileSync(join(lists, 'status.cose'))));
  await waitFor('both lists from the hub', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1);
}

/** The same pass with one bit of its signature flipped: a forgery that still decodes. */
function forge(text: string): string {
  const s = decodeSign1(unwrapEnvelope(text, PASS_PREFIX));
  const sig = new Uint8Array(s.signature); sig[5] ^= 1;
  return wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, s.payload, sig])), PASS_PREFIX);
}

const scan = async (text: string, k = kiosk, source = scanner) => {
  const before = k.history[0];
  source.feed(text);
  return waitFor('the verdict', () => (k.history[0] !== before ? k.history[0] : undefined), 2000, 5);
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

test('one log line per scan at info, with the verdict and reason and nothing that names the holder', async () => {
  const p = w.pass({ holderName: 'Võ Thị Sáu', idLast4: '8642' });
  const from = logs.length;
  const v = await scan(p.text);
  const lines = logs.slice(from).filter((l) => l.line.startsWith('scan '));
  assert.equal(lines, [{ line: `scan ${v.record.id}: green ok (pass, sim, ${v.record.ms} ms)`, level: 'info' }]);
  for (const secret of ['Võ', 'Sáu', '8642', v.record.holder!, v.record.passId!]) assert.not.ok(logs.some((l) => l.line.includes(secret)), `${secret} is in the log`);
  const now = Math.floor(Date.now() / 1000);
  const red = await scan(w.pass({ validUntil: now - 3600, validFrom: now - 7200, issuedAt: now - 7200, holderName: 'Võ Thị Sáu' }).text);
  assert.ok(logs.some((l) => l.line === `scan ${red.record.id}: red expired (pass, sim, ${red.record.ms} ms)` && l.level === 'info'));
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
  hub.publish('statusDelta', signStatusDelta(makeDelta(v1, v2), w.root.privateKey));
  await waitFor('status list v2', () => kiosk.store.status.version === 2);
  assert.ok(logs.some((l) => l.line === 'lists: now holding status list version 2' && l.level === 'info'));
  await sleep(350);
  const again = await scan(p.text);
  assert.is(again.verdict.reason, 'health-status');
});

test('a trust list signed by anyone but the root is refused with a warning, and the held list stays', async () => {
  const evil = generateKeyPairSync('ed25519');
  const from = logs.length;
  hub.publish('trust', signTrustList(99, 0, [], evil.privateKey));
  await waitFor('the refusal logged', () => logs.slice(from).find((l) => /^lists: trust list refused: /.test(l.line)));
  assert.is(logs.slice(from).find((l) => /^lists: trust list refused: /.test(l.line))!.level, 'warn');
  assert.is(kiosk.store.trust.version, 1);
  assert.is((await scan(w.pass().text)).verdict.verdict, 'green');
});

test('the hub\'s config for this kiosk sets its area; one for another kiosk is ignored with a warning', async () => {
  const from = logs.length;
  hub.sendConfig({ v: 1, checkpoint: 'booth-other', area: '74' });
  await waitFor('the warning', () => logs.slice(from).some((l) => l.line === 'config: ignored a config for booth-other' && l.level === 'warn'));
  assert.is(kiosk.area, '79/26734');
  hub.sendConfig({ v: 1, checkpoint: 'booth-k', area: '79' });
  await waitFor('the area from the hub', () => kiosk.area === '79');
  assert.is((await scan(w.pass().text)).verdict.verdict, 'green');
  hub.sendConfig({ v: 1, checkpoint: 'booth-k', area: '79/26734' });
  await waitFor('the area back', () => kiosk.area === '79/26734');
});

test('lists older than lists.maxAgeHours put a warning on every verdict', async () => {
  kiosk.store.db.data.trust!.receivedAt = Date.now() - 2 * 3_600_000;
  const v = await scan(w.pass().text);
  assert.ok(v.warnings.includes('lists-stale'), v.warnings.join());
  assert.ok(kiosk.status().listsStale);
  kiosk.store.db.data.trust!.receivedAt = Date.now();
});

test('the officer button opens the gate and is journaled as an override that reaches the hub', async () => {
  scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => kiosk.onDuty());
  const before = kiosk.journal.stats.appended;
  gpio.press(24);
  assert.is(kiosk.journal.stats.appended, before + 1);
  const r = kiosk.history[0].record;
  assert.is(r.override, true);
  assert.is(r.officer, 'CA79-00123', 'the override carries the officer on duty');
  assert.ok(logs.some((l) => l.line.startsWith(`scan ${r.id}: green override (unknown, button, 0 ms)`)));
  await waitFor('the override delivered', () => kiosk.journal.pending === 0, 5000);
  assert.equal(hub.stored.get(r.id), r, 'the override is stored at the hub as journaled');
});

test('the heartbeat tells the hub its versions, backlog, clock and scanner', async () => {
  await waitFor('a status with status list v2', () => hub.statuses.some((s) => s.statusVersion === 2), 5000);
  const s = hub.statuses[hub.statuses.length - 1];
  assert.is(s.version, '0.1.0');
  assert.is(s.trustVersion, 1);
  assert.is(typeof s.backlog, 'number');
  assert.is(s.clock?.synced, true);
  assert.match(s.scanner ?? '', /sim ok/);
  assert.is(s.gpio, 'sim');
});

test('offline, scans are journaled and signalled; back online, every one reaches the hub', async () => {
  hub.setReachable(false);
  await waitFor('the link down', () => kiosk.uplink?.state === 'offline');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await scan(w.pass().text)).record.id);
  await sleep(200); // a pause, not a time limit: nothing may leave the journal while offline
  assert.is(kiosk.journal.pending, 5);
  assert.ok(ids.every((id) => !hub.stored.has(id)));
  hub.setReachable(true);
  await waitFor('the backlog delivered', () => kiosk.journal.pending === 0, 5000);
  assert.ok(ids.every((id) => hub.stored.has(id)));
});

test('every signalled scan reached the hub', async () => {
  await waitFor('an empty backlog', () => kiosk.journal.pending === 0, 5000);
  for (const h of kiosk.history) assert.equal(hub.stored.get(h.record.id), h.record, h.record.id);
});

test('an unsynchronised clock is said on every verdict; the policy decides whether time is checked', async () => {
  // a kiosk with no hub: no acknowledgement brings the hub's time, and no synchronised-file is there
  const g = new SimGpio(), s = new SimSource();
  const k = await buildKiosk(config('clock', { clock: { syncedFile: join(w.dir, 'never-synced') }, hub: {} }), { gpio: g, sources: [s] }, () => {});
  assert.is(k.uplink, null);
  k.store.applyTrust(new Uint8Array(readFileSync(join(lists, 'trust.cose'))), Date.now());
  k.store.applyStatus(new Uint8Array(readFileSync(join(lists, 'status.cose'))), Date.now());
  const now = Math.floor(Date.now() / 1000);
  const expired = w.pass({ validUntil: now - 3600, validFrom: now - 7200, issuedAt: now - 7200 }).text;
  const v = await scan(expired, k, s);
  assert.ok(v.warnings.includes('clock-unsynced'));
  assert.is(v.verdict.reason, 'expired', 'check-time: still decides on expiry, with the warning');
  assert.is(v.record.clockSynced, false);
  (k.config.clock as { unsyncedPolicy: string }).unsyncedPolicy = 'skip-time';
  await sleep(350);
  assert.is((await scan(expired, k, s)).verdict.verdict, 'green', 'skip-time: expiry not decided');
  (k.config.clock as { unsyncedPolicy: string }).unsyncedPolicy = 'refuse';
  assert.is((await scan(w.pass().text, k, s)).verdict.reason, 'clock-unsynced');
  await k.stop();
});

/** A scanner that breaks: its start or its stop throws. */
class BrokenSource extends ScanSource {
  readonly kind = 'serial' as const;
  constructor(private readonly breaks: 'start' | 'stop') { super(); }
  start(): void { if (this.breaks === 'start') throw new Error('EACCES /dev/ttyACM0'); this.setState('ok', 'broken on stop'); }
  async stop(): Promise<void> { if (this.breaks === 'stop') throw new Error('the port hung'); }
}

test('a part that fails is isolated: a scanner that cannot start is logged as an error and the others work; one that cannot stop does not keep the rest running', async () => {
  const errors: string[] = [];
  const g = new SimGpio(), s = new SimSource();
  let closed = 0;
  g.close = () => { closed++; };
  const k = await buildKiosk(config('broken', { hub: {} }), { gpio: g, sources: [new BrokenSource('start'), s, new BrokenSource('stop')] }, (l, level) => { if (level === 'error') errors.push(l); });
  assert.equal(errors, ['scanner: the serial scanner cannot start (EACCES /dev/ttyACM0); the kiosk runs without it: check scanner in the config']);
  k.store.applyTrust(new Uint8Array(readFileSync(join(lists, 'trust-officers.cose'))), Date.now());
  k.store.applyStatus(new Uint8Array(readFileSync(join(lists, 'status.cose'))), Date.now());
  assert.is((await scan(w.pass().text, k, s)).verdict.verdict, 'green', 'the working scanner still decides');
  s.feed(w.officer().text);
  await waitFor('the officer signed in', () => k.onDuty());
  g.press(24);
  assert.is(k.history[0].record.reason, 'override', 'the button still opens the gate');
  await k.stop();
  assert.equal(errors.slice(1), ['kiosk: the serial scanner did not stop cleanly: the port hung']);
  assert.is(closed, 1, 'the GPIO was still closed');
  assert.equal(g.timeline.filter((c) => c.name === 'relay').pop()?.on, false, 'and the gate left shut');
});

test('a kiosk whose root key cannot be read does not start, and says which file and what to do', async () => {
  const e = await buildKiosk(config('nokey', { rootKey: join(w.dir, 'missing.pem') }), { gpio: new SimGpio(), sources: [] }, () => {}).then(() => undefined, (x: Error) => x);
  assert.match(e?.message ?? '', /^rootKey .*missing\.pem cannot be read as a PEM public key .*copy the root authority's root\.pub\.pem there$/);
});

test.after(async () => {
  await kiosk?.stop();
});
test.run();

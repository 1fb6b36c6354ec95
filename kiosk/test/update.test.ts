// Fleet software updates, with real parts: bundles built by `chot release build` from this very program, signed with a
// release key the root authorises in the trust list, published by a real hub (bundle over HTTP, rollout retained over
// MQTT), taken by a real kiosk process that scans from a serial scanner (a socat pty) and is started, restarted and
// stopped by the unit file's own commands (supervisor.ts: systemd is not PID 1 here, so the unit's ExecStartPre,
// ExecStart and ExecStopPost run as real processes, READY=1 over a real notify socket). The kiosk updates while scans
// flow (the switch waits for the lane to be idle, no scan is lost); a version that cannot start, and one whose READY
// never reaches systemd, are rolled back by the guard alone, and the hub is told which and why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issuerEntryToWire, releaseSignerToWire, signTrustList } from '../../protocol/src/index.js';
import { unpackTarGz } from '../../lib/tar.js';
import { addDevice, chot, hubScans, killAll, kioskConfig, makeWorld, pty, readTimeline, signalled, sleep, startHub, stop, waitFor, type Hub, type Pty , accountsKnown } from './rig.js';
import { Supervisor } from './supervisor.js';

const DIST = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const TREE = join(DIST, '..');
const w = makeWorld('update');
const now = Math.floor(Date.now() / 1000);
const opt = join(w.dir, 'opt');
const out = join(w.dir, 'out');
const releaseKey = join(w.dir, 'release.key.pem');
// the unit's TimeoutStartSec and the kiosk's update.confirmSeconds, both shortened for the test, in the order they have
// in production (60 s, 90 s): a version is stopped for want of READY before it could confirm itself
const START_TIMEOUT_MS = 10_000;
// (3 s more than the start timeout: time enough for the SIGTERM to reach a loaded machine's kiosk)
const CONFIRM_SECONDS = 13;
let hub: Hub, web: string, auth: Record<string, string>, sup: Supervisor, scanner: Pty;
let stateDir: string;

function ok(r: { code: number | null; out: string; err: string }, what: string) {
  assert.is(r.code, 0, `${what}: ${r.err}${r.out}`);
  return JSON.parse(r.out.trim().split('\n').at(-1)!);
}

/** chot release build + sign: a bundle of this program as VERSION, or of `tree` (the bad one). */
function buildRelease(version: string, tree?: string): { bundle: string; manifest: string } {
  ok(chot(['release', 'build', version, '--out', out, '--arch', 'any', ...(tree ? ['--from', tree] : [])]), `release build ${version}`);
  ok(chot(['release', 'sign', join(out, `chot-${version}-any.json`), '--key', releaseKey]), `release sign ${version}`);
  return { bundle: join(out, `chot-${version}-any.tgz`), manifest: join(out, `chot-${version}-any.manifest.cose`) };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

async function api(path: string) {
  const r = await fetch(`${web}${path}`, { headers: auth });
  assert.is(r.status, 200, path);
  return r.json();
}

const passes: string[] = [];
async function scan(): Promise<void> {
  const p = w.pass().text;
  passes.push(p);
  await scanner.write(`${p}\r\n`);
}

test.before(async () => {
  // the root authorises a release key in the trust list, beside the pass issuer
  const pair = generateKeyPairSync('ed25519');
  writeFileSync(releaseKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'), signTrustList(1, now, [issuerEntryToWire({
    issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: w.issuer.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400, categories: ['resident'], areas: ['79'],
  })], w.root.privateKey, [releaseSignerToWire({ name: 'chot releases', publicKey: pair.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400 })]));

  // v1 installed as provisioning lays it out: releases/1.0.0, current and good, shared node_modules
  const v1 = buildRelease('1.0.0');
  mkdirSync(join(opt, 'releases'), { recursive: true });
  unpackTarGz(readFileSync(v1.bundle), join(opt, 'releases', '1.0.0'));
  symlinkSync('releases/1.0.0', join(opt, 'current'));
  symlinkSync('releases/1.0.0', join(opt, 'good'));
  symlinkSync(join(TREE, 'node_modules'), join(opt, 'node_modules'));

  hub = await startHub(w);
  web = /http: dashboard and API on (http:\/\/[^/\s]+)\//.exec(hub.proc.log())![1];
  const account = ok(chot(['account', 'add', 'ops', '--role', 'service', '--config', hub.config]), 'account add');
  await accountsKnown(hub, 1);
  auth = { Authorization: `Bearer ops:${account.password}` };
  const password = addDevice(w, 'booth-ota');
  scanner = await pty(w.dir);
  const k = kioskConfig(w, { id: 'booth-ota', hubPort: hub.port, password, scanner: scanner.scanner, extra: {
    update: { dir: opt, web, idleSeconds: 1.5, confirmSeconds: CONFIRM_SECONDS, rateKBps: 2048 },
  } });
  stateDir = k.stateDir;
  sup = new Supervisor({ dir: opt, stateDir, config: k.path, startTimeoutMs: START_TIMEOUT_MS, restartMs: 200, notifySocket: join(w.dir, 'notify.sock') });
  await sup.start();
  await sup.ready('1.0.0');
  await until('the hub to see the kiosk on 1.0.0', async () => (await api('/api/fleet')).kiosks.find((k: { id: string; version?: string }) => k.id === 'booth-ota' && k.version === '1.0.0'));
});

test('a kiosk on v1 updates to v2 while scans flow: the switch waits until the lane is idle, no scan is lost, the hub shows it', async () => {
  const v2 = buildRelease('2.0.0');
  const first = sup.runs.at(-1)!;
  // scans every 400 ms, less than idleSeconds (1.5 s): the lane is never idle while they flow
  let flowing = true;
  const feeder = (async () => { while (flowing) { await scan(); await sleep(400); } })();
  await sleep(600);
  ok(chot(['release', 'rollout', '2.0.0', '--to', 'booth-ota', '--key', releaseKey, '--bundle', v2.bundle, '--manifest', v2.manifest, '--config', hub.config]), 'rollout');
  await waitFor('the kiosk to hold v2 and wait for an idle lane', () => first.log.includes('update: waiting-idle 2.0.0'), 20_000);
  assert.ok(existsSync(join(opt, 'releases', '2.0.0', 'dist', 'scripts', 'chot.js')), 'unpacked beside the running version');
  // the hub serves the bundle by ranges (a kiosk resumes where its link dropped), to anyone: it is signed
  const size = readFileSync(v2.bundle).length;
  const part = await fetch(`${web}/releases/2.0.0/bundle.tgz`, { headers: { Range: 'bytes=100-' } });
  assert.is(part.status, 206);
  assert.is(part.headers.get('content-range'), `bytes 100-${size - 1}/${size}`);
  assert.equal(Buffer.from(await part.arrayBuffer()), readFileSync(v2.bundle).subarray(100));
  assert.is((await fetch(`${web}/releases/2.0.0/bundle.tgz`, { headers: { Range: `bytes=${size}-` } })).status, 416);
  assert.is((await fetch(`${web}/releases/9.9.9/bundle.tgz`)).status, 404);
  // scans go on for three idle periods: no switch meanwhile
  const before = passes.length;
  await sleep(4500);
  assert.ok(passes.length >= before + 8, 'scans kept flowing');
  assert.is(sup.runs.length, 1, 'no restart while the lane is busy');
  assert.is(readlinkSync(join(opt, 'current')), 'releases/1.0.0');
  flowing = false;
  await feeder;
  const scanned = passes.length;
  // the lane falls idle: the switch, a restart by the supervisor, v2 READY, confirmed after confirmSeconds
  await sup.ready('2.0.0');
  assert.is(first.result, 'success', 'v1 stopped cleanly for the switch');
  await waitFor('v2 confirmed as the good version', () => readlinkSync(join(opt, 'good')) === 'releases/2.0.0', CONFIRM_SECONDS * 1000 + 20_000);
  assert.match(first.log, /update: lane idle: switching from 1\.0\.0 to 2\.0\.0/);
  // every scan was signalled before the switch and reached the hub: none lost, none between scan and signal
  const timeline = readTimeline(join(w.dir, 'timeline-booth-ota.jsonl'));
  const signals = signalled(timeline);
  await waitFor(`all ${scanned} scans at the hub`, () => hubScans(hub.dataDir).filter((s) => s.k === 'booth-ota').length >= scanned, 15_000);
  const stored = hubScans(hub.dataDir).filter((s) => s.k === 'booth-ota');
  assert.is(stored.length, scanned, 'each scan stored once');
  assert.is(signals.length, scanned, 'each scan signalled');
  assert.equal(new Set(stored.map((s) => s.id)), new Set(signals));
  await until('the hub to show the kiosk updated to 2.0.0', async () => (await api('/api/fleet')).kiosks.find((k: { id: string; version?: string; update?: { state: string } }) => k.id === 'booth-ota' && k.version === '2.0.0' && k.update?.state === 'updated'));
  const rel = await api('/api/releases');
  assert.is(rel.rollout.version, '2.0.0');
  assert.is(rel.rollout.state, 'active');
  assert.equal(rel.versions, { '2.0.0': 1 });
  assert.is(rel.progress.targeted, 1);
  assert.is(rel.progress.updated, 1);
  const metrics = await (await fetch(`${web}/metrics`, { headers: auth })).text();
  assert.match(metrics, /chot_kiosks_by_version\{version="2\.0\.0"\} 1/);
  assert.match(metrics, /chot_rollout_kiosks\{state="updated"\} 1/);
});

/** A tree to build a release from: this build, with its entry point (dist/scripts/chot.js) changed by `change`. */
function treeOf(name: string, change: (scripts: string) => void): string {
  const tree = join(w.dir, name);
  for (const p of ['package.json', 'kiosk/config.schema.json', 'kiosk/web']) cpSync(join(TREE, p), join(tree, p), { recursive: true });
  cpSync(DIST, join(tree, 'dist'), { recursive: true, filter: (src) => !src.includes('/test') });
  change(join(tree, 'dist', 'scripts'));
  return tree;
}

test('a new version that cannot start is rolled back to the good one by the guard alone, and the hub is told which and why', async () => {
  // a real bundle whose program fails at start: this build with its entry point replaced
  const bad = treeOf('bad-tree', (scripts) => writeFileSync(join(scripts, 'chot.js'), "console.error('chot 2.0.1: cannot load its config module'); process.exit(1);\n"));
  const v = buildRelease('2.0.1', bad);
  ok(chot(['release', 'rollout', '2.0.1', '--to', '100%', '--key', releaseKey, '--bundle', v.bundle, '--manifest', v.manifest, '--config', hub.config]), 'rollout');
  const runsBefore = sup.runs.length;
  // three failed starts of 2.0.1, then 2.0.0 again, by itself
  await waitFor('2.0.1 to be tried', () => sup.runs.some((r) => r.version === '2.0.1'), 20_000);
  await waitFor('2.0.0 to run again', () => sup.runs.length > runsBefore + 3 && sup.runs.at(-1)!.version === '2.0.0' && sup.runs.at(-1)!.ready, 20_000);
  const tried = sup.runs.slice(runsBefore).filter((r) => r.version === '2.0.1');
  assert.is(tried.length, 3, 'tried three times');
  assert.ok(tried.every((r) => !r.ready && r.result === 'exit-code' && r.exitStatus === '1'));
  assert.is(readlinkSync(join(opt, 'current')), 'releases/2.0.0');
  assert.is(readlinkSync(join(opt, 'good')), 'releases/2.0.0', 'the good version never moved');
  assert.ok(sup.guardLog.some((l) => /update guard: version 2\.0\.1 exited with status 1 \(3 times\); rolled back to 2\.0\.0/.test(l)), sup.guardLog.join('\n'));
  const journal = JSON.parse(readFileSync(join(stateDir, 'update', 'switch.json'), 'utf8'));
  assert.is(journal.format, 1);
  assert.is(journal.phase, 'rolled-back');
  const rel = await until('the hub to hear of the roll-back', async () => { const r = await api('/api/releases'); return r.failures.length ? r : undefined; });
  assert.equal(rel.failures.map((f: { kiosk: string; state: string; version: string }) => [f.kiosk, f.state, f.version]), [['booth-ota', 'rolled-back', '2.0.1']]);
  assert.match(rel.failures[0].reason, /^version 2\.0\.1 exited with status 1 \(3 times\); back on 2\.0\.0$/);
  assert.is(rel.progress.rolledBack, 1);
  // the failed version is not tried again while its rollout stands
  await sleep(2500);
  assert.is(sup.runs.at(-1)!.version, '2.0.0');
  assert.ok(sup.runs.at(-1)!.result === undefined, '2.0.0 keeps running');
  // the operator pauses the rollout: the hub publishes the signed pause and shows it
  ok(chot(['release', 'pause', '--key', releaseKey, '--config', hub.config]), 'pause');
  await until('the hub to publish the pause', async () => (await api('/api/releases')).rollout.state === 'paused');
  const history = (await api('/api/releases')).history.map((h: { seq: number; state: string; version: string }) => `${h.seq} ${h.state} ${h.version}`);
  // each rollout's seq comes after the pause and roll-back signed with the one before (2-3, 5-6) for the dashboard
  assert.equal(history, ['7 paused 2.0.1', '4 active 2.0.1', '1 active 2.0.0']);
});

test('a new version whose READY never reaches systemd is stopped at the start timeout, rolled back by the guard alone, the hub told why; a scan it took reaches the hub once', async () => {
  // production's order, which this rests on: confirmSeconds (the schema's default) above the unit's TimeoutStartSec
  const timeoutStart = Number(/^TimeoutStartSec=(\d+)$/m.exec(readFileSync(join(TREE, 'systemd', 'chot-kiosk.service'), 'utf8'))?.[1]);
  const schema = JSON.parse(readFileSync(join(TREE, 'kiosk', 'config.schema.json'), 'utf8'));
  assert.ok(schema.properties.update.properties.confirmSeconds.default > timeoutStart, `confirmSeconds ${schema.properties.update.properties.confirmSeconds.default} must be above TimeoutStartSec ${timeoutStart}`);
  // this very program, whose READY=1 goes to a socket nobody listens on: it runs, takes scans and believes it is ready,
  // as when systemd-notify's message is lost; only systemd knows it never came
  const hang = treeOf('hang-tree', (scripts) => {
    renameSync(join(scripts, 'chot.js'), join(scripts, 'chot-real.js'));
    writeFileSync(join(scripts, 'chot.js'), "process.env.NOTIFY_SOCKET = (process.env.NOTIFY_SOCKET ?? '/run/chot') + '.nobody-listens';\nawait import('./chot-real.js');\n");
  });
  const v = buildRelease('2.0.2', hang);
  const runsBefore = sup.runs.length;
  ok(chot(['release', 'rollout', '2.0.2', '--to', 'booth-ota', '--key', releaseKey, '--bundle', v.bundle, '--manifest', v.manifest, '--config', hub.config]), 'rollout');
  // its first run takes a scan at the lane: journaled, signalled, and whatever the stop does, it reaches the hub
  const first = await waitFor('2.0.2 to be up (not READY to systemd)', () => sup.runs.slice(runsBefore).find((r) => r.version === '2.0.2' && /update: trying 2\.0\.2/.test(r.log)), 30_000);
  await scan();
  await waitFor('the scan signalled by 2.0.2', () => signalled(readTimeline(join(w.dir, 'timeline-booth-ota.jsonl'))).length === passes.length, 10_000);
  assert.is(first.result, undefined, 'the scan came while 2.0.2 ran');
  // three starts stopped at the timeout, then 2.0.0 again, by itself (each start waits START_TIMEOUT_MS: a long wait)
  await waitFor('2.0.0 to run again', () => sup.runs.length > runsBefore + 3 && sup.runs.at(-1)!.version === '2.0.0' && sup.runs.at(-1)!.ready, 4 * START_TIMEOUT_MS + 60_000);
  const tried = sup.runs.slice(runsBefore).filter((r) => r.version === '2.0.2');
  assert.is(tried.length, 3, 'tried three times');
  assert.ok(tried.every((r) => !r.ready && r.result === 'timeout'), JSON.stringify(tried.map((r) => [r.ready, r.result])));
  // each came up whole and sent its READY (the agent starts after it: 'trying', said once), and none confirmed itself
  assert.ok(tried.every((r) => /kiosk booth-ota: ready \(/.test(r.log)), tried.map((r) => r.log).join('\n---\n'));
  assert.match(tried[0].log, /update: trying 2\.0\.2/);
  assert.ok(tried.every((r) => !/update: updated 2\.0\.2/.test(r.log)), 'no run confirmed itself');
  assert.is(readlinkSync(join(opt, 'current')), 'releases/2.0.0');
  assert.is(readlinkSync(join(opt, 'good')), 'releases/2.0.0', 'the good version never moved');
  assert.ok(sup.guardLog.some((l) => /update guard: version 2\.0\.2 did not report READY to systemd within its start timeout \(3 times\); rolled back to 2\.0\.0/.test(l)), sup.guardLog.join('\n'));
  const rel = await until('the hub to hear of the roll-back', async () => { const r = await api('/api/releases'); return r.failures.some((f: { version: string }) => f.version === '2.0.2') ? r : undefined; });
  assert.equal(rel.failures.map((f: { kiosk: string; state: string; version: string }) => [f.kiosk, f.state, f.version]), [['booth-ota', 'rolled-back', '2.0.2']]);
  assert.match(rel.failures[0].reason, /^version 2\.0\.2 did not report READY to systemd within its start timeout \(3 times\); back on 2\.0\.0$/);
  // every scan of every version at the hub, once
  await waitFor(`all ${passes.length} scans at the hub`, () => hubScans(hub.dataDir).filter((s) => s.k === 'booth-ota').length >= passes.length, 15_000);
  const stored = hubScans(hub.dataDir).filter((s) => s.k === 'booth-ota');
  assert.is(stored.length, passes.length, 'each scan stored once');
  assert.equal(new Set(stored.map((s) => s.id)), new Set(signalled(readTimeline(join(w.dir, 'timeline-booth-ota.jsonl')))));
  assert.is(sup.runs.at(-1)!.version, '2.0.0');
});

test.after(async () => {
  await sup?.stop().catch(() => {});
  await scanner?.close().catch(() => {});
  await stop(hub?.proc);
  killAll();
});

test.run();

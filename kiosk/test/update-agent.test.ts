// The kiosk's update agent in-process, against a real HTTP server: a changed manifest, a key the root did not authorise
// and a bundle whose bytes differ from the signed checksum are refused with their reason, nothing installed; a
// download cut halfway resumes from the bytes on disk, across a restart of the agent (a reboot); a 10 % rollout is
// taken by the same kiosks the hub counts. And the guard's rules: systemd's reasons in words, a version that took the
// machine down with it rolled back by counting starts, a state file from a newer version left alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  inRollout, openTrustList, releaseSignerToWire, signReleaseManifest, signRollout, signTrustList, type TrustList, type UpdateStatus,
} from '../../protocol/src/index.js';
import { packTarGz } from '../../lib/tar.js';
import { Updater } from '../src/update/agent.js';
import { guardStart, guardStop, stopReason } from '../src/update/guard.js';
import { readSwitch, writeSwitch } from '../src/update/layout.js';
import { Releases } from '../../hub/src/releases.js';
import { openStore } from '../../hub/src/store/port.js';
import { sleep, waitFor } from './rig.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-update-agent-'));
const now = Math.floor(Date.now() / 1000);
const root = generateKeyPairSync('ed25519');
const releaseKey = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const trust: TrustList = openTrustList(signTrustList(1, now, [], root.privateKey, [releaseSignerToWire({ name: 'chot releases', publicKey: releaseKey.publicKey, validFrom: now - 86400, validUntil: now + 86400 })]), root.publicKey);

// a real bundle of 2.0.0: its release.json, an entry point, and 400 KB that does not compress (the cut falls mid-file)
const bundle = packTarGz([
  { name: 'release.json', data: Buffer.from(JSON.stringify({ format: 1, version: '2.0.0' })) },
  { name: 'dist/scripts/chot.js', data: Buffer.from('console.log("2.0.0")') },
  { name: 'dist/blob.bin', data: randomBytes(400_000) },
]);
const sha = new Uint8Array(createHash('sha256').update(bundle).digest());
const manifest = (key = releaseKey.privateKey, over: { sha256?: Uint8Array; size?: number } = {}) =>
  signReleaseManifest({ version: '2.0.0', arch: 'any', size: bundle.length, sha256: sha, createdAt: now, deps: 'shared', ...over }, key);
let seq = 0;
const rollout = (m: Uint8Array, to: { basisPoints?: number; kiosks?: string[] } = { basisPoints: 10_000 }, key = releaseKey.privateKey) =>
  signRollout({ seq: ++seq, state: 'active', manifest: m, basisPoints: to.basisPoints ?? 0, kiosks: to.kiosks ?? [], issuedAt: now }, key);

// the hub's part, served by a real server: what it serves can be swapped, and it can drop the link mid-file
let served: Buffer = bundle;
let cutAt: number | null = null;
const requests: Array<string | undefined> = [];
let bytesSent = 0;
const server: Server = createServer((req, res) => {
  requests.push(req.headers.range);
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const body = served.subarray(start);
  res.writeHead(m ? 206 : 200, { 'Content-Length': String(body.length), ...(m ? { 'Content-Range': `bytes ${start}-${served.length - 1}/${served.length}` } : {}) });
  if (cutAt !== null && start < cutAt) {
    const part = body.subarray(0, cutAt - start);
    bytesSent += part.length;
    res.write(part, () => setTimeout(() => res.socket?.destroy(), 50)); // the link drops
    cutAt = null;
    return;
  }
  bytesSent += body.length;
  res.end(body);
});
let web = '';

interface Kiosk { u: Updater; log: string[]; restarted: number; state: string; opt: string }
function kiosk(id: string, o: { fromRelease?: boolean; state?: string } = {}): Kiosk {
  const opt = join(dir, id, 'opt');
  mkdirSync(join(opt, 'releases', '1.0.0'), { recursive: true });
  const k: Kiosk = { log: [], restarted: 0, state: o.state ?? join(dir, id, 'state'), opt, u: null as unknown as Updater };
  k.u = new Updater({
    kioskId: id, stateDir: k.state, timeZone: 'Asia/Ho_Chi_Minh', trust: () => trust, log: (l) => k.log.push(l), changed: () => {}, restart: () => { k.restarted++; },
    running: { version: '1.0.0', fromRelease: o.fromRelease ?? true, root: join(opt, 'releases', '1.0.0') },
    settings: { dir: opt, web, idleSeconds: 3600, rateKBps: 100_000, confirmSeconds: 1 },
  });
  k.u.start();
  return k;
}
const state = (k: Kiosk): UpdateStatus => k.u.status();

test.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  web = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

test('a changed manifest, a release key the root did not authorise, a rollout by a stranger: refused with the reason, nothing fetched', async () => {
  const m = manifest();
  const changed = new Uint8Array(m);
  changed[Buffer.from(changed).indexOf(Buffer.from(sha))] ^= 1;
  const cases: Array<[Uint8Array, RegExp]> = [
    [rollout(changed), /release signature does not verify with release key [0-9a-f]{16} \(chot releases\)/],
    [rollout(manifest(stranger.privateKey)), /release signed by key [0-9a-f]{16}, which the trust list \(v1\) does not authorise to sign releases/],
    [rollout(m, undefined, stranger.privateKey), /rollout signed by key [0-9a-f]{16}, which the trust list \(v1\) does not authorise/],
  ];
  for (const [bytes, reason] of cases) {
    const k = kiosk(`refuse-${cases.findIndex((c) => c[0] === bytes)}`);
    k.u.rollout(bytes);
    assert.is(state(k).state, 'refused');
    assert.match(state(k).reason!, reason);
    assert.match(k.log.join('\n'), /update: refused: /);
    k.u.stop();
  }
  assert.is(requests.length, 0, 'nothing downloaded');
});

test('a bundle whose bytes differ from the signed SHA-256 is refused, not installed, and not resumed', async () => {
  served = Buffer.from(bundle);
  served[served.length - 100] ^= 0xff; // same size, one byte changed on the hub
  const k = kiosk('checksum');
  k.u.rollout(rollout(manifest()));
  await waitFor('the check to fail', () => state(k).state === 'failed', 10_000);
  assert.match(state(k).reason!, /^the bundle's SHA-256 is [0-9a-f]{64}, the release was signed for [0-9a-f]{64}: refused/);
  assert.not.ok(existsSync(join(k.opt, 'releases', '2.0.0')), 'not unpacked');
  assert.equal(readdirSync(join(k.state, 'update')).filter((f) => f.endsWith('.part')), [], 'the wrong bytes are not kept to resume from');
  assert.is(k.restarted, 0);
  k.u.stop();
  served = bundle;
  // and a bundle longer than signed is cut off at the signed size
  served = Buffer.concat([bundle, Buffer.alloc(10)]);
  const k2 = kiosk('longer');
  k2.u.rollout(rollout(manifest()));
  await waitFor('the size check', () => state(k2).state === 'failed', 10_000);
  assert.match(state(k2).reason!, /longer than the \d+ bytes the release was signed with/);
  k2.u.stop();
  served = bundle;
});

test('a download cut halfway resumes from the bytes on disk, across a restart of the kiosk, and the release is unpacked', async () => {
  requests.length = 0;
  bytesSent = 0;
  const half = Math.floor(bundle.length / 2);
  cutAt = half;
  const k = kiosk('resume');
  k.u.rollout(rollout(manifest()));
  const part = join(k.state, 'update', `${Buffer.from(sha).toString('hex')}.part`);
  await waitFor('the link to drop halfway', () => k.log.some((l) => /link dropped at byte \d+ of \d+/.test(l)), 10_000);
  assert.is(statSync(part).size, half, 'the first half is on disk');
  k.u.stop(); // the kiosk restarts (a reboot) before its retry
  await sleep(50);
  // a new agent on the same state folder: it takes the held rollout and asks for the rest
  const again = new Updater({
    kioskId: 'resume', stateDir: k.state, timeZone: 'Asia/Ho_Chi_Minh', trust: () => trust, log: (l) => k.log.push(l), changed: () => {}, restart: () => { k.restarted++; },
    running: { version: '1.0.0', fromRelease: true, root: join(k.opt, 'releases', '1.0.0') },
    settings: { dir: k.opt, web, idleSeconds: 0.3, rateKBps: 100_000, confirmSeconds: 1 },
  });
  again.start();
  await waitFor('the release unpacked and the switch', () => k.restarted === 1, 10_000);
  assert.equal(requests, [undefined, `bytes=${half}-`]);
  assert.is(bytesSent, bundle.length, 'no byte fetched twice');
  assert.is(readFileSync(join(k.opt, 'releases', '2.0.0', 'dist', 'scripts', 'chot.js'), 'utf8'), 'console.log("2.0.0")');
  assert.is(readlinkSync(join(k.opt, 'current')), 'releases/2.0.0');
  const j = readSwitch(k.state)!;
  assert.equal([j.format, j.phase, j.from, j.to], [1, 'switching', '1.0.0', '2.0.0']);
  assert.not.ok(existsSync(part));
  again.stop();
});

test('a paused rollout stops a download; a rollout rolled back by the operator takes a kiosk on it back to the version before', async () => {
  const m = manifest();
  const k = kiosk('pause');
  // a slow download, paused halfway through
  (k.u as unknown as { o: { settings: { rateKBps: number } } }).o.settings.rateKBps = 200;
  k.u.rollout(signRollout({ seq: 100, state: 'active', manifest: m, basisPoints: 10_000, kiosks: [], issuedAt: now }, releaseKey.privateKey));
  await waitFor('the download under way', () => state(k).state === 'downloading' && (state(k).progress ?? 0) > 0, 10_000);
  k.u.rollout(signRollout({ seq: 101, state: 'paused', manifest: m, basisPoints: 10_000, kiosks: [], issuedAt: now }, releaseKey.privateKey));
  assert.equal(state(k), { state: 'idle', target: '2.0.0', seq: 101, reason: 'rollout paused' });
  const part = join(k.state, 'update', `${Buffer.from(sha).toString('hex')}.part`);
  const size = statSync(part).size;
  await sleep(600);
  assert.is(statSync(part).size, size, 'no more bytes while paused');
  assert.ok(size < bundle.length);
  k.u.stop();
  // a kiosk that runs 2.0.0 (switched from 1.0.0) is told to roll 2.0.0 back: it goes back when the lane is idle
  const opt = join(dir, 'back', 'opt'), st = join(dir, 'back', 'state');
  for (const v of ['1.0.0', '2.0.0']) mkdirSync(join(opt, 'releases', v), { recursive: true });
  symlinkSync('releases/2.0.0', join(opt, 'current'));
  symlinkSync('releases/2.0.0', join(opt, 'good'));
  writeSwitch(st, { format: 1, phase: 'confirmed', from: '1.0.0', to: '2.0.0', at: Date.now(), starts: 1, failures: [] });
  let restarted = 0;
  const u = new Updater({
    kioskId: 'back', stateDir: st, timeZone: 'Asia/Ho_Chi_Minh', trust: () => trust, log: () => {}, changed: () => {}, restart: () => { restarted++; },
    running: { version: '2.0.0', fromRelease: true, root: join(opt, 'releases', '2.0.0') },
    settings: { dir: opt, web, idleSeconds: 0.3, rateKBps: 100_000, confirmSeconds: 1 },
  });
  u.start();
  u.rollout(signRollout({ seq: 102, state: 'rollback', manifest: m, basisPoints: 10_000, kiosks: [], issuedAt: now }, releaseKey.privateKey));
  assert.is(u.status().state, 'waiting-idle');
  await waitFor('the switch back', () => restarted === 1, 5000);
  assert.is(readlinkSync(join(opt, 'current')), 'releases/1.0.0');
  assert.equal([readSwitch(st)!.from, readSwitch(st)!.to, readSwitch(st)!.phase], ['2.0.0', '1.0.0', 'switching']);
  u.stop();
});

test('a 10 % rollout is taken by about 10 % of a simulated fleet of 200 kiosks, exactly those the hub counts', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `hcm-q1-${String(i).padStart(3, '0')}`);
  const bytes = rollout(manifest(), { basisPoints: 1000 });
  // kiosks not running from a release folder refuse once they find they are in the rollout: that says who is in it
  const fleet = ids.map((id) => { const k = kiosk(id, { fromRelease: false }); k.u.rollout(bytes); return { id, k }; });
  const took = fleet.filter(({ k }) => state(k).state === 'refused').map(({ id }) => id);
  const idle = fleet.filter(({ k }) => state(k).state === 'idle').map(({ id }) => id);
  assert.is(took.length + idle.length, 200);
  assert.ok(took.length >= 12 && took.length <= 30, `10 % of 200: ${took.length}`);
  assert.equal(took, ids.filter((id) => inRollout(id, { basisPoints: 1000, kiosks: [] }, '2.0.0')));
  // the hub's count, from the same published rollout
  const dataDir = join(dir, 'hub');
  mkdirSync(join(dataDir, 'releases'), { recursive: true });
  writeFileSync(join(dataDir, 'releases', 'rollout.cose'), bytes);
  const store = await openStore({ kind: 'sqlite', path: join(dataDir, 'hub.db'), timeZone: 'Asia/Ho_Chi_Minh' }, () => {});
  try {
    const hub = new Releases(dataDir, store, () => {});
    let published = 0;
    await hub.poll(() => { published++; });
    assert.is(published, 1);
    const v = hub.view(ids.map((id) => ({ id, revoked: false, version: '1.0.0' })));
    assert.is(v.progress.targeted, took.length);
    assert.is(v.rollout!.share, '10%');
    assert.equal(v.versions, { '1.0.0': 200 });
  } finally {
    await store.close();
  }
  for (const { k } of fleet) k.u.stop();
});

test('guard: systemd reasons in words; a version that takes the machine down is rolled back by counting starts; a newer state file is left alone', () => {
  assert.is(stopReason({ SERVICE_RESULT: 'timeout', EXIT_CODE: 'killed', EXIT_STATUS: 'TERM' }), 'did not report READY to systemd within its start timeout');
  assert.is(stopReason({ SERVICE_RESULT: 'watchdog' }), 'stopped answering the systemd watchdog');
  assert.is(stopReason({ SERVICE_RESULT: 'signal', EXIT_STATUS: 'SEGV' }), 'was killed by signal SEGV');
  assert.is(stopReason({ SERVICE_RESULT: 'exit-code', EXIT_STATUS: '70' }), 'exited with status 70');
  const opt = join(dir, 'guard', 'opt'), st = join(dir, 'guard', 'state');
  for (const v of ['1.0.0', '2.0.0']) mkdirSync(join(opt, 'releases', v), { recursive: true });
  symlinkSync('releases/2.0.0', join(opt, 'current'));
  symlinkSync('releases/1.0.0', join(opt, 'good'));
  writeSwitch(st, { format: 1, phase: 'switching', from: '1.0.0', to: '2.0.0', at: Date.now(), starts: 0, failures: [] });
  const o = { stateDir: st, dir: opt, maxFailures: 3 };
  // a start that hangs without READY: systemd's timeout, then power cuts with no stop seen
  assert.is(guardStart(o).action, 'tried');
  assert.is(guardStop({ ...o, env: { SERVICE_RESULT: 'timeout', EXIT_CODE: 'killed', EXIT_STATUS: 'TERM' } }).action, 'counted');
  assert.is(guardStart(o).action, 'tried');
  assert.is(guardStart(o).action, 'tried');
  assert.is(guardStart(o).action, 'tried');
  const r = guardStart(o);
  assert.is(r.action, 'rolled-back');
  assert.match(r.line, /version 2\.0\.0 did not report READY to systemd within its start timeout \(1 failures, 4 starts\); rolled back to 1\.0\.0/);
  assert.is(readlinkSync(join(opt, 'current')), 'releases/1.0.0');
  assert.is(readSwitch(st)!.phase, 'rolled-back');
  // a roll-back cut short by a power cut (journal written, link not moved) is finished at the next start
  rmSync(join(opt, 'current'));
  symlinkSync('releases/2.0.0', join(opt, 'current'));
  assert.is(guardStart(o).action, 'repaired');
  assert.is(readlinkSync(join(opt, 'current')), 'releases/1.0.0');
  // a confirmed version's stops are not failures
  writeSwitch(st, { format: 1, phase: 'confirmed', from: '1.0.0', to: '2.0.0', at: Date.now(), starts: 1, failures: [] });
  assert.is(guardStop({ ...o, env: { SERVICE_RESULT: 'exit-code', EXIT_STATUS: '1' } }).action, 'none');
  // a switch journal written by a newer version: not read as ours
  writeFileSync(join(st, 'update', 'switch.json'), JSON.stringify({ format: 2, phase: 'something-new' }));
  assert.throws(() => guardStart(o), /is format 2, newer than this version reads \(1\): left as it is/);
});

test.after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

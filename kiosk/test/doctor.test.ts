// chot doctor against real parts: a running hub, a pty scanner, a kiosk that fetched its lists. The doctor and
// the kiosk must never disagree about the clock or the lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctor, type Check } from '../src/doctor.js';
import { issuerEntryToWire, signTrustList } from '../../protocol/src/index.js';
import {
  CHOT, addDevice, chot, freePort, kioskConfig, killAll, makeWorld, pty, readTimeline, sleep, start, startHub, stop, waitFor,
  type Hub, type Pty,
} from './rig.js';

const w = makeWorld('doctor');
const password = addDevice(w, 'booth-doc');
let hub: Hub;
let port: Pty;
let cfg: ReturnType<typeof kioskConfig>;
let screenPort = 0;
const ntp = join(w.dir, 'ntp-synchronized');
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]));
const runningState = async () => ((await (await fetch(`http://127.0.0.1:${screenPort}/state`)).json()) as { state: { clock: { synced: boolean; source: string } } }).state;

test.before(async () => {
  try {
    hub = await startHub(w);
    port = await pty(w.dir);
    screenPort = await freePort();
    cfg = kioskConfig(w, { id: 'booth-doc', hubPort: hub.port, password, scanner: port.scanner, extra: { screen: { host: '127.0.0.1', port: screenPort } } });
    writeFileSync(ntp, '');
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

test('a healthy kiosk: every check passes (warnings only for the simulated GPIO and the missing camera), exit 0', async () => {
  const kiosk = start(['kiosk', 'run', '--config', cfg.path], 'kiosk');
  await waitFor('the lists', () => kiosk.log().includes('now holding status list version 1'), 10_000);
  const r = chot(['doctor', '--config', cfg.path]);
  assert.is(r.code, 0, r.out);
  for (const name of ['config', 'scanner', 'hub', 'clock', 'lists', 'disk', 'journal']) assert.match(r.out, new RegExp(`^✓ ${name}`, 'm'));
  assert.match(r.out, /^✓ hub +mqtt:\/\/127\.0\.0\.1:\d+ reachable, credentials of booth-doc accepted/m);
  assert.match(r.out, /^! gpio +simulated driver/m);
  assert.match(r.out, /^✓ lists +trust v1 \(1 issuer key, 1 in force today\), status v1 \(0 F0\/F1 holders, 0 revoked passes\); the older arrived 0\.0 h ago/m);
  assert.match(r.out, /^✓ clock +synchronised \(.*ntp-synchronized exists; the running kiosk booth-doc says so\)/m);
  await sleep(500);
  assert.not.ok(/link .* lost/.test(kiosk.log()), 'the doctor did not knock the running kiosk off the hub');
  await stop(kiosk);
});

test('the clock: synchronised by the hub\'s time in the running kiosk, and the doctor says the same', async () => {
  unlinkSync(ntp);
  const kiosk = start(['kiosk', 'run', '--config', cfg.path], 'kiosk');
  try {
    await waitFor('the kiosk screen', () => kiosk.log().includes('screen: officer screen on'), 10_000);
    await waitFor('the hub link', () => kiosk.log().includes('uplink: connected'), 10_000);
    // before any acknowledgement neither counts the clock as synchronised
    assert.is((await runningState()).clock.synced, false);
    let d = byName(await doctor(cfg.path));
    assert.is(d.clock.ok, false, d.clock.detail);
    assert.match(d.clock.detail, /not synchronised \(the running kiosk booth-doc says so\): no NTP and no acknowledgement from the hub yet/);
    // a scan goes to the hub; its acknowledgement carries the hub's time, within tolerance on one machine
    await port.write(`${w.pass().text}\r`);
    for (let i = 0; i < 100 && !(await runningState()).clock.synced; i++) await sleep(100);
    assert.is((await runningState()).clock.synced, true, 'the kiosk counts the hub\'s time');
    d = byName(await doctor(cfg.path));
    assert.is(d.clock.ok, true, d.clock.detail);
    assert.match(d.clock.detail, /^synchronised with the hub's time \(offset -?\d+ ms; the running kiosk booth-doc says so\)$/);
  } finally {
    await stop(kiosk);
  }
  // no kiosk to ask: the file alone, as a kiosk starting now would decide
  const d = byName(await doctor(cfg.path));
  assert.is(d.clock.ok, false);
  assert.match(d.clock.detail, /no kiosk running here to ask\): .*ntp-synchronized is missing/);
  writeFileSync(ntp, '');
});

test('lists: a trust list and no status list is what the kiosk holds, and a valid pass is green there: not "every pass is red"', async () => {
  const stateDir = join(w.dir, 'kiosk-booth-nostatus');
  mkdirSync(stateDir);
  copyFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'), join(stateDir, 'trust.cose'));
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify({ trust: { version: 1, receivedAt: Date.now() } }));
  const p = kioskConfig(w, { id: 'booth-nostatus', scanner: port.scanner }).path;
  const lists = byName(await doctor(p)).lists;
  assert.is(lists.ok, false);
  assert.is(lists.detail, 'trust v1 (1 issuer key, 1 in force today), no status list: passes are checked without revocations or F0/F1 holders, and every verdict carries the "no lists" warning');
  assert.not.match(lists.detail, /every pass is red/);
  // the kiosk itself, offline, on the same folder: green
  const kiosk = start(['kiosk', 'run', '--config', p], 'kiosk-nostatus');
  try {
    await waitFor('the kiosk', () => kiosk.log().includes('ready'), 10_000);
    await port.write(`${w.pass().text}\r`);
    const timeline = join(w.dir, 'timeline-booth-nostatus.jsonl');
    await waitFor('a green', () => readTimeline(timeline).some((e) => e.name === 'green' && e.on), 5000);
  } finally { await stop(kiosk); }
  // no lists at all: every pass is red, and the doctor says so
  rmSync(join(stateDir, 'trust.cose'));
  const none = byName(await doctor(p)).lists;
  assert.match(none.detail, /^no trust list, no status list: every pass is red \(unknown-key\)$/);
  // a trust list whose only key is out of its dates: passes issued today are red, the doctor says why
  const t = Math.floor(Date.now() / 1000);
  writeFileSync(join(stateDir, 'trust.cose'), signTrustList(2, t, [issuerEntryToWire({
    issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: w.issuer.publicKey, validFrom: t - 2 * 365 * 86400, validUntil: t - 365 * 86400, categories: ['resident'], areas: ['79'],
  })], w.root.privateKey));
  const old = byName(await doctor(p)).lists;
  assert.match(old.detail, /^trust v2 \(1 issuer key, 0 in force today\), no status list: no issuer key is in force today, so passes issued now are red \(key-not-valid\)$/);
  rmSync(stateDir, { recursive: true });
  const missing = byName(await doctor(p)).lists;
  assert.match(missing.detail, /no state folder .*kiosk-booth-nostatus: the kiosk has not run yet/);
});

test('a state folder this user cannot read: the doctor says so and how to run it, instead of "no lists"', async () => {
  // root reads everything: the doctor runs as nobody, on a copy of the world it may read except the state folder
  const open = mkdtempSync(join(tmpdir(), 'chot-doctor-perm-'));
  try {
    chmodSync(open, 0o755);
    const state = join(open, 'state');
    mkdirSync(state, { mode: 0o750 });
    copyFileSync(w.rootPub, join(open, 'root.pub.pem'));
    const c = JSON.parse(readFileSync(cfg.path, 'utf8'));
    Object.assign(c, { stateDir: state, rootKey: join(open, 'root.pub.pem'), hub: {} });
    c.clock.syncedFile = join(open, 'no-ntp');
    c.screen.port = await freePort();
    writeFileSync(join(open, 'kiosk.json'), JSON.stringify(c));
    chmodSync(join(open, 'kiosk.json'), 0o644);
    const asOther = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath] : [process.execPath];
    if (process.getuid?.() !== 0) chmodSync(state, 0o000);
    const r = spawnSync(asOther[0], [...asOther.slice(1), CHOT, 'doctor', '--config', join(open, 'kiosk.json'), '--json'], { encoding: 'utf8' });
    const d = byName(JSON.parse(r.stdout));
    assert.is(d.lists.ok, false);
    assert.match(d.lists.detail, /state cannot be read by \S+: the lists this kiosk holds are unknown here/);
    assert.match(d.lists.fix!, /sudo -u chot/);
    assert.match(d.journal.detail, /cannot be read by/);
  } finally {
    rmSync(open, { recursive: true, force: true });
  }
});

test('what is wrong, one line each, with the fix; --json for machines; exit 1', async () => {
  const bad = JSON.parse(readFileSync(cfg.path, 'utf8'));
  bad.hub.password = 'wrong';
  bad.scanner.path = join(w.dir, 'no-such-tty');
  const badPath = join(w.dir, 'bad.json');
  writeFileSync(badPath, JSON.stringify(bad));
  unlinkSync(ntp);
  const r = chot(['doctor', '--config', badPath, '--json']);
  assert.is(r.code, 1);
  const by = byName(JSON.parse(r.out));
  assert.is(by.hub.ok, false);
  assert.match(by.hub.detail, /refused the credentials of booth-doc/);
  assert.match(by.hub.fix!, /chot device add/);
  assert.is(by.scanner.ok, false);
  assert.match(by.scanner.fix!, /USB-COM mode/);
  assert.is(by.clock.ok, false);
  assert.match(by.clock.fix!, /timedatectl set-ntp true/);
  writeFileSync(ntp, '');
});

test('no config: every check that needs none still runs, and the config check says how to make it', async () => {
  const dev = mkdtempSync(join(tmpdir(), 'chot-dev-'));
  try {
    writeFileSync(join(dev, 'ttyACM0'), '');
    const checks = await doctor(join(w.dir, 'missing.json'), { devDir: dev });
    assert.equal(checks.map((c) => c.name), ['config', 'gpio', 'scanner', 'camera', 'hub', 'clock', 'lists', 'disk', 'journal']);
    const d = byName(checks);
    assert.is(d.config.ok, false);
    assert.match(d.config.detail, /cannot read the config .*missing\.json: ENOENT; the checks below use the kiosk's defaults/);
    assert.match(d.config.fix!, /scripts\/provision-kiosk\.sh --id ID --area CODE .* writes .*missing\.json; or write it by hand from the sample in kiosk\/README\.md/);
    assert.match(d.scanner.detail, /not configured; plugged in: .*ttyACM0 \(serial\)/);
    assert.match(d.hub.detail, /^not checked: the hub's address and this kiosk's password are in the config/);
    assert.match(d.disk.detail, /GB free for \/var\/lib\/chot/);
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
  const r = chot(['doctor', '--config', join(w.dir, 'missing.json')]);
  assert.is(r.code, 1);
  assert.match(r.out, /^✗ config +cannot read the config .*missing\.json: ENOENT/m);
  assert.match(r.out, /^ +fix: make it: sudo scripts\/provision-kiosk\.sh/m);
  for (const name of ['gpio', 'scanner', 'camera', 'hub', 'clock', 'lists', 'disk', 'journal']) assert.match(r.out, new RegExp(`^[✓!✗] ${name} `, 'm'));
});

test('gpio: the onoff driver reports the header chip and its numbering base (a Pi 5 tree)', async () => {
  const sysfs = mkdtempSync(join(tmpdir(), 'chot-sysfs-'));
  try {
    mkdirSync(join(sysfs, 'gpiochip571'));
    for (const [f, v] of [['label', 'pinctrl-rp1'], ['base', '571'], ['ngpio', '54']]) writeFileSync(join(sysfs, 'gpiochip571', f), `${v}\n`);
    const c = JSON.parse(readFileSync(cfg.path, 'utf8'));
    c.gpio.driver = 'onoff';
    const p = join(w.dir, 'onoff.json');
    writeFileSync(p, JSON.stringify(c));
    const checks = await doctor(p, { sysfs });
    const g = checks.find((k) => k.name === 'gpio')!;
    assert.is(g.ok, true, g.detail);
    assert.match(g.detail, /pinctrl-rp1, numbering base 571: BCM 22 \(relay\) is gpio593/);
    const none = await doctor(p, { sysfs: join(tmpdir(), 'no-sysfs-here') });
    assert.is(none.find((k) => k.name === 'gpio')!.ok, false);
  } finally {
    rmSync(sysfs, { recursive: true, force: true });
  }
});

test.after(async () => {
  await stop(hub?.proc); await port?.close(); killAll();
  rmSync(w.dir, { recursive: true, force: true });
});
test.run();

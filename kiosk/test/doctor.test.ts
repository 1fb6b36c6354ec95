// chot doctor against real parts: a running hub, a pty scanner, a kiosk that fetched its lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctor } from '../src/doctor.js';
import { addDevice, chot, kioskConfig, killAll, makeWorld, pty, sleep, start, startHub, stop, waitFor, type Hub, type Pty } from './rig.js';

const w = makeWorld('doctor');
const password = addDevice(w, 'booth-doc');
let hub: Hub;
let port: Pty;
let cfg: ReturnType<typeof kioskConfig>;

test.before(async () => {
  try {
    hub = await startHub(w);
    port = await pty(w.dir);
    cfg = kioskConfig(w, { id: 'booth-doc', hubPort: hub.port, password, scanner: port.scanner });
    writeFileSync(join(w.dir, 'ntp-synchronized'), '');
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
  await sleep(500);
  assert.not.ok(/link .* lost/.test(kiosk.log()), 'the doctor did not knock the running kiosk off the hub');
  await stop(kiosk);
});

test('what is wrong, one line each, with the fix; --json for machines; exit 1', async () => {
  const bad = JSON.parse(readFileSync(cfg.path, 'utf8'));
  bad.hub.password = 'wrong';
  bad.scanner.path = join(w.dir, 'no-such-tty');
  const badPath = join(w.dir, 'bad.json');
  writeFileSync(badPath, JSON.stringify(bad));
  unlinkSync(join(w.dir, 'ntp-synchronized'));
  const r = chot(['doctor', '--config', badPath, '--json']);
  assert.is(r.code, 1);
  const checks = JSON.parse(r.out) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
  const by = Object.fromEntries(checks.map((c) => [c.name, c]));
  assert.is(by.hub.ok, false);
  assert.match(by.hub.detail, /refused the credentials of booth-doc/);
  assert.match(by.hub.fix!, /chot device add/);
  assert.is(by.scanner.ok, false);
  assert.match(by.scanner.fix!, /USB-COM mode/);
  assert.is(by.clock.ok, false);
  assert.match(by.clock.fix!, /timedatectl set-ntp true/);
  writeFileSync(join(w.dir, 'ntp-synchronized'), '');
  const broken = chot(['doctor', '--config', join(w.dir, 'missing.json')]);
  assert.is(broken.code, 1);
  assert.match(broken.out, /^✗ config +cannot read the config .*missing\.json: ENOENT/m);
});

test('gpio: the onoff driver reports the header chip and its numbering base (a Pi 5 tree)', async () => {
  const sysfs = mkdtempSync(join(tmpdir(), 'chot-sysfs-'));
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
});

test.after(async () => { await stop(hub?.proc); await port?.close(); killAll(); });
test.run();

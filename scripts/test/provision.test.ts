// Provisioning a Pi, tested by running the scripts into a temporary root: the files, users, groups and units
// they create, that a second run changes nothing, --dry-run, and refusals of an unsupported OS, board or architecture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from '../../kiosk/src/config.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const script = (name: string) => join(REPO, 'scripts', name);

function bareRoot(id = 'debian', codename = 'trixie', model: string | null = 'Raspberry Pi 5 Model B Rev 1.0'): string {
  const root = mkdtempSync(join(tmpdir(), 'chot-root-'));
  roots.push(root);
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'os-release'), `PRETTY_NAME="test"\nID=${id}\nVERSION_CODENAME=${codename}\n`);
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:pi\nvideo:x:44:pi\npi:x:1000:\nnogroup:x:65534:\n');
  for (const f of ['shadow', 'gshadow']) { writeFileSync(join(root, 'etc', f), ''); chmodSync(join(root, 'etc', f), 0o640); }
  // the device tree's model string ends in a NUL byte
  if (model) { mkdirSync(join(root, 'proc', 'device-tree'), { recursive: true }); writeFileSync(join(root, 'proc', 'device-tree', 'model'), `${model}\0`); }
  return root;
}

const roots: string[] = [];
const keyDir = mkdtempSync(join(tmpdir(), 'chot-key-'));
roots.push(keyDir);
const rootKey = join(keyDir, 'root.pub.pem');
writeFileSync(rootKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
const kioskArgs = (root: string, more: string[] = []) => ['--prefix', root, '--arch', 'arm64', '--no-npm', '--id', 'hcm-q1-001', '--area', '79/26734', '--hub', 'mqtts://hub.example.vn:8883', '--root-key', rootKey, ...more];
const run = (name: string, args: string[]) => spawnSync('bash', [script(name), ...args], { encoding: 'utf8' });
const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');

test('shellcheck: the provisioning scripts and get-corpora.sh are clean', () => {
  const r = spawnSync('shellcheck', ['-x', script('provision-lib.sh'), script('provision-kiosk.sh'), script('provision-hub.sh'), script('officer-screen.sh'), script('get-corpora.sh')], { encoding: 'utf8', cwd: REPO });
  assert.is(r.status, 0, r.stdout);
});

for (const [codename, model] of [['trixie', 'Raspberry Pi 5 Model B Rev 1.0'], ['bookworm', 'Raspberry Pi 4 Model B Rev 1.5']]) {
  test(`a kiosk on ${codename} (${model}): user and groups, the app, a valid config, Node.js 24, time zone and time, the officer screen, the unit; a second run changes nothing`, () => {
    const root = bareRoot('debian', codename, model);
    // the desktop user's own autostart and wayfire.ini already hold lines of theirs, and a blanking line
    mkdirSync(join(root, 'home', 'pi', '.config', 'labwc'), { recursive: true });
    writeFileSync(join(root, 'home', 'pi', '.config', 'labwc', 'autostart'), "kanshi &\nswayidle -w timeout 600 'wlopm --off \\*' resume 'wlopm --on \\*' &\n");
    writeFileSync(join(root, 'home', 'pi', '.config', 'wayfire.ini'), '[core]\nplugins = autostart\n\n[idle]\ndpms_timeout=600\n');
    const first = run('provision-kiosk.sh', kioskArgs(root));
    assert.is(first.status, 0, first.stderr + first.stdout);
    assert.match(first.stdout, new RegExp(`^ok: debian ${codename} on arm64$`, 'm'));
    assert.match(first.stdout, /^change: create system user chot$/m);
    assert.match(read(root, 'etc/passwd'), /^chot:x:\d+:\d+::\/var\/lib\/chot:\/usr\/sbin\/nologin$/m);
    const group = read(root, 'etc/group');
    for (const g of ['gpio', 'dialout', 'video', 'input']) assert.match(group, new RegExp(`^${g}:x:\\d+:(.*,)?chot(,|$)`, 'm'));
    assert.ok(existsSync(join(root, 'opt', 'chot', 'dist', 'scripts', 'chot.js')));
    assert.not.ok(readdirSync(join(root, 'opt', 'chot', 'dist', 'kiosk')).includes('test'), 'no tests shipped');
    // the releases layout of software updates: the unit starts `current`, the guard runs from `good`
    for (const l of ['current', 'good']) assert.match(readlinkSync(join(root, 'opt', 'chot', l)), /^releases\/[0-9A-Za-z.+_-]+$/);
    assert.ok(existsSync(join(root, 'opt', 'chot', 'current', 'dist', 'scripts', 'chot.js')));
    assert.is(JSON.parse(read(root, 'opt/chot/current/release.json')).format, 1);
    const cfg = checkConfig(JSON.parse(read(root, 'etc/chot/kiosk.json')), 'kiosk.json');
    assert.is(cfg.kiosk.id, 'hcm-q1-001');
    assert.is(cfg.hub.url, 'mqtts://hub.example.vn:8883');
    // Node.js 24 from NodeSource's repository, signed by the pinned key; Debian's nodejs never preferred
    assert.match(read(root, 'etc/apt/sources.list.d/nodesource.sources'), /^URIs: https:\/\/deb\.nodesource\.com\/node_24\.x$/m);
    assert.match(read(root, 'etc/apt/sources.list.d/nodesource.sources'), /^Signed-By: \/etc\/apt\/keyrings\/nodesource\.gpg$/m);
    assert.match(read(root, 'etc/apt/preferences.d/nodesource'), /^Pin: origin deb\.nodesource\.com$/m);
    assert.is(readlinkSync(join(root, 'etc', 'localtime')), '/usr/share/zoneinfo/Asia/Ho_Chi_Minh');
    assert.is(read(root, 'etc/timezone'), 'Asia/Ho_Chi_Minh\n');
    assert.match(read(root, 'etc/systemd/timesyncd.conf.d/chot.conf'), /^NTP=hub\.example\.vn$/m);
    // the officer screen: Chromium in kiosk mode from the auto-logged-in desktop, blanking off
    assert.ok(existsSync(join(root, 'usr', 'local', 'bin', 'chot-officer-screen')));
    assert.match(read(root, 'etc/lightdm/lightdm.conf'), /^\[Seat:\*\]\nautologin-user = pi$/m);
    const autostart = read(root, 'home/pi/.config/labwc/autostart');
    assert.equal(autostart.split('\n'), ['kanshi &', '/usr/local/bin/chot-officer-screen http://127.0.0.1:8080/ &', ''], 'the user\'s line kept, ours added, swayidle (blanking) gone');
    if (codename === 'bookworm') {
      assert.is(read(root, 'home/pi/.config/wayfire.ini'), '[core]\nplugins = autostart\n\n[idle]\ndpms_timeout = -1\nscreensaver_timeout = -1\n\n[autostart]\nchot = /usr/local/bin/chot-officer-screen http://127.0.0.1:8080/\n');
    } else {
      assert.match(read(root, 'home/pi/.config/wayfire.ini'), /dpms_timeout=600/, 'no wayfire on Trixie: its file is left alone');
    }
    if (process.getuid?.() === 0) assert.is(statSync(join(root, 'home', 'pi', '.config', 'labwc', 'autostart')).uid, 1000, 'the desktop user owns its autostart');
    assert.is(readlinkSync(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants', 'chot-kiosk.service')), '/etc/systemd/system/chot-kiosk.service');
    const second = run('provision-kiosk.sh', kioskArgs(root));
    assert.is(second.status, 0, second.stderr);
    assert.not.match(second.stdout, /^change:/m);
    assert.match(second.stdout, /nothing changed: this machine is already provisioned/);
  });
}

test('a keyboard-mode scanner: a udev rule keeps it from the desktop; an unstable event number is refused', () => {
  const root = bareRoot();
  const path = '/dev/input/by-id/usb-Newland_HR22_Scanner_0001-event-kbd';
  const r = run('provision-kiosk.sh', kioskArgs(root, ['--scanner', path]));
  assert.is(r.status, 0, r.stderr);
  const { scanner } = checkConfig(JSON.parse(read(root, 'etc/chot/kiosk.json')), 'kiosk.json');
  assert.equal([scanner.type, scanner.type === 'hid' && scanner.path], ['hid', path]);
  assert.match(read(root, 'etc/udev/rules.d/70-chot-scanner.rules'),
    /^ACTION=="add\|change", SUBSYSTEM=="input", KERNEL=="event\*", SYMLINK=="input\/by-id\/usb-Newland_HR22_Scanner_0001-event-kbd", ENV\{LIBINPUT_IGNORE_DEVICE\}="1"$/m);
  const serial = bareRoot();
  run('provision-kiosk.sh', kioskArgs(serial));
  assert.not.ok(existsSync(join(serial, 'etc', 'udev', 'rules.d', '70-chot-scanner.rules')), 'no rule for a serial scanner');
  const unstable = run('provision-kiosk.sh', kioskArgs(bareRoot(), ['--scanner', '/dev/input/event3']));
  assert.is(unstable.status, 1);
  assert.match(unstable.stderr, /--scanner \/dev\/input\/event3: give the stable \/dev\/input\/by-id\/…-event-kbd path/);
});

test('--tz sets another time zone; a name that is not one is refused', () => {
  const root = bareRoot();
  assert.is(run('provision-kiosk.sh', kioskArgs(root, ['--tz', 'Asia/Bangkok'])).status, 0);
  assert.is(readlinkSync(join(root, 'etc', 'localtime')), '/usr/share/zoneinfo/Asia/Bangkok');
  const bad = run('provision-kiosk.sh', kioskArgs(bareRoot(), ['--tz', 'Asia/Sai_Gon_City']));
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--tz "Asia\/Sai_Gon_City" is not a time zone/);
});

test('--hub-web pins the hub a scanned enrolment code is redeemed at; the config and the secret are 0640 for the kiosk\'s group only; a bad address is refused', () => {
  const root = bareRoot();
  const secret = join(keyDir, 'kiosk.secret');
  writeFileSync(secret, 'S'.repeat(43));
  const r = run('provision-kiosk.sh', kioskArgs(root, ['--hub-web', 'https://hub.example.vn/', '--password-file', secret]));
  assert.is(r.status, 0, r.stderr + r.stdout);
  const cfg = checkConfig(JSON.parse(read(root, 'etc/chot/kiosk.json')), 'kiosk.json');
  assert.equal([cfg.hub.web, cfg.hub.url, cfg.hub.passwordFile], ['https://hub.example.vn', 'mqtts://hub.example.vn:8883', '/etc/chot/kiosk.secret']);
  const gid = Number(/^chot:x:(\d+):/m.exec(read(root, 'etc/group'))![1]);
  for (const f of ['kiosk.json', 'kiosk.secret']) {
    const st = statSync(join(root, 'etc', 'chot', f));
    assert.equal([(st.mode & 0o777).toString(8), st.gid], ['640', gid], f);
  }
  // a booth enrolled later by scanning: only the pinned hub, no MQTT address yet
  const web = bareRoot();
  assert.is(run('provision-kiosk.sh', kioskArgs(web).filter((a, i, all) => a !== '--hub' && all[i - 1] !== '--hub').concat(['--hub-web', 'http://10.0.0.2:8090'])).status, 0);
  assert.equal(checkConfig(JSON.parse(read(web, 'etc/chot/kiosk.json')), 'kiosk.json').hub.web, 'http://10.0.0.2:8090');
  for (const bad of ['hub.example.vn', 'http://user:pw@hub.example.vn', 'https://hub.example.vn/?x=1', 'ftp://hub.example.vn']) {
    const b = run('provision-kiosk.sh', kioskArgs(bareRoot(), ['--hub-web', bad]));
    assert.is(b.status, 1, bad);
    assert.match(b.stderr, /--hub-web ".*" must be the hub's web address/, bad);
  }
});

test('the officer screen needs a desktop user: refused without one, --desktop-user names it, --no-screen skips it', () => {
  const root = bareRoot();
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  const r = run('provision-kiosk.sh', kioskArgs(root));
  assert.is(r.status, 1);
  assert.match(r.stderr, /no desktop user to show the officer screen: --desktop-user NAME .*, or --no-screen/);
  const headless = run('provision-kiosk.sh', kioskArgs(root, ['--no-screen']));
  assert.is(headless.status, 0, headless.stderr);
  assert.not.ok(existsSync(join(root, 'usr', 'local', 'bin', 'chot-officer-screen')));
  const other = bareRoot();
  writeFileSync(join(other, 'etc', 'passwd'), read(other, 'etc/passwd') + 'booth:x:1001:1001::/home/booth:/bin/bash\n');
  assert.is(run('provision-kiosk.sh', kioskArgs(other, ['--desktop-user', 'booth'])).status, 0);
  assert.match(read(other, 'etc/lightdm/lightdm.conf'), /^autologin-user = booth$/m);
  assert.ok(existsSync(join(other, 'home', 'booth', '.config', 'labwc', 'autostart')));
});

test('--dry-run prints every change and makes none', () => {
  const root = bareRoot();
  const r = run('provision-kiosk.sh', kioskArgs(root, ['--dry-run']));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^would: create system user chot$/m);
  assert.match(r.stdout, /^would: set the time zone to Asia\/Ho_Chi_Minh$/m);
  assert.match(r.stdout, /^would: write \/etc\/apt\/sources\.list\.d\/nodesource\.sources$/m);
  assert.match(r.stdout, /^would: enable chot-kiosk\.service$/m);
  assert.match(r.stdout, /dry run: \d+ change\(s\) would be made/);
  assert.not.match(read(root, 'etc/passwd'), /^chot:/m);
  assert.not.ok(existsSync(join(root, 'opt')));
  assert.not.ok(existsSync(join(root, 'etc', 'localtime')));
  assert.not.ok(existsSync(join(root, 'home', 'pi', '.config')));
});

test('an unsupported OS, release, architecture or board is refused with a clear message', () => {
  const refused = (args: string[], re: RegExp) => {
    const r = run('provision-kiosk.sh', args);
    assert.is(r.status, 1, r.stdout);
    assert.match(r.stderr, re);
  };
  refused(kioskArgs(bareRoot('ubuntu', 'noble')), /unsupported OS "ubuntu": 64-bit Raspberry Pi OS Trixie or Bookworm is required/);
  refused(kioskArgs(bareRoot('raspbian', 'bullseye')), /unsupported release "bullseye": 64-bit Raspberry Pi OS Trixie or Bookworm is required/);
  const armhf = kioskArgs(bareRoot('raspbian', 'bookworm')).map((a) => (a === 'arm64' ? 'armhf' : a));
  refused(armhf, /unsupported architecture "armhf": one of arm64 aarch64 is required \(Node\.js 24 has no 32-bit ARM build: use the 64-bit OS\)/);
  refused(kioskArgs(bareRoot('debian', 'trixie', 'Raspberry Pi 3 Model B Rev 1.2')), /unsupported board "Raspberry Pi 3 Model B Rev 1\.2": a Raspberry Pi 5, 4 or 3B\+ is required/);
  refused(kioskArgs(bareRoot('debian', 'trixie', null)), /cannot read \/proc\/device-tree\/model: a kiosk is a Raspberry Pi 5, 4 or 3B\+/);
  assert.is(run('provision-kiosk.sh', kioskArgs(bareRoot('debian', 'bookworm', 'Raspberry Pi 3 Model B Plus Rev 1.3'))).status, 0, 'a Pi 3B+ on the 64-bit OS');
  refused(['--prefix', bareRoot(), '--root-key', rootKey], /--id is required/);
});

test("NodeSource's key is used only with the pinned fingerprint: another key, or a file of two keys, is not", () => {
  const home = mkdtempSync(join(tmpdir(), 'chot-gpg-'));
  roots.push(home);
  const gpg = (args: string[]) => spawnSync('gpg', ['--batch', '--homedir', home, ...args], { encoding: 'utf8' });
  const keys: string[] = [];
  for (const who of ['a', 'b']) {
    assert.is(gpg(['--passphrase', '', '--quick-gen-key', `${who} <${who}@example.invalid>`, 'ed25519', 'sign', 'never']).status, 0);
    writeFileSync(join(home, `${who}.asc`), gpg(['--armor', '--export', `${who}@example.invalid`]).stdout);
    keys.push(join(home, `${who}.asc`));
  }
  writeFileSync(join(home, 'both.asc'), readFileSync(keys[0], 'utf8') + readFileSync(keys[1], 'utf8'));
  const fpr = (file: string) => spawnSync('bash', ['-c', `. "${script('provision-lib.sh')}"; key_fingerprint "$1" && echo "pinned $NODESOURCE_FPR"`, '_', file], { encoding: 'utf8' });
  const one = fpr(keys[0]);
  assert.is(one.status, 0, one.stderr);
  const [got, pinned] = one.stdout.trim().split('\n');
  assert.match(got, /^[0-9A-F]{40}$/);
  assert.is(pinned, 'pinned 6F71F525282841EEDAF851B42F59B5F99B1BE0B4');
  assert.is.not(got, '6F71F525282841EEDAF851B42F59B5F99B1BE0B4');
  assert.is.not(fpr(join(home, 'both.asc')).status, 0, 'two keys in the file: refused');
});

for (const codename of ['trixie', 'bookworm']) test(`a hub on Debian ${codename}: its own user, a valid config, Node.js 24, the time zone, the unit enabled; idempotent`, () => {
  const root = bareRoot('debian', codename, null);
  const args = ['--prefix', root, '--arch', 'amd64', '--no-npm'];
  const first = run('provision-hub.sh', args);
  assert.is(first.status, 0, first.stderr + first.stdout);
  assert.match(read(root, 'etc/apt/sources.list.d/nodesource.sources'), /node_24\.x/);
  assert.is(readlinkSync(join(root, 'etc', 'localtime')), '/usr/share/zoneinfo/Asia/Ho_Chi_Minh');
  assert.match(readFileSync(join(root, 'etc', 'passwd'), 'utf8'), /^chot-hub:/m);
  assert.equal(JSON.parse(readFileSync(join(root, 'etc', 'chot', 'hub.json'), 'utf8')).dataDir, '/var/lib/chot-hub');
  assert.match(readFileSync(join(root, 'etc', 'chrony', 'conf.d', 'chot.conf'), 'utf8'), /^allow all$/m, 'the hub serves time to the kiosks');
  // an absolute link inside the root: read it, do not follow it onto this machine
  assert.is(readlinkSync(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants', 'chot-hub.service')), '/etc/systemd/system/chot-hub.service');
  assert.match(run('provision-hub.sh', args).stdout, /nothing changed/);
});

test('a hub on anything but Debian 12 or 13 is refused', () => {
  const r = run('provision-hub.sh', ['--prefix', bareRoot('ubuntu', 'noble', null), '--arch', 'amd64', '--no-npm']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /unsupported OS "ubuntu": Debian 13 \(Trixie\) or 12 \(Bookworm\) is required/);
});

test.after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
test.run();

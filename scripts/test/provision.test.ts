// Provisioning a Pi, tested by running the scripts into a temporary root: the files, users, groups and units
// they create, that a second run changes nothing, --dry-run, and refusals of an unsupported OS or architecture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from '../../kiosk/src/config.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const script = (name: string) => join(REPO, 'scripts', name);

function bareRoot(id = 'raspbian', codename = 'bookworm'): string {
  const root = mkdtempSync(join(tmpdir(), 'chot-root-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'os-release'), `PRETTY_NAME="test"\nID=${id}\nVERSION_CODENAME=${codename}\n`);
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:\nvideo:x:44:\nnogroup:x:65534:\n');
  for (const f of ['shadow', 'gshadow']) { writeFileSync(join(root, 'etc', f), ''); chmodSync(join(root, 'etc', f), 0o640); }
  return root;
}

const rootKey = join(mkdtempSync(join(tmpdir(), 'chot-key-')), 'root.pub.pem');
writeFileSync(rootKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
const kioskArgs = (root: string, more: string[] = []) => ['--prefix', root, '--arch', 'arm64', '--no-npm', '--id', 'hcm-q1-001', '--area', '79/26734', '--hub', 'mqtts://hub.example.vn:8883', '--root-key', rootKey, ...more];
const run = (name: string, args: string[]) => spawnSync('bash', [script(name), ...args], { encoding: 'utf8' });

test('shellcheck: the provisioning scripts are clean', () => {
  const r = spawnSync('shellcheck', ['-x', script('provision-lib.sh'), script('provision-kiosk.sh'), script('provision-hub.sh')], { encoding: 'utf8', cwd: REPO });
  assert.is(r.status, 0, r.stdout);
});

test('a kiosk: user and groups, the app, a valid config, time from the hub, the unit enabled; a second run changes nothing', () => {
  const root = bareRoot();
  const first = run('provision-kiosk.sh', kioskArgs(root));
  assert.is(first.status, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /^change: create system user chot$/m);
  const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
  assert.match(passwd, /^chot:x:\d+:\d+::\/var\/lib\/chot:\/usr\/sbin\/nologin$/m);
  const group = readFileSync(join(root, 'etc', 'group'), 'utf8');
  for (const g of ['gpio', 'dialout', 'video', 'input']) assert.match(group, new RegExp(`^${g}:x:\\d+:(.*,)?chot(,|$)`, 'm'));
  assert.ok(existsSync(join(root, 'opt', 'chot', 'dist', 'scripts', 'chot.js')));
  assert.not.ok(readdirSync(join(root, 'opt', 'chot', 'dist', 'kiosk')).includes('test'), 'no tests shipped');
  const cfg = checkConfig(JSON.parse(readFileSync(join(root, 'etc', 'chot', 'kiosk.json'), 'utf8')), 'kiosk.json');
  assert.is(cfg.kiosk.id, 'hcm-q1-001');
  assert.is(cfg.hub.url, 'mqtts://hub.example.vn:8883');
  assert.match(readFileSync(join(root, 'etc', 'systemd', 'timesyncd.conf.d', 'chot.conf'), 'utf8'), /^NTP=hub\.example\.vn$/m);
  assert.is(readlinkSync(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants', 'chot-kiosk.service')), '/etc/systemd/system/chot-kiosk.service');
  const second = run('provision-kiosk.sh', kioskArgs(root));
  assert.is(second.status, 0, second.stderr);
  assert.not.match(second.stdout, /^change:/m);
  assert.match(second.stdout, /nothing changed: this machine is already provisioned/);
});

test('--dry-run prints every change and makes none', () => {
  const root = bareRoot();
  const r = run('provision-kiosk.sh', kioskArgs(root, ['--dry-run']));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^would: create system user chot$/m);
  assert.match(r.stdout, /^would: enable chot-kiosk\.service$/m);
  assert.match(r.stdout, /dry run: \d+ change\(s\) would be made/);
  assert.not.match(readFileSync(join(root, 'etc', 'passwd'), 'utf8'), /^chot:/m);
  assert.not.ok(existsSync(join(root, 'opt')));
});

test('an unsupported OS or architecture is refused with a clear message', () => {
  const ubuntu = run('provision-kiosk.sh', kioskArgs(bareRoot('ubuntu', 'jammy')));
  assert.is(ubuntu.status, 1);
  assert.match(ubuntu.stderr, /unsupported OS "ubuntu": Raspberry Pi OS \(Debian\) Bookworm is required/);
  const bullseye = run('provision-kiosk.sh', kioskArgs(bareRoot('raspbian', 'bullseye')));
  assert.match(bullseye.stderr, /unsupported release "bullseye"/);
  const x86 = run('provision-kiosk.sh', [...kioskArgs(bareRoot()).filter((a) => a !== 'arm64' && a !== '--arch'), '--arch', 'amd64']);
  assert.is(x86.status, 1);
  assert.match(x86.stderr, /unsupported architecture "amd64": one of arm64 armhf aarch64 armv7l is required/);
  const noId = run('provision-kiosk.sh', ['--prefix', bareRoot(), '--root-key', rootKey]);
  assert.match(noId.stderr, /--id is required/);
});

test('a hub: its own user, a valid config, the unit enabled; idempotent', () => {
  const root = bareRoot('debian');
  const args = ['--prefix', root, '--arch', 'amd64', '--no-npm'];
  const first = run('provision-hub.sh', args);
  assert.is(first.status, 0, first.stderr + first.stdout);
  assert.match(readFileSync(join(root, 'etc', 'passwd'), 'utf8'), /^chot-hub:/m);
  assert.equal(JSON.parse(readFileSync(join(root, 'etc', 'chot', 'hub.json'), 'utf8')).dataDir, '/var/lib/chot-hub');
  assert.match(readFileSync(join(root, 'etc', 'chrony', 'conf.d', 'chot.conf'), 'utf8'), /^allow all$/m, 'the hub serves time to the kiosks');
  // an absolute link inside the root: read it, do not follow it onto this machine
  assert.is(readlinkSync(join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants', 'chot-hub.service')), '/etc/systemd/system/chot-hub.service');
  assert.match(run('provision-hub.sh', args).stdout, /nothing changed/);
});

test.run();

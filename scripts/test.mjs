#!/usr/bin/env node
// npm test: runs the whole uvu suite from dist/ (npm's pretest builds it first), after making sure the system
// tools the tests drive are there. As root a missing tool is installed with apt-get; otherwise the run stops
// with the package to install. Nothing is silently skipped: a suite whose external corpus is missing (see
// lib/corpora.ts, scripts/get-corpora.sh) prints one line, repeated at the end, and fails with CI=true.
// `npm test -- protocol` runs only matching files.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  // [command, Debian package]: what the tests drive for real
  ['socat', 'socat'], // a pty pair is a real serial port for the scanner tests
  ['mosquitto_pub', 'mosquitto-clients'], // a second, independent MQTT client against the hub
  ['mosquitto_sub', 'mosquitto-clients'],
  ['openssl', 'openssl'], // a CA and server certificate for the MQTT-over-TLS test
  ['systemd-analyze', 'systemd'], // verifies the service units; systemd-notify speaks the notify protocol
  ['systemd-notify', 'systemd'],
  ['shellcheck', 'shellcheck'], // the provisioning scripts must be shellcheck clean
  ['useradd', 'passwd'], // provisioning into a temporary root
  ['ffmpeg', 'ffmpeg'], // plays a video as if it were the camera
  ['chromium', 'chromium'], // the dashboard test drives Debian's Chromium with playwright-core
  ['/usr/lib/postgresql/*/bin/initdb', 'postgresql'], // the store contract and fault tests start their own PostgreSQL
  ['mosquitto', 'mosquitto'], // the reference broker of bench:hub
];

function have(cmd) {
  if (cmd.startsWith('/')) return spawnSync('sh', ['-c', `ls ${cmd}`], { stdio: 'ignore' }).status === 0;
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = tools.filter(([cmd]) => !have(cmd));
if (missing.length) {
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  if (process.getuid?.() === 0) {
    console.log(`test: installing ${pkgs.join(' ')} (needed by the tests) with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
    if (r.status !== 0) { console.error(`test: apt-get install ${pkgs.join(' ')} failed: install them by hand and run again`); process.exit(1); }
  } else {
    console.error(`test: missing ${missing.map(([c]) => c).join(', ')}: run "sudo apt-get install ${pkgs.join(' ')}" and try again`);
    process.exit(1);
  }
}

// The lint (eslint.config.mjs; the same as npm run lint) on the whole tree before the tests: a finding stops the
// run as a type error does. Not on a filtered run (`npm test -- protocol`), nor with CHOT_SKIP_LINT=1
// (scripts/test-node24.mjs: npm test has just linted the same tree).
if (!process.argv[2] && process.env.CHOT_SKIP_LINT !== '1') {
  const eslint = 'node_modules/eslint/bin/eslint.js';
  if (!existsSync(eslint)) { console.error(`test: ${eslint} is missing: run "npm ci" and try again`); process.exit(1); }
  const t0 = Date.now();
  const lint = spawnSync(process.execPath, [eslint, '.', '--max-warnings', '0'], { stdio: 'inherit' });
  if (lint.status !== 0) { console.error('test: the lint found the problems above (npm run lint shows them again): fix them, or disable the rule for that line with the reason why'); process.exit(1); }
  console.log(`test: lint clean (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

const filter = process.argv[2] ? `.*${process.argv[2]}.*` : '';
const pattern = `(protocol|lib|kiosk|hub|scripts)/test/${filter}.*\\.test\\.js$`;
// CHOT_TEST_DIST: another build folder (each engineer builds into their own dist-NAME)
const child = spawn(process.execPath, ['node_modules/uvu/bin.js', process.env.CHOT_TEST_DIST ?? 'dist', pattern], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => { process.stdout.write(d); out += d.toString(); });
child.on('close', (code) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  // tests whose corpus is missing return without running: not counted as passed, each suite named once more
  const notRun = [...plain.matchAll(/not run \(no corpus\): (.*?\((\d+) tests?\).*)$/gm)];
  const unrun = notRun.reduce((n, m) => n + Number(m[2]), 0);
  console.log(`\ntests: ${passed - unrun} passed, ${total - passed - skipped} failed, ${skipped} skipped${unrun ? `, ${unrun} not run for want of a corpus:` : ''}`);
  for (const m of notRun) console.log(`  not run: ${m[1]}`);
  if (total === 0) { console.error('test: no test ran'); process.exit(1); }
  process.exit(code ?? 1);
});

// Log lines with levels (lib/log.ts), for the kiosk and the hub: journald priorities when stderr is the journal
// (JOURNAL_STREAM names its device and inode), none elsewhere; --log-level drops what is below it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isJournalStream, makeLogger, parseLevel } from '../../lib/log.js';
import { CHOT, freePort, kioskConfig, killAll, makeWorld, waitFor } from './rig.js';

const w = makeWorld('log');

function capture(opts: Parameters<typeof makeLogger>[0] = {}) {
  const out: string[] = [];
  return { out, log: makeLogger({ ...opts, write: (t) => out.push(t) }) };
}

test('levels: each line at its level, those below the chosen one dropped; info by default', () => {
  const { out, log } = capture({ priorities: false });
  log('a scan'); log('link lost', 'warn'); log('disk failing', 'error'); log('same list again', 'debug');
  assert.equal(out, ['a scan\n', 'link lost\n', 'disk failing\n']);
  const warn = capture({ level: 'warn', priorities: false });
  warn.log('a scan'); warn.log('link lost', 'warn'); warn.log('disk failing', 'error');
  assert.equal(warn.out, ['link lost\n', 'disk failing\n']);
  assert.ok(warn.log.enabled('error') && !warn.log.enabled('info'));
  const debug = capture({ level: 'debug', priorities: false });
  debug.log('same list again', 'debug');
  assert.equal(debug.out, ['same list again\n']);
});

test('journald priorities: <3> error, <4> warning, <6> info, <7> debug, and still one line per call', () => {
  const { out, log } = capture({ level: 'debug', priorities: true });
  log('e', 'error'); log('w', 'warn'); log('i'); log('d', 'debug');
  log('forged\n<3>kiosk: enrolled as owned');
  assert.equal(out, ['<3>e\n', '<4>w\n', '<6>i\n', '<7>d\n', '<6>forged\\u000a<3>kiosk: enrolled as owned\n']);
});

test('--log-level takes error, warn, info or debug, and says so for anything else', () => {
  assert.is(parseLevel('warn'), 'warn');
  assert.is(parseLevel(undefined), undefined);
  assert.throws(() => parseLevel('verbose'), /--log-level "verbose" is not one of error, warn, info, debug/);
  const r = spawnSync(process.execPath, [CHOT, 'kiosk', 'run', '--config', '/nonexistent.json', '--log-level', 'loud'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /--log-level "loud" is not one of error, warn, info, debug/);
});

test('JOURNAL_STREAM is believed only while stderr is still that stream', () => {
  const file = join(w.dir, 'stream');
  writeFileSync(file, '');
  const fd = openSync(file, 'a');
  try {
    const s = statSync(file, { bigint: true });
    assert.ok(isJournalStream({ JOURNAL_STREAM: `${s.dev}:${s.ino}` }, fd));
    assert.not.ok(isJournalStream({ JOURNAL_STREAM: `${s.dev}:${s.ino + 1n}` }, fd), 'another stream: stderr was redirected');
    assert.not.ok(isJournalStream({}, fd));
    assert.not.ok(isJournalStream({ JOURNAL_STREAM: 'garbage' }, fd));
  } finally {
    closeSync(fd);
  }
});

/** Runs `chot ARGS` with stderr on a file that JOURNAL_STREAM names, as systemd connects it to journald. */
function underJournal(args: string[], name: string) {
  const file = join(w.dir, `${name}.journal`);
  writeFileSync(file, '');
  const fd = openSync(file, 'a');
  const s = statSync(file, { bigint: true });
  const child = spawn(process.execPath, [CHOT, ...args], { stdio: ['ignore', 'ignore', fd], env: { ...process.env, JOURNAL_STREAM: `${s.dev}:${s.ino}` } });
  closeSync(fd);
  const exited = new Promise((r) => child.on('exit', r));
  return { child, exited, text: () => readFileSync(file, 'utf8') };
}

test('the kiosk under systemd: every line carries its priority; --log-level warn keeps warnings and errors only', async () => {
  // a hub address nobody listens on: the uplink's lost link is a warning
  const k = kioskConfig(w, { id: 'booth-log', hubPort: await freePort(), password: 'x'.repeat(20) });
  const info = underJournal(['kiosk', 'run', '--config', k.path], 'kiosk-info');
  await waitFor('a warning', () => /^<4>uplink: link to .* lost; retrying/m.test(info.text()), 10_000);
  assert.match(info.text(), /^<6>kiosk booth-log: ready/m);
  assert.ok(info.text().split('\n').filter(Boolean).every((l) => /^<[3467]>/.test(l)), info.text());
  info.child.kill('SIGTERM');
  await info.exited;
  const warn = underJournal(['kiosk', 'run', '--config', k.path, '--log-level', 'warn'], 'kiosk-warn');
  await waitFor('a warning', () => /^<4>uplink: link to .* lost/m.test(warn.text()), 10_000);
  warn.child.kill('SIGTERM');
  await warn.exited;
  assert.not.match(warn.text(), /^<6>/m, 'no info lines at --log-level warn');
});

test('the hub under systemd logs through the same logger: its lines carry their priority', async () => {
  const config = join(w.dir, 'hub.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(w.dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } }));
  const hub = underJournal(['hub', 'run', '--config', config], 'hub');
  await waitFor('the hub ready', () => /^<6>hub: ready/m.test(hub.text()), 15_000);
  hub.child.kill('SIGTERM');
  await hub.exited;
  assert.ok(hub.text().split('\n').filter(Boolean).every((l) => /^<[3467]>/.test(l)), hub.text());
});

test.after(() => killAll());
test.run();

// What a stranger on the network or a crafted input must not get from a kiosk (issue 18, the kiosk's side): the
// officer screen answers only to its own names (DNS rebinding), no hub password is copied into the state folder,
// the files the kiosk makes are 0640 in 0750 folders whatever umask started it, and quoted input cannot forge a
// log line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { CHOT, chot, freePort, kioskConfig, killAll, makeWorld, pty, stop, waitFor, type Proc, type Pty } from './rig.js';
import { parseAck, parseKioskConfig } from '../../protocol/src/index.js';
import { oneLine } from '../../lib/log-line.js';

const w = makeWorld('hardening');
const SECRET = 'inline-hub-password-4f7c2a9e';
let kiosk: Proc, port: Pty, screenPort = 0;
let cfg: ReturnType<typeof kioskConfig>;

test.before(async () => {
  port = await pty(w.dir);
  screenPort = await freePort();
  // a hub address nobody listens on: the uplink keeps retrying, which is all this file needs of it
  cfg = kioskConfig(w, { id: 'booth-h', hubPort: await freePort(), password: SECRET, scanner: port.scanner, extra: { screen: { host: '127.0.0.1', port: screenPort } } });
  // started with umask 000, as a careless init script or a shell might: the kiosk must not rely on systemd's
  const child = spawn('/bin/sh', ['-c', `umask 000; exec "${process.execPath}" "${CHOT}" kiosk run --config "${cfg.path}"`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  kiosk = { child, log: () => log, exited: new Promise((r) => child.on('exit', (c) => r(c))) };
  await waitFor('the kiosk and its screen', () => log.includes('officer screen on') && log.includes('scanner: reading'), 15_000);
});

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // an empty host: no Host header at all
    const req = request({ host: '127.0.0.1', port: screenPort, path, ...(host ? { headers: { host } } : { setHost: false }) }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      // an event stream never ends: its first bytes are enough to know it was opened
      if (res.headers['content-type'] === 'text/event-stream') { res.once('data', () => { res.destroy(); resolve({ status: res.statusCode!, body }); }); return; }
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the officer screen answers only to its own names: a page that rebinds its name to 127.0.0.1 gets no names or ID digits', async () => {
  await port.write(`${w.pass().text}\r`);
  for (let i = 0; i < 100 && !JSON.parse((await get('/state', `127.0.0.1:${screenPort}`)).body).scans.length; i++) await new Promise((r) => setTimeout(r, 50));
  for (const host of [`127.0.0.1:${screenPort}`, `localhost:${screenPort}`, `[::1]:${screenPort}`]) {
    const r = await get('/state', host);
    assert.is(r.status, 200, host);
    assert.ok(JSON.parse(r.body).state.kiosk === 'booth-h', host);
  }
  for (const host of [`rebind.attacker.example:${screenPort}`, 'rebind.attacker.example', `127.0.0.1:${screenPort + 1}`, `localhost.attacker.example:${screenPort}`]) {
    for (const path of ['/state', '/events', '/']) {
      const r = await get(path, host);
      assert.is(r.status, 421, `${path} with Host ${JSON.stringify(host)}`);
      assert.match(r.body, new RegExp(`answers only to 127\\.0\\.0\\.1:${screenPort}`));
      assert.not.match(r.body, /booth-h|Phạm|2468/);
    }
  }
  const none = await get('/state', '');
  assert.is(none.status, 400, 'no Host at all: refused by Node itself');
  assert.not.match(none.body, /booth-h|Phạm|2468/);
});

test('the state folder holds no hub password, and the fail-safe still finds its pins there', () => {
  const last = readFileSync(join(cfg.stateDir, 'last-good-config.json'), 'utf8');
  assert.not.ok(last.includes(SECRET), 'the inline password is not copied');
  assert.not.ok('password' in JSON.parse(last).hub);
  for (const f of readdirSync(cfg.stateDir, { recursive: true }) as string[]) {
    const p = join(cfg.stateDir, f);
    if (statSync(p).isFile()) assert.not.ok(readFileSync(p).includes(SECRET), `${f} holds the password`);
  }
  const r = chot(['kiosk', 'failsafe', '--config', join(w.dir, 'gone.json'), '--state-dir', cfg.stateDir]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /pins from .*last-good-config\.json/);
});

test('started with umask 000, the kiosk still makes its files 0640 and its folders 0750', () => {
  const seen: string[] = [];
  const walk = (dir: string) => {
    assert.is((statSync(dir).mode & 0o777).toString(8), '750', dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else { assert.is((statSync(p).mode & 0o777).toString(8), '640', p); seen.push(e.name); }
    }
  };
  walk(cfg.stateDir);
  assert.ok(seen.includes('last-good-config.json') && seen.some((f) => /^seg-\d+\.log$/.test(f)), `the journal and the last good config were checked (${seen.join(', ')})`);
});

test('a payload that is not JSON cannot forge a log line: the parser\'s words are quoted, and every kiosk log line is one line', () => {
  // V8 quotes the start of a payload it cannot parse, line break included
  const forged = 'x\nkiosk booth-h: enrolled as owned (area 01)';
  for (const r of [parseAck(forged), parseKioskConfig(forged)]) {
    assert.not.ok(r.ok);
    if (!r.ok) {
      assert.match(r.error, /not JSON \(".*\\n.*"\)/);
      assert.not.match(r.error, /\n/);
    }
  }
  assert.is(oneLine('uplink: a\nb\r\u001b[2Kc\u2028d'), 'uplink: a\\u000ab\\u000d\\u001b[2Kc\\u2028d');
  // the kiosk's own log, written by the running process: one line per event
  assert.not.match(kiosk.log(), /\r|\u001b/);
});

test.after(async () => {
  await stop(kiosk);
  await port?.close();
  killAll();
  rmSync(w.dir, { recursive: true, force: true });
});
test.run();

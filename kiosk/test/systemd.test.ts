// systemd: the units verify, and the notify protocol against a real unix datagram socket (socat listening on it
// the way systemd does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHOT, kioskConfig, killAll, makeWorld, sleep, waitFor } from './rig.js';

const UNITS = new URL('../../../systemd/', import.meta.url).pathname;

test('systemd-analyze verify accepts both units, and refuses a broken one', () => {
  for (const u of ['chot-kiosk.service', 'chot-hub.service']) {
    const r = spawnSync('systemd-analyze', ['verify', join(UNITS, u)], { encoding: 'utf8' });
    assert.is(r.status, 0, `${u}: ${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'chot-units-'));
  // the template of a scaled-out hub, as systemd instantiates it
  writeFileSync(join(dir, 'chot-hub@1.service'), readFileSync(join(UNITS, 'chot-hub@.service'), 'utf8'));
  const t = spawnSync('systemd-analyze', ['verify', join(dir, 'chot-hub@1.service')], { encoding: 'utf8' });
  assert.is(t.status, 0, `chot-hub@.service: ${t.stderr}`);
  writeFileSync(join(dir, 'chot-broken.service'), readFileSync(join(UNITS, 'chot-kiosk.service'), 'utf8').replace('Type=notify', 'Type=notifyy'));
  const bad = spawnSync('systemd-analyze', ['verify', join(dir, 'chot-broken.service')], { encoding: 'utf8' });
  assert.match(bad.stderr, /Type|notifyy/);
  rmSync(dir, { recursive: true, force: true });
});

test('the units harden the service but keep the scanner, GPIO and camera reachable', () => {
  const k = readFileSync(join(UNITS, 'chot-kiosk.service'), 'utf8');
  for (const line of ['Type=notify', 'Restart=always', 'ProtectSystem=strict', 'NoNewPrivileges=true', 'ProtectHome=true', 'PrivateTmp=true', 'StateDirectory=chot', 'ExecStopPost=/usr/bin/node /opt/chot/good/dist/scripts/chot.js kiosk failsafe', 'ExecStart=/usr/bin/node /opt/chot/current/dist/scripts/chot.js kiosk run', 'ExecStartPre=-/usr/bin/node /opt/chot/good/dist/scripts/chot.js update guard start', 'ReadWritePaths=/opt/chot', 'DeviceAllow=char-ttyACM rw', 'SupplementaryGroups=gpio dialout video input']) {
    assert.ok(k.includes(line), line);
  }
  assert.not.ok(/^PrivateDevices=/m.test(k), 'PrivateDevices would hide the serial port, GPIO and camera');
  assert.match(k, /^WatchdogSec=\d+/m);
  assert.match(k, /^ExecStart=\/usr\/bin\/node /m);
});

test('notify protocol: READY=1 once serving, WATCHDOG=1 pings, STOPPING=1 on SIGTERM', async () => {
  const w = makeWorld('notify');
  const sock = join(w.dir, 'notify.sock');
  const received: string[] = [];
  const listener = spawn('socat', ['-u', `UNIX-RECV:${sock}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'ignore'] });
  listener.stdout.on('data', (d) => received.push(d.toString()));
  await waitFor('the datagram socket', () => { try { return readFileSync(sock) && false; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENXIO' || (e as NodeJS.ErrnoException).code === 'EOPNOTSUPP' || (e as NodeJS.ErrnoException).code === 'EINVAL'; } }, 5000);
  const k = kioskConfig(w, { id: 'booth-sd' });
  const kiosk = spawn(process.execPath, [CHOT, 'kiosk', 'run', '--config', k.path], { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' } });
  try {
    await waitFor('READY=1', () => received.join('').includes('READY=1'), 10_000);
    await waitFor('two watchdog pings', () => (received.join('').match(/WATCHDOG=1/g) ?? []).length >= 2, 5000);
    assert.match(received.join(''), /STATUS=kiosk booth-sd: ready/);
    kiosk.kill('SIGTERM');
    await new Promise((r) => kiosk.on('exit', r));
    await waitFor('STOPPING=1', () => received.join('').includes('STOPPING=1'), 5000);
  } finally {
    kiosk.kill('SIGKILL');
    listener.kill();
  }
  // and without NOTIFY_SOCKET nothing is sent and nothing breaks: every other test runs that way
  await sleep(10);
});

test.after(() => killAll());
test.run();

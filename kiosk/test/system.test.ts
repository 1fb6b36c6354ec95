// The kiosk as it runs in a booth: real processes (chot kiosk run, chot hub run), a real serial port (socat
// pty), a real MQTT broker (the hub's aedes) over loopback. Processes are killed for real.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addDevice, chot, finalPins, killAll, freePort, hubScans, kioskConfig, makeWorld, pty, readTimeline, signalled, sleep, start, startHub, stop, waitFor,
} from './rig.js';

const BURST = 1000;

function assertExactlyOnce(stored: Array<{ id: string }>, sig: string[]): void {
  const ids = stored.map((s) => s.id);
  assert.is(new Set(ids).size, ids.length, `the hub stored ${ids.length - new Set(ids).size} scans twice`);
  const have = new Set(ids);
  const missing = sig.filter((id) => !have.has(id));
  assert.equal(missing, [], `${missing.length} signalled scans never reached the hub`);
  // at most one scan can be journaled and not yet signalled when the kiosk dies
  assert.ok(ids.length <= sig.length + 1, `${ids.length} stored for ${sig.length} signalled`);
}

test(`kill -9 during a burst of ${BURST} scans, restart: every signalled scan is journaled and reaches the hub exactly once`, async () => {
  const w = makeWorld('kill9');
  const password = addDevice(w, 'booth-1');
  const hub = await startHub(w);
  const port = await pty(w.dir);
  const k = kioskConfig(w, { id: 'booth-1', hubPort: hub.port, password, scanner: port.scanner });
  let kiosk = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  await waitFor('the kiosk to hold the trust list', () => kiosk.log().includes('now holding trust list version 1'), 10_000);
  await waitFor('the scanner port open', () => kiosk.log().includes('scanner: reading'), 10_000);
  const passes = Array.from({ length: BURST }, () => w.pass().text);
  // the writer streams at the kiosk's pace (the pty buffer fills), so the kill lands mid-burst
  const writing = (async () => { for (const t of passes) await port.write(`${t}\r`); })();
  await waitFor('300 signals', () => signalled(readTimeline(k.timeline)).length >= 300, 30_000, 5);
  kiosk.child.kill('SIGKILL');
  port.stopWriting(); // the codes already in the pty's buffer are read by the restarted kiosk
  await kiosk.exited;
  await writing;
  const beforeKill = signalled(readTimeline(k.timeline));
  assert.ok(beforeKill.length >= 300 && beforeKill.length < BURST, `killed after ${beforeKill.length} signals`);
  // systemd's ExecStopPost: the gate shut even though the kiosk could not do it itself
  const fs = chot(['kiosk', 'failsafe', '--config', k.path]);
  assert.is(fs.code, 0, fs.err);
  assert.equal(finalPins(readTimeline(k.timeline)).relay, false);
  assert.equal(finalPins(readTimeline(k.timeline)).red, true);

  kiosk = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  let sig: string[] = [];
  const stored = await waitFor('every signalled scan at the hub', () => {
    sig = signalled(readTimeline(k.timeline));
    const s = hubScans(hub.dataDir);
    const have = new Set(s.map((x) => x.id));
    return sig.every((id) => have.has(id)) ? s : undefined;
  }, 30_000, 100);
  await sleep(500); // anything sent twice would land now
  assert.ok(beforeKill.every((id) => sig.includes(id)));
  assertExactlyOnce(hubScans(hub.dataDir), signalled(readTimeline(k.timeline)));
  // each green scan carries where its pass comes from (the issuer VN-79 that signed it), for the hub's movement figures
  const greens = hubScans(hub.dataDir).filter((s) => s.verdict === 'green');
  assert.ok(greens.length && greens.every((s) => s.origin === 'VN-79'), `origins at the hub: ${[...new Set(greens.map((s) => s.origin))].join(', ')}`);
  // every pass was valid; the one code the kill cut in half is read after the restart as a tail without its
  // VN1: prefix, and is rightly red
  const reds = stored.filter((s) => s.verdict !== 'green');
  assert.ok(reds.length <= 1 && reds.every((s) => s.reason === 'unsupported-format' || s.reason === 'malformed'), JSON.stringify(reds));
  await stop(kiosk);
  await stop(hub.proc);
  await port.close();
});

test('broker down during the whole burst, then back: every scan delivered, none twice; the kiosk backs off', async () => {
  const w = makeWorld('outage');
  const password = addDevice(w, 'booth-2');
  const hubPort = await freePort();
  // lists arrive with the first connection; this kiosk has never seen the hub: every verdict is red
  // (unknown-key), which is exactly what an offline kiosk with no trust list must say
  const port = await pty(w.dir);
  const k = kioskConfig(w, { id: 'booth-2', hubPort, password, scanner: port.scanner });
  const kiosk = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  await waitFor('the scanner port open', () => kiosk.log().includes('scanner: reading'), 10_000);
  const n = 400;
  for (let i = 0; i < n; i++) await port.write(`${w.pass().text}\r`);
  await waitFor(`${n} signals while offline`, () => signalled(readTimeline(k.timeline)).length >= n, 30_000);
  await waitFor('a few reconnect attempts', () => (kiosk.log().match(/retrying in/g) ?? []).length >= 3, 10_000);
  const delays = [...kiosk.log().matchAll(/retrying in ([\d.]+) s/g)].map((m) => Number(m[1]));
  assert.ok(delays.every((d) => d >= 0.2 && d <= 1.0), `backoff within [0.2, 1.0] s: ${delays.join(', ')}`);
  // the hub's trust list also holds the police key that signs officers' cards (for the sign-in at the end)
  copyFileSync(join(w.dir, 'hub', 'lists', 'trust-officers.cose'), join(w.dir, 'hub', 'lists', 'trust.cose'));
  const hub = await startHub(w, hubPort);
  const sig = signalled(readTimeline(k.timeline));
  await waitFor('the backlog at the hub', () => { const s = hubScans(hub.dataDir); return s.length >= sig.length ? s : undefined; }, 30_000, 100);
  await sleep(1000);
  assertExactlyOnce(hubScans(hub.dataDir), sig);
  assert.ok(hubScans(hub.dataDir).every((s) => s.reason === 'unknown-key'), 'decided with no trust list: red, unknown-key');
  // and now it holds the lists, a new pass is green
  await waitFor('the lists', () => kiosk.log().includes('now holding trust list version 1'), 10_000);
  await port.write(`${w.pass().text}\r`);
  await waitFor('a green verdict after the outage', () => hubScans(hub.dataDir).some((s) => s.verdict === 'green'), 10_000);
  assert.ok(hubScans(hub.dataDir).every((s) => s.officer === null), 'nobody signed in yet');
  // an officer signs in with their card: the next scans reach the hub with the officer on duty, for its figures
  await port.write(`${w.officer({ code: 'CA79-00007' }).text}\r`);
  await waitFor('the officer signed in', () => kiosk.log().includes('officer: signed in'), 10_000);
  await port.write(`${w.pass().text}\r`);
  await waitFor('a scan with the officer at the hub', () => hubScans(hub.dataDir).some((s) => s.officer === 'CA79-00007'), 10_000);
  assert.not.ok(kiosk.log().includes('CA79-00007'), 'the officer\'s code stays out of the kiosk log');
  await stop(kiosk);
  await stop(hub.proc);
  await port.close();
});

test('SIGTERM: relay released, red lamp on, the hub told the kiosk is offline', async () => {
  const w = makeWorld('sigterm');
  const k = kioskConfig(w, { id: 'booth-3' });
  const kiosk = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  await waitFor('ready', () => kiosk.log().includes('ready'), 10_000);
  await sleep(800);
  assert.is(kiosk.child.exitCode, null, 'an offline kiosk with no scanner keeps running');
  assert.is(await stop(kiosk, 'SIGTERM'), 0);
  const pins = finalPins(readTimeline(k.timeline));
  assert.equal([pins.relay, pins.green, pins.red], [false, false, true]);
});

test('a crash (an uncaught exception) leaves the relay released and the red lamp on', async () => {
  const w = makeWorld('crash');
  const timeline = join(w.dir, 'crash-timeline.jsonl');
  const dist = new URL('../src/', import.meta.url).pathname;
  const script = `
    import { SimGpio } from '${dist}gpio/sim.js';
    import { Signal, DEFAULT_SIGNAL } from '${dist}gpio/signal.js';
    import { installFailSafe } from '${dist}main.js';
    const g = new SimGpio(${JSON.stringify(timeline)});
    const s = new Signal(g, DEFAULT_SIGNAL);
    installFailSafe(() => s.failSafe(), async () => {});
    s.openGate();
    setTimeout(() => { throw new Error('simulated bug in the kiosk'); }, 50);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.on('exit', r));
  assert.is(code, 70);
  assert.match(err, /crashed: Error: simulated bug in the kiosk.*gate shut, red lamp on/s);
  const pins = finalPins(readTimeline(timeline));
  assert.equal([pins.relay, pins.red], [false, true]);
});

test('a lost config: the kiosk refuses to start with the bad key named, and the gate stays shut', async () => {
  const w = makeWorld('noconfig');
  const k = kioskConfig(w, { id: 'booth-4' });
  const ok = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  await waitFor('ready', () => ok.log().includes('ready'), 10_000);
  await stop(ok);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(k.path, '{"kiosk": {"id": "booth-4"}, "rootKey": 5}');
  const r = chot(['kiosk', 'run', '--config', k.path]);
  assert.is(r.code, 2);
  assert.match(r.err, /rootKey must be string, got 5/);
  assert.equal(finalPins(readTimeline(k.timeline)).relay, false);
});

test.after(() => killAll());
test.run();

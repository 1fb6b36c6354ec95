// Enrolment: the one-time token from chot device add, redeemed with chot kiosk enrol or by scanning its QR.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chot, killAll, makeWorld, pty, sleep, start, startHub, stop, waitFor, type Hub } from './rig.js';

const w = makeWorld('enrol');
let hub: Hub;
let web = '';
test.before(async () => {
  try {
    hub = await startHub(w);
    web = `http://127.0.0.1:${/dashboard and API on http:\/\/[\d.]+:(\d+)/.exec(hub.proc.log())![1]}`;
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

function bareKiosk(name: string, extra: Record<string, unknown> = {}): string {
  const path = join(w.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ kiosk: { id: 'unenrolled' }, rootKey: w.rootPub, stateDir: join(w.dir, `state-${name}`), scanner: { type: 'none' }, gpio: { driver: 'sim' }, clock: { syncedFile: join(w.dir, 'synced') }, screen: { port: 0 }, ...extra }));
  return path;
}

test('device add prints a one-time token and its QR; chot kiosk enrol sets the kiosk up; the kiosk then runs enrolled', async () => {
  const qr = join(w.dir, 'enrol.png');
  const add = chot(['device', 'add', '--checkpoint', 'booth-e', '--area', '79/26734', '--hub-web', web, '--qr', qr, '--config', hub.config]);
  assert.is(add.code, 0, add.err);
  const out = JSON.parse(add.out) as { enrolment: string };
  assert.match(out.enrolment, /^CHOTENROL1:http:\/\/127\.0\.0\.1:\d+#[A-Za-z0-9_-]{22}$/);
  assert.is(readFileSync(qr).subarray(1, 4).toString(), 'PNG');
  const cfg = bareKiosk('e');
  const r = chot(['kiosk', 'enrol', out.enrolment, '--config', cfg]);
  assert.is(r.code, 0, r.err);
  const doc = JSON.parse(readFileSync(cfg, 'utf8'));
  assert.equal([doc.kiosk.id, doc.kiosk.area, doc.hub.url], ['booth-e', '79/26734', `mqtt://127.0.0.1:${hub.port}`]);
  assert.is((statSync(doc.hub.passwordFile).mode & 0o777).toString(8), '600');
  assert.not.ok('password' in doc.hub, 'the secret is in its own file, not in the config');
  const kiosk = start(['kiosk', 'run', '--config', cfg], 'kiosk-e');
  await waitFor('the enrolled kiosk to hold its lists', () => kiosk.log().includes('now holding trust list version 1'), 10_000);
  await stop(kiosk);
  // the token worked once
  const again = chot(['kiosk', 'enrol', out.enrolment, '--config', bareKiosk('e2')]);
  assert.is(again.code, 1);
  assert.match(again.err, /already used .*a token works once/);
});

test('an expired or unknown token is refused with a clear reason, and the config is left as it was', async () => {
  const add = chot(['device', 'add', '--checkpoint', 'booth-x', '--area', '79', '--hub-web', web, '--token-hours', '0.0002', '--config', hub.config]);
  const text = (JSON.parse(add.out) as { enrolment: string }).enrolment;
  await sleep(1000);
  const cfg = bareKiosk('x');
  const before = readFileSync(cfg, 'utf8');
  const r = chot(['kiosk', 'enrol', text, '--config', cfg]);
  assert.is(r.code, 1);
  assert.match(r.err, /token expired at .*ask the hub for a new one/);
  assert.is(readFileSync(cfg, 'utf8'), before);
  const unknown = chot(['kiosk', 'enrol', `CHOTENROL1:${web}#AAAAAAAAAAAAAAAAAAAAAA`, '--config', cfg]);
  assert.match(unknown.err, /not known to this hub/);
  const garbage = chot(['kiosk', 'enrol', 'hello', '--config', cfg]);
  assert.match(garbage.err, /is not an enrolment code/);
});

test('an unenrolled kiosk enrols itself when its enrolment QR is scanned, then runs enrolled', async () => {
  const add = chot(['device', 'add', '--checkpoint', 'booth-s', '--area', '79/26734', '--hub-web', web, '--config', hub.config]);
  const text = (JSON.parse(add.out) as { enrolment: string }).enrolment;
  const port = await pty(w.dir, 'scanner-s');
  const cfg = bareKiosk('s', { scanner: { type: 'serial', path: port.scanner } });
  const kiosk = start(['kiosk', 'run', '--config', cfg], 'kiosk-s');
  // write only once the kiosk has the port open: bytes sent before can be flushed when it opens
  await waitFor('the scanner port open', () => kiosk.log().includes('scanner: reading'), 10_000);
  await port.write(`${text}\r`);
  assert.is(await kiosk.exited, 0);
  assert.match(kiosk.log(), /enrolled as booth-s \(area 79\/26734\)/);
  const again = start(['kiosk', 'run', '--config', cfg], 'kiosk-s2');
  await waitFor('the lists', () => again.log().includes('now holding trust list version 1'), 10_000);
  await stop(again);
  await port.close();
  assert.ok(existsSync(join(w.dir, 'kiosk.secret')));
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

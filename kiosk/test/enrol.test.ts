// Enrolment: the one-time token from chot device add, redeemed with chot kiosk enrol or by scanning its QR; and
// only ever at the hub the kiosk was provisioned to trust (issue 18: a QR naming another server must not take it).
// What the hub answers is kept in the state folder, never in the config file, which systemd keeps read-only to the
// running kiosk (ProtectSystem=strict): a kiosk run as another user, its config not writable, enrols by scanning.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chot, killAll, makeWorld, pty, sleep, start, startHub, stop, waitFor, type Hub, webBase } from './rig.js';
import { enrol, EnrolFailed } from '../src/enrol.js';
import { loadConfig, loadConfigWithState } from '../src/config.js';
import { chromium } from 'playwright-core';

const w = makeWorld('enrol');
let hub: Hub;
let web = '';
test.before(async () => {
  try {
    hub = await startHub(w);
    web = webBase(hub.proc.log());
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

function bareKiosk(name: string, extra: Record<string, unknown> = {}, dir = w.dir): string {
  const path = join(dir, `${name}.json`);
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
  const before = readFileSync(cfg, 'utf8');
  const r = chot(['kiosk', 'enrol', out.enrolment, '--config', cfg]);
  assert.is(r.code, 0, r.err);
  const state = join(w.dir, 'state-e');
  assert.is(JSON.parse(r.out).kept, join(state, 'enrolled.json'));
  assert.is(readFileSync(cfg, 'utf8'), before, 'the config file is not changed: the enrolment is kept in the state folder');
  const loaded = loadConfigWithState(cfg);
  const c = loaded.config;
  assert.is(loaded.enrolled, join(state, 'enrolled.json'));
  assert.equal([c.kiosk.id, c.kiosk.area, c.hub.url], ['booth-e', '79/26734', `mqtt://127.0.0.1:${hub.port}`]);
  assert.is(c.hub.web, web, 'the hub it enrolled with stays pinned for later codes');
  assert.is(c.hub.passwordFile, join(state, 'hub.secret'));
  assert.is((statSync(c.hub.passwordFile!).mode & 0o777).toString(8), '600');
  assert.is((statSync(join(state, 'enrolled.json')).mode & 0o777).toString(8), '640', 'the hub address and the secret\'s path: not for everyone');
  assert.not.match(readFileSync(join(state, 'enrolled.json'), 'utf8'), new RegExp(readFileSync(c.hub.passwordFile!, 'utf8').trim()), 'the secret is in its own file');
  const kiosk = start(['kiosk', 'run', '--config', cfg], 'kiosk-e');
  await waitFor('the enrolled kiosk to hold its lists', () => kiosk.log().includes('now holding trust list version 1'), 10_000);
  await stop(kiosk);
  // chot doctor sees the enrolled kiosk too, and its credentials work at the hub
  const doc = JSON.parse(chot(['doctor', '--config', cfg, '--json']).out) as Array<{ name: string; ok: boolean; detail: string }>;
  const byName = Object.fromEntries(doc.map((d) => [d.name, d]));
  assert.match(byName.config.detail, /is valid \(kiosk booth-e, area 79\/26734, enrolled: from .*state-e\/enrolled\.json\)$/);
  assert.ok(byName.hub.ok, byName.hub.detail);
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
  assert.not.ok(existsSync(join(w.dir, 'state-x', 'enrolled.json')), 'no enrolment kept');
  const unknown = chot(['kiosk', 'enrol', `CHOTENROL1:${web}#AAAAAAAAAAAAAAAAAAAAAA`, '--config', cfg]);
  assert.match(unknown.err, /not known to this hub/);
  const garbage = chot(['kiosk', 'enrol', 'hello', '--config', cfg]);
  assert.match(garbage.err, /is not an enrolment code/);
});

// A stranger's enrolment server: a real HTTP server that answers whatever the test says, and counts who asked.
interface Rogue { url: string; hits: number; close(): Promise<void> }
type Answer = { status?: number; body?: unknown; raw?: string; headers?: Record<string, string> };
async function rogue(answer: () => Answer): Promise<Rogue> {
  const r = { url: '', hits: 0, close: async () => {} } as Rogue;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    r.hits++;
    req.resume();
    req.on('end', () => {
      const a = answer();
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers }).end(a.raw ?? JSON.stringify(a.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  r.close = () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); });
  return r;
}
/** What a hijacker would answer: another id, another area, its own broker and a password it knows. */
const TEMPTING = (host = '127.0.0.1') => ({ v: 1, kiosk: { id: 'owned', area: '01', timeZone: 'Asia/Ho_Chi_Minh' }, hub: { url: `mqtt://${host}:1883` }, password: 'P'.repeat(43) });
const TOKEN = 'AAAAAAAAAAAAAAAAAAAAAA';

async function screenState(log: () => string): Promise<{ enrolment: { state: string; vi: string; en: string } | null }> {
  const port = /officer screen on http:\/\/[\d.]+:(\d+)/.exec(log())![1];
  const r = await fetch(`http://127.0.0.1:${port}/state`);
  return ((await r.json()) as { state: { enrolment: { state: string; vi: string; en: string } | null } }).state;
}

test('a scanned code naming another server is refused on the officer screen, nothing is sent there and the config is unchanged; the trusted hub\'s code then enrols the kiosk', async () => {
  const evil = await rogue(() => ({ body: TEMPTING() }));
  const add = chot(['device', 'add', '--checkpoint', 'booth-s', '--area', '79/26734', '--hub-web', web, '--config', hub.config]);
  const text = (JSON.parse(add.out) as { enrolment: string }).enrolment;
  const port = await pty(w.dir, 'scanner-s');
  const cfg = bareKiosk('s', { scanner: { type: 'serial', path: port.scanner }, hub: { web }, screen: { host: '127.0.0.1', port: 0 } });
  const before = readFileSync(cfg, 'utf8');
  const kiosk = start(['kiosk', 'run', '--config', cfg], 'kiosk-s');
  // write only once the kiosk has the port open: bytes sent before can be flushed when it opens
  await waitFor('the scanner port open', () => kiosk.log().includes('scanner: reading') && kiosk.log().includes('officer screen on'), 10_000);
  // the officer's screen, as Chromium shows it at the booth
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
  await page.goto(`http://127.0.0.1:${/officer screen on http:\/\/[\d.]+:(\d+)/.exec(kiosk.log())![1]}/`);
  await page.waitForFunction(() => !!document.querySelector('#b-checkpoint')?.textContent?.includes('unenrolled'), undefined, { timeout: 10_000 });
  await port.write(`CHOTENROL1:${evil.url}#${TOKEN}\r`);
  await waitFor('the refusal', () => kiosk.log().includes('enrolment refused'), 10_000);
  await page.waitForFunction(() => document.querySelector('#verdict')?.className === 'red', undefined, { timeout: 5000 });
  assert.is(await page.textContent('#word'), 'TỪ CHỐI ĐĂNG KÝ · ENROLMENT REFUSED');
  assert.match(await page.textContent('#vi') ?? '', /^Mã đăng ký của trung tâm khác/);
  assert.match(await page.textContent('#en') ?? '', /^The enrolment code names another hub/);
  await browser.close();
  assert.match(kiosk.log(), /the enrolment code names the hub "http:\/\/127\.0\.0\.1:\d+", but this kiosk trusts only "http:\/\/127\.0\.0\.1:\d+": refused/);
  assert.is(evil.hits, 0, 'not a byte sent to the stranger');
  assert.is(readFileSync(cfg, 'utf8'), before);
  const st = await screenState(kiosk.log);
  assert.is(st.enrolment?.state, 'refused');
  assert.match(st.enrolment!.vi, /^Mã đăng ký của trung tâm khác \(http:\/\/127\.0\.0\.1:\d+\), không phải trung tâm được tin cậy/);
  assert.match(st.enrolment!.en, /^The enrolment code names another hub \(http:\/\/127\.0\.0\.1:\d+\), not the trusted one/);
  assert.is(kiosk.child.exitCode, null, 'the kiosk keeps running, unenrolled');
  // the code from the hub it trusts
  await port.write(`${text}\r`);
  assert.is(await kiosk.exited, 0);
  assert.match(kiosk.log(), /enrolled as booth-s \(area 79\/26734\)/);
  const again = start(['kiosk', 'run', '--config', cfg], 'kiosk-s2');
  await waitFor('the lists', () => again.log().includes('now holding trust list version 1'), 10_000);
  await stop(again);
  await port.close();
  await evil.close();
  assert.ok(existsSync(join(w.dir, 'state-s', 'hub.secret')));
  assert.is(loadConfig(cfg).kiosk.id, 'booth-s');
});

test('a kiosk provisioned without a hub to trust refuses every scanned code; at the console a code for another hub than the pinned one is refused, --hub-web with a bare token works', async () => {
  const evil = await rogue(() => ({ body: TEMPTING() }));
  const dir = join(w.dir, 'unpinned');
  mkdirSync(dir);
  const cfg = bareKiosk('u', {}, dir);
  const before = readFileSync(cfg, 'utf8');
  const e = await enrol(cfg, `CHOTENROL1:${evil.url}#${TOKEN}`, { scanned: true }).then(() => undefined, (x: unknown) => x);
  assert.instance(e, EnrolFailed);
  assert.match((e as EnrolFailed).message, /this kiosk has no hub to trust \(hub\.web in the config\)/);
  assert.match((e as EnrolFailed).words.en, /no trusted hub/);
  assert.is(evil.hits, 0);
  assert.is(readFileSync(cfg, 'utf8'), before);
  assert.not.ok(existsSync(join(w.dir, 'state-u', 'hub.secret')));
  // pinned to the real hub: a code for the stranger, typed at the console, is refused too
  const pinned = bareKiosk('p', { hub: { web } }, dir);
  const r = chot(['kiosk', 'enrol', `CHOTENROL1:${evil.url}#${TOKEN}`, '--config', pinned]);
  assert.is(r.code, 1);
  assert.match(r.err, /names the hub .* but this kiosk trusts only/);
  assert.is(evil.hits, 0);
  // the technician names the hub explicitly: the bare token works (and --hub, its earlier name, too)
  const add = chot(['device', 'add', '--checkpoint', 'booth-t', '--area', '79', '--hub-web', web, '--config', hub.config]);
  const token = (JSON.parse(add.out) as { enrolment: string }).enrolment.split('#')[1];
  const ok = chot(['kiosk', 'enrol', '--hub-web', web, token, '--config', pinned]);
  assert.is(ok.code, 0, ok.err);
  assert.is(loadConfig(pinned).kiosk.id, 'booth-t');
  await evil.close();
});

test('an answer from the trusted address is checked field by field: anything a hijacker would set is refused, the config is unchanged and no secret is written', async () => {
  let answer: Answer = {};
  const fake = await rogue(() => answer);
  const dir = join(w.dir, 'answers');
  mkdirSync(dir);
  const cfg = bareKiosk('a', { hub: { web: fake.url } }, dir);
  const before = readFileSync(cfg, 'utf8');
  const t = TEMPTING();
  const cases: Array<[string, Answer, RegExp]> = [
    ['a broker on another host', { body: { ...t, hub: { url: 'mqtt://hub.attacker.example:1883' } } }, /hub\.url "mqtt:\/\/hub\.attacker\.example:1883" is not on the trusted hub's host \(127\.0\.0\.1\)/],
    ['credentials in the broker address', { body: { ...t, hub: { url: 'mqtt://x:y@127.0.0.1:1883' } } }, /without credentials/],
    ['a broker that is not MQTT', { body: { ...t, hub: { url: 'http://127.0.0.1:1883' } } }, /not an mqtt\(s\):\/\/ or ws\(s\):\/\/ address/],
    ['an id that is a topic path', { body: { ...t, kiosk: { ...t.kiosk, id: 'a/#' } } }, /kiosk\.id "a\/#" is not a kiosk id/],
    ['an area that does not exist', { body: { ...t, kiosk: { ...t.kiosk, area: '00' } } }, /kiosk\.area "00" is not an area code/],
    ['a time zone that does not exist', { body: { ...t, kiosk: { ...t.kiosk, timeZone: 'Mars/Olympus' } } }, /kiosk\.timeZone "Mars\/Olympus" is not a time zone/],
    ['a password with a line break', { body: { ...t, password: `${'P'.repeat(20)}\nhub.password` } }, /password is not 16 to 256 printable characters/],
    ['no version', { body: { ...t, v: undefined } }, /v is "undefined", not 1/],
    ['not an object', { raw: '[1,2]' }, /it is not a JSON object/],
    ['a redirect elsewhere', { status: 307, headers: { location: `${web}/api/enrol` }, raw: '' }, /the hub refused the enrolment: HTTP 307/],
    ['an endless answer', { raw: 'x'.repeat(100_000) }, /the answer is longer than 16384 bytes/],
    ['an error that would forge a log line', { status: 410, body: { error: 'used\nkiosk: enrolled as owned' } }, /the hub refused the enrolment: "used\\nkiosk: enrolled as owned"/],
  ];
  for (const [what, a, reason] of cases) {
    answer = a;
    const e = await enrol(cfg, `CHOTENROL1:${fake.url}#${TOKEN}`, { scanned: true }).then(() => undefined, (x: unknown) => x);
    assert.instance(e, EnrolFailed, what);
    assert.match((e as Error).message, reason, what);
    assert.not.match((e as Error).message, /\n/, `${what}: one line`);
    assert.is(readFileSync(cfg, 'utf8'), before, what);
    assert.not.ok(existsSync(join(w.dir, 'state-a', 'hub.secret')) || existsSync(join(w.dir, 'state-a', 'enrolled.json')), what);
  }
  assert.is(fake.hits, cases.length, 'each case reached the pinned address once, and nothing else');
  // the same answer with the broker on the pinned host is taken: the checks refuse the hijack, not the hub
  answer = { body: t };
  const r = await enrol(cfg, `CHOTENROL1:${fake.url}#${TOKEN}`, { scanned: true });
  assert.equal([r.id, r.area, r.hub], ['owned', '01', 'mqtt://127.0.0.1:1883']);
  await fake.close();
});

test('over https the hub\'s certificate is checked against the pinned CA (hub.ca): another CA\'s certificate is refused, and an answer dropping TLS for MQTT too', async () => {
  const dir = join(w.dir, 'tls');
  mkdirSync(dir);
  const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'ignore', cwd: dir });
  for (const ca of ['ca', 'other-ca']) ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=chot ${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.pem`);
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'hub.key', '-out', 'hub.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'hub.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'hub.pem');
  let answer: unknown = { ...TEMPTING(), hub: { url: 'mqtts://127.0.0.1:8883' } };
  let hits = 0;
  const server = createHttpsServer({ cert: readFileSync(join(dir, 'hub.pem')), key: readFileSync(join(dir, 'hub.key')) }, (req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const code = `CHOTENROL1:${url}#${TOKEN}`;
  const wrong = bareKiosk('wrong-ca', { hub: { web: url, ca: join(dir, 'other-ca.pem') } }, dir);
  const before = readFileSync(wrong, 'utf8');
  const e = await enrol(wrong, code, { scanned: true }).then(() => undefined, (x: unknown) => x);
  assert.instance(e, EnrolFailed);
  assert.match((e as Error).message, /cannot reach the hub at https:\/\/127\.0\.0\.1:\d+ \(.*certificate.*\); its certificate is checked against hub\.ca/);
  assert.is(hits, 0, 'the token never reached a server the pinned CA does not vouch for');
  assert.is(readFileSync(wrong, 'utf8'), before);
  const right = bareKiosk('right-ca', { hub: { web: url, ca: join(dir, 'ca.pem') } }, dir);
  answer = { ...TEMPTING(), hub: { url: 'mqtt://127.0.0.1:1883' } };
  const plain = await enrol(right, code, { scanned: true }).then(() => undefined, (x: unknown) => x);
  assert.match((plain as Error).message, /hub\.url "mqtt:\/\/127\.0\.0\.1:1883" is not encrypted while the hub was reached over https/);
  answer = { ...TEMPTING(), hub: { url: 'mqtts://127.0.0.1:8883' } };
  const r = await enrol(right, code, { scanned: true });
  assert.equal([r.id, r.hub, r.web], ['owned', 'mqtts://127.0.0.1:8883', url]);
  await new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); });
});

test('a kiosk whose config it cannot write (as under systemd) enrols by scanning, keeps the enrolment in its state folder and comes back enrolled after a restart', async () => {
  // as systemd runs it: another user than the config's owner (nobody here, chot on a Pi), the config readable but
  // not writable, the state folder that user's own (StateDirectory=)
  const root = process.getuid?.() === 0;
  const as = root ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'] : [];
  // the kiosk's user must reach the folder: a private TMPDIR (0700) is not reachable, /tmp always is
  const base = root && spawnSync('setpriv', [...as.slice(1), 'test', '-x', tmpdir()]).status !== 0 ? '/tmp' : tmpdir();
  const open = mkdtempSync(join(base, 'chot-enrol-ro-'));
  try {
    chmodSync(open, 0o755);
    const state = join(open, 'state');
    mkdirSync(state, { mode: 0o750 });
    if (root) chownSync(state, 65534, 65534);
    copyFileSync(w.rootPub, join(open, 'root.pub.pem'));
    chmodSync(join(open, 'root.pub.pem'), 0o644);
    const port = await pty(open, 'scanner-ro');
    if (root) chownSync(realpathSync(port.scanner), 65534, 65534);
    const cfg = join(open, 'kiosk.json');
    writeFileSync(cfg, JSON.stringify({ kiosk: { id: 'unenrolled' }, rootKey: join(open, 'root.pub.pem'), stateDir: state, scanner: { type: 'serial', path: port.scanner }, hub: { web }, gpio: { driver: 'sim' }, clock: { syncedFile: join(open, 'synced') }, screen: { host: '127.0.0.1', port: 0 } }));
    chmodSync(cfg, 0o444);
    if (!root) chmodSync(open, 0o555);
    const writable = spawnSync(as[0] ?? 'test', [...as.slice(1), ...(as.length ? ['test'] : []), '-w', cfg]);
    assert.is(writable.status, 1, 'the config is read-only to the kiosk, as /etc/chot is under ProtectSystem=strict');
    const before = readFileSync(cfg, 'utf8');
    const add = chot(['device', 'add', '--checkpoint', 'booth-ro', '--area', '79/26734', '--hub-web', web, '--config', hub.config]);
    const code = (JSON.parse(add.out) as { enrolment: string }).enrolment;
    const kiosk = start(['kiosk', 'run', '--config', cfg], 'kiosk-ro', as);
    await waitFor('the scanner port open', () => kiosk.log().includes('scanner: reading') && kiosk.log().includes('officer screen on'), 10_000);
    await port.write(`${code}\r`);
    assert.is(await kiosk.exited, 0, kiosk.log());
    assert.match(kiosk.log(), /enrolled as booth-ro \(area 79\/26734\) with http:\/\/127\.0\.0\.1:\d+, MQTT mqtt:\/\/127\.0\.0\.1:\d+, kept in .*\/state\/enrolled\.json; restarting/);
    assert.is(readFileSync(cfg, 'utf8'), before, 'the config file is as it was');
    for (const [f, mode] of [['enrolled.json', '640'], ['hub.secret', '600']]) {
      const st = statSync(join(state, f));
      assert.is((st.mode & 0o777).toString(8), mode, f);
      if (root) assert.is(st.uid, 65534, `${f} belongs to the kiosk's user`);
    }
    // systemd starts it again: enrolled, it connects to the hub with the secret it was given
    const again = start(['kiosk', 'run', '--config', cfg], 'kiosk-ro2', as);
    await waitFor('the lists from the hub', () => again.log().includes('now holding trust list version 1'), 10_000);
    assert.match(again.log(), /kiosk: enrolled as booth-ro \(area 79\/26734, hub mqtt:\/\/127\.0\.0\.1:\d+\): settings from .*\/state\/enrolled\.json over .*kiosk\.json/);
    assert.match(again.log(), /kiosk booth-ro: ready \(area 79\/26734/);
    await stop(again);
    await port.close();
  } finally {
    chmodSync(open, 0o755);
    rmSync(open, { recursive: true, force: true });
  }
});

test('an enrolment file that is damaged or not an enrolment stops the kiosk with the file named and what to do', () => {
  const dir = join(w.dir, 'damaged');
  mkdirSync(dir);
  const cfg = bareKiosk('d', { stateDir: dir });
  writeFileSync(join(dir, 'enrolled.json'), '{"v": 1, "kiosk": {"id": "booth-d"');
  assert.throws(() => loadConfig(cfg), /damaged\/enrolled\.json is not valid JSON: .*; delete it and enrol again/);
  writeFileSync(join(dir, 'enrolled.json'), JSON.stringify({ v: 1, kiosk: { id: 'Booth D', area: '79' }, hub: { web: 'http://x', url: 'mqtt://x', passwordFile: '/x' } }));
  assert.throws(() => loadConfig(cfg), /with .*damaged\/enrolled\.json.*kiosk\.id/);
  // no format at all (a file of a newer format is another case: left alone, formats.test.ts)
  writeFileSync(join(dir, 'enrolled.json'), JSON.stringify({ kiosk: { id: 'booth-d' } }));
  assert.throws(() => loadConfig(cfg), /enrolled\.json: not an enrolment \(v 1\); delete it and enrol again/);
  const r = chot(['kiosk', 'run', '--config', cfg]);
  assert.is(r.code, 2);
  assert.match(r.err, /enrolled\.json: not an enrolment/);
});

test.after(async () => { await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

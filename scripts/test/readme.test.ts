// The READMEs' rounds, run as written: the signing-and-checking round of README.md, and the kiosk without hardware
// of kiosk/README.md, their shell blocks extracted and run by bash in a temporary folder where dist/ is this build.
// Each must end green whatever the date and hour it is run at.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const built = new URL('../../', import.meta.url).pathname; // dist/ (or dist-NAME/) of this run
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'chot-readme-'));
symlinkSync(built, join(dir, 'dist'));

function roundBlock(): string {
  const at = readme.indexOf('A whole signing-and-checking round');
  assert.ok(at >= 0, 'the README has its signing round');
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, 'a sh block follows');
  return m![1];
}

let roundDir = '';
const chot = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [join(built, 'scripts/chot.js'), ...args], { cwd: roundDir, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('the README round, run as written by bash, ends green', () => {
  const block = roundBlock();
  assert.match(block, /^alias chot=/m);
  // -e: every command must succeed, as a reader sees it; aliases as in an interactive shell; mktemp inside dir
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-O', 'expand_aliases', '-c', block], { cwd: dir, encoding: 'utf8', env: { ...process.env, TMPDIR: dir } });
  assert.is(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.is(last.verdict, 'green', JSON.stringify(last));
  assert.is(last.reason, 'ok');
  assert.is(last.summary.name, 'Trần Văn Bình');
  roundDir = readdirSync(dir).filter((f) => f !== 'dist').map((f) => join(dir, f))[0];
  assert.ok(roundDir && existsSync(join(roundDir, 'pass.png')), 'the round wrote its files in its own folder');
});

test('the checks the README describes after the round give the reasons it names', () => {
  const pass = readFileSync(join(roundDir, 'pass.txt'), 'utf8');
  const verify = (...extra: string[]) => JSON.parse(chot(['verify', '--trust', 'trust.cose', '--checkpoint', '79/26734', ...extra, '-'], pass).out);
  assert.is(verify('--at', '2021-09-11T23:00:00+07:00').reason, 'outside-hours');
  assert.is(verify('--at', '2021-10-01T09:00:00+07:00').reason, 'expired');
  // issued and checked now: the trust list is valid today (a pass without hours, so the hour of the run does not matter)
  const now = chot(['pass', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--name', 'Lê Minh Châu', '--id-last4', '5678', '--category', 'resident', '--area', '79']);
  assert.is(now.code, 0, now.err);
  const v = JSON.parse(chot(['verify', '--trust', 'trust.cose', '--checkpoint', '79/26734', '-'], now.out).out);
  assert.is(v.verdict, 'green', JSON.stringify(v));
  const late = chot(['pass', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--name', 'Lê Minh Châu', '--id-last4', '5678', '--category', 'resident', '--area', '79', '--issued-at', '2032-01-02T08:00:00+07:00']);
  const k = JSON.parse(chot(['verify', '--trust', 'trust.cose', '--checkpoint', '79', '--at', '2032-01-03T09:00:00+07:00', '-'], late.out).out);
  assert.is(k.reason, 'key-not-valid');
  assert.is(k.message.en, "The issuer's signing key was not valid on the day the pass was issued.");
});

const freePort = () => new Promise<number>((resolve) => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
});

test('kiosk/README.md: a kiosk without hardware (hub, socat pty, simulated GPIO) turns a scanned pass green', async () => {
  const kreadme = readFileSync(new URL('../../../kiosk/README.md', import.meta.url), 'utf8');
  const at = kreadme.indexOf('## Trying a kiosk without hardware');
  assert.ok(at >= 0, 'kiosk/README.md shows how to try a kiosk without hardware');
  // the README's fixed ports may be taken on a shared machine: the same blocks on free ones
  const ports = { 1883: await freePort(), 8090: await freePort(), 8080: await freePort() };
  const [setup, scan] = [...kreadme.slice(at).matchAll(/```sh\n([\s\S]*?)```/g)].slice(0, 2)
    .map((m) => m[1].replace(/\b(1883|8090|8080)\b/g, (p) => String(ports[Number(p) as 1883 | 8090 | 8080])));
  assert.match(setup, /"driver": "sim"/);
  assert.match(setup, /^socat pty/m);
  const kdir = mkdtempSync(join(tmpdir(), 'chot-kreadme-'));
  symlinkSync(built, join(kdir, 'dist'));
  // its own process group, so that the hub, socat and the kiosk it leaves running in the background stop together
  const bg = spawn('bash', ['-O', 'expand_aliases', '-c', `${setup}\necho "ROUND $PWD"\nwait\n`], { cwd: kdir, detached: true, env: { ...process.env, TMPDIR: kdir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  bg.stdout.on('data', (d) => (log += d));
  bg.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => bg.on('exit', r));
  try {
    for (let i = 0; i < 600 && !log.includes('lists: now holding status list version 1'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(log.includes('lists: now holding status list version 1'), `the kiosk got its lists from the hub:\n${log}`);
    const round = /^ROUND (.*)$/m.exec(log)![1];
    const r = spawnSync('bash', ['-O', 'expand_aliases', '-c', `alias chot="node ${join(kdir, 'dist/scripts/chot.js')}"\n${scan}`], { cwd: round, encoding: 'utf8' });
    const lamps = r.stdout.split('\n').filter((l) => l.startsWith('{"t"')).map((l) => JSON.parse(l) as { name: string; on: boolean });
    for (const pin of ['green', 'relay']) assert.ok(lamps.some((e) => e.name === pin && e.on), `${pin} on after the scan:\n${r.stdout}\n${r.stderr}\n${log}`);
    assert.match(r.stdout, /^✓ lists +trust v1/m);
    assert.match(r.stdout, /^✓ hub +mqtt:\/\/127\.0\.0\.1:\d+ reachable, credentials of booth-1 accepted/m);
    assert.match(r.stdout, /^! gpio +simulated driver/m);
  } finally {
    process.kill(-bg.pid!, 'SIGTERM');
    await exited;
    // the kiosk shuts the gate on SIGTERM, then exits; give the group a moment before its folder goes
    for (let i = 0; i < 100 && spawnSync('sh', ['-c', `ps -o pid= -g ${bg.pid}`]).stdout.toString().trim(); i++) await new Promise((r) => setTimeout(r, 50));
    rmSync(kdir, { recursive: true, force: true });
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

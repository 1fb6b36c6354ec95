// The README's signing-and-checking round, run as written: its shell block, extracted from README.md, in a
// temporary folder where dist/ is this build. It must end green whatever the date and hour it is run at.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

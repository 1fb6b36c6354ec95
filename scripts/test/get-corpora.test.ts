// scripts/get-corpora.sh, run for real against file:// trees laid out as raw.githubusercontent.com is
// (OWNER/REPO/COMMIT/PATH): a small manifest made here for fetch, re-run, repair and refusal; the real manifest
// against the corpora when they are here. No network: the base URL is overridden.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { needsCorpus } from '../../lib/corpora.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const SCRIPT = join(REPO, 'scripts', 'get-corpora.sh');
const dir = mkdtempSync(join(tmpdir(), 'chot-corpora-'));
const base = join(dir, 'base');
const dest = join(dir, 'dest');
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, CHOT_CORPORA_BASE: `file://${base}`, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// two corpora: one from a folder of its repository, one from the repository's top
const FILES: Record<string, { repo: string; commit: string; upstream: string; files: Record<string, string> }> = {
  alpha: { repo: 'someone/photos', commit: 'a'.repeat(40), upstream: 'test/resources', files: { 'one/1.png': 'png bytes', 'one/1.txt': 'hello\r\n', 'two/x.txt': 'x' } },
  beta: { repo: 'other/cases', commit: 'b'.repeat(40), upstream: '.', files: { 'DE/raw/1.json': '{"PREFIX":"HC1:..."}' } },
};
const upstreamFile = (name: string, rel: string) => {
  const c = FILES[name];
  return join(base, c.repo, c.commit, c.upstream === '.' ? '' : c.upstream, rel);
};
const manifest = join(dir, 'manifest.sha256');

test.before(() => {
  let m = '# a manifest made by the test\n';
  for (const [name, c] of Object.entries(FILES)) {
    m += `corpus ${name} ${c.repo} ${c.commit} ${c.upstream}\n`;
    for (const [rel, content] of Object.entries(c.files)) {
      mkdirSync(dirname(upstreamFile(name, rel)), { recursive: true });
      writeFileSync(upstreamFile(name, rel), content);
      m += `${sha(content)}  ${name}/${rel}\n`;
    }
  }
  writeFileSync(manifest, m);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('fetches every file into DEST/NAME/..., checked; a second run fetches nothing, even with the source gone', () => {
  const first = run(['--manifest', manifest, '--dest', dest]);
  assert.is(first.code, 0, first.err);
  for (const [name, c] of Object.entries(FILES)) {
    for (const [rel, content] of Object.entries(c.files)) assert.is(readFileSync(join(dest, name, rel), 'utf8'), content);
  }
  assert.match(first.out, /alpha: 3 of 3 files in place in .* \(3 fetched now\)/);
  assert.match(first.out, /beta: 1 of 1 files in place in .* \(1 fetched now\)/);
  rmSync(base, { recursive: true });
  const again = run(['--manifest', manifest, '--dest', dest]);
  assert.is(again.code, 0, again.err);
  assert.match(again.out, /alpha: 3 of 3 files in place in .* \(0 fetched now\)/);
  assert.is(run(['--manifest', manifest, '--dest', dest, '--check']).code, 0);
});

test('a damaged or missing file is fetched again; CHOT_CORPORA is the destination when --dest is not given', () => {
  rmSync(base, { recursive: true, force: true });
  for (const [name, c] of Object.entries(FILES)) for (const [rel, content] of Object.entries(c.files)) { mkdirSync(dirname(upstreamFile(name, rel)), { recursive: true }); writeFileSync(upstreamFile(name, rel), content); }
  appendFileSync(join(dest, 'alpha', 'one', '1.txt'), 'tampered');
  rmSync(join(dest, 'beta', 'DE', 'raw', '1.json'));
  const check = run(['--manifest', manifest, '--check'], { CHOT_CORPORA: dest });
  assert.is(check.code, 1);
  assert.match(check.err, /alpha\/one\/1\.txt has the wrong checksum/);
  assert.match(check.err, /beta\/DE\/raw\/1\.json is missing/);
  assert.match(check.err, /run scripts\/get-corpora\.sh to fetch them/);
  const r = run(['--manifest', manifest], { CHOT_CORPORA: dest });
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /alpha: 3 of 3 files in place .* \(1 fetched now\)/);
  assert.is(readFileSync(join(dest, 'alpha', 'one', '1.txt'), 'utf8'), 'hello\r\n');
  assert.ok(existsSync(join(dest, 'beta', 'DE', 'raw', '1.json')));
});

test('a file whose checksum does not match is never put in place, and the run fails saying which', () => {
  rmSync(join(dest, 'alpha', 'two', 'x.txt'));
  writeFileSync(upstreamFile('alpha', 'two/x.txt'), 'not what was pinned');
  const r = run(['--manifest', manifest, '--dest', dest, 'alpha']);
  assert.is(r.code, 1);
  assert.match(r.err, /two\/x\.txt has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}: not put in place/);
  assert.ok(!existsSync(join(dest, 'alpha', 'two', 'x.txt')));
  assert.equal(readdirSync(join(dest, 'alpha', 'two')), [], 'no partial file left behind');
  assert.ok(!/beta/.test(r.out), 'only the corpus asked for');
  const unreachable = run(['--manifest', manifest, '--dest', dest, 'alpha'], { CHOT_CORPORA_BASE: `file://${join(dir, 'nowhere')}` });
  assert.is(unreachable.code, 1);
  assert.match(unreachable.err, /could not fetch file:\/\/.*\/nowhere\/someone\/photos\/a{40}\/test\/resources\/two\/x\.txt/);
  const unknown = run(['--manifest', manifest, '--dest', dest, 'gamma']);
  assert.is(unknown.code, 1);
  assert.match(unknown.err, /unknown corpus "gamma" \(known: alpha beta\)/);
});

const dccCorpus = needsCorpus('dcc-testdata', 'scripts/test/get-corpora: the real manifest against dcc-testdata');
const qrCorpus = needsCorpus('qr-corpus', 'scripts/test/get-corpora: the real manifest against qr-corpus');

test('the recorded checksums match the dcc-testdata corpus, and the script lays it out from its pinned repository', dccCorpus((corpus) => {
  const root = dirname(corpus);
  assert.is(run(['--check', '--dest', root, 'dcc-testdata']).code, 0);
  // serve the corpus as raw.githubusercontent.com would, from the repository and commit the manifest names
  const line = readFileSync(join(REPO, 'scripts', 'corpora.sha256'), 'utf8').split('\n').find((l) => l.startsWith('corpus dcc-testdata '))!;
  const [, , repo, commit, upstream] = line.split(' ');
  assert.is(upstream, '.');
  const served = join(dir, 'served');
  cpSync(corpus, join(served, repo, commit), { recursive: true });
  const fresh = join(dir, 'fresh');
  const r = run(['--dest', fresh, 'dcc-testdata'], { CHOT_CORPORA_BASE: `file://${served}` });
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /dcc-testdata: (\d+) of \1 files in place in .* \(\1 fetched now\)/);
  assert.is(readFileSync(join(fresh, 'dcc-testdata', 'DE', '2DCode', 'raw', '1.json'), 'utf8'), readFileSync(join(corpus, 'DE', '2DCode', 'raw', '1.json'), 'utf8'));
}));

test('the recorded checksums match the qr-corpus corpus', qrCorpus((corpus) => {
  const r = run(['--check', '--dest', dirname(corpus), 'qr-corpus']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /qr-corpus: checked 150 files/);
}));

test.run();

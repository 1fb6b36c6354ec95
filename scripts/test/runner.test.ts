// The test runner itself (scripts/test.mjs), as a fresh clone with nothing beside it runs it: the corpora point at
// an empty folder. Everything that needs no corpus passes, and the run names each suite it could not run with the
// command that gets its corpus; with CI=true the same run fails. A filter keeps it to a few quick suites.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const REPO = new URL('../../../', import.meta.url).pathname;
// the build folder this file runs from (dist/, or an engineer's dist-NAME/)
const DIST = relative(REPO, new URL('../../', import.meta.url).pathname) || 'dist';
const empty = mkdtempSync(join(tmpdir(), 'chot-no-corpora-'));
test.after(() => rmSync(empty, { recursive: true, force: true }));

function runner(filter: string, env: Record<string, string | undefined>) {
  const base: NodeJS.ProcessEnv = { ...process.env, CHOT_TEST_DIST: DIST, CHOT_CORPORA: empty };
  delete base.CI; // this run decides
  const r = spawnSync(process.execPath, ['scripts/test.mjs', filter], { cwd: REPO, encoding: 'utf8', env: { ...base, ...env } });
  return { code: r.status, out: r.stdout.replace(/\x1b\[[0-9;]*m/g, ''), err: r.stderr };
}

test('no corpora: the other tests pass, the run says what it did not run and how to get it, exit 0', () => {
  const r = runner('(base45|dcc)', {});
  assert.is(r.code, 0, r.out.slice(-2000) + r.err);
  const summary = /tests: (\d+) passed, 0 failed, 0 skipped, (\d+) not run for want of a corpus:/.exec(r.out);
  assert.ok(summary, r.out.slice(-1500));
  assert.ok(Number(summary[1]) >= 15, 'base45, the judge and the corpus-free DCC tests ran');
  assert.is(Number(summary[2]), 8, 'protocol/test/dcc: 7 tests, scripts/test/dcc-conformance: 1');
  const named = r.out.slice(summary.index).split('\n').filter((l) => l.startsWith('  not run: '));
  assert.is(named.length, 2, named.join('\n'));
  assert.match(named[0], /protocol\/test\/dcc: .* \(7 tests\): dcc-testdata is not in .*chot-no-corpora-.*; get it with "scripts\/get-corpora\.sh dcc-testdata"/);
  assert.match(named[1], /scripts\/test\/dcc-conformance: .* \(1 test\): dcc-testdata is not in/);
});

test('with CI=true a missing corpus fails the run', () => {
  const r = runner('dcc-conformance', { CI: 'true' });
  assert.is(r.code, 1);
  assert.match(r.out, /CI=true and a corpus is missing: scripts\/test\/dcc-conformance/);
  assert.match(r.out, /tests: 1 passed, 1 failed, 0 skipped/);
});

test.run();

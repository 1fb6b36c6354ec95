// Where the external test corpora are (ZXing's QR photos, the EU DCC conformance cases): public material from
// other repositories, fetched by scripts/get-corpora.sh and never copied into this one. One place: the folder
// named by CHOT_CORPORA, else ../shared beside the clone. Looked up when a suite or benchmark runs, never when a
// module is imported, so a clone without them still runs every other test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type CorpusName = 'qr-corpus' | 'dcc-testdata';

/** A file each corpus must hold: a folder without it is not the corpus. */
const PROBE: Record<CorpusName, string> = { 'qr-corpus': 'qrcode-1/1.png', 'dcc-testdata': 'DE/2DCode/raw/1.json' };

export const GET_CORPORA = 'scripts/get-corpora.sh';

/** The folder the corpora live in: $CHOT_CORPORA, else ../shared beside the clone (this file is in DIST/lib/). */
export function corporaRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHOT_CORPORA || join(new URL('../../', import.meta.url).pathname, '..', 'shared');
}

/** The corpus's folder, or undefined when it is not there. */
export function corpusDir(name: CorpusName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = join(corporaRoot(env), name);
  return existsSync(join(dir, PROBE[name])) ? dir : undefined;
}

/** One line: what was not run, why, and the command that gets the corpus. */
export function missingCorpus(name: CorpusName, what: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${what}: ${name} is not in ${corporaRoot(env)}; get it with "${GET_CORPORA} ${name}" (or set CHOT_CORPORA to where it is)`;
}

/** The runner (scripts/test.mjs) collects these lines; keep the prefix and the "(N tests)" in step with it. */
export const NOT_RUN = 'not run (no corpus):';

/**
 * Wraps the bodies of a suite's tests that need `name`. When the test runs, the body gets the corpus folder; when
 * the corpus is missing the body is not run and the suite prints one NOT_RUN line (with how many of its tests
 * were not run), or, with CI=true, the test fails with that line: a missing corpus cannot drop out of CI quietly.
 */
export function needsCorpus(name: CorpusName, what: string): <T>(body: (dir: string) => T) => () => T | undefined {
  let registered = 0;
  let told = false;
  return <T>(body: (dir: string) => T) => {
    registered++;
    return () => {
      const dir = corpusDir(name);
      if (dir) return body(dir);
      const line = missingCorpus(name, `${what} (${registered} test${registered === 1 ? '' : 's'})`);
      if (process.env.CI === 'true') throw new Error(`CI=true and a corpus is missing: ${line}`);
      if (!told) console.log(`  ${NOT_RUN} ${line}`);
      told = true;
      return undefined;
    };
  };
}

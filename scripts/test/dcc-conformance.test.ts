// EU DCC conformance: every case of the dcc-testdata corpus (lib/corpora.ts) through `chot verify --dcc-rules
// none`, with the case's clock and certificate. A case tests only the steps whose flags are present (an absent
// EXPECTED… flag is an untested step).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { needsCorpus } from '../../lib/corpora.js';

const CHOT = new URL('../chot.js', import.meta.url).pathname;
const corpus = needsCorpus('dcc-testdata', 'scripts/test/dcc-conformance: the EU DCC conformance cases through chot verify');

/** Which conformance step each reason blames. A schema failure is reported as malformed. */
const BLAMES: Record<string, string[]> = {
  'unsupported-format': ['UNPREFIX'],
  'malformed': ['B45DECODE', 'COMPRESSION', 'DECODE', 'SCHEMAVALIDATION'],
  'unknown-key': ['VERIFY'],
  'bad-signature': ['VERIFY'],
  'expired': ['EXPIRATIONCHECK'],
  'not-yet-valid': ['EXPIRATIONCHECK'],
  'key-usage': ['KEYUSAGE'],
  'unsupported-algorithm': ['VERIFY'],
};
/** Steps `chot verify` performs. PICTUREDECODE is the camera's (kiosk/ tests it); the rest are generation-side. */
const STEPS = ['UNPREFIX', 'B45DECODE', 'COMPRESSION', 'VERIFY', 'DECODE', 'SCHEMAVALIDATION', 'EXPIRATIONCHECK', 'KEYUSAGE'];

/** Upstream cases known to be wrong, each with why. Keep this list short and written out. */
const KNOWN_BAD: Record<string, string> = {};

interface Case { file: string; prefix: string; cert?: string; clock?: string; flags: Record<string, boolean> }

function cases(corpusDir: string): Case[] {
  const out: Case[] = [];
  for (const cc of readdirSync(corpusDir).sort()) {
    const dir = join(corpusDir, cc, '2DCode', 'raw');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const d = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const flags: Record<string, boolean> = {};
      for (const [k, v] of Object.entries(d.EXPECTEDRESULTS ?? {})) {
        const step = k.replace(/^EXPECTED/, '');
        if (STEPS.includes(step) && typeof v === 'boolean') flags[step] = v;
      }
      out.push({ file: relative(corpusDir, join(dir, f)), prefix: d.PREFIX ?? '', cert: d.TESTCTX?.CERTIFICATE, clock: d.TESTCTX?.VALIDATIONCLOCK, flags });
    }
  }
  return out;
}

function runVerify(c: Case): Promise<{ code: number | null; out: string; err: string }> {
  const args = [CHOT, 'verify', '--dcc-rules', 'none', '--skew', '0'];
  if (c.clock) args.push('--at', c.clock);
  if (c.cert) args.push('--dcc-cert', c.cert);
  args.push('--', c.prefix);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Returns why a verdict disagrees with a case, or undefined when it agrees. */
export function judge(flags: Record<string, boolean>, verdict: string, reason: string): string | undefined {
  const tested = Object.keys(flags);
  const failing = tested.filter((s) => !flags[s]);
  const blamed = BLAMES[reason] ?? [];
  const blamesUntested = blamed.some((s) => !tested.includes(s));
  if (!failing.length) {
    if (verdict === 'green') return undefined;
    if (blamesUntested) return undefined;
    return `expected green (or red for an untested step), got red ${reason} which blames ${blamed.join('/') || 'nothing'}`;
  }
  if (verdict !== 'red') return `expected red for ${failing.join(', ')}, got green`;
  if (blamed.some((s) => failing.includes(s)) || blamesUntested) return undefined;
  return `expected red blaming ${failing.join(' or ')} (or an untested step), got ${reason}`;
}

test('judge: the rules of the conformance comparison themselves', () => {
  assert.is(judge({ VERIFY: true }, 'green', 'ok'), undefined);
  assert.is(judge({ VERIFY: true, DECODE: true }, 'red', 'expired'), undefined, 'red for an untested step is allowed');
  assert.ok(judge({ VERIFY: true, EXPIRATIONCHECK: true }, 'red', 'expired'));
  assert.ok(judge({ VERIFY: false }, 'green', 'ok'));
  assert.is(judge({ VERIFY: false }, 'red', 'bad-signature'), undefined);
  assert.ok(judge({ VERIFY: false, KEYUSAGE: true }, 'red', 'key-usage'));
});

test('every EU DCC conformance case agrees with chot verify (--dcc-rules none)', corpus(async (dir) => {
  const all = cases(dir);
  assert.ok(all.length >= 90, `only ${all.length} cases found`);
  const disagreements: string[] = [];
  let green = 0, red = 0, allowed = 0;
  // a few processes at a time: each is a real `chot verify` run
  for (let i = 0; i < all.length; i += 4) {
    await Promise.all(all.slice(i, i + 4).map(async (c) => {
      const r = await runVerify(c);
      let v: { verdict: string; reason: string; detail?: string };
      try { v = JSON.parse(r.out); } catch { disagreements.push(`${c.file}: no JSON verdict (exit ${r.code}): ${r.err.split('\n')[0]}`); return; }
      if ((v.verdict === 'green') !== (r.code === 0)) disagreements.push(`${c.file}: exit ${r.code} for a ${v.verdict} verdict`);
      if (v.verdict === 'green') green++; else red++;
      const why = judge(c.flags, v.verdict, v.reason);
      if (!why) return;
      if (KNOWN_BAD[c.file]) { allowed++; return; }
      disagreements.push(`${c.file}: ${why}${v.detail ? ` (${v.detail})` : ''}`);
    }));
  }
  console.log(`  dcc conformance: ${all.length} cases, ${green} green, ${red} red, ${allowed} known-bad allowed, ${disagreements.length} disagreements`);
  for (const d of disagreements) console.log(`  DISAGREES ${d}`);
  assert.equal(disagreements, []);
}));

test.run();

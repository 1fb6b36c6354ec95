// chot verify on EU DCCs made in the test: every input gets one JSON line and exit 0 (green) or 1 (red), even a
// certificate whose signer holds a key chot cannot use; schema deviations ride along as warnings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { makeDcc, makeDsc, vaccination } from '../../protocol/test/dcc-maker.js';

const CHOT = new URL('../chot.js', import.meta.url).pathname;
const S = (iso: string) => Date.parse(iso) / 1000;
const validity = { notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z') };
const times = { iat: S('2021-07-01T00:00:00Z'), exp: S('2022-07-01T00:00:00Z') };

function verify(text: string, der: Uint8Array): { code: number | null; lines: string[]; err: string } {
  const r = spawnSync(process.execPath, [CHOT, 'verify', '--at', '2021-07-15T10:00:00Z', '--dcc-cert', Buffer.from(der).toString('base64'), '--', text], { encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.split('\n').filter(Boolean), err: r.stderr };
}

test('a DSC with an EC P-384 key: one JSON line, red unsupported-algorithm, exit 1 (not a usage error)', () => {
  const dsc = makeDsc({ ...validity, curve: 'P-384' });
  const r = verify(makeDcc(vaccination(), dsc, times), dsc.der);
  assert.is(r.code, 1, r.err);
  assert.is(r.lines.length, 1);
  const v = JSON.parse(r.lines[0]);
  assert.is(v.verdict, 'red');
  assert.is(v.reason, 'unsupported-algorithm');
  assert.match(v.detail, /secp384r1/);
  assert.ok(v.message.vi && v.message.en);
  assert.is(r.err, '');
});

test('null t and r beside v, and two v entries: green, exit 0, the warnings in the JSON line', () => {
  const dsc = makeDsc(validity);
  const [dose] = vaccination().v as Array<Record<string, unknown>>;
  const r = verify(makeDcc(vaccination({ t: null, r: null, v: [{ ...dose, dn: 1, ci: 'URN:UVCI:01:DE:ONE#1' }, dose] }), dsc, times), dsc.der);
  assert.is(r.code, 0, r.lines[0]);
  const v = JSON.parse(r.lines[0]);
  assert.is(v.verdict, 'green');
  assert.ok(v.warnings.includes('t must be array, got null (schema 1.3.0–1.3.1)'), v.warnings.join('\n'));
  assert.ok(v.warnings.includes('v holds 2 entries, must NOT have more than 1 items (schema 1.3.0–1.3.1)'), v.warnings.join('\n'));
  assert.equal(v.summary.warnings, v.warnings);
});

test.run();

// EU DCCs that bend the schema the way real issuers do, made and signed here (dcc-maker.ts): chot keeps strict
// what the verdict rests on (one kind of entry with content, the signature, the key usage, the dates) and
// reports every other deviation as a warning on the verdict. Keys or algorithms chot cannot verify are their
// own red reason. Needs no corpus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import {
  buildStatusList, dscEntry, dscEntryToWire, emptyStatusList, openTrustList, prepareDccSchemas, revocationHashes, schemaFamily, schemaWarnings,
  signTrustList, verifyDcc, type DccContext, type TrustList, type Verdict,
} from '../src/index.js';
import { EKU_TEST, makeDcc, makeDsc, testResult, vaccination, type Dsc } from './dcc-maker.js';

const S = (iso: string) => Date.parse(iso) / 1000;
const EMPTY: TrustList = { version: 0, issuedAt: 0, entries: [], byKid: new Map() };
const NOW = Date.parse('2021-07-15T10:00:00Z');
const times = { iat: S('2021-07-01T00:00:00Z'), exp: S('2022-07-01T00:00:00Z') };
const dsc = makeDsc({ notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z') });

function check(cert: unknown, over: Partial<DccContext> = {}, signer: Dsc = dsc): Verdict {
  return verifyDcc(makeDcc(cert, signer, times), { trust: EMPTY, status: emptyStatusList(), now: NOW, extraDsc: [dscEntry(signer.der, 'XX')], ...over });
}
const green = (v: Verdict) => assert.is(v.verdict, 'green', `${v.reason}: ${v.detail}`);
const redFor = (v: Verdict, reason: string, detail: RegExp) => {
  assert.is(v.verdict, 'red');
  assert.is(v.reason, reason, v.detail);
  assert.match(v.detail ?? '', detail);
};

test('a clean 1.3.0 certificate made here is green with no warnings (the maker itself is sound)', () => {
  const v = check(vaccination());
  green(v);
  assert.is(v.warnings, undefined);
  assert.is(v.summary?.name, 'Nguyễn Văn An');
  assert.is(v.summary?.proves, 'vaccination dose 2/2 (EU/1/20/1528) on 2021-06-01');
});

test('null t and r beside a v array: green, and the warning says what the schema wanted', () => {
  for (const ver of ['1.0.0', '1.2.1', '1.3.0']) {
    const v = check(vaccination({ ver, t: null, r: null }));
    green(v);
    assert.ok(v.warnings?.some((w) => /^t must be array, got null/.test(w)), `${ver}: ${v.warnings}`);
    assert.ok(v.warnings?.some((w) => /^r must be array, got null/.test(w)), `${ver}: ${v.warnings}`);
    assert.equal(v.summary?.warnings, v.warnings, 'the officer sees the same warnings');
  }
  // 1.3.0 also wants only one group present at all
  assert.ok(check(vaccination({ t: null })).warnings?.some((w) => /holds v and t; only one of v, t, r may be present/.test(w)));
  // an empty group beside content is no content either
  const empty = check(vaccination({ ver: '1.0.0', r: [] }));
  green(empty);
  assert.ok(empty.warnings?.some((w) => /^r holds 0 entries, must NOT have fewer than 1 items/.test(w)), String(empty.warnings));
});

test('several v entries: allowed up to 1.2 (no maximum), a warning in 1.3; the newest dose that meets the rules decides', () => {
  const dose = (dn: number, sd: number, dt: string, n: number) => ({ tg: '840539006', vp: '1119349007', mp: 'EU/1/20/1528', ma: 'ORG-100030215', dn, sd, dt, co: 'DE', is: 'RKI', ci: `URN:UVCI:01:DE:HISTORY${n}#A` });
  const history = vaccination({ ver: '1.0.0', v: [dose(1, 2, '2021-05-01', 1), dose(2, 2, '2021-06-01', 2)] });
  const v = check(history);
  green(v);
  assert.is(v.warnings, undefined, 'schema 1.0.0 has minItems 1 and no maximum');
  assert.is(v.summary?.proves, 'vaccination dose 2/2 (EU/1/20/1528) on 2021-06-01 (entry 2 of 2)');
  assert.is(v.passId, 'URN:UVCI:01:DE:HISTORY2#A');
  // order in the array does not matter
  green(check(vaccination({ ver: '1.0.0', v: [dose(2, 2, '2021-06-01', 2), dose(1, 2, '2021-05-01', 1)] })));
  // a booster three days ago does not undo a full course from June
  const booster = check(vaccination({ ver: '1.2.1', v: [dose(2, 2, '2021-06-01', 1), dose(3, 3, '2021-07-12', 2)] }));
  green(booster);
  assert.match(booster.summary?.proves ?? '', /dose 2\/2 .* \(entry 1 of 2\)/);
  // when no dose meets the rules, the newest one's reason is given
  const early = check(vaccination({ ver: '1.0.0', v: [dose(1, 2, '2021-05-01', 1), dose(2, 2, '2021-07-10', 2)] }));
  redFor(early, 'rule-failed', /none of its 2 vaccination entries meets the rules; the newest: last dose 2021-07-10 was 5 days ago, fewer than 14/);
  // 1.3.0 says one entry: still green, with the warning
  const v13 = check(vaccination({ v: [dose(1, 2, '2021-05-01', 1), dose(2, 2, '2021-06-01', 2)] }));
  green(v13);
  assert.equal(v13.warnings, ['v holds 2 entries, must NOT have more than 1 items (schema 1.3.0–1.3.1)']);
});

test('several test entries: the newest decides, an older negative does not outweigh a newer positive', () => {
  const t = (sc: string, tr: string, n: number) => ({ tg: '840539006', tt: 'LP6464-4', sc, tr, tc: 'Centre', co: 'AT', is: 'BMSGPK', ci: `URN:UVCI:01:AT:T${n}#B` });
  const v = check(testResult({ ver: '1.2.1', t: [t('2021-07-14T08:00:00Z', '260415000', 1), t('2021-07-15T08:00:00Z', '260373001', 2)] }));
  redFor(v, 'rule-failed', /test result "260373001" is not "not detected"/);
  assert.is(v.passId, 'URN:UVCI:01:AT:T2#B');
  green(check(testResult({ ver: '1.2.1', t: [t('2021-07-15T08:00:00Z', '260415000', 2), t('2021-07-10T08:00:00Z', '260373001', 1)] })));
});

test('revocation covers every entry of a certificate', () => {
  const [full] = vaccination().v as Array<Record<string, unknown>>;
  const cert = vaccination({ ver: '1.0.0', v: [full, { ...full, dn: 1, dt: '2021-05-01', ci: 'URN:UVCI:01:DE:FIRSTDOSE#Z' }] });
  const [byUci] = revocationHashes({ ci: 'URN:UVCI:01:DE:FIRSTDOSE#Z', co: 'DE' });
  const v = check(cert, { status: buildStatusList(2, 0, [], [], [byUci]) });
  redFor(v, 'revoked', /URN:UVCI:01:DE:FIRSTDOSE#Z is revoked/);
  assert.is(v.passId, 'URN:UVCI:01:DE:FIRSTDOSE#Z');
});

test('what the verdict rests on stays strict: red malformed with the reason', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...vaccination(), t: testResult().t }, /holds 2 kinds of entry with content \(v, t\), not exactly one/],
    [{ ...vaccination(), v: [] }, /holds 0 kinds of entry with content \(none\)/],
    [{ ...vaccination(), v: undefined, t: null }, /holds 0 kinds of entry/],
    [vaccination({ t: 'negative' }), /t is a string, not a list of entries/],
    [vaccination({ v: { dn: 2 } }), /v is an object, not a list of entries/],
    [vaccination({ v: [(vaccination().v as object[])[0], 'x'] }), /v\[1\] is not an object/],
    [vaccination({}, { ci: '' }), /v\[0\]\.ci \(certificate identifier\) is missing/],
    [vaccination({}, { co: undefined }), /v\[0\]\.co \(country\) is missing/],
    [vaccination({}, { dt: undefined }), /v\[0\]\.dt is missing/],
    [vaccination({}, { dn: 0 }), /v\[0\]\.dn and sd must be whole numbers ≥ 1/],
    [testResult({}, { sc: 20210715 }), /t\[0\]\.sc is not text/],
    [vaccination({ nam: { fn: '' } }), /nam holds no name/],
    [vaccination({ nam: 'NGUYEN' }), /nam holds no name/],
  ];
  for (const [cert, detail] of cases) {
    const v = check(JSON.parse(JSON.stringify(cert)));
    redFor(v, 'malformed', detail);
    assert.ok(v.message.vi && v.message.en);
  }
});

test('the signature, the key usage and the dates stay strict too', () => {
  const testOnly = makeDsc({ notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z'), eku: [EKU_TEST] });
  redFor(check(vaccination({ t: null }), {}, testOnly), 'key-usage', /may sign test, not vaccination/);
  green(check(testResult(), {}, testOnly));
  redFor(check(vaccination(), { now: Date.parse('2022-08-01T00:00:00Z') }), 'expired', /expired 2022-07-01/);
  const other = makeDsc({ notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z') });
  const forged = verifyDcc(makeDcc(vaccination(), other, times), { trust: EMPTY, status: emptyStatusList(), now: NOW, extraDsc: [{ ...dscEntry(dsc.der), kid: dscEntry(other.der).kid }] });
  redFor(forged, 'bad-signature', /does not verify/);
});

test('every other deviation is a warning, never a red: one line each, personal values not quoted', () => {
  const long = 'x'.repeat(81);
  const v = check(vaccination({ dob: '1980-1-31', nam: { fnt: 'Nguyen', gn: 'An' } }, { is: long, tg: undefined, ma: 42, dt: '2021-06-01T00:00:00' }));
  green(v);
  const w = v.warnings ?? [];
  assert.ok(w.includes('v[0].is must NOT have more than 80 characters, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (schema 1.3.0–1.3.1)'), w.join('\n'));
  assert.ok(w.includes('v[0].tg is missing (schema 1.3.0–1.3.1)'), w.join('\n'));
  assert.ok(w.includes('v[0].ma must be string, got 42 (schema 1.3.0–1.3.1)'), w.join('\n'));
  assert.ok(w.includes('v[0].dt must match format "date", got "2021-06-01T00:00:00" (schema 1.3.0–1.3.1)'), w.join('\n'));
  assert.ok(w.some((x) => /^dob must match pattern/.test(x)) && !w.some((x) => x.includes('1980-1-31')), 'date of birth not quoted');
  assert.ok(w.some((x) => /^nam\.fnt must match pattern/.test(x)) && !w.some((x) => x.includes('Nguyen')), 'name not quoted');
  // 1.0.x: 50 characters, doses 1–9, a test needs tc; 1.3: 80, no maximum, tc optional
  assert.equal(schemaWarnings(vaccination({ ver: '1.0.0' }, { is: 'x'.repeat(51), sd: 10, dn: 10 })), [
    'v[0].is must NOT have more than 50 characters, got "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (schema 1.0.x)', 'v[0].dn must be <= 9, got 10 (schema 1.0.x)', 'v[0].sd must be <= 9, got 10 (schema 1.0.x)',
  ]);
  assert.equal(schemaWarnings(vaccination({}, { is: 'x'.repeat(80), sd: 10, dn: 10 })), []);
  assert.equal(schemaWarnings(testResult({ ver: '1.2.1' }, { tc: undefined })), ['t[0].tc is missing (schema 1.2.x)']);
  assert.equal(schemaWarnings(testResult({}, { tc: undefined })), []);
});

test('each schema version by its own rules: dob forms, fnt or gnt, unknown versions', () => {
  // dob: 1.0 a full date; 1.1–1.2 also year or year-month; 1.3 also empty
  assert.equal(schemaWarnings(vaccination({ ver: '1.1.0', dob: '1980' })), []);
  assert.equal(schemaWarnings(vaccination({ ver: '1.3.0', dob: '' })), []);
  assert.equal(schemaWarnings(vaccination({ ver: '1.2.1', dob: '' })), ['dob must match pattern "^(19|20)\\d\\d(-\\d\\d){0,2}$" (schema 1.2.x)']);
  assert.equal(schemaWarnings(vaccination({ ver: '1.0.0', dob: '1980' })).length, 2, 'format date and pattern');
  assert.equal(schemaWarnings(vaccination({ ver: '1.0.0', dob: '1980-02-30' })), ['dob must match format "date" (schema 1.0.x)']);
  // nam: fnt required until 1.3.1; from 1.3.2 fnt or gnt
  const gntOnly = { nam: { gn: 'An', gnt: 'AN' } };
  assert.equal(schemaWarnings(vaccination({ ...gntOnly, ver: '1.3.2' })), []);
  assert.equal(schemaWarnings(vaccination({ ...gntOnly, ver: '1.3.1' })), ['nam.fnt is missing (schema 1.3.0–1.3.1)']);
  assert.equal(schemaWarnings(vaccination({ nam: { fn: 'Nguyễn' }, ver: '1.3.3' })), ['nam has neither fnt nor gnt (schema 1.3.2–1.3.3)']);
  green(check(vaccination({ ...gntOnly, ver: '1.3.2' })));
  // a version chot does not know: checked against the newest rules, and said so
  const v = check(vaccination({ ver: '2.0.0' }));
  green(v);
  assert.equal(v.warnings, ['schema version "2.0.0" is not one chot knows (1.0.0–1.3.3): checked against 1.3.2–1.3.3']);
  assert.ok(check(vaccination({ ver: undefined })).warnings?.includes('ver is missing (schema 1.3.2–1.3.3)'));
  assert.is(schemaFamily('1.3.1').label, '1.3.0–1.3.1');
  prepareDccSchemas(); // every version's rules compile under ajv's strict mode
  // many deviations: eight lines, then a count
  const messy = schemaWarnings({ ver: '1.0.0', nam: { fnt: 'a', gnt: 'b', fn: 1, gn: 2 }, dob: 3, v: [{ ci: 'u', co: 'de', dn: 1, sd: 1, dt: 'x' }] });
  assert.is(messy.length, 9);
  assert.match(messy[8], /^and \d+ more deviations from schema 1\.0\.x$/);
});

test('unsupported-algorithm: a DSC with an EC P-384 key, or a header naming ES384, is its own red reason', () => {
  const p384 = makeDsc({ notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z'), curve: 'P-384' });
  const entry = dscEntry(p384.der, 'XX');
  assert.is(entry.alg, null);
  assert.is(entry.unsupported, 'an EC secp384r1 key');
  const v = check(vaccination(), {}, p384);
  redFor(v, 'unsupported-algorithm', /holds an EC secp384r1 key, which chot cannot verify/);
  assert.match(v.message.vi, /cán bộ kiểm tra thủ công/);
  assert.match(v.message.en, /does not support/);
  // a header naming an algorithm chot does not verify, with a key it does
  const es384 = verifyDcc(makeDcc(vaccination(), dsc, { ...times, alg: -35 }), { trust: EMPTY, status: emptyStatusList(), now: NOW, extraDsc: [dscEntry(dsc.der)] });
  redFor(es384, 'unsupported-algorithm', /names algorithm -35 \(ES384\)/);
});

test('a trust list holding a P-384 DSC still opens: its certificates are red, the others green', () => {
  const root = generateKeyPairSync('ed25519');
  const p384 = makeDsc({ notBefore: S('2021-01-01T00:00:00Z'), notAfter: S('2023-01-01T00:00:00Z'), curve: 'P-384' });
  const trust = openTrustList(signTrustList(1, 0, [dscEntryToWire(p384.der, 'XX'), dscEntryToWire(dsc.der, 'DE')], root.privateKey), root.publicKey);
  assert.is(trust.entries.length, 2);
  const ctx = { trust, status: emptyStatusList(), now: NOW };
  green(verifyDcc(makeDcc(vaccination(), dsc, times), ctx));
  assert.is(verifyDcc(makeDcc(vaccination(), p384, times), ctx).reason, 'unsupported-algorithm');
});

test.run();

// EU DCC verification beyond the conformance corpus: revocation, acceptance rules, kid collisions, DSCs from
// the signed trust list, and mutations. Real certificates from the dcc-testdata corpus (lib/corpora.ts; never
// copied here), read when a test runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import {
  buildStatusList, dscEntry, dscEntryToWire, emptyStatusList, openTrustList, revocationHashes, signTrustList, verifyDcc, verifyQr,
  wrapEnvelope, DCC_PREFIX, DEFAULT_DCC_RULES, type TrustList,
} from '../src/index.js';
import { needsCorpus } from '../../lib/corpora.js';

const corpus = needsCorpus('dcc-testdata', 'protocol/test/dcc: EU DCC revocation, rules, kid collisions and mutations on real certificates');
type Case = { text: string; der: Uint8Array; now: number; json: { v: Array<Record<string, unknown>>; dob: string } };
const load = (dir: string, rel: string): Case => {
  const p = join(dir, rel);
  assert.ok(existsSync(p), `missing ${p}: run scripts/get-corpora.sh dcc-testdata`);
  const d = JSON.parse(readFileSync(p, 'utf8'));
  return { text: d.PREFIX as string, der: new Uint8Array(Buffer.from(d.TESTCTX.CERTIFICATE, 'base64')), now: Date.parse(d.TESTCTX.VALIDATIONCLOCK), json: d.JSON };
};
/** A test body given the German vaccination certificate every test here starts from, and the corpus folder. */
const withDe = (body: (de: Case, dir: string) => void) => corpus((dir) => body(load(dir, 'DE/2DCode/raw/1.json'), dir));
const EMPTY: TrustList = { version: 0, issuedAt: 0, entries: [], byKid: new Map() };

test('a German vaccination certificate: green with no rules, and the officer sees name, date of birth and what it proves', withDe((de) => {
  const v = verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [dscEntry(de.der)], rules: null });
  assert.is(v.verdict, 'green', v.detail);
  assert.is(v.summary?.name, 'Mustermann Erika');
  assert.is(v.summary?.dateOfBirth, '1964-08-12');
  assert.match(v.summary?.proves ?? '', /vaccination dose 2\/2/);
  assert.equal((v.certificate as Record<string, unknown>).dob, de.json.dob);
  assert.is(v.origin, 'DE', 'the issuing country, for the hub\'s movement figures');
}));

test('the same certificate trusted through the root-signed trust list, not given directly', withDe((de) => {
  const root = generateKeyPairSync('ed25519');
  const trust = openTrustList(signTrustList(1, 0, [dscEntryToWire(de.der, 'DE')], root.privateKey), root.publicKey);
  assert.is(trust.entries[0].kind, 'dsc');
  assert.is(verifyQr(de.text, { trust, status: emptyStatusList(), now: de.now, checkpoint: { area: 'VN' }, dccRules: null, skewSeconds: 0 }).verdict, 'green');
  assert.is(verifyQr(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, checkpoint: { area: 'VN' }, dccRules: null }).reason, 'unknown-key');
}));

test('kid collision: every DSC with the kid is tried', withDe((de) => {
  const real = dscEntry(de.der);
  const impostor = { ...real, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey };
  const v = verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [impostor, real], rules: null });
  assert.is(v.verdict, 'green', v.detail);
  assert.is(verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [impostor], rules: null }).reason, 'bad-signature');
}));

test('revoked: by SHA-256 of the UCI, of country + UCI, or of the signature (first 16 bytes)', withDe((de) => {
  const ci = (de.json.v[0].ci as string);
  const hashes = revocationHashes({ ci, co: de.json.v[0].co });
  for (const h of hashes) {
    const status = buildStatusList(2, 0, [], [], [h]);
    const v = verifyDcc(de.text, { trust: EMPTY, status, now: de.now, extraDsc: [dscEntry(de.der)], rules: null });
    assert.is(v.reason, 'revoked', v.detail);
  }
}));

test('rule-failed: the default rules (full vaccination 14 days ago; NAAT 72 h, antigen 24 h; recovery 180 days)', withDe((de, dir) => {
  // DE/1: dose 2/2 on 2021-05-29, checked 2021-06-01: 3 days is too soon
  const v = verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [dscEntry(de.der)] });
  assert.is(v.reason, 'rule-failed');
  assert.match(v.detail ?? '', /3 days ago, fewer than 14/);
  assert.is(verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: Date.parse('2021-06-20T00:00:00Z'), extraDsc: [dscEntry(de.der)] }).verdict, 'green');
  // AT/3 and AT/4: tests whose validity ran out at the case's clock
  for (const f of ['AT/2DCode/raw/3.json', 'AT/2DCode/raw/4.json']) {
    const c = load(dir, f);
    const r = verifyDcc(c.text, { trust: EMPTY, status: emptyStatusList(), now: c.now, extraDsc: [dscEntry(c.der)], rules: DEFAULT_DCC_RULES, checkTime: true, skewSeconds: 0 });
    assert.is(r.reason, 'rule-failed', `${f}: ${r.reason} ${r.detail}`);
    assert.match(r.detail ?? '', /test taken \d+ h ago, more than (72|24) h/);
  }
}));

test('the traveller reads a reason in Vietnamese and English', withDe((de) => {
  const v = verifyDcc(de.text, { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [dscEntry(de.der)] });
  assert.ok(v.message.vi.length > 10 && v.message.en.length > 10);
}));

test('a zip bomb behind HC1: is malformed, not inflated', () => {
  const v = verifyDcc(wrapEnvelope(new Uint8Array(1_000_000), DCC_PREFIX), { trust: EMPTY, status: emptyStatusList(), now: Date.parse('2021-06-01T00:00:00Z') });
  assert.is(v.reason, 'malformed');
  assert.match(v.detail ?? '', /inflates to more than/);
});

test('every single-character change of a real certificate is never green', withDe((de) => {
  const ctx = { trust: EMPTY, status: emptyStatusList(), now: de.now, extraDsc: [dscEntry(de.der)], rules: null };
  const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  let n = 0;
  for (let i = DCC_PREFIX.length; i < de.text.length; i++) {
    const ch = A[(A.indexOf(de.text[i]) + 7) % 45];
    const v = verifyDcc(de.text.slice(0, i) + ch + de.text.slice(i + 1), ctx);
    if (v.verdict === 'green') assert.unreachable(`change at ${i} stayed green`);
    n++;
  }
  assert.ok(n > 300);
}));

test('a web link is not a pass: red with a clear reason, never silence', () => {
  const v = verifyQr('https://example.vn/khai-bao', { trust: EMPTY, status: emptyStatusList(), now: 0, checkpoint: { area: 'VN' } });
  assert.is(v.reason, 'unsupported-format');
  assert.match(v.detail ?? '', /neither a chot pass \(VN1:\) nor an EU DCC \(HC1:\)/);
});

test.run();

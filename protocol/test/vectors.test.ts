// Known-answer vectors: fixed keys and claims must give exactly these bytes, so a change to the wire format
// cannot slip through unnoticed. Fixtures were made once and are committed (protocol/test/fixtures/vectors.json).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import {
  encodeCbor, fromHex, hex, issuePass, openStatusList, buildStatusList, signStatusList, openTrustList, passToClaims,
  toBeSigned, unwrapEnvelope, verifyPass, kidOf, spkiOf, type Pass,
} from '../src/index.js';
import { repoRoot } from './world.js';

const fx = JSON.parse(readFileSync(`${repoRoot}protocol/test/fixtures/vectors.json`, 'utf8'));
const pass: Pass = { ...fx.pass, id: fromHex(fx.pass.id), holderToken: fromHex(fx.pass.holderToken) };
const rootPub = createPublicKey(fx.rootPublicKey);
const trust = openTrustList(fromHex(fx.trustListHex), rootPub);
const status = openStatusList(signStatusList(buildStatusList(1, 0, [], []), createPrivateKey(fx.rootPrivateKey)), rootPub);

test('claims encode to the committed bytes', () => {
  assert.is(hex(encodeCbor(passToClaims(pass))), fx.claimsHex);
});

for (const v of fx.vectors) {
  test(`${v.alg}: key id, protected header and Sig_structure are exact`, () => {
    const key = createPrivateKey(v.privateKey);
    assert.is(hex(kidOf(spkiOf(createPublicKey(key)))), v.kid);
    assert.is(hex(toBeSigned(fromHex(v.protectedHex), fromHex(fx.claimsHex))), v.toBeSignedHex);
  });
  test(`${v.alg}: the committed pass verifies green`, () => {
    const r = verifyPass(v.text, { trust, status, now: Date.parse(fx.at), checkpoint: { area: fx.checkpoint } });
    assert.is(r.verdict, 'green', r.detail);
    assert.is(r.passId, fx.pass.id);
  });
  if (v.deterministic) {
    test(`${v.alg}: signing the same pass gives the same QR text, byte for byte`, () => {
      assert.is(issuePass(pass, createPrivateKey(v.privateKey)), v.text);
      assert.is(hex(unwrapEnvelope(v.text, 'VN1:')), v.coseHex);
    });
  }
}

test('the trust list was signed by the committed root and holds both keys', () => {
  assert.is(trust.entries.length, 2);
  assert.equal(trust.entries.map((e) => e.alg), ['EdDSA', 'ES256']);
});

test.run();

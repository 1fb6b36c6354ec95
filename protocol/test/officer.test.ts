import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import {
  buildStatusList, decodeSign1, encodeCbor, issueOfficer, openStatusList, parseScanBatch, signStatusList, unwrapEnvelope, verifyOfficer,
  verifyQr, wrapEnvelope, OFFICER_PREFIX, PASS_LIMITS, Tagged, type Officer,
} from '../src/index.js';
import { T0, ctx, makeWorld } from './world.js';

const w = makeWorld();
const card = (over: Partial<Officer> = {}): Officer => ({
  id: new Uint8Array(randomBytes(8)), code: 'CA79-01234', name: 'Trần Văn Bình', issuer: 'VN-BYT',
  issuedAt: T0, validFrom: T0, validUntil: T0 + 90 * 86400, areas: ['79'], ...over,
});

test('a card signed by a key allowed to issue official credentials signs in: code and name, nothing else', () => {
  const text = issueOfficer(card(), w.ec.privateKey);
  assert.ok(text.startsWith(OFFICER_PREFIX));
  const r = verifyOfficer(text, ctx(w));
  assert.ok(r.ok, JSON.stringify(r));
  if (r.ok) assert.equal([r.officer.code, r.officer.name], ['CA79-01234', 'Trần Văn Bình']);
});

test('forged, expired, revoked, wrong-area and unauthorised cards are refused with a reason in words', () => {
  const no = (text: string, reason: string, c = ctx(w)) => {
    const r = verifyOfficer(text, c);
    assert.is(r.ok, false);
    if (!r.ok) { assert.is(r.reason, reason, r.detail); assert.ok(r.message.vi && r.message.en); }
  };
  const good = issueOfficer(card(), w.ec.privateKey);
  // forged: the body changed after signing (a different name in the same envelope) is a bad signature
  const other = issueOfficer(card({ name: 'Kẻ Giả Mạo' }), w.ec.privateKey);
  const a = decodeSign1(unwrapEnvelope(good, OFFICER_PREFIX, PASS_LIMITS)), b = decodeSign1(unwrapEnvelope(other, OFFICER_PREFIX, PASS_LIMITS));
  no(wrapEnvelope(encodeCbor(new Tagged(18, [a.protectedBytes, a.unprotectedHeader, b.payload, a.signature])), OFFICER_PREFIX), 'bad-signature');
  no(issueOfficer(card(), w.root.privateKey), 'unknown-key');
  no(good, 'expired', ctx(w, { now: (T0 + 91 * 86400) * 1000 }));
  no(good, 'not-yet-valid', ctx(w, { now: (T0 - 86400) * 1000 }));
  // the HCMC health department may not issue official credentials
  no(issueOfficer(card({ issuer: 'VN-79' }), w.ed.privateKey), 'issuer-not-allowed');
  no(good, 'wrong-area', ctx(w, { checkpoint: { area: '01' } }));
  const c = card();
  const revoked = openStatusList(signStatusList(buildStatusList(2, T0, [], [c.id]), w.root.privateKey), w.root.publicKey);
  no(issueOfficer(c, w.ec.privateKey), 'revoked', ctx(w, { status: revoked }));
  no(`${OFFICER_PREFIX}%%%`, 'malformed');
  no('VN1:ABC', 'unsupported-format');
});

test('a card is never taken for a pass; a scan record carries a well-formed officer code and nothing else', () => {
  assert.is(verifyQr(issueOfficer(card(), w.ec.privateKey), ctx(w)).verdict, 'red');
  const rec = { id: '01J0000000000000000000000A', at: 1, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'sim', ms: 1 };
  assert.ok(parseScanBatch(JSON.stringify({ v: 1, kiosk: 'k1', scans: [{ ...rec, officer: 'CA79-01234' }] })).ok);
  assert.is(parseScanBatch(JSON.stringify({ v: 1, kiosk: 'k1', scans: [{ ...rec, officer: 'f:x y' }] })).ok, false, 'an officer code is never free text');
  assert.throws(() => issueOfficer(card({ code: 'a b' }), w.ec.privateKey), /officer field code/);
});

test.run();

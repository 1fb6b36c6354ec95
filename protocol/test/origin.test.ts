// Where a traveller comes from: the origin a scan record carries (issue 17), from the verified signer of the code,
// and the strict pattern the hub takes it by (it becomes a counter key).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { originOf, parseScanBatch, verifyPass, ORIGIN_PATTERN } from '../src/index.js';
import { ctx, issuePass, makeWorld, shipperPass } from './world.js';

const w = makeWorld();

test('a pass issuer names its province; a national issuer is VN; an EU DCC issuer is its country; anything else none', () => {
  assert.is(originOf('pass', 'VN-79'), 'VN-79');
  assert.is(originOf('pass', 'VN-79-760'), 'VN-79', 'a district office: its province');
  assert.is(originOf('pass', 'VN-BYT'), 'VN', 'the ministry: the country, province unknown');
  assert.is(originOf('pass', 'VN-00'), undefined);
  for (const bad of ['', 'HCMC', 'vn-79', 'VN-7', 'XX-79', 'VN-79\n', 'VN-79 x']) assert.is(originOf('pass', bad), undefined, JSON.stringify(bad));
  assert.is(originOf('dcc', 'DE'), 'DE');
  for (const bad of ['de', 'DEU', 'D', 'Robert Koch-Institut', '']) assert.is(originOf('dcc', bad), undefined, JSON.stringify(bad));
  assert.is(originOf('pass', undefined), undefined);
});

test('the verdict carries the origin of the key that signed, green or red', () => {
  const green = verifyPass(issuePass(shipperPass(), w.ed.privateKey), ctx(w));
  assert.is(green.verdict, 'green', green.detail);
  assert.is(green.origin, 'VN-79');
  const national = verifyPass(issuePass(shipperPass({ issuer: 'VN-BYT', category: 'official', areas: ['VN'], hours: [] }), w.ec.privateKey), ctx(w));
  assert.is(national.origin, 'VN');
  const district = verifyPass(issuePass(shipperPass({ issuer: 'VN-79-760', category: 'shipper', areas: ['79/26734'] }), w.district.privateKey), ctx(w));
  assert.equal([district.verdict, district.reason, district.origin], ['red', 'issuer-not-allowed', 'VN-79'], 'red, yet signed: the origin is known');
  // a pass that claims another issuer than its key's: the origin is the key's (the trust list's), not the claim
  const claims = verifyPass(issuePass(shipperPass({ issuer: 'VN-01' }), w.ed.privateKey), ctx(w));
  assert.equal([claims.reason, claims.origin], ['issuer-not-allowed', 'VN-79']);
  const unknown = verifyPass('VN1:NOT-A-PASS', ctx(w));
  assert.is(unknown.origin, undefined, 'nothing verified, no origin');
});

test('scan records: the origin is optional (older kiosks) and never free text', () => {
  const rec = { id: '01J0000000000000000000000A', at: 1, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 1 };
  const batch = (over: Record<string, unknown>) => parseScanBatch(JSON.stringify({ v: 1, kiosk: 'k1', scans: [{ ...rec, ...over }] }));
  assert.ok(batch({}).ok, 'a record without an origin, as older kiosks send');
  for (const o of ['VN-79', 'VN', 'DE']) assert.ok(batch({ origin: o }).ok, o);
  for (const o of ['VN-79-760', 'vn-79', 'o:VN-79:green', 'DEU', '', 'VN-7', 'VN-79\u0000']) {
    const r = batch({ origin: o });
    assert.is(r.ok, false, JSON.stringify(o));
    if (!r.ok) assert.match(r.error, /\/scans\/0\/origin must match pattern/);
  }
  assert.is(ORIGIN_PATTERN, '^(VN-[0-9]{2}|[A-Z]{2})$');
});

test.run();

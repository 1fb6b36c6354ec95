import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import {
  buildStatusList, decodeSign1, encodeCbor, encodeSign1, kidOf, spkiOf, verifyPass, wrapEnvelope, unwrapEnvelope,
  PASS_PREFIX, Tagged, passToClaims, PASSAGE_REASONS, REASONS, type Reason, type CborValue,
} from '../src/index.js';
import { T0, ctx, issuePass, makeWorld, shipperPass } from './world.js';

const w = makeWorld();
const seen = new Set<Reason>();
const expectRed = (text: string, reason: Reason, c = ctx(w)) => {
  const v = verifyPass(text, c);
  assert.is(v.verdict, 'red', `expected red ${reason}, got ${v.verdict} ${v.reason} ${v.detail ?? ''}`);
  assert.is(v.reason, reason, v.detail);
  assert.ok(v.message.vi.length > 0 && v.message.en.length > 0, 'a red verdict tells the traveller why');
  seen.add(reason);
  return v;
};

test('a valid shipper pass signed with EdDSA is green with the officer summary', () => {
  const p = shipperPass();
  const v = verifyPass(issuePass(p, w.ed.privateKey), ctx(w));
  assert.is(v.verdict, 'green', v.detail);
  assert.is(v.reason, 'ok');
  assert.is(v.summary?.name, 'Nguyễn Thị Hồng Nhung');
  assert.is(v.summary?.idLast4, '4821');
  assert.is(v.summary?.plate, '51C-123.45');
  assert.is(v.summary?.category, 'shipper');
  assert.is(v.summary?.validUntil, new Date((T0 + 14 * 86400) * 1000).toISOString().replace('.000Z', 'Z'));
  assert.is(v.passId, Buffer.from(p.id).toString('hex'));
  assert.is(v.message.vi, 'Hợp lệ. Mời qua.');
});

test('a national pass signed with ES256 is green anywhere in its areas', () => {
  const text = issuePass(shipperPass({ issuer: 'VN-BYT', category: 'official', areas: ['VN'], hours: [] }), w.ec.privateKey);
  assert.is(verifyPass(text, ctx(w, { checkpoint: { area: '01/00004' } })).verdict, 'green');
});

test('unsupported-format: a web link, a bank QR, an empty string', () => {
  expectRed('https://tokhaiyte.vn/?id=123', 'unsupported-format');
  expectRed('00020101021238570010A000000727012700069704220113', 'unsupported-format');
  expectRed('', 'unsupported-format');
});

test('malformed: bad Base45, not zlib, truncated COSE, claims of the wrong type, a zip bomb', () => {
  expectRed('VN1:', 'malformed');
  expectRed('VN1:abc', 'malformed');
  expectRed('VN1:GGW', 'malformed');
  expectRed(PASS_PREFIX + 'A'.repeat(30), 'malformed');
  const good = issuePass(shipperPass(), w.ed.privateKey);
  expectRed(good.slice(0, good.length - 30), 'malformed');
  // a zip bomb: 1 MB of zeros compresses to ~1 KB of Base45
  expectRed(wrapEnvelope(new Uint8Array(1_000_000), PASS_PREFIX), 'malformed');
  // correctly signed, but the claims are not a pass
  const kid = kidOf(spkiOf(w.ed.publicKey));
  expectRed(wrapEnvelope(encodeSign1(encodeCbor(new Map([[1, 'VN-79']])), 'EdDSA', kid, w.ed.privateKey), PASS_PREFIX), 'malformed');
  // correctly signed, a name of the wrong type
  const claims = passToClaims(shipperPass());
  (claims.get(-65537) as Map<number, unknown>).set(1, 42 as never);
  expectRed(wrapEnvelope(encodeSign1(encodeCbor(claims), 'EdDSA', kid, w.ed.privateKey), PASS_PREFIX), 'malformed');
  // a text far longer than any QR holds
  expectRed(PASS_PREFIX + '0'.repeat(100_000), 'malformed');
});

test('unknown-key: a key that is not in the trust list', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  expectRed(issuePass(shipperPass(), generateKeyPairSync('ed25519').privateKey), 'unknown-key');
});

test('bad-signature: a forged signature, and a header that names another algorithm', () => {
  const text = issuePass(shipperPass(), w.ed.privateKey);
  const s = decodeSign1(unwrapEnvelope(text, PASS_PREFIX));
  const forged = new Uint8Array(s.signature); forged[10] ^= 1;
  expectRed(wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, s.payload, forged])), PASS_PREFIX), 'bad-signature');
  // the holder edits the claims and keeps the signature
  const edited = encodeCbor(passToClaims(shipperPass({ validUntil: T0 + 365 * 86400 })));
  expectRed(wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, edited, s.signature])), PASS_PREFIX), 'bad-signature');
  // alg confusion: protected header says ES256 for an EdDSA key
  const kid = kidOf(spkiOf(w.ed.publicKey));
  const ph = encodeCbor(new Map<number, CborValue>([[1, -7], [4, kid]]));
  expectRed(wrapEnvelope(encodeCbor(new Tagged(18, [ph, new Map(), s.payload, s.signature])), PASS_PREFIX), 'bad-signature');
});

test('issuer-not-allowed: a district office issuing a shipper pass or for another province, a foreign issuer code', () => {
  expectRed(issuePass(shipperPass({ issuer: 'VN-79-760', category: 'shipper', areas: ['79/26734'] }), w.district.privateKey), 'issuer-not-allowed');
  expectRed(issuePass(shipperPass({ issuer: 'VN-79-760', category: 'resident', areas: ['79'] }), w.district.privateKey), 'issuer-not-allowed');
  expectRed(issuePass(shipperPass({ areas: ['01'] }), w.ed.privateKey), 'issuer-not-allowed');
  expectRed(issuePass(shipperPass({ category: 'official' }), w.ed.privateKey), 'issuer-not-allowed');
  expectRed(issuePass(shipperPass({ issuer: 'VN-BYT' }), w.ed.privateKey), 'issuer-not-allowed');
  // the district office within its rights is green
  const ok = verifyPass(issuePass(shipperPass({ issuer: 'VN-79-760', category: 'resident', areas: ['79/26734'] }), w.district.privateKey), ctx(w));
  assert.is(ok.verdict, 'green', ok.detail);
});

test('key-not-valid: a pass issued before or after its issuer key\'s validity, in its own words', () => {
  const year = 365 * 86400;
  // the check is on the issue date, so the pass itself is within its dates at the time of the check
  const after = expectRed(issuePass(shipperPass({ issuedAt: T0 + 2 * year, validFrom: T0, validUntil: T0 + 3 * year }), w.ed.privateKey), 'key-not-valid');
  assert.match(after.detail!, /^issued at 2023-09-10T01:00:00Z, outside the key's validity 2020-09-10T01:00:00Z–2022-09-10T01:00:00Z$/);
  assert.match(after.message.en, /signing key was not valid on the day the pass was issued/);
  assert.is.not(after.message.en, REASONS['issuer-not-allowed'][1]);
  expectRed(issuePass(shipperPass({ issuedAt: T0 - 2 * year, validFrom: T0, validUntil: T0 + 14 * 86400 }), w.ed.privateKey), 'key-not-valid');
  // the last second of the key's validity still counts
  const edge = verifyPass(issuePass(shipperPass({ issuedAt: T0 + year }), w.ed.privateKey), ctx(w));
  assert.is(edge.verdict, 'green', edge.detail);
});

test('not-yet-valid and expired, with the clock-skew tolerance', () => {
  const text = issuePass(shipperPass({ validFrom: T0 + 86400, validUntil: T0 + 2 * 86400 }), w.ed.privateKey);
  expectRed(text, 'not-yet-valid', ctx(w, { now: T0 * 1000 }));
  expectRed(text, 'expired', ctx(w, { now: (T0 + 3 * 86400) * 1000 }));
  // 4 minutes early is within the default 5-minute skew
  assert.is(verifyPass(text, ctx(w, { now: (T0 + 86400 - 240) * 1000 + 7 * 3600e3 * 0 })).reason === 'not-yet-valid', false);
  assert.is(verifyPass(text, ctx(w, { now: (T0 + 86400 - 240) * 1000, skewSeconds: 60 })).reason, 'not-yet-valid');
  // an unsynchronised clock with a policy not to decide on time: no time reasons
  assert.is(verifyPass(text, ctx(w, { now: 0, checkTime: false })).verdict, 'green');
});

test('outside-hours: windows are local time at the checkpoint, including across midnight', () => {
  const day = issuePass(shipperPass({ hours: [[5 * 60, 22 * 60]] }), w.ed.privateKey);
  const at = (hhmm: string) => Date.parse(`2021-09-11T${hhmm}:00+07:00`);
  expectRed(day, 'outside-hours', ctx(w, { now: at('22:30') }));
  expectRed(day, 'outside-hours', ctx(w, { now: at('04:59') }));
  assert.is(verifyPass(day, ctx(w, { now: at('05:00') })).verdict, 'green');
  const night = issuePass(shipperPass({ hours: [[22 * 60, 6 * 60]] }), w.ed.privateKey);
  assert.is(verifyPass(night, ctx(w, { now: at('23:30') })).verdict, 'green');
  assert.is(verifyPass(night, ctx(w, { now: at('02:00') })).verdict, 'green');
  expectRed(night, 'outside-hours', ctx(w, { now: at('12:00') }));
  // the same instant is 23:30 in Hanoi but 18:30 in Paris
  assert.is(verifyPass(night, ctx(w, { now: at('23:30'), checkpoint: { area: '79', timeZone: 'Europe/Paris' } })).reason, 'outside-hours');
});

test('wrong-area: a pass for one unit is red at a checkpoint in another', () => {
  const text = issuePass(shipperPass({ areas: ['79/26734'] }), w.ed.privateKey);
  expectRed(text, 'wrong-area', ctx(w, { checkpoint: { area: '79/26737' } }));
  expectRed(text, 'wrong-area', ctx(w, { checkpoint: { area: '74' } }));
  assert.is(verifyPass(text, ctx(w, { checkpoint: { area: '79/26734' } })).verdict, 'green');
});

test('revoked: a pass id in the status list', () => {
  const p = shipperPass();
  const status = buildStatusList(2, T0, [], [p.id]);
  expectRed(issuePass(p, w.ed.privateKey), 'revoked', ctx(w, { status }));
});

test('health-status: F0 or F1 at issue, or the holder turned F0/F1 after issue, without a reissue', () => {
  expectRed(issuePass(shipperPass({ health: 'F1' }), w.ed.privateKey), 'health-status');
  const p = shipperPass();
  const text = issuePass(p, w.ed.privateKey);
  assert.is(verifyPass(text, ctx(w)).verdict, 'green');
  expectRed(text, 'health-status', ctx(w, { status: buildStatusList(2, T0, [[p.holderToken, 'F0']], []) }));
  expectRed(text, 'health-status', ctx(w, { status: buildStatusList(2, T0, [[p.holderToken, 'F1']], []) }));
  // F2 and F3 are contacts of contacts: still green
  assert.is(verifyPass(text, ctx(w, { status: buildStatusList(2, T0, [[p.holderToken, 'F2']], []) })).verdict, 'green');
});

test('declaration-stale: the checkpoint wants a declaration no older than N hours', () => {
  const text = issuePass(shipperPass({ declaredAt: T0 - 30 * 3600 }), w.ed.privateKey);
  expectRed(text, 'declaration-stale', ctx(w, { checkpoint: { area: '79', maxDeclarationAgeHours: 24 } }));
  assert.is(verifyPass(text, ctx(w, { checkpoint: { area: '79', maxDeclarationAgeHours: 48 } })).verdict, 'green');
});

test('category-refused: a checkpoint that takes only goods transport', () => {
  expectRed(issuePass(shipperPass(), w.ed.privateKey), 'category-refused', ctx(w, { checkpoint: { area: '79', acceptedCategories: ['goods'] } }));
});

test('every pass reason above was produced by a test', () => {
  // the DCC-only reasons, the kiosk's own, and a gate's passage records (never a verdict on a code) aside
  const passReasons = (Object.keys(REASONS) as Reason[]).filter((r) => !['ok', 'key-usage', 'rule-failed', 'unsupported-algorithm', 'clock-unsynced', ...PASSAGE_REASONS].includes(r));
  for (const r of passReasons) assert.ok(seen.has(r), `no test produced ${r}`);
});

test('verify never throws on non-string input', () => {
  for (const x of [undefined, null, 42, {}, []]) assert.is(verifyPass(x as unknown as string, ctx(w)).verdict, 'red');
  void randomBytes;
});

test.run();

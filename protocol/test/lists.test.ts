import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  applyStatusDelta, buildStatusList, decodeSign1, encodeCbor, healthOf, makeDelta, openStatusDelta, openStatusList,
  openTrustList, signStatusDelta, signStatusList, signTrustList, ListError, Tagged, KeySet, type CborValue,
} from '../src/index.js';
import { T0, makeWorld } from './world.js';

const w = makeWorld();
const code = (c: string) => (e: Error) => e instanceof ListError && e.code === c;
const tok = () => new Uint8Array(randomBytes(8));

test('trust list: a good list opens; every issuer keeps its categories and areas', () => {
  const t = openTrustList(w.trustBytes, w.root.publicKey);
  assert.is(t.entries.length, 3);
  assert.equal(t.entries[2].categories, ['resident']);
  assert.equal(t.entries[2].areas, ['79/26734']);
});

test('trust list: a bad signature, another root, a flipped byte are refused', () => {
  const other = generateKeyPairSync('ed25519');
  assert.throws(() => openTrustList(w.trustBytes, other.publicKey), code('bad-signature'));
  const s = decodeSign1(w.trustBytes);
  const payload = new Uint8Array(s.payload); payload[payload.length - 1] ^= 1;
  const tampered = encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, payload, s.signature]));
  assert.throws(() => openTrustList(tampered, w.root.publicKey), code('bad-signature'));
});

test('trust list: an older or equal version than the one held is refused; a newer one is taken', () => {
  const v2 = signTrustList(2, T0, [], w.root.privateKey);
  const held = openTrustList(v2, w.root.publicKey);
  assert.throws(() => openTrustList(w.trustBytes, w.root.publicKey, held), code('old-version'));
  assert.throws(() => openTrustList(v2, w.root.publicKey, held), code('old-version'));
  assert.is(openTrustList(signTrustList(3, T0, [], w.root.privateKey), w.root.publicKey, held).version, 3);
});

test('trust list: malformed bodies are refused with the field named', () => {
  assert.throws(() => openTrustList(new Uint8Array([1, 2, 3]), w.root.publicKey), code('malformed'));
  const bad = signTrustList(1, T0, [new Map<number, CborValue>([[1, new Uint8Array(8)], [2, 0], [3, new Uint8Array([1, 2, 3])], [4, 'X'], [5, 'Y']])], w.root.privateKey);
  assert.throws(() => openTrustList(bad, w.root.publicKey), (e: Error) => e instanceof ListError && /trust entry 0 \(X\)/.test(e.message));
});

test('a status list cannot be passed off as a trust list (and back)', () => {
  const status = signStatusList(buildStatusList(5, T0, [], []), w.root.privateKey);
  assert.throws(() => openTrustList(status, w.root.publicKey), code('wrong-kind'));
  // (a trust list is refused by the status list's item cap before its kind is even read)
  assert.throws(() => openStatusList(w.trustBytes, w.root.publicKey), (e: Error) => e instanceof ListError);
  const tiny = signTrustList(9, T0, [], w.root.privateKey);
  assert.throws(() => openStatusList(tiny, w.root.publicKey), code('wrong-kind'));
});

test('status list: version, bad signature, unsorted records', () => {
  const a = tok();
  const v1 = openStatusList(signStatusList(buildStatusList(1, T0, [[a, 'F0']], []), w.root.privateKey), w.root.publicKey);
  assert.is(healthOf(v1, a), 'F0');
  assert.is(healthOf(v1, tok()), undefined);
  assert.throws(() => openStatusList(signStatusList(buildStatusList(1, T0, [], []), w.root.privateKey), w.root.publicKey, v1), code('old-version'));
  const other = generateKeyPairSync('ed25519');
  assert.throws(() => openStatusList(signStatusList(buildStatusList(2, T0, [], []), other.privateKey), w.root.publicKey), code('bad-signature'));
  assert.throws(() => KeySet.fromRecords(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]), 8, false), /sorted and unique/);
});

test('status delta: N to N+1 applies; the result equals the full list N+1', () => {
  const keep = Array.from({ length: 50 }, tok), drop = Array.from({ length: 20 }, tok), add = Array.from({ length: 30 }, tok);
  const passes = Array.from({ length: 10 }, tok);
  const v1 = buildStatusList(1, T0, [...keep, ...drop].map((t) => [t, 'F1'] as const) as never, passes.slice(0, 5));
  const v2 = buildStatusList(2, T0 + 60, [...keep.map((t, i) => [t, i % 2 ? 'F0' : 'F1']), ...add.map((t) => [t, 'F0'])] as never, passes.slice(3));
  const delta = openStatusDelta(signStatusDelta(makeDelta(v1, v2), w.root.privateKey), w.root.publicKey);
  const applied = applyStatusDelta(v1, delta);
  assert.is(applied.version, 2);
  assert.equal(applied.holders.toRecords(), v2.holders.toRecords());
  assert.equal(applied.revokedPasses.toRecords(), v2.revokedPasses.toRecords());
  for (const t of drop) assert.is(healthOf(applied, t), undefined);
  assert.is(healthOf(applied, keep[1]), 'F0');
});

test('status delta: one that does not start at the held version is refused, and the held list stays', () => {
  const v1 = buildStatusList(1, T0, [], []), v2 = buildStatusList(2, T0, [[tok(), 'F0']], []), v3 = buildStatusList(3, T0, [], []);
  const d23 = openStatusDelta(signStatusDelta(makeDelta(v2, v3), w.root.privateKey), w.root.publicKey);
  assert.throws(() => applyStatusDelta(v1, d23), code('delta-mismatch'));
  assert.throws(() => openStatusDelta(signStatusDelta(makeDelta(v1, v2), generateKeyPairSync('ed25519').privateKey), w.root.publicKey), code('bad-signature'));
});

test.run();

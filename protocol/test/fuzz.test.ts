// No QR content makes verify throw, hang, or turn green: single-byte changes of a valid pass, and 100,000
// fuzzed and mutated inputs. What each input may cost is bounded by the input's own limits, not by a clock: the
// text's length, what it inflates to, the CBOR's depth and item count, and no byte string copied out of the
// input. (The time per input, which a busy machine distorts, is measured by `npm run bench -- fuzz`.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateSync } from 'node:zlib';
import {
  decodeCbor, decodeSign1, encodeBase45, unwrapEnvelope, verifyPass, wrapEnvelope, CborError, EnvelopeError, Tagged,
  PASS_CBOR_LIMITS, PASS_LIMITS, PASS_PREFIX, type CborValue,
} from '../src/index.js';
import { ALPHA, fuzzInput, seeded } from './fuzz-inputs.js';
import { ctx, issuePass, makeWorld, shipperPass } from './world.js';

const w = makeWorld();
const c = ctx(w);
const valid = issuePass(shipperPass(), w.ed.privateKey);
const validEc = issuePass(shipperPass({ issuer: 'VN-BYT' }), w.ec.privateKey);
const cose = unwrapEnvelope(valid, PASS_PREFIX);

function mustBeRed(text: string, label: string): void {
  const v = verifyPass(text, c);
  if (v.verdict !== 'red') assert.unreachable(`${label} turned ${v.verdict}: ${text}`);
}

/** Containers nested (arrays, maps, tags: what the decoder's maxDepth counts) and items (keys too). */
function shape(v: CborValue): { depth: number; items: number } {
  if (v instanceof Tagged) { const s = shape(v.value); return { depth: s.depth + 1, items: s.items + 1 }; }
  const kids: CborValue[] = Array.isArray(v) ? v : v instanceof Map ? [...v.entries()].flat() : [];
  const s = kids.map(shape);
  return { depth: Array.isArray(v) || v instanceof Map ? 1 + Math.max(0, ...s.map((x) => x.depth)) : 0, items: 1 + s.reduce((a, x) => a + x.items, 0) };
}

/** Byte strings in a decoded value: each must be a view of the buffer it was read from, never a copy. */
function byteStrings(v: CborValue): Uint8Array[] {
  if (v instanceof Uint8Array) return [v];
  if (v instanceof Tagged) return byteStrings(v.value);
  if (Array.isArray(v)) return v.flatMap(byteStrings);
  if (v instanceof Map) return [...v.values()].flatMap(byteStrings);
  return [];
}

/**
 * Walks the verifier's reading steps on one input and asserts each is held to its limit: text refused by its
 * length before any decoding, inflated bytes at most maxInflated, CBOR within depth and items, byte strings
 * views of the input. Returns what the input reached, for the totals.
 */
function boundedWork(text: string, v: ReturnType<typeof verifyPass>): 'text' | 'envelope' | 'cose' | 'claims' {
  if (text.length > PASS_LIMITS.maxText) {
    assert.is(v.reason, 'malformed');
    assert.is(v.detail, `QR text of ${text.length} characters is longer than the ${PASS_LIMITS.maxText} allowed`);
    return 'text';
  }
  let bytes: Uint8Array;
  try { bytes = unwrapEnvelope(text, PASS_PREFIX, PASS_LIMITS); } catch (e) {
    if (!(e instanceof EnvelopeError)) throw e;
    return 'text';
  }
  assert.ok(bytes.length <= PASS_LIMITS.maxInflated, `inflated to ${bytes.length} bytes`);
  let outer: CborValue;
  try { outer = decodeCbor(bytes, PASS_CBOR_LIMITS.sign1); } catch (e) {
    if (!(e instanceof CborError)) throw e;
    return 'envelope';
  }
  const so = shape(outer);
  assert.ok(so.depth <= PASS_CBOR_LIMITS.sign1.maxDepth && so.items <= PASS_CBOR_LIMITS.sign1.maxItems, `COSE of depth ${so.depth}, ${so.items} items`);
  for (const b of byteStrings(outer)) assert.ok(b.buffer === bytes.buffer, 'a byte string of the COSE was copied');
  let payload: Uint8Array;
  try { payload = decodeSign1(bytes, PASS_CBOR_LIMITS.sign1).payload; } catch { return 'envelope'; }
  let claims: CborValue;
  try { claims = decodeCbor(payload, PASS_CBOR_LIMITS.claims); } catch { return 'cose'; }
  const sc = shape(claims);
  assert.ok(sc.depth <= PASS_CBOR_LIMITS.claims.maxDepth && sc.items <= PASS_CBOR_LIMITS.claims.maxItems, `claims of depth ${sc.depth}, ${sc.items} items`);
  for (const b of byteStrings(claims)) assert.ok(b.buffer === bytes.buffer, 'a byte string of the claims was copied');
  return 'claims';
}

test('the unchanged passes are green (so the mutations below test something)', () => {
  assert.is(verifyPass(valid, c).verdict, 'green');
  assert.is(verifyPass(validEc, c).verdict, 'green');
  assert.is(boundedWork(valid, verifyPass(valid, c)), 'claims');
});

test('every single-byte change of the signed COSE bytes is never green', () => {
  let n = 0;
  for (let i = 0; i < cose.length; i++) {
    for (const x of [0x01, 0x02, 0x10, 0x80, 0xff]) {
      const m = new Uint8Array(cose); m[i] ^= x;
      mustBeRed(wrapEnvelope(m, PASS_PREFIX), `byte ${i} ^ ${x}`);
      n++;
    }
    const m = new Uint8Array(cose); m[i] = 0;
    if (m[i] !== cose[i]) { mustBeRed(wrapEnvelope(m, PASS_PREFIX), `byte ${i} = 0`); n++; }
  }
  assert.ok(n > 1000, `${n} mutations`);
});

test('every single-character change of the QR text is never green', () => {
  for (const text of [valid, validEc]) {
    for (let i = 0; i < text.length; i++) {
      for (let k = 0; k < 4; k++) {
        const ch = ALPHA[(ALPHA.indexOf(text[i]) + 1 + k * 11) % ALPHA.length];
        if (ch === text[i]) continue;
        mustBeRed(text.slice(0, i) + ch + text.slice(i + 1), `char ${i} → ${ch}`);
      }
    }
  }
});

test('100,000 fuzzed and mutated inputs: no throw, no green, and each held to the limits of its size', () => {
  const seed = Number(process.env.CHOT_FUZZ_SEED ?? 20210910);
  const rnd = seeded(seed);
  const reached = { text: 0, envelope: 0, cose: 0, claims: 0 };
  for (let i = 0; i < 100_000; i++) {
    const text = fuzzInput(i, rnd, valid, cose);
    if (text === valid) continue; // a splice can rebuild the original pass exactly
    const v = verifyPass(text, c);
    if (v.verdict !== 'red') assert.unreachable(`fuzz input ${i} of seed ${seed} turned ${v.verdict}: ${text}`);
    try {
      reached[boundedWork(text, v)]++;
    } catch (e) {
      throw new Error(`fuzz input ${i} of seed ${seed}: ${(e as Error).message}: ${JSON.stringify(text.slice(0, 120))}`);
    }
  }
  // the mix reaches every stage, so each limit above was exercised
  for (const [stage, n] of Object.entries(reached)) assert.ok(n > 1000, `${n} inputs stopped at ${stage}: ${JSON.stringify(reached)}`);
});

test('the worst inputs are refused by their limit, before the work they ask for', () => {
  const why = (text: string) => { const v = verifyPass(text, c); assert.is(v.reason, 'malformed', v.detail); return v.detail!; };
  const cbor = (bytes: number[]) => wrapEnvelope(new Uint8Array(bytes), PASS_PREFIX);
  // a megabyte of text: refused on its length, never Base45-decoded
  assert.is(why(PASS_PREFIX + 'A'.repeat(1_000_000)), `QR text of ${1_000_004} characters is longer than the ${PASS_LIMITS.maxText} allowed`);
  // a zip bomb that fits in a QR: 100 kB of zeros stop inflating at the cap
  const bomb = PASS_PREFIX + encodeBase45(deflateSync(new Uint8Array(100_000), { level: 9 }));
  assert.ok(bomb.length <= PASS_LIMITS.maxText, `${bomb.length} characters`);
  assert.match(why(bomb), new RegExp(`inflates to more than ${PASS_LIMITS.maxInflated} bytes`));
  // 500 nested arrays: refused at the fifth, no recursion deeper
  assert.is(why(cbor([...new Array(500).fill(0x81), 0])), `CBOR nesting deeper than ${PASS_CBOR_LIMITS.sign1.maxDepth}`);
  // lengths that claim more than the input holds: refused, nothing allocated for them
  assert.match(why(cbor([0x9a, 0xff, 0xff, 0xff, 0xff, 0])), /CBOR array of 4294967295 items at offset 5 is longer than the input/);
  assert.match(why(cbor([0xbb, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), /CBOR map of 9007199254740991 pairs .* is longer than the input/);
  assert.match(why(cbor([0x84, 0x5a, 0x7f, 0xff, 0xff, 0xff])), /CBOR truncated: needs 2147483647 more bytes/);
  // many small items: refused at the item cap
  assert.is(why(cbor([0x98, 200, ...new Array(200).fill(0)])), `CBOR has more than ${PASS_CBOR_LIMITS.sign1.maxItems} items`);
});

test.run();

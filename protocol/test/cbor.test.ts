import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCbor, encodeCbor, CborError, Tagged, fromHex, hex } from '../src/index.js';

test('RFC 8949 Appendix A examples decode', () => {
  const cases: Array<[string, unknown]> = [
    ['00', 0], ['17', 23], ['1818', 24], ['1903e8', 1000], ['1a000f4240', 1000000], ['1b000000e8d4a51000', 1000000000000],
    ['20', -1], ['3903e7', -1000], ['f90000', 0], ['f93c00', 1], ['f97bff', 65504], ['fa47c35000', 100000], ['fb3ff199999999999a', 1.1],
    ['f4', false], ['f5', true], ['f6', null], ['6161', 'a'], ['6449455446', 'IETF'], ['62c3bc', 'ü'], ['80', []], ['83010203', [1, 2, 3]],
  ];
  for (const [h, v] of cases) assert.equal(decodeCbor(fromHex(h)), v, h);
  const m = decodeCbor(fromHex('a201020304')) as Map<number, number>;
  assert.equal([...m], [[1, 2], [3, 4]]);
  const t = decodeCbor(fromHex('c11a514b67b0')) as Tagged;
  assert.is(t.tag, 1); assert.is(t.value, 1363896240);
});

test('encoding is deterministic and shortest', () => {
  assert.is(hex(encodeCbor(500)), '1901f4');
  assert.is(hex(encodeCbor(-500)), '3901f3');
  assert.is(hex(encodeCbor(new Map<number, string>([[1, 'a']]))), 'a10161' + '61');
  const v = new Map<number | string, unknown>([[1, 'x'], ['k', [1, new Uint8Array([1, 2]), true, null]], [-65537, new Map([[2, 3]])]]);
  assert.equal(decodeCbor(encodeCbor(v as never)), v);
});

test('indefinite lengths are refused unless allowed', () => {
  const indef = fromHex('9f0102ff');
  assert.throws(() => decodeCbor(indef), (e: Error) => e instanceof CborError);
  assert.equal(decodeCbor(indef, { allowIndefinite: true }), [1, 2]);
  assert.is(decodeCbor(fromHex('7f626162626364ff'), { allowIndefinite: true }), 'abcd');
});

test('hostile inputs fail with CborError, fast, without allocating', () => {
  const bad = [
    '', '18', '1b', '5a7fffffff', '9b001fffffffffffff', 'bb001fffffffffffff00', '7a0000ffff41', '62c328', // bad UTF-8
    'a20101' + '0102', // duplicate key
    'a1a00101', // map as map key
    'ff', '1c', 'f8ff', '0000', // trailing byte
    '1bffffffffffffffff', // beyond 2^53
  ];
  for (const h of bad) assert.throws(() => decodeCbor(fromHex(h)), (e: Error) => e instanceof CborError, h);
  const deep = new Uint8Array(10_000).fill(0x81);
  assert.throws(() => decodeCbor(deep), /nesting/);
  const many = new Uint8Array([0x99, 0x27, 0x10, ...new Array(10_000).fill(0)]);
  assert.throws(() => decodeCbor(many, { maxItems: 100 }), /more than 100 items/);
});

test('fuzz: 50,000 random byte strings never throw anything but CborError', () => {
  for (let i = 0; i < 50_000; i++) {
    const b = new Uint8Array(1 + Math.floor(Math.random() * 40)).map(() => Math.floor(Math.random() * 256));
    try { decodeCbor(b, { allowIndefinite: i % 2 === 0 }); } catch (e) { if (!(e instanceof CborError)) throw new Error(`${hex(b)}: ${e}`); }
  }
});

test.run();

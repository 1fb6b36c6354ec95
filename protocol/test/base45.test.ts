import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBase45, encodeBase45, Base45Error } from '../src/index.js';

const enc = new TextEncoder();
// RFC 9285 §4.3 and §4.4 examples
const EXAMPLES: Array<[string, string]> = [['AB', 'BB8'], ['Hello!!', '%69 VD92EX0'], ['base-45', 'UJCLQE7W581'], ['ietf!', 'QED8WEX0']];

test('RFC 9285 examples encode and decode', () => {
  for (const [plain, b45] of EXAMPLES) {
    assert.is(encodeBase45(enc.encode(plain)), b45);
    assert.is(Buffer.from(decodeBase45(b45)).toString(), plain);
  }
});

test('RFC 9285 §4.4: GGW (65536+) and characters outside the alphabet are refused with the position', () => {
  assert.throws(() => decodeBase45('GGW'), (e: Error) => e instanceof Base45Error && /65535/.test(e.message));
  assert.throws(() => decodeBase45('BB8a'), (e: Error) => e instanceof Base45Error);
  assert.throws(() => decodeBase45('B'), /dangling/);
  assert.throws(() => decodeBase45('BB€'), /position 2/);
  assert.throws(() => decodeBase45(':::'), /65535/); // 44 + 44*45 + 44*2025 = 91124
});

test('round trip of random bytes of every length up to 300', () => {
  for (let n = 0; n <= 300; n++) {
    const b = new Uint8Array(n).map(() => Math.floor(Math.random() * 256));
    assert.equal(decodeBase45(encodeBase45(b)), b);
  }
});

test.run();

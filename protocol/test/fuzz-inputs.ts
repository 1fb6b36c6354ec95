// Fuzzed QR texts for verifyPass, shared by the fuzz test (bounded work, never green) and `npm run bench -- fuzz`
// (time per input). Seeded, so that a failing input can be made again from the seed and its number.
import { encodeBase45, wrapEnvelope, PASS_PREFIX } from '../src/index.js';

export const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
export const FUZZ_KINDS = ['random Base45', 'random bytes, enveloped', 'a pass with bytes changed', 'a pass cut or spliced', 'arbitrary unicode'] as const;

/** A small, fast, seeded generator (mulberry32): reproducible inputs, not cryptography. */
export function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Input number i: its kind is i % 5. `valid` is a signed pass's QR text and `cose` the COSE bytes inside it. */
export function fuzzInput(i: number, rnd: (n: number) => number, valid: string, cose: Uint8Array): string {
  switch (i % 5) {
    case 0: // random Base45 behind the prefix
      return PASS_PREFIX + Array.from({ length: rnd(400) }, () => ALPHA[rnd(45)]).join('');
    case 1: // random bytes, properly enveloped
      return wrapEnvelope(new Uint8Array(rnd(300)).map(() => rnd(256)), PASS_PREFIX);
    case 2: { // a valid pass with a few random byte changes, re-enveloped
      const m = new Uint8Array(cose);
      for (let k = 1 + rnd(4); k > 0; k--) m[rnd(m.length)] = rnd(256);
      return wrapEnvelope(m, PASS_PREFIX);
    }
    case 3: { // a valid pass cut, extended or spliced
      const m = cose.subarray(0, rnd(cose.length));
      return rnd(2) ? wrapEnvelope(m, PASS_PREFIX) : PASS_PREFIX + encodeBase45(m) + valid.slice(rnd(valid.length));
    }
    default: // arbitrary unicode text, sometimes with our prefix
      return (rnd(2) ? PASS_PREFIX : '') + String.fromCharCode(...Array.from({ length: rnd(200) }, () => rnd(0xffff)));
  }
}

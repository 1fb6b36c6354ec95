// No QR content makes verify throw, hang, or turn green: single-byte changes of a valid pass, and 100,000
// fuzzed and mutated inputs. Each input must answer in under 1 ms; a slow one is timed again, so that a
// garbage-collection pause does not fail the run but an input that is slow every time does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { encodeBase45, unwrapEnvelope, verifyPass, wrapEnvelope, PASS_PREFIX } from '../src/index.js';
import { ctx, issuePass, makeWorld, shipperPass } from './world.js';

const w = makeWorld();
const c = ctx(w);
const valid = issuePass(shipperPass(), w.ed.privateKey);
const validEc = issuePass(shipperPass({ issuer: 'VN-BYT' }), w.ec.privateKey);
const cose = unwrapEnvelope(valid, PASS_PREFIX);
const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

function mustBeRed(text: string, label: string): void {
  const v = verifyPass(text, c);
  if (v.verdict !== 'red') assert.unreachable(`${label} turned ${v.verdict}: ${text}`);
}

test('the unchanged passes are green (so the mutations below test something)', () => {
  assert.is(verifyPass(valid, c).verdict, 'green');
  assert.is(verifyPass(validEc, c).verdict, 'green');
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

test('100,000 fuzzed and mutated inputs: no throw, no green, each under 1 ms', () => {
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const slow: Array<[string, number]> = [];
  for (let i = 0; i < 100_000; i++) {
    let text: string;
    switch (i % 5) {
      case 0: { // random Base45 behind the prefix
        text = PASS_PREFIX + Array.from({ length: rnd(400) }, () => ALPHA[rnd(45)]).join('');
        break;
      }
      case 1: { // random bytes, properly enveloped
        text = wrapEnvelope(new Uint8Array(rnd(300)).map(() => rnd(256)), PASS_PREFIX);
        break;
      }
      case 2: { // a valid pass with a few random byte changes, re-enveloped
        const m = new Uint8Array(cose);
        for (let k = 1 + rnd(4); k > 0; k--) m[rnd(m.length)] = rnd(256);
        text = wrapEnvelope(m, PASS_PREFIX);
        break;
      }
      case 3: { // a valid pass cut, extended or spliced
        const m = cose.subarray(0, rnd(cose.length));
        text = rnd(2) ? wrapEnvelope(m, PASS_PREFIX) : PASS_PREFIX + encodeBase45(m) + valid.slice(rnd(valid.length));
        break;
      }
      default: { // arbitrary unicode text, sometimes with our prefix
        text = (rnd(2) ? PASS_PREFIX : '') + String.fromCharCode(...Array.from({ length: rnd(200) }, () => rnd(0xffff)));
      }
    }
    if (text === valid) continue; // a splice can rebuild the original pass exactly
    const t0 = performance.now();
    const v = verifyPass(text, c);
    const ms = performance.now() - t0;
    if (v.verdict !== 'red') assert.unreachable(`fuzz input ${i} turned ${v.verdict}: ${text}`);
    if (ms > 1) slow.push([text, ms]);
  }
  for (const [text, first] of slow) {
    const t0 = performance.now(); verifyPass(text, c); const again = performance.now() - t0;
    assert.ok(again < 1, `input took ${first.toFixed(2)} ms and then ${again.toFixed(2)} ms: ${JSON.stringify(text.slice(0, 80))}`);
  }
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineFramer, type LineEvent } from '../src/scan/lines.js';

const enc = (s: string) => new TextEncoder().encode(s);
const codes = (evs: LineEvent[]) => evs.filter((e): e is { code: string } => 'code' in e).map((e) => e.code);

test('CR, LF and CRLF each end a code; CRLF is one end, not two', () => {
  const f = new LineFramer();
  assert.equal(codes(f.push(enc('VN1:A\rVN1:B\nVN1:C\r\nVN1:D\r'))), ['VN1:A', 'VN1:B', 'VN1:C', 'VN1:D']);
});

test('a code split across reads, even between CR and LF, is one code', () => {
  const f = new LineFramer();
  assert.equal(codes(f.push(enc('VN1:AB'))), []);
  assert.equal(codes(f.push(enc('CD\r'))), ['VN1:ABCD']);
  assert.equal(codes(f.push(enc('\nHC1:X'))), []);
  assert.equal(codes(f.push(enc('\r'))), ['HC1:X']);
});

test('garbage and over-long lines are dropped with a reason; the next code still reads', () => {
  const f = new LineFramer(20);
  const evs = f.push(enc('\x00\x01\x02garbage\r' + 'X'.repeat(50) + '\rVN1:OK\r'));
  assert.is(evs.length, 3);
  assert.match((evs[0] as { dropped: string }).dropped, /control byte 0x00/);
  assert.match((evs[1] as { dropped: string }).dropped, /longer than 20/);
  assert.equal(codes(evs), ['VN1:OK']);
  assert.match((new LineFramer().push(new Uint8Array([0xc3, 0x28, 0x0d]))[0] as { dropped: string }).dropped, /not UTF-8/);
});

test('fuzz: 20,000 random chunks never throw, and every code is printable', () => {
  const f = new LineFramer(100);
  for (let i = 0; i < 20_000; i++) {
    const b = new Uint8Array(Math.floor(Math.random() * 64)).map(() => (Math.random() < 0.1 ? 13 : Math.floor(Math.random() * 256)));
    for (const c of codes(f.push(b))) assert.ok(!/[\x00-\x08\x0a-\x1f\x7f]/.test(c) && c.length <= 100);
  }
});

test.run();

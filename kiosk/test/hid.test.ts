// Keyboard-mode scanners: the evdev decoder on plain bytes, and the reader on a real file descriptor (a FIFO
// stands in for /dev/input/event*: this machine has no input devices to plug).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyDecoder, HidScanner } from '../src/scan/hid.js';
import { sleep, waitFor } from './rig.js';

// US layout keycodes for the characters a pass or a URL uses
const CODES: Record<string, [number, boolean]> = {};
'1234567890'.split('').forEach((c, i) => (CODES[c] = [2 + i, false]));
'QWERTYUIOP'.split('').forEach((c, i) => (CODES[c] = [16 + i, true]));
'ASDFGHJKL'.split('').forEach((c, i) => (CODES[c] = [30 + i, true]));
'ZXCVBNM'.split('').forEach((c, i) => (CODES[c] = [44 + i, true]));
'qwertyuiop'.split('').forEach((c, i) => (CODES[c] = [16 + i, false]));
Object.assign(CODES, { ':': [39, true], ' ': [57, false], $: [5, true], '%': [6, true], '*': [9, true], '+': [13, true], '-': [12, false], '.': [52, false], '/': [53, false] });

function ev(type: number, code: number, value: number, size = 24): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16LE(type, size - 8); b.writeUInt16LE(code, size - 6); b.writeInt32LE(value, size - 4);
  return b;
}
function typeCode(text: string, size = 24): Buffer {
  const parts: Buffer[] = [];
  for (const ch of text) {
    const [code, shift] = CODES[ch];
    if (shift) parts.push(ev(1, 42, 1, size));
    parts.push(ev(1, code, 1, size), ev(0, 0, 0, size), ev(1, code, 0, size));
    if (shift) parts.push(ev(1, 42, 0, size));
  }
  parts.push(ev(1, 28, 1, size), ev(1, 28, 0, size));
  return Buffer.concat(parts);
}

test('decoder: shifted letters and Base45 symbols, ENTER ends a code, events split across reads', () => {
  const d = new KeyDecoder(24);
  const bytes = typeCode('VN1:6BF+70 $%*-./');
  const a = d.push(bytes.subarray(0, 100));
  const b = d.push(bytes.subarray(100));
  assert.equal([...a, ...b], [{ code: 'VN1:6BF+70 $%*-./' }]);
});

test('decoder: 32-bit ARM events are 16 bytes; an unmappable key drops the code with a reason', () => {
  assert.equal(new KeyDecoder(16).push(typeCode('HC1:AB', 16)), [{ code: 'HC1:AB' }]);
  const d = new KeyDecoder(24);
  const out = d.push(Buffer.concat([ev(1, 30, 1), ev(1, 183, 1), ev(1, 28, 1), ...[typeCode('OK')]]));
  assert.match((out[0] as { dropped: string }).dropped, /key code 183 has no character/);
  assert.equal(out[1], { code: 'OK' });
});

test('reader: codes from a real file descriptor, and the device coming back after it went away', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chot-hid-'));
  const fifo = join(dir, 'event-kbd');
  execFileSync('mkfifo', [fifo]);
  const logs: string[] = [];
  const s = new HidScanner({ path: fifo, log: (l) => logs.push(l), retryMs: 100 });
  const codes: string[] = [];
  s.on('code', (c) => codes.push(c));
  s.start();
  // opened in the thread pool: a FIFO's open waits for the other end, which the reader opens on a later tick
  let fh = await open(fifo, 'w');
  await fh.write(typeCode('VN1:ABC'));
  await waitFor('a code', () => codes.length === 1, 3000);
  await fh.close(); // unplugged: the reader sees the end of the stream
  await waitFor('the device reported gone', () => s.state === 'absent', 3000);
  await sleep(150);
  fh = await open(fifo, 'w');
  await fh.write(typeCode('HC1:XYZ'));
  await waitFor('a code after the device came back', () => codes.length === 2, 3000);
  assert.equal(codes, ['VN1:ABC', 'HC1:XYZ']);
  assert.ok(logs.some((l) => /is gone/.test(l)) && logs.some((l) => /is back/.test(l)), logs.join('\n'));
  await s.stop();
  await fh.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();

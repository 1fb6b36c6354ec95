// The serial scanner on a real serial port: a socat pty pair stands in for a scanner in USB-COM mode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialScanner } from '../src/scan/serial.js';
import { killAll, pty, sleep, waitFor } from './rig.js';

const dir = mkdtempSync(join(tmpdir(), 'chot-serial-'));

test('CR, LF, CRLF, split writes and garbage on a real pty; unplug and replug are noticed and read again within 2 s', async () => {
  let p = await pty(dir);
  const logs: string[] = [];
  const s = new SerialScanner({ path: p.scanner, log: (l) => logs.push(l), maxLength: 200 });
  const codes: string[] = [];
  const states: string[] = [];
  s.on('code', (c) => codes.push(c));
  s.on('state', (st) => states.push(st));
  s.start();
  await waitFor('the port to open', () => s.state === 'ok');

  await p.write('VN1:CR-ENDED\r');
  await p.write('VN1:LF-ENDED\n');
  await p.write('VN1:CRLF-ENDED\r\n');
  await p.write('VN1:SPLIT-');
  await sleep(30);
  await p.write('ACROSS-READS\r');
  await p.write('\x07\x1b[garbage\r');
  await p.write('X'.repeat(500) + '\r');
  await p.write('HC1:AFTER-GARBAGE\r');
  await waitFor('five codes', () => codes.length >= 5, 3000);
  assert.equal(codes, ['VN1:CR-ENDED', 'VN1:LF-ENDED', 'VN1:CRLF-ENDED', 'VN1:SPLIT-ACROSS-READS', 'HC1:AFTER-GARBAGE']);
  assert.ok(logs.some((l) => /dropped a line .*control byte 0x07/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => /dropped a line .*longer than 200/.test(l)));

  // unplug: the pty disappears
  await p.close();
  await waitFor('the scanner to be reported gone', () => s.state === 'absent', 3000);
  assert.ok(logs.some((l) => /was disconnected/.test(l)));
  // replug: the same path comes back, and reads within 2 s
  const t0 = Date.now();
  p = await pty(dir);
  await waitFor('the scanner to be back', () => s.state === 'ok', 2000);
  assert.ok(Date.now() - t0 < 2000, `back after ${Date.now() - t0} ms`);
  await p.write('VN1:AFTER-REPLUG\r');
  await waitFor('a code after the replug', () => codes.includes('VN1:AFTER-REPLUG'), 2000);
  assert.ok(states.includes('absent') && states.lastIndexOf('ok') > states.indexOf('absent'));
  await s.stop();
  await p.close();
});

test.after(() => { killAll(); rmSync(dir, { recursive: true, force: true }); });
test.run();

// The journal on a real disk: replay, torn tails, rotation, collection of confirmed segments, the cap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readdirSync, statSync, truncateSync, appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../src/journal/journal.js';

const ids = new ScanIdGenerator();
const rec = (i: number): ScanRecord => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: i % 3 ? 'green' : 'red', reason: i % 3 ? 'ok' : 'expired', format: 'pass', source: 'serial', ms: 1.5, passId: `p${i}` });
const made: string[] = [];
const dir = () => { const d = mkdtempSync(join(tmpdir(), 'chot-journal-')); made.push(d); return d; };
const segs = (d: string) => readdirSync(d).filter((f) => f.endsWith('.log')).sort();

test('scans survive a reopen; acked ones are no longer pending', () => {
  const d = dir();
  const j = Journal.open(d);
  const rs = Array.from({ length: 10 }, (_, i) => rec(i));
  rs.forEach((r) => j.append(r));
  assert.is(j.ack([rs[0].id, rs[1].id, 'not-a-scan']), 2);
  j.close();
  const k = Journal.open(d);
  assert.is(k.pending, 8);
  assert.equal(k.oldest(3).map((r) => r.id), rs.slice(2, 5).map((r) => r.id));
  assert.equal(k.get([rs[9].id, rs[0].id]).map((r) => r.passId), ['p9']);
  assert.is(k.stats.lastId, rs[9].id);
  k.close();
});

test('a torn last record (power cut mid-write) is dropped; everything before it stays', () => {
  const d = dir();
  const j = Journal.open(d);
  const rs = Array.from({ length: 5 }, (_, i) => rec(i));
  rs.forEach((r) => j.append(r));
  j.close();
  const seg = join(d, segs(d)[0]);
  truncateSync(seg, statSync(seg).size - 7); // the last record loses its tail
  const logs: string[] = [];
  const k = Journal.open(d, { log: (l) => logs.push(l) });
  assert.is(k.pending, 4);
  assert.is(k.stats.tornRecordsDropped, 1);
  assert.match(logs.join('\n'), /dropped a torn record/);
  // appending after the cut works and replays
  const r = rec(99);
  k.append(r);
  k.close();
  assert.is(Journal.open(d).pending, 5);
});

test('a flipped bit is caught by the checksum, and garbage after the last record is cut', () => {
  const d = dir();
  const j = Journal.open(d);
  [rec(1), rec(2), rec(3)].forEach((r) => j.append(r));
  j.close();
  const seg = join(d, segs(d)[0]);
  const buf = readFileSync(seg);
  buf[buf.length - 3] ^= 0x04;
  writeFileSync(seg, buf);
  assert.is(Journal.open(d).pending, 2);
  appendFileSync(seg, Buffer.from([0xc7, 1, 0, 0]));
  assert.is(Journal.open(d, {}).pending, 2);
});

test('segments rotate, fully confirmed old segments are deleted oldest first', () => {
  const d = dir();
  const j = Journal.open(d, { segmentBytes: 2000 });
  const rs = Array.from({ length: 60 }, (_, i) => rec(i));
  rs.forEach((r) => j.append(r));
  assert.ok(segs(d).length >= 5, `${segs(d).length} segments`);
  // confirming a later segment first keeps everything: acks live after the scans they confirm
  j.ack(rs.slice(30).map((r) => r.id));
  const afterLate = segs(d).length;
  j.ack(rs.slice(0, 30).map((r) => r.id));
  assert.ok(segs(d).length < afterLate, 'confirmed segments were deleted');
  assert.is(j.pending, 0);
  j.close();
  assert.is(Journal.open(d).pending, 0);
});

test('disk use is capped: past the cap the oldest segment goes, and the loss is counted and logged', () => {
  const d = dir();
  const logs: string[] = [];
  const j = Journal.open(d, { segmentBytes: 4096, maxBytes: 16_384, log: (l) => logs.push(l) });
  for (let i = 0; i < 300; i++) j.append(rec(i));
  const total = segs(d).reduce((a, f) => a + statSync(join(d, f)).size, 0);
  assert.ok(total <= 16_384 + 4096, `${total} bytes on disk`);
  assert.ok(j.stats.unconfirmedDropped > 0);
  assert.match(logs.join('\n'), /disk cap 16384 bytes reached/);
  j.close();
});

test('group commit: flush() resolves after fdatasync; many appends share few fsyncs', async () => {
  const d = dir();
  const j = Journal.open(d, { commitMs: 20 });
  for (let i = 0; i < 500; i++) j.append(rec(i));
  await j.flush();
  assert.ok(j.stats.fsyncs >= 1 && j.stats.fsyncs < 20, `${j.stats.fsyncs} fsyncs for 500 appends`);
  j.close();
});

test.after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
test.run();

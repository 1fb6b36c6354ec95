// The scan journal: append-only segment files on disk. Every scan is written before it is signalled (so a
// crash or kill -9 cannot lose it: it is in the kernel's page cache) and fdatasync'ed in groups at most
// `commitMs` later (so a power cut loses nothing signalled longer ago than that plus one fsync). The hub's
// confirmations are journaled as ack records in the same files, so a scan and its confirmation can never
// disagree after a power cut. Segments whose scans are all confirmed are deleted oldest first; total disk
// use is capped.
//
// Record frame: magic 0xC7 | type (1 scan, 2 ack) | u32 length | u32 CRC-32 of type+payload | JSON payload.
// A torn last record (power cut mid-write) fails its length or CRC check and is cut off at start-up;
// everything before it stays.
//
// Format versions: a segment's name states its format. seg-NNNNNNNN.log is format 1, the frames above (every
// version before format versions wrote it, and this one still does); a later, incompatible format writes
// seg-NNNNNNNN.fK.log. Every version, back to those that knew no versions, matches only the names it reads, so a
// segment in a newer format is never replayed as damaged, cut or deleted: after a roll-back it is kept untouched,
// its scans unsent and unconfirmed, until a version that reads it runs again. A compatible change (a new field in
// a scan's JSON) keeps format 1: the version rolled back to must go on reading what the newer one wrote.
import { chmodSync, closeSync, fchmodSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ScanRecord } from '../../../protocol/src/index.js';
import { crc32 } from './crc32.js';
import type { Log } from '../../../lib/log.js';

const MAGIC = 0xc7;
const T_SCAN = 1;
const T_ACK = 2;
const HEADER = 10;
const MAX_RECORD = 64 * 1024;
/** The segment format this version writes and reads (the newest it reads; none older exists). */
export const JOURNAL_FORMAT = 1;
/** seg-NNNNNNNN.log (format 1) or seg-NNNNNNNN.fK.log (format K, from a later version). */
const SEGMENT_NAME = /^seg-(\d{8})(?:\.f(\d+))?\.log$/;

/** A segment file's number and format, from its name; undefined for a file that is not a segment. */
function segmentName(f: string): { no: number; format: number; plain: boolean } | undefined {
  const m = SEGMENT_NAME.exec(f);
  return m ? { no: Number(m[1]), format: m[2] === undefined ? 1 : Number(m[2]), plain: m[2] === undefined } : undefined;
}

export interface JournalOptions {
  /** Longest a written record waits for fdatasync, ms (default 50). */
  commitMs?: number;
  /** Segment size before rotation, bytes (default 1 MiB). */
  segmentBytes?: number;
  /** Total disk use cap, bytes (default 64 MiB): past it the oldest segment goes, confirmed or not. */
  maxBytes?: number;
  log?: Log;
}

interface Loc { seg: number; off: number; len: number }
interface Segment { no: number; bytes: number; unacked: number }

export interface JournalStats {
  segments: number;
  bytes: number;
  pending: number;
  appended: number;
  fsyncs: number;
  tornRecordsDropped: number;
  unconfirmedDropped: number;
  /** segments in a format this version does not read (a newer version's, after a roll-back): kept untouched */
  otherFormatSegments: number;
  lastId?: string;
}

export class Journal {
  private readonly segments: Segment[] = [];
  private readonly pendingScans = new Map<string, Loc>();
  private fd = -1;
  private dirty = false;
  private commitTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  private closed = false;
  private readonly commitMs: number;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly log: Log;
  readonly stats: JournalStats = { segments: 0, bytes: 0, pending: 0, appended: 0, fsyncs: 0, tornRecordsDropped: 0, unconfirmedDropped: 0, otherFormatSegments: 0 };

  private constructor(readonly dir: string, opts: JournalOptions) {
    this.commitMs = opts.commitMs ?? 50;
    this.segmentBytes = opts.segmentBytes ?? 1024 * 1024;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.log = opts.log ?? (() => {});
  }

  /** Counts what a journal holds without changing it (chot doctor, while the kiosk may be writing to it). */
  static inspect(dir: string): { segments: number; bytes: number; pending: number; damaged: number; otherFormat: string[] } {
    const out = { segments: 0, bytes: 0, pending: 0, damaged: 0, otherFormat: [] as string[] };
    let files: string[] = [];
    try { files = readdirSync(dir).filter((f) => segmentName(f)).sort(); } catch { return out; }
    out.otherFormat = files.filter((f) => !segmentName(f)!.plain);
    files = files.filter((f) => segmentName(f)!.plain);
    const pending = new Set<string>();
    for (const f of files) {
      const buf = readFileSync(join(dir, f));
      out.segments++;
      out.bytes += buf.length;
      let off = 0;
      while (off < buf.length) {
        if (frameError(buf, off, buf.length)) { out.damaged++; break; }
        const type = buf[off + 1], len = buf.readUInt32BE(off + 2);
        const payload = buf.subarray(off + HEADER, off + HEADER + len);
        if (type === T_SCAN) { const id = scanIdOf(payload); if (id) pending.add(id); }
        else if (type === T_ACK) for (const id of JSON.parse(payload.toString('utf8')) as string[]) pending.delete(id);
        off += HEADER + len;
      }
    }
    out.pending = pending.size;
    return out;
  }

  /** Opens the journal in `dir`, replaying every segment: pending scans are those with no ack record. */
  static open(dir: string, opts: JournalOptions = {}): Journal {
    // scans are the kiosk's alone: 0750/0640 whatever umask started it (a folder from an older version too)
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    chmodSync(dir, 0o750);
    const j = new Journal(dir, opts);
    const names = readdirSync(dir).sort().flatMap((f) => { const n = segmentName(f); return n ? [{ ...n, file: f }] : []; });
    const nos = names.filter((n) => n.plain).map((n) => n.no).sort((a, b) => a - b);
    const other = names.filter((n) => !n.plain);
    j.stats.otherFormatSegments = other.length;
    if (other.length) j.reportOtherFormats(other);
    nos.forEach((no, i) => j.replay(no, i === nos.length - 1));
    // new records go after every segment, whatever its format, so the order on disk stays the order of the scans
    const highest = Math.max(0, ...names.map((n) => n.no));
    j.openActive(nos.length && nos[nos.length - 1] === highest ? highest : highest + 1);
    j.collect();
    return j;
  }

  /** One line for the segments this version cannot read: what they are, that they are kept, and what to do. */
  private reportOtherFormats(other: Array<{ format: number; file: string }>): void {
    const formats = [...new Set(other.map((n) => n.format))].sort((a, b) => a - b);
    const files = other.map((n) => n.file);
    const shown = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
    this.log(`journal: ${other.length} segment(s) in ${this.dir} are in format ${formats.join(', ')} (${shown}), which this version of chot does not read (it reads format ${JOURNAL_FORMAT}): kept untouched, their scans unsent and unconfirmed; run a version that reads format ${formats.at(-1)} again (chot release rollout) to send them, and do not delete them`, 'error');
  }

  private path(no: number): string {
    return join(this.dir, `seg-${String(no).padStart(8, '0')}.log`);
  }

  private replay(no: number, isLast: boolean): void {
    const fd = openSync(this.path(no), 'r+');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) { const n = readSync(fd, buf, got, size - got, got); if (n <= 0) break; got += n; }
      const seg: Segment = { no, bytes: size, unacked: 0 };
      this.segments.push(seg);
      let off = 0;
      while (off < size) {
        const bad = frameError(buf, off, size);
        if (bad) {
          if (isLast) {
            // a torn tail from a power cut: cut it off, keep everything before it
            this.log(`journal: dropped a torn record at ${this.path(no)} offset ${off} (${bad}); ${size - off} bytes cut, everything before kept`, 'warn');
            ftruncateSync(fd, off);
            fdatasyncSync(fd);
            seg.bytes = off;
            this.stats.tornRecordsDropped++;
          } else {
            this.log(`journal: segment ${this.path(no)} is damaged at offset ${off} (${bad}); records after it in this segment are skipped`, 'error');
            this.stats.tornRecordsDropped++;
          }
          break;
        }
        const type = buf[off + 1];
        const len = buf.readUInt32BE(off + 2);
        const payload = buf.subarray(off + HEADER, off + HEADER + len);
        if (type === T_SCAN) {
          const id = scanIdOf(payload);
          if (id && !this.pendingScans.has(id)) { this.pendingScans.set(id, { seg: no, off, len: HEADER + len }); seg.unacked++; this.stats.lastId = id; }
        } else if (type === T_ACK) {
          for (const id of JSON.parse(payload.toString('utf8')) as string[]) this.forget(id);
        }
        off += HEADER + len;
      }
    } finally {
      closeSync(fd);
    }
  }

  private openActive(no: number): void {
    this.fd = openSync(this.path(no), 'a', 0o640);
    fchmodSync(this.fd, 0o640);
    if (!this.segments.length || this.segments[this.segments.length - 1].no !== no) this.segments.push({ no, bytes: 0, unacked: 0 });
    this.refreshStats();
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private writeFrame(type: number, payload: Buffer): Loc {
    if (this.closed) throw new Error('journal is closed');
    if (payload.length > MAX_RECORD) throw new Error(`journal record of ${payload.length} bytes is larger than ${MAX_RECORD}`);
    if (this.active.bytes >= this.segmentBytes) this.rotate();
    const frame = Buffer.allocUnsafe(HEADER + payload.length);
    frame[0] = MAGIC; frame[1] = type;
    frame.writeUInt32BE(payload.length, 2);
    payload.copy(frame, HEADER);
    frame.writeUInt32BE(crc32Of(type, frame, HEADER, frame.length), 6);
    let written = 0;
    while (written < frame.length) written += writeSync(this.fd, frame, written, frame.length - written);
    const loc = { seg: this.active.no, off: this.active.bytes, len: frame.length };
    this.active.bytes += frame.length;
    this.scheduleCommit();
    return loc;
  }

  /** Writes a scan (before it is signalled). Durable on disk within commitMs + one fsync. */
  append(rec: ScanRecord): void {
    const loc = this.writeFrame(T_SCAN, Buffer.from(JSON.stringify(rec)));
    this.pendingScans.set(rec.id, loc);
    this.active.unacked++;
    this.stats.appended++;
    this.stats.lastId = rec.id;
    this.enforceCap();
    this.refreshStats();
  }

  /** Records the hub's confirmation of these scans; returns how many were pending. */
  ack(ids: string[]): number {
    const known = ids.filter((id) => this.pendingScans.has(id));
    if (!known.length) return 0;
    this.writeFrame(T_ACK, Buffer.from(JSON.stringify(known)));
    for (const id of known) this.forget(id);
    this.collect();
    this.refreshStats();
    return known.length;
  }

  private forget(id: string): void {
    const loc = this.pendingScans.get(id);
    if (!loc) return;
    this.pendingScans.delete(id);
    const seg = this.segments.find((s) => s.no === loc.seg);
    if (seg) seg.unacked--;
  }

  isPending(id: string): boolean {
    return this.pendingScans.has(id);
  }

  get pending(): number {
    return this.pendingScans.size;
  }

  /** The oldest pending scans, read back from disk, skipping those in `skip` (already in flight). */
  oldest(n: number, skip?: { has(id: string): boolean }): ScanRecord[] {
    const out: ScanRecord[] = [];
    for (const [id, loc] of this.pendingScans) {
      if (out.length >= n) break;
      if (skip?.has(id)) continue;
      out.push(this.read(loc));
    }
    return out;
  }

  /** The pending scans with these ids, read back from disk (ids no longer pending are left out). */
  get(ids: Iterable<string>): ScanRecord[] {
    const out: ScanRecord[] = [];
    for (const id of ids) { const loc = this.pendingScans.get(id); if (loc) out.push(this.read(loc)); }
    return out;
  }

  private read(loc: Loc): ScanRecord {
    // segments are opened for append only; read through a separate descriptor
    const buf = Buffer.alloc(loc.len);
    const fd = openSync(this.path(loc.seg), 'r');
    try { readSync(fd, buf, 0, loc.len, loc.off); } finally { closeSync(fd); }
    return JSON.parse(buf.toString('utf8', HEADER)) as ScanRecord;
  }

  private rotate(): void {
    this.flushSync();
    closeSync(this.fd);
    this.openActive(this.active.no + 1);
    this.collect();
  }

  /** Deletes the oldest closed segments whose scans are all confirmed, in order (acks live in later ones). */
  private collect(): void {
    while (this.segments.length > 1 && this.segments[0].unacked === 0) {
      const s = this.segments.shift()!;
      try { unlinkSync(this.path(s.no)); } catch (e) { this.log(`journal: cannot delete ${this.path(s.no)}: ${(e as Error).message}`, 'warn'); }
    }
  }

  private enforceCap(): void {
    let total = this.segments.reduce((a, s) => a + s.bytes, 0);
    while (total > this.maxBytes && this.segments.length > 1) {
      const s = this.segments.shift()!;
      const lost = [...this.pendingScans].filter(([, l]) => l.seg === s.no).map(([id]) => id);
      for (const id of lost) this.pendingScans.delete(id);
      this.stats.unconfirmedDropped += lost.length;
      this.log(`journal: disk cap ${this.maxBytes} bytes reached; deleted ${this.path(s.no)} with ${lost.length} scans the hub never confirmed: check the uplink (chot doctor)`, 'error');
      try { unlinkSync(this.path(s.no)); } catch { /* already gone */ }
      total -= s.bytes;
    }
  }

  private refreshStats(): void {
    this.stats.segments = this.segments.length;
    this.stats.bytes = this.segments.reduce((a, s) => a + s.bytes, 0);
    this.stats.pending = this.pendingScans.size;
  }

  private scheduleCommit(): void {
    this.dirty = true;
    if (this.commitTimer || this.commitMs <= 0) { if (this.commitMs <= 0) this.flushSync(); return; }
    this.commitTimer = setTimeout(() => { this.commitTimer = null; void this.flush(); }, this.commitMs);
  }

  /** fdatasync now (asynchronously); resolves when everything written so far is on disk. */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.dirty && !this.syncing) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.syncing) this.startSync();
    });
  }

  private startSync(): void {
    this.dirty = false;
    const waiters = this.waiters;
    this.waiters = [];
    this.syncing = new Promise<void>((done) => {
      fdatasync(this.fd, (err) => {
        this.stats.fsyncs++;
        if (err) this.log(`journal: fdatasync failed: ${err.message}: the disk may be failing`, 'error');
        this.syncing = null;
        for (const w of waiters) w();
        done();
        if (this.dirty || this.waiters.length) this.startSync();
      });
    });
  }

  flushSync(): void {
    if (this.closed || this.fd < 0) return;
    fdatasyncSync(this.fd);
    this.stats.fsyncs++;
    this.dirty = false;
  }

  close(): void {
    if (this.closed) return;
    if (this.commitTimer) { clearTimeout(this.commitTimer); this.commitTimer = null; }
    this.flushSync();
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Why the record at `off` is not a whole, intact frame (short, bad magic or type, too long, checksum, not JSON), or undefined. */
function frameError(buf: Buffer, off: number, size: number): string | undefined {
  if (size - off < HEADER) return 'short header';
  if (buf[off] !== MAGIC) return `bad magic 0x${buf[off].toString(16)}`;
  const type = buf[off + 1];
  if (type !== T_SCAN && type !== T_ACK) return `unknown type ${type}`;
  const len = buf.readUInt32BE(off + 2);
  if (len > MAX_RECORD || off + HEADER + len > size) return `length ${len} runs past the end`;
  const crc = buf.readUInt32BE(off + 6);
  const actual = crc32Of(type, buf, off + HEADER, off + HEADER + len);
  if (crc !== actual) return 'checksum mismatch';
  try { JSON.parse(buf.toString('utf8', off + HEADER, off + HEADER + len)); } catch { return 'payload is not JSON'; }
  return undefined;
}

function crc32Of(type: number, buf: Uint8Array, start: number, end: number): number {
  // the type byte is covered too, so a flipped type cannot turn a scan into an ack
  const withType = new Uint8Array(end - start + 1);
  withType[0] = type;
  withType.set(buf.subarray(start, end), 1);
  return crc32(withType);
}

function scanIdOf(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

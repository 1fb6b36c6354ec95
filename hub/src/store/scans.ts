// Raw scans on the hub: append-only daily files (one JSON line per scan, by the local day it was scanned),
// written with group commit (fdatasync every few ms), and the index that makes delivery exactly-once: a scan
// id seen before is acknowledged again but never stored or counted twice, across hub restarts too (the index
// is rebuilt from the files at start-up). The files are the truth; figures are derived from them.
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { localDay, type ScanRecord } from '../../../protocol/src/index.js';

export interface StoredScan extends ScanRecord {
  /** the kiosk that sent it */
  k: string;
  /** hub arrival time, ms */
  rx: number;
  /** the local day it counts on: scan time, or arrival for a kiosk whose clock was not synchronised */
  day: string;
}

export interface ScanStoreOptions {
  timeZone: string;
  retentionDays: number;
  commitMs?: number;
  log?: (l: string) => void;
}

interface DayFile { fd: number; dirty: boolean }

export interface ScanStoreEvents {
  stored: [scan: StoredScan];
}

export class ScanStore extends EventEmitter<ScanStoreEvents> {
  /** dedup index: kiosk/id, bucketed by the day of the scan's own timestamp so old days can be let go */
  private readonly seen = new Map<string, Set<string>>();
  private readonly files = new Map<string, DayFile>();
  private commitTimer: NodeJS.Timeout | null = null;
  private waiters: Array<() => void> = [];
  private syncing = false;
  stored = 0;
  duplicates = 0;
  tornLinesDropped = 0;

  constructor(readonly dir: string, private readonly opts: ScanStoreOptions) {
    super();
    mkdirSync(dir, { recursive: true });
  }

  private dedupKey(kiosk: string, id: string): string {
    return `${kiosk}/${id}`;
  }

  private bucket(at: number): string {
    return localDay(at, this.opts.timeZone);
  }

  /** The days that have a raw file. */
  rawDays(): string[] {
    return readdirSync(this.dir).map((f) => /^(\d{4}-\d{2}-\d{2})\.jsonl$/.exec(f)?.[1]).filter((d): d is string => !!d).sort();
  }

  /** Reads every kept daily file: rebuilds the index, drops a torn last line, and replays scans to `onScan`. */
  load(onScan?: (s: StoredScan) => void): void {
    for (const f of readdirSync(this.dir).filter((n) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)).sort()) {
      const path = join(this.dir, f);
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (!line) continue;
        let s: StoredScan;
        try { s = JSON.parse(line); } catch {
          // a hub killed mid-write leaves a partial last line: cut it off, keep everything before it
          if (i >= lines.length - 2) {
            const fd = openSync(path, 'r+');
            ftruncateSync(fd, Buffer.byteLength(lines.slice(0, i).join('\n')) + (i ? 1 : 0));
            closeSync(fd);
            this.tornLinesDropped++;
            this.opts.log?.(`scans: dropped a torn last line in ${path} (the kiosk will send that scan again)`);
          } else {
            this.opts.log?.(`scans: skipped a damaged line ${i + 1} in ${path}`);
          }
          break;
        }
        const key = this.dedupKey(s.k, s.id);
        const b = this.bucket(s.at);
        let set = this.seen.get(b);
        if (!set) this.seen.set(b, (set = new Set()));
        if (set.has(key)) continue; // a duplicate line can only come from a damaged file; count it once
        set.add(key);
        this.stored++;
        onScan?.(s);
      }
    }
  }

  /** Deletes daily files older than the retention, and their part of the index. */
  prune(now: number): void {
    const cutoff = localDay(now - this.opts.retentionDays * 86_400_000, this.opts.timeZone);
    for (const f of readdirSync(this.dir)) {
      const m = /^(\d{4}-\d{2}-\d{2})\.jsonl$/.exec(f);
      if (m && m[1] < cutoff) {
        const open = this.files.get(m[1]);
        if (open) { closeSync(open.fd); this.files.delete(m[1]); }
        unlinkSync(join(this.dir, f));
      }
    }
    for (const day of this.seen.keys()) if (day < cutoff) this.seen.delete(day);
  }

  has(kiosk: string, id: string, at: number): boolean {
    return this.seen.get(this.bucket(at))?.has(this.dedupKey(kiosk, id)) ?? false;
  }

  /**
   * Stores the scans not seen before and resolves once they are on disk (fdatasync). Duplicates are
   * counted and skipped. The caller acknowledges to the kiosk only after this resolves.
   */
  accept(kiosk: string, scans: ScanRecord[], now = Date.now()): Promise<{ stored: StoredScan[]; duplicates: number }> {
    const stored: StoredScan[] = [];
    let duplicates = 0;
    for (const r of scans) {
      const key = this.dedupKey(kiosk, r.id);
      const b = this.bucket(r.at);
      let set = this.seen.get(b);
      if (!set) this.seen.set(b, (set = new Set()));
      if (set.has(key)) { duplicates++; continue; }
      set.add(key);
      const s: StoredScan = { ...r, k: kiosk, rx: now, day: localDay(r.clockSynced ? r.at : now, this.opts.timeZone) };
      this.append(s);
      stored.push(s);
    }
    this.duplicates += duplicates;
    this.stored += stored.length;
    const done = stored.length ? this.commit() : Promise.resolve();
    return done.then(() => {
      for (const s of stored) this.emit('stored', s);
      return { stored, duplicates };
    });
  }

  private append(s: StoredScan): void {
    let f = this.files.get(s.day);
    if (!f) {
      f = { fd: openSync(join(this.dir, `${s.day}.jsonl`), 'a'), dirty: false };
      this.files.set(s.day, f);
    }
    const line = Buffer.from(JSON.stringify(s) + '\n');
    let off = 0;
    while (off < line.length) off += writeSync(f.fd, line, off, line.length - off);
    f.dirty = true;
  }

  private commit(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (!this.commitTimer && !this.syncing) this.commitTimer = setTimeout(() => this.sync(), this.opts.commitMs ?? 5);
    });
  }

  private sync(): void {
    this.commitTimer = null;
    this.syncing = true;
    const waiters = this.waiters;
    this.waiters = [];
    const dirty = [...this.files.values()].filter((f) => f.dirty);
    for (const f of dirty) f.dirty = false;
    let left = dirty.length;
    const finish = () => {
      this.syncing = false;
      for (const w of waiters) w();
      if (this.waiters.length) this.commitTimer = setTimeout(() => this.sync(), this.opts.commitMs ?? 5);
    };
    if (!left) { finish(); return; }
    for (const f of dirty) {
      fdatasync(f.fd, (err) => {
        if (err) this.opts.log?.(`scans: fdatasync failed: ${err.message}: the hub's disk may be failing`);
        if (--left === 0) finish();
      });
    }
  }

  bytesOnDisk(): number {
    let n = 0;
    for (const f of this.files.values()) n += fstatSync(f.fd).size;
    return n;
  }

  close(): void {
    if (this.commitTimer) { clearTimeout(this.commitTimer); this.commitTimer = null; }
    for (const f of this.files.values()) { if (f.dirty) fdatasyncSync(f.fd); closeSync(f.fd); }
    this.files.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

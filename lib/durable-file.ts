// Atomic, durable file writes: write a temporary file, fsync it, rename it over the old one, fsync the
// folder. After a power cut the file is either the old version or the new one, never half of each.
// lowdb's own TextFile adapter (steno) renames but never fsyncs, so its writes can vanish in a power cut.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { Adapter } from 'lowdb';

export function writeDurable(path: string, data: Uint8Array | string, mode = 0o640): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

/** A lowdb adapter that writes through writeDurable, whatever NODE_ENV says. */
export class DurableJsonFile<T> implements Adapter<T> {
  constructor(private readonly path: string) {}

  async read(): Promise<T | null> {
    if (!existsSync(this.path)) return null;
    const text = readFileSync(this.path, 'utf8');
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`${this.path} is not valid JSON (${(e as Error).message}): move it away to start from defaults`);
    }
  }

  async write(data: T): Promise<void> {
    writeDurable(this.path, JSON.stringify(data, null, 1));
  }
}

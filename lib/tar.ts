// A release bundle is a gzipped POSIX tar (ustar) of regular files and folders, readable by `tar tzf` on any
// machine. Written and read here rather than with the tar command: unpacking takes regular files and folders only,
// under the target folder only (no links, devices, absolute names or "..": a bundle cannot write outside its release
// folder even if its signature were somehow accepted), and the builder's modes are kept but never set-id bits.
import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

export interface TarFile { name: string; data: Uint8Array; mode?: number }

export class TarError extends Error {}

const BLOCK = 512;

function octal(out: Buffer, off: number, len: number, value: number): void {
  out.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

/** Splits a name into ustar's prefix (155) and name (100) fields at a slash. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const pre = name.slice(0, i), rest = name.slice(i + 1);
    if (Buffer.byteLength(pre) <= 155 && Buffer.byteLength(rest) <= 100) return [pre, rest];
  }
  throw new TarError(`file name ${JSON.stringify(name)} is too long for a ustar bundle (255 bytes, 100 after the last slash)`);
}

function header(name: string, size: number, mode: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, base] = splitName(name);
  h.write(base, 0, 100, 'utf8');
  octal(h, 100, 8, mode & 0o777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0); // mtime 0: the same files always make the same bundle, so its SHA-256 is reproducible
  h.fill(0x20, 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write('ustar\0' + '00', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** A gzipped tar of these files (sorted by name), with the folders they need. */
export function packTarGz(files: TarFile[], level = 6): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    checkName(f.name);
    const segs = f.name.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/') + '/';
      if (!dirs.has(d)) { dirs.add(d); parts.push(header(d, 0, 0o755, '5')); }
    }
    parts.push(header(f.name, f.data.length, f.mode ?? 0o644, '0'), Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
    const pad = (BLOCK - (f.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level });
}

function checkName(name: string): void {
  const segs = name.replace(/\/$/, '').split('/');
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0') || segs.some((x) => x === '' || x === '.' || x === '..')) {
    throw new TarError(`bundle entry ${JSON.stringify(name)} is not a plain relative name inside the bundle: refused`);
  }
}

function field(h: Buffer, off: number, len: number): string {
  const s = h.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
}

/** The files of a gzipped tar, checked; throws TarError on anything but plain files and folders. */
export function readTarGz(gz: Uint8Array, maxBytes = 1 << 30): TarFile[] {
  let buf: Buffer;
  try { buf = gunzipSync(gz, { maxOutputLength: maxBytes }); } catch (e) { throw new TarError(`bundle is not gzip data within ${maxBytes} bytes: ${(e as Error).message}`); }
  const out: TarFile[] = [];
  let off = 0;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (parseInt(field(h, 148, 8).trim(), 8) !== sum) throw new TarError(`bundle entry header at byte ${off} has a bad checksum`);
    const prefix = field(h, 345, 155), base = field(h, 0, 100);
    const name = prefix ? `${prefix}/${base}` : base;
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 0x30);
    checkName(name);
    if (!Number.isSafeInteger(size) || size < 0 || off + BLOCK + size > buf.length) throw new TarError(`bundle entry ${JSON.stringify(name)} runs past the end of the bundle`);
    if (type === '0') out.push({ name, data: buf.subarray(off + BLOCK, off + BLOCK + size), mode: parseInt(field(h, 100, 8).trim() || '644', 8) & 0o777 });
    else if (type !== '5') throw new TarError(`bundle entry ${JSON.stringify(name)} is of tar type ${JSON.stringify(type)}, not a file or a folder: refused`);
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/** Writes the files of a gzipped tar under `dest` (which must not exist yet or be empty). */
export function unpackTarGz(gz: Uint8Array, dest: string): number {
  const root = resolve(dest);
  const files = readTarGz(gz);
  for (const f of files) {
    const path = resolve(join(root, f.name));
    if (!path.startsWith(root + sep)) throw new TarError(`bundle entry ${JSON.stringify(f.name)} lands outside ${root}: refused`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.data, { mode: (f.mode ?? 0o644) & 0o755 });
  }
  return files.length;
}

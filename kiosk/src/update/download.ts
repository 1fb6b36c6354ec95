// Fetches a release bundle from the hub in the background: at a bounded rate (a roadside link carries scans first),
// into a .part file that survives a dropped link or a reboot, resumed with an HTTP range request from the bytes
// already on disk. The whole file is then checked against the signed size and SHA-256 before anything uses it.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';

export class DownloadError extends Error {
  constructor(readonly code: 'http' | 'network' | 'size' | 'checksum' | 'aborted', message: string) { super(message); }
}

export interface DownloadOptions {
  url: string;
  /** the .part file: bytes already there are kept and the rest asked for */
  file: string;
  size: number;
  /** bytes per second at most */
  rate: number;
  ca?: Buffer;
  signal?: AbortSignal;
  progress?: (bytes: number) => void;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

function have(file: string): number {
  try { return statSync(file).size; } catch { return 0; }
}

function get(url: URL, headers: Record<string, string>, ca: Buffer | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { headers, ca, signal, timeout: 30_000 }, resolve);
    req.on('timeout', () => req.destroy(new Error('no answer for 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Downloads what is missing of the file; returns the bytes fetched this time. Throws DownloadError. */
export async function download(o: DownloadOptions): Promise<number> {
  let from = have(o.file);
  if (from > o.size) { truncateSync(o.file, 0); from = 0; }
  if (from === o.size) return 0;
  const url = new URL(o.url);
  let res: IncomingMessage;
  try {
    res = await get(url, from ? { Range: `bytes=${from}-` } : {}, o.ca, o.signal);
  } catch (e) {
    if (o.signal?.aborted) throw new DownloadError('aborted', 'download stopped');
    throw new DownloadError('network', `cannot reach ${url.origin} (${(e as Error).message}): the download resumes from byte ${from} when the link is back`);
  }
  if (res.statusCode === 200 && from > 0) { truncateSync(o.file, 0); from = 0; } // the server ignored the range: start again
  else if (res.statusCode !== 200 && res.statusCode !== 206) {
    res.resume();
    throw new DownloadError('http', `${url.pathname} answered HTTP ${res.statusCode}: is the release on the hub (chot release rollout)?`);
  }
  if (res.statusCode === 206 && !new RegExp(`^bytes ${from}-`).test(String(res.headers['content-range'] ?? ''))) {
    res.resume();
    throw new DownloadError('http', `${url.pathname} answered a range other than the one asked for (${JSON.stringify(res.headers['content-range'])})`);
  }
  const fd = openSync(o.file, from ? 'a' : 'w', 0o640);
  const started = Date.now();
  let got = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (from + got + chunk.length > o.size) throw new DownloadError('size', `${url.pathname} is longer than the ${o.size} bytes the release was signed with: refused`);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      got += chunk.length;
      o.progress?.(from + got);
      // the rate bound: ahead of it, wait until the bytes so far are within it
      const ahead = (got / o.rate) * 1000 - (Date.now() - started);
      if (ahead > 5) await sleep(ahead, o.signal);
      if (o.signal?.aborted) break;
    }
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    if (!o.signal?.aborted) throw new DownloadError('network', `the link dropped at byte ${from + got} of ${o.size} (${(e as Error).message}): the download resumes from there`);
  } finally {
    try { fsyncSync(fd); } finally { closeSync(fd); }
  }
  if (o.signal?.aborted) throw new DownloadError('aborted', `download stopped at byte ${from + got} of ${o.size}`);
  if (from + got < o.size) throw new DownloadError('network', `the link dropped at byte ${from + got} of ${o.size}: the download resumes from there`);
  return got;
}

export function sha256File(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest()));
  });
}

/** Whole file, size and SHA-256 as signed: else a DownloadError that says which. */
export async function checkFile(file: string, size: number, sha256: Uint8Array): Promise<void> {
  const n = have(file);
  if (n !== size) throw new DownloadError('size', `the bundle is ${n} bytes, the release was signed for ${size}: refused`);
  const got = await sha256File(file);
  if (!got.equals(Buffer.from(sha256))) throw new DownloadError('checksum', `the bundle's SHA-256 is ${got.toString('hex')}, the release was signed for ${Buffer.from(sha256).toString('hex')}: refused (changed on the way or on the hub)`);
}

// Camera scanning: frames from one long-running camera process, never one process per picture. On a Pi camera
// module (libcamera): rpicam-vid -t 0 -n --codec yuv420 --flush --width W --height H -o -; on a USB webcam:
// ffmpeg -f v4l2 -i /dev/video0 -f rawvideo -pix_fmt gray -s WxH -. The luminance plane is used as it comes (no
// JPEG round trip). rpicam-vid writes each frame's buffer as the ISP filled it, row padding included, and the
// padding differs between the Pi 4's and the Pi 5's ISP (frameLayout). A stream whose frames are not the size
// expected is noticed from the pauses between frames and logged once (never decoded out of step). While the
// decoder is busy, new frames are dropped rather than queued. A camera process that dies is restarted with
// backoff, and reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Backoff } from '../uplink/backoff.js';
import type { QrDecoder } from '../camera/decode.js';
import { ScanSource } from './source.js';
import type { Log } from '../../../lib/log.js';

/** gray: packed luminance (ffmpeg); vc4: the Pi 4's bcm2835-isp yuv420; pisp: the Pi 5's PiSP yuv420 */
export type FrameLayoutKind = 'gray' | 'vc4' | 'pisp';

export interface CameraOptions {
  /** 'ffmpeg' (gray rawvideo), 'rpicam' (yuv420), or a full command line producing frames of `layout` */
  kind: 'ffmpeg' | 'rpicam' | 'command';
  device?: string;
  width: number;
  height: number;
  fps?: number;
  command?: string[];
  /** default: gray for ffmpeg and commands, the ISP of this Pi (isp()) for rpicam */
  layout?: FrameLayoutKind;
  decoder: QrDecoder;
  log?: Log;
}

export function cameraCommand(o: CameraOptions): string[] {
  if (o.kind === 'command') return o.command!;
  // --flush: each frame reaches the pipe whole, not with its tail left in stdio's buffer until the next frame
  if (o.kind === 'rpicam') return ['rpicam-vid', '-t', '0', '-n', '--codec', 'yuv420', '--flush', '--width', String(o.width), '--height', String(o.height), '--framerate', String(o.fps ?? 10), '-o', '-'];
  // -s: ffmpeg scales to the size asked for even if the camera's driver picked another (v4l2 may adjust it)
  return ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-framerate', String(o.fps ?? 10), '-video_size', `${o.width}x${o.height}`, '-i', o.device ?? '/dev/video0', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${o.width}x${o.height}`, '-flush_packets', '1', '-'];
}

/** The ISP of this Pi, from the device tree: PiSP on a Pi 5 (and 500, CM5), bcm2835-isp (vc4) before it. */
export function isp(model = readModel()): 'vc4' | 'pisp' {
  return /^Raspberry Pi (5|500|Compute Module 5)\b/.test(model) ? 'pisp' : 'vc4';
}
function readModel(): string {
  try { return readFileSync('/proc/device-tree/model', 'utf8').replace(/\0/g, ''); } catch { return ''; }
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * Bytes per frame and per luminance row. yuv420 is one buffer: the Y plane, then U and V with half the stride
 * and half the rows (rounded up), as libcamera's PixelFormatInfo::planeSize splits a single-plane V4L2 buffer.
 * - vc4 (Pi 4): the bcm2835-isp driver aligns bytesperline to 64 for YUV420 (bcm2835-isp-fmts.h) and the
 *   chroma stride is half of it: 800 wide gives a 832-byte Y stride and 416-byte chroma strides.
 * - pisp (Pi 5): libpisp aligns the chroma stride (width / 2) to 64 bytes (compute_optimal_stride), and
 *   libcamera's pisp pipeline then sets the Y stride to twice that: 800 wide gives 448 and 896.
 * - gray (ffmpeg's rawvideo gray): packed, no padding.
 */
export function frameLayout(layout: FrameLayoutKind, width: number, height: number): { frameBytes: number; stride: number } {
  if (layout === 'gray') return { frameBytes: width * height, stride: width };
  const stride = layout === 'vc4' ? align(width, 64) : 2 * align(Math.floor(width / 2), 64);
  return { frameBytes: stride * height + 2 * (stride / 2) * Math.ceil(height / 2), stride };
}

/** A pause this long between chunks is a frame boundary (frames come every 1/fps s, each written at once). */
const PAUSE_MS = 25;

export class CameraScanner extends ScanSource {
  readonly kind = 'camera' as const;
  private proc: ChildProcess | null = null;
  private stopped = false;
  private busy = false;
  private readonly backoff = new Backoff(500, 30_000);
  private retry: NodeJS.Timeout | null = null;
  frames = 0;
  dropped = 0;
  decoded = 0;

  constructor(private readonly o: CameraOptions) {
    super();
    this.layout = o.layout ?? (o.kind === 'rpicam' ? isp() : 'gray');
  }

  start(): void {
    this.stopped = false;
    this.launch();
  }

  /** The layout frames are cut by: the configured one until the stream shows another (mismatch()). */
  private layout: FrameLayoutKind;
  private warned = new Set<number>();
  private refused = false;

  private launch(): void {
    if (this.stopped) return;
    const [cmd, ...args] = cameraCommand(this.o);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let pending: Buffer[] = [], have = 0, stderr = '';
    // bytes between pauses: whole frames when the size is right; `runs` keeps the last few
    let lastChunk = 0, sincePause = 0;
    const runs: number[] = [];
    proc.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-500); });
    proc.on('error', (e) => this.o.log?.(`camera: cannot start ${cmd} (${e.message}): is it installed?`, 'error'));
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (this.state !== 'ok' && !this.refused) { this.backoff.reset(); this.setState('ok', `${cmd} ${this.o.width}x${this.o.height}`); }
      const now = performance.now();
      if (lastChunk && now - lastChunk > PAUSE_MS) {
        runs.push(sincePause);
        if (runs.length > 3) runs.shift();
        sincePause = 0;
        const { frameBytes } = frameLayout(this.layout, this.o.width, this.o.height);
        if (runs.length === 3 && runs.every((r) => r === runs[0]) && runs[0] % frameBytes !== 0) this.mismatch(cmd, runs[0]);
        // a pause means a frame has ended: bytes left over are out of step, never the start of the next frame
        if (have) { pending = []; have = 0; }
      }
      lastChunk = now;
      sincePause += chunk.length;
      if (this.refused) return;
      const { frameBytes, stride } = frameLayout(this.layout, this.o.width, this.o.height);
      pending.push(chunk); have += chunk.length;
      while (have >= frameBytes) {
        const all = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        const frame = all.subarray(0, frameBytes);
        pending = have > frameBytes ? [all.subarray(frameBytes)] : []; have -= frameBytes;
        this.frames++;
        if (this.busy) { this.dropped++; continue; } // never queue frames: the newest one matters
        this.decodeFrame(Buffer.from(frame), stride);
      }
    });
    proc.on('exit', (code, signal) => {
      if (this.proc !== proc) return;
      this.proc = null;
      if (this.stopped) return;
      const wait = this.backoff.next();
      this.o.log?.(`camera: ${cmd} stopped (${signal ?? `exit ${code}`}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}); restarting in ${(wait / 1000).toFixed(1)} s`, 'warn');
      this.setState('absent', `${cmd} stopped; restarting`);
      this.retry = setTimeout(() => { this.retry = null; this.launch(); }, wait);
    });
  }

  /**
   * Frames of another size than the layout gives: if it is another known layout's size at this width and
   * height (a Pi 5 taken for a Pi 4), frames are cut by that one from now on; otherwise none is decoded. Either
   * way it is logged once per size, and a refusal shows on the screen's scanner state.
   */
  private mismatch(cmd: string, bytes: number): void {
    const { width: w, height: h } = this.o;
    const expected = frameLayout(this.layout, w, h).frameBytes;
    const other = (['vc4', 'pisp', 'gray'] as const).find((l) => frameLayout(l, w, h).frameBytes === bytes);
    const first = !this.warned.has(bytes);
    this.warned.add(bytes);
    if (other) {
      if (first) this.o.log?.(`camera: ${cmd} sends ${bytes}-byte frames, but ${w}x${h} in the ${this.layout} layout is ${expected}: they match the ${other} layout, reading them so from now on`, 'warn');
      this.layout = other;
      return;
    }
    if (first) this.o.log?.(`camera: ${cmd} sends ${bytes}-byte frames, but ${w}x${h} in the ${this.layout} layout is ${expected} and no known layout gives ${bytes}: no frame is decoded; set scanner.width/height to a size the camera delivers (e.g. 640x480)`, 'error');
    this.refused = true;
    this.setState('absent', `${cmd}: frames of ${bytes} bytes, expected ${expected} for ${w}x${h}`);
  }

  private decodeFrame(frame: Buffer, stride: number): void {
    this.busy = true;
    const at = performance.now();
    const { width, height } = this.o;
    let gray = new Uint8Array(frame.buffer, frame.byteOffset, stride * height);
    if (stride !== width) {
      const packed = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) packed.set(gray.subarray(y * stride, y * stride + width), y * width);
      gray = packed;
    }
    this.o.decoder.decode(gray, width, height).then((text) => {
      if (text) { this.decoded++; this.emit('code', text, at); } // the kiosk's debounce makes consecutive frames one scan
    }, (e) => this.o.log?.(`camera: decoder failed on a frame: ${(e as Error).message}`, 'warn')).finally(() => { this.busy = false; });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null) { p.kill('SIGTERM'); await new Promise((r) => p.once('exit', r)); }
    this.setState('stopped', '');
  }
}

// Camera scanning: frames from one long-running camera process, never one process per picture. On a Pi camera
// module (libcamera): rpicam-vid -t 0 -n --codec yuv420 --width W --height H -o -; on a USB webcam:
// ffmpeg -f v4l2 -i /dev/video0 -f rawvideo -pix_fmt gray -. The luminance plane is used as it comes (no JPEG
// round trip), minding rpicam's row padding to a multiple of 64 bytes. While the decoder is busy, new frames are
// dropped rather than queued. A camera process that dies is restarted with backoff, and reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Backoff } from '../uplink/backoff.js';
import type { QrDecoder } from '../camera/decode.js';
import { ScanSource } from './source.js';

export interface CameraOptions {
  /** 'ffmpeg' (gray rawvideo), 'rpicam' (yuv420), or a full command line producing gray rawvideo frames */
  kind: 'ffmpeg' | 'rpicam' | 'command';
  device?: string;
  width: number;
  height: number;
  fps?: number;
  command?: string[];
  decoder: QrDecoder;
  log?: (l: string) => void;
}

export function cameraCommand(o: CameraOptions): string[] {
  if (o.kind === 'command') return o.command!;
  if (o.kind === 'rpicam') return ['rpicam-vid', '-t', '0', '-n', '--codec', 'yuv420', '--width', String(o.width), '--height', String(o.height), '--framerate', String(o.fps ?? 10), '-o', '-'];
  return ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-framerate', String(o.fps ?? 10), '-video_size', `${o.width}x${o.height}`, '-i', o.device ?? '/dev/video0', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'];
}

/** Bytes per frame and per luminance row: rpicam pads each row to a multiple of 64 and adds the chroma planes. */
export function frameLayout(kind: CameraOptions['kind'], width: number, height: number): { frameBytes: number; stride: number } {
  if (kind !== 'rpicam') return { frameBytes: width * height, stride: width };
  const stride = Math.ceil(width / 64) * 64;
  const chromaStride = Math.ceil(width / 2 / 64) * 64;
  return { frameBytes: stride * height + 2 * chromaStride * Math.ceil(height / 2), stride };
}

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

  constructor(private readonly o: CameraOptions) { super(); }

  start(): void {
    this.stopped = false;
    this.launch();
  }

  private launch(): void {
    if (this.stopped) return;
    const [cmd, ...args] = cameraCommand(this.o);
    const { frameBytes, stride } = frameLayout(this.o.kind, this.o.width, this.o.height);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let pending: Buffer[] = [], have = 0, stderr = '';
    proc.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-500); });
    proc.on('error', (e) => this.o.log?.(`camera: cannot start ${cmd} (${e.message}): is it installed?`));
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (this.state !== 'ok') { this.backoff.reset(); this.setState('ok', `${cmd} ${this.o.width}x${this.o.height}`); }
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
      this.o.log?.(`camera: ${cmd} stopped (${signal ?? `exit ${code}`}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}); restarting in ${(wait / 1000).toFixed(1)} s`);
      this.setState('absent', `${cmd} stopped; restarting`);
      this.retry = setTimeout(() => { this.retry = null; this.launch(); }, wait);
    });
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
    }, (e) => this.o.log?.(`camera: decoder failed on a frame: ${(e as Error).message}`)).finally(() => { this.busy = false; });
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

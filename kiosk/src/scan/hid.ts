// Keyboard-mode (USB HID) scanners, the factory default of most models: read straight from the Linux input
// device (/dev/input/by-id/*-event-kbd) as evdev key events, so the scanner works without a setup barcode.
// Events are struct input_event: 24 bytes on 64-bit kernels (16 on 32-bit ARM), EV_KEY presses mapped through a
// US layout with shift. ENTER ends a code. The device is not grabbed (EVIOCGRAB is an ioctl Node cannot make
// without a native addon); instead provisioning's udev rule marks it LIBINPUT_IGNORE_DEVICE, so the desktop and
// the officer screen never see its keystrokes. A code with a key we cannot map is dropped with a log line, never
// passed on half-read.
import { createReadStream, type ReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ScanSource } from './source.js';
import type { Log } from '../../../lib/log.js';

const EV_KEY = 1;
const KEY_ENTER = 28, KEY_KPENTER = 96, KEY_LEFTSHIFT = 42, KEY_RIGHTSHIFT = 54;

// keycode → [plain, shifted] (linux/input-event-codes.h, US layout)
const KEYMAP: Record<number, [string, string]> = {
  2: ['1', '!'], 3: ['2', '@'], 4: ['3', '#'], 5: ['4', '$'], 6: ['5', '%'], 7: ['6', '^'], 8: ['7', '&'], 9: ['8', '*'], 10: ['9', '('], 11: ['0', ')'],
  12: ['-', '_'], 13: ['=', '+'], 15: ['\t', '\t'], 26: ['[', '{'], 27: [']', '}'], 39: [';', ':'], 40: ["'", '"'], 41: ['`', '~'], 43: ['\\', '|'],
  51: [',', '<'], 52: ['.', '>'], 53: ['/', '?'], 55: ['*', '*'], 57: [' ', ' '], 74: ['-', '-'], 78: ['+', '+'], 98: ['/', '/'],
};
'qwertyuiop'.split('').forEach((c, i) => (KEYMAP[16 + i] = [c, c.toUpperCase()]));
'asdfghjkl'.split('').forEach((c, i) => (KEYMAP[30 + i] = [c, c.toUpperCase()]));
'zxcvbnm'.split('').forEach((c, i) => (KEYMAP[44 + i] = [c, c.toUpperCase()]));

export function eventSize(arch = process.arch): number {
  return arch === 'arm' || arch === 'ia32' ? 16 : 24;
}

/** Turns raw input_event bytes into codes; pure, so it is tested with plain bytes. */
export class KeyDecoder {
  private pending = Buffer.alloc(0);
  private shift = false;
  private line = '';
  private bad: number | undefined;

  constructor(private readonly size = eventSize(), private readonly maxLength = 4400) {}

  push(chunk: Buffer): Array<{ code: string } | { dropped: string }> {
    const out: Array<{ code: string } | { dropped: string }> = [];
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    for (; off + this.size <= buf.length; off += this.size) {
      const type = buf.readUInt16LE(off + this.size - 8);
      const code = buf.readUInt16LE(off + this.size - 6);
      const value = buf.readInt32LE(off + this.size - 4);
      if (type !== EV_KEY) continue;
      if (code === KEY_LEFTSHIFT || code === KEY_RIGHTSHIFT) { this.shift = value !== 0; continue; }
      if (value !== 1) continue; // releases and auto-repeat
      if (code === KEY_ENTER || code === KEY_KPENTER) {
        if (this.bad !== undefined) out.push({ dropped: `key code ${this.bad} has no character in the US layout: is the scanner set to another keyboard language?` });
        else if (this.line.length > this.maxLength) out.push({ dropped: `line longer than ${this.maxLength} characters` });
        else if (this.line.trim()) out.push({ code: this.line.trim() });
        this.line = '';
        this.bad = undefined;
        continue;
      }
      const k = KEYMAP[code];
      if (!k) { this.bad ??= code; continue; }
      if (this.line.length <= this.maxLength) this.line += k[this.shift ? 1 : 0];
    }
    buf = buf.subarray(off);
    this.pending = Buffer.from(buf);
    return out;
  }
}

export class HidScanner extends ScanSource {
  readonly kind = 'hid' as const;
  private stream: ReadStream | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: { path: string; retryMs?: number; log?: Log }) {
    super();
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const decoder = new KeyDecoder();
    const s = createReadStream(this.opts.path);
    this.stream = s;
    s.on('open', () => { if (this.state === 'absent') this.opts.log?.(`scanner: ${this.opts.path} is back`); this.setState('ok', this.opts.path); });
    s.on('data', (chunk) => {
      const at = performance.now();
      for (const e of decoder.push(chunk as Buffer)) {
        if ('code' in e) this.emit('code', e.code, at);
        else this.opts.log?.(`scanner: dropped a code from ${this.opts.path}: ${e.dropped}`, 'warn');
      }
    });
    const gone = (why: string) => {
      if (this.stream !== s || this.stopped) return;
      this.stream = null;
      if (this.state !== 'absent') this.opts.log?.(`scanner: ${this.opts.path} is gone (${why}); waiting for it to come back${/EACCES/.test(why) ? ': add the chot user to the input group' : ''}`, 'warn');
      this.setState('absent', `${this.opts.path}: ${why}`);
      this.retry = setTimeout(() => { this.retry = null; this.open(); }, this.opts.retryMs ?? 500);
    };
    s.on('error', (e) => gone(e.message));
    s.on('end', () => gone('unplugged'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.stream?.destroy();
    this.stream = null;
    this.setState('stopped', '');
  }
}

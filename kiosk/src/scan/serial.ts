// Serial barcode scanners (USB-COM mode: /dev/ttyACM0, /dev/ttyUSB0) through serialport. Codes are framed by
// LineFramer (CR, LF or CRLF). An unplugged scanner is noticed at once (the port closes or errors) and the
// port is tried again every 500 ms, so a scanner plugged back in reads again within 2 s.
import { SerialPort } from 'serialport';
import { performance } from 'node:perf_hooks';
import { LineFramer } from './lines.js';
import { ScanSource } from './source.js';
import type { Log } from '../../../lib/log.js';

export interface SerialOptions {
  path: string;
  baudRate?: number;
  maxLength?: number;
  retryMs?: number;
  log?: Log;
}

export class SerialScanner extends ScanSource {
  readonly kind = 'serial' as const;
  private port: SerialPort | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;
  private framer: LineFramer;
  private readonly log: Log;

  constructor(private readonly opts: SerialOptions) {
    super();
    this.framer = new LineFramer(opts.maxLength);
    this.log = opts.log ?? (() => {});
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate ?? 9600, autoOpen: false });
    this.port = port;
    port.open((err) => {
      if (this.stopped) { port.close(() => {}); return; }
      if (err) {
        if (this.state !== 'absent') this.log(`scanner: cannot open ${this.opts.path}: ${err.message}; retrying every ${this.opts.retryMs ?? 500} ms (is it plugged in, in USB-COM mode?)`, 'warn');
        this.setState('absent', `${this.opts.path}: ${err.message}`);
        this.scheduleRetry();
        return;
      }
      this.framer = new LineFramer(this.opts.maxLength);
      if (this.state === 'absent') this.log(`scanner: ${this.opts.path} is back`);
      else if (this.state === 'starting') this.log(`scanner: reading ${this.opts.path} at ${this.opts.baudRate ?? 9600} baud`);
      this.setState('ok', this.opts.path);
    });
    port.on('data', (chunk: Buffer) => {
      const at = performance.now();
      for (const e of this.framer.push(chunk)) {
        if ('code' in e) this.emit('code', e.code, at);
        else this.log(`scanner: dropped a line from ${this.opts.path}: ${e.dropped}`, 'warn');
      }
    });
    const gone = (why: string) => {
      if (this.port !== port || this.stopped) return;
      this.port = null;
      this.log(`scanner: ${this.opts.path} was disconnected (${why}); waiting for it to come back`, 'warn');
      this.setState('absent', `${this.opts.path} disconnected`);
      if (port.isOpen) port.close(() => {});
      this.scheduleRetry();
    };
    port.on('close', () => gone('closed'));
    port.on('error', (e: Error) => gone(e.message));
  }

  private scheduleRetry(): void {
    if (this.retry || this.stopped) return;
    this.retry = setTimeout(() => { this.retry = null; this.open(); }, this.opts.retryMs ?? 500);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) { clearTimeout(this.retry); this.retry = null; }
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    this.setState('stopped', '');
  }
}

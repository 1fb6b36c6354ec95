// The real driver: onoff (sysfs GPIO, edge interrupts through epoll) with the chip base resolved from sysfs.
// onoff is unmaintained and assumes numbers start at 0; chip.ts fixes that by adding the header chip's base.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { LINE_DEBOUNCE_MAX_MS, type GpioDriver, type InputPin, type OutputPin } from './driver.js';
import { headerChip, sysfsNumber, type GpioChip } from './chip.js';

interface OnoffGpio {
  writeSync(v: 0 | 1): void;
  readSync(): 0 | 1;
  watch(cb: (err: Error | null | undefined, v: 0 | 1) => void): void;
  unexport(): void;
}
interface OnoffModule {
  Gpio: { new (n: number, dir: string, edge?: string, opts?: { activeLow?: boolean; debounceTimeout?: number }): OnoffGpio; accessible: boolean };
}

export class OnoffDriver implements GpioDriver {
  readonly name = 'onoff';
  private readonly chip: GpioChip;
  private readonly pins: OnoffGpio[] = [];
  private readonly Gpio: OnoffModule['Gpio'];

  constructor(opts: { sysfs?: string; chipLabel?: string } = {}) {
    this.Gpio = (createRequire(import.meta.url)('onoff') as OnoffModule).Gpio;
    this.chip = headerChip(opts.sysfs, opts.chipLabel);
    if (!this.Gpio.accessible) throw new Error('sysfs GPIO is not accessible: add the chot user to the gpio group (provisioning does) or run chot doctor');
  }

  describe(): string {
    return `onoff, ${this.chip.label} base ${this.chip.base}`;
  }

  output(bcm: number, activeLow: boolean): OutputPin {
    // 'low' starts the line inactive for active-high outputs; with activeLow onoff inverts it for us
    const g = new this.Gpio(sysfsNumber(this.chip, bcm), activeLow ? 'high' : 'low', undefined, { activeLow });
    this.pins.push(g);
    return { write: (on) => g.writeSync(on ? 1 : 0), read: () => g.readSync() === 1 };
  }

  input(bcm: number, activeLow: boolean, debounceMs: number, onPress: () => void): InputPin {
    // onoff reads the line once it has been quiet for debounceTimeout: a pulse shorter than that reads inactive and
    // is lost, so onoff filters the bounce only and a lockout here the rest (LINE_DEBOUNCE_MAX_MS)
    const g = new this.Gpio(sysfsNumber(this.chip, bcm), 'in', 'rising', { activeLow, debounceTimeout: Math.min(debounceMs, LINE_DEBOUNCE_MAX_MS) });
    let last = -Infinity;
    g.watch((err, v) => {
      if (err || v !== 1) return;
      const now = performance.now();
      if (now - last < debounceMs) return;
      last = now;
      onPress();
    });
    this.pins.push(g);
    return { read: () => g.readSync() === 1 };
  }

  close(): void {
    for (const p of this.pins) { try { p.unexport(); } catch { /* already gone */ } }
  }
}

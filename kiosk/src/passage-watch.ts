// The passage sensor's effects around the pure machine (passage.ts): the input pin through the GPIO port, a clock
// and one timer for the next wait's end. What an outcome means for the booth (an annul record, a tailgate record
// with the red flash and the buzzer) is the kiosk's to do: it is told through PassageOutcomes.
import { performance } from 'node:perf_hooks';
import type { GpioDriver } from './gpio/driver.js';
import { INITIAL, nextDeadline, step, type PassageEvent, type PassageState } from './passage.js';

/** gate.passage in the kiosk config: a turnstile's rotation contact, a door contact or a light beam. */
export interface PassageConfig {
  /** BCM number of the sensor's input */
  pin: number;
  /** the sensor pulls the line to ground when someone passes (a contact to GND with the pull-up) */
  activeLow: boolean;
  /** edges closer than this after a passage are the same passage (a contact's bounce, legs breaking a beam twice) */
  debounceMs: number;
  /** how long a green (or an override) waits for its passage before it is annulled */
  waitMs: number;
}

/** Time as the watcher sees it: a monotonic now and one-shot timers. Tests give a clock they move by hand. */
export interface Timers {
  now(): number;
  /** calls fn once after ms; the function returned cancels it */
  after(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

export interface PassageOutcomes {
  /** nobody passed after this opening within waitMs */
  annul(scanId: string): void;
  /** a passage with no opening waiting */
  tailgate(): void;
  /** the opening's passage came */
  passed(scanId: string): void;
}

export class PassageWatch {
  private state: PassageState = INITIAL;
  private cancel: (() => void) | null = null;
  private out: PassageOutcomes | null = null;

  constructor(private readonly gpio: GpioDriver, readonly config: PassageConfig, private readonly timers: Timers = realTimers) {}

  /** Starts watching the sensor. Not in the constructor: the fail-safe command must not watch a pin. */
  start(out: PassageOutcomes): void {
    if (this.out) return;
    this.out = out;
    const c = this.config;
    (this.gpio as GpioDriver & { label?: (pin: number, name: string) => void }).label?.(c.pin, 'passage');
    this.gpio.input(c.pin, c.activeLow, c.debounceMs, () => this.feed({ kind: 'passage', at: this.timers.now() }));
  }

  /** The gate opened for this scan (a green, or the officer's override): its passage is awaited. */
  opened(scanId: string): void {
    if (this.out) this.feed({ kind: 'opened', scanId, at: this.timers.now() });
  }

  /** Openings still waiting for their passage. */
  get waiting(): number {
    return this.state.waiting.length;
  }

  /** Stops acting: openings still waiting are dropped (the kiosk is stopping and the gate is shut). */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
    this.out = null;
    this.state = INITIAL;
  }

  private feed(e: PassageEvent): void {
    const out = this.out;
    if (!out) return;
    const r = step(this.state, e, this.config.waitMs);
    this.state = r.state;
    this.schedule();
    for (const x of r.effects) {
      if (x.kind === 'annul') out.annul(x.scanId);
      else if (x.kind === 'tailgate') out.tailgate();
      else out.passed(x.scanId);
    }
  }

  /** One timer, for the oldest wait's end; a timer that fires early finds nothing due and sets itself again. */
  private schedule(): void {
    this.cancel?.();
    this.cancel = null;
    const due = nextDeadline(this.state);
    if (due === undefined) return;
    this.cancel = this.timers.after(Math.max(0, due - this.timers.now()), () => {
      this.cancel = null;
      this.feed({ kind: 'tick', at: this.timers.now() });
    });
  }
}

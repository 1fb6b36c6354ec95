// A simulated GPIO driver: records every pin change on a timeline (and, when given a file, appends each change
// to it synchronously, so a test can read what the pins did even after the process was killed).
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { GpioDriver, InputPin, OutputPin } from './driver.js';

export interface PinChange { t: number; pin: number; on: boolean; level: 0 | 1; name?: string }

export class SimGpio implements GpioDriver {
  readonly name = 'sim';
  readonly timeline: PinChange[] = [];
  private readonly levels = new Map<number, 0 | 1>();
  private readonly inputs = new Map<number, { activeLow: boolean; debounceMs: number; onPress: () => void; last: number; level: 0 | 1 }>();
  private readonly names = new Map<number, string>();

  /**
   * recordEveryWrite: note writes that do not change the level too (a re-triggered relay pulse), for benchmarks.
   * now: the clock inputs are debounced by (tests give one they move by hand).
   */
  constructor(private readonly timelineFile?: string, private readonly recordEveryWrite = false, private readonly now: () => number = () => performance.now()) {}

  describe(): string {
    return `sim${this.timelineFile ? `, timeline in ${this.timelineFile}` : ''}`;
  }

  label(pin: number, name: string): void {
    this.names.set(pin, name);
  }

  output(bcm: number, activeLow: boolean): OutputPin {
    const set = (on: boolean): void => {
      const level: 0 | 1 = on !== activeLow ? 1 : 0;
      if (this.levels.get(bcm) === level && !this.recordEveryWrite) return;
      this.levels.set(bcm, level);
      const change: PinChange = { t: performance.now(), pin: bcm, on, level, name: this.names.get(bcm) };
      this.timeline.push(change);
      if (this.timelineFile) appendFileSync(this.timelineFile, JSON.stringify({ ...change, wall: Date.now() }) + '\n');
    };
    set(false);
    return { write: set, read: () => (this.levels.get(bcm) === 1) !== activeLow };
  }

  input(bcm: number, activeLow: boolean, debounceMs: number, onPress: () => void): InputPin {
    // the line rests inactive (the pull towards it that a real driver asks for)
    const i = { activeLow, debounceMs, onPress, last: -Infinity, level: (activeLow ? 1 : 0) as 0 | 1 };
    this.inputs.set(bcm, i);
    return { read: () => (i.level === 1) !== i.activeLow };
  }

  /**
   * Sets an input's physical level, as a wire would. A change to the active level is a press, unless it comes
   * within debounceMs of the last press (a bounce, as the real drivers debounce). Returns whether it was a press.
   */
  drive(bcm: number, level: 0 | 1): boolean {
    const i = this.inputs.get(bcm);
    if (!i) throw new Error(`no input on BCM ${bcm}`);
    if (i.level === level) return false;
    i.level = level;
    if ((level === 1) === i.activeLow) return false;
    const now = this.now();
    if (now - i.last < i.debounceMs) return false;
    i.last = now;
    i.onPress();
    return true;
  }

  /** Simulates a press and release (the officer's button, someone passing the sensor); a bounce returns false. */
  press(bcm: number): boolean {
    const i = this.inputs.get(bcm);
    if (!i) throw new Error(`no input on BCM ${bcm}`);
    const on: 0 | 1 = i.activeLow ? 0 : 1;
    const pressed = this.drive(bcm, on);
    this.drive(bcm, on === 1 ? 0 : 1);
    return pressed;
  }

  /** Notes which scan the next pin changes answer (tests match signals to journaled scans). */
  annotate(note: string): void {
    const change = { t: performance.now(), pin: -1, on: false, level: 0 as const, name: note };
    this.timeline.push(change);
    if (this.timelineFile) appendFileSync(this.timelineFile, JSON.stringify({ ...change, wall: Date.now() }) + '\n');
  }

  close(): void {}
}

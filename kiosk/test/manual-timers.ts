// A clock the test moves by hand, for parts that take a Timers port (passage-watch.ts): timers fire in time order
// as the clock passes them, synchronously inside advance(), so a test never waits for real time to pass.
import type { Timers } from '../src/passage-watch.js';

export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const id = this.seq++;
    this.due.set(id, { at: this.t + Math.max(0, ms), fn });
    return () => { this.due.delete(id); };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.due.size;
  }

  /** Moves the clock on by ms, firing every timer it passes (and those they set) in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.due.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }
}

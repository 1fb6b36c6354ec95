// What the officer sees and hears. Idle: red lamp steady (stop). Green verdict: green lamp, gate relay
// pulse, one short beep. Red verdict: red lamp flashing, one long beep, gate stays shut. Fail-safe (stop,
// crash, lost config): relay released, green off, red on: the gate is never left open by a dead kiosk.
import type { GpioDriver, OutputPin } from './driver.js';

export interface PinConfig { pin: number; activeLow?: boolean }

export interface SignalConfig {
  pins: { green: PinConfig; red: PinConfig; relay: PinConfig; buzzer: PinConfig; button?: PinConfig };
  greenMs: number;
  redFlashMs: number;
  relayMs: number;
  beepShortMs: number;
  beepLongMs: number;
  buttonDebounceMs: number;
}

export const DEFAULT_SIGNAL: SignalConfig = {
  pins: { green: { pin: 17 }, red: { pin: 27 }, relay: { pin: 22 }, buzzer: { pin: 23 }, button: { pin: 24, activeLow: true } },
  greenMs: 3000, redFlashMs: 2000, relayMs: 1000, beepShortMs: 120, beepLongMs: 800, buttonDebounceMs: 50,
};

export class Signal {
  private readonly green: OutputPin;
  private readonly red: OutputPin;
  private readonly relay: OutputPin;
  private readonly buzzer: OutputPin;
  private timers: NodeJS.Timeout[] = [];
  private failedSafe = false;

  private watching = false;

  constructor(private readonly gpio: GpioDriver, private readonly cfg: SignalConfig) {
    const p = cfg.pins;
    const named = gpio as GpioDriver & { label?: (pin: number, name: string) => void };
    for (const [name, pc] of Object.entries(p)) if (pc) named.label?.(pc.pin, name);
    this.relay = gpio.output(p.relay.pin, !!p.relay.activeLow);
    this.green = gpio.output(p.green.pin, !!p.green.activeLow);
    this.red = gpio.output(p.red.pin, !!p.red.activeLow);
    this.buzzer = gpio.output(p.buzzer.pin, !!p.buzzer.activeLow);
    this.idle();
  }

  /**
   * The officer's button, when the config names one: `onPress` on each debounced press. Not in the constructor:
   * the fail-safe command builds a Signal only to shut the gate, and must not start watching a pin.
   */
  watchButton(onPress: () => void): void {
    const b = this.cfg.pins.button;
    if (!b || this.watching) return;
    this.watching = true;
    this.gpio.input(b.pin, !!b.activeLow, this.cfg.buttonDebounceMs, onPress);
  }

  private clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref?.();
    this.timers.push(t);
  }

  private idle(): void {
    this.green.write(false);
    this.red.write(true);
  }

  show(verdict: 'green' | 'red', scanId?: string): void {
    if (this.failedSafe) return;
    if (scanId) (this.gpio as GpioDriver & { annotate?: (n: string) => void }).annotate?.(`scan ${scanId} ${verdict}`);
    this.clear();
    this.buzzer.write(false);
    if (verdict === 'green') {
      this.red.write(false);
      this.green.write(true);
      this.relay.write(true);
      this.buzzer.write(true);
      this.later(this.cfg.beepShortMs, () => this.buzzer.write(false));
      this.later(this.cfg.relayMs, () => this.relay.write(false));
      this.later(this.cfg.greenMs, () => this.idle());
    } else {
      this.relay.write(false);
      this.green.write(false);
      this.red.write(true);
      this.buzzer.write(true);
      this.later(this.cfg.beepLongMs, () => this.buzzer.write(false));
      // flashing tells a fresh red verdict apart from the idle red
      for (let t = 150, on = false; t < this.cfg.redFlashMs; t += 150, on = !on) {
        const state = on;
        this.later(t, () => this.red.write(state));
      }
      this.later(this.cfg.redFlashMs, () => this.red.write(true));
    }
  }

  /** The officer's button: opens the gate like a green verdict, without the green lamp. */
  openGate(): void {
    if (this.failedSafe) return;
    this.relay.write(true);
    this.later(this.cfg.relayMs, () => this.relay.write(false));
  }

  /** Relay released, green off, red on, buzzer off. Synchronous: safe to call from exit handlers. */
  failSafe(): void {
    this.clear();
    try { this.relay.write(false); } finally {
      try { this.green.write(false); this.buzzer.write(false); } finally { this.red.write(true); }
    }
    this.failedSafe = true;
  }
}

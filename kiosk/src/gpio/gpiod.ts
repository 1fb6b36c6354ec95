// The GPIO character-device driver (/dev/gpiochipN), through libgpiod's own tools from Debian's gpiod package,
// the kernel's supported interface now that sysfs GPIO is deprecated. Why the tools and not an npm binding: they
// are packaged and maintained by Debian for each release, need no compiler on the Pi and no addon built per
// Node ABI, and a crash in them cannot take the kiosk down. The price: a process per line, which is what
// libgpiod asks for anyway, since a line keeps its value only while a process holds it.
//
// Outputs: each line is held by a running gpioset. Where gpioset has its interactive mode (libgpiod v2 built
// with libedit) the kiosk writes "set N=V" to it; otherwise (v1 on Bookworm, or v2 without it) a change stops
// the holder and starts one with the new value. Holders run under `setpriv --pdeathsig TERM`, so they end with
// the kiosk however it ends; a released line's level is then up to the wiring (kiosk/README.md: fail-safe).
// Inputs: gpiomon held running, edges parsed from its output, debounced here (v1 has no debounce of its own).
// v1 and v2 differ in flags: v1 takes the chip as the first argument and --mode; v2 takes -c CHIP.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LINE_DEBOUNCE_MAX_MS, type GpioDriver, type InputPin, type OutputPin } from './driver.js';
import { HEADER_LABELS } from './chip.js';
import type { Log } from '../../../lib/log.js';

export interface GpiodTools { version: 1 | 2; interactive: boolean }
export interface ChardevChip { name: string; label: string; lines: number }

/** "gpioset (libgpiod) v1.6.3" or "gpioset (libgpiod) v2.2.1" → 1 or 2 */
export function parseToolVersion(text: string): 1 | 2 {
  const m = /\(libgpiod\)\s+v?(\d+)\.\d+/.exec(text);
  if (!m) throw new Error(`cannot tell libgpiod's version from ${JSON.stringify(text.trim().split('\n')[0] ?? '')}: is gpioset from Debian's gpiod package?`);
  const major = Number(m[1]);
  if (major !== 1 && major !== 2) throw new Error(`libgpiod v${major} is not supported (v1 on Bookworm, v2 on Trixie are)`);
  return major;
}

/** gpiodetect's lines, the same in v1 and v2: "gpiochip0 [pinctrl-bcm2711] (58 lines)" */
export function parseDetect(text: string): ChardevChip[] {
  const chips: ChardevChip[] = [];
  for (const line of text.split('\n')) {
    const m = /^(gpiochip\d+) \[(.*)\] \((\d+) lines\)\s*$/.exec(line.trim());
    if (m) chips.push({ name: m[1], label: m[2], lines: Number(m[3]) });
  }
  return chips;
}

/** The chip of the 40-pin header: gpio.chipLabel if set, else the known Raspberry Pi controllers in order. */
export function headerChardev(chips: ChardevChip[], label?: string): ChardevChip {
  const list = chips.map((c) => `${c.name} [${c.label}]`).join(', ') || 'none';
  if (label) {
    const c = chips.find((x) => x.label === label);
    if (!c) throw new Error(`gpio.chipLabel ${JSON.stringify(label)} not found; chips here: ${list}`);
    return c;
  }
  for (const re of HEADER_LABELS) {
    const c = chips.find((x) => re.test(x.label) && x.lines >= 28);
    if (c) return c;
  }
  throw new Error(`no Raspberry Pi GPIO controller among ${list}: set gpio.chipLabel to the header's chip`);
}

/** gpioset holding one line at a level until it is stopped (or, interactive, told otherwise on stdin). */
export function holdArgs(t: GpiodTools, chip: string, offset: number, level: 0 | 1): string[] {
  if (t.version === 1) return ['--mode=signal', chip, `${offset}=${level}`];
  return [...(t.interactive ? ['--interactive'] : []), '--chip', chip, '--consumer', 'chot', `${offset}=${level}`];
}

/** gpioset setting lines once and exiting (chot kiosk failsafe). */
export function onceArgs(t: GpiodTools, chip: string, levels: Array<[number, 0 | 1]>): string[] {
  const pairs = levels.map(([o, l]) => `${o}=${l}`);
  return t.version === 1 ? ['--mode=exit', chip, ...pairs] : ['--chip', chip, '--consumer', 'chot', '--toggle', '0', ...pairs];
}

/**
 * gpiomon watching one input for edges towards its active level, biased towards the inactive one (an active-low
 * button to ground gets the pull-up). No --active-low: edges stay physical in both versions, mapped here.
 */
export function monitorArgs(t: GpiodTools, chip: string, offset: number, activeLow: boolean, debounceMs: number): string[] {
  const bias = activeLow ? 'pull-up' : 'pull-down';
  if (t.version === 1) return ['--bias', bias, activeLow ? '--falling-edge' : '--rising-edge', '--line-buffered', '--format=%e %o', chip, String(offset)];
  return ['--chip', chip, '--consumer', 'chot', '--bias', bias, '--edges', activeLow ? 'falling' : 'rising', '--debounce-period', `${debounceMs}ms`, '--format', '%e %o', String(offset)];
}

/** One line of gpiomon output ("%e %o"): v1 says 1 rising / 0 falling, v2 says 1 rising / 2 falling. */
export function parseEdge(t: GpiodTools, line: string): { offset: number; rising: boolean } | null {
  const m = /^(\d) (\d+)$/.exec(line.trim());
  if (!m) return null;
  const rising = m[1] === '1';
  if (!rising && m[1] !== (t.version === 1 ? '0' : '2')) return null;
  return { offset: Number(m[2]), rising };
}

export interface GpiodOptions {
  chipLabel?: string;
  /** where the tools are (tests point this at stand-ins); default: on the PATH */
  bin?: { gpioset?: string; gpiomon?: string; gpiodetect?: string };
  /** default /dev: a kernel with the character device has /dev/gpiochipN */
  dev?: string;
  log?: Log;
}

/** Whether this machine has GPIO character devices at all (the driver default depends on it). */
export function hasChardev(dev = '/dev'): boolean {
  try { return readdirSync(dev).some((f) => /^gpiochip\d+$/.test(f)); } catch { return false; }
}

export function probeTools(gpioset = 'gpioset'): GpiodTools {
  const v = spawnSync(gpioset, ['--version'], { encoding: 'utf8' });
  if (v.error) throw new Error(`${gpioset} not found (${(v.error as NodeJS.ErrnoException).code}): sudo apt-get install gpiod`);
  const version = parseToolVersion(`${v.stdout}${v.stderr}`);
  const help = spawnSync(gpioset, ['--help'], { encoding: 'utf8' });
  return { version, interactive: version === 2 && /--interactive/.test(`${help.stdout}${help.stderr}`) };
}

class HeldLine {
  private proc: ChildProcess | null = null;
  private level: 0 | 1;
  private restarting = false;
  private closed = false;

  constructor(private readonly d: GpiodDriver, readonly offset: number, level: 0 | 1) {
    this.level = level;
    this.start();
  }

  get current(): 0 | 1 { return this.level; }

  set(level: 0 | 1): void {
    if (this.closed || level === this.level) return;
    this.level = level;
    const p = this.proc;
    if (this.d.tools.interactive && p?.stdin?.writable) { p.stdin.write(`set ${this.offset}=${level}\n`); return; }
    if (!p) { this.start(); return; }
    // the line is busy until the old holder has let go of it: start the next one when it has
    if (this.restarting) return;
    this.restarting = true;
    p.once('exit', () => { this.restarting = false; if (!this.closed) this.start(); });
    p.kill('SIGTERM');
  }

  private start(): void {
    const args = holdArgs(this.d.tools, this.d.chip.name, this.offset, this.level);
    const p = spawn('setpriv', ['--pdeathsig', 'TERM', '--', this.d.gpioset, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.proc = p;
    let stderr = '';
    p.stderr!.on('data', (b) => { stderr = (stderr + b).slice(-300); });
    p.stdin!.on('error', () => { /* the holder ended; its exit is reported below */ });
    p.on('error', (e) => this.d.report(`cannot start ${this.d.gpioset} for line ${this.offset} (${e.message}): sudo apt-get install gpiod`));
    p.on('exit', (code, signal) => {
      if (this.proc === p) this.proc = null;
      if (this.closed || this.restarting || signal === 'SIGTERM') return;
      this.d.report(`${this.d.gpioset} holding line ${this.offset} of ${this.d.chip.name} ended (${signal ?? `exit ${code}`}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}); the line is no longer driven: is another program using it (gpioinfo)?`);
    });
  }

  close(): void {
    this.closed = true;
    this.proc?.kill('SIGTERM');
    this.proc = null;
  }
}

export class GpiodDriver implements GpioDriver {
  readonly name = 'gpiod';
  readonly tools: GpiodTools;
  readonly chip: ChardevChip;
  readonly gpioset: string;
  private readonly gpiomon: string;
  private readonly lines: HeldLine[] = [];
  private readonly monitors: ChildProcess[] = [];
  private readonly reported = new Set<string>();
  private readonly names = new Map<number, string>();

  constructor(private readonly opts: GpiodOptions = {}) {
    if (!hasChardev(opts.dev)) throw new Error(`no /dev/gpiochip* on this kernel: the GPIO character device is missing; use gpio.driver "onoff" (sysfs) or "sim"`);
    this.gpioset = opts.bin?.gpioset ?? 'gpioset';
    this.gpiomon = opts.bin?.gpiomon ?? 'gpiomon';
    this.tools = probeTools(this.gpioset);
    const detect = spawnSync(opts.bin?.gpiodetect ?? 'gpiodetect', [], { encoding: 'utf8' });
    if (detect.error || detect.status !== 0) throw new Error(`gpiodetect failed (${detect.error?.message ?? detect.stderr.trim()}): add the chot user to the gpio group (provisioning does)`);
    this.chip = headerChardev(parseDetect(detect.stdout), opts.chipLabel);
  }

  describe(): string {
    const how = this.tools.interactive ? 'gpioset held running, interactive' : 'gpioset held running, restarted on change';
    return `gpiod (libgpiod v${this.tools.version}, ${how}), ${this.chip.name} [${this.chip.label}]`;
  }

  /** What a pin is for ('button', 'passage'), for the messages about it. */
  label(pin: number, name: string): void {
    this.names.set(pin, name);
  }

  /** A holder that failed: logged once per distinct message, as lamps and relay are no longer driven. */
  report(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`gpio: ${message}`, 'error');
  }

  private offset(bcm: number): number {
    if (!Number.isInteger(bcm) || bcm < 0 || bcm >= this.chip.lines) throw new Error(`BCM pin ${bcm} is outside ${this.chip.label} (0–${this.chip.lines - 1})`);
    return bcm; // on the header's controller (BCM2835/2711, the Pi 5's RP1) line offsets are BCM numbers
  }

  output(bcm: number, activeLow: boolean): OutputPin {
    const physical = (on: boolean): 0 | 1 => (on !== activeLow ? 1 : 0);
    const line = new HeldLine(this, this.offset(bcm), physical(false));
    this.lines.push(line);
    return { write: (on) => line.set(physical(on)), read: () => (line.current === 1) !== activeLow };
  }

  input(bcm: number, activeLow: boolean, debounceMs: number, onPress: () => void): InputPin {
    const offset = this.offset(bcm);
    // the kernel filters the bounce (v2), a lockout here the rest: a short pulse is not lost (LINE_DEBOUNCE_MAX_MS)
    const p = spawn('setpriv', ['--pdeathsig', 'TERM', '--', this.gpiomon, ...monitorArgs(this.tools, this.chip.name, offset, activeLow, Math.min(debounceMs, LINE_DEBOUNCE_MAX_MS))], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitors.push(p);
    let last = -Infinity, pressed = false, buf = '';
    p.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const e = parseEdge(this.tools, buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (!e || e.offset !== offset) continue;
        pressed = e.rising !== activeLow;
        const now = performance.now();
        if (pressed && now - last >= debounceMs) { last = now; onPress(); }
      }
    });
    // the officer's button, or the gate's passage sensor (gate.passage)
    const what = this.names.get(bcm) === 'passage' ? 'the passage sensor' : 'the button';
    p.on('error', (e) => this.report(`cannot start ${this.gpiomon} for ${what} on line ${offset} (${e.message}): sudo apt-get install gpiod`));
    p.on('exit', (code, signal) => { if (signal !== 'SIGTERM') this.report(`${this.gpiomon} watching ${what} on line ${offset} ended (${signal ?? `exit ${code}`}): ${what === 'the button' ? 'the override button does nothing' : 'passages are not seen (greens are annulled, tailgating goes unnoticed)'} until the kiosk restarts`); });
    return { read: () => pressed };
  }

  /**
   * Sets every output to its current level once more with a gpioset that exits at once, after the holders are
   * gone (chot kiosk failsafe): the lines keep those levels on Raspberry Pi kernels, though libgpiod promises
   * nothing after release; the wiring makes a released relay line safe either way.
   */
  settle(): void {
    this.close();
    const levels = this.lines.map((l) => [l.offset, l.current] as [number, 0 | 1]);
    if (!levels.length) return;
    for (let tries = 0; tries < 20; tries++) {
      const r = spawnSync(this.gpioset, onceArgs(this.tools, this.chip.name, levels), { encoding: 'utf8', timeout: 2000 });
      if (r.status === 0) return;
      if (!/busy/i.test(r.stderr)) throw new Error(`gpioset failed: ${r.stderr.trim() || r.error?.message}`);
      spawnSync('sleep', ['0.05']); // a holder is still letting go of its line
    }
    throw new Error('the GPIO lines stayed busy: another program holds them (gpioinfo shows which)');
  }

  close(): void {
    for (const l of this.lines) l.close();
    for (const m of this.monitors) m.kill('SIGTERM');
    this.monitors.length = 0;
  }
}

/** gpio.driver "auto": the character device where the kernel has one and gpioset is installed, else onoff. */
export function chooseDriver(dev = '/dev', gpioset = 'gpioset'): { driver: 'gpiod' | 'onoff'; why: string } {
  if (!hasChardev(dev)) return { driver: 'onoff', why: `no ${dev}/gpiochip*: falling back to sysfs GPIO` };
  const found = spawnSync(gpioset, ['--version'], { encoding: 'utf8' });
  if (found.error) return { driver: 'onoff', why: `${dev}/gpiochip* present but ${gpioset} is not installed (sudo apt-get install gpiod): falling back to sysfs GPIO` };
  return { driver: 'gpiod', why: `${dev}/gpiochip* present and gpioset installed: the kernel's supported GPIO interface` };
}


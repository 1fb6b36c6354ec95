// One contract every GPIO driver passes, run on the simulated driver here; on a Pi, CHOT_GPIO_DRIVER=gpiod (or
// onoff) runs the same contract on real pins. This machine has no GPIO (no /dev/gpiochip*, no gpio-sim module):
// the gpiod driver's command lines and parsers are tested with plain values, and the contract runs on it with
// stand-ins for gpioset/gpiodetect that record what they are told to hold (v1, v2, v2 interactive).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpioDriver, OutputPin } from '../src/gpio/driver.js';
import { SimGpio } from '../src/gpio/sim.js';
import { OnoffDriver } from '../src/gpio/onoff.js';
import { headerChip, listChips, sysfsNumber } from '../src/gpio/chip.js';
import { Signal, DEFAULT_SIGNAL } from '../src/gpio/signal.js';
import { sleep, waitFor } from './rig.js';
import { chooseDriver, GpiodDriver, headerChardev, holdArgs, monitorArgs, onceArgs, parseDetect, parseEdge, parseToolVersion, type GpiodTools } from '../src/gpio/gpiod.js';

/** Sets an input's physical level from outside the driver: the simulated wire, a stand-in's edges, a loopback wire. */
type Wire = (g: GpioDriver, bcm: number, level: 0 | 1) => void;

/** The input pin the contract watches (on a Pi: the one CHOT_GPIO_LOOPBACK wires an output to). */
const INPUT_PIN = 25;

function contract(name: string, make: () => GpioDriver, wire?: Wire): void {
  test(`${name}: an output starts inactive, and reads back what was written (active-high and active-low)`, () => {
    const g = make();
    const a = g.output(5, false), b = g.output(6, true);
    assert.is(a.read(), false);
    assert.is(b.read(), false);
    a.write(true); b.write(true);
    assert.is(a.read(), true);
    assert.is(b.read(), true);
    g.close();
  });
  test(`${name}: describe() says which driver and numbering`, () => {
    const g = make();
    assert.ok(g.describe().length > 0);
    g.close();
  });
  // the officer's button and the gate's passage sensor: a contact that bounces as it closes is one press; the next
  // closing after the debounce time is another, whichever way the line is wired
  test(`${name}: an input is debounced: a closing that bounces is one press, the next closing another (active-low and active-high)`, async () => {
    if (!wire) throw new Error(`${name}: inputs need a wire to drive them: set CHOT_GPIO_LOOPBACK=OUT:IN, a jumper from BCM OUT to BCM ${INPUT_PIN} (IN), nothing else on either pin`);
    for (const activeLow of [true, false]) {
      const g = make();
      let presses = 0;
      const pin = g.input(INPUT_PIN, activeLow, 80, () => presses++);
      const on: 0 | 1 = activeLow ? 0 : 1, off: 0 | 1 = activeLow ? 1 : 0;
      await sleep(50); // a real watcher (gpiomon, epoll) is set up before the first edge
      wire(g, INPUT_PIN, on); wire(g, INPUT_PIN, off); wire(g, INPUT_PIN, on); wire(g, INPUT_PIN, off); wire(g, INPUT_PIN, on);
      await waitFor(`the press (activeLow ${activeLow})`, () => presses >= 1, 3000, 5);
      assert.is(pin.read(), true, 'held closed, the input reads pressed');
      await sleep(200);
      assert.is(presses, 1, `the bounce was one press (activeLow ${activeLow})`);
      wire(g, INPUT_PIN, off);
      await sleep(200);
      assert.is(pin.read(), false, 'released');
      wire(g, INPUT_PIN, on);
      await waitFor(`the second press (activeLow ${activeLow})`, () => presses >= 2, 3000, 5);
      wire(g, INPUT_PIN, off);
      await sleep(100);
      assert.is(presses, 2, `activeLow ${activeLow}`);
      g.close();
    }
  });
}

const temps: string[] = [];
const temp = (prefix: string) => { const d = mkdtempSync(join(tmpdir(), prefix)); temps.push(d); return d; };

const PI5_DETECT = 'gpiochip0 [gpio-brcmstb@107d508500] (32 lines)\ngpiochip1 [gpio-brcmstb@107d517c00] (15 lines)\ngpiochip2 [gpio-brcmstb@107d508500] (4 lines)\ngpiochip3 [gpio-brcmstb@107d517c00] (6 lines)\ngpiochip4 [pinctrl-rp1] (54 lines)\n';
const PI4_DETECT = 'gpiochip0 [pinctrl-bcm2711] (58 lines)\ngpiochip1 [raspberrypi-exp-gpio] (8 lines)\n';

/** Stand-ins for libgpiod's tools: gpioset records every level it is told to hold in STATE, one "offset=level" a line;
 * gpiomon prints the edges written to EDGES, in its "%e %o" format. */
function standIns(version: 1 | 2, interactive: boolean): { bin: { gpioset: string; gpiodetect: string; gpiomon: string }; dev: string; state: string; edges: string } {
  const dir = temp('chot-gpiod-');
  const dev = join(dir, 'dev');
  mkdirSync(dev);
  writeFileSync(join(dev, 'gpiochip4'), '');
  const state = join(dir, 'state');
  writeFileSync(state, '');
  const tool = (name: string, body: string) => { writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`); chmodSync(join(dir, name), 0o755); return join(dir, name); };
  const gpioset = tool('gpioset', `case "$1" in --version) echo "gpioset (libgpiod) v${version}.${version === 1 ? '6.3' : '2.1'}"; exit 0 ;; --help) ${interactive ? 'echo "  -i, --interactive  set the lines then wait for additional set commands"' : 'echo usage'}; exit 0 ;; esac
for a in "$@"; do [[ "$a" =~ ^[0-9]+=[01]$ ]] && echo "$a" >> ${JSON.stringify(state)}; done
${interactive ? `while read -r cmd pair; do [[ "$cmd" == set ]] && echo "$pair" >> ${JSON.stringify(state)}; done` : 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'}`);
  const gpiodetect = tool('gpiodetect', `printf '%b' ${JSON.stringify(PI5_DETECT)}`);
  const edges = join(dir, 'edges');
  writeFileSync(edges, '');
  const gpiomon = tool('gpiomon', `echo "$*" >> ${JSON.stringify(join(dir, 'gpiomon-args'))}; exec tail -n +1 -s 0.05 -F ${JSON.stringify(edges)}`);
  return { bin: { gpioset, gpiodetect, gpiomon }, dev, state, edges };
}
/** An edge as gpiomon prints it: v1 says 1 rising / 0 falling, v2 1 rising / 2 falling. */
const standInWire = (version: 1 | 2, edges: string): Wire => (_g, bcm, level) => appendFileSync(edges, `${level ? 1 : version === 1 ? 0 : 2} ${bcm}\n`);
const held = (state: string) => {
  const last = new Map<number, number>();
  for (const l of readFileSync(state, 'utf8').split('\n').filter(Boolean)) { const [o, v] = l.split('=').map(Number); last.set(o, v); }
  return last;
};

/** On a Pi: CHOT_GPIO_LOOPBACK=OUT:IN, a jumper from output BCM OUT to the input the contract watches. */
function loopback(): Wire | undefined {
  const m = /^(\d+):(\d+)$/.exec(process.env.CHOT_GPIO_LOOPBACK ?? '');
  if (!m) return undefined;
  if (Number(m[2]) !== INPUT_PIN) throw new Error(`CHOT_GPIO_LOOPBACK=${m[0]}: the contract watches BCM ${INPUT_PIN}; wire the output to it and say ${m[1]}:${INPUT_PIN}`);
  const outs = new WeakMap<GpioDriver, OutputPin>();
  return (g, _bcm, level) => {
    let o = outs.get(g);
    if (!o) outs.set(g, (o = g.output(Number(m[1]), false)));
    o.write(level === 1);
  };
}

contract('sim', () => new SimGpio(), (g, bcm, level) => { (g as SimGpio).drive(bcm, level); });
if (process.env.CHOT_GPIO_DRIVER === 'onoff') contract('onoff', () => new OnoffDriver(), loopback());
if (process.env.CHOT_GPIO_DRIVER === 'gpiod') contract('gpiod', () => new GpiodDriver(), loopback());
for (const [version, interactive] of [[1, false], [2, false], [2, true]] as const) {
  const name = `gpiod stand-in v${version}${interactive ? ' interactive' : ''}`;
  const wires = new WeakMap<GpioDriver, Wire>();
  contract(name, () => {
    const s = standIns(version, interactive);
    const g = new GpiodDriver({ bin: s.bin, dev: s.dev });
    wires.set(g, standInWire(version, s.edges));
    return g;
  }, (g, bcm, level) => wires.get(g)!(g, bcm, level));
  test(`${name}: the tools are told the physical levels, held until the driver closes`, async () => {
    const s = standIns(version, interactive);
    const g = new GpiodDriver({ bin: s.bin, dev: s.dev });
    assert.match(g.describe(), new RegExp(`^gpiod \\(libgpiod v${version}, gpioset held running, ${interactive ? 'interactive' : 'restarted on change'}\\), gpiochip4 \\[pinctrl-rp1\\]$`));
    const relay = g.output(22, false), lamp = g.output(27, true);
    await waitFor('both lines held inactive', () => held(s.state).get(22) === 0 && held(s.state).get(27) === 1);
    relay.write(true); lamp.write(true);
    relay.write(false); relay.write(true); // changes faster than a holder restarts: the last one wins
    await waitFor('the new levels held', () => held(s.state).get(22) === 1 && held(s.state).get(27) === 0);
    await sleep(100);
    assert.is(held(s.state).get(22), 1);
    g.close();
  });
}

test('gpiod: a passage sensor\'s long debounce is not asked of the kernel (it would swallow a short pulse): the kernel filters the bounce, the driver locks out the rest', async () => {
  const s = standIns(2, false);
  const g = new GpiodDriver({ bin: s.bin, dev: s.dev });
  let presses = 0;
  g.input(25, true, 600, () => presses++);
  await waitFor('gpiomon started', () => existsSync(join(s.dev, '..', 'gpiomon-args')));
  assert.match(readFileSync(join(s.dev, '..', 'gpiomon-args'), 'utf8'), /--debounce-period 50ms/);
  const edge = standInWire(2, s.edges);
  edge(g, 25, 0); edge(g, 25, 1); // someone crossing a beam quickly: a pulse far shorter than 600 ms
  await waitFor('the pulse counted', () => presses === 1, 3000, 5);
  edge(g, 25, 0); edge(g, 25, 1); // their legs, within the 600 ms lockout: the same passage
  await sleep(100);
  assert.is(presses, 1);
  g.close();
});

test('sim: active-low outputs drive the physical level inverted', () => {
  const g = new SimGpio();
  const relay = g.output(22, true);
  relay.write(true);
  assert.equal(g.timeline.map((c) => c.level), [1, 0]); // starts inactive (high), then active (low)
});

test('sim: a button press inside the debounce window is a bounce', async () => {
  const g = new SimGpio();
  let presses = 0;
  g.input(24, true, 50, () => presses++);
  assert.ok(g.press(24));
  assert.not.ok(g.press(24));
  await sleep(60);
  assert.ok(g.press(24));
  assert.is(presses, 2);
});

function fakeSysfs(chips: Array<[string, number, number]>): string {
  const root = temp('chot-sysfs-');
  for (const [label, base, ngpio] of chips) {
    const d = join(root, `gpiochip${base}`);
    mkdirSync(d);
    writeFileSync(join(d, 'label'), `${label}\n`);
    writeFileSync(join(d, 'base'), `${base}\n`);
    writeFileSync(join(d, 'ngpio'), `${ngpio}\n`);
  }
  return root;
}

test('chip base: Bookworm on a Pi 4 (base 512) and a Pi 5 (RP1 at 571) keep BCM numbers in the config', () => {
  const pi4 = fakeSysfs([['pinctrl-bcm2711', 512, 58], ['raspberrypi-exp-gpio', 570, 8]]);
  assert.is(sysfsNumber(headerChip(pi4), 17), 529);
  const pi5 = fakeSysfs([['gpio-brcmstb@107d508500', 512, 32], ['gpio-brcmstb@107d517c00', 544, 15], ['pinctrl-rp1', 571, 54]]);
  assert.is(headerChip(pi5).base, 571);
  assert.is(sysfsNumber(headerChip(pi5), 17), 588);
  const old = fakeSysfs([['pinctrl-bcm2835', 0, 54]]);
  assert.is(sysfsNumber(headerChip(old), 17), 17);
  assert.is(listChips(pi5).length, 3);
});

test('chip base: clear errors when sysfs GPIO is absent, the label is wrong, or the pin is out of range', () => {
  assert.throws(() => headerChip(join(tmpdir(), 'no-such-sysfs')), /sysfs GPIO is absent/);
  assert.throws(() => headerChip(fakeSysfs([['some-i2c-expander', 0, 16]])), /set gpio.chipLabel/);
  assert.throws(() => headerChip(fakeSysfs([['pinctrl-rp1', 571, 54]]), 'pinctrl-bcm2711'), /chips here: pinctrl-rp1@571/);
  assert.throws(() => sysfsNumber(headerChip(fakeSysfs([['pinctrl-rp1', 571, 54]])), 60), /outside pinctrl-rp1/);
});

test('gpiod: versions, chips and the header chip from the tools\' own output', () => {
  assert.is(parseToolVersion('gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\n'), 1);
  assert.is(parseToolVersion('gpioset (libgpiod) v2.2.1\n'), 2);
  assert.throws(() => parseToolVersion('gpioset 0.3 (some other tool)'), /cannot tell libgpiod's version from "gpioset 0.3 \(some other tool\)"/);
  assert.throws(() => parseToolVersion('gpioset (libgpiod) v3.0'), /libgpiod v3 is not supported/);
  assert.equal(parseDetect(PI4_DETECT), [{ name: 'gpiochip0', label: 'pinctrl-bcm2711', lines: 58 }, { name: 'gpiochip1', label: 'raspberrypi-exp-gpio', lines: 8 }]);
  assert.is(headerChardev(parseDetect(PI4_DETECT)).name, 'gpiochip0');
  assert.is(headerChardev(parseDetect(PI5_DETECT)).name, 'gpiochip4', 'the Pi 5 header is the RP1, not the SoC chips listed before it');
  assert.is(headerChardev(parseDetect(PI5_DETECT.replace('gpiochip4', 'gpiochip0').replace('gpiochip0 [gpio-brcmstb', 'gpiochip10 [gpio-brcmstb'))).name, 'gpiochip0', 'newer kernels number the RP1 first');
  assert.throws(() => headerChardev(parseDetect(PI4_DETECT), 'pinctrl-rp1'), /gpio\.chipLabel "pinctrl-rp1" not found; chips here: gpiochip0 \[pinctrl-bcm2711\], gpiochip1 \[raspberrypi-exp-gpio\]/);
  assert.throws(() => headerChardev(parseDetect('gpiochip0 [some-i2c-expander] (16 lines)')), /set gpio\.chipLabel/);
});

test('gpiod: command lines for libgpiod v1 (Bookworm) and v2 (Trixie), which differ in flags', () => {
  const v1: GpiodTools = { version: 1, interactive: false }, v2: GpiodTools = { version: 2, interactive: false }, v2i: GpiodTools = { version: 2, interactive: true };
  assert.equal(holdArgs(v1, 'gpiochip0', 22, 0), ['--mode=signal', 'gpiochip0', '22=0']);
  assert.equal(holdArgs(v2, 'gpiochip4', 22, 1), ['--chip', 'gpiochip4', '--consumer', 'chot', '22=1']);
  assert.equal(holdArgs(v2i, 'gpiochip4', 22, 1), ['--interactive', '--chip', 'gpiochip4', '--consumer', 'chot', '22=1']);
  assert.equal(onceArgs(v1, 'gpiochip0', [[22, 0], [27, 1]]), ['--mode=exit', 'gpiochip0', '22=0', '27=1']);
  assert.equal(onceArgs(v2, 'gpiochip4', [[22, 0]]), ['--chip', 'gpiochip4', '--consumer', 'chot', '--toggle', '0', '22=0']);
  assert.equal(monitorArgs(v1, 'gpiochip0', 24, true, 50), ['--bias', 'pull-up', '--falling-edge', '--line-buffered', '--format=%e %o', 'gpiochip0', '24']);
  assert.equal(monitorArgs(v2, 'gpiochip4', 24, true, 50), ['--chip', 'gpiochip4', '--consumer', 'chot', '--bias', 'pull-up', '--edges', 'falling', '--debounce-period', '50ms', '--format', '%e %o', '24']);
  assert.equal(monitorArgs(v2, 'gpiochip4', 5, false, 20).slice(4, 8), ['--bias', 'pull-down', '--edges', 'rising']);
  assert.equal(parseEdge(v1, '0 24'), { offset: 24, rising: false });
  assert.equal(parseEdge(v2, '2 24'), { offset: 24, rising: false });
  assert.equal(parseEdge(v2, '1 24\r'), { offset: 24, rising: true });
  assert.is(parseEdge(v1, '2 24'), null, 'v1 has no event type 2');
  assert.is(parseEdge(v2, 'gpiomon: unable to request lines'), null);
});

test('gpio.driver "auto": gpiod where the kernel has /dev/gpiochip* and gpioset is installed, else onoff, and why', () => {
  const empty = temp('chot-dev-');
  assert.equal(chooseDriver(empty), { driver: 'onoff', why: `no ${empty}/gpiochip*: falling back to sysfs GPIO` });
  const s = standIns(2, false);
  assert.match(chooseDriver(s.dev, join(s.dev, 'no-gpioset')).why, /gpiochip\* present but .*no-gpioset is not installed \(sudo apt-get install gpiod\)/);
  assert.is(chooseDriver(s.dev, s.bin.gpioset).driver, 'gpiod');
  assert.throws(() => new GpiodDriver({ dev: empty }), /no \/dev\/gpiochip\* on this kernel: the GPIO character device is missing/);
  assert.throws(() => new GpiodDriver({ dev: s.dev, bin: { gpioset: join(s.dev, 'no-gpioset') } }), /no-gpioset not found \(ENOENT\): sudo apt-get install gpiod/);
  if (!existsSync('/dev/gpiochip0')) assert.throws(() => new GpiodDriver(), /no \/dev\/gpiochip\*/, 'this machine has no GPIO character device');
});

test('gpiod: failsafe sets the last levels once more with a gpioset that exits, after the holders let go', async () => {
  const s = standIns(1, false);
  const g = new GpiodDriver({ bin: s.bin, dev: s.dev });
  const relay = g.output(22, false);
  relay.write(true);
  await waitFor('relay held on', () => held(s.state).get(22) === 1);
  relay.write(false);
  g.settle();
  assert.is(held(s.state).get(22), 0);
  assert.match(readFileSync(s.state, 'utf8'), /22=0\n$/, 'the one-shot gpioset set it last');
});

test('onoff on this machine: no sysfs GPIO, so the real driver refuses to start with what to do', () => {
  assert.throws(() => new OnoffDriver(), /sysfs GPIO is absent on this kernel \(built without CONFIG_GPIO_SYSFS\)/);
});

test('signal: green lights green, pulses the relay and beeps short; then back to idle red', async () => {
  const g = new SimGpio();
  const s = new Signal(g, { ...DEFAULT_SIGNAL, greenMs: 80, relayMs: 40, beepShortMs: 20 });
  const start = g.timeline.length;
  s.show('green');
  await sleep(120);
  const seq = g.timeline.slice(start).map((c) => `${c.name}:${c.on ? 'on' : 'off'}`);
  assert.equal(seq, ['red:off', 'green:on', 'relay:on', 'buzzer:on', 'buzzer:off', 'relay:off', 'green:off', 'red:on']);
});

test('signal: red keeps the gate shut, beeps long and flashes the red lamp', async () => {
  const g = new SimGpio();
  const s = new Signal(g, { ...DEFAULT_SIGNAL, beepLongMs: 60, redFlashMs: 700 });
  const start = g.timeline.length;
  s.show('red');
  await sleep(750);
  const changes = g.timeline.slice(start);
  assert.not.ok(changes.some((c) => c.name === 'relay' && c.on), 'relay never energised');
  assert.ok(changes.filter((c) => c.name === 'red').length >= 4, 'red lamp flashes');
  const buzz = changes.filter((c) => c.name === 'buzzer');
  assert.ok(buzz.length === 2 && buzz[1].t - buzz[0].t >= 50, 'one long beep');
  assert.is(changes[changes.length - 1].name === 'red' && changes[changes.length - 1].on, true);
});

test('signal: the override button opens the gate; fail-safe releases the relay and turns red on for good', () => {
  const g = new SimGpio();
  let overrides = 0;
  const s = new Signal(g, DEFAULT_SIGNAL);
  assert.throws(() => g.press(DEFAULT_SIGNAL.pins.button!.pin), /no input on BCM 24/, 'the button is not watched until asked (the fail-safe command builds a Signal too)');
  s.watchButton(() => { overrides++; s.openGate(); });
  g.press(DEFAULT_SIGNAL.pins.button!.pin);
  assert.is(overrides, 1);
  const relay = g.timeline.filter((c) => c.name === 'relay');
  assert.is(relay[relay.length - 1].on, true);
  s.show('green');
  s.failSafe();
  const last = (n: string) => g.timeline.filter((c) => c.name === n).pop()!.on;
  assert.is(last('relay'), false);
  assert.is(last('green'), false);
  assert.is(last('red'), true);
  s.show('green');
  assert.is(last('relay'), false, 'nothing opens the gate after fail-safe');
});

test.after(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });
test.run();

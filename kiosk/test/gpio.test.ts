// One contract every GPIO driver passes, run on the simulated driver here; on a Pi, CHOT_GPIO_DRIVER=onoff
// runs the same contract on real pins (this machine has no GPIO: see the onoff tests below for what runs here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpioDriver } from '../src/gpio/driver.js';
import { SimGpio } from '../src/gpio/sim.js';
import { OnoffDriver } from '../src/gpio/onoff.js';
import { headerChip, listChips, sysfsNumber } from '../src/gpio/chip.js';
import { Signal, DEFAULT_SIGNAL } from '../src/gpio/signal.js';
import { sleep } from './rig.js';

function contract(name: string, make: () => GpioDriver): void {
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
}

contract('sim', () => new SimGpio());
if (process.env.CHOT_GPIO_DRIVER === 'onoff') contract('onoff', () => new OnoffDriver());

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
  const root = mkdtempSync(join(tmpdir(), 'chot-sysfs-'));
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
  const s = new Signal(g, DEFAULT_SIGNAL, () => { overrides++; s.openGate(); });
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

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, loadConfig } from '../src/config.js';

test('a minimal config gets working defaults', () => {
  const c = checkConfig({ kiosk: { id: 'hcm-q1-001' }, rootKey: '/etc/chot/root.pub.pem' });
  assert.is(c.kiosk.area, 'VN');
  assert.is(c.kiosk.timeZone, 'Asia/Ho_Chi_Minh');
  assert.is(c.scanner.path, '/dev/ttyACM0');
  assert.is(c.gpio.driver, 'auto', 'gpiod where the kernel has it, else onoff');
  assert.equal(c.gpio.pins.relay, { pin: 22 });
  assert.is(c.journal.commitMs, 50);
  assert.is(c.clock.unsyncedPolicy, 'check-time');
});

test('a camera defaults to /dev/video0; a path given in the file is kept', () => {
  assert.is(checkConfig({ kiosk: { id: 'a' }, rootKey: 'x', scanner: { type: 'camera' } }).scanner.path, '/dev/video0');
  assert.is(checkConfig({ kiosk: { id: 'a' }, rootKey: 'x', scanner: { type: 'camera', path: '/dev/video2' } }).scanner.path, '/dev/video2');
  assert.is(checkConfig({ kiosk: { id: 'a' }, rootKey: 'x', scanner: { type: 'serial' } }).scanner.path, '/dev/ttyACM0');
});

test('errors name the bad key path and the value, in one line', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ kiosk: { id: 'HCM 1' }, rootKey: 'x' }, /^kiosk.json: kiosk.id must match pattern .*, got "HCM 1"$/],
    [{ kiosk: { id: 'a' }, rootKey: 'x', gpio: { pins: { relay: { pin: 64 } } } }, /gpio.pins.relay.pin must be <= 53, got 64/],
    [{ kiosk: { id: 'a' }, rootKey: 'x', scanner: { tpye: 'serial' } }, /scanner must NOT have additional properties "tpye"/],
    [{ kiosk: { id: 'a' }, rootKey: 'x', hub: { url: 'http://hub' } }, /hub.url must match pattern .*got "http:\/\/hub"/],
    [{ kiosk: { id: 'a' } }, /\(top level\) must have required property 'rootKey'/],
    [{ kiosk: { id: 'a' }, rootKey: 'x', clock: { unsyncedPolicy: 'maybe' } }, /clock.unsyncedPolicy must be equal to one of the allowed values \(check-time, skip-time, refuse\), got "maybe"/],
  ];
  for (const [doc, re] of bad) assert.throws(() => checkConfig(doc, 'kiosk.json'), (e: Error) => re.test(e.message) && !e.message.includes('\n'));
});

test('an unreadable or non-JSON file says so', () => {
  const d = mkdtempSync(join(tmpdir(), 'chot-cfg-'));
  assert.throws(() => loadConfig(join(d, 'missing.json')), /cannot read the config .*ENOENT/);
  writeFileSync(join(d, 'bad.json'), '{ "kiosk": ');
  assert.throws(() => loadConfig(join(d, 'bad.json')), /is not valid JSON/);
  rmSync(d, { recursive: true, force: true });
});

test.run();

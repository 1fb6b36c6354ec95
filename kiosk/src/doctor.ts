// chot doctor: what is wrong with this kiosk, one line per check, with the fix when it fails.
import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { loadConfig, type KioskConfig } from './config.js';
import { headerChip, listChips } from './gpio/chip.js';
import { chooseDriver, GpiodDriver } from './gpio/gpiod.js';
import { Journal } from './journal/journal.js';

export interface Check { name: string; ok: boolean; warn?: boolean; detail: string; fix?: string }

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const warn = (name: string, detail: string, fix?: string): Check => ({ name, ok: true, warn: true, detail, fix });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

export async function doctor(configPath: string, opts: { sysfs?: string; dev?: string } = {}): Promise<Check[]> {
  const checks: Check[] = [];
  let c: KioskConfig;
  try {
    c = loadConfig(configPath);
    checks.push(pass('config', `${configPath} is valid (kiosk ${c.kiosk.id}, area ${c.kiosk.area})`));
  } catch (e) {
    return [fail('config', (e as Error).message, `correct ${configPath} (kiosk/config.schema.json lists every key)`)];
  }
  checks.push(gpioCheck(c, opts.sysfs, opts.dev));
  checks.push(scannerCheck(c));
  checks.push(existsSync('/dev/video0') ? pass('camera', '/dev/video0 is present') : warn('camera', 'no camera at /dev/video0', 'plug in the USB camera, or ignore this on a booth with a scanner only'));
  checks.push(await hubCheck(c));
  checks.push(existsSync(c.clock.syncedFile)
    ? pass('clock', `synchronised (${c.clock.syncedFile} exists)`)
    : fail('clock', `not synchronised: ${c.clock.syncedFile} is missing, so validity dates rest on a clock that may be days off`, 'timedatectl set-ntp true, and check that the hub (or an NTP server) is reachable: journalctl -u systemd-timesyncd'));
  checks.push(listsCheck(c));
  checks.push(diskCheck(c));
  checks.push(journalCheck(c));
  return checks;
}

function gpioCheck(c: KioskConfig, sysfs?: string, dev?: string): Check {
  if (c.gpio.driver === 'sim') return warn('gpio', 'simulated driver: no lamps, relay or buzzer are driven', 'set gpio.driver to "auto" on a booth');
  const auto = c.gpio.driver === 'auto' ? chooseDriver(dev) : undefined;
  const driver = auto?.driver ?? c.gpio.driver;
  const why = auto ? `gpio.driver "auto": ${auto.why}` : `gpio.driver "${driver}" in the config`;
  if (driver === 'gpiod') {
    try {
      const g = new GpiodDriver({ chipLabel: c.gpio.chipLabel, dev });
      const text = `${g.describe()}; BCM 22 (relay) is line ${c.gpio.pins.relay?.pin ?? 22} (${why})`;
      g.close();
      return pass('gpio', text);
    } catch (e) {
      return fail('gpio', `${(e as Error).message} (${why})`, 'sudo apt-get install gpiod; the chot user in the gpio group (provisioning does both); or set gpio.chipLabel (gpiodetect lists the chips)');
    }
  }
  try {
    const chip = headerChip(sysfs, c.gpio.chipLabel);
    const gpio = createRequire(import.meta.url)('onoff') as { Gpio: { accessible: boolean } };
    if (!gpio.Gpio.accessible && !sysfs) return fail('gpio', `${chip.label} at base ${chip.base}, but /sys/class/gpio is not writable by this user (${why})`, 'add the chot user to the gpio group (scripts/provision-kiosk.sh does) and log in again');
    return pass('gpio', `onoff (sysfs) on ${chip.label}, numbering base ${chip.base}: BCM 22 (relay) is gpio${chip.base + (c.gpio.pins.relay?.pin ?? 22)} (${why})`);
  } catch (e) {
    const chips = listChips(sysfs).map((x) => `${x.label}@${x.base}`).join(', ');
    return fail('gpio', `${(e as Error).message} (${why})`, chips ? `set gpio.chipLabel to one of: ${chips}` : 'use Raspberry Pi OS with its stock kernel, and install gpiod for the character device driver');
  }
}

function scannerCheck(c: KioskConfig): Check {
  const s = c.scanner;
  if (s.type === 'none' || s.type === 'sim') return warn('scanner', `scanner.type is "${s.type}": no scanner is read`, 'set scanner.type to "serial" or "hid" and its path');
  if (!existsSync(s.path)) {
    return fail('scanner', `${s.path} does not exist`, s.type === 'serial'
      ? 'plug the scanner in and switch it to USB-COM mode (setup barcode in its manual); ls /dev/ttyACM* /dev/ttyUSB*'
      : 'plug the scanner in; ls /dev/input/by-id/*-event-kbd');
  }
  try {
    accessSync(s.path, s.type === 'serial' ? constants.R_OK | constants.W_OK : constants.R_OK);
  } catch {
    return fail('scanner', `${s.path} exists but this user cannot ${s.type === 'serial' ? 'read and write' : 'read'} it`, `add the chot user to the ${s.type === 'serial' ? 'dialout' : 'input'} group`);
  }
  return pass('scanner', `${s.type} scanner at ${s.path} is present and readable`);
}

async function hubCheck(c: KioskConfig): Promise<Check> {
  const h = c.hub;
  if (!h.url) return warn('hub', 'no hub.url: an offline kiosk (scans stay in the journal)', 'set hub.url and hub.password from chot device add');
  let password = h.password;
  if (!password && h.passwordFile) { try { password = readFileSync(h.passwordFile, 'utf8').trim(); } catch (e) { return fail('hub', `cannot read hub.passwordFile ${h.passwordFile}: ${(e as NodeJS.ErrnoException).code}`, 'check the file and its permissions'); } }
  try {
    const client = await mqtt.connectAsync(h.url, {
      clientId: `${c.kiosk.id}~doctor`, username: h.username ?? c.kiosk.id, password, reconnectPeriod: 0, connectTimeout: 5000, clean: true,
      ca: h.ca ? readFileSync(h.ca) : undefined,
    });
    await client.endAsync();
    return pass('hub', `${h.url} reachable, credentials of ${c.kiosk.id} accepted`);
  } catch (e) {
    const m = (e as Error).message;
    if (/Bad username or password|Not authorized/i.test(m)) return fail('hub', `${h.url} refused the credentials of ${c.kiosk.id} (${m})`, 'on the hub: chot device list; if revoked or lost, chot device add and put the new password here');
    return fail('hub', `${h.url} not reachable: ${m}`, 'check the network and the hub (systemctl status chot-hub on the hub); scans wait in the journal meanwhile');
  }
}

function listsCheck(c: KioskConfig): Check {
  const p = join(c.stateDir, 'state.json');
  let state: { trust?: { version: number; receivedAt: number }; status?: { version: number; receivedAt: number } } = {};
  try { state = JSON.parse(readFileSync(p, 'utf8')); } catch { /* none yet */ }
  if (!state.trust || !state.status) return fail('lists', `no ${!state.trust ? 'trust' : 'status'} list received yet: every pass is red (unknown-key)`, 'connect the kiosk to the hub once (check "hub" above); the hub sends both lists');
  const maxMs = c.lists.maxAgeHours * 3_600_000;
  const age = Date.now() - Math.min(state.trust.receivedAt, state.status.receivedAt);
  const text = `trust v${state.trust.version}, status v${state.status.version}, the older received ${(age / 3_600_000).toFixed(1)} h ago`;
  return age > maxMs ? fail('lists', `${text}: older than lists.maxAgeHours (${c.lists.maxAgeHours})`, 'restore the link to the hub; until then every verdict carries a warning') : pass('lists', text);
}

function diskCheck(c: KioskConfig): Check {
  try {
    const s = statfsSync(existsSync(c.stateDir) ? c.stateDir : '/');
    const free = s.bavail * s.bsize;
    const text = `${(free / 1e9).toFixed(1)} GB free for ${c.stateDir}`;
    return free < 2 * c.journal.maxBytes ? fail('disk', `${text}: less than twice the journal cap`, 'free space on the SD card (journalctl --vacuum-size=100M) or use a larger card') : pass('disk', text);
  } catch (e) {
    return fail('disk', `cannot read the file system of ${c.stateDir}: ${(e as Error).message}`, 'check that the state folder exists (systemd creates it: StateDirectory=chot)');
  }
}

function journalCheck(c: KioskConfig): Check {
  const j = Journal.inspect(join(c.stateDir, 'journal'));
  const text = `${j.pending} scans waiting for the hub, ${j.segments} segments, ${(j.bytes / 1e6).toFixed(1)} MB`;
  if (j.damaged) return warn('journal', `${text}; ${j.damaged} segment(s) end in a torn record (cut off at the next start)`, 'nothing to do: a power cut mid-write; the kiosk drops the torn record on start-up');
  if (j.bytes > 0.8 * c.journal.maxBytes) return fail('journal', `${text}: near the cap of ${(c.journal.maxBytes / 1e6).toFixed(0)} MB; the oldest unconfirmed scans will be dropped`, 'restore the link to the hub (check "hub" above)');
  return pass('journal', text);
}

export function formatChecks(checks: Check[]): string {
  return checks.map((k) => `${k.ok ? (k.warn ? '!' : '✓') : '✗'} ${k.name.padEnd(8)} ${k.detail}${k.fix && (!k.ok || k.warn) ? `\n  ${' '.repeat(8)} fix: ${k.fix}` : ''}`).join('\n');
}

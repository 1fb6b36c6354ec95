// chot doctor: what is wrong with this kiosk, one line per check, with the fix when it fails.
// It reads the lists and the clock through the kiosk's own code (StateStore, KioskClock) and, when the kiosk is
// running, asks it over its officer screen's /state, so that the doctor and the kiosk never disagree. Without a
// config it still runs every check that needs none, on the defaults the kiosk would use.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import { checkConfig, loadConfigWithState, type KioskConfig } from './config.js';
import { KioskClock, type ClockState } from './clock.js';
import { headerChip, listChips } from './gpio/chip.js';
import { chooseDriver, GpiodDriver } from './gpio/gpiod.js';
import { Journal } from './journal/journal.js';
import { StateStore } from './state/store.js';
import { payoutCheck } from './payout/doctor.js';

export interface Check { name: string; ok: boolean; warn?: boolean; detail: string; fix?: string }

export interface DoctorOptions {
  sysfs?: string;
  dev?: string;
  /** where to look for a kiosk's scanner without a config (tests); default /dev */
  devDir?: string;
}

/** What a running kiosk says about itself on its officer screen (GET /state). */
interface RunningKiosk { kiosk: string; clock: ClockState; trust: { version: number } | null; status: { version: number } | null }

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const warn = (name: string, detail: string, fix?: string): Check => ({ name, ok: true, warn: true, detail, fix });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

/** Where provisioning puts the root key, for the checks run without a config. */
const DEFAULT_ROOT_KEY = '/etc/chot/root.pub.pem';
const AS_KIOSK_USER = 'run the doctor as the kiosk\'s user or root: sudo -u chot node /opt/chot/dist/scripts/chot.js doctor (the state folder is mode 750)';

export async function doctor(configPath: string, opts: DoctorOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  let c: KioskConfig;
  let configured = true;
  try {
    const loaded = loadConfigWithState(configPath);
    c = loaded.config;
    const valid = `${configPath} is valid (kiosk ${c.kiosk.id}, area ${c.kiosk.area}`;
    if (loaded.unreadable) {
      checks.push(warn('config', `${valid}); the enrolment in ${loaded.unreadable} cannot be read by ${userInfo().username}: the id and hub below are the config file's, not the enrolled ones`, AS_KIOSK_USER));
    } else {
      checks.push(pass('config', `${valid}${loaded.enrolled ? `, enrolled: from ${loaded.enrolled}` : ''})`));
    }
  } catch (e) {
    configured = false;
    checks.push(fail('config', `${(e as Error).message}; the checks below use the kiosk's defaults`,
      `make it: sudo scripts/provision-kiosk.sh --id ID --area CODE --hub mqtts://HUB:8883 --root-key root.pub.pem writes ${configPath}; or write it by hand from the sample in kiosk/README.md (kiosk/config.schema.json lists every key)`));
    c = checkConfig({ kiosk: { id: 'unconfigured' }, rootKey: DEFAULT_ROOT_KEY }, 'defaults');
  }
  const running = await runningKiosk(c);
  checks.push(withPassage(gpioCheck(c, opts.sysfs, opts.dev), c));
  checks.push(configured ? scannerCheck(c) : scannerFound(opts.devDir ?? '/dev'));
  checks.push(existsSync('/dev/video0') ? pass('camera', '/dev/video0 is present') : warn('camera', 'no camera at /dev/video0', 'plug in the USB camera, or ignore this on a booth with a scanner only'));
  checks.push(configured ? await hubCheck(c) : warn('hub', 'not checked: the hub\'s address and this kiosk\'s password are in the config', 'make the config (see "config" above), then run chot doctor again'));
  checks.push(clockCheck(c, running));
  checks.push(await listsCheck(c, running));
  // a payout desk: its ward's programme list and the claims still waiting for the hub (payout/doctor.ts)
  const pay = configured ? payoutCheck(c) : undefined;
  if (pay) checks.push(pay);
  checks.push(diskCheck(c));
  checks.push(journalCheck(c));
  return checks;
}

/** The running kiosk's own state, from its officer screen on this machine; undefined when none answers. */
async function runningKiosk(c: KioskConfig): Promise<RunningKiosk | undefined> {
  const host = c.screen.host === '0.0.0.0' || c.screen.host === '::' ? '127.0.0.1' : c.screen.host;
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${c.screen.port}/state`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    const s = ((await res.json()) as { state?: RunningKiosk }).state;
    return s && typeof s.kiosk === 'string' && s.clock && typeof s.clock.synced === 'boolean' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the state folder can be read by this user: when it cannot, what the kiosk holds is unknown here. */
function unreadable(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
    return undefined;
  } catch {
    return `${dir} cannot be read by ${userInfo().username}`;
  }
}

function clockCheck(c: KioskConfig, running: RunningKiosk | undefined): Check {
  // the kiosk's rule: timesyncd's file, or the hub's time carried on its acknowledgements (held in the running
  // kiosk only, so asked of it)
  const local = new KioskClock(c.clock.syncedFile, c.clock.hubToleranceMs).state();
  const st = running?.clock ?? local;
  const by = running ? `the running kiosk ${running.kiosk} says so` : 'no kiosk running here to ask';
  if (st.synced) {
    return pass('clock', st.source === 'hub'
      ? `synchronised with the hub's time (offset ${st.offsetMs ?? 0} ms; ${by})`
      : `synchronised (${c.clock.syncedFile} exists${running ? `; ${by}` : ''})`);
  }
  const hubNote = st.source === 'hub' ? `the hub's time is ${st.offsetMs} ms away, more than clock.hubToleranceMs (${c.clock.hubToleranceMs})`
    : running ? 'no NTP and no acknowledgement from the hub yet' : `${c.clock.syncedFile} is missing (a running kiosk also counts the hub's time, once the hub has acknowledged a scan)`;
  return fail('clock', `not synchronised (${by}): ${hubNote}; validity dates rest on a clock that may be days off (clock.unsyncedPolicy "${c.clock.unsyncedPolicy}")`,
    'timedatectl set-ntp true, and check that the hub (or an NTP server) is reachable: journalctl -u systemd-timesyncd');
}

async function listsCheck(c: KioskConfig, running: RunningKiosk | undefined): Promise<Check> {
  const denied = unreadable(c.stateDir);
  if (denied) return fail('lists', `${denied}: the lists this kiosk holds are unknown here`, AS_KIOSK_USER);
  if (!existsSync(c.stateDir)) return fail('lists', `no state folder ${c.stateDir}: the kiosk has not run yet, and holds no lists (every pass is red: unknown-key)`, 'start the kiosk with its hub reachable (systemctl start chot-kiosk); the hub sends both lists');
  let root;
  try { root = createPublicKey(readFileSync(c.rootKey, 'utf8')); } catch (e) {
    return fail('lists', `rootKey ${c.rootKey} cannot be read as a PEM public key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): no list can be checked, and the kiosk does not start`, "copy the root authority's root.pub.pem there (provisioning does: --root-key)");
  }
  // the kiosk's own loading: trust.cose, status.cose and the kept deltas, each checked against the root key.
  // On an existing folder it only reads, bar deleting deltas a full list has superseded, as the kiosk's start does.
  const refused: string[] = [];
  let store: StateStore;
  try { store = await StateStore.open(c.stateDir, root, (l) => refused.push(l)); } catch (e) {
    return fail('lists', `cannot read the state in ${c.stateDir}: ${(e as Error).message}`, AS_KIOSK_USER);
  }
  const now = Date.now();
  const t = store.trust, s = store.status;
  const keys = t.entries.filter((e) => e.kind === 'pass');
  const inForce = keys.filter((e) => e.validFrom * 1000 <= now && now <= e.validUntil * 1000).length;
  const parts = [t.version ? `trust v${t.version} (${keys.length} issuer key${keys.length === 1 ? '' : 's'}, ${inForce} in force today)` : 'no trust list',
    s.version ? `status v${s.version} (${s.holders.size} F0/F1 holders, ${s.revokedPasses.size} revoked passes)` : 'no status list'];
  if (running && (running.trust?.version ?? 0) !== t.version) parts.push(`the running kiosk holds trust v${running.trust?.version ?? 0}`);
  if (refused.length) parts.push(refused.join('; '));
  const text = parts.join(', ');
  if (!t.version) return fail('lists', `${text}: every pass is red (unknown-key)`, 'connect the kiosk to the hub once (check "hub" above); the hub sends both lists');
  if (keys.length && !inForce) return fail('lists', `${text}: no issuer key is in force today, so passes issued now are red (key-not-valid)`, 'the root authority signs a trust list with current keys (chot trust sign) and the hub publishes it');
  if (!s.version) return fail('lists', `${text}: passes are checked without revocations or F0/F1 holders, and every verdict carries the "no lists" warning`, 'the hub publishes a status list once one is in its lists folder (chot status sign, or chot status import)');
  const age = store.listAge(now);
  if (age === Infinity) return fail('lists', `${text}, but when they arrived is not in ${join(c.stateDir, 'state.json')}: every verdict carries the "no lists" warning until the hub sends them again`, 'connect the kiosk to the hub (check "hub" above)');
  const aged = `${text}; the older arrived ${(age / 3_600_000).toFixed(1)} h ago`;
  return age > c.lists.maxAgeHours * 3_600_000
    ? fail('lists', `${aged}: older than lists.maxAgeHours (${c.lists.maxAgeHours}); every verdict carries a warning`, 'restore the link to the hub (check "hub" above)')
    : pass('lists', aged);
}

/** Without a config: which scanners are plugged in, so the technician knows what to write in it. */
function scannerFound(devDir: string): Check {
  const found: string[] = [];
  try { for (const f of readdirSync(devDir)) if (/^tty(ACM|USB)\d+$/.test(f)) found.push(`${join(devDir, f)} (serial)`); } catch { /* no such folder */ }
  try { for (const f of readdirSync(join(devDir, 'input', 'by-id'))) if (f.endsWith('-event-kbd')) found.push(`${join(devDir, 'input', 'by-id', f)} (keyboard mode)`); } catch { /* none */ }
  return found.length
    ? warn('scanner', `not configured; plugged in: ${found.join(', ')}`, 'name it in the config: scanner.type "serial" or "hid" and scanner.path')
    : fail('scanner', 'not configured, and no serial or keyboard-mode scanner is plugged in', 'plug the scanner in; ls /dev/ttyACM* /dev/ttyUSB* /dev/input/by-id/*-event-kbd');
}

/** The gate's passage sensor, when the config names one: its pin and wait, so a technician wiring it knows where. */
function withPassage(check: Check, c: KioskConfig): Check {
  const p = c.gate?.passage;
  if (!p) return check;
  return { ...check, detail: `${check.detail}; passage sensor on BCM ${p.pin} (${p.activeLow ? 'closes to ground' : 'drives high'} when someone passes; a green waits ${p.waitMs / 1000} s for it)` };
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
  const denied = unreadable(c.stateDir);
  if (denied) return fail('journal', `${denied}: how many scans wait for the hub is unknown here`, AS_KIOSK_USER);
  const j = Journal.inspect(join(c.stateDir, 'journal'));
  const text = `${j.pending} scans waiting for the hub, ${j.segments} segments, ${(j.bytes / 1e6).toFixed(1)} MB`;
  if (j.otherFormat.length) return fail('journal', `${text}; ${j.otherFormat.length} more segment(s) in a format this version does not read (${j.otherFormat.slice(0, 3).join(', ')}): a newer version wrote them; their scans wait, unsent, on disk`, 'run a version that reads them again (chot release rollout); do not delete them');
  if (j.damaged) return warn('journal', `${text}; ${j.damaged} segment(s) end in a torn record (cut off at the next start)`, 'nothing to do: a power cut mid-write; the kiosk drops the torn record on start-up');
  if (j.bytes > 0.8 * c.journal.maxBytes) return fail('journal', `${text}: near the cap of ${(c.journal.maxBytes / 1e6).toFixed(0)} MB; the oldest unconfirmed scans will be dropped`, 'restore the link to the hub (check "hub" above)');
  return pass('journal', text);
}

export function formatChecks(checks: Check[]): string {
  return checks.map((k) => `${k.ok ? (k.warn ? '!' : '✓') : '✗'} ${k.name.padEnd(8)} ${k.detail}${k.fix && (!k.ok || k.warn) ? `\n  ${' '.repeat(8)} fix: ${k.fix}` : ''}`).join('\n');
}

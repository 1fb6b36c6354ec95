// chot kiosk run: the booth program. Loads and checks the config, builds the drivers it names, starts the
// kiosk, and makes sure that whatever ends the process (SIGTERM, Ctrl-C, a crash) leaves the gate shut and
// the red lamp on. A kill -9 cannot be caught: systemd's ExecStopPost runs `chot kiosk failsafe` for that.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, loadConfig, signalConfig, ConfigError, type KioskConfig } from './config.js';
import type { GpioDriver } from './gpio/driver.js';
import { SimGpio } from './gpio/sim.js';
import { OnoffDriver } from './gpio/onoff.js';
import { chooseDriver, GpiodDriver } from './gpio/gpiod.js';
import { DEFAULT_SIGNAL, Signal } from './gpio/signal.js';
import { Kiosk } from './kiosk.js';
import { enrol, EnrolFailed } from './enrol.js';
import { SystemdNotify } from '../../lib/systemd-notify.js';
import { oneLine } from '../../lib/log-line.js';
import { OfficerScreen } from './screen/server.js';
import { SerialScanner } from './scan/serial.js';
import { HidScanner } from './scan/hid.js';
import { SimSource, type ScanSource } from './scan/source.js';

/** One line per call: what a line quotes from outside cannot break it into two (lib/log-line.ts). */
export const log = (line: string): void => { process.stderr.write(`${oneLine(line)}\n`); };

/** Files the kiosk makes are its user's and group's only (0640, folders 0750), whoever starts it. */
export const KIOSK_UMASK = 0o027;

export function makeGpio(c: Pick<KioskConfig, 'gpio'>): GpioDriver {
  if (c.gpio.driver === 'sim') return new SimGpio(c.gpio.timelineFile);
  const driver = c.gpio.driver === 'auto' ? chooseDriver().driver : c.gpio.driver;
  if (driver === 'gpiod') return new GpiodDriver({ chipLabel: c.gpio.chipLabel, log });
  return new OnoffDriver({ chipLabel: c.gpio.chipLabel });
}

export async function makeSources(c: KioskConfig): Promise<ScanSource[]> {
  if (c.scanner.type === 'camera') {
    const { defaultDecoder } = await import('./camera/decode.js');
    const { CameraScanner } = await import('./scan/camera.js');
    const s = c.scanner;
    return [new CameraScanner({ kind: s.camera, device: s.path, width: s.width, height: s.height, fps: s.fps, decoder: await defaultDecoder(), log })];
  }
  if (c.scanner.type === 'serial') return [new SerialScanner({ path: c.scanner.path, baudRate: c.scanner.baudRate, maxLength: c.scanner.maxLength, log })];
  if (c.scanner.type === 'hid') return [new HidScanner({ path: c.scanner.path, log })];
  if (c.scanner.type === 'sim') return [new SimSource()];
  return [];
}

/** Installs the handlers that leave the gate shut whatever ends the process. */
export function installFailSafe(failSafe: () => void, stop: () => Promise<void>): void {
  let stopping = false;
  const graceful = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`kiosk: ${sig}: gate shut, red lamp on, stopping`);
    failSafe();
    stop().then(() => process.exit(0), (e) => { log(`kiosk: error while stopping: ${(e as Error).message}`); process.exit(1); });
  };
  process.on('SIGTERM', () => graceful('SIGTERM'));
  process.on('SIGINT', () => graceful('SIGINT'));
  const crash = (e: unknown) => {
    try { failSafe(); } finally {
      log(`kiosk: crashed: ${(e as Error)?.stack ?? String(e)}; gate shut, red lamp on; systemd restarts the kiosk`);
      process.exit(70);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

export async function runKiosk(configPath: string): Promise<Kiosk> {
  process.umask(KIOSK_UMASK);
  let config: KioskConfig;
  try {
    config = loadConfig(configPath);
  } catch (e) {
    // no usable config: shut the gate with the last pins that worked, then say what is wrong
    failSafeFromDisk(configPath);
    throw e;
  }
  const gpio = makeGpio(config);
  const kiosk = await Kiosk.start(config, { gpio, sources: await makeSources(config), log });
  const screen = new OfficerScreen(kiosk);
  try {
    const port = await screen.listen(config.screen.host, config.screen.port);
    log(`screen: officer screen on http://${config.screen.host}:${port}/`);
  } catch (e) {
    log(`screen: cannot serve the officer screen on ${config.screen.host}:${config.screen.port} (${(e as Error).message}): the lamps still work; change screen.port`);
  }
  const systemd = new SystemdNotify(process.env, log);
  installFailSafe(() => { systemd.stopping(); kiosk.signal.failSafe(); }, async () => { await screen.close(); await kiosk.stop(); });
  systemd.ready(`kiosk ${config.kiosk.id}: ready, ${kiosk.journal.pending} scans waiting for the hub`);
  kiosk.on('change', () => systemd.status(`kiosk ${config.kiosk.id}: hub ${kiosk.uplink?.state ?? 'not configured'}, ${kiosk.journal.pending} scans waiting`));
  // an unenrolled kiosk that scans its enrolment QR enrols itself with the hub it was provisioned to trust
  // (hub.web), then exits for systemd to start it enrolled; a refusal is shown on the officer's screen in words
  let enrolling = false;
  kiosk.on('enrol', (text) => {
    if (enrolling) return;
    enrolling = true;
    log('kiosk: enrolment code scanned; checking it against the trusted hub');
    kiosk.showEnrolment({ state: 'busy', vi: 'Đang đăng ký với trung tâm…', en: 'Enrolling with the hub…' });
    enrol(configPath, text, { scanned: true }).then(
      (r) => {
        log(`kiosk: enrolled as ${r.id} (area ${r.area}) with ${r.web}, MQTT ${r.hub}; restarting`);
        kiosk.showEnrolment({ state: 'enrolled', vi: `Đã đăng ký: ${r.id}, khởi động lại…`, en: `Enrolled as ${r.id}: restarting…` });
        kiosk.stop().then(() => process.exit(0));
      },
      (e) => {
        enrolling = false;
        log(`kiosk: enrolment refused: ${(e as Error).message}`);
        const w = e instanceof EnrolFailed ? e.words : { vi: 'Đăng ký thất bại: gọi kỹ thuật viên.', en: 'Enrolment failed: call the technician.' };
        kiosk.showEnrolment({ state: 'refused', ...w });
      },
    );
  });
  return kiosk;
}

/**
 * chot kiosk failsafe: relay released, red lamp on, with the pins of the config, or of the last config that
 * worked (kept in the state folder), or the defaults. systemd runs it after every stop (ExecStopPost).
 */
export function failSafeFromDisk(configPath?: string, stateDir = '/var/lib/chot'): string {
  let c: Pick<KioskConfig, 'gpio'> & Partial<KioskConfig> | undefined;
  let from = 'defaults';
  if (configPath) {
    try { c = loadConfig(configPath); from = configPath; } catch (e) { log(`failsafe: ${(e as Error).message}; trying the last good config`); }
  }
  const last = join(c?.stateDir ?? stateDir, 'last-good-config.json');
  if (!c && existsSync(last)) {
    try { c = checkConfig(JSON.parse(readFileSync(last, 'utf8')), last); from = last; } catch (e) { log(`failsafe: ${(e as Error).message}`); }
  }
  const cfg = c ? signalConfig(c as KioskConfig) : DEFAULT_SIGNAL;
  let gpio: GpioDriver;
  try {
    gpio = makeGpio(c ?? { gpio: { driver: 'auto' } as KioskConfig['gpio'] });
  } catch (e) {
    throw new ConfigError(`failsafe: cannot reach the GPIO (${(e as Error).message}): the gate relay may still be energised; cut its power`);
  }
  new Signal(gpio, cfg).failSafe();
  // gpiod holds lines only while a process runs: set them once more with a gpioset that exits at once
  if (gpio instanceof GpiodDriver) gpio.settle(); else gpio.close();
  return `relay released, red lamp on (pins from ${from})`;
}

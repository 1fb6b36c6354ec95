// chot kiosk run: the booth program, and the one place that builds a kiosk. buildKiosk makes every part from the
// config (root key, state folder, journal, state store, clock, uplink, GPIO driver, signal, scan sources) in
// order and hands them to Kiosk as ports; a test or the demo gives some parts of its own (a simulated scanner,
// GPIO or uplink) through the same builder. runKiosk adds what only a booth has: the officer screen, systemd,
// enrolment by scanning, and handlers that leave the gate shut and the red lamp on whatever ends the process
// (SIGTERM, Ctrl-C, a crash). A kill -9 cannot be caught: systemd's ExecStopPost runs `chot kiosk failsafe`.
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { checkConfig, loadConfig, loadConfigWithState, signalConfig, ConfigError, type KioskConfig } from './config.js';
import type { GpioDriver } from './gpio/driver.js';
import { SimGpio } from './gpio/sim.js';
import { OnoffDriver } from './gpio/onoff.js';
import { chooseDriver, GpiodDriver } from './gpio/gpiod.js';
import { DEFAULT_SIGNAL, Signal } from './gpio/signal.js';
import { PassageWatch, type Timers } from './passage-watch.js';
import { PayoutPoint } from './payout/point.js';
import { Kiosk, type ClockPort, type KioskPorts } from './kiosk.js';
import { KioskClock } from './clock.js';
import { Journal } from './journal/journal.js';
import { StateStore } from './state/store.js';
import { Uplink } from './uplink/uplink.js';
import type { UplinkPort } from './uplink/port.js';
import { enrol, EnrolFailed } from './enrol.js';
import { SystemdNotify } from '../../lib/systemd-notify.js';
import { writeDurable } from '../../lib/durable-file.js';
import { makeLogger, type Level, type Log, type Logger } from '../../lib/log.js';
import { OfficerScreen } from './screen/server.js';
import { startUpdates } from './update/wire.js';
import { SerialScanner } from './scan/serial.js';
import { HidScanner } from './scan/hid.js';
import { SimSource, type ScanSource } from './scan/source.js';

/**
 * The program's log: one line per call, at a level (lib/log.ts); journald priorities when stderr is the journal.
 * runKiosk sets its level from --log-level.
 */
export let log: Logger = makeLogger();

/** Files the kiosk makes are its user's and group's only (0640, folders 0750), whoever starts it. */
export const KIOSK_UMASK = 0o027;

export function makeGpio(c: Pick<KioskConfig, 'gpio'>, logTo: Log = log): GpioDriver {
  if (c.gpio.driver === 'sim') return new SimGpio(c.gpio.timelineFile);
  const driver = c.gpio.driver === 'auto' ? chooseDriver().driver : c.gpio.driver;
  if (driver === 'gpiod') return new GpiodDriver({ chipLabel: c.gpio.chipLabel, log: logTo });
  return new OnoffDriver({ chipLabel: c.gpio.chipLabel });
}

export async function makeSources(c: KioskConfig, logTo: Log = log): Promise<ScanSource[]> {
  if (c.scanner.type === 'camera') {
    const { defaultDecoder } = await import('./camera/decode.js');
    const { CameraScanner } = await import('./scan/camera.js');
    const s = c.scanner;
    return [new CameraScanner({ kind: s.camera, device: s.path, width: s.width, height: s.height, fps: s.fps, decoder: await defaultDecoder(), log: logTo })];
  }
  if (c.scanner.type === 'serial') return [new SerialScanner({ path: c.scanner.path, baudRate: c.scanner.baudRate, maxLength: c.scanner.maxLength, log: logTo })];
  if (c.scanner.type === 'hid') return [new HidScanner({ path: c.scanner.path, log: logTo })];
  if (c.scanner.type === 'sim') return [new SimSource()];
  return [];
}

/** The hub's secret: inline in the config, or in hub.passwordFile (the enrolment's, in the state folder). */
function hubPassword(h: KioskConfig['hub']): string | undefined {
  if (h.password !== undefined || !h.passwordFile) return h.password;
  try {
    return readFileSync(h.passwordFile, 'utf8').trim();
  } catch (e) {
    throw new Error(`hub.passwordFile ${h.passwordFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): it must be readable by the kiosk's user; enrol again if it is lost (chot kiosk enrol)`);
  }
}

/** Parts a caller gives instead of those the config names: the tests and the demo. */
export interface KioskParts {
  gpio?: GpioDriver;
  sources?: ScanSource[];
  clock?: ClockPort;
  /** The uplink over the kiosk's journal; null for none. Default: the MQTT uplink when the config names a hub. */
  uplink?: ((journal: Journal) => UplinkPort) | null;
  /** The clock the passage sensor's waits run on (gate.passage). Default: the real one. */
  timers?: Timers;
}

/**
 * Builds a kiosk from its config, in order, and starts it: the root key and the state folder first (nothing is
 * decided without them), then the journal, the lists, the clock and the uplink, then the GPIO and the signal
 * (idle: red lamp on, gate shut), then the scanners. If a part cannot be made, those already made are closed
 * again and the error says which; a scanner that cannot be made is left out and logged, the kiosk runs without it.
 */
export async function buildKiosk(config: KioskConfig, parts: KioskParts = {}, logTo: Log = log): Promise<Kiosk> {
  let root: KeyObject;
  try {
    root = createPublicKey(readFileSync(config.rootKey, 'utf8'));
  } catch (e) {
    throw new Error(`rootKey ${config.rootKey} cannot be read as a PEM public key (${(e as Error).message}): copy the root authority's root.pub.pem there`);
  }
  // the state holds scans and lists: the kiosk's user and group only, whatever umask started the program
  mkdirSync(config.stateDir, { recursive: true, mode: 0o750 });
  chmodSync(config.stateDir, 0o750);
  // the fail-safe command (systemd ExecStopPost) needs the pins even if the config file is lost later; it never
  // needs the hub's password, which stays in the config (or its passwordFile) and is not copied into the state
  const { password: _secret, ...hub } = config.hub;
  writeDurable(join(config.stateDir, 'last-good-config.json'), JSON.stringify({ ...config, hub }, null, 1), 0o640);

  const made: Array<() => unknown> = [];
  const undo = () => { for (const close of made.reverse()) { try { close(); } catch { /* already failing */ } } };
  try {
    const journal = Journal.open(join(config.stateDir, 'journal'), { ...config.journal, log: logTo });
    made.push(() => journal.close());
    const store = await StateStore.open(config.stateDir, root, logTo);
    const clock = parts.clock ?? new KioskClock(config.clock.syncedFile, config.clock.hubToleranceMs);
    const h = config.hub;
    let uplink: UplinkPort | null;
    if (parts.uplink !== undefined) uplink = parts.uplink ? parts.uplink(journal) : null;
    else uplink = h.url ? new Uplink({
      url: h.url, urls: h.urls, kioskId: config.kiosk.id, username: h.username, password: hubPassword(h), ca: h.ca,
      backoffMinMs: h.backoffMinMs, backoffMaxMs: h.backoffMaxMs, backlogPerSecond: h.backlogPerSecond, batchMax: h.batchMax, ackTimeoutMs: h.ackTimeoutMs, log: logTo,
    }, journal) : null;
    const gpio = parts.gpio ?? makeGpio(config, logTo);
    made.push(() => gpio.close());
    const signal = new Signal(gpio, signalConfig(config));
    let sources: ScanSource[] = [];
    try {
      sources = parts.sources ?? await makeSources(config, logTo);
    } catch (e) {
      logTo(`scanner: cannot set up the ${config.scanner.type} scanner (${(e as Error).message}); the kiosk runs without it: check scanner in the config`, 'error');
    }
    const passage = config.gate?.passage ? new PassageWatch(gpio, config.gate.passage, parts.timers) : undefined;
    // a ward office's payout desk: the ward's programme list and the claim book in the state folder (payout/point.ts)
    const payout = config.mode === 'payout' && config.payout ? new PayoutPoint({
      config: config.payout, kioskId: config.kiosk.id, stateDir: config.stateDir, root, uplink, signal, log: logTo, timers: parts.timers,
      area: () => store.db.data.hubConfig?.area ?? config.kiosk.area, timeZone: () => store.db.data.hubConfig?.timeZone ?? config.kiosk.timeZone,
    }) : undefined;
    const ports: KioskPorts = { gpio, signal, sources, journal, store, clock, uplink, log: logTo, passage, payout };
    const kiosk = new Kiosk(config, ports);
    kiosk.start();
    return kiosk;
  } catch (e) {
    undo();
    throw e;
  }
}

/** Serves the officer screen; one that cannot listen is logged and the kiosk goes on without it. */
export async function serveScreen(kiosk: Kiosk, host: string, port: number, logTo: Log = log): Promise<{ screen: OfficerScreen; port: number } | undefined> {
  const screen = new OfficerScreen(kiosk);
  try {
    const bound = await screen.listen(host, port);
    logTo(`screen: officer screen on http://${host}:${bound}/`);
    return { screen, port: bound };
  } catch (e) {
    logTo(`screen: cannot serve the officer screen on ${host}:${port} (${(e as Error).message}): the lamps still work; change screen.port`, 'error');
    await screen.close().catch(() => {});
    return undefined;
  }
}

/** Installs the handlers that leave the gate shut whatever ends the process. */
export function installFailSafe(failSafe: () => void, stop: () => Promise<void>): void {
  let stopping = false;
  const graceful = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`kiosk: ${sig}: gate shut, red lamp on, stopping`);
    failSafe();
    stop().then(() => process.exit(0), (e) => { log(`kiosk: error while stopping: ${(e as Error).message}`, 'error'); process.exit(1); });
  };
  process.on('SIGTERM', () => graceful('SIGTERM'));
  process.on('SIGINT', () => graceful('SIGINT'));
  const crash = (e: unknown) => {
    try { failSafe(); } finally {
      log(`kiosk: crashed: ${(e as Error)?.stack ?? String(e)}; gate shut, red lamp on; systemd restarts the kiosk`, 'error');
      process.exit(70);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

export interface RunOptions {
  /** The least severe log level written (--log-level); default info. */
  logLevel?: Level;
}

export async function runKiosk(configPath: string, opts: RunOptions = {}): Promise<Kiosk> {
  process.umask(KIOSK_UMASK);
  log = makeLogger({ level: opts.logLevel });
  let config: KioskConfig;
  let enrolled: string | undefined;
  try {
    const loaded = loadConfigWithState(configPath);
    config = loaded.config;
    enrolled = loaded.enrolled;
  } catch (e) {
    // no usable config: shut the gate with the last pins that worked, then say what is wrong
    failSafeFromDisk(configPath);
    throw e;
  }
  if (enrolled) log(`kiosk: enrolled as ${config.kiosk.id} (area ${config.kiosk.area}, hub ${config.hub.url}): settings from ${enrolled} over ${configPath}`);
  const kiosk = await buildKiosk(config);
  // listening before the uplink can bring the retained rollout; acting on it only once READY is sent
  const updates = startUpdates(kiosk, config, log);
  const served = await serveScreen(kiosk, config.screen.host, config.screen.port);
  const systemd = new SystemdNotify(process.env, log);
  // the update agent first: a version stopping (systemd's start timeout, the watchdog) must not confirm itself on the way out
  installFailSafe(() => { systemd.stopping(); kiosk.signal.failSafe(); }, async () => { updates.stop(); await served?.screen.close(); await kiosk.stop(); });
  systemd.ready(`kiosk ${config.kiosk.id}: ready, ${kiosk.journal.pending} scans waiting for the hub`);
  updates.start();
  kiosk.on('change', () => systemd.status(`kiosk ${config.kiosk.id}: hub ${kiosk.uplink?.state ?? 'not configured'}, ${kiosk.journal.pending} scans waiting`));
  // an unenrolled kiosk that scans its enrolment QR enrols itself with the hub it was provisioned to trust
  // (hub.web), keeps what the hub answered in its state folder, then exits for systemd to start it enrolled; a
  // refusal is shown on the officer's screen in words
  let enrolling = false;
  kiosk.on('enrol', (text) => {
    if (enrolling) return;
    enrolling = true;
    log('kiosk: enrolment code scanned; checking it against the trusted hub');
    kiosk.showEnrolment({ state: 'busy', vi: 'Đang đăng ký với trung tâm…', en: 'Enrolling with the hub…' });
    enrol(configPath, text, { scanned: true }).then(
      (r) => {
        log(`kiosk: enrolled as ${r.id} (area ${r.area}) with ${r.web}, MQTT ${r.hub}, kept in ${r.file}; restarting`);
        kiosk.showEnrolment({ state: 'enrolled', vi: `Đã đăng ký: ${r.id}, khởi động lại…`, en: `Enrolled as ${r.id}: restarting…` });
        kiosk.stop().then(() => process.exit(0), (e) => { log(`kiosk: stopping for the restart after enrolment failed: ${(e as Error).message}; exiting for systemd to start it again`, 'error'); process.exit(1); });
      },
      (e) => {
        enrolling = false;
        log(`kiosk: enrolment refused: ${(e as Error).message}`, 'warn');
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
    try { c = loadConfig(configPath); from = configPath; } catch (e) { log(`failsafe: ${(e as Error).message}; trying the last good config`, 'warn'); }
  }
  const last = join(c?.stateDir ?? stateDir, 'last-good-config.json');
  if (!c && existsSync(last)) {
    try { c = checkConfig(JSON.parse(readFileSync(last, 'utf8')), last); from = last; } catch (e) { log(`failsafe: ${(e as Error).message}`, 'warn'); }
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

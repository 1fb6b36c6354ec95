// The kiosk's configuration: one JSON file, validated at start-up against kiosk/config.schema.json with
// defaults filled in. An error names the bad key's path and its value, in one line.
//
// What an enrolment gives (id, area, time zone, hub addresses, secret) is not written into that file: under
// systemd (ProtectSystem=strict) /etc is read-only to the kiosk, which enrols itself when its enrolment QR is
// scanned. It is kept in the state folder instead (enrolled.json, hub.secret), and laid over the file's settings
// whenever the config is loaded, so the kiosk, chot doctor and the fail-safe all see the same kiosk.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { DEFAULT_SIGNAL, type SignalConfig } from './gpio/signal.js';
import type { PassageConfig } from './passage-watch.js';
import { formatSchemaError } from '../../protocol/src/index.js';
import { checkPayout, type PayoutConfig } from './payout/config.js';

export interface KioskConfig {
  kiosk: { id: string; area: string; timeZone: string; acceptedCategories?: string[]; maxDeclarationAgeHours?: number; skewSeconds: number; debounceMs: number };
  rootKey: string;
  stateDir: string;
  dccRules?: 'none' | Record<string, unknown>;
  hub: { web?: string; url?: string; urls?: string[]; username?: string; password?: string; passwordFile?: string; ca?: string; backoffMinMs: number; backoffMaxMs: number; backlogPerSecond: number; batchMax: number; ackTimeoutMs: number; heartbeatSeconds: number };
  scanner: { type: 'serial' | 'hid' | 'camera' | 'sim' | 'none'; path: string; baudRate: number; maxLength: number; camera: 'ffmpeg' | 'rpicam'; width: number; height: number; fps: number };
  gpio: { driver: 'auto' | 'gpiod' | 'onoff' | 'sim'; chipLabel?: string; timelineFile?: string; pins: Partial<SignalConfig['pins']> } & Omit<SignalConfig, 'pins'>;
  /** a gate that confirms passage (passage-watch.ts); absent: a green is counted as passed, as before */
  gate?: { passage?: PassageConfig };
  clock: { unsyncedPolicy: 'check-time' | 'skip-time' | 'refuse'; syncedFile: string; hubToleranceMs: number };
  lists: { maxAgeHours: number };
  journal: { commitMs: number; maxBytes: number; segmentBytes: number };
  screen: { port: number; host: string };
  update: { dir: string; web?: string; idleSeconds: number; window?: string; rateKBps: number; confirmSeconds: number };
  /** a checkpoint (the default) or a ward office's payout desk (kiosk/src/payout) */
  mode?: 'checkpoint' | 'payout';
  payout?: PayoutConfig;
}

export class ConfigError extends Error {}

const schema = createRequire(import.meta.url)('../../../kiosk/config.schema.json') as object;
const validate = new Ajv({ useDefaults: true, allErrors: false, strict: false }).compile(schema);

/** Validates a parsed config (mutating it to fill defaults). */
export function checkConfig(doc: unknown, source = 'config'): KioskConfig {
  // every section exists so its defaults are filled in; the schema's default path is the serial scanner's, so
  // whether the file named a path is noted before Ajv fills it in
  let pathGiven = true;
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    pathGiven = (doc as { scanner?: { path?: unknown } }).scanner?.path !== undefined;
    for (const k of ['hub', 'scanner', 'gpio', 'clock', 'lists', 'journal', 'screen', 'update']) (doc as Record<string, unknown>)[k] ??= {};
    const g = (doc as Record<string, Record<string, unknown>>).gpio;
    if (g && typeof g === 'object') g.pins ??= {};
  }
  if (!validate(doc)) {
    throw new ConfigError(formatSchemaError(validate.errors![0], doc, source));
  }
  const c = doc as KioskConfig;
  // every payout problem in one line (payout/config.ts), so the technician fixes the file in one go
  const pay = checkPayout(c);
  if (pay.problems.length) throw new ConfigError(`${source}: ${pay.problems.length === 1 ? pay.problems[0] : `${pay.problems.length} problems: ${pay.problems.join('; ')}`}`);
  if (pay.payout) c.payout = pay.payout;
  c.gpio.pins = { ...DEFAULT_SIGNAL.pins, ...c.gpio.pins };
  // the sensor's line is an input of its own: on a lamp's or the relay's pin it would read the kiosk's own output
  const passage = c.gate?.passage;
  const taken = passage && Object.entries(c.gpio.pins).find(([, p]) => p?.pin === passage.pin);
  if (taken) throw new ConfigError(`${source}: gate.passage.pin ${passage.pin} is already gpio.pins.${taken[0]}: give the passage sensor a pin of its own`);
  // a payout desk opens no gate: its greens are payments, and an annul would count a citizen paid as not passed
  if (passage && c.mode === 'payout') throw new ConfigError(`${source}: gate.passage is for a checkpoint's gate; a payout desk (mode "payout") has none: remove gate.passage or set mode "checkpoint"`);
  if (c.scanner.type === 'camera' && !pathGiven) c.scanner.path = '/dev/video0';
  return c;
}

/** The enrolment kept in the state folder: what the hub's answer set, laid over the config file's settings. */
export interface Enrolment {
  v: 1;
  /** when it was made, ms */
  at: number;
  kiosk: { id: string; area: string; timeZone?: string };
  /** web: the hub enrolled with (later codes must name it); url: its MQTT broker; passwordFile: the secret */
  hub: { web: string; url: string; passwordFile: string };
}

export const ENROLLED_FILE = 'enrolled.json';
/** The enrolment file's format (its `v`), the one this version writes and the newest it reads. */
export const ENROLMENT_FORMAT = 1;
export const SECRET_FILE = 'hub.secret';
const DEFAULT_STATE_DIR = (schema as { properties: { stateDir: { default: string } } }).properties.stateDir.default;

export interface LoadedConfig {
  config: KioskConfig;
  /** the enrolment file laid over the config, when there is one */
  enrolled?: string;
  /** an enrolment file this user may not read (chot doctor run as another user): the config file's settings only */
  unreadable?: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Checks the shape of an enrolment file; the values are then checked with the whole config by the schema. */
function checkEnrolment(doc: unknown, path: string): Enrolment {
  const bad = (what: string) => new ConfigError(`${path}: ${what}; delete it and enrol again (chot kiosk enrol, or scan the enrolment code)`);
  const d = doc as Partial<Enrolment> | null;
  // `v` is the file's format: a newer one (a newer version enrolled, then was rolled back) is neither read nor to be
  // deleted, since enrolling again needs a new code from the hub
  const v = (d as { v?: unknown } | null)?.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > ENROLMENT_FORMAT) {
    throw new ConfigError(`${path} is enrolment format ${v}, which this version of chot does not read (it reads format ${ENROLMENT_FORMAT}): left as it is; run the version that wrote it again (chot release rollout), or move it away and enrol again (chot kiosk enrol)`);
  }
  if (!d || typeof d !== 'object' || Array.isArray(d) || d.v !== 1) throw bad('not an enrolment (v 1)');
  const k = d.kiosk, h = d.hub;
  if (!k || typeof k.id !== 'string' || typeof k.area !== 'string' || (k.timeZone !== undefined && typeof k.timeZone !== 'string')) throw bad('kiosk.id and kiosk.area must be strings');
  if (!h || typeof h.web !== 'string' || typeof h.url !== 'string' || typeof h.passwordFile !== 'string') throw bad('hub.web, hub.url and hub.passwordFile must be strings');
  return d as Enrolment;
}

/** The config file's document with an enrolment laid over it (the secret belongs to the enrolled id). */
export function withEnrolment(doc: Record<string, unknown>, e: Enrolment): Record<string, unknown> {
  const kiosk = { ...(doc.kiosk as object | undefined), id: e.kiosk.id, area: e.kiosk.area, ...(e.kiosk.timeZone ? { timeZone: e.kiosk.timeZone } : {}) };
  const { password: _p, username: _u, ...hub } = (doc.hub ?? {}) as Record<string, unknown>;
  return { ...doc, kiosk, hub: { ...hub, web: e.hub.web, url: e.hub.url, passwordFile: e.hub.passwordFile } };
}

/** The state folder a config document names, or the default; before validation, to find the enrolment. */
export function stateDirOf(doc: unknown): string {
  const d = (doc as { stateDir?: unknown } | null)?.stateDir;
  return typeof d === 'string' ? d : DEFAULT_STATE_DIR;
}

/** Reads the config file and the enrolment in its state folder, if any; `enrolment` replaces the one on disk. */
export function loadConfigWithState(path: string, enrolment?: Enrolment): LoadedConfig {
  let doc = readJson(path, 'the config');
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { config: checkConfig(doc, path) };
  const file = join(stateDirOf(doc), ENROLLED_FILE);
  let e = enrolment;
  let unreadable: string | undefined;
  if (!e) {
    try {
      e = checkEnrolment(JSON.parse(readFileSync(file, 'utf8')), file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES') unreadable = file;
      else if (code !== 'ENOENT') throw err instanceof ConfigError ? err : new ConfigError(`${file} is not valid JSON: ${(err as Error).message}; delete it and enrol again`);
    }
  }
  if (!e) return { config: checkConfig(doc, path), unreadable };
  doc = withEnrolment(doc as Record<string, unknown>, e);
  return { config: checkConfig(doc, `${path} with ${enrolment ? 'the new enrolment' : file}`), enrolled: file };
}

export function loadConfig(path: string): KioskConfig {
  return loadConfigWithState(path).config;
}

export function signalConfig(c: KioskConfig): SignalConfig {
  return { ...c.gpio, pins: c.gpio.pins as SignalConfig['pins'] };
}

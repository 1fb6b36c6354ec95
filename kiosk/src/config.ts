// The kiosk's configuration: one JSON file, validated at start-up against kiosk/config.schema.json with
// defaults filled in. An error names the bad key's path and its value, in one line.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DEFAULT_SIGNAL, type SignalConfig } from './gpio/signal.js';
import { formatSchemaError } from '../../protocol/src/index.js';

export interface KioskConfig {
  kiosk: { id: string; area: string; timeZone: string; acceptedCategories?: string[]; maxDeclarationAgeHours?: number; skewSeconds: number; debounceMs: number };
  rootKey: string;
  stateDir: string;
  dccRules?: 'none' | Record<string, unknown>;
  hub: { web?: string; url?: string; urls?: string[]; username?: string; password?: string; passwordFile?: string; ca?: string; backoffMinMs: number; backoffMaxMs: number; backlogPerSecond: number; batchMax: number; ackTimeoutMs: number; heartbeatSeconds: number };
  scanner: { type: 'serial' | 'hid' | 'camera' | 'sim' | 'none'; path: string; baudRate: number; maxLength: number; camera: 'ffmpeg' | 'rpicam'; width: number; height: number; fps: number };
  gpio: { driver: 'auto' | 'gpiod' | 'onoff' | 'sim'; chipLabel?: string; timelineFile?: string; pins: Partial<SignalConfig['pins']> } & Omit<SignalConfig, 'pins'>;
  clock: { unsyncedPolicy: 'check-time' | 'skip-time' | 'refuse'; syncedFile: string; hubToleranceMs: number };
  lists: { maxAgeHours: number };
  journal: { commitMs: number; maxBytes: number; segmentBytes: number };
  screen: { port: number; host: string };
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
    for (const k of ['hub', 'scanner', 'gpio', 'clock', 'lists', 'journal', 'screen']) (doc as Record<string, unknown>)[k] ??= {};
    const g = (doc as Record<string, Record<string, unknown>>).gpio;
    if (g && typeof g === 'object') g.pins ??= {};
  }
  if (!validate(doc)) {
    throw new ConfigError(formatSchemaError(validate.errors![0], doc, source));
  }
  const c = doc as KioskConfig;
  c.gpio.pins = { ...DEFAULT_SIGNAL.pins, ...c.gpio.pins };
  if (c.scanner.type === 'camera' && !pathGiven) c.scanner.path = '/dev/video0';
  return c;
}

export function loadConfig(path: string): KioskConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  return checkConfig(doc, path);
}

export function signalConfig(c: KioskConfig): SignalConfig {
  return { ...c.gpio, pins: c.gpio.pins as SignalConfig['pins'] };
}

// The hub's configuration: one JSON file checked against hub/config.schema.json, defaults filled in.
import { Ajv } from 'ajv';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { formatSchemaError } from '../../protocol/src/index.js';

export interface HubConfig {
  dataDir: string;
  timeZone: string;
  /** which province list the area codes of this hub's devices were written in: names on the dashboard */
  provinces: '2021' | '2025';
  retentionDays: number;
  mqtt: {
    host: string; port: number; tlsPort: number; cert?: string; key?: string; plain?: boolean; publicUrl?: string;
    broker: 'embedded' | 'external'; urls?: string[]; username?: string; passwordFile?: string; ca?: string; shareGroup: string; dynsec: boolean;
  };
  http: { host: string; port: number; publicUrl?: string; emqxSecretFile?: string };
  store: { kind: 'sqlite' | 'postgres'; path?: string; url?: string };
  limits: { connectBurstPerSource: number; connectsPerMinutePerSource: number };
  clones: { maxKmh: number };
  silentAfterSeconds: number;
  /** counts of people per area or origin below this leave the hub as "< N" (health.ts shown) */
  privacyMinCount: number;
}

export class HubConfigError extends Error {}

const validate = new Ajv({ useDefaults: true, strict: false }).compile(createRequire(import.meta.url)('../../../hub/config.schema.json') as object);

export function checkHubConfig(doc: unknown, source = 'hub config'): HubConfig {
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) for (const k of ['mqtt', 'http', 'store', 'limits', 'clones']) (doc as Record<string, unknown>)[k] ??= {};
  if (!validate(doc)) throw new HubConfigError(formatSchemaError(validate.errors![0], doc, source));
  const c = doc as HubConfig;
  if (!!c.mqtt.cert !== !!c.mqtt.key) throw new HubConfigError(`${source}: mqtt.cert and mqtt.key go together: set both for TLS, or neither`);
  if (c.store.kind === 'postgres' && !c.store.url) throw new HubConfigError(`${source}: store.kind is "postgres": set store.url, e.g. "postgres://chot@127.0.0.1:5432/chot"`);
  if (c.mqtt.broker === 'external') {
    if (!c.mqtt.urls?.length) throw new HubConfigError(`${source}: mqtt.broker is "external": set mqtt.urls, e.g. ["mqtts://broker-1.example.vn:8883", "mqtts://broker-2.example.vn:8883"]`);
    if (!c.mqtt.username || !c.mqtt.passwordFile) throw new HubConfigError(`${source}: mqtt.broker is "external": set mqtt.username and mqtt.passwordFile (the hub's own user at the broker)`);
    if (c.store.kind !== 'postgres') throw new HubConfigError(`${source}: mqtt.broker is "external": hub processes share one store, so set store.kind "postgres" and store.url`);
  }
  if (c.mqtt.plain === false && !c.mqtt.cert) throw new HubConfigError(`${source}: mqtt.plain is false but TLS is not set up (mqtt.cert, mqtt.key): kiosks could not connect at all`);
  return c;
}

export function loadHubConfig(path?: string): HubConfig {
  if (!path) return checkHubConfig({});
  if (!existsSync(path)) throw new HubConfigError(`cannot read the hub config ${path}: ENOENT`);
  let doc: unknown;
  try { doc = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new HubConfigError(`${path} is not valid JSON: ${(e as Error).message}`); }
  return checkHubConfig(doc, path);
}

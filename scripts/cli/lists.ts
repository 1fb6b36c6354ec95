// chot trust sign, chot status sign, chot status delta: the root authority's tools.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { writeDurable } from '../../lib/durable-file.js';
import { loadHubConfig } from '../../hub/src/config.js';
import {
  HEALTH_STATES, buildStatusList, dccRevocationHash, dscEntryToWire, fromHex, emptyStatusList, issuerEntryToWire, makeDelta, openStatusList,
  privateKeyFromPem, releaseSignerToWire, signStatusDelta, signStatusList, signTrustList, type HealthState, type Category,
} from '../../protocol/src/index.js';
import { parse, need, readText, readBytes, parseTime, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const TRUST_USAGE = usageOf('trust', 'sign');
const STATUS_USAGE = usageOf('status');

export function loadPrivateKey(path: string): KeyObject {
  try {
    return privateKeyFromPem(readText(path, 'private key'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path} is not a PEM private key: ${(e as Error).message}`);
  }
}

export function loadPublicKey(path: string): KeyObject {
  try {
    return createPublicKey(readText(path, 'public key'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path} is not a PEM public key: ${(e as Error).message}`);
  }
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readText(path, 'JSON file'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path} is not JSON: ${(e as Error).message}`);
  }
}

const secs = (v: unknown, where: string): number => {
  if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`${where} must be an ISO time`);
  return Math.floor(parseTime(String(v), where) / 1000);
};

export function trust(args: string[]): number {
  const [verb, ...rest] = args;
  if (verb !== 'sign') throw new UsageError(`unknown trust command ${JSON.stringify(verb ?? '')}\n${TRUST_USAGE}`);
  const { values } = parse(rest, { root: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } }, TRUST_USAGE);
  const root = loadPrivateKey(need(values.root, '--root', TRUST_USAGE));
  const inPath = need(values.in, '--in', TRUST_USAGE);
  const out = need(values.out, '--out', TRUST_USAGE);
  const doc = readJson(inPath);
  const base = dirname(resolve(inPath));
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new UsageError(`${inPath}: version must be a whole number ≥ 1, got ${JSON.stringify(version)}`);
  const entries = [];
  for (const [i, e] of ((doc.issuers ?? []) as Array<Record<string, unknown>>).entries()) {
    const where = `${inPath}: issuers[${i}]`;
    try {
      entries.push(issuerEntryToWire({
        issuer: String(e.issuer), name: String(e.name ?? e.issuer),
        publicKey: loadPublicKey(resolve(base, String(e.publicKey))),
        validFrom: secs(e.validFrom, `${where}.validFrom`), validUntil: secs(e.validUntil, `${where}.validUntil`),
        categories: (e.categories ?? []) as Category[], areas: (e.areas ?? []) as string[],
      }));
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
  }
  for (const [i, d] of ((doc.dsc ?? []) as Array<Record<string, unknown>>).entries()) {
    const c = String(d.certificate);
    const der = /^[A-Za-z0-9+/=]{100,}$/.test(c) ? new Uint8Array(Buffer.from(c, 'base64')) : readBytes(resolve(base, c), `dsc[${i}].certificate`);
    try {
      entries.push(dscEntryToWire(der, String(d.country ?? '')));
    } catch (err) {
      throw new UsageError(`${inPath}: dsc[${i}] is not an X.509 certificate: ${(err as Error).message}`);
    }
  }
  const release = [];
  for (const [i, e] of ((doc.release ?? []) as Array<Record<string, unknown>>).entries()) {
    const where = `${inPath}: release[${i}]`;
    try {
      release.push(releaseSignerToWire({
        name: String(e.name ?? `release key ${i}`), publicKey: loadPublicKey(resolve(base, String(e.publicKey))),
        validFrom: secs(e.validFrom, `${where}.validFrom`), validUntil: secs(e.validUntil, `${where}.validUntil`),
      }));
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
  }
  writeFileSync(out, signTrustList(version, Math.floor(Date.now() / 1000), entries, root, release));
  console.log(JSON.stringify({ signed: 'trust', version, entries: entries.length, ...(release.length ? { releaseSigners: release.length } : {}), out }));
  return 0;
}

export function status(args: string[]): number | Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'sign') {
    const USAGE = usageOf('status', 'sign');
    const { values } = parse(rest, { root: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } }, USAGE);
    const root = loadPrivateKey(need(values.root, '--root', USAGE));
    const inPath = need(values.in, '--in', USAGE);
    const doc = readJson(inPath);
    const version = doc.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new UsageError(`${inPath}: version must be a whole number ≥ 1, got ${JSON.stringify(version)}`);
    const holders = ((doc.holders ?? []) as Array<{ token: string; state: string }>).map((h, i): [Uint8Array, HealthState] => {
      if (!HEALTH_STATES.includes(h.state as HealthState) || h.state === 'none') throw new UsageError(`${inPath}: holders[${i}].state ${JSON.stringify(h.state)} is not F0, F1, F2 or F3`);
      return [hexId(h.token, 8, `holders[${i}].token`), h.state as HealthState];
    });
    const passes = ((doc.revokedPasses ?? []) as string[]).map((p, i) => hexId(p, 8, `revokedPasses[${i}]`));
    const dcc = ((doc.revokedDcc ?? []) as string[]).map((p, i) => hexId(p, 16, `revokedDcc[${i}]`));
    const list = buildStatusList(version, Math.floor(Date.now() / 1000), holders, passes, dcc);
    const out = need(values.out, '--out', USAGE);
    writeFileSync(out, signStatusList(list, root));
    console.log(JSON.stringify({ signed: 'status', version, holders: list.holders.size, revokedPasses: list.revokedPasses.size, revokedDcc: list.revokedDcc.size, out }));
    return 0;
  }
  if (verb === 'delta') {
    const USAGE = usageOf('status', 'delta');
    const { values } = parse(rest, { root: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } }, USAGE);
    const root = loadPrivateKey(need(values.root, '--root', USAGE));
    const pub = createPublicKey(root);
    const from = openStatusList(readBytes(need(values.from, '--from', USAGE), 'status list'), pub);
    const to = openStatusList(readBytes(need(values.to, '--to', USAGE), 'status list'), pub);
    let delta;
    try { delta = makeDelta(from, to); } catch (e) { throw new UsageError((e as Error).message); }
    const out = need(values.out, '--out', USAGE);
    writeFileSync(out, signStatusDelta(delta, root));
    console.log(JSON.stringify({ signed: 'status-delta', from: delta.fromVersion, to: delta.version, changes: delta.holderUpserts.size + delta.holderRemovals.size + delta.passAdds.size + delta.passRemovals.size + delta.dccAdds.size + delta.dccRemovals.size, out }));
    return 0;
  }
  if (verb === 'import') return importStatus(rest);
  throw new UsageError(`unknown status command ${JSON.stringify(verb ?? '')}\n${STATUS_USAGE}`);
}

/**
 * chot status import: applies the health authority's changes to the current status list, signs version N+1 and
 * the delta N → N+1, and writes both durably where the hub publishes them from. Any bad line stops the import
 * with its line number: a half-applied list is worse than none. A line may name the holder's registered area
 * (`token,state,area`): the area goes to the hub's store, for the F0–F3 counts per area, never into the signed list.
 */
async function importStatus(args: string[]): Promise<number> {
  const USAGE = usageOf('status', 'import');
  const { values, positionals } = parse(args, { root: { type: 'string' }, lists: { type: 'string' }, config: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one CSV file, got ${positionals.length}\n${USAGE}`);
  const root = loadPrivateKey(need(values.root, '--root', USAGE));
  let dir = values.lists;
  if (!dir) {
    try { dir = join(loadHubConfig(values.config).dataDir, 'lists'); } catch (e) { throw new UsageError((e as Error).message); }
    // the hub's default data folder is written only when asked for by name or said out loud first
    if (!values.config) process.stderr.write(`chot: no --config or --lists: writing the default hub lists folder ${dir}\n`);
  }
  const currentPath = join(dir, 'status.cose');
  const current = existsSync(currentPath) ? openStatusList(readBytes(currentPath, 'status list'), createPublicKey(root)) : emptyStatusList();
  const holders = new Map<string, number>();
  for (let i = 0; i < current.holders.size; i++) holders.set(Buffer.from(current.holders.keyAt(i)).toString('hex'), current.holders.valueAt(i)!);
  const { parseRegisteredArea } = await import('../../hub/src/health.js');
  const lines = readText(positionals[0], 'CSV').split(/\r?\n/);
  let changed = 0;
  // each holder's last line, with the area when given: what the store is told
  const told = new Map<string, { state: HealthState | null; area?: string }>();
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || (i === 0 && /^token\s*,/i.test(line))) return;
    const [token, state, area, ...more] = line.split(',').map((x) => x.trim());
    const where = `${positionals[0]} line ${i + 1}`;
    if (!/^[0-9a-fA-F]{16}$/.test(token ?? '')) throw new UsageError(`${where}: holder token ${JSON.stringify(token)} is not 16 hex digits; nothing imported`);
    if (more.length) throw new UsageError(`${where}: ${3 + more.length} fields, expected token,state or token,state,area; nothing imported`);
    const registered = area ? parseRegisteredArea(area) : undefined;
    if (area && !registered) throw new UsageError(`${where}: area ${JSON.stringify(area)} is not a province (79), a ward (79/26734) or province/district/ward (79/760/26734); nothing imported`);
    const key = token.toLowerCase();
    const st = (state ?? '').toUpperCase();
    if (st === 'CLEAR' || st === 'NONE') { if (holders.delete(key)) changed++; told.set(key, { state: null }); return; }
    const idx = HEALTH_STATES.indexOf(st as HealthState);
    if (idx <= 0) throw new UsageError(`${where}: state ${JSON.stringify(state)} is not F0, F1, F2, F3 or clear; nothing imported`);
    if (holders.get(key) !== idx) { holders.set(key, idx); changed++; }
    told.set(key, { state: st as HealthState, ...(registered ? { area: registered } : {}) });
  });
  // the hub's store, opened before anything is signed: a store that cannot be reached stops the import here
  const withStore = !!values.config || !values.lists;
  const hub = withStore ? await (await import('./hub.js')).openHubStore(values.config) : undefined;
  try {
    // the passes operators decided to revoke on a clone alert (dashboard, /api/alerts/N/revoke) join the list
    const passes = new Map<string, Uint8Array>(), dcc = new Map<string, Uint8Array>();
    for (let i = 0; i < current.revokedPasses.size; i++) { const k = current.revokedPasses.keyAt(i); passes.set(hexOf(k), k); }
    for (let i = 0; i < current.revokedDcc.size; i++) { const k = current.revokedDcc.keyAt(i); dcc.set(hexOf(k), k); }
    const before = passes.size + dcc.size;
    for (const id of hub ? await hub.store.revokeDecisions() : []) {
      // a chot pass is named by its 8-byte id; a DCC by its UCI, revoked by its hash as the EU lists do
      const key = /^[0-9a-f]{16}$/.test(id) ? fromHex(id) : dccRevocationHash(id);
      (key.length === 8 ? passes : dcc).set(hexOf(key), key);
    }
    const fromAlerts = passes.size + dcc.size - before;
    if (!hub) process.stderr.write(`chot: --lists without --config: passes revoked on clone alerts were not read (the hub's store is named by its config); an import with --config adds them\n`);
    const next = buildStatusList(current.version + 1, Math.floor(Date.now() / 1000),
      [...holders].map(([t, s]) => [fromHex(t), HEALTH_STATES[s]] as [Uint8Array, HealthState]), passes.values(), dcc.values());
    mkdirSync(dir, { recursive: true });
    // the delta first: a hub that sees the new full list must find its delta beside it
    if (current.version > 0) writeDurable(join(dir, 'status-delta.cose'), signStatusDelta(makeDelta(current, next), root));
    writeDurable(currentPath, signStatusList(next, root));
    let areas: { changed: number; complete: boolean } | undefined;
    if (hub) {
      const { localDay } = await import('../../protocol/src/index.js');
      // the store follows the list version by version; when it does not hold the version this import started from
      // (the first import with areas, or one made with --lists alone), it is given every holder and reconciled
      const complete = (await hub.store.getMeta('health.version')) !== String(current.version);
      const changes = complete
        ? [...holders].map(([t, s]) => ({ holder: t, state: HEALTH_STATES[s] as 'F0', ...(told.get(t)?.area ? { area: told.get(t)!.area } : {}) }))
        : [...told].map(([t, c]) => ({ holder: t, state: c.state as 'F0' | null, ...(c.area ? { area: c.area } : {}) }));
      try {
        areas = { ...(await hub.store.applyHealth(localDay(Date.now(), hub.config.timeZone), changes, next.version, complete)), complete };
      } catch (e) {
        throw new UsageError(`status list version ${next.version} is signed and written to ${dir} (the hub publishes it), but the F0–F3 figures per area were not recorded: ${(e as Error).message}; run the same import again once the store is back (the list gets a version with no change, the figures are put right)`);
      }
    } else if ([...told.values()].some((c) => c.area)) {
      process.stderr.write(`chot: --lists without --config: the areas were not recorded (the hub's store is named by its config); the next import made with --config puts the F0–F3 figures right, from the list and that import's areas\n`);
    }
    console.log(JSON.stringify({ imported: positionals[0], from: current.version, to: next.version, changes: changed + fromAlerts, holders: next.holders.size, revokedFromAlerts: fromAlerts, dir, ...(areas ? { figures: { holdersChanged: areas.changed, reconciled: areas.complete } } : {}) }));
  } finally {
    await hub?.store.close();
  }
  return 0;
}

const hexOf = (k: Uint8Array) => Buffer.from(k).toString('hex');

function hexId(s: string, bytes: number, where: string): Uint8Array {
  if (typeof s !== 'string' || s.length !== bytes * 2) throw new UsageError(`${where} must be ${bytes * 2} hex digits, got ${JSON.stringify(s)}`);
  try { return fromHex(s); } catch { throw new UsageError(`${where} must be hex, got ${JSON.stringify(s)}`); }
}

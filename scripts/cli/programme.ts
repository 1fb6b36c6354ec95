// chot programme import: a support programme's eligible citizens (a CSV of holder token and ward from the
// population data), signed by the root per ward into the hub's lists folder (the running hub publishes them,
// retained, for the payout kiosks of each ward) and written to the hub's store, which decides every claim.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../lib/durable-file.js';
import { PROGRAMME_ID_RE, checkProgramme, fromHex, isArea, signProgrammeWard, type Programme } from '../../protocol/src/index.js';
import { parse, need, readText, parseTime, UsageError } from './usage.js';
import { usageOf } from './commands.js';
import { loadPrivateKey } from './lists.js';

export async function programme(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const USAGE = usageOf('programme', 'import');
  if (verb !== 'import') throw new UsageError(`unknown programme command ${JSON.stringify(verb ?? '')}\n${usageOf('programme')}`);
  const { values, positionals } = parse(rest, {
    id: { type: 'string' }, name: { type: 'string' }, amount: { type: 'string' }, from: { type: 'string' }, until: { type: 'string' },
    root: { type: 'string' }, config: { type: 'string' },
  }, USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one CSV file (token,ward per line)\n${USAGE}`);
  const id = need(values.id, '--id', USAGE);
  if (!PROGRAMME_ID_RE.test(id)) throw new UsageError(`--id ${JSON.stringify(id)} must be 1–32 of a-z 0-9 -`);
  const amount = Number(need(values.amount, '--amount', USAGE));
  const p: Programme = {
    id, name: need(values.name, '--name', USAGE), amount,
    validFrom: Math.floor(parseTime(need(values.from, '--from', USAGE), '--from') / 1000), validUntil: Math.floor(parseTime(need(values.until, '--until', USAGE), '--until') / 1000), version: 1,
  };
  try { checkProgramme(p); } catch (e) { throw new UsageError(`${(e as Error).message}\n${USAGE}`); }
  const root = loadPrivateKey(need(values.root, '--root', USAGE));
  // every line checked before anything is written: a half-imported programme is worse than none
  const eligible: Array<{ holder: string; ward: string }> = [];
  const seen = new Set<string>();
  readText(positionals[0], 'CSV').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || (i === 0 && /^token\s*,/i.test(line))) return;
    const [token, ward] = line.split(',').map((x) => x.trim());
    if (!/^[0-9a-fA-F]{16}$/.test(token ?? '')) throw new UsageError(`${positionals[0]} line ${i + 1}: holder token ${JSON.stringify((token ?? '').slice(0, 40))} is not 16 hex digits; nothing imported`);
    if (!isArea(ward) || !ward.includes('/')) throw new UsageError(`${positionals[0]} line ${i + 1}: ward ${JSON.stringify((ward ?? '').slice(0, 40))} is not a ward code like 79/26734; nothing imported`);
    const t = token.toLowerCase();
    if (seen.has(t)) throw new UsageError(`${positionals[0]} line ${i + 1}: a holder listed twice (support is paid once, in one ward); nothing imported`);
    seen.add(t);
    eligible.push({ holder: t, ward });
  });
  const { openHubStore } = await import('./hub.js');
  const { store, config } = await openHubStore(values.config);
  try {
    const prev = (await store.programmes()).find((x) => x.id === id);
    p.version = (prev?.version ?? 0) + 1;
    const byWard = new Map<string, Uint8Array[]>();
    for (const e of eligible) { const l = byWard.get(e.ward) ?? []; l.push(fromHex(e.holder)); byWard.set(e.ward, l); }
    const dir = join(config.dataDir, 'lists', 'programme', id);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    for (const [ward, holders] of byWard) writeDurable(join(dir, `${ward.replace('/', '_')}.cose`), Buffer.from(signProgrammeWard(p, ward, holders, root)));
    await store.putProgramme(p, eligible);
    console.log(JSON.stringify({ programme: id, version: p.version, eligible: eligible.length, wards: byWard.size, lists: dir }));
  } finally { await store.close(); }
  return 0;
}

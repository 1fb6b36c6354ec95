// chot release build|sign|rollout|pause|rollback: the release manager's tools. A bundle is what a kiosk runs (the
// built program, its assets and, with --with-deps, its production dependencies) as a gzipped tar; its manifest
// (version, architecture, size, SHA-256) is signed with a release key the root authorises in the trust list; a rollout
// names the release and the kiosks it goes to, signed with the same kind of key, and is written into the hub's data
// folder, which publishes it retained (hub/src/releases.ts).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDurable } from '../../lib/durable-file.js';
import { packTarGz, type TarFile } from '../../lib/tar.js';
import { loadHubConfig } from '../../hub/src/config.js';
import {
  KIOSK_ID_RE, RELEASE_ARCHES, RELEASE_VERSION_RE, decodeSign1, peekRollout, signReleaseManifest, signRollout, decodeCbor,
  type ReleaseArch, type ReleaseManifest, type RolloutState,
} from '../../protocol/src/index.js';
import { loadPrivateKey } from './lists.js';
import { parse, need, readBytes, readText, UsageError } from './usage.js';
import { usageOf } from './commands.js';

/** The compiled program this command runs from (dist/, or the folder tsc wrote to), and the tree around it. */
const DIST = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const TREE = dirname(DIST);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p); // links (node_modules/.bin) are left out: a bundle holds files and folders only
  }
  return out;
}

/** The production dependencies' folders, from the lock file: those not marked dev. */
function productionPackages(tree: string): string[] {
  const lock = JSON.parse(readText(join(tree, 'package-lock.json'), 'lock file')) as { packages?: Record<string, { dev?: boolean; devOptional?: boolean }> };
  return Object.entries(lock.packages ?? {}).filter(([p, e]) => p.startsWith('node_modules/') && !e.dev && !e.devOptional).map(([p]) => p);
}

function build(args: string[]): number {
  const USAGE = usageOf('release', 'build');
  const { values, positionals } = parse(args, { arch: { type: 'string', default: 'arm64' }, out: { type: 'string' }, 'with-deps': { type: 'boolean' }, from: { type: 'string' } }, USAGE);
  const version = positionals[0];
  if (positionals.length !== 1 || !RELEASE_VERSION_RE.test(version)) throw new UsageError(`give one VERSION of 1–32 of 0-9 A-Z a-z . + _ - (like 1.4.0), got ${JSON.stringify(positionals.join(' '))}\n${USAGE}`);
  const arch = values.arch as ReleaseArch;
  if (!RELEASE_ARCHES.includes(arch)) throw new UsageError(`--arch ${JSON.stringify(arch)} is not one of ${RELEASE_ARCHES.join(', ')}\n${USAGE}`);
  const out = need(values.out, '--out', USAGE);
  const dist = values.from ? join(values.from, 'dist') : DIST;
  const tree = values.from ?? TREE;
  if (!existsSync(join(dist, 'scripts', 'chot.js'))) throw new UsageError(`${dist} has no scripts/chot.js: build first (npm run build)`);
  const files: TarFile[] = [];
  const add = (abs: string, name: string) => { const st = lstatSync(abs); files.push({ name, data: readFileSync(abs), mode: st.mode & 0o755 }); };
  // the program without its tests and source maps, then what it reads at run time beside it
  for (const f of walk(dist)) {
    const rel = relative(dist, f);
    if (rel.split('/').includes('test') || rel.endsWith('.map')) continue;
    add(f, `dist/${rel}`);
  }
  for (const d of ['kiosk/web', 'hub/web', 'systemd']) if (existsSync(join(tree, d))) for (const f of walk(join(tree, d))) add(f, relative(tree, f));
  for (const f of ['package.json', 'package-lock.json', 'kiosk/config.schema.json', 'hub/config.schema.json']) if (existsSync(join(tree, f))) add(join(tree, f), f);
  let deps: ReleaseManifest['deps'] = 'shared';
  if (values['with-deps']) {
    // the dependencies as installed for the device's architecture (npm ci --omit=dev on an arm64 machine, or with
    // npm_config_arch): native modules in them run only there
    for (const p of productionPackages(tree)) if (existsSync(join(tree, p))) for (const f of walk(join(tree, p))) add(f, relative(tree, f));
    deps = 'bundled';
  }
  const createdAt = Math.floor(Date.now() / 1000);
  files.push({ name: 'release.json', data: Buffer.from(JSON.stringify({ format: 1, version, arch, deps, createdAt }, null, 1)) });
  const gz = packTarGz(files);
  mkdirSync(out, { recursive: true });
  const stem = join(out, `chot-${version}-${arch}`);
  writeFileSync(`${stem}.tgz`, gz);
  const info = { version, arch, size: gz.length, sha256: createHash('sha256').update(gz).digest('hex'), createdAt, deps, files: files.length };
  writeFileSync(`${stem}.json`, JSON.stringify(info, null, 1));
  console.log(JSON.stringify({ built: `${stem}.tgz`, ...info }));
  return 0;
}

function readInfo(path: string): ReleaseManifest {
  let j: Record<string, unknown>;
  try { j = JSON.parse(readText(path, 'release description')); } catch (e) { if (e instanceof UsageError) throw e; throw new UsageError(`${path} is not JSON: ${(e as Error).message}`); }
  return { version: String(j.version), arch: String(j.arch) as ReleaseArch, size: Number(j.size), sha256: new Uint8Array(Buffer.from(String(j.sha256), 'hex')), createdAt: Number(j.createdAt), deps: String(j.deps) as ReleaseManifest['deps'] };
}

function sign(args: string[]): number {
  const USAGE = usageOf('release', 'sign');
  const { values, positionals } = parse(args, { key: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (positionals.length !== 1 || !positionals[0].endsWith('.json')) throw new UsageError(`give the release's .json from chot release build\n${USAGE}`);
  const key = loadPrivateKey(need(values.key, '--key', USAGE));
  const m = readInfo(positionals[0]);
  // what is signed is the bundle on disk now, not what the description says of it
  const bundle = positionals[0].replace(/\.json$/, '.tgz');
  const gz = readBytes(bundle, 'bundle');
  const sha = createHash('sha256').update(gz).digest();
  if (gz.length !== m.size || !sha.equals(Buffer.from(m.sha256))) throw new UsageError(`${bundle} is not the bundle ${positionals[0]} describes (size or SHA-256 differ): build it again`);
  let signed: Uint8Array;
  try { signed = signReleaseManifest(m, key); } catch (e) { throw new UsageError((e as Error).message); }
  const out = values.out ?? positionals[0].replace(/\.json$/, '.manifest.cose');
  writeFileSync(out, signed);
  console.log(JSON.stringify({ signed: 'release', version: m.version, arch: m.arch, size: m.size, sha256: sha.toString('hex'), out }));
  return 0;
}

function releasesFolder(values: { config?: string; releases?: string }): string {
  if (values.releases) return values.releases;
  try { return join(loadHubConfig(values.config).dataDir, 'releases'); } catch (e) { throw new UsageError((e as Error).message); }
}

function heldRollout(dir: string) {
  const f = join(dir, 'rollout.cose');
  return existsSync(f) ? { bytes: readBytes(f, 'rollout'), peek: peekRollout(readBytes(f, 'rollout')) } : undefined;
}

/**
 * The steps an operator may take on the dashboard, signed now with the rollout (the hub holds no key): after an active
 * rollout its pause and its roll-back, after a pause the roll-back. Each has a later seq than the step it follows, so a
 * kiosk takes it; the hub publishes one only while it is later than the rollout held (releases.ts).
 */
const BRAKES: Record<RolloutState, Array<['pause' | 'rollback', RolloutState]>> = {
  active: [['pause', 'paused'], ['rollback', 'rollback']], paused: [['rollback', 'rollback']], rollback: [],
};
const brakeFile = (dir: string, name: string) => join(dir, 'brakes', `${name}.cose`);

function brakeSeqs(dir: string): number[] {
  return ['pause', 'rollback'].map((n) => brakeFile(dir, n)).filter((f) => existsSync(f)).map((f) => peekRollout(readFileSync(f))?.seq ?? 0);
}

/** --to 10% | --to 100% | --to KIOSK (repeatable, mixed): basis points and named kiosks. */
export function parseTargets(to: string[]): { basisPoints: number; kiosks: string[] } {
  let basisPoints = 0;
  const kiosks: string[] = [];
  for (const t of to) {
    const pct = /^(\d{1,3}(?:\.\d{1,2})?)%$/.exec(t);
    if (pct) {
      const bp = Math.round(Number(pct[1]) * 100);
      if (bp > 10_000) throw new UsageError(`--to ${t}: a share is at most 100%`);
      basisPoints = Math.max(basisPoints, bp);
    } else if (KIOSK_ID_RE.test(t)) kiosks.push(t);
    else throw new UsageError(`--to ${JSON.stringify(t)} is neither a share (1%, 10%, 100%) nor a kiosk id`);
  }
  return { basisPoints, kiosks };
}

function rollout(verb: 'rollout' | 'pause' | 'rollback', args: string[]): number {
  const USAGE = usageOf('release', verb);
  const { values, positionals } = parse(args, {
    key: { type: 'string' }, to: { type: 'string', multiple: true }, manifest: { type: 'string' }, bundle: { type: 'string' },
    config: { type: 'string' }, releases: { type: 'string' },
  }, USAGE);
  const key = loadPrivateKey(need(values.key, '--key', USAGE));
  const dir = releasesFolder(values);
  const held = heldRollout(dir);
  // after the rollout held and the steps signed with it: this one supersedes them all
  const seq = Math.max(held?.peek?.seq ?? 0, ...brakeSeqs(dir)) + 1;
  let manifest: Uint8Array, state: RolloutState, targets: { basisPoints: number; kiosks: string[] };
  if (verb === 'rollout') {
    const version = positionals[0];
    if (positionals.length !== 1 || !RELEASE_VERSION_RE.test(version)) throw new UsageError(`give the VERSION to roll out\n${USAGE}`);
    targets = parseTargets(need(values.to, '--to', USAGE));
    const vdir = join(dir, version);
    mkdirSync(vdir, { recursive: true });
    if (values.bundle) copyFileSync(values.bundle, join(vdir, 'bundle.tgz'));
    if (values.manifest) copyFileSync(values.manifest, join(vdir, 'manifest.cose'));
    if (!existsSync(join(vdir, 'bundle.tgz')) || !existsSync(join(vdir, 'manifest.cose'))) {
      throw new UsageError(`release ${version} is not on the hub yet: give --bundle chot-${version}-ARCH.tgz and --manifest chot-${version}-ARCH.manifest.cose`);
    }
    manifest = readBytes(join(vdir, 'manifest.cose'), 'manifest');
    const body = decodeCbor(decodeSign1(manifest).payload) as Map<number, unknown>;
    if (body.get(1) !== version) throw new UsageError(`${join(vdir, 'manifest.cose')} is the manifest of ${JSON.stringify(body.get(1))}, not ${version}`);
    const gz = readFileSync(join(vdir, 'bundle.tgz'));
    if (!createHash('sha256').update(gz).digest().equals(Buffer.from(body.get(4) as Uint8Array))) throw new UsageError(`the bundle of ${version} on the hub does not match its signed manifest: give the right --bundle`);
    state = 'active';
  } else {
    if (!held?.peek) throw new UsageError(`no rollout in ${dir} to ${verb}: start one with chot release rollout`);
    const version = positionals[0] ?? held.peek.release.version;
    if (version !== held.peek.release.version) throw new UsageError(`the rollout held is of ${held.peek.release.version}, not ${version}`);
    manifest = readBytes(join(dir, version, 'manifest.cose'), 'manifest');
    targets = { basisPoints: held.peek.basisPoints, kiosks: held.peek.kiosks };
    state = verb === 'pause' ? 'paused' : 'rollback';
  }
  let bytes: Uint8Array;
  const issuedAt = Math.floor(Date.now() / 1000);
  try { bytes = signRollout({ seq, state, manifest, ...targets, issuedAt }, key); } catch (e) { throw new UsageError((e as Error).message); }
  writeDurable(join(dir, 'rollout.cose'), bytes, 0o644);
  mkdirSync(join(dir, 'brakes'), { recursive: true });
  for (const n of ['pause', 'rollback']) rmSync(brakeFile(dir, n), { force: true });
  const brakes = BRAKES[state].map(([name, st], i) => {
    writeDurable(brakeFile(dir, name), signRollout({ seq: seq + 1 + i, state: st, manifest, ...targets, issuedAt }, key), 0o644);
    return name;
  });
  const p = peekRollout(bytes)!;
  console.log(JSON.stringify({ rollout: seq, state, version: p.release.version, share: `${targets.basisPoints / 100}%`, kiosks: targets.kiosks, file: join(dir, 'rollout.cose'), brakes }));
  return 0;
}

export function release(args: string[]): number {
  const [verb, ...rest] = args;
  if (verb === 'build') return build(rest);
  if (verb === 'sign') return sign(rest);
  if (verb === 'rollout' || verb === 'pause' || verb === 'rollback') return rollout(verb, rest);
  throw new UsageError(`unknown release command ${JSON.stringify(verb ?? '')}\n${usageOf('release')}`);
}

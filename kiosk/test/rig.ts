// A test rig of real parts: signed lists on disk, a hub process, kiosk processes, socat pty pairs. Every
// process started here is killed when the test file ends.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { Database } from '../../lib/sqlite.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildStatusList, issueOfficer, issuePass, issuerEntryToWire, signStatusList, signTrustList, type Officer, type Pass, type StatusList,
} from '../../protocol/src/index.js';

export const CHOT = new URL('../../scripts/chot.js', import.meta.url).pathname;
const children = new Set<ChildProcess>();
/** Kills every process the rig started (for test.after: a failed test must not leave a hub running). */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
process.on('exit', killAll);
/** Every world's folder (keys, lists, hub data, kiosk state) goes when the test process ends, after its processes. */
const worlds = new Set<string>();
process.on('exit', () => { for (const d of worlds) { try { rmSync(d, { recursive: true, force: true }); } catch { /* a child still writing */ } } });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export interface World {
  dir: string;
  root: { privateKey: KeyObject; publicKey: KeyObject };
  issuer: { privateKey: KeyObject; publicKey: KeyObject };
  rootPub: string;
  pass(over?: Partial<Pass>): { text: string; pass: Pass };
  signStatus(list: StatusList): Uint8Array;
  /** An officer's card signed by the province's police key (allowed 'official', in hub/lists/trust-officers.cose). */
  officer(over?: Partial<Officer>): { text: string; officer: Officer };
  police: { privateKey: KeyObject; publicKey: KeyObject };
}

export function makeWorld(name: string): World {
  const dir = mkdtempSync(join(tmpdir(), `chot-${name}-`));
  worlds.add(dir);
  const root = generateKeyPairSync('ed25519');
  const issuer = generateKeyPairSync('ed25519');
  const police = generateKeyPairSync('ed25519');
  const rootPub = join(dir, 'root.pub.pem');
  writeFileSync(rootPub, root.publicKey.export({ type: 'spki', format: 'pem' }));
  const now = Math.floor(Date.now() / 1000);
  mkdirSync(join(dir, 'hub', 'lists'), { recursive: true });
  writeFileSync(join(dir, 'hub', 'lists', 'trust.cose'), signTrustList(1, now, [issuerEntryToWire({
    issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: issuer.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400,
    categories: ['resident', 'shipper', 'goods'], areas: ['79'],
  })], root.privateKey));
  // the same list with the police key that signs officers' cards (officer sign-in), for the tests that need one
  writeFileSync(join(dir, 'hub', 'lists', 'trust-officers.cose'), signTrustList(1, now, [issuerEntryToWire({
    issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: issuer.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400,
    categories: ['resident', 'shipper', 'goods'], areas: ['79'],
  }), issuerEntryToWire({
    issuer: 'VN-79-CA', name: 'Công an TP.HCM', publicKey: police.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400,
    categories: ['official'], areas: ['79'],
  })], root.privateKey));
  writeFileSync(join(dir, 'hub', 'lists', 'status.cose'), signStatusList(buildStatusList(1, now, [], []), root.privateKey));
  return {
    dir, root, issuer, rootPub,
    pass(over = {}) {
      const t = Math.floor(Date.now() / 1000);
      const pass: Pass = {
        id: new Uint8Array(randomBytes(8)), issuer: 'VN-79', issuedAt: t - 60, validFrom: t - 60, validUntil: t + 7 * 86400,
        holderName: 'Phạm Thị Lan', idLast4: '2468', holderToken: new Uint8Array(randomBytes(8)), category: 'resident',
        areas: ['79'], hours: [], health: 'none', declaredAt: t - 60, ...over,
      };
      return { text: issuePass(pass, issuer.privateKey), pass };
    },
    signStatus: (list) => signStatusList(list, root.privateKey),
    police,
    officer(over = {}) {
      const t = Math.floor(Date.now() / 1000);
      const officer: Officer = {
        id: new Uint8Array(randomBytes(8)), code: 'CA79-00123', name: 'Lê Văn Tâm', issuer: 'VN-79-CA',
        issuedAt: t - 60, validFrom: t - 60, validUntil: t + 365 * 86400, areas: ['79'], ...over,
      };
      return { text: issueOfficer(officer, police.privateKey), officer };
    },
  };
}

export function chot(args: string[], opts: { input?: string } = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CHOT, ...args], { encoding: 'utf8', input: opts.input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export interface Proc { child: ChildProcess; log: () => string; exited: Promise<number | null> }

/** Starts `chot ARGS`; `as` runs it through another command first (setpriv, to run it as another user). */
export function start(args: string[], name: string, as: string[] = []): Proc {
  const cmd = [...as, process.execPath, CHOT, ...args];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { children.delete(child); r(code); }));
  if (process.env.CHOT_TEST_VERBOSE) child.stderr!.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  return { child, log: () => log, exited };
}

export async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode ?? null;
  p.child.kill(signal);
  return p.exited;
}

export interface Hub { proc: Proc; port: number; config: string; dataDir: string }

/** Starts `chot hub run`; `extra` goes into its config as it is (a store, a retention). */
/** Adds a dashboard/API account to a hub with `chot account add` and returns its password (shown once). */
export const addAccount = (config: string, name: string, role: 'operator' | 'service'): string => {
  const r = chot(['account', 'add', name, '--role', role, '--config', config]);
  if (r.code !== 0) throw new Error(`chot account add ${name}: ${r.err}`);
  return JSON.parse(r.out).password as string;
};

/** The port of a hub's dashboard and API, from the line its log prints when it listens. */
export const webPort = (hubLog: string): number => Number(/dashboard and API on http:\/\/[\d.]+:(\d+)/.exec(hubLog)![1]);
/** The address of a hub's dashboard and API, from its log. */
export const webBase = (hubLog: string): string => `http://127.0.0.1:${webPort(hubLog)}`;

export async function startHub(w: World, port?: number, extra: Record<string, unknown> = {}): Promise<Hub> {
  const p = port ?? (await freePort());
  const config = join(w.dir, 'hub.json');
  const dataDir = join(w.dir, 'hub');
  writeFileSync(config, JSON.stringify({ dataDir, mqtt: { host: '127.0.0.1', port: p }, http: { host: '127.0.0.1', port: 0 }, ...extra }));
  const proc = start(['hub', 'run', '--config', config], 'hub');
  await waitFor('the hub to listen', () => proc.log().includes('hub: ready') || (proc.child.exitCode !== null && (() => { throw new Error(`hub exited: ${proc.log()}`); })()), 15_000);
  return { proc, port: p, config, dataDir };
}

/** Waits until the running hub has read `n` accounts from its store (it polls the store every second and logs it). */
export function accountsKnown(hub: Hub, n: number): Promise<unknown> {
  const re = new RegExp(`registry version \\d+: \\d+ devices, ${n} accounts`);
  return waitFor(`the hub to read ${n} accounts`, () => re.test(hub.proc.log()), 60_000);
}

export function addDevice(w: World, id: string, area = '79/26734'): string {
  const config = join(w.dir, 'hub.json');
  if (!existsSync(config)) writeFileSync(config, JSON.stringify({ dataDir: join(w.dir, 'hub'), mqtt: { host: '127.0.0.1', port: 1883 } }));
  const r = chot(['device', 'add', '--checkpoint', id, '--area', area, '--config', config]);
  if (r.code !== 0) throw new Error(`device add failed: ${r.err}`);
  return JSON.parse(r.out).password as string;
}

/** Database handles opened by tests, kept referenced until the process ends: on Node 24, better-sqlite3's destructor
 * run by the garbage collector aborted the test process (RemoveEnvironmentCleanupHook: env != nullptr). */
export const openedDatabases: unknown[] = [];

/** Every scan the hub stored, read from its SQLite store (the hub may be running: WAL lets a reader in). */
export function hubScans(dataDir: string): Array<{ id: string; k: string; verdict: string; reason: string; at: number; day: string; clockSynced: boolean; origin: string | null; officer: string | null }> {
  const path = join(dataDir, 'hub.db');
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  openedDatabases.push(db);
  try {
    const stmt = db.prepare('SELECT kiosk AS k, id, verdict, reason, at, day, synced, origin, officer FROM scans');
    openedDatabases.push(stmt); // statements too: their destructor is the one that aborted Node 24
    return (stmt.all() as Array<{ k: string; id: string; verdict: string; reason: string; at: number; day: string; synced: number; origin: string | null; officer: string | null }>)
      .map(({ synced, ...s }) => ({ ...s, clockSynced: !!synced }));
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return [];
    throw e;
  } finally {
    db.close();
  }
}

export interface Pty { scanner: string; host: string; proc: ChildProcess; write(s: string): Promise<void>; stopWriting(): void; close(): Promise<void> }

/** A socat pty pair: the kiosk opens `scanner`, the test writes codes into `host`. */
export async function pty(dir: string, name = 'scanner'): Promise<Pty> {
  const scanner = join(dir, name), host = join(dir, `${name}-host`);
  const proc = spawn('socat', [`pty,raw,echo=0,link=${scanner}`, `pty,raw,echo=0,link=${host}`], { stdio: 'ignore' });
  children.add(proc);
  await waitFor('socat to create the ptys', () => existsSync(scanner) && existsSync(host), 5000);
  let fd = -1;
  let closed = false;
  let stopped = false;
  return {
    scanner, host, proc,
    // non-blocking: when the kiosk stops reading (killed), the pty fills up and a blocking write would hang
    async write(s: string) {
      if (fd < 0) fd = openSync(host, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      const b = Buffer.from(s);
      let off = 0;
      while (off < b.length && !closed && !stopped) {
        try { off += writeSync(fd, b, off, b.length - off); } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await sleep(2);
        }
      }
    },
    stopWriting() {
      stopped = true;
    },
    async close() {
      closed = true;
      if (fd >= 0) { try { closeSync(fd); } catch { /* gone */ } fd = -1; }
      proc.kill();
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.on('exit', r)));
      children.delete(proc);
    },
  };
}

export interface KioskOpts { id: string; hubPort?: number; password?: string; scanner?: string; extra?: Record<string, unknown> }

export function kioskConfig(w: World, o: KioskOpts): { path: string; stateDir: string; timeline: string } {
  const stateDir = join(w.dir, `kiosk-${o.id}`);
  const timeline = join(w.dir, `timeline-${o.id}.jsonl`);
  const cfg = {
    kiosk: { id: o.id, area: '79/26734', debounceMs: 2000 },
    rootKey: w.rootPub, stateDir,
    hub: o.hubPort ? { url: `mqtt://127.0.0.1:${o.hubPort}`, password: o.password, backoffMinMs: 200, backoffMaxMs: 1000, ackTimeoutMs: 3000, backlogPerSecond: 2000, heartbeatSeconds: 2 } : {},
    scanner: o.scanner ? { type: 'serial', path: o.scanner } : { type: 'none' },
    gpio: { driver: 'sim', timelineFile: timeline, greenMs: 300, relayMs: 200, redFlashMs: 300 },
    clock: { syncedFile: join(w.dir, 'ntp-synchronized') },
    screen: { host: '127.0.0.1', port: 0 },
    ...o.extra,
  };
  const path = join(w.dir, `kiosk-${o.id}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  return { path, stateDir, timeline };
}

export interface TimelineEntry { pin: number; on: boolean; name?: string; wall: number }

export function readTimeline(path: string): TimelineEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Scan ids whose signal was given (the sim GPIO notes each scan before its pin changes). */
export function signalled(timeline: TimelineEntry[]): string[] {
  return timeline.filter((e) => e.pin === -1 && e.name?.startsWith('scan ')).map((e) => e.name!.split(' ')[1]);
}

/** The final level of each named output. */
export function finalPins(timeline: TimelineEntry[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const e of timeline) if (e.pin >= 0 && e.name) out[e.name] = e.on;
  return out;
}

// Where releases live on a kiosk, and the switch journal that the running kiosk and the guard (run by systemd around
// every start and stop) both read and write.
//
//   /opt/chot/releases/VERSION/   an unpacked bundle (release.json says which)
//   /opt/chot/current -> releases/VERSION   what systemd starts (ExecStart)
//   /opt/chot/good    -> releases/VERSION   the last version that started and stayed up: the guard runs from it
//   /opt/chot/node_modules        dependencies shared by releases that do not bring their own
//   /var/lib/chot/update/switch.json        the switch in progress (format 1)
//
// Links are changed by writing a new link beside the old one and renaming it over: a power cut leaves the old link or
// the new one, never none.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeDurable } from '../../../lib/durable-file.js';

/** The format of the files in the update folder: a version that finds a newer one leaves it alone and says so. */
export const UPDATE_FORMAT = 1;

export interface SwitchJournal {
  format: number;
  /**
   * switching: the old version set `current` to the new one and is exiting; trying: the new one has been started
   * and has not yet stayed up for its probation; confirmed: it did; rolled-back: it failed and `current` is the old
   * one again.
   */
  phase: 'switching' | 'trying' | 'confirmed' | 'rolled-back';
  from: string;
  to: string;
  /** ms, when the switch began */
  at: number;
  /** starts of the new version seen by the guard */
  starts: number;
  failures: Array<{ at: number; reason: string }>;
  reason?: string;
  /** the kiosk told the hub how it ended */
  reported?: boolean;
}

export class UpdateFormatError extends Error {
  /** newer: the file is in a format a later version wrote; it must be left as it is, not written over */
  constructor(message: string, readonly newer = false) { super(message); }
}

export const updateDir = (stateDir: string) => join(stateDir, 'update');
const switchFile = (stateDir: string) => join(updateDir(stateDir), 'switch.json');

export function readJsonFile<T extends { format: number }>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  let doc: T;
  try { doc = JSON.parse(readFileSync(path, 'utf8')) as T; } catch (e) {
    throw new UpdateFormatError(`${path} is not JSON (${(e as Error).message}): delete it to start the update state afresh`);
  }
  if (!doc || typeof doc !== 'object' || !Number.isInteger(doc.format)) throw new UpdateFormatError(`${path} has no format version: delete it to start the update state afresh`);
  if (doc.format > UPDATE_FORMAT) throw new UpdateFormatError(`${path} is format ${doc.format}, newer than this version reads (${UPDATE_FORMAT}): left as it is until a version that reads it runs again (chot release rollout)`, true);
  return doc;
}

export function writeJsonFile(path: string, doc: object): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o750 });
  writeDurable(path, JSON.stringify({ format: UPDATE_FORMAT, ...doc }, null, 1), 0o640);
}

export function readSwitch(stateDir: string): SwitchJournal | undefined {
  return readJsonFile<SwitchJournal>(switchFile(stateDir));
}

export function writeSwitch(stateDir: string, j: SwitchJournal): void {
  writeJsonFile(switchFile(stateDir), j);
}

export const releasesDir = (dir: string) => join(dir, 'releases');
export const releaseDir = (dir: string, version: string) => join(dir, 'releases', version);

/** The version a link (current, good) points at, or undefined. */
export function linked(dir: string, name: 'current' | 'good'): string | undefined {
  try { return basename(readlinkSync(join(dir, name))); } catch { return undefined; }
}

/** Points `dir/name` at releases/VERSION, atomically. */
export function link(dir: string, name: 'current' | 'good', version: string): void {
  if (!existsSync(releaseDir(dir, version))) throw new Error(`release ${version} is not unpacked in ${releasesDir(dir)}: cannot point ${name} at it`);
  const tmp = join(dir, `.${name}.${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(join('releases', version), tmp);
  renameSync(tmp, join(dir, name));
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

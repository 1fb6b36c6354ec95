// The kiosk's small state in lowdb (through DurableJsonFile): which trust and status lists it holds and when
// they arrived, the last config from the hub, the clock it last saw. The lists themselves are binary files
// beside it (a 1,000,000-entry status list is 8.5 MB: no place for JSON).
//
// state.json states its format (`format`; a file without one is format 1, as every version before format versions
// wrote it). A file in a newer format (a newer version's, after a roll-back) is left as it is: this version keeps its
// state in memory instead and says so. The list files are the hub's signed bytes, in the protocol's own format.
import { Low, Memory, type Adapter } from 'lowdb';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import {
  applyStatusDelta, emptyStatusList, openStatusDelta, openStatusList, openTrustList, ListError,
  type KioskConfigMessage, type StatusList, type TrustList,
} from '../../../protocol/src/index.js';
import { DurableJsonFile, writeDurable } from '../../../lib/durable-file.js';
import type { Log } from '../../../lib/log.js';

/** The format of state.json this version writes; it reads this one and older ones. */
export const STATE_FORMAT = 1;

export interface KioskState {
  /** absent in files from before format versions: 1 */
  format?: number;
  trust?: { version: number; receivedAt: number };
  status?: { version: number; receivedAt: number };
  hubConfig?: KioskConfigMessage;
  lastWallClock?: number;
}

export type ListUpdate = { kind: 'trust' | 'status'; version: number } | { refused: string; quiet?: boolean };

export class StateStore {
  readonly db: Low<KioskState>;
  trust: TrustList = { version: 0, issuedAt: 0, entries: [], byKid: new Map() };
  status: StatusList = emptyStatusList();

  private constructor(private readonly dir: string, private readonly root: KeyObject, adapter: Adapter<KioskState>) {
    this.db = new Low<KioskState>(adapter, {});
  }

  /** Loads the state and the lists held; a damaged list file is refused and logged, the kiosk goes on. */
  static async open(dir: string, root: KeyObject, log: Log): Promise<StateStore> {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const path = join(dir, 'state.json');
    const file = new DurableJsonFile<KioskState>(path);
    const format = (await file.read())?.format ?? 1;
    const readable = Number.isInteger(format) && format >= 1 && format <= STATE_FORMAT;
    if (!readable) {
      log(`state: ${path} is in format ${JSON.stringify(format)}, which this version of chot does not read (it reads format ${STATE_FORMAT}): left as it is; the list arrival times and the hub's config are kept in memory until a version that reads it runs again (chot release rollout), or move the file away to start this one afresh`, 'warn');
    }
    const s = new StateStore(dir, root, readable ? file : new Memory<KioskState>());
    await s.db.read();
    // written with the next change; a version without format versions keeps the field (lowdb writes the whole object)
    s.db.data.format = STATE_FORMAT;
    for (const [file, load] of [['trust.cose', (b: Uint8Array) => { s.trust = openTrustList(b, root); }], ['status.cose', (b: Uint8Array) => { s.status = openStatusList(b, root); }]] as const) {
      const p = join(dir, file);
      if (!existsSync(p)) continue;
      try { load(new Uint8Array(readFileSync(p))); } catch (e) { log(`state: ${p} refused at start-up (${(e as Error).message}); waiting for the hub to send it again`, 'warn'); }
    }
    s.replayDeltas(log);
    return s;
  }

  applyTrust(bytes: Uint8Array, now: number): ListUpdate {
    try {
      const t = openTrustList(bytes, this.root, this.trust.version ? this.trust : undefined);
      writeDurable(join(this.dir, 'trust.cose'), bytes);
      this.trust = t;
      this.db.data.trust = { version: t.version, receivedAt: now };
      void this.db.write();
      return { kind: 'trust', version: t.version };
    } catch (e) {
      // the hub re-sends the retained list on every reconnect: an equal version is normal, not news
      const quiet = e instanceof ListError && e.code === 'old-version';
      return { refused: (e as Error).message, quiet };
    }
  }

  applyStatus(bytes: Uint8Array, now: number): ListUpdate {
    try {
      const s = openStatusList(bytes, this.root, this.status.version ? this.status : undefined);
      writeDurable(join(this.dir, 'status.cose'), bytes);
      for (const f of this.deltaFiles()) if (f.version <= s.version) unlinkSync(f.path);
      return this.tookStatus(s, now);
    } catch (e) {
      return { refused: (e as Error).message, quiet: e instanceof ListError && e.code === 'old-version' };
    }
  }

  applyStatusDelta(bytes: Uint8Array, now: number): ListUpdate {
    try {
      const d = openStatusDelta(bytes, this.root);
      if (d.version <= this.status.version) return { refused: `status delta to ${d.version} is not newer than ${this.status.version}`, quiet: true };
      const s = applyStatusDelta(this.status, d);
      // The kiosk cannot re-sign a merged list, so it keeps the signed delta beside the full list and replays
      // the chain at start-up: a kiosk restarted offline must not fall back to an older status list.
      writeDurable(join(this.dir, `status-delta-${String(d.version).padStart(10, '0')}.cose`), bytes);
      return this.tookStatus(s, now);
    } catch (e) {
      return { refused: (e as Error).message };
    }
  }

  private deltaFiles(): Array<{ version: number; path: string }> {
    return readdirSync(this.dir).map((f) => /^status-delta-(\d{10})\.cose$/.exec(f)).filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ version: Number(m[1]), path: join(this.dir, m[0]) })).sort((a, b) => a.version - b.version);
  }

  /** Replays the kept deltas on the full list; stops at the first that does not fit. */
  private replayDeltas(log: Log): void {
    for (const f of this.deltaFiles()) {
      if (f.version <= this.status.version) { unlinkSync(f.path); continue; }
      try {
        this.status = applyStatusDelta(this.status, openStatusDelta(new Uint8Array(readFileSync(f.path)), this.root));
      } catch (e) {
        log(`state: kept status delta ${f.path} does not apply (${(e as Error).message}); waiting for the hub's full list`, 'warn');
        break;
      }
    }
  }

  private tookStatus(s: StatusList, now: number): ListUpdate {
    this.status = s;
    this.db.data.status = { version: s.version, receivedAt: now };
    void this.db.write();
    return { kind: 'status', version: s.version };
  }

  async saveHubConfig(c: KioskConfigMessage): Promise<void> {
    this.db.data.hubConfig = c;
    await this.db.write();
  }

  /** Age of the older of the two lists, ms, or Infinity when one was never received. */
  listAge(now: number): number {
    const t = this.db.data.trust?.receivedAt, s = this.db.data.status?.receivedAt;
    if (!t || !s) return Infinity;
    return now - Math.min(t, s);
  }
}

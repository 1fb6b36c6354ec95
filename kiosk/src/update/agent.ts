// The kiosk's side of a software update. The hub publishes a signed rollout (retained); the agent checks it against
// the trust list's release keys and, when this kiosk is in it, downloads the bundle in the background (rate-bounded,
// resumable), checks its size and SHA-256 against the signed manifest, unpacks it beside the running version, and
// waits for the lane to be idle (no scan for update.idleSeconds) or for the maintenance window. Then it writes the
// switch journal, points /opt/chot/current at the new version and stops the kiosk; systemd starts it again, now the
// new version. The new version confirms itself after it has been up for update.confirmSeconds (and moves `good`);
// if it never does, the guard (guard.ts) rolls it back, and this agent, running the old version again, tells the hub.
// Every step is in the kiosk's status (`update`), which the hub shows per kiosk.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  ReleaseError, inRollout, openRollout, type OpenedRollout, type TrustList, type UpdateStatus,
} from '../../../protocol/src/index.js';
import { unpackTarGz } from '../../../lib/tar.js';
import { writeDurable } from '../../../lib/durable-file.js';
import type { Log } from '../../../lib/log.js';
import { checkFile, download, DownloadError } from './download.js';
import {
  UpdateFormatError, link, linked, readJsonFile, readSwitch, releaseDir, releasesDir, updateDir, writeJsonFile, writeSwitch,
} from './layout.js';

export interface UpdateSettings {
  /** /opt/chot */
  dir: string;
  idleSeconds: number;
  /** "HH:MM-HH:MM" in the kiosk's time zone, may wrap past midnight */
  window?: string;
  rateKBps: number;
  confirmSeconds: number;
  /** the hub's web address to fetch bundles from */
  web?: string;
}

export interface UpdaterOptions {
  kioskId: string;
  stateDir: string;
  settings: UpdateSettings;
  timeZone: string;
  /** what this program is (version.ts) */
  running: { version: string; fromRelease: boolean; root: string };
  trust: () => TrustList;
  ca?: Buffer;
  log: Log;
  /** status changed: tell the hub */
  changed: () => void;
  /** stop the kiosk and exit, for systemd to start `current` */
  restart: () => void;
  /** the arch this kiosk runs (process.arch) */
  arch?: string;
}

interface AgentState { format: number; seq: number; failed: Record<string, string>; last?: UpdateStatus }

/** Whether `ms` falls in "HH:MM-HH:MM" in `timeZone`. */
export function inWindow(window: string | undefined, ms: number, timeZone: string): boolean {
  const m = window ? /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(window) : null;
  if (!m) return false;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(ms);
  const now = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  const a = Number(m[1]) * 60 + Number(m[2]), b = Number(m[3]) * 60 + Number(m[4]);
  return a <= b ? now >= a && now < b : now >= a || now < b;
}

/** In a maintenance window the lane must still have been quiet this long: a car's lamp and gate are not cut. */
const WINDOW_QUIET_MS = 5000;

export class Updater {
  private state: AgentState;
  private status_: UpdateStatus = { state: 'idle' };
  private lastScan = Date.now();
  private abort: AbortController | null = null;
  private work: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private confirmTimer: NodeJS.Timeout | null = null;
  private pending: OpenedRollout | null = null;
  private stopped = false;
  private started = false;
  private early: Uint8Array | null = null;
  private refused: Uint8Array | null = null;
  /** state.json is a newer version's: the agent's state is kept in memory, the file left as it is */
  private readonly frozen: boolean = false;

  constructor(private readonly o: UpdaterOptions) {
    let s: AgentState | undefined;
    try { s = readJsonFile<AgentState>(this.file('state.json')); } catch (e) {
      o.log(`update: ${(e as Error).message}`, 'warn');
      this.frozen = e instanceof UpdateFormatError && e.newer;
    }
    this.state = s ?? { format: 1, seq: 0, failed: {} };
    if (this.state.last) this.status_ = this.state.last;
  }

  private file(name: string): string {
    return join(updateDir(this.o.stateDir), name);
  }

  private save(): void {
    if (this.frozen) return;
    writeJsonFile(this.file('state.json'), { seq: this.state.seq, failed: this.state.failed, last: this.status_ });
  }

  private set(s: UpdateStatus, level: 'info' | 'warn' | 'debug' = 'info'): void {
    const same = JSON.stringify(s) === JSON.stringify(this.status_);
    this.status_ = s;
    if (s.state !== 'downloading') this.save();
    if (!same && s.state !== 'downloading') this.o.log(`update: ${s.state}${s.target ? ` ${s.target}` : ''}${s.reason ? `: ${s.reason}` : ''}`, level);
    this.o.changed();
  }

  status(): UpdateStatus {
    return this.status_;
  }

  /** A scan (or the officer's button): the lane is busy; the switch waits for idleSeconds of quiet. */
  scanned(at = Date.now()): void {
    this.lastScan = at;
  }

  /**
   * After systemd has READY: settles a switch in progress (confirms this version after its probation, or reports the
   * roll-back the guard made) and acts on the rollout held from before the restart.
   */
  start(): void {
    this.started = true;
    let j;
    try { j = readSwitch(this.o.stateDir); } catch (e) {
      this.set({ state: 'failed', reason: (e as UpdateFormatError).message.slice(0, 300) }, 'warn');
      return;
    }
    const me = this.o.running.version;
    // 'switching' still: started without the guard (by hand, or by a unit from before updates), on trial all the same
    if ((j?.phase === 'trying' || j?.phase === 'switching') && j.to === me) {
      this.set({ state: 'trying', target: me });
      this.confirmTimer = setTimeout(() => this.confirm(), this.o.settings.confirmSeconds * 1000);
      this.confirmTimer.unref();
    } else if (j?.phase === 'rolled-back' && !j.reported) {
      const reason = `version ${j.to} ${j.reason ?? 'failed'}; back on ${me}`;
      this.state.failed[j.to] = j.reason ?? 'failed';
      j.reported = true;
      writeSwitch(this.o.stateDir, j);
      this.set({ state: 'rolled-back', target: j.to, reason: reason.slice(0, 300), seq: this.state.seq }, 'warn');
    }
    const held = this.file('rollout.cose');
    if (existsSync(held)) this.rollout(new Uint8Array(readFileSync(held)), true);
    if (this.early) { const b = this.early; this.early = null; this.rollout(b); }
  }

  private confirm(): void {
    const j = readSwitch(this.o.stateDir);
    if (!j || (j.phase !== 'trying' && j.phase !== 'switching') || j.to !== this.o.running.version) return;
    j.phase = 'confirmed';
    writeSwitch(this.o.stateDir, j);
    link(this.o.settings.dir, 'good', j.to);
    this.set({ state: 'updated', target: j.to, seq: this.state.seq });
    this.prune(j.from);
  }

  /** Keeps the running release and the one before it; older ones and stale downloads go. */
  private prune(previous: string): void {
    const keep = new Set([this.o.running.version, previous, linked(this.o.settings.dir, 'good'), linked(this.o.settings.dir, 'current')]);
    try {
      for (const v of readdirSync(releasesDir(this.o.settings.dir))) if (!keep.has(v)) rmSync(releaseDir(this.o.settings.dir, v), { recursive: true, force: true });
    } catch (e) { this.o.log(`update: cannot remove old releases (${(e as Error).message})`, 'warn'); }
  }

  /** A rollout message from the hub (retained: it comes again on every reconnect). */
  rollout(bytes: Uint8Array, held = false): void {
    if (this.stopped) return;
    if (!this.started) { this.early = bytes; return; } // before READY: kept for start()
    let r: OpenedRollout;
    try {
      r = openRollout(bytes, this.o.trust(), held ? undefined : this.state.seq);
    } catch (e) {
      if (e instanceof ReleaseError && e.code === 'old-rollout') return; // the retained copy of the one in hand
      // the trust list that authorises its key may come after it: tried again when a trust list is taken
      if (e instanceof ReleaseError && (e.code === 'not-authorised' || e.code === 'key-not-valid')) this.refused = bytes;
      this.set({ state: 'refused', reason: (e as Error).message.slice(0, 300) }, 'warn');
      return;
    }
    if (!held) {
      mkdirSync(updateDir(this.o.stateDir), { recursive: true, mode: 0o750 });
      writeDurable(this.file('rollout.cose'), bytes);
      this.state.seq = r.seq;
      this.save();
    }
    this.act(r);
  }

  /** A new trust list was taken: a rollout refused for its key is looked at again. */
  retry(): void {
    const b = this.refused;
    this.refused = null;
    if (b) this.rollout(b);
  }

  private act(r: OpenedRollout): void {
    const v = r.release.version;
    const me = this.o.running.version;
    const base = { target: v, seq: r.seq };
    this.cancel();
    if (r.state === 'paused') { if (v !== me) this.set({ state: 'idle', ...base, reason: 'rollout paused' }); return; }
    if (r.state === 'rollback') {
      this.state.failed[v] = this.state.failed[v] ?? 'rolled back by the operator';
      const j = readSwitch(this.o.stateDir);
      if (v === me && j && j.to === me && existsSync(releaseDir(this.o.settings.dir, j.from))) {
        this.pending = { ...r, release: { ...r.release, version: j.from } };
        this.set({ state: 'waiting-idle', target: j.from, seq: r.seq, reason: `the operator rolled ${v} back` });
        this.waitIdle();
      } else if (v !== me) this.set({ state: 'idle', ...base, reason: 'rollout rolled back' });
      return;
    }
    if (!inRollout(this.o.kioskId, r, v)) return;
    if (v === me) { if (this.status_.state !== 'trying') this.set({ state: 'updated', ...base }); return; }
    if (this.state.failed[v]) {
      if (this.status_.state === 'rolled-back' && this.status_.target === v) return; // already said, with its reason
      this.set({ state: 'failed', ...base, reason: `version ${v} failed here before (${this.state.failed[v]}): not tried again`.slice(0, 300) });
      return;
    }
    const arch = this.o.arch ?? process.arch;
    if (r.release.arch !== 'any' && r.release.arch !== arch) { this.set({ state: 'refused', ...base, reason: `release ${v} is for ${r.release.arch}, this kiosk is ${arch}` }, 'warn'); return; }
    if (!this.o.running.fromRelease || !this.o.running.root.startsWith(releasesDir(this.o.settings.dir) + '/')) {
      this.set({ state: 'refused', ...base, reason: `this kiosk does not run from ${releasesDir(this.o.settings.dir)} (it runs ${this.o.running.root}): provision it again to take updates` }, 'warn');
      return;
    }
    if (!this.o.settings.web) { this.set({ state: 'refused', ...base, reason: 'no hub web address to fetch the release from: set hub.web or update.web in the config' }, 'warn'); return; }
    this.work = this.fetch(r).catch((e: Error) => {
      if (e instanceof DownloadError && e.code === 'aborted') return;
      this.set({ state: 'failed', ...base, reason: e.message.slice(0, 300) }, 'warn');
    });
  }

  private cancel(): void {
    this.abort?.abort();
    this.abort = null;
    this.pending = null;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
  }

  /** Download (resumable, with retries), check, unpack; then wait for the lane to be idle. */
  private async fetch(r: OpenedRollout): Promise<void> {
    const m = r.release, v = m.version, base = { target: v, seq: r.seq };
    const sha = Buffer.from(m.sha256).toString('hex');
    const dir = this.o.settings.dir;
    if (!existsSync(join(releaseDir(dir, v), 'release.json'))) {
      const abort = new AbortController();
      this.abort = abort;
      mkdirSync(updateDir(this.o.stateDir), { recursive: true, mode: 0o750 });
      const part = this.file(`${sha}.part`);
      for (const f of readdirSync(updateDir(this.o.stateDir))) if (f.endsWith('.part') && f !== `${sha}.part`) rmSync(this.file(f), { force: true });
      const url = `${this.o.settings.web!.replace(/\/+$/, '')}/releases/${encodeURIComponent(v)}/bundle.tgz`;
      let lastPct = -1;
      this.set({ state: 'downloading', ...base, progress: 0 });
      for (let attempt = 0; ; attempt++) {
        try {
          await download({
            url, file: part, size: m.size, rate: this.o.settings.rateKBps * 1024, ca: this.o.ca, signal: abort.signal,
            progress: (n) => { const pct = Math.floor((n * 100) / m.size); if (pct !== lastPct) { lastPct = pct; this.set({ state: 'downloading', ...base, progress: pct }); } },
          });
          break;
        } catch (e) {
          if (!(e instanceof DownloadError) || (e.code !== 'network' && e.code !== 'http') || abort.signal.aborted) throw e;
          const wait = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
          this.o.log(`update: ${e.message}; trying again in ${Math.round(wait / 1000)} s`, 'warn');
          await new Promise((res) => setTimeout(res, wait));
          if (abort.signal.aborted) throw new DownloadError('aborted', 'download stopped');
        }
      }
      this.set({ state: 'verifying', ...base });
      try { await checkFile(part, m.size, m.sha256); } catch (e) {
        rmSync(part, { force: true }); // a wrong file is not resumed: the next try starts from the first byte
        throw e;
      }
      const tmp = join(releasesDir(dir), `.${v}.unpacking`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true, mode: 0o755 });
      try {
        unpackTarGz(new Uint8Array(readFileSync(part)), tmp);
        const info = JSON.parse(readFileSync(join(tmp, 'release.json'), 'utf8')) as { version?: string };
        if (info.version !== v) throw new Error(`the bundle says it is version ${JSON.stringify(info.version)}, the signed manifest ${v}`);
        if (!existsSync(join(tmp, 'dist', 'scripts', 'chot.js'))) throw new Error('the bundle has no dist/scripts/chot.js');
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw new Error(`release ${v} cannot be unpacked: ${(e as Error).message}`);
      }
      rmSync(releaseDir(dir, v), { recursive: true, force: true });
      renameSync(tmp, releaseDir(dir, v));
      rmSync(part, { force: true });
      this.abort = null;
    }
    this.pending = r;
    this.set({ state: 'waiting-idle', ...base });
    this.waitIdle();
  }

  private waitIdle(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = setInterval(() => {
      const quiet = Date.now() - this.lastScan;
      const ok = quiet >= this.o.settings.idleSeconds * 1000 || (quiet >= Math.min(WINDOW_QUIET_MS, this.o.settings.idleSeconds * 1000) && inWindow(this.o.settings.window, Date.now(), this.o.timeZone));
      if (ok) this.switchNow();
    }, 200);
  }

  /**
   * Runs in a timer of its own: a scan is decided, journaled and signalled in one turn of the event loop, so the switch
   * can never come between a scan and its signal; and the lane has been quiet for idleSeconds.
   */
  private switchNow(): void {
    const r = this.pending;
    if (!r || this.stopped) return;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    const to = r.release.version, from = this.o.running.version;
    try { readSwitch(this.o.stateDir); } catch (e) {
      // a switch journal this version cannot read is not written over: the guard of the version that wrote it needs it
      if (e instanceof UpdateFormatError && e.newer) { this.set({ state: 'failed', target: to, seq: r.seq, reason: e.message.slice(0, 300) }, 'warn'); return; }
    }
    writeSwitch(this.o.stateDir, { format: 1, phase: 'switching', from, to, at: Date.now(), starts: 0, failures: [] });
    link(this.o.settings.dir, 'current', to);
    this.set({ state: 'switching', target: to, seq: r.seq });
    this.o.log(`update: lane idle: switching from ${from} to ${to}; systemd starts the new version`);
    this.o.restart();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
  }

  /** For the tests and the screen: the work in hand, if any. */
  get busy(): Promise<void> | null {
    return this.work;
  }
}

// Software releases on the hub: it serves the bundles (http/server.ts, with range requests) and publishes the signed
// rollout that `chot release rollout|pause|rollback` writes into dataDir/releases/rollout.cose, retained, so every
// kiosk learns of it when it connects. The hub holds no release key and decides nothing: it shows what the rollout
// asks for and what the kiosks report (their version and their `update` status), and keeps the rollouts' history in
// the store. The only steps it takes are those the release manager signed in advance with the rollout (its pause and
// its roll-back, releases/brakes/), which an operator publishes from the dashboard.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inRollout, peekRollout, type UpdateStatus } from '../../protocol/src/index.js';
import type { HubStore } from './store/port.js';
import { writeDurable } from '../../lib/durable-file.js';

/** A step signed in advance that the dashboard may publish: pause the rollout, or roll it back. */
export type Brake = 'pause' | 'rollback';
export const BRAKES: Brake[] = ['pause', 'rollback'];

export interface RolloutEntry { seq: number; state: string; version: string; share: string; kiosks: string[]; issuedAt: number; seenAt: number }

export interface ReleasesView {
  rollout: (RolloutEntry & { arch: string; size: number; sha256: string }) | null;
  /** kiosks per version they run */
  versions: Record<string, number>;
  /** of the kiosks the rollout reaches: how many run it, are on their way, failed or rolled back */
  progress: { targeted: number; updated: number; inProgress: number; failed: number; rolledBack: number; refused: number };
  /** kiosks whose last update failed, was refused or was rolled back, with the reason they gave */
  failures: Array<{ kiosk: string; state: UpdateStatus['state']; version?: string; reason?: string }>;
  history: RolloutEntry[];
  /** the steps signed in advance that can be published now (later than the rollout held, of its version) */
  brakes: Brake[];
}

interface FleetLike { id: string; revoked: boolean; version?: string; update?: UpdateStatus }

const HISTORY_KEY = 'releases.history';

export const shareText = (bp: number) => `${bp / 100}%`;

export class Releases {
  private stamp = '';
  private current: ReleasesView['rollout'] = null;
  private history: RolloutEntry[] = [];
  private loaded = false;

  constructor(readonly dataDir: string, private readonly store: HubStore, private readonly log: (l: string, level?: 'info' | 'warn' | 'error') => void) {}

  get file(): string {
    return join(this.dataDir, 'releases', 'rollout.cose');
  }

  /** Publishes the rollout file when it changed since the last look. */
  async poll(publish: (bytes: Uint8Array) => Promise<void> | void): Promise<void> {
    if (!this.loaded) {
      try { this.history = JSON.parse((await this.store.getMeta(HISTORY_KEY)) ?? '[]'); } catch { this.history = []; }
      this.loaded = true;
    }
    if (!existsSync(this.file)) return;
    const st = statSync(this.file);
    const stamp = `${st.mtimeMs}/${st.size}`;
    if (stamp === this.stamp) return;
    const bytes = new Uint8Array(readFileSync(this.file));
    const r = peekRollout(bytes);
    if (!r) { this.stamp = stamp; this.log(`hub: ${this.file} is not a signed rollout: not published; write it again with chot release rollout`, 'warn'); return; }
    await publish(bytes);
    this.stamp = stamp;
    const entry: RolloutEntry = { seq: r.seq, state: r.state, version: r.release.version, share: shareText(r.basisPoints), kiosks: r.kiosks, issuedAt: r.issuedAt, seenAt: Date.now() };
    this.current = { ...entry, arch: r.release.arch, size: r.release.size, sha256: r.release.sha256 };
    this.basisPoints = r.basisPoints;
    if (!this.history.some((h) => h.seq === r.seq)) {
      this.history = [entry, ...this.history].slice(0, 50);
      await this.store.setMeta(HISTORY_KEY, JSON.stringify(this.history));
    }
    this.log(`hub: rollout ${r.seq} published: ${r.state} ${r.release.version} to ${shareText(r.basisPoints)}${r.kiosks.length ? ` and ${r.kiosks.length} named kiosks` : ''}`);
  }

  private basisPoints = 0;

  /** A brake's signed bytes, if it can be published now: of the rollout's version and later than it. */
  private brake(name: Brake): Uint8Array | undefined {
    const f = join(this.dataDir, 'releases', 'brakes', `${name}.cose`);
    const r = this.current;
    if (!r || !existsSync(f)) return undefined;
    const bytes = new Uint8Array(readFileSync(f));
    const p = peekRollout(bytes);
    return p && p.seq > r.seq && p.release.version === r.version ? bytes : undefined;
  }

  /**
   * Publishes a brake the release manager signed with the rollout: written as the rollout, the next poll publishes it.
   * The hub signs nothing: what a kiosk takes is still the release key's signature.
   */
  applyBrake(name: Brake, by: string): { seq: number; state: string; version: string } | string {
    const bytes = this.brake(name);
    const r = this.current;
    if (!bytes || !r) return `no ${name} signed for the rollout held${r ? ` (${r.seq}, ${r.state} ${r.version})` : ''}: run chot release ${name} --key on the release manager's machine`;
    const p = peekRollout(bytes)!;
    writeDurable(this.file, bytes, 0o644);
    this.log(`releases: ${by} published the ${name} of rollout ${r.seq} (${r.version}) signed with it: rollout ${p.seq}, ${p.state}`, 'warn');
    return { seq: p.seq, state: p.state, version: p.release.version };
  }

  view(fleet: FleetLike[]): ReleasesView {
    const versions: Record<string, number> = {};
    const progress = { targeted: 0, updated: 0, inProgress: 0, failed: 0, rolledBack: 0, refused: 0 };
    const failures: ReleasesView['failures'] = [];
    const r = this.current;
    for (const k of fleet) {
      if (k.revoked) continue;
      if (k.version) versions[k.version] = (versions[k.version] ?? 0) + 1;
      const u = k.update;
      if (u && (u.state === 'failed' || u.state === 'refused' || u.state === 'rolled-back')) failures.push({ kiosk: k.id, state: u.state, version: u.target, reason: u.reason });
      if (!r || r.state === 'rollback' || !inRollout(k.id, { basisPoints: this.basisPoints, kiosks: r.kiosks }, r.version)) continue;
      progress.targeted++;
      if (k.version === r.version && u?.state !== 'trying') progress.updated++;
      else if (u?.target === r.version && u.state === 'rolled-back') progress.rolledBack++;
      else if (u?.target === r.version && u.state === 'failed') progress.failed++;
      else if (u?.target === r.version && u.state === 'refused') progress.refused++;
      else if (u?.target === r.version && ['downloading', 'verifying', 'waiting-idle', 'switching', 'trying'].includes(u.state)) progress.inProgress++;
    }
    return { rollout: r, versions, progress, failures, history: this.history, brakes: BRAKES.filter((b) => this.brake(b)) };
  }
}

// The kiosk: wires a scan source, the verdict (protocol/), the journal, the signal (GPIO) and the uplink.
// Each module owns one job; this file only connects them. A code read becomes a verdict, is journaled on disk,
// then signalled, then sent: offline, the first three still happen, and nothing signalled is lost.
import { EventEmitter } from 'node:events';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ScanIdGenerator, verifyQr, parseDccRules, messageFor, ENROL_PREFIX,
  type Category, type DccRules, type KioskConfigMessage, type KioskStatus, type ScanRecord, type Verdict,
} from '../../protocol/src/index.js';
import { signalConfig, type KioskConfig } from './config.js';
import { KioskClock } from './clock.js';
import type { GpioDriver } from './gpio/driver.js';
import { Signal } from './gpio/signal.js';
import { Journal } from './journal/journal.js';
import { StateStore } from './state/store.js';
import { writeDurable } from '../../lib/durable-file.js';
import type { ScanSource } from './scan/source.js';
import { Uplink, type LinkState } from './uplink/uplink.js';

export const VERSION = '0.1.0';

export type Warning = 'clock-unsynced' | 'lists-stale' | 'no-lists';

export interface ScanView {
  record: ScanRecord;
  verdict: Verdict;
  warnings: Warning[];
  text?: string;
}

export interface KioskEvents {
  scan: [view: ScanView];
  change: [];
  /** an enrolment QR was scanned while the kiosk has no hub credentials */
  enrol: [text: string];
  /** how that enrolment went, for the officer's screen */
  enrolment: [notice: EnrolNotice];
}

/** An enrolment attempt as the officer sees it: under way, refused (with the reason in words) or done. */
export interface EnrolNotice { at: number; state: 'busy' | 'refused' | 'enrolled'; vi: string; en: string }

export interface KioskDeps {
  gpio: GpioDriver;
  sources: ScanSource[];
  log: (line: string) => void;
}

export class Kiosk extends EventEmitter<KioskEvents> {
  readonly signal: Signal;
  readonly journal: Journal;
  readonly store: StateStore;
  readonly clock: KioskClock;
  readonly uplink: Uplink | null;
  private readonly ids = new ScanIdGenerator();
  private readonly recent = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Keeps the process alive with no scanner and no hub, and refreshes what the screen shows (clock, ages). */
  private tick: NodeJS.Timeout | null = null;
  private dccRules: DccRules | null | undefined;
  private stopped = false;
  readonly history: ScanView[] = [];
  /** The last enrolment attempt, shown on the officer's screen. */
  enrolment: EnrolNotice | null = null;
  readonly startedAt = Date.now();

  private constructor(readonly config: KioskConfig, private readonly deps: KioskDeps, store: StateStore) {
    super();
    this.store = store;
    this.signal = new Signal(deps.gpio, signalConfig(config), () => this.override());
    this.journal = Journal.open(join(config.stateDir, 'journal'), { ...config.journal, log: deps.log });
    if (this.journal.stats.lastId) this.ids.resumeAfter(this.journal.stats.lastId);
    this.clock = new KioskClock(config.clock.syncedFile, config.clock.hubToleranceMs);
    this.dccRules = config.dccRules === undefined ? undefined : config.dccRules === 'none' ? null : parseDccRules(config.dccRules);
    const h = config.hub;
    this.uplink = h.url ? new Uplink({
      url: h.url, urls: h.urls, kioskId: config.kiosk.id, username: h.username, password: h.password ?? (h.passwordFile ? readFileSync(h.passwordFile, 'utf8').trim() : undefined),
      ca: h.ca, backoffMinMs: h.backoffMinMs, backoffMaxMs: h.backoffMaxMs, backlogPerSecond: h.backlogPerSecond, batchMax: h.batchMax, ackTimeoutMs: h.ackTimeoutMs, log: deps.log,
    }, this.journal) : null;
  }

  static async start(config: KioskConfig, deps: KioskDeps): Promise<Kiosk> {
    let root: KeyObject;
    try {
      root = createPublicKey(readFileSync(config.rootKey, 'utf8'));
    } catch (e) {
      throw new Error(`rootKey ${config.rootKey} cannot be read as a PEM public key (${(e as Error).message}): copy the root authority's root.pub.pem there`);
    }
    // the state holds scans and lists: the kiosk's user and group only, whatever umask started the program
    mkdirSync(config.stateDir, { recursive: true, mode: 0o750 });
    chmodSync(config.stateDir, 0o750);
    // the fail-safe command (systemd ExecStopPost) needs the pins even if the config file is lost later; it never
    // needs the hub's password, which stays in the config (or its passwordFile) and is not copied into the state
    const { password: _secret, ...hub } = config.hub;
    writeDurable(join(config.stateDir, 'last-good-config.json'), JSON.stringify({ ...config, hub }, null, 1), 0o640);
    const store = await StateStore.open(config.stateDir, root, deps.log);
    const k = new Kiosk(config, deps, store);
    k.wire();
    return k;
  }

  private wire(): void {
    const log = this.deps.log;
    for (const s of this.deps.sources) {
      s.on('code', (text, at) => this.handleCode(text, s.kind, at));
      s.on('state', () => this.emit('change'));
      s.start();
    }
    const u = this.uplink;
    if (u) {
      const applied = (what: string, r: ReturnType<StateStore['applyTrust']>) => {
        if ('refused' in r) { if (!r.quiet) log(`lists: ${what} refused: ${r.refused}`); }
        else log(`lists: now holding ${r.kind} list version ${r.version}`);
        this.emit('change');
      };
      u.on('trust', (b) => applied('trust list', this.store.applyTrust(b, Date.now())));
      u.on('statusList', (b) => applied('status list', this.store.applyStatus(b, Date.now())));
      u.on('statusDelta', (b) => applied('status delta', this.store.applyStatusDelta(b, Date.now())));
      u.on('config', (c) => void this.applyHubConfig(c));
      u.on('ack', (_n, hubTime, rtt) => { this.clock.sawHubTime(hubTime, rtt); this.emit('change'); });
      u.on('link', (s: LinkState) => { this.emit('change'); if (s === 'online') this.publishStatus(); });
      u.start({ v: 1, kiosk: this.config.kiosk.id, online: false, at: Date.now() });
      this.heartbeat = setInterval(() => this.publishStatus(), this.config.hub.heartbeatSeconds * 1000);
      this.heartbeat.unref();
    }
    this.tick = setInterval(() => this.emit('change'), 5000);
    log(`kiosk ${this.config.kiosk.id}: ready (area ${this.area}, gpio ${this.deps.gpio.describe()}, ${this.journal.pending} scans waiting for the hub, trust list v${this.store.trust.version}, status list v${this.store.status.version})`);
  }

  private async applyHubConfig(c: KioskConfigMessage): Promise<void> {
    if (c.checkpoint !== this.config.kiosk.id) { this.deps.log(`config: ignored a config for ${c.checkpoint}`); return; }
    await this.store.saveHubConfig(c);
    this.deps.log(`config: the hub set area ${c.area}${c.timeZone ? `, time zone ${c.timeZone}` : ''}`);
    this.emit('change');
  }

  get area(): string {
    return this.store.db.data.hubConfig?.area ?? this.config.kiosk.area;
  }

  /** Decides, journals and signals one code. Returns undefined for a repeat inside the debounce window. */
  handleCode(text: string, source: ScanRecord['source'], readAt = performance.now()): ScanView | undefined {
    if (this.stopped) return undefined;
    const wall = Date.now();
    const last = this.recent.get(text);
    if (last !== undefined && wall - last < this.config.kiosk.debounceMs) return undefined;
    this.recent.set(text, wall);
    if (this.recent.size > 256) for (const [k, t] of this.recent) if (wall - t >= this.config.kiosk.debounceMs) this.recent.delete(k);
    // debounced like a pass: a camera reads a QR held up many times a second
    if (text.startsWith(ENROL_PREFIX) && !this.uplink) { this.emit('enrol', text); return undefined; }

    const clock = this.clock.state();
    const now = wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0);
    const warnings: Warning[] = [];
    if (!clock.synced) warnings.push('clock-unsynced');
    const age = this.store.listAge(wall);
    if (age === Infinity) warnings.push('no-lists');
    else if (age > this.config.lists.maxAgeHours * 3_600_000) warnings.push('lists-stale');

    const hub = this.store.db.data.hubConfig;
    const k = this.config.kiosk;
    let verdict: Verdict;
    if (!clock.synced && this.config.clock.unsyncedPolicy === 'refuse') {
      verdict = { verdict: 'red', reason: 'clock-unsynced', format: 'unknown', message: messageFor('clock-unsynced'), detail: 'the kiosk clock is not synchronised and clock.unsyncedPolicy is "refuse"' };
    } else {
      verdict = verifyQr(text, {
        trust: this.store.trust, status: this.store.status, now,
        checkpoint: {
          area: this.area, timeZone: hub?.timeZone ?? k.timeZone,
          acceptedCategories: (hub?.acceptedCategories ?? k.acceptedCategories) as Category[] | undefined,
          maxDeclarationAgeHours: hub?.maxDeclarationAgeHours ?? k.maxDeclarationAgeHours,
        },
        skewSeconds: k.skewSeconds, checkTime: clock.synced || this.config.clock.unsyncedPolicy === 'check-time', dccRules: this.dccRules,
      });
    }
    const record: ScanRecord = {
      id: this.ids.next(now), at: Math.round(now), clockSynced: clock.synced, verdict: verdict.verdict, reason: verdict.reason,
      format: verdict.format, source, ms: Math.round((performance.now() - readAt) * 100) / 100,
    };
    if (verdict.passId) record.passId = verdict.passId.slice(0, 128);
    if (verdict.holderToken) record.holder = verdict.holderToken;
    if (verdict.summary?.category) record.category = verdict.format === 'dcc' ? 'foreign' : verdict.summary.category;
    // on disk before the lamp changes: a signalled scan is never lost, even to kill -9
    this.journal.append(record);
    this.signal.show(verdict.verdict, record.id);
    this.uplink?.scanned(record.id);
    return this.remember({ record, verdict, warnings });
  }

  /** The officer's button opened the gate: journaled as an override. */
  override(): ScanView | undefined {
    if (this.stopped) return undefined;
    this.signal.openGate();
    const clock = this.clock.state();
    const now = Date.now() + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0);
    const record: ScanRecord = { id: this.ids.next(now), at: Math.round(now), clockSynced: clock.synced, verdict: 'green', reason: 'override', format: 'unknown', source: 'button', ms: 0, override: true };
    this.journal.append(record);
    this.uplink?.scanned(record.id);
    this.deps.log(`override: the officer opened the gate by hand (${record.id})`);
    return this.remember({ record, verdict: { verdict: 'green', reason: 'ok', format: 'unknown', message: { vi: 'Cán bộ mở cổng thủ công.', en: 'Gate opened by the officer.' } }, warnings: [] });
  }

  /** Shows how an enrolment went on the officer's screen. */
  showEnrolment(n: Omit<EnrolNotice, 'at'>): void {
    this.enrolment = { at: Date.now(), ...n };
    this.emit('enrolment', this.enrolment);
    this.emit('change');
  }

  /** Keeps the last 20 scans for the officer's screen and tells it. */
  private remember(view: ScanView): ScanView {
    this.history.unshift(view);
    if (this.history.length > 20) this.history.pop();
    this.emit('scan', view);
    return view;
  }

  status(): KioskStatus {
    const c = this.clock.state();
    const scanner = this.deps.sources.map((s) => `${s.kind} ${s.state}`).join(', ') || 'none';
    return {
      v: 1, kiosk: this.config.kiosk.id, online: true, at: Date.now(), version: VERSION,
      trustVersion: this.store.trust.version, statusVersion: this.store.status.version,
      listsStale: this.store.listAge(Date.now()) > this.config.lists.maxAgeHours * 3_600_000,
      backlog: this.journal.pending, clock: { synced: c.synced, source: c.source, offsetMs: c.offsetMs },
      scanner: scanner.slice(0, 64), gpio: this.deps.gpio.describe().slice(0, 64),
    };
  }

  private publishStatus(): void {
    this.uplink?.publishStatus(this.status());
  }

  /** Stops cleanly: the gate fails safe first, then the journal is flushed and the hub told we are offline. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signal.failSafe();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.tick) clearInterval(this.tick);
    for (const s of this.deps.sources) await s.stop();
    await this.uplink?.stop({ ...this.status(), online: false });
    this.journal.close();
    this.deps.gpio.close();
  }
}

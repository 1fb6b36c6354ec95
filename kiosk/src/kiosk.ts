// The kiosk: connects a scan source, the decision (decide.ts), the journal, the signal (GPIO) and the uplink.
// It builds none of them: kiosk/src/main.ts (buildKiosk) makes every part and hands them over as ports, so a test
// or the demo gives it a simulated scanner, GPIO or uplink through the same door. A code read becomes a verdict,
// is journaled on disk, then signalled, then sent: offline, the first three still happen, and nothing signalled
// is lost.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  ScanIdGenerator, parseDccRules, ENROL_PREFIX, OFFICER_PREFIX, verifyOfficer, messageFor,
  type DccRules, type PassageReason, type OfficerOnDuty, type KioskConfigMessage, type KioskStatus, type ScanRecord, type Verdict,
} from '../../protocol/src/index.js';
import type { KioskConfig } from './config.js';
import type { ClockState } from './clock.js';
import type { GpioDriver } from './gpio/driver.js';
import type { Journal } from './journal/journal.js';
import type { StateStore } from './state/store.js';
import type { ScanSource } from './scan/source.js';
import type { LinkState, UplinkPort } from './uplink/port.js';
import type { Log } from '../../lib/log.js';
import { decide, overrideRecord, scanLine, type Warning } from './decide.js';
import { passageRecord } from './passage.js';
import type { PassageWatch } from './passage-watch.js';
import type { PayoutPoint } from './payout/point.js';
import type { PayoutView } from './payout/decide.js';
import { RUNNING } from './update/version.js';

/** This program's release (release.json of its bundle; the package's version in a development tree). */
export const VERSION = RUNNING.version;

export type { Warning } from './decide.js';

export interface ScanView {
  record: ScanRecord;
  verdict: Verdict;
  warnings: Warning[];
  text?: string;
  /** a payout desk's answer for this scan (payout/point.ts): it, not the pass's verdict, is the lamp */
  payout?: PayoutView;
}

export interface KioskEvents {
  scan: [view: ScanView];
  change: [];
  /** an enrolment QR was scanned while the kiosk has no hub credentials */
  enrol: [text: string];
  /** how that enrolment went, for the officer's screen */
  enrolment: [notice: EnrolNotice];
  /** a payout scan's answer changed (the hub answered, late or not, or did not answer in time) */
  payout: [view: ScanView];
}

/** The officer on duty, as the screen shows them: a name, never a code or ID digits. */
export interface OnDuty extends OfficerOnDuty { since: number; until: number }

/** What the officer's card or the button last did about who is on duty: signed in, out, refused, or a sign-in asked. */
export interface OfficerNotice { at: number; state: 'signed-in' | 'signed-out' | 'refused' | 'sign-in-needed'; vi: string; en: string }

/** A sign-in lasts a shift at most (and never past the card's validity): a booth left signed in overnight is not
 *  credited to the last officer. Scanning the same card again signs out at once. */
export const SHIFT_MS = 12 * 3_600_000;

/** An enrolment attempt as the officer sees it: under way, refused (with the reason in words) or done. */
export interface EnrolNotice { at: number; state: 'busy' | 'refused' | 'enrolled'; vi: string; en: string }

/** The lamps, buzzer, gate relay and the officer's button (gpio/signal.ts). */
export interface SignalPort {
  show(verdict: 'green' | 'red', scanId?: string): void;
  openGate(): void;
  /** Relay released, red lamp on; synchronous, for exit handlers. */
  failSafe(): void;
  watchButton(onPress: () => void): void;
}

/** Whether the kiosk's clock can be trusted, and the hub's time when it brings some (clock.ts). */
export interface ClockPort {
  state(): ClockState;
  sawHubTime(hubMs: number, rttMs?: number): void;
}

/** The journal as the kiosk uses it (journal/journal.ts). */
export type JournalPort = Pick<Journal, 'append' | 'pending' | 'stats' | 'close'>;

/** The lists and the hub's config as the kiosk uses them (state/store.ts). */
export type StorePort = Pick<StateStore, 'trust' | 'status' | 'db' | 'applyTrust' | 'applyStatus' | 'applyStatusDelta' | 'saveHubConfig' | 'listAge'>;

/** Every part the kiosk works with, built by buildKiosk (main.ts). */
export interface KioskPorts {
  gpio: GpioDriver;
  signal: SignalPort;
  sources: ScanSource[];
  journal: JournalPort;
  store: StorePort;
  clock: ClockPort;
  /** null: no hub configured (a kiosk waiting to be enrolled) */
  uplink: UplinkPort | null;
  log: Log;
  /** the gate's passage sensor (gate.passage), when it has one */
  passage?: Pick<PassageWatch, 'start' | 'opened' | 'stop' | 'config'>;
  /** a ward office's payout desk (config mode "payout") */
  payout?: PayoutPoint;
}

export class Kiosk extends EventEmitter<KioskEvents> {
  readonly signal: SignalPort;
  readonly journal: JournalPort;
  readonly store: StorePort;
  readonly clock: ClockPort;
  readonly uplink: UplinkPort | null;
  private readonly log: Log;
  private readonly ids = new ScanIdGenerator();
  private readonly recent = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Keeps the process alive with no scanner and no hub, and refreshes what the screen shows (clock, ages). */
  private tick: NodeJS.Timeout | null = null;
  private readonly dccRules: DccRules | null | undefined;
  private started = false;
  private stopped = false;
  readonly history: ScanView[] = [];
  /** The software update in hand, for the status the hub sees (update/agent.ts; set by runKiosk). */
  updateStatus: (() => KioskStatus['update']) | null = null;
  /** The last enrolment attempt, shown on the officer's screen. */
  enrolment: EnrolNotice | null = null;
  private duty: OnDuty | null = null;
  /** The last sign-in, sign-out or refusal, shown on the officer's screen. */
  officerNotice: OfficerNotice | null = null;
  readonly startedAt = Date.now();

  constructor(readonly config: KioskConfig, private readonly ports: KioskPorts) {
    super();
    this.signal = ports.signal;
    this.journal = ports.journal;
    this.store = ports.store;
    this.clock = ports.clock;
    this.uplink = ports.uplink;
    this.log = ports.log;
    if (this.journal.stats.lastId) this.ids.resumeAfter(this.journal.stats.lastId);
    this.dccRules = config.dccRules === undefined ? undefined : config.dccRules === 'none' ? null : parseDccRules(config.dccRules);
  }

  /**
   * Starts the parts in order: the button, the scanners, the uplink. A scanner that fails to start is logged and
   * left out; the others, the lamps and the journal go on (a booth with a broken camera still takes the button).
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const log = this.log;
    this.signal.watchButton(() => this.override());
    this.ports.passage?.start({
      annul: (scanId) => this.passageRecord('no-passage', scanId),
      tailgate: () => this.passageRecord('tailgate'),
      passed: (scanId) => this.log(`passage: scan ${scanId} passed the gate`, 'debug'),
    });
    for (const s of this.ports.sources) {
      s.on('code', (text, at) => this.handleCode(text, s.kind, at));
      s.on('state', () => this.emit('change'));
      try { s.start(); } catch (e) { log(`scanner: the ${s.kind} scanner cannot start (${(e as Error).message}); the kiosk runs without it: check scanner in the config`, 'error'); }
    }
    const u = this.uplink;
    if (u) {
      const applied = (what: string, r: ReturnType<StateStore['applyTrust']>) => {
        if ('refused' in r) log(`lists: ${what} refused: ${r.refused}`, r.quiet ? 'debug' : 'warn');
        else log(`lists: now holding ${r.kind} list version ${r.version}`);
        this.emit('change');
      };
      u.on('trust', (b) => applied('trust list', this.store.applyTrust(b, Date.now())));
      u.on('statusList', (b) => applied('status list', this.store.applyStatus(b, Date.now())));
      u.on('statusDelta', (b) => applied('status delta', this.store.applyStatusDelta(b, Date.now())));
      u.on('config', (c) => void this.applyHubConfig(c).catch((e: Error) => log(`config: cannot keep the hub's config (${e.message}): check the state folder's disk`, 'error')));
      u.on('ack', (_n, hubTime, rtt) => { this.clock.sawHubTime(hubTime, rtt); this.emit('change'); });
      u.on('link', (s: LinkState) => { this.emit('change'); if (s === 'online') this.publishStatus(); });
      u.start({ v: 1, kiosk: this.config.kiosk.id, online: false, at: Date.now() });
      this.heartbeat = setInterval(() => this.publishStatus(), this.config.hub.heartbeatSeconds * 1000);
      this.heartbeat.unref();
    }
    const pay = this.ports.payout;
    if (pay) {
      pay.on('update', (id, p) => { const v = this.history.find((h) => h.record.id === id); if (v) { v.payout = p; this.emit('payout', v); } });
      pay.on('change', () => this.emit('change'));
      pay.start();
    }
    this.tick = setInterval(() => this.emit('change'), 5000);
    log(`kiosk ${this.config.kiosk.id}: ready (area ${this.area}, gpio ${this.ports.gpio.describe()}, ${this.journal.pending} scans waiting for the hub, trust list v${this.store.trust.version}, status list v${this.store.status.version})`);
  }

  private async applyHubConfig(c: KioskConfigMessage): Promise<void> {
    if (c.checkpoint !== this.config.kiosk.id) { this.log(`config: ignored a config for ${c.checkpoint}`, 'warn'); return; }
    await this.store.saveHubConfig(c);
    this.log(`config: the hub set area ${c.area}${c.timeZone ? `, time zone ${c.timeZone}` : ''}`);
    this.emit('change');
  }

  /** the payout desk, in mode "payout" */
  get payout(): PayoutPoint | undefined {
    return this.ports.payout;
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
    if (text.startsWith(OFFICER_PREFIX)) { this.officerCard(text, wall); return undefined; }

    const clock = this.clock.state();
    const hub = this.store.db.data.hubConfig;
    const k = this.config.kiosk;
    const { verdict, record, warnings } = decide({
      text, source, wall, clock, officer: this.onDuty(wall)?.code, id: this.ids.next(wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0)),
      listAgeMs: this.store.listAge(wall), trust: this.store.trust, status: this.store.status,
      checkpoint: {
        area: this.area, timeZone: hub?.timeZone ?? k.timeZone,
        acceptedCategories: hub?.acceptedCategories ?? k.acceptedCategories,
        maxDeclarationAgeHours: hub?.maxDeclarationAgeHours ?? k.maxDeclarationAgeHours,
      },
      policy: { unsyncedPolicy: this.config.clock.unsyncedPolicy, skewSeconds: k.skewSeconds, maxListAgeHours: this.config.lists.maxAgeHours, dccRules: this.dccRules },
    });
    record.ms = Math.round((performance.now() - readAt) * 100) / 100;
    // on disk before the lamp changes: a signalled scan is never lost, even to kill -9
    this.journal.append(record);
    if (this.ports.payout) {
      // a payout desk: the journal keeps the pass check, the lamp shows the payment (green only for the hub's 'paid')
      const payout = this.ports.payout.scanned({ record, verdict, now: record.at });
      this.uplink?.scanned(record.id);
      this.log(scanLine(record, warnings));
      return this.remember({ record, verdict, warnings, payout });
    }
    this.signal.show(verdict.verdict, record.id);
    if (verdict.verdict === 'green') this.ports.passage?.opened(record.id);
    this.uplink?.scanned(record.id);
    this.log(scanLine(record, warnings));
    return this.remember({ record, verdict, warnings });
  }

  /** The officer's button opened the gate: journaled as an override. */
  override(): ScanView | undefined {
    if (this.stopped) return undefined;
    const wall = Date.now();
    // every override is answered for by someone: nobody on duty, the gate stays shut and the screen asks for a card
    const officer = this.onDuty(wall);
    if (!officer) {
      this.noticeOfficer('sign-in-needed', 'Cán bộ quét thẻ cán bộ để đăng nhập trước khi mở cổng.', 'Scan your officer card to sign in before opening the gate.');
      this.log('officer: the button was pressed with nobody signed in; the gate stays shut until an officer scans their card', 'warn');
      return undefined;
    }
    this.signal.openGate();
    const clock = this.clock.state();
    const record = overrideRecord(this.ids.next(wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0)), wall, clock, officer.code);
    this.journal.append(record);
    this.ports.passage?.opened(record.id);
    this.uplink?.scanned(record.id);
    this.log(`${scanLine(record)}: the officer opened the gate by hand`);
    return this.remember({ record, verdict: { verdict: 'green', reason: 'ok', format: 'unknown', message: { vi: 'Cán bộ mở cổng thủ công.', en: 'Gate opened by the officer.' } }, warnings: [] });
  }

  /**
   * What the passage sensor saw (gate.passage): 'no-passage' annuls a green or an override nobody passed after in
   * time; 'tailgate' is a passage with no green waiting, signalled with the red flash and the long beep. Journaled
   * before the signal and sent like a scan, so the hub counts validated, passed, not passed and tailgating.
   */
  private passageRecord(reason: PassageReason, annuls?: string): ScanView | undefined {
    if (this.stopped) return undefined;
    const wall = Date.now();
    const clock = this.clock.state();
    const record = passageRecord(this.ids.next(wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0)), wall, clock, reason, annuls, this.onDuty(wall)?.code);
    this.journal.append(record);
    if (reason === 'tailgate') this.signal.show('red', record.id);
    this.uplink?.scanned(record.id);
    if (reason === 'tailgate') this.log(`${scanLine(record)}: someone passed the gate with no green waiting for them`, 'warn');
    else this.log(`${scanLine(record)}: nobody passed the gate within ${this.ports.passage!.config.waitMs} ms of scan ${annuls}, which is annulled`);
    return this.remember({ record, verdict: { verdict: 'red', reason, format: 'unknown', message: messageFor(reason) }, warnings: [] });
  }

  /** The officer on duty now, or null; a shift past SHIFT_MS or the card's validity has ended by itself. */
  onDuty(wall = Date.now()): OnDuty | null {
    if (this.duty && wall >= this.duty.until) {
      this.duty = null;
      this.noticeOfficer('signed-out', 'Hết ca: cán bộ quét thẻ để đăng nhập lại.', 'Shift over: scan your officer card to sign in again.');
      this.log('officer: signed out at the end of the shift or of the card\'s validity');
    }
    return this.duty;
  }

  /** An officer's card read at the booth: signs in, hands over to another officer, or (the same card) signs out. */
  private officerCard(text: string, wall: number): void {
    const clock = this.clock.state();
    const k = this.config.kiosk;
    const r = verifyOfficer(text, {
      trust: this.store.trust, status: this.store.status, now: wall + (clock.source === 'hub' ? clock.offsetMs ?? 0 : 0),
      checkpoint: { area: this.area }, skewSeconds: k.skewSeconds,
      checkTime: clock.synced || this.config.clock.unsyncedPolicy === 'check-time',
    });
    if (!r.ok) {
      this.noticeOfficer('refused', `Thẻ cán bộ không hợp lệ: ${r.message.vi}`, `Officer card refused: ${r.message.en}`);
      this.log(`officer: a card was refused: ${r.reason}`, 'warn');
      return;
    }
    const current = this.onDuty(wall);
    if (current && current.cardId === r.officer.cardId) {
      this.duty = null;
      this.noticeOfficer('signed-out', 'Cán bộ đã đăng xuất.', 'Officer signed out.');
      this.log('officer: signed out by scanning the card again');
      return;
    }
    this.duty = { ...r.officer, since: wall, until: Math.min(wall + SHIFT_MS, r.officer.validUntil * 1000) };
    this.noticeOfficer('signed-in', 'Cán bộ đã đăng nhập.', 'Officer signed in.');
    this.log(`officer: signed in${current ? ', taking over from the officer before' : ''}`);
  }

  private noticeOfficer(state: OfficerNotice['state'], vi: string, en: string): void {
    this.officerNotice = { at: Date.now(), state, vi, en };
    this.emit('change');
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
    const scanner = this.ports.sources.map((s) => `${s.kind} ${s.state}`).join(', ') || 'none';
    return {
      v: 1, kiosk: this.config.kiosk.id, online: true, at: Date.now(), version: VERSION,
      trustVersion: this.store.trust.version, statusVersion: this.store.status.version,
      listsStale: this.store.listAge(Date.now()) > this.config.lists.maxAgeHours * 3_600_000,
      backlog: this.journal.pending, clock: { synced: c.synced, source: c.source, offsetMs: c.offsetMs },
      scanner: scanner.slice(0, 64), gpio: this.ports.gpio.describe().slice(0, 64),
      ...(this.ports.passage ? { passage: true } : {}),
      ...(this.updateStatus ? { update: this.updateStatus() } : {}),
    };
  }

  private publishStatus(): void {
    this.uplink?.publishStatus(this.status());
  }

  /**
   * Stops cleanly, in order: the gate fails safe first, then the scanners, the uplink (the hub told we are
   * offline), the journal (flushed) and the GPIO. A part that fails to stop is logged and the rest still stop.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.signal.failSafe();
    this.ports.passage?.stop();
    this.ports.payout?.stop();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.tick) clearInterval(this.tick);
    const part = async (what: string, fn: () => unknown) => {
      try { await fn(); } catch (e) { this.log(`kiosk: ${what} did not stop cleanly: ${(e as Error).message}`, 'error'); }
    };
    for (const s of this.ports.sources) await part(`the ${s.kind} scanner`, () => s.stop());
    if (this.uplink) await part('the uplink', () => this.uplink!.stop({ ...this.status(), online: false }));
    await part('the journal', () => this.journal.close());
    await part('the GPIO', () => this.ports.gpio.close());
  }
}

// The payout point at a ward office: what a payout kiosk does after the pass is decided as at a checkpoint. It holds
// the ward's programme list (programme-hold.ts), decides locally (decide.ts), writes each claim to the claim book
// (claims.ts) before sending it through the uplink, and turns the hub's answer into the lamp and the screen.
//
// Money is never paid offline. No link: the claim is kept and the screen says the payout must wait; no answer
// within payout.claimTimeoutMs: the same. The claim stays pending and is sent again (same key) every time the link
// comes up, so the kiosk learns what the hub decided. An answer that comes late is recorded and shown:
// - while the citizen's scan is still the last one at the desk, 'paid' turns the screen green (the officer told
//   them to wait: they are there);
// - after another scan, 'paid' is owed to that earlier citizen, not to whoever stands at the desk: the screen does
//   not turn green; when that citizen scans again here the kiosk resends the same key, the hub answers 'paid' again
//   (its own claim), and then the screen says pay. A claim the officer was told to pay is 'already paid here'.
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import type { ClaimRequest, ClaimResult, ScanRecord, Verdict } from '../../../protocol/src/index.js';
import type { UplinkPort } from '../uplink/port.js';
import type { Log } from '../../../lib/log.js';
import { ClaimBook, newClaimKey, type ClaimEntry } from './claims.js';
import { ProgrammeHold } from './programme-hold.js';
import { answerView, decidePayout, owedView, paidHereView, programmeOpen, waitView, type PayoutView } from './decide.js';
import type { PayoutConfig } from './config.js';
import { realTimers, type Timers } from '../passage-watch.js';

export interface PayoutPointOptions {
  config: PayoutConfig;
  kioskId: string;
  stateDir: string;
  root: KeyObject;
  uplink: UplinkPort | null;
  /** the lamps: green only for the hub's 'paid' */
  signal: { show(verdict: 'green' | 'red', scanId?: string): void };
  /** the area the hub registered this kiosk for (its config message), else the file's */
  area: () => string;
  timeZone: () => string;
  log: Log;
  timers?: Timers;
  newKey?: () => string;
}

/** The payout part of the officer screen's state. */
export interface PayoutScreen {
  ward: string;
  programme: { id: string; name: string; amount: number; validFrom: number; validUntil: number; version: number; eligible: number; open: 'open' | 'not-yet' | 'ended' } | null;
  programmeId: string;
  receivedAt: number | null;
  pending: number;
  owed: number;
  paid: number;
}

export interface PayoutEvents {
  /** a scan's payout view changed (an answer, a timeout, a late answer) */
  update: [scanId: string, view: PayoutView];
  change: [];
}

export class PayoutPoint extends EventEmitter<PayoutEvents> {
  readonly book: ClaimBook;
  readonly hold: ProgrammeHold;
  readonly ward: string;
  /** the last payout scan: only its answer may turn the lamp green */
  private current: string | null = null;
  private readonly timers: Timers;
  private readonly cancels = new Map<string, () => void>();
  private started = false;
  /** scans told to wait (no link, no answer in time): an answer for them is a late one */
  private readonly waited = new Set<string>();

  constructor(private readonly o: PayoutPointOptions) {
    super();
    this.ward = o.config.ward ?? o.area();
    this.book = new ClaimBook(o.stateDir, o.log);
    this.hold = new ProgrammeHold(o.stateDir, o.root, o.config.programme, this.ward, o.log);
    this.timers = o.timers ?? realTimers;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const u = this.o.uplink;
    const log = this.o.log;
    const held = this.hold.held;
    log(`payout: paying ${this.o.config.programme} in ward ${this.ward}; ${held ? `list version ${held.programme.version} held (${held.holders.size} eligible)` : 'no list yet: nothing is paid until the hub sends it'}; ${this.book.unsettled().length} claims waiting for the hub`);
    if (!u) return;
    u.on('programme', (b) => {
      const r = this.hold.apply(b, Date.now());
      if ('refused' in r) log(`payout: programme list refused: ${r.refused}`, r.quiet ? 'debug' : 'warn');
      else log(`payout: now holding ${this.o.config.programme} list version ${r.version} for ward ${this.ward} (${this.hold.held!.holders.size} eligible)`);
      this.emit('change');
    });
    u.on('claimResult', (r) => this.answered(r));
    // every time the link comes up, the claims with no answer go again with their own keys
    u.on('link', (s) => { if (s === 'online') this.resend(); });
    u.watchProgramme(this.o.config.programme, this.ward);
    if (u.state === 'online') this.resend();
  }

  stop(): void {
    for (const c of this.cancels.values()) c();
    this.cancels.clear();
  }

  /**
   * A scan at the payout desk, its pass decided as at a checkpoint: a local refusal, "already paid here", or a claim
   * written to the claim book and then sent. Returns what the screen shows now; later changes come as 'update'.
   */
  scanned(s: { record: ScanRecord; verdict: Verdict; now: number }): PayoutView {
    const { record } = s;
    this.current = record.id;
    if (this.waited.size > 256) this.waited.clear(); // only the scans of the last minutes can get a late answer on screen
    const step = decidePayout({
      pass: s.verdict, held: this.hold.held, registeredArea: this.o.area(), now: s.now, officer: record.officer, timeZone: this.o.timeZone(),
    });
    if (!step.claim) {
      if (step.view.lamp === 'red') this.o.signal.show('red', record.id);
      this.o.log(`payout: scan ${record.id}: ${step.view.reason}`);
      return step.view;
    }
    const c = step.claim;
    let e = this.book.latest(c.programme, c.holder);
    if (e?.state === 'paid' && e.payment) {
      // the officer was already told to pay this citizen here: no second claim
      this.o.signal.show('red', record.id);
      this.o.log(`payout: scan ${record.id}: already-paid (here, by the claim book)`);
      return paidHereView(e.payment, this.o.kioskId, this.o.timeZone());
    }
    if (e && (e.state === 'pending' || e.state === 'owed')) {
      // the same citizen again before an answer, or owed a late payment: the same key, never a second claim
      this.book.update(e, { scanId: record.id, scanAt: record.at, state: 'pending', ...(record.officer ? { officer: record.officer } : {}) });
    } else {
      e = this.book.add({
        key: (this.o.newKey ?? newClaimKey)(), programme: c.programme, holder: c.holder, at: record.at, scanId: record.id, scanAt: record.at,
        ...(record.passId ? { passId: record.passId } : {}), ...(record.officer ? { officer: record.officer } : {}),
      });
    }
    // on disk before it is sent (book.add / update are durable): a restart resends this very key
    if (!this.send(e)) {
      this.waited.add(record.id);
      this.o.signal.show('red', record.id);
      this.o.log(`payout: scan ${record.id}: hub-offline: the claim waits for the link`, 'warn');
      return waitView('hub-offline', c.amount);
    }
    this.arm(e, record.id, c.amount, this.o.config.claimTimeoutMs);
    this.o.log(`payout: scan ${record.id}: claim sent${e.sent > 1 ? ` again (send ${e.sent})` : ''}`);
    return step.view;
  }

  /**
   * Waits claimTimeoutMs for the answer. The first time it does not come, the screen says wait; and the claim goes
   * again with its key while the link is up, each wait twice the last (up to 5 min): behind a broker cluster a hub
   * process can die without the kiosk's link dropping, so a reconnect alone would never resend it.
   */
  private arm(e: ClaimEntry, scanId: string, amount: number, waitMs: number): void {
    const first = waitMs === this.o.config.claimTimeoutMs;
    this.cancels.get(e.key)?.();
    this.cancels.set(e.key, this.timers.after(waitMs, () => {
      this.cancels.delete(e.key);
      if (e.state !== 'pending' || e.scanId !== scanId) return;
      if (first) {
        this.waited.add(scanId);
        this.o.log(`payout: scan ${scanId}: hub-timeout: no answer within ${this.o.config.claimTimeoutMs} ms; the claim stays pending and is sent again with its key`, 'warn');
        if (this.current === scanId) this.o.signal.show('red', scanId);
        this.emit('update', scanId, waitView('hub-timeout', amount));
      }
      if (this.send(e)) this.arm(e, scanId, amount, Math.min(waitMs * 2, 300_000));
    }));
  }

  private send(e: ClaimEntry): boolean {
    const req: ClaimRequest = {
      v: 1, kiosk: this.o.kioskId, key: e.key, programme: e.programme, holder: e.holder, at: Math.round(e.at),
      ...(e.passId ? { passId: e.passId } : {}), ...(e.officer ? { officer: e.officer } : {}),
    };
    if (!this.o.uplink?.claim(req)) return false;
    e.sent++;
    return true;
  }

  private resend(): void {
    const pending = this.book.unsettled();
    let n = 0;
    for (const e of pending) if (this.send(e)) n++;
    if (n) this.o.log(`payout: ${n} claims with no answer sent again with their own keys`);
  }

  /** The hub's answer: recorded in the claim book first, then the lamp and the screen. */
  private answered(r: ClaimResult): void {
    const e = this.book.byKey(r.key);
    if (!e) { this.o.log(`payout: an answer for a claim this kiosk does not hold (${r.outcome}) ignored`, 'warn'); return; }
    if (e.state !== 'pending') return; // a second answer to a resend: the first was recorded
    this.cancels.get(e.key)?.();
    this.cancels.delete(e.key);
    const tz = this.o.timeZone();
    const atDesk = this.current === e.scanId;
    let view: PayoutView;
    if (r.outcome === 'paid') {
      if (atDesk) {
        this.book.update(e, { state: 'paid', outcome: 'paid', amount: r.amount, payment: r.payment ?? { kiosk: this.o.kioskId, at: e.at } });
        view = answerView(r, { kiosk: this.o.kioskId, timeZone: tz, late: this.waited.has(e.scanId) });
        this.o.signal.show('green', e.scanId);
      } else {
        this.book.update(e, { state: 'owed', outcome: 'paid', amount: r.amount, payment: r.payment });
        view = owedView(r, e.scanAt, tz);
      }
    } else {
      this.book.update(e, { state: 'refused', outcome: r.outcome, ...(r.payment ? { payment: r.payment } : {}) });
      view = answerView(r, { kiosk: this.o.kioskId, timeZone: tz });
      if (atDesk) this.o.signal.show('red', e.scanId);
    }
    this.o.log(`payout: scan ${e.scanId}: ${view.reason}${r.outcome === 'already-paid' && r.payment ? ` (paid at ${r.payment.kiosk})` : ''}${atDesk ? '' : ' (late: the scan is no longer at the desk)'}`);
    this.emit('update', e.scanId, view);
    this.emit('change');
  }

  screen(now = Date.now()): PayoutScreen {
    const h = this.hold.held;
    const counts = this.book.counts();
    return {
      ward: this.ward, programmeId: this.o.config.programme, receivedAt: this.hold.receivedAt ?? null, ...counts,
      programme: h ? { id: h.programme.id, name: h.programme.name, amount: h.programme.amount, validFrom: h.programme.validFrom, validUntil: h.programme.validUntil, version: h.programme.version, eligible: h.holders.size, open: programmeOpen(h.programme, now) } : null,
    };
  }
}

// The hub's payout desk in memory, for the kiosk's tests through the simulated uplink (uplink/sim.ts): it decides
// claims as the hub's store does (hub/src/store/sqlite-worker.ts claimTx): the first claim for a citizen anywhere
// wins; a retry with the winner's key learns it won; any other claim is already-paid with where and when. Several
// simulated kiosks share one desk, as kiosks share one hub. It can lose its replies after deciding (a hub killed
// between its commit and its answer) or hold them back (a slow hub).
import type { ClaimRequest, ClaimResult, Programme } from '../../../protocol/src/index.js';

export interface SimPayoutHubOptions {
  programme: Programme;
  /** holder token → the ward where the citizen is registered */
  eligible: Map<string, string>;
  /** the ward each kiosk is registered for */
  wardOf: (kiosk: string) => string;
  now?: () => number;
}

export class SimPayoutHub {
  /** every claim received, in order (resends included) */
  readonly received: ClaimRequest[] = [];
  /** holder → the payment: at most one per citizen, whatever was resent */
  readonly payments = new Map<string, { kiosk: string; key: string; at: number; amount: number }>();
  /** decide, but never answer: the reply is lost */
  loseReplies = false;
  /** decide, and answer only on release(): a slow hub */
  holdReplies = false;
  private held: Array<() => void> = [];

  constructor(private readonly o: SimPayoutHubOptions) {}

  decide(req: ClaimRequest): ClaimResult {
    this.received.push(req);
    const p = this.o.programme;
    const base = { v: 1 as const, key: req.key };
    if (req.programme !== p.id) return { ...base, outcome: 'programme-unknown' };
    const paid = this.payments.get(req.holder);
    if (paid && paid.key === req.key) return { ...base, outcome: 'paid', amount: paid.amount, payment: { kiosk: paid.kiosk, at: paid.at } };
    const now = (this.o.now ?? Date.now)();
    if (now < p.validFrom * 1000 || now > p.validUntil * 1000) return { ...base, outcome: 'programme-not-open' };
    const ward = this.o.eligible.get(req.holder);
    if (!ward) return { ...base, outcome: 'not-eligible' };
    if (ward !== this.o.wardOf(req.kiosk)) return { ...base, outcome: 'other-ward', ward };
    if (paid) return { ...base, outcome: 'already-paid', payment: { kiosk: paid.kiosk, at: paid.at } };
    this.payments.set(req.holder, { kiosk: req.kiosk, key: req.key, at: req.at, amount: p.amount });
    return { ...base, outcome: 'paid', amount: p.amount, payment: { kiosk: req.kiosk, at: req.at } };
  }

  /** How the simulated uplink hands a decided reply back: now, later (held), or never (lost). */
  reply(send: () => void): void {
    if (this.loseReplies) return;
    if (this.holdReplies) { this.held.push(send); return; }
    setImmediate(send);
  }

  /** Sends the replies held back, late. */
  release(): void {
    const h = this.held;
    this.held = [];
    for (const send of h) send();
  }
}

// The payout point's hub side: a payout kiosk claims a payment for a citizen under a support programme; the store
// decides the claim in one transaction (the first claim for a citizen anywhere in the country wins), and the answer
// goes back on the kiosk's claim-result topic. The kiosk's ward is its registered area: a claim for a citizen
// registered elsewhere is refused, since support is paid where the citizen resides.
import { parseClaim, topics, type ClaimResult } from '../../protocol/src/index.js';
import { StoreUnavailable, type HubStore } from './store/port.js';

export interface PayoutOptions {
  store: HubStore;
  wardOf: (kiosk: string) => string | undefined;
  reply: (kiosk: string, topic: string, body: string) => Promise<void>;
  log: (line: string, level?: 'info' | 'warn' | 'error') => void;
  now?: () => number;
}

export class Payouts {
  readonly stats = { claims: 0, paid: 0, refused: 0, rejected: 0 };
  constructor(private readonly o: PayoutOptions) {}

  /** One claim message. Rejects when the store cannot decide: no answer is sent, and the kiosk asks again. */
  async handle(kiosk: string, payload: Buffer): Promise<void> {
    const c = parseClaim(payload);
    if (!c.ok || c.value.kiosk !== kiosk) {
      this.stats.rejected++;
      this.o.log(`payouts: rejected a claim from kiosk ${kiosk}: ${c.ok ? 'it names another kiosk' : JSON.stringify(c.error.slice(0, 200))}`, 'warn');
      return;
    }
    const ward = this.o.wardOf(kiosk);
    this.stats.claims++;
    let result: ClaimResult;
    if (!ward || !ward.includes('/')) {
      result = { v: 1, key: c.value.key, outcome: 'other-ward' };
      this.o.log(`payouts: kiosk ${kiosk} is registered for area ${JSON.stringify(ward ?? '')}, not a ward: register payout kiosks with their ward (chot device add --area 79/26734)`, 'warn');
    } else {
      try {
        const d = await this.o.store.claim({ ...c.value, ward, now: (this.o.now ?? Date.now)() });
        result = { v: 1, key: c.value.key, ...d };
      } catch (e) {
        if (!(e instanceof StoreUnavailable)) this.o.log(`payouts: could not decide a claim from kiosk ${kiosk}: ${(e as Error).message}`, 'error');
        throw e;
      }
    }
    if (result.outcome === 'paid') this.stats.paid++; else this.stats.refused++;
    // no citizen data in the log: the programme, the kiosk and the outcome
    this.o.log(`payouts: ${c.value.programme} at ${kiosk}: ${result.outcome}${result.payment && result.outcome === 'already-paid' ? ` (paid at ${result.payment.kiosk})` : ''}`);
    await this.o.reply(kiosk, topics.claimResult(kiosk), JSON.stringify(result));
  }
}

// chot doctor's line for a payout desk: the ward's programme list it holds (read with the desk's own code and the
// root key), whether the programme pays now, and the claims in the claim book still waiting for the hub.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import type { KioskConfig } from '../config.js';
import { ClaimBook } from './claims.js';
import { ProgrammeHold } from './programme-hold.js';
import { money, programmeOpen, when } from './decide.js';

export interface PayoutCheck { name: 'payout'; ok: boolean; warn?: boolean; detail: string; fix?: string }

export function payoutCheck(c: KioskConfig, now = Date.now()): PayoutCheck | undefined {
  if (c.mode !== 'payout' || !c.payout) return undefined;
  const ward = c.payout.ward ?? c.kiosk.area;
  const refused: string[] = [];
  let hold: ProgrammeHold, book: ClaimBook;
  try {
    const root = createPublicKey(readFileSync(c.rootKey, 'utf8'));
    hold = new ProgrammeHold(c.stateDir, root, c.payout.programme, ward, (l) => refused.push(l));
    book = new ClaimBook(c.stateDir, (l) => refused.push(l));
  } catch (e) {
    return { name: 'payout', ok: false, detail: `cannot read the desk's list or claim book: ${(e as Error).message}`, fix: 'run the doctor as the kiosk\'s user or root; see "lists" for the root key' };
  }
  const h = hold.held;
  const n = book.counts();
  const claims = `claims: ${n.paid} paid here, ${n.pending} waiting for the hub, ${n.owed} owed to citizens who left before a late answer`;
  if (!h) {
    return { name: 'payout', ok: false, detail: `no list of programme ${c.payout.programme} for ward ${ward}${refused.length ? ` (${refused.join('; ')})` : ''}: nothing can be paid; ${claims}`, fix: `connect the kiosk to the hub; on the hub, chot programme import must have listed citizens of ward ${ward} for ${c.payout.programme}` };
  }
  const p = h.programme;
  const open = programmeOpen(p, now);
  const tz = c.kiosk.timeZone;
  const detail = `${p.id} v${p.version} for ward ${ward}: ${h.holders.size} eligible, ${money(p.amount).en} each, paying ${when(p.validFrom * 1000, tz)} to ${when(p.validUntil * 1000, tz)}; ${claims}`;
  if (open !== 'open') return { name: 'payout', ok: true, warn: true, detail: `${detail}: the programme ${open === 'ended' ? 'has ended' : 'has not started'}, every citizen is refused`, fix: 'the programme\'s dates are the hub\'s (chot programme import --from --until): check them with the ward office' };
  if (n.pending) return { name: 'payout', ok: true, warn: true, detail: `${detail}: the hub has not answered ${n.pending} claim${n.pending === 1 ? '' : 's'} yet`, fix: 'restore the link to the hub (check "hub" above): the desk sends them again with their keys' };
  return { name: 'payout', ok: true, detail };
}

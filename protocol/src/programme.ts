// A support programme (COVID support paid "so that one citizen cannot be paid twice"): id, name, amount and
// validity, and the holder tokens eligible in each ward, where support is paid. Signed by the root like the status
// list, one signed list per ward: a payout kiosk at a ward office takes only its own ward's (a nation's list would be
// tens of megabytes), and each ward's list is versioned with the programme. The hub keeps the whole programme in its
// store and decides every claim: money is never paid offline.
import type { KeyObject } from 'node:crypto';
import type { CborKey, CborValue } from './cbor.js';
import { KeySet, KeySetError } from './keyset.js';
import { ID_BYTES } from './pass.js';
import { isArea } from './area.js';
import { ListError, field, isBytes, isText, isUint, openList, signList } from './signed-list.js';

export const PROGRAMME_ID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;

export interface Programme {
  id: string;
  name: string;
  /** amount paid to each eligible citizen, in đồng */
  amount: number;
  /** seconds since 1970 */
  validFrom: number;
  validUntil: number;
  version: number;
}

export interface ProgrammeWard { programme: Programme; ward: string; holders: KeySet }

const P_ID = 1, P_NAME = 2, P_AMOUNT = 3, P_FROM = 4, P_UNTIL = 5, P_VERSION = 6, P_WARD = 7, P_HOLDERS = 8;

export function checkProgramme(p: Programme): void {
  if (!PROGRAMME_ID_RE.test(p.id)) throw new Error(`programme id ${JSON.stringify(p.id)} must be 1–32 of a-z 0-9 -`);
  if (!p.name || p.name.length > 200) throw new Error('programme name must be 1–200 characters');
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0) throw new Error(`amount ${p.amount} must be a whole number of đồng above 0`);
  if (!(Number.isSafeInteger(p.validFrom) && Number.isSafeInteger(p.validUntil) && p.validUntil > p.validFrom)) throw new Error('validUntil must be after validFrom');
  if (!Number.isSafeInteger(p.version) || p.version < 1) throw new Error('version must be 1 or more');
}

export function signProgrammeWard(p: Programme, ward: string, holders: Iterable<Uint8Array>, rootKey: KeyObject): Uint8Array {
  checkProgramme(p);
  if (!isArea(ward) || !ward.includes('/')) throw new Error(`ward ${JSON.stringify(ward)} is not a ward code like 79/26734`);
  const set = KeySet.build([...holders].map((h) => [h] as [Uint8Array]), ID_BYTES, false);
  const body = new Map<CborKey, CborValue>([
    [P_ID, p.id], [P_NAME, p.name], [P_AMOUNT, p.amount], [P_FROM, p.validFrom], [P_UNTIL, p.validUntil], [P_VERSION, p.version],
    [P_WARD, ward], [P_HOLDERS, set.toRecords()],
  ]);
  return signList('programme', body, rootKey);
}

export function openProgrammeWard(bytes: Uint8Array, rootPublic: KeyObject): ProgrammeWard {
  const body = openList(bytes, rootPublic, 'programme', 64);
  const programme: Programme = {
    id: field(body, P_ID, 'id', isText), name: field(body, P_NAME, 'name', isText), amount: field(body, P_AMOUNT, 'amount', isUint),
    validFrom: field(body, P_FROM, 'validFrom', isUint), validUntil: field(body, P_UNTIL, 'validUntil', isUint), version: field(body, P_VERSION, 'version', isUint),
  };
  try { checkProgramme(programme); } catch (e) { throw new ListError('malformed', `programme list: ${(e as Error).message}`); }
  const ward = field(body, P_WARD, 'ward', isText);
  if (!isArea(ward)) throw new ListError('malformed', `programme list: ward ${JSON.stringify(ward)} is not an area code`);
  let holders: KeySet;
  try { holders = KeySet.fromRecords(field(body, P_HOLDERS, 'holders', isBytes), ID_BYTES, false); } catch (e) {
    if (e instanceof KeySetError) throw new ListError('malformed', `programme list holders: ${e.message}`);
    throw e;
  }
  return { programme, ward, holders };
}

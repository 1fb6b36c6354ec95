// The chot pass: a health declaration plus a travel permit, as CWT claims (RFC 8392). Field by field in
// protocol/README.md. Decoding is strict: every field has a type and a bound, and anything else is malformed.
import type { CborKey, CborValue } from './cbor.js';
import { areaToWire, type Area } from './area.js';
import { CWT_CTI, CWT_EXP, CWT_IAT, CWT_ISS, CWT_NBF, checkCredential, claimReader, fieldFault, isBytes, isStr, isTime, isUint, isUintArray, type Fail } from './claims.js';

export const PASS_PREFIX = 'VN1:';

export const CATEGORIES = ['resident', 'shipper', 'official', 'medical', 'goods', 'foreign'] as const;
export type Category = (typeof CATEGORIES)[number];
export const HEALTH_STATES = ['none', 'F3', 'F2', 'F1', 'F0'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export const ID_BYTES = 8;
export const LIMITS = { name: 64, plate: 12, areas: 8, windows: 4, issuer: 16 } as const;

export interface Pass {
  /** Unique per pass (the issuing authority guarantees it); revocation refers to it. */
  id: Uint8Array;
  /** Issuer code, e.g. "VN-79" for Ho Chi Minh City's health department. */
  issuer: string;
  issuedAt: number;
  validFrom: number;
  validUntil: number;
  holderName: string;
  /** Last 4 digits of the 12-digit citizen id, for the officer's check against the ID card. */
  idLast4: string;
  /** Random, unique per holder; status lists refer to it and it reveals nothing about the person. */
  holderToken: Uint8Array;
  category: Category;
  areas: Area[];
  /** Local daily windows [start, end) in minutes since midnight; empty means all day. */
  hours: Array<[number, number]>;
  plate?: string;
  health: HealthState;
  declaredAt: number;
}

// CWT claim keys (RFC 8392) and our private claim holding the pass body.
export const CLAIM_PASS = -65537;
const P_NAME = 1, P_LAST4 = 2, P_TOKEN = 3, P_CATEGORY = 4, P_AREAS = 5, P_HOURS = 6, P_PLATE = 7, P_HEALTH = 8, P_DECLARED = 9;

export class PassFormatError extends Error {}

export function passToClaims(p: Pass): Map<CborKey, CborValue> {
  checkPass(p);
  const body = new Map<CborKey, CborValue>([
    [P_NAME, p.holderName],
    [P_LAST4, p.idLast4],
    [P_TOKEN, p.holderToken],
    [P_CATEGORY, CATEGORIES.indexOf(p.category)],
    [P_AREAS, p.areas.map(areaToWire)],
  ]);
  if (p.hours.length) body.set(P_HOURS, p.hours.flat());
  if (p.plate) body.set(P_PLATE, p.plate);
  body.set(P_HEALTH, HEALTH_STATES.indexOf(p.health));
  body.set(P_DECLARED, p.declaredAt);
  return new Map<CborKey, CborValue>([
    [CWT_ISS, p.issuer], [CWT_EXP, p.validUntil], [CWT_NBF, p.validFrom], [CWT_IAT, p.issuedAt], [CWT_CTI, p.id],
    [CLAIM_PASS, body],
  ]);
}

/** Checks a pass before issuing it, with the field name in the error. */
export function checkPass(p: Pass): void {
  const bad = fieldFault('pass', failPass);
  checkCredential(p, bad, { idBytes: ID_BYTES, issuer: LIMITS.issuer, areas: LIMITS.areas }, ['issuedAt', 'validFrom', 'validUntil', 'declaredAt']);
  if (!(p.holderToken instanceof Uint8Array) || p.holderToken.length !== ID_BYTES) bad('holderToken', `must be ${ID_BYTES} bytes`, p.holderToken);
  if (!p.holderName.trim() || [...p.holderName].length > LIMITS.name) bad('holderName', `must be 1–${LIMITS.name} characters`, p.holderName);
  if (!/^\d{4}$/.test(p.idLast4)) bad('idLast4', 'must be exactly 4 digits', p.idLast4);
  if (!CATEGORIES.includes(p.category)) bad('category', `must be one of ${CATEGORIES.join(', ')}`, p.category);
  if (p.hours.length > LIMITS.windows) bad('hours', `must hold at most ${LIMITS.windows} windows`, p.hours);
  for (const w of p.hours) if (!isWindow(w)) bad('hours', 'holds a window that is not two distinct minutes of the day', w);
  if (p.plate !== undefined && !isPlate(p.plate)) bad('plate', `must be 1–${LIMITS.plate} of 0-9 A-Z . -`, p.plate);
  if (!HEALTH_STATES.includes(p.health)) bad('health', `must be one of ${HEALTH_STATES.join(', ')}`, p.health);
}

const failPass: Fail = (m) => { throw new PassFormatError(m); };
const isWindow = (w: unknown): w is [number, number] =>
  Array.isArray(w) && w.length === 2 && w.every((m) => Number.isInteger(m) && m >= 0 && m <= 1440) && w[0] !== w[1];
const isPlate = (s: string): boolean => s.length >= 1 && s.length <= LIMITS.plate && /^[0-9A-Z.-]+$/.test(s);

/** Reads claims decoded from CBOR into a Pass; throws PassFormatError naming the first bad field. */
export function passFromClaims(c: CborValue): Pass {
  const read = claimReader('pass', failPass);
  const { want } = read;
  const { claims, body } = read.body(c, CLAIM_PASS, 'chot pass');
  const areas = read.areas(body, P_AREAS, LIMITS.areas);
  const hoursFlat = body.has(P_HOURS) ? want(body, P_HOURS, 'hours', isUintArray) : [];
  if (hoursFlat.length % 2 || hoursFlat.length > LIMITS.windows * 2) throw new PassFormatError(`pass field hours holds ${hoursFlat.length} numbers, not pairs of at most ${LIMITS.windows} windows`);
  const hours: Array<[number, number]> = [];
  for (let i = 0; i < hoursFlat.length; i += 2) {
    const w: [number, number] = [hoursFlat[i], hoursFlat[i + 1]];
    if (!isWindow(w)) throw new PassFormatError(`pass field hours holds ${JSON.stringify(w)}, not a window of the day`);
    hours.push(w);
  }
  const plate = body.has(P_PLATE) ? want(body, P_PLATE, 'plate', isStr(LIMITS.plate)) : undefined;
  if (plate !== undefined && !isPlate(plate)) throw new PassFormatError(`pass field plate ${JSON.stringify(plate)} holds characters other than 0-9 A-Z . -`);
  const name = want(body, P_NAME, 'holderName', isStr(LIMITS.name * 4));
  if ([...name].length > LIMITS.name) throw new PassFormatError(`pass field holderName is longer than ${LIMITS.name} characters`);
  const last4 = want(body, P_LAST4, 'idLast4', isStr(4));
  if (!/^\d{4}$/.test(last4)) throw new PassFormatError(`pass field idLast4 ${JSON.stringify(last4)} is not 4 digits`);
  const p: Pass = {
    ...read.common(claims, { idBytes: ID_BYTES, issuer: LIMITS.issuer }),
    holderName: name,
    idLast4: last4,
    holderToken: want(body, P_TOKEN, 'holderToken', isBytes(ID_BYTES)),
    category: CATEGORIES[want(body, P_CATEGORY, 'category', isUint(CATEGORIES.length - 1))],
    areas,
    hours,
    plate,
    health: HEALTH_STATES[want(body, P_HEALTH, 'health', isUint(HEALTH_STATES.length - 1))],
    declaredAt: want(body, P_DECLARED, 'declaredAt', isTime),
  };
  return p;
}

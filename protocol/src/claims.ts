// What a pass and an officer's card share as CWT claims (RFC 8392): the standard claim keys, the checks of the
// common fields before signing, and the strict reading of decoded claims. Every error names the credential and
// the field ("pass field areas …", "officer field code …"), thrown as the credential's own error class.
import type { CborKey, CborValue } from './cbor.js';
import { areaFromWire, isArea, type Area } from './area.js';

export const CWT_ISS = 1, CWT_EXP = 4, CWT_NBF = 5, CWT_IAT = 6, CWT_CTI = 7;

export const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 2 ** 40;
export const isStr = (max: number) => (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
export const isBytes = (n: number) => (v: unknown): v is Uint8Array => v instanceof Uint8Array && v.length === n;
export const isUint = (max: number) => (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
export const isUintArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0);

/** Throws the credential's own error with this message. */
export type Fail = (message: string) => never;

/** The fields every chot credential carries. */
export interface Credential { id: Uint8Array; issuer: string; issuedAt: number; validFrom: number; validUntil: number; areas: Area[] }
export interface CredentialLimits { idBytes: number; issuer: number; areas: number }

/** bad(field, why, value): the error for a field that cannot be signed, with its value. */
export function fieldFault(kind: string, fail: Fail): (field: string, why: string, v: unknown) => never {
  return (field, why, v) => fail(`${kind} field ${field} ${why}: ${JSON.stringify(v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)}`);
}

/** Checks the common fields before signing; `times` names the credential's time fields (whole seconds). */
export function checkCredential<C extends Credential>(c: C, bad: (field: string, why: string, v: unknown) => never, limits: CredentialLimits, times: ReadonlyArray<keyof C & string>): void {
  if (!(c.id instanceof Uint8Array) || c.id.length !== limits.idBytes) bad('id', `must be ${limits.idBytes} bytes`, c.id);
  if (!c.issuer || c.issuer.length > limits.issuer) bad('issuer', `must be 1–${limits.issuer} characters`, c.issuer);
  for (const f of times) if (!isTime(c[f])) bad(f, 'must be whole seconds since 1970', c[f]);
  if (c.validUntil <= c.validFrom) bad('validUntil', 'must be after validFrom', c.validUntil);
  if (c.areas.length < 1 || c.areas.length > limits.areas) bad('areas', `must hold 1–${limits.areas} areas`, c.areas);
  for (const a of c.areas) if (!isArea(a)) bad('areas', 'holds a code that is not an area', a);
}

/** Reads decoded claims strictly: the body under `claim`, typed fields, and the common fields. */
export function claimReader(kind: string, fail: Fail) {
  const want = <T>(m: Map<CborKey, CborValue>, k: number, name: string, ok: (v: unknown) => v is T): T => {
    const v = m.get(k);
    if (!ok(v)) fail(`${kind} field ${name} (key ${k}) is missing or has the wrong type`);
    return v as T;
  };
  return {
    want,
    /** The CWT map and the credential's body in it. */
    body(c: CborValue, claim: number, what: string): { claims: Map<CborKey, CborValue>; body: Map<CborKey, CborValue> } {
      if (!(c instanceof Map)) fail('claims are not a CBOR map');
      const claims = c as Map<CborKey, CborValue>;
      const body = claims.get(claim);
      if (!(body instanceof Map)) fail(`claims carry no ${what} body (claim ${claim})`);
      return { claims, body: body as Map<CborKey, CborValue> };
    },
    /** Areas on the wire (numbers) back to codes, each one checked. */
    areas(body: Map<CborKey, CborValue>, key: number, max: number): Area[] {
      const wire = want(body, key, 'areas', isUintArray);
      if (wire.length < 1 || wire.length > max) fail(`${kind} field areas holds ${wire.length} areas, not 1–${max}`);
      return wire.map((n) => areaFromWire(n) ?? fail(`${kind} field areas holds ${n}, which names no area`));
    },
    /** The standard claims: id (cti), issuer (iss), issuedAt (iat), validFrom (nbf), validUntil (exp). */
    common(claims: Map<CborKey, CborValue>, limits: Omit<CredentialLimits, 'areas'>): Omit<Credential, 'areas'> {
      const r = {
        id: want(claims, CWT_CTI, 'id (cti)', isBytes(limits.idBytes)),
        issuer: want(claims, CWT_ISS, 'issuer (iss)', isStr(limits.issuer)),
        issuedAt: want(claims, CWT_IAT, 'issuedAt (iat)', isTime),
        validFrom: want(claims, CWT_NBF, 'validFrom (nbf)', isTime),
        validUntil: want(claims, CWT_EXP, 'validUntil (exp)', isTime),
      };
      if (r.validUntil <= r.validFrom) fail(`${kind} validUntil is not after validFrom`);
      return r;
    },
  };
}

// The officer's card: a signed QR an officer scans at the booth to go on duty. Same envelope as a pass (Base45,
// zlib, COSE_Sign1, CWT claims) under its own prefix, so a pass can never be taken for a card or the reverse.
// It is verified offline against the trust list: the signer must be an issuer key allowed to issue 'official'
// passes for every area on the card, within the key's validity; the card is revoked through the status list's
// revoked pass ids, like a pass.
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { CborError, decodeCbor, encodeCbor, type CborKey, type CborValue } from './cbor.js';
import { decodeSign1, encodeSign1, kidOfSign1, toBeSigned } from './cose.js';
import { EnvelopeError, unwrapEnvelope, wrapEnvelope } from './envelope.js';
import { algOfKey, hex, kidOf, spkiOf, verifyBytes } from './keys.js';
import { areaContains, areaToWire, type Area } from './area.js';
import { CWT_CTI, CWT_EXP, CWT_IAT, CWT_ISS, CWT_NBF, checkCredential, claimReader, fieldFault, isStr, type Fail } from './claims.js';
import { ID_BYTES, LIMITS } from './pass.js';
import { messageFor, type Reason } from './reasons.js';
import { PASS_CBOR_LIMITS, PASS_LIMITS, type VerifyContext } from './verdict.js';
import { findSigner } from './trust-list.js';

export const OFFICER_PREFIX = 'VNO1:';
/** An officer's code: a staff number, never a citizen id. It becomes a counter key at the hub (`f:CODE`). */
export const OFFICER_CODE_PATTERN = '^[A-Za-z0-9._-]{1,32}$';
const CODE_RE = new RegExp(OFFICER_CODE_PATTERN);

export interface Officer {
  /** Unique per card; revocation refers to it (the status list's revoked pass ids). */
  id: Uint8Array;
  code: string;
  name: string;
  issuer: string;
  issuedAt: number;
  validFrom: number;
  validUntil: number;
  /** Where the officer may be on duty. */
  areas: Area[];
}

export const CLAIM_OFFICER = -65538;
const O_CODE = 1, O_NAME = 2, O_AREAS = 3;

export class OfficerFormatError extends Error {}

const failOfficer: Fail = (m) => { throw new OfficerFormatError(m); };

export function checkOfficer(o: Officer): void {
  const bad = fieldFault('officer', failOfficer);
  checkCredential(o, bad, { idBytes: ID_BYTES, issuer: LIMITS.issuer, areas: LIMITS.areas }, ['issuedAt', 'validFrom', 'validUntil']);
  if (!CODE_RE.test(o.code)) bad('code', 'must be 1–32 of A-Z a-z 0-9 . _ -', o.code);
  if (!o.name.trim() || [...o.name].length > LIMITS.name) bad('name', `must be 1–${LIMITS.name} characters`, o.name);
}

function officerToClaims(o: Officer): Map<CborKey, CborValue> {
  checkOfficer(o);
  const body = new Map<CborKey, CborValue>([[O_CODE, o.code], [O_NAME, o.name], [O_AREAS, o.areas.map(areaToWire)]]);
  return new Map<CborKey, CborValue>([[CWT_ISS, o.issuer], [CWT_EXP, o.validUntil], [CWT_NBF, o.validFrom], [CWT_IAT, o.issuedAt], [CWT_CTI, o.id], [CLAIM_OFFICER, body]]);
}

function officerFromClaims(c: CborValue): Officer {
  const read = claimReader('officer', failOfficer);
  const { claims, body } = read.body(c, CLAIM_OFFICER, 'officer');
  const areas = read.areas(body, O_AREAS, LIMITS.areas);
  const o: Officer = {
    ...read.common(claims, { idBytes: ID_BYTES, issuer: LIMITS.issuer }),
    code: read.want(body, O_CODE, 'code', (v): v is string => typeof v === 'string' && CODE_RE.test(v)),
    name: read.want(body, O_NAME, 'name', isStr(LIMITS.name * 4)),
    areas,
  };
  if ([...o.name].length > LIMITS.name) throw new OfficerFormatError(`officer field name is longer than ${LIMITS.name} characters`);
  return o;
}

/** Signs an officer's card with an issuer's private key and returns the QR text. */
export function issueOfficer(o: Officer, issuerKey: KeyObject): string {
  const alg = algOfKey(issuerKey);
  const pub = createPublicKey(issuerKey);
  const cose = encodeSign1(encodeCbor(officerToClaims(o)), alg, kidOf(spkiOf(pub)), issuerKey);
  const s = decodeSign1(cose);
  if (!verifyBytes(alg, pub, toBeSigned(s.protectedBytes, s.payload), s.signature)) {
    throw new Error('the issuer key\'s public half does not verify its own signature: the key file is damaged');
  }
  return wrapEnvelope(cose, OFFICER_PREFIX);
}

/** What the booth learns from a card: who (code and name, never a citizen id) and until when. */
export interface OfficerOnDuty { code: string; name: string; cardId: string; validUntil: number }

export type OfficerCheck =
  | { ok: true; officer: OfficerOnDuty }
  | { ok: false; reason: Reason; message: { vi: string; en: string }; detail: string };

const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/** Verifies an officer's card for this checkpoint now; never throws. Only the trust list, status list, clock
 *  and checkpoint area of the context are used. */
export function verifyOfficer(text: string, ctx: Pick<VerifyContext, 'trust' | 'status' | 'now' | 'checkpoint' | 'skewSeconds' | 'checkTime'>): OfficerCheck {
  const no = (reason: Reason, detail: string): OfficerCheck => ({ ok: false, reason, message: messageFor(reason), detail });
  try {
    if (typeof text !== 'string' || !text.startsWith(OFFICER_PREFIX)) return no('unsupported-format', `text does not start with ${OFFICER_PREFIX}`);
    let sign1;
    try {
      sign1 = decodeSign1(unwrapEnvelope(text, OFFICER_PREFIX, PASS_LIMITS), PASS_CBOR_LIMITS.sign1);
    } catch (e) {
      if (e instanceof EnvelopeError || e instanceof CborError) return no('malformed', (e as Error).message);
      throw e;
    }
    const kid = kidOfSign1(sign1);
    if (!kid) return no('malformed', 'no key id in the COSE header');
    const candidates = (ctx.trust.byKid.get(hex(kid)) ?? []).filter((e) => e.kind === 'pass');
    if (!candidates.length) return no('unknown-key', `key id ${hex(kid)} is not in trust list version ${ctx.trust.version}`);
    const signer = findSigner(sign1, candidates);
    if (!signer) return no('bad-signature', `signature does not verify with key ${hex(kid)}`);
    let o: Officer;
    try {
      o = officerFromClaims(decodeCbor(sign1.payload, PASS_CBOR_LIMITS.claims));
    } catch (e) {
      if (e instanceof CborError || e instanceof OfficerFormatError) return no('malformed', (e as Error).message);
      throw e;
    }
    if (o.issuer !== signer.issuer) return no('issuer-not-allowed', `card names issuer ${o.issuer} but key ${hex(kid)} belongs to ${signer.issuer}`);
    if (o.issuedAt < signer.validFrom || o.issuedAt > signer.validUntil) return no('key-not-valid', `issued at ${iso(o.issuedAt)}, outside the key's validity ${iso(signer.validFrom)}–${iso(signer.validUntil)}`);
    // an officer's card is an 'official' credential: only a key allowed to issue those may sign one
    if (!signer.categories.includes('official')) return no('issuer-not-allowed', `issuer ${signer.issuer} may not issue official credentials`);
    for (const a of o.areas) if (!signer.areas.some((s) => areaContains(s, a))) return no('issuer-not-allowed', `issuer ${signer.issuer} may not issue for area ${a}`);
    const now = ctx.now / 1000, skew = ctx.skewSeconds ?? 300;
    if (ctx.checkTime ?? true) {
      if (now + skew < o.validFrom) return no('not-yet-valid', `valid from ${iso(o.validFrom)}, now ${iso(now)}`);
      if (now - skew >= o.validUntil) return no('expired', `valid until ${iso(o.validUntil)}, now ${iso(now)}`);
    }
    if (ctx.status.revokedPasses.has(o.id)) return no('revoked', `card ${hex(o.id)} is revoked in status list version ${ctx.status.version}`);
    if (!o.areas.some((a) => areaContains(a, ctx.checkpoint.area))) return no('wrong-area', `card areas ${o.areas.join(', ')} do not include checkpoint area ${ctx.checkpoint.area}`);
    return { ok: true, officer: { code: o.code, name: o.name, cardId: hex(o.id), validUntil: o.validUntil } };
  } catch (e) {
    return no('malformed', `unexpected error: ${(e as Error)?.message ?? String(e)}`);
  }
}

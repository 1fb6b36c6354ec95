// The verdict: a pure function of the QR text, the lists held, the clock and the checkpoint. It never
// throws; everything that is not a valid pass for this checkpoint at this time is red with a reason.
import type { KeyObject } from 'node:crypto';
import { CborError, decodeCbor, encodeCbor } from './cbor.js';
import { decodeSign1, encodeSign1, kidOfSign1, algIdOfSign1, toBeSigned } from './cose.js';
import { unwrapEnvelope, wrapEnvelope, EnvelopeError, DEFAULT_LIMITS } from './envelope.js';
import { algOfKey, hex, kidOf, spkiOf, verifyBytes } from './keys.js';
import { PASS_PREFIX, PassFormatError, passFromClaims, passToClaims, type Category, type Pass } from './pass.js';
import { areaContains, type Area } from './area.js';
import { DEFAULT_TIME_ZONE, formatMinutes, inWindow, localMinuteOfDay } from './time.js';
import { messageFor, type Reason } from './reasons.js';
import { originOf } from './messages.js';
import { healthOf, type StatusList } from './status-list.js';
import { findSigner, type TrustList } from './trust-list.js';
import { createPublicKey } from 'node:crypto';

export interface Checkpoint {
  /** The checkpoint's area: "79/26734", or a province "79". */
  area: Area;
  timeZone?: string;
  /** Categories this checkpoint accepts; all when absent. */
  acceptedCategories?: Category[];
  /** The health declaration must be no older than this many hours; no requirement when absent. */
  maxDeclarationAgeHours?: number;
}

export interface VerifyContext {
  trust: TrustList;
  status: StatusList;
  /** Now, in ms since 1970. */
  now: number;
  checkpoint: Checkpoint;
  /** Tolerated clock difference between issuer and kiosk, in seconds (default 300). */
  skewSeconds?: number;
  /** False when the kiosk clock is not synchronised and the policy is not to decide on time. */
  checkTime?: boolean;
}

export interface OfficerSummary {
  name: string;
  /** Pass only: the officer checks it against the citizen id card. */
  idLast4?: string;
  category: string;
  plate?: string;
  /** Pass only: from when it is valid (ISO); the officer checks a "not valid yet" or an "expired" against it. */
  validFrom?: string;
  validUntil: string;
  issuer: string;
  areas: string[];
  hours?: string[];
  health?: string;
  /** DCC: date of birth and what the certificate proves. */
  dateOfBirth?: string;
  proves?: string;
  /** DCC: how the certificate departs from its schema where the verdict does not depend on it (as Verdict.warnings). */
  warnings?: string[];
}

export interface Verdict {
  verdict: 'green' | 'red';
  reason: Reason;
  format: 'pass' | 'dcc' | 'unknown';
  message: { vi: string; en: string };
  /** One line for logs and technicians: what exactly failed, with the failing value. */
  detail?: string;
  passId?: string;
  holderToken?: string;
  /** Where the code comes from, from its verified signer (messages.ts originOf): "VN-79", "VN", "DE". */
  origin?: string;
  summary?: OfficerSummary;
  /** For DCCs: the decoded certificate. */
  certificate?: unknown;
  /** For DCCs: deviations from the DCC schema that did not decide the verdict, one line each. */
  warnings?: string[];
}

export function red(reason: Reason, format: Verdict['format'], detail?: string, extra: Partial<Verdict> = {}): Verdict {
  return { verdict: 'red', reason, format, message: messageFor(reason), detail, ...extra };
}

/** What reading a pass may cost, whatever the QR holds: its text, what it inflates to, and the CBOR of the COSE
 *  envelope and of the claims (depth and items). The fuzz test holds every input to these. */
export const PASS_LIMITS = { ...DEFAULT_LIMITS, maxText: 1200, maxInflated: 1024 };
export const PASS_CBOR_LIMITS = { sign1: { maxDepth: 4, maxItems: 32 }, claims: { maxDepth: 4, maxItems: 128 } } as const;

export function verifyPass(text: string, ctx: VerifyContext): Verdict {
  try {
    return verifyPassUnsafe(text, ctx);
  } catch (e) {
    // Everything expected is handled above; this is the last line that keeps a kiosk answering.
    return red('malformed', 'pass', `unexpected error: ${(e as Error)?.message ?? String(e)}`);
  }
}

function verifyPassUnsafe(text: string, ctx: VerifyContext): Verdict {
  if (typeof text !== 'string' || !text.startsWith(PASS_PREFIX)) return red('unsupported-format', 'unknown', `text does not start with ${PASS_PREFIX}`);
  let sign1;
  try {
    sign1 = decodeSign1(unwrapEnvelope(text, PASS_PREFIX, PASS_LIMITS), PASS_CBOR_LIMITS.sign1);
  } catch (e) {
    if (e instanceof EnvelopeError || e instanceof CborError) return red('malformed', 'pass', (e as Error).message);
    throw e;
  }
  const kid = kidOfSign1(sign1);
  if (!kid) return red('malformed', 'pass', 'no key id in the COSE header');
  const candidates = (ctx.trust.byKid.get(hex(kid)) ?? []).filter((e) => e.kind === 'pass');
  if (!candidates.length) return red('unknown-key', 'pass', `key id ${hex(kid)} is not in trust list version ${ctx.trust.version}`);
  const signer = findSigner(sign1, candidates);
  if (!signer) {
    const headerAlg = algIdOfSign1(sign1);
    return red('bad-signature', 'pass', `signature does not verify with key ${hex(kid)}${headerAlg !== undefined ? ` (header alg ${headerAlg})` : ''}`);
  }

  let pass: Pass;
  try {
    pass = passFromClaims(decodeCbor(sign1.payload, PASS_CBOR_LIMITS.claims));
  } catch (e) {
    if (e instanceof CborError || e instanceof PassFormatError) return red('malformed', 'pass', (e as Error).message);
    throw e;
  }
  // the origin from the trust list's entry for the key that signed, not from the pass's own claim
  const origin = originOf('pass', signer.issuer);
  const ids = { passId: hex(pass.id), holderToken: hex(pass.holderToken), summary: summarise(pass), ...(origin ? { origin } : {}) };
  const r = (reason: Reason, detail: string): Verdict => red(reason, 'pass', detail, ids);

  if (pass.issuer !== signer.issuer) return r('issuer-not-allowed', `pass names issuer ${pass.issuer} but key ${hex(kid)} belongs to ${signer.issuer}`);
  if (pass.issuedAt < signer.validFrom || pass.issuedAt > signer.validUntil) {
    return r('key-not-valid', `issued at ${iso(pass.issuedAt)}, outside the key's validity ${iso(signer.validFrom)}–${iso(signer.validUntil)}`);
  }
  if (!signer.categories.includes(pass.category)) return r('issuer-not-allowed', `issuer ${signer.issuer} may not issue category ${pass.category}`);
  for (const a of pass.areas) {
    if (!signer.areas.some((s) => areaContains(s, a))) return r('issuer-not-allowed', `issuer ${signer.issuer} may not issue for area ${a} (allowed: ${signer.areas.join(', ')})`);
  }

  const checkTime = ctx.checkTime ?? true;
  const skew = ctx.skewSeconds ?? 300;
  const now = ctx.now / 1000;
  if (checkTime) {
    if (now + skew < pass.validFrom) return r('not-yet-valid', `valid from ${iso(pass.validFrom)}, now ${iso(now)}`);
    if (now - skew >= pass.validUntil) return r('expired', `valid until ${iso(pass.validUntil)}, now ${iso(now)}`);
  }
  if (ctx.status.revokedPasses.has(pass.id)) return r('revoked', `pass ${ids.passId} is revoked in status list version ${ctx.status.version}`);
  if (pass.health === 'F0' || pass.health === 'F1') return r('health-status', `holder was ${pass.health} at issue`);
  const currentState = healthOf(ctx.status, pass.holderToken);
  if (currentState === 'F0' || currentState === 'F1') return r('health-status', `holder is ${currentState} in status list version ${ctx.status.version}`);
  const cp = ctx.checkpoint;
  if (checkTime && cp.maxDeclarationAgeHours !== undefined && now - pass.declaredAt > cp.maxDeclarationAgeHours * 3600 + skew) {
    return r('declaration-stale', `declared ${iso(pass.declaredAt)}, older than ${cp.maxDeclarationAgeHours} h`);
  }
  if (cp.acceptedCategories && !cp.acceptedCategories.includes(pass.category)) return r('category-refused', `category ${pass.category} is not accepted here`);
  if (!pass.areas.some((a) => areaContains(a, cp.area))) return r('wrong-area', `pass areas ${pass.areas.join(', ')} do not include checkpoint area ${cp.area}`);
  if (checkTime && pass.hours.length) {
    const minute = localMinuteOfDay(ctx.now, cp.timeZone ?? DEFAULT_TIME_ZONE);
    if (!pass.hours.some((w) => inWindow(minute, w))) {
      return r('outside-hours', `local time ${formatMinutes(minute)} is outside ${pass.hours.map(windowText).join(', ')}`);
    }
  }
  return { verdict: 'green', reason: 'ok', format: 'pass', message: messageFor('ok'), ...ids };
}

const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const windowText = (w: [number, number]): string => `${formatMinutes(w[0])}-${formatMinutes(w[1])}`;

function summarise(p: Pass): OfficerSummary {
  return {
    name: p.holderName, idLast4: p.idLast4, category: p.category, plate: p.plate, validFrom: iso(p.validFrom), validUntil: iso(p.validUntil),
    issuer: p.issuer, areas: p.areas, hours: p.hours.length ? p.hours.map(windowText) : undefined, health: p.health,
  };
}

/** Signs a pass with an issuer's private key and returns the QR text. */
export function issuePass(pass: Pass, issuerKey: KeyObject): string {
  const claims = encodeCbor(passToClaims(pass));
  const alg = algOfKey(issuerKey);
  const pub = createPublicKey(issuerKey);
  const cose = encodeSign1(claims, alg, kidOf(spkiOf(pub)), issuerKey);
  // A key whose public half does not match its private half (a hand-edited JWK, say) would mint passes that
  // no kiosk accepts: check the signature before anything is printed.
  const s = decodeSign1(cose);
  if (!verifyBytes(alg, pub, toBeSigned(s.protectedBytes, s.payload), s.signature)) {
    throw new Error('the issuer key\'s public half does not verify its own signature: the key file is damaged');
  }
  return wrapEnvelope(cose, PASS_PREFIX);
}

// EU Digital COVID Certificates (HC1:), verified offline as the EU's own verifiers do: Base45 → zlib →
// COSE_Sign1 (tag 18, untagged, or inside CWT tag 61) → CWT claims (1 iss, 4 exp, 6 iat, -260 → 1 the
// certificate). Vietnam's vaccination certificates use this format, and so do foreign travellers'.
import { createHash } from 'node:crypto';
import { CborError, Tagged, cborToJson, decodeCbor, type CborKey, type CborValue } from './cbor.js';
import { decodeSign1, kidOfSign1, type Sign1 } from './cose.js';
import { EnvelopeError, unwrapEnvelope } from './envelope.js';
import { hex } from './keys.js';
import { red, type OfficerSummary, type Verdict } from './verdict.js';
import { messageFor, type Reason } from './reasons.js';
import { findSigner, type TrustEntry, type TrustList } from './trust-list.js';
import type { StatusList } from './status-list.js';
import { DCC_HASH_BYTES } from './status-list.js';

export const DCC_PREFIX = 'HC1:';
const LIMITS = { maxText: 4296, maxInflated: 32 * 1024, requireCompression: true };
const CBOR_LIMITS = { maxDepth: 16, maxItems: 4000, allowIndefinite: true };

export type DccType = 'v' | 't' | 'r';
const TYPE_NAMES: Record<DccType, string> = { v: 'vaccination', t: 'test', r: 'recovery' };
/** Extended key usage OIDs that restrict which kind of certificate a DSC may sign (both spellings in use). */
const EKU: Record<string, DccType> = {
  '1.3.6.1.4.1.1847.2021.1.1': 't', '1.3.6.1.4.1.1847.2021.1.2': 'v', '1.3.6.1.4.1.1847.2021.1.3': 'r',
  '1.3.6.1.4.1.0.1847.2021.1.1': 't', '1.3.6.1.4.1.0.1847.2021.1.2': 'v', '1.3.6.1.4.1.0.1847.2021.1.3': 'r',
};

/** Acceptance rules a checkpoint applies on top of the EU checks. `null` means none: only the checks decide. */
export interface DccRules {
  vaccination?: { minDaysAfterLastDose: number; requireComplete: boolean; maxDaysAfterLastDose?: number };
  test?: { naatMaxHours: number; ratMaxHours: number };
  recovery?: { maxDaysAfterPositive: number };
}

/** Viet Nam's 2021–2022 entry rules, in the shape above. */
export const DEFAULT_DCC_RULES: DccRules = {
  vaccination: { minDaysAfterLastDose: 14, requireComplete: true },
  test: { naatMaxHours: 72, ratMaxHours: 24 },
  recovery: { maxDaysAfterPositive: 180 },
};

export interface DccContext {
  trust: TrustList;
  status: StatusList;
  now: number;
  /** Extra DSCs trusted directly (conformance testing: --dcc-cert). */
  extraDsc?: TrustEntry[];
  rules?: DccRules | null;
  skewSeconds?: number;
  checkTime?: boolean;
}

export function verifyDcc(text: string, ctx: DccContext): Verdict {
  try {
    return verifyDccUnsafe(text, ctx);
  } catch (e) {
    return red('malformed', 'dcc', `unexpected error: ${(e as Error)?.message ?? String(e)}`);
  }
}

function verifyDccUnsafe(text: string, ctx: DccContext): Verdict {
  if (typeof text !== 'string' || !text.startsWith(DCC_PREFIX)) return red('unsupported-format', 'unknown', `text does not start with ${DCC_PREFIX}`);
  let sign1: Sign1;
  try {
    sign1 = decodeSign1(unwrapEnvelope(text, DCC_PREFIX, LIMITS), CBOR_LIMITS);
  } catch (e) {
    if (e instanceof EnvelopeError || e instanceof CborError) return red('malformed', 'dcc', (e as Error).message);
    throw e;
  }
  // The protected kid wins; the unprotected one is used only when the protected header has none.
  const kid = kidOfSign1(sign1);
  if (!kid) return red('unknown-key', 'dcc', 'no key id in the COSE headers');
  const k = hex(kid);
  const candidates = [...(ctx.trust.byKid.get(k) ?? []), ...(ctx.extraDsc ?? []).filter((e) => hex(e.kid) === k)].filter((e) => e.kind === 'dsc');
  if (!candidates.length) return red('unknown-key', 'dcc', `no document signing certificate with key id ${k}`);
  const dsc = findSigner(sign1, candidates);
  if (!dsc) return red('bad-signature', 'dcc', `signature does not verify with the ${candidates.length} DSC(s) of key id ${k}`);

  let claims: Map<CborKey, CborValue>;
  let cert: Record<string, unknown>;
  try {
    const c = decodeCbor(sign1.payload, CBOR_LIMITS);
    if (!(c instanceof Map)) throw new CborError('CWT claims are not a map');
    claims = c;
    const hcert = claims.get(-260);
    const inner = hcert instanceof Map ? hcert.get(1) : undefined;
    if (!(inner instanceof Map)) throw new CborError('claim -260 holds no certificate under key 1');
    cert = cborToJson(inner) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof CborError) return red('malformed', 'dcc', e.message);
    throw e;
  }
  const iat = numeric(claims.get(6));
  const exp = numeric(claims.get(4));
  const iss = typeof claims.get(1) === 'string' ? (claims.get(1) as string) : dsc.issuer;
  const schema = checkSchema(cert);
  if (typeof schema === 'string') return red('malformed', 'dcc', `certificate does not follow the DCC schema: ${schema}`, { certificate: cert });
  const { type, entry } = schema;
  const summary = summarise(cert, type, entry, iss, exp);
  const r = (reason: Reason, detail: string): Verdict => red(reason, 'dcc', detail, { summary, certificate: cert, passId: uciOf(entry) });

  const allowed = dscTypes(dsc);
  if (allowed && !allowed.has(type)) return r('key-usage', `the DSC may sign ${[...allowed].map((t) => TYPE_NAMES[t]).join(', ')}, not ${TYPE_NAMES[type]}`);

  if (ctx.checkTime ?? true) {
    if (iat === undefined || exp === undefined) return r('malformed', 'CWT claims lack iat (6) or exp (4)');
    const now = ctx.now / 1000;
    const skew = ctx.skewSeconds ?? 0;
    if (iat < dsc.validFrom) return r('not-yet-valid', `issued ${iso(iat)}, before its DSC became valid ${iso(dsc.validFrom)}`);
    if (iat > now + skew) return r('not-yet-valid', `issued ${iso(iat)}, after now ${iso(now)}`);
    if (exp < now - skew) return r('expired', `expired ${iso(exp)}, now ${iso(now)}`);
    if (exp > dsc.validUntil) return r('expired', `expires ${iso(exp)}, after its DSC does ${iso(dsc.validUntil)}`);
  }

  if (ctx.status.revokedDcc.size) {
    for (const h of revocationHashes(entry, sign1, dsc)) {
      if (ctx.status.revokedDcc.has(h)) return r('revoked', `certificate ${uciOf(entry)} is revoked in status list version ${ctx.status.version}`);
    }
  }

  const rules = ctx.rules === undefined ? DEFAULT_DCC_RULES : ctx.rules;
  if (rules && (ctx.checkTime ?? true)) {
    const why = applyRules(rules, type, entry, ctx.now);
    if (why) return r('rule-failed', why);
  }
  return { verdict: 'green', reason: 'ok', format: 'dcc', message: messageFor('ok'), summary, certificate: cert, passId: uciOf(entry) };
}

const numeric = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : v instanceof Tagged && typeof v.value === 'number' ? v.value : undefined);
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/** The kinds a DSC may sign, or undefined when it carries none of the DCC key-usage OIDs (then: all). */
function dscTypes(dsc: TrustEntry): Set<DccType> | undefined {
  const types = new Set<DccType>();
  for (const oid of dsc.keyUsage ?? []) if (EKU[oid]) types.add(EKU[oid]);
  return types.size ? types : undefined;
}

type Entry = Record<string, unknown>;

/** The structural part of the DCC JSON schema a verifier relies on; returns a reason string when broken. */
function checkSchema(cert: Record<string, unknown>): { type: DccType; entry: Entry } | string {
  if (typeof cert.ver !== 'string' || !/^\d+\.\d+\.\d+$/.test(cert.ver)) return `ver ${JSON.stringify(cert.ver)} is not a version`;
  const nam = cert.nam as Record<string, unknown> | undefined;
  if (!nam || typeof nam !== 'object' || typeof nam.fnt !== 'string') return 'nam.fnt (standardised surname) is missing';
  if (typeof cert.dob !== 'string' || !/^(\d{4}(-\d{2}(-\d{2})?)?)?/.test(cert.dob)) return 'dob is missing';
  const kinds = (['v', 't', 'r'] as DccType[]).filter((t) => cert[t] !== undefined);
  if (kinds.length !== 1) return `holds ${kinds.length} kinds of entry (${kinds.join(', ') || 'none'}), not exactly one`;
  const list = cert[kinds[0]];
  if (!Array.isArray(list) || list.length !== 1) return `${kinds[0]} must hold exactly one entry, holds ${Array.isArray(list) ? list.length : 'no array'}`;
  const entry = list[0] as Entry;
  if (!entry || typeof entry !== 'object') return `${kinds[0]}[0] is not an object`;
  if (typeof entry.ci !== 'string' || !entry.ci) return `${kinds[0]}[0].ci (certificate identifier) is missing`;
  if (typeof entry.co !== 'string') return `${kinds[0]}[0].co (country) is missing`;
  const need = { v: ['tg', 'vp', 'mp', 'ma', 'dn', 'sd', 'dt'], t: ['tg', 'tt', 'sc', 'tr'], r: ['tg', 'fr', 'df', 'du'] }[kinds[0]];
  for (const f of need) if (entry[f] === undefined) return `${kinds[0]}[0].${f} is missing`;
  if (kinds[0] === 'v' && !(Number.isInteger(entry.dn) && Number.isInteger(entry.sd) && (entry.dn as number) >= 1 && (entry.sd as number) >= 1)) return 'v[0].dn and sd must be whole numbers ≥ 1';
  return { type: kinds[0], entry };
}

function uciOf(entry: Entry): string {
  return String(entry.ci ?? '');
}

/** The EU revocation hashes (first 16 bytes of SHA-256): of the UCI, of country + UCI, and of the signature. */
export function revocationHashes(entry: Entry, sign1?: Sign1, dsc?: TrustEntry): Uint8Array[] {
  const h = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest().subarray(0, DCC_HASH_BYTES));
  const uci = uciOf(entry);
  const out = [h(uci), h(String(entry.co ?? '').toUpperCase() + uci)];
  if (sign1) out.push(h(dsc?.alg === 'ES256' ? sign1.signature.subarray(0, 32) : sign1.signature));
  return out;
}

function summarise(cert: Record<string, unknown>, type: DccType, e: Entry, iss: string, exp: number | undefined): OfficerSummary {
  const nam = (cert.nam ?? {}) as Record<string, string>;
  const name = [nam.fn ?? nam.fnt, nam.gn ?? nam.gnt].filter(Boolean).join(' ');
  const proves = type === 'v' ? `vaccination dose ${e.dn}/${e.sd} (${e.mp}) on ${e.dt}`
    : type === 't' ? `${e.tt === 'LP217198-3' ? 'rapid antigen' : 'NAAT (PCR)'} test ${e.tr === '260415000' ? 'negative' : 'POSITIVE'} taken ${e.sc}`
    : `recovery: positive ${e.fr}, valid ${e.df} to ${e.du}`;
  return {
    name, category: 'EU DCC', dateOfBirth: String(cert.dob ?? ''), proves, issuer: `${e.co ?? ''} ${iss}`.trim(),
    validUntil: exp !== undefined ? iso(exp) : '', areas: ['VN'],
  };
}

const DAY = 86_400_000;

function applyRules(rules: DccRules, type: DccType, e: Entry, now: number): string | undefined {
  if (type === 'v' && rules.vaccination) {
    const r = rules.vaccination;
    if (r.requireComplete && (e.dn as number) < (e.sd as number)) return `vaccination is dose ${e.dn} of ${e.sd}, not complete`;
    const dt = Date.parse(String(e.dt));
    if (!Number.isFinite(dt)) return `vaccination date ${JSON.stringify(e.dt)} is not a date`;
    const days = Math.floor((now - dt) / DAY);
    if (days < r.minDaysAfterLastDose) return `last dose ${e.dt} was ${days} days ago, fewer than ${r.minDaysAfterLastDose}`;
    if (r.maxDaysAfterLastDose !== undefined && days > r.maxDaysAfterLastDose) return `last dose ${e.dt} was ${days} days ago, more than ${r.maxDaysAfterLastDose}`;
  }
  if (type === 't' && rules.test) {
    if (e.tr !== '260415000') return `test result ${JSON.stringify(e.tr)} is not "not detected" (260415000)`;
    const sc = Date.parse(String(e.sc));
    if (!Number.isFinite(sc)) return `test sample time ${JSON.stringify(e.sc)} is not a time`;
    const rat = e.tt === 'LP217198-3';
    const max = rat ? rules.test.ratMaxHours : rules.test.naatMaxHours;
    const hours = (now - sc) / 3_600_000;
    if (hours < 0) return `test sample time ${e.sc} is in the future`;
    if (hours > max) return `${rat ? 'antigen' : 'NAAT'} test taken ${Math.floor(hours)} h ago, more than ${max} h`;
  }
  if (type === 'r' && rules.recovery) {
    const fr = Date.parse(String(e.fr)), df = Date.parse(String(e.df)), du = Date.parse(String(e.du));
    if (![fr, df, du].every(Number.isFinite)) return 'recovery dates are not dates';
    if (now < df) return `recovery valid from ${e.df}`;
    if (now > du + DAY) return `recovery valid until ${e.du}`;
    if ((now - fr) / DAY > rules.recovery.maxDaysAfterPositive) return `positive test ${e.fr} more than ${rules.recovery.maxDaysAfterPositive} days ago`;
  }
  return undefined;
}

/** Reads a rules file's JSON (already parsed); throws with the bad key's path. */
export function parseDccRules(doc: unknown): DccRules {
  const o = doc as Record<string, Record<string, unknown>>;
  if (!o || typeof o !== 'object') throw new Error('DCC rules must be a JSON object');
  const num = (path: string, v: unknown): number => {
    if (typeof v !== 'number' || !(v >= 0)) throw new Error(`DCC rules ${path} must be a number ≥ 0, got ${JSON.stringify(v)}`);
    return v;
  };
  const out: DccRules = {};
  for (const k of Object.keys(o)) if (!['vaccination', 'test', 'recovery'].includes(k)) throw new Error(`DCC rules: unknown key ${k} (vaccination, test, recovery)`);
  if (o.vaccination) out.vaccination = { minDaysAfterLastDose: num('vaccination.minDaysAfterLastDose', o.vaccination.minDaysAfterLastDose ?? 14), requireComplete: o.vaccination.requireComplete !== false, maxDaysAfterLastDose: o.vaccination.maxDaysAfterLastDose === undefined ? undefined : num('vaccination.maxDaysAfterLastDose', o.vaccination.maxDaysAfterLastDose) };
  if (o.test) out.test = { naatMaxHours: num('test.naatMaxHours', o.test.naatMaxHours ?? 72), ratMaxHours: num('test.ratMaxHours', o.test.ratMaxHours ?? 24) };
  if (o.recovery) out.recovery = { maxDaysAfterPositive: num('recovery.maxDaysAfterPositive', o.recovery.maxDaysAfterPositive ?? 180) };
  return out;
}


// EU Digital COVID Certificates (HC1:), verified offline as the EU's own verifiers do: Base45 → zlib →
// COSE_Sign1 (tag 18, untagged, or inside CWT tag 61) → CWT claims (1 iss, 4 exp, 6 iat, -260 → 1 the
// certificate). Vietnam's vaccination certificates use this format, and so do foreign travellers'.
import { createHash } from 'node:crypto';
import { CborError, Tagged, cborToJson, decodeCbor, type CborKey, type CborValue } from './cbor.js';
import { algIdOfSign1, decodeSign1, kidOfSign1, type Sign1 } from './cose.js';
import { schemaWarnings } from './dcc-schema.js';
import { EnvelopeError, unwrapEnvelope } from './envelope.js';
import { ALG_BY_COSE, hex } from './keys.js';
import { red, type OfficerSummary, type Verdict } from './verdict.js';
import { messageFor, type Reason } from './reasons.js';
import { originOf } from './messages.js';
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
  if (!dsc) {
    // A key or algorithm chot cannot verify is not a forgery: say which, so the officer checks by hand.
    const unsupported = candidates.find((c) => !c.alg);
    if (unsupported) return red('unsupported-algorithm', 'dcc', `the DSC with key id ${k} holds ${unsupported.unsupported}, which chot cannot verify (P-256, RSA and Ed25519 only)`);
    const headerAlg = algIdOfSign1(sign1);
    if (headerAlg !== undefined && !ALG_BY_COSE.has(headerAlg)) {
      return red('unsupported-algorithm', 'dcc', `the COSE header names algorithm ${headerAlg}${COSE_NAMES[headerAlg] ? ` (${COSE_NAMES[headerAlg]})` : ''}; chot verifies ES256, PS256 and EdDSA`);
    }
    return red('bad-signature', 'dcc', `signature does not verify with the ${candidates.length} DSC(s) of key id ${k}`);
  }

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
  const strict = checkStrict(cert);
  if (typeof strict === 'string') return red('malformed', 'dcc', `certificate does not follow the DCC schema: ${strict}`, { certificate: cert });
  const { type, entries } = strict;
  // Everything else the schema asks is shown, not decided on: countries issue certificates that bend it.
  const warnings = schemaWarnings(cert);
  // the issuing country: the signed iss claim, else the country the root gave the DSC in the trust list
  const origin = originOf('dcc', iss) ?? originOf('dcc', dsc.issuer);
  const extra = (entry: Entry) => {
    const summary = summarise(cert, type, entry, entries, iss, exp);
    if (warnings.length) summary.warnings = warnings;
    return { summary, certificate: cert, passId: uciOf(entry), ...(origin ? { origin } : {}), ...(warnings.length ? { warnings } : {}) };
  };
  const latest = latestOf(type, entries);
  const r = (reason: Reason, detail: string, entry = latest): Verdict => red(reason, 'dcc', detail, extra(entry));

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
    // any entry revoked revokes the certificate; the signature hash is the same for all of them
    for (const entry of entries) {
      for (const h of revocationHashes(entry, sign1, dsc)) {
        if (ctx.status.revokedDcc.has(h)) return r('revoked', `certificate ${uciOf(entry)} is revoked in status list version ${ctx.status.version}`, entry);
      }
    }
  }

  const rules = ctx.rules === undefined ? DEFAULT_DCC_RULES : ctx.rules;
  let proven = latest;
  if (rules && (ctx.checkTime ?? true)) {
    // Several entries (allowed up to schema 1.2): a vaccination history passes when one of its doses meets the
    // rules (a booster last week does not undo a full course months ago); for tests and recoveries the newest
    // entry alone decides (an older negative test does not outweigh a newer positive one).
    const tried = type === 'v' ? [...entries].reverse().sort((a, b) => when(type, b) - when(type, a)) : [latest];
    const passing = tried.find((e) => !applyRules(rules, type, e, ctx.now));
    if (!passing) {
      const why = applyRules(rules, type, latest, ctx.now)!;
      return r('rule-failed', entries.length > 1 ? `none of its ${entries.length} ${TYPE_NAMES[type]} entries meets the rules; the newest: ${why}` : why);
    }
    proven = passing;
  }
  return { verdict: 'green', reason: 'ok', format: 'dcc', message: messageFor('ok'), ...extra(proven) };
}

/** COSE algorithm names a DCC header may carry that chot does not verify, for the reason's detail. */
const COSE_NAMES: Record<number, string> = { [-35]: 'ES384', [-36]: 'ES512', [-38]: 'PS384', [-39]: 'PS512', [-257]: 'RS256', [-258]: 'RS384', [-259]: 'RS512', [-47]: 'ES256K' };

const numeric = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : v instanceof Tagged && typeof v.value === 'number' ? v.value : undefined);
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/** The kinds a DSC may sign, or undefined when it carries none of the DCC key-usage OIDs (then: all). */
function dscTypes(dsc: TrustEntry): Set<DccType> | undefined {
  const types = new Set<DccType>();
  for (const oid of dsc.keyUsage ?? []) if (EKU[oid]) types.add(EKU[oid]);
  return types.size ? types : undefined;
}

type Entry = Record<string, unknown>;

/**
 * What the verdict rests on, checked strictly (red `malformed` with a reason when broken): exactly one kind of
 * entry with content (null, absent or empty groups beside it do not count), every entry of it an object with its
 * identifier, country and the fields the dates and rules read, and a name for the officer to compare. The rest
 * of the schema is schemaWarnings' job.
 */
function checkStrict(cert: Record<string, unknown>): { type: DccType; entries: Entry[] } | string {
  const nam = cert.nam as Record<string, unknown> | undefined;
  if (!nam || typeof nam !== 'object' || !['fnt', 'gnt', 'fn', 'gn'].some((f) => typeof nam[f] === 'string' && nam[f])) return 'nam holds no name (fnt, gnt, fn or gn)';
  for (const t of ['v', 't', 'r'] as DccType[]) {
    const g = cert[t];
    if (g !== undefined && g !== null && !Array.isArray(g)) return `${t} is ${typeof g === 'object' ? 'an object' : `a ${typeof g}`}, not a list of entries`;
  }
  const kinds = (['v', 't', 'r'] as DccType[]).filter((t) => Array.isArray(cert[t]) && (cert[t] as unknown[]).length > 0);
  if (kinds.length !== 1) return `holds ${kinds.length} kinds of entry with content (${kinds.join(', ') || 'none'}), not exactly one`;
  const type = kinds[0];
  const entries = cert[type] as Entry[];
  const need = { v: ['dn', 'sd', 'dt'], t: ['tt', 'sc', 'tr'], r: ['fr', 'df', 'du'] }[type];
  for (const [i, entry] of entries.entries()) {
    const at = `${type}[${i}]`;
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return `${at} is not an object`;
    if (typeof entry.ci !== 'string' || !entry.ci) return `${at}.ci (certificate identifier) is missing`;
    if (typeof entry.co !== 'string') return `${at}.co (country) is missing`;
    for (const f of need) if (entry[f] === undefined) return `${at}.${f} is missing`;
    if (type === 'v' && !(Number.isInteger(entry.dn) && Number.isInteger(entry.sd) && (entry.dn as number) >= 1 && (entry.sd as number) >= 1)) return `${at}.dn and sd must be whole numbers ≥ 1`;
    if (type !== 'v') for (const f of need) if (typeof entry[f] !== 'string') return `${at}.${f} is not text`;
    if (type === 'v' && typeof entry.dt !== 'string') return `${at}.dt is not text`;
  }
  return { type, entries };
}

/** When an entry happened (vaccination, sample, first positive test), ms; -Infinity when unreadable. */
function when(type: DccType, e: Entry): number {
  const t = Date.parse(String(type === 'v' ? e.dt : type === 't' ? e.sc : e.fr));
  return Number.isFinite(t) ? t + (type === 'v' ? Number(e.dn) : 0) : -Infinity; // same day: the higher dose
}

/** The newest entry; the last written among equals. */
function latestOf(type: DccType, entries: Entry[]): Entry {
  return entries.reduce((best, e) => (when(type, e) >= when(type, best) ? e : best));
}

function uciOf(entry: Entry): string {
  return String(entry.ci ?? '');
}

/** The EU revocation hashes (first 16 bytes of SHA-256): of the UCI, of country + UCI, and of the signature. */
/** A DCC's entry in a status list's revokedDcc: the first 16 bytes of a SHA-256 (of its UCI, by default). */
export const dccRevocationHash = (data: string | Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest().subarray(0, DCC_HASH_BYTES));

export function revocationHashes(entry: Entry, sign1?: Sign1, dsc?: TrustEntry): Uint8Array[] {
  const h = dccRevocationHash;
  const uci = uciOf(entry);
  const out = [h(uci), h(String(entry.co ?? '').toUpperCase() + uci)];
  if (sign1) out.push(h(dsc?.alg === 'ES256' ? sign1.signature.subarray(0, 32) : sign1.signature));
  return out;
}

function summarise(cert: Record<string, unknown>, type: DccType, e: Entry, all: Entry[], iss: string, exp: number | undefined): OfficerSummary {
  const nam = (cert.nam ?? {}) as Record<string, unknown>;
  const name = [nam.fn || nam.fnt, nam.gn || nam.gnt].filter((x) => typeof x === 'string' && x).join(' ');
  const of = all.length > 1 ? ` (entry ${all.indexOf(e) + 1} of ${all.length})` : '';
  const proves = (type === 'v' ? `vaccination dose ${e.dn}/${e.sd}${typeof e.mp === 'string' ? ` (${e.mp})` : ''} on ${e.dt}`
    : type === 't' ? `${e.tt === 'LP217198-3' ? 'rapid antigen' : 'NAAT (PCR)'} test ${e.tr === '260415000' ? 'negative' : 'POSITIVE'} taken ${e.sc}`
    : `recovery: positive ${e.fr}, valid ${e.df} to ${e.du}`) + of;
  return {
    name, category: 'EU DCC', dateOfBirth: typeof cert.dob === 'string' ? cert.dob : '', proves, issuer: `${e.co ?? ''} ${iss}`.trim(),
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


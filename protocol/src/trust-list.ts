// The trust list: every key a kiosk may trust, signed by the root authority. Issuer entries say which
// categories and areas that issuer may sign for (a district office cannot issue for another province);
// DSC entries carry EU DCC document-signing certificates.
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { CborKey, CborValue } from './cbor.js';
import { areaFromWire, areaToWire, isArea, type Area } from './area.js';
import { ALG_BY_COSE, COSE_ALG, algOfKey, hex, kidOf, publicKeyFromSpki, verifyBytes, type Alg } from './keys.js';
import { algIdOfSign1, toBeSigned, type Sign1 } from './cose.js';
import { CATEGORIES, type Category } from './pass.js';
import { ListError, field, isBytes, isText, isUint, openList, signList } from './signed-list.js';

export interface TrustEntry {
  kid: Uint8Array;
  kind: 'pass' | 'dsc';
  /** null for a DSC whose key chot cannot verify with (see `unsupported`): its certificates get a red verdict. */
  alg: Alg | null;
  /** DSC only, when alg is null: the key it holds, e.g. "an EC secp384r1 key". */
  unsupported?: string;
  key: KeyObject;
  /** SPKI DER for an issuer key, the certificate's DER for a DSC. */
  der: Uint8Array;
  issuer: string;
  name: string;
  /** Seconds since 1970. */
  validFrom: number;
  validUntil: number;
  categories: Category[];
  areas: Area[];
  /** DSC only: extended key usage OIDs of the certificate. */
  keyUsage?: string[];
}

export interface TrustList {
  version: number;
  issuedAt: number;
  entries: TrustEntry[];
  byKid: Map<string, TrustEntry[]>;
  /**
   * Keys the root authorises to sign software releases and rollouts (release.ts). Kept apart from `entries`, in a
   * body field of their own, so that a release key can never verify a pass, and a kiosk from before releases were
   * signed still reads the list (it ignores a field it does not know).
   */
  releaseSigners?: ReleaseSigner[];
}

/** A key that may sign releases and rollouts: no categories, no areas, only its validity. */
export interface ReleaseSigner { kid: Uint8Array; alg: Alg; key: KeyObject; name: string; validFrom: number; validUntil: number }

const T_VERSION = 1, T_ISSUED = 2, T_ENTRIES = 3, T_RELEASE = 4;
const E_KID = 1, E_KIND = 2, E_DER = 3, E_ISSUER = 4, E_NAME = 5, E_FROM = 6, E_UNTIL = 7, E_CATS = 8, E_AREAS = 9, E_ALG = 10;

export interface IssuerInput {
  issuer: string;
  name: string;
  publicKey: KeyObject;
  validFrom: number;
  validUntil: number;
  categories: Category[];
  areas: Area[];
}

export function issuerEntryToWire(e: IssuerInput): Map<CborKey, CborValue> {
  const alg = algOfKey(e.publicKey);
  const der = new Uint8Array(e.publicKey.export({ type: 'spki', format: 'der' }));
  for (const c of e.categories) if (!CATEGORIES.includes(c)) throw new Error(`issuer ${e.issuer}: category ${JSON.stringify(c)} is not one of ${CATEGORIES.join(', ')}`);
  for (const a of e.areas) if (!isArea(a)) throw new Error(`issuer ${e.issuer}: area ${JSON.stringify(a)} is not an area code`);
  return new Map<CborKey, CborValue>([
    [E_KID, kidOf(der)], [E_KIND, 0], [E_ALG, COSE_ALG[alg]], [E_DER, der], [E_ISSUER, e.issuer], [E_NAME, e.name],
    [E_FROM, e.validFrom], [E_UNTIL, e.validUntil],
    [E_CATS, e.categories.map((c) => CATEGORIES.indexOf(c))], [E_AREAS, e.areas.map(areaToWire)],
  ]);
}

/** A DSC entry: everything else (kid, alg, validity, key usage) is read from the certificate itself. */
export function dscEntryToWire(certDer: Uint8Array, country: string): Map<CborKey, CborValue> {
  const cert = new X509Certificate(Buffer.from(certDer));
  return new Map<CborKey, CborValue>([[E_KID, kidOf(certDer)], [E_KIND, 1], [E_DER, certDer], [E_ISSUER, country], [E_NAME, cert.subject.replace(/\n/g, ', ')]]);
}

export interface ReleaseSignerInput { name: string; publicKey: KeyObject; validFrom: number; validUntil: number }

/** A release signer as the trust list carries it. */
export function releaseSignerToWire(r: ReleaseSignerInput): Map<CborKey, CborValue> {
  const der = new Uint8Array(r.publicKey.export({ type: 'spki', format: 'der' }));
  if (!(r.validUntil > r.validFrom)) throw new Error(`release signer ${r.name}: validUntil must be after validFrom`);
  return new Map<CborKey, CborValue>([
    [E_KID, kidOf(der)], [E_ALG, COSE_ALG[algOfKey(r.publicKey)]], [E_DER, der], [E_NAME, r.name], [E_FROM, r.validFrom], [E_UNTIL, r.validUntil],
  ]);
}

export function signTrustList(version: number, issuedAt: number, entries: Array<Map<CborKey, CborValue>>, rootKey: KeyObject, releaseSigners: Array<Map<CborKey, CborValue>> = []): Uint8Array {
  const body = new Map<CborKey, CborValue>([[T_VERSION, version], [T_ISSUED, issuedAt], [T_ENTRIES, entries]]);
  if (releaseSigners.length) body.set(T_RELEASE, releaseSigners);
  return signList('trust', body, rootKey);
}

/**
 * Verifies and reads a signed trust list. With `held`, a list whose version is not newer is refused,
 * so an old list replayed at the kiosk cannot bring back a withdrawn key.
 */
export function openTrustList(bytes: Uint8Array, rootPublic: KeyObject, held?: TrustList): TrustList {
  const body = openList(bytes, rootPublic, 'trust');
  const version = field(body, T_VERSION, 'version', isUint);
  if (held && version <= held.version) throw new ListError('old-version', `trust list version ${version} is not newer than the held version ${held.version}: refused`);
  const raw = field(body, T_ENTRIES, 'entries', Array.isArray);
  const entries = raw.map((e, i) => readEntry(e, i));
  const byKid = new Map<string, TrustEntry[]>();
  for (const e of entries) {
    const k = hex(e.kid);
    const list = byKid.get(k);
    if (list) list.push(e); else byKid.set(k, [e]);
  }
  const rel = body.get(T_RELEASE);
  if (rel !== undefined && !Array.isArray(rel)) throw new ListError('malformed', 'trust list field release (key 4) is not an array');
  const releaseSigners = (rel ?? []).map((r, i) => readReleaseSigner(r, i));
  return { version, issuedAt: field(body, T_ISSUED, 'issuedAt', isUint), entries, byKid, releaseSigners };
}

function readReleaseSigner(v: unknown, i: number): ReleaseSigner {
  if (!(v instanceof Map)) throw new ListError('malformed', `release signer ${i} is not a map`);
  const m = v as Map<CborKey, CborValue>;
  const der = field(m, E_DER, `release[${i}].der`, isBytes);
  const name = field(m, E_NAME, `release[${i}].name`, isText);
  try {
    const key = publicKeyFromSpki(der);
    const algId = field(m, E_ALG, `release[${i}].alg`, (x: unknown): x is number => typeof x === 'number');
    const alg = ALG_BY_COSE.get(algId);
    if (!alg || alg !== algOfKey(key)) throw new Error(`algorithm ${algId} does not match its ${key.asymmetricKeyType} key`);
    return { kid: kidOf(der), alg, key, name, validFrom: field(m, E_FROM, `release[${i}].validFrom`, isUint), validUntil: field(m, E_UNTIL, `release[${i}].validUntil`, isUint) };
  } catch (e) {
    if (e instanceof ListError) throw e;
    throw new ListError('malformed', `release signer ${i} (${name}): ${(e as Error).message}`);
  }
}

function readEntry(v: unknown, i: number): TrustEntry {
  if (!(v instanceof Map)) throw new ListError('malformed', `trust entry ${i} is not a map`);
  const m = v as Map<CborKey, CborValue>;
  const kind = field(m, E_KIND, `entries[${i}].kind`, isUint);
  const der = field(m, E_DER, `entries[${i}].der`, isBytes);
  const issuer = field(m, E_ISSUER, `entries[${i}].issuer`, isText);
  const name = field(m, E_NAME, `entries[${i}].name`, isText);
  try {
    if (kind === 1) return dscEntry(der, issuer, name);
    if (kind !== 0) throw new Error(`kind ${kind} is unknown`);
    const key = publicKeyFromSpki(der);
    const algId = field(m, E_ALG, `entries[${i}].alg`, (x: unknown): x is number => typeof x === 'number');
    const alg = ALG_BY_COSE.get(algId);
    if (!alg || alg !== algOfKey(key)) throw new Error(`algorithm ${algId} does not match its ${key.asymmetricKeyType} key`);
    const cats = field(m, E_CATS, `entries[${i}].categories`, Array.isArray).map((c) => {
      if (typeof c !== 'number' || !CATEGORIES[c]) throw new Error(`category ${String(c)} is unknown`);
      return CATEGORIES[c];
    });
    const areas = field(m, E_AREAS, `entries[${i}].areas`, Array.isArray).map((a) => {
      const s = typeof a === 'number' ? areaFromWire(a) : undefined;
      if (!s) throw new Error(`area ${String(a)} is not an area code`);
      return s;
    });
    return {
      kid: field(m, E_KID, `entries[${i}].kid`, isBytes), kind: 'pass', alg, key, der, issuer, name,
      validFrom: field(m, E_FROM, `entries[${i}].validFrom`, isUint), validUntil: field(m, E_UNTIL, `entries[${i}].validUntil`, isUint),
      categories: cats, areas,
    };
  } catch (e) {
    if (e instanceof ListError) throw e;
    throw new ListError('malformed', `trust entry ${i} (${issuer}): ${(e as Error).message}`);
  }
}

/**
 * A trust entry for an EU DCC document signer: kid, algorithm, validity and key usage all come from the
 * certificate itself. Used for the DSCs of the signed trust list and for those given directly (--dcc-cert).
 */
export function dscEntry(der: Uint8Array, country = '', name?: string): TrustEntry {
  const cert = new X509Certificate(Buffer.from(der));
  const key = cert.publicKey;
  // A DSC with a key chot cannot use stays in the list: one country's choice must not refuse the whole trust
  // list, and its certificates get their own red reason instead of "unknown key".
  let alg: Alg | null = null;
  try { alg = algOfKey(key); } catch { /* described below */ }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return {
    kid: kidOf(der), kind: 'dsc', alg, ...(alg ? {} : { unsupported: `an ${key.asymmetricKeyType?.toUpperCase()}${curve ? ` ${curve}` : ''} key` }),
    key, der, issuer: country, name: name ?? cert.subject,
    validFrom: Math.floor(Date.parse(cert.validFrom) / 1000), validUntil: Math.floor(Date.parse(cert.validTo) / 1000),
    categories: [...CATEGORIES], areas: ['VN'], keyUsage: extendedKeyUsage(cert),
  };
}

/**
 * The trusted entry whose key verifies this COSE_Sign1, or undefined. The algorithm is always the entry's: a header
 * that names another is not obeyed, that entry is skipped. Key ids are 8 bytes and can collide, so every candidate
 * is tried.
 */
export function findSigner(sign1: Sign1, candidates: TrustEntry[]): TrustEntry | undefined {
  const headerAlg = algIdOfSign1(sign1);
  const tbs = toBeSigned(sign1.protectedBytes, sign1.payload);
  return candidates.find((c) => c.alg && (headerAlg === undefined || ALG_BY_COSE.get(headerAlg) === c.alg) && verifyBytes(c.alg, c.key, tbs, sign1.signature));
}

/** Extended key usage OIDs of a certificate, or [] when it has none (node reports undefined then). */
export function extendedKeyUsage(cert: X509Certificate): string[] {
  const ku = (cert as unknown as { keyUsage?: string[] }).keyUsage;
  return Array.isArray(ku) ? ku : [];
}

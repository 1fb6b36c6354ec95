// Software releases and rollouts, signed like everything else a kiosk trusts. A release manifest (version,
// architecture, size and SHA-256 of the bundle) and a rollout (which release, to which kiosks, active, paused or
// rolled back) are CBOR bodies in a COSE_Sign1 signed by a release key; the root authorises release keys in the trust
// list (trust-list.ts, `releaseSigners`). A kiosk installs a release for the same reason it accepts a pass: the root
// vouches for the key that signed it.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { CborError, decodeCbor, encodeCbor, type CborKey, type CborValue } from './cbor.js';
import { decodeSign1, encodeSign1, kidOfSign1, toBeSigned, algIdOfSign1 } from './cose.js';
import { ALG_BY_COSE, algOfKey, hex, kidOf, spkiOf, verifyBytes } from './keys.js';
import type { ReleaseSigner, TrustList } from './trust-list.js';
import { KIOSK_ID_RE } from './messages.js';

/** A release version: what names its folder on the kiosk (/opt/chot/releases/VERSION) and its files on the hub. */
export const RELEASE_VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/;
export const RELEASE_ARCHES = ['arm64', 'x64', 'any'] as const;
export type ReleaseArch = (typeof RELEASE_ARCHES)[number];

export interface ReleaseManifest {
  version: string;
  arch: ReleaseArch;
  /** bytes of the bundle (a gzipped tar) */
  size: number;
  sha256: Uint8Array;
  /** seconds since 1970 */
  createdAt: number;
  /** 'bundled': the bundle carries its node_modules; 'shared': it uses those installed beside the releases */
  deps: 'bundled' | 'shared';
}

export type RolloutState = 'active' | 'paused' | 'rollback';

export interface Rollout {
  /** grows with every rollout message: an older one replayed is refused */
  seq: number;
  state: RolloutState;
  /** the signed manifest of the release rolled out (its bytes, verified on their own) */
  manifest: Uint8Array;
  /** share of the fleet in basis points (10000 = 100 %), chosen by a hash of the kiosk id and the version */
  basisPoints: number;
  /** kiosks named one by one, in the rollout whatever the share */
  kiosks: string[];
  issuedAt: number;
}

export interface OpenedRollout extends Rollout { release: ReleaseManifest; signer: string }

export type ReleaseErrorCode = 'malformed' | 'wrong-kind' | 'not-authorised' | 'bad-signature' | 'key-not-valid' | 'old-rollout';

export class ReleaseError extends Error {
  constructor(readonly code: ReleaseErrorCode, message: string) { super(message); }
}

const K_KIND = 0;
const M_VERSION = 1, M_ARCH = 2, M_SIZE = 3, M_SHA = 4, M_CREATED = 5, M_DEPS = 6;
const R_SEQ = 1, R_STATE = 2, R_MANIFEST = 3, R_BP = 4, R_KIOSKS = 5, R_ISSUED = 6;
const STATES: RolloutState[] = ['active', 'paused', 'rollback'];

function sign(kind: string, body: Map<CborKey, CborValue>, key: KeyObject): Uint8Array {
  return encodeSign1(encodeCbor(new Map<CborKey, CborValue>([[K_KIND, kind], ...body])), algOfKey(key), kidOf(spkiOf(createPublicKey(key))), key);
}

export function checkManifest(m: ReleaseManifest): void {
  if (!RELEASE_VERSION_RE.test(m.version)) throw new Error(`release version ${JSON.stringify(m.version)} must be 1–32 of 0-9 A-Z a-z . + _ - (like 1.4.0)`);
  if (!RELEASE_ARCHES.includes(m.arch)) throw new Error(`architecture ${JSON.stringify(m.arch)} is not one of ${RELEASE_ARCHES.join(', ')}`);
  if (!Number.isSafeInteger(m.size) || m.size <= 0) throw new Error(`size ${m.size} must be a whole number of bytes above 0`);
  if (m.sha256.length !== 32) throw new Error('sha256 must be 32 bytes');
  if (m.deps !== 'bundled' && m.deps !== 'shared') throw new Error(`deps ${JSON.stringify(m.deps)} must be bundled or shared`);
}

export function signReleaseManifest(m: ReleaseManifest, releaseKey: KeyObject): Uint8Array {
  checkManifest(m);
  return sign('release', new Map<CborKey, CborValue>([
    [M_VERSION, m.version], [M_ARCH, m.arch], [M_SIZE, m.size], [M_SHA, m.sha256], [M_CREATED, m.createdAt], [M_DEPS, m.deps],
  ]), releaseKey);
}

export function signRollout(r: Rollout, releaseKey: KeyObject): Uint8Array {
  if (!Number.isSafeInteger(r.seq) || r.seq < 1) throw new Error('rollout seq must be 1 or more');
  if (!STATES.includes(r.state)) throw new Error(`rollout state ${JSON.stringify(r.state)} is not one of ${STATES.join(', ')}`);
  if (!Number.isInteger(r.basisPoints) || r.basisPoints < 0 || r.basisPoints > 10_000) throw new Error(`rollout share ${r.basisPoints} must be 0–10000 basis points`);
  for (const k of r.kiosks) if (!KIOSK_ID_RE.test(k)) throw new Error(`kiosk id ${JSON.stringify(k)} is not a kiosk id`);
  return sign('rollout', new Map<CborKey, CborValue>([
    [R_SEQ, r.seq], [R_STATE, r.state], [R_MANIFEST, r.manifest], [R_BP, r.basisPoints], [R_KIOSKS, r.kiosks], [R_ISSUED, r.issuedAt],
  ]), releaseKey);
}

/**
 * Verifies a signed body against the trust list's release signers: the key must be one the root authorised, in
 * force at `at` (seconds), and the signature must verify with the algorithm of its entry.
 */
function open(bytes: Uint8Array, trust: TrustList, kind: string, at: number): { body: Map<CborKey, CborValue>; signer: ReleaseSigner } {
  let s;
  try { s = decodeSign1(bytes, { maxDepth: 6, maxItems: 20_000 }); } catch (e) {
    if (e instanceof CborError) throw new ReleaseError('malformed', `${kind} is not a signed message: ${e.message}`);
    throw e;
  }
  const kid = kidOfSign1(s);
  const signers = trust.releaseSigners ?? [];
  const candidates = kid ? signers.filter((r) => hex(r.kid) === hex(kid)) : [];
  if (!candidates.length) {
    throw new ReleaseError('not-authorised', `${kind} signed by key ${kid ? hex(kid) : '(none named)'}, which the trust list (v${trust.version}) does not authorise to sign releases: refused`);
  }
  const headerAlg = algIdOfSign1(s);
  const tbs = toBeSigned(s.protectedBytes, s.payload);
  const signer = candidates.find((c) => (headerAlg === undefined || ALG_BY_COSE.get(headerAlg) === c.alg) && verifyBytes(c.alg, c.key, tbs, s.signature));
  if (!signer) throw new ReleaseError('bad-signature', `${kind} signature does not verify with release key ${hex(candidates[0].kid)} (${candidates[0].name}): the message was changed or forged; refused`);
  if (at < signer.validFrom || at > signer.validUntil) {
    throw new ReleaseError('key-not-valid', `${kind} signed by release key ${signer.name}, valid ${new Date(signer.validFrom * 1000).toISOString()} to ${new Date(signer.validUntil * 1000).toISOString()}, not at ${new Date(at * 1000).toISOString()}: refused`);
  }
  let body: CborValue;
  try { body = decodeCbor(s.payload, { maxDepth: 4, maxItems: 20_000 }); } catch (e) {
    if (e instanceof CborError) throw new ReleaseError('malformed', `${kind} body is malformed: ${e.message}`);
    throw e;
  }
  if (!(body instanceof Map)) throw new ReleaseError('malformed', `${kind} body is not a map`);
  if (body.get(K_KIND) !== kind) throw new ReleaseError('wrong-kind', `expected a ${kind}, got ${JSON.stringify(body.get(K_KIND))}`);
  return { body, signer };
}

function get<T>(body: Map<CborKey, CborValue>, key: number, what: string, ok: (v: unknown) => v is T): T {
  const v = body.get(key);
  if (!ok(v)) throw new ReleaseError('malformed', `field ${what} (key ${key}) is missing or has the wrong type: ${typeof v}`);
  return v;
}
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** Verifies a release manifest and reads it. `at`: seconds, when it is checked (its own creation time for a key's validity). */
export function openReleaseManifest(bytes: Uint8Array, trust: TrustList, at?: number): ReleaseManifest & { signer: string } {
  // the key must have been in force when the release was made; the creation time is inside the signed body, so
  // it is read (unverified) first and then the signature checked against the key valid at that moment
  const created = at ?? peekTime(bytes, M_CREATED);
  const { body, signer } = open(bytes, trust, 'release', created);
  const m: ReleaseManifest = {
    version: get(body, M_VERSION, 'version', isText), arch: get(body, M_ARCH, 'arch', isText) as ReleaseArch,
    size: get(body, M_SIZE, 'size', isUint), sha256: get(body, M_SHA, 'sha256', isBytes), createdAt: get(body, M_CREATED, 'createdAt', isUint),
    deps: get(body, M_DEPS, 'deps', isText) as ReleaseManifest['deps'],
  };
  if (m.createdAt !== created) throw new ReleaseError('malformed', 'release creation time changed while reading');
  try { checkManifest(m); } catch (e) { throw new ReleaseError('malformed', `release manifest: ${(e as Error).message}`); }
  return { ...m, signer: signer.name };
}

/** The signed time field of a body, read before its signature is checked (which then covers it). */
function peekTime(bytes: Uint8Array, key: number): number {
  try {
    const b = decodeCbor(decodeSign1(bytes, { maxDepth: 6, maxItems: 20_000 }).payload, { maxDepth: 4, maxItems: 20_000 });
    const c = b instanceof Map ? b.get(key) : undefined;
    if (isUint(c)) return c;
  } catch { /* said below */ }
  throw new ReleaseError('malformed', 'signed message has no time of signing: refused');
}

/**
 * Verifies a rollout and the release manifest inside it (both by authorised release keys, in force when each was
 * signed: a booth whose clock is not set yet still takes them). With `heldSeq`, a rollout whose seq is not above it is
 * refused: an old message replayed cannot restart a rollout that was paused or undone.
 */
export function openRollout(bytes: Uint8Array, trust: TrustList, heldSeq?: number): OpenedRollout {
  const { body, signer } = open(bytes, trust, 'rollout', peekTime(bytes, R_ISSUED));
  const seq = get(body, R_SEQ, 'seq', isUint);
  if (heldSeq !== undefined && seq <= heldSeq) throw new ReleaseError('old-rollout', `rollout ${seq} is not newer than the rollout ${heldSeq} held: ignored`);
  const state = get(body, R_STATE, 'state', isText) as RolloutState;
  if (!STATES.includes(state)) throw new ReleaseError('malformed', `rollout state ${JSON.stringify(state)} is unknown`);
  const basisPoints = get(body, R_BP, 'share', isUint);
  if (basisPoints > 10_000) throw new ReleaseError('malformed', `rollout share ${basisPoints} is above 10000 basis points`);
  const kiosks = get(body, R_KIOSKS, 'kiosks', Array.isArray);
  if (!kiosks.every((k) => typeof k === 'string' && KIOSK_ID_RE.test(k))) throw new ReleaseError('malformed', 'rollout kiosks must be kiosk ids');
  const manifest = get(body, R_MANIFEST, 'manifest', isBytes);
  const release = openReleaseManifest(manifest, trust);
  return { seq, state, manifest, basisPoints, kiosks: kiosks as string[], issuedAt: get(body, R_ISSUED, 'issuedAt', isUint), release, signer: signer.name };
}

/**
 * Reads a rollout without verifying it: for the hub, which shows what it publishes but decides nothing on it (the
 * kiosks verify). Returns undefined for bytes that are not a rollout.
 */
export function peekRollout(bytes: Uint8Array): (Omit<Rollout, 'manifest'> & { release: Omit<ReleaseManifest, 'sha256'> & { sha256: string } }) | undefined {
  try {
    const b = decodeCbor(decodeSign1(bytes, { maxDepth: 6, maxItems: 20_000 }).payload, { maxDepth: 4, maxItems: 20_000 });
    if (!(b instanceof Map) || b.get(K_KIND) !== 'rollout') return undefined;
    const m = decodeCbor(decodeSign1(b.get(R_MANIFEST) as Uint8Array, { maxDepth: 6, maxItems: 100 }).payload, { maxDepth: 4, maxItems: 100 }) as Map<CborKey, CborValue>;
    return {
      seq: b.get(R_SEQ) as number, state: b.get(R_STATE) as RolloutState, basisPoints: b.get(R_BP) as number, kiosks: b.get(R_KIOSKS) as string[], issuedAt: b.get(R_ISSUED) as number,
      release: { version: m.get(M_VERSION) as string, arch: m.get(M_ARCH) as ReleaseArch, size: m.get(M_SIZE) as number, sha256: hex(m.get(M_SHA) as Uint8Array), createdAt: m.get(M_CREATED) as number, deps: m.get(M_DEPS) as ReleaseManifest['deps'] },
    };
  } catch {
    return undefined;
  }
}

/**
 * Which kiosks a rollout reaches: those it names, and those whose bucket (the first 32 bits of SHA-256 of
 * "VERSION:KIOSK", modulo 10000) is below its share. Fixed per version, so the 1 % of a rollout are inside its 10 %,
 * and the hub counts the same kiosks the kiosks choose.
 */
export function rolloutBucket(kiosk: string, version: string): number {
  return createHash('sha256').update(`${version}:${kiosk}`).digest().readUInt32BE(0) % 10_000;
}

export function inRollout(kiosk: string, r: Pick<Rollout, 'basisPoints' | 'kiosks'>, version: string): boolean {
  return r.kiosks.includes(kiosk) || rolloutBucket(kiosk, version) < r.basisPoints;
}

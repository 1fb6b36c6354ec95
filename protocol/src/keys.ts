// Signing algorithms and keys. Verification always takes the algorithm from the trusted key's entry,
// never from the message, so a forged header cannot downgrade or switch it.
import { createHash, createPublicKey, createPrivateKey, sign, verify, constants, type KeyObject } from 'node:crypto';

export type Alg = 'EdDSA' | 'ES256' | 'PS256';
export const COSE_ALG: Record<Alg, number> = { EdDSA: -8, ES256: -7, PS256: -37 };
export const ALG_BY_COSE = new Map<number, Alg>([[-8, 'EdDSA'], [-7, 'ES256'], [-37, 'PS256']]);

export function isAlg(x: unknown): x is Alg {
  return x === 'EdDSA' || x === 'ES256' || x === 'PS256';
}

/** Key id: the first 8 bytes of SHA-256 of the public key's SPKI DER (the DCC convention, applied to bare keys). */
export function kidOf(der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(der).digest().subarray(0, 8));
}

export function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

export function publicKeyFromSpki(der: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
}

export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/** The algorithm a key can do: Ed25519 → EdDSA, P-256 → ES256, RSA → PS256; anything else is refused. */
export function algOfKey(key: KeyObject): Alg {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return 'EdDSA';
  if (t === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (t === 'rsa' || t === 'rsa-pss') return 'PS256';
  throw new Error(`key type ${t}${t === 'ec' ? ' ' + key.asymmetricKeyDetails?.namedCurve : ''} is not supported: use Ed25519, P-256 or RSA`);
}

export function signBytes(alg: Alg, key: KeyObject, data: Uint8Array): Uint8Array {
  switch (alg) {
    case 'EdDSA': return new Uint8Array(sign(null, data, key));
    case 'ES256': return new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }));
    case 'PS256': return new Uint8Array(sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
  }
}

/** Never throws: a malformed signature is simply not valid. */
export function verifyBytes(alg: Alg, key: KeyObject, data: Uint8Array, sig: Uint8Array): boolean {
  try {
    switch (alg) {
      case 'EdDSA': return sig.length === 64 && verify(null, data, key, sig);
      case 'ES256': return sig.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      case 'PS256': return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
    }
  } catch {
    return false;
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`${JSON.stringify(s)} is not hex`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

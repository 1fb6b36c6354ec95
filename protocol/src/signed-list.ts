// Trust lists and status lists are CBOR bodies in a COSE_Sign1 signed by the root authority. The kiosk is
// configured with the root public key alone. Each body names its kind, so one signed thing cannot be
// passed off as another.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeCbor, encodeCbor, CborError, type CborKey, type CborValue } from './cbor.js';
import { decodeSign1, encodeSign1, toBeSigned } from './cose.js';
import { algOfKey, kidOf, spkiOf, verifyBytes } from './keys.js';

export type ListKind = 'trust' | 'status' | 'status-delta' | 'programme';
export const K_KIND = 0;

export class ListError extends Error {
  constructor(readonly code: 'malformed' | 'bad-signature' | 'wrong-kind' | 'old-version' | 'delta-mismatch', message: string) {
    super(message);
  }
}

export function signList(kind: ListKind, body: Map<CborKey, CborValue>, rootKey: KeyObject): Uint8Array {
  const full = new Map<CborKey, CborValue>([[K_KIND, kind], ...body]);
  const pub = spkiOf(createPublicKey(rootKey));
  return encodeSign1(encodeCbor(full), algOfKey(rootKey), kidOf(pub), rootKey);
}

/**
 * Verifies a signed list with the root public key and returns its body. The list size is bounded by the
 * caller (MQTT message size); CBOR items are capped here since bodies carry entries as packed byte strings.
 */
export function openList(bytes: Uint8Array, rootPublic: KeyObject, kind: ListKind, maxItems = 200_000): Map<CborKey, CborValue> {
  let body: CborValue;
  try {
    const s = decodeSign1(bytes, { maxDepth: 8, maxItems });
    if (!verifyBytes(algOfKey(rootPublic), rootPublic, toBeSigned(s.protectedBytes, s.payload), s.signature)) {
      throw new ListError('bad-signature', `${kind} list signature does not verify with the root key: refusing it, the list held stays in force`);
    }
    body = decodeCbor(s.payload, { maxDepth: 8, maxItems });
  } catch (e) {
    if (e instanceof ListError) throw e;
    if (e instanceof CborError) throw new ListError('malformed', `${kind} list is malformed: ${e.message}`);
    throw e;
  }
  if (!(body instanceof Map)) throw new ListError('malformed', `${kind} list body is not a map`);
  if (body.get(K_KIND) !== kind) throw new ListError('wrong-kind', `expected a ${kind} list, got ${JSON.stringify(body.get(K_KIND))}`);
  return body;
}

export function field<T>(body: Map<CborKey, CborValue>, key: number, what: string, ok: (v: unknown) => v is T): T {
  const v = body.get(key);
  if (!ok(v)) throw new ListError('malformed', `list field ${what} (key ${key}) is missing or has the wrong type: ${typeof v}`);
  return v;
}

export const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
export const isText = (v: unknown): v is string => typeof v === 'string';

// The QR text envelope shared by our passes and the EU DCC: PREFIX + Base45(zlib(COSE_Sign1)).
import { deflateSync, inflateSync } from 'node:zlib';
import { decodeBase45, encodeBase45 } from './base45.js';

export class EnvelopeError extends Error {
  constructor(readonly stage: 'prefix' | 'base45' | 'compression' | 'size', message: string) { super(message); }
}

export interface EnvelopeLimits {
  /** Longest QR text accepted, in characters. A version-40 QR holds 4,296 alphanumerics. */
  maxText: number;
  /** Most bytes the zlib stream may inflate to: the zip-bomb cap. */
  maxInflated: number;
  /** Whether uncompressed content (no zlib header) is accepted. */
  requireCompression: boolean;
}

export const DEFAULT_LIMITS: EnvelopeLimits = { maxText: 4296, maxInflated: 16 * 1024, requireCompression: true };

export function unwrapEnvelope(text: string, prefix: string, limits: EnvelopeLimits = DEFAULT_LIMITS): Uint8Array {
  if (text.length > limits.maxText) throw new EnvelopeError('size', `QR text of ${text.length} characters is longer than the ${limits.maxText} allowed`);
  if (!text.startsWith(prefix)) throw new EnvelopeError('prefix', `QR text does not start with ${prefix}`);
  let packed: Uint8Array;
  try {
    packed = decodeBase45(text, prefix.length);
  } catch (e) {
    throw new EnvelopeError('base45', (e as Error).message);
  }
  // zlib streams start with CMF 0x78 (deflate, 32 KiB window); the header checksum rules out most accidents.
  const isZlib = packed.length >= 2 && (packed[0] & 0x0f) === 8 && ((packed[0] << 8) | packed[1]) % 31 === 0;
  if (!isZlib) {
    if (limits.requireCompression) throw new EnvelopeError('compression', 'content is not zlib-compressed');
    return packed;
  }
  try {
    return new Uint8Array(inflateSync(packed, { maxOutputLength: limits.maxInflated }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|Cannot create a Buffer larger/i.test(err.message)) {
      throw new EnvelopeError('size', `content inflates to more than ${limits.maxInflated} bytes (zip bomb?)`);
    }
    throw new EnvelopeError('compression', `zlib: ${err.message}`);
  }
}

export function wrapEnvelope(content: Uint8Array, prefix: string): string {
  return prefix + encodeBase45(deflateSync(content, { level: 9 }));
}

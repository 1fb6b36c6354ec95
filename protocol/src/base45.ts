// Base45 (RFC 9285): the QR alphanumeric alphabet, so a pass fits the densest QR mode.
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export class Base45Error extends Error {}

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    const c = n % 45; n = (n - c) / 45;
    const d = n % 45; const e = (n - d) / 45;
    out += ALPHABET[c] + ALPHABET[d] + ALPHABET[e];
  }
  if (i < bytes.length) {
    const n = bytes[i];
    out += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  return out;
}

/** Decodes Base45 text; throws Base45Error naming the position of the first bad character or triple. */
export function decodeBase45(text: string, start = 0): Uint8Array {
  const len = text.length - start;
  if (len % 3 === 1) throw new Base45Error(`base45 length ${len} leaves a dangling character`);
  const out = new Uint8Array(Math.floor(len / 3) * 2 + (len % 3 === 2 ? 1 : 0));
  let o = 0;
  const val = (p: number): number => {
    const code = text.charCodeAt(p);
    const v = code < 128 ? DECODE[code] : -1;
    if (v < 0) throw new Base45Error(`base45 character ${JSON.stringify(text[p])} at position ${p} is not in the alphabet`);
    return v;
  };
  let p = start;
  for (; p + 2 < text.length; p += 3) {
    const n = val(p) + val(p + 1) * 45 + val(p + 2) * 2025;
    if (n > 0xffff) throw new Base45Error(`base45 triple at position ${p} encodes ${n}, more than 65535`);
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (p < text.length) {
    const n = val(p) + val(p + 1) * 45;
    if (n > 0xff) throw new Base45Error(`base45 pair at position ${p} encodes ${n}, more than 255`);
    out[o++] = n;
  }
  return out;
}

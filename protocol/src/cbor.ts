// A small CBOR (RFC 8949) codec with hard bounds. Decoding never allocates more than the input can
// justify, never recurses deeper than maxDepth, and rejects duplicate map keys, so no QR content can
// make it throw anything but CborError, hang, or grow without bound.

export class CborError extends Error {}

export class Tagged {
  constructor(readonly tag: number, readonly value: CborValue) {}
}

export type CborValue =
  | number | string | boolean | null | undefined
  | Uint8Array | CborValue[] | Map<CborKey, CborValue> | Tagged;
export type CborKey = number | string;

export interface DecodeLimits {
  /** Deepest nesting of arrays, maps and tags. */
  maxDepth?: number;
  /** Most data items in the whole document. */
  maxItems?: number;
  /** Accept indefinite-length strings, arrays and maps (EU DCCs in the wild use them). */
  allowIndefinite?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

export function decodeCbor(bytes: Uint8Array, limits: DecodeLimits = {}): CborValue {
  const d = new Decoder(bytes, limits);
  const v = d.item(0);
  if (d.pos !== bytes.length) throw new CborError(`${bytes.length - d.pos} trailing bytes after the CBOR item at offset ${d.pos}`);
  return v;
}

const BREAK = Symbol('break');

class Decoder {
  pos = 0;
  items = 0;
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly indefinite: boolean;
  readonly view: DataView;
  constructor(readonly buf: Uint8Array, limits: DecodeLimits) {
    this.maxDepth = limits.maxDepth ?? 16;
    this.maxItems = limits.maxItems ?? 10_000;
    this.indefinite = limits.allowIndefinite ?? false;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CborError(`CBOR truncated: needs ${n} more bytes at offset ${this.pos}, has ${this.buf.length - this.pos}`);
  }

  /** Reads the argument of a head; returns -1 for indefinite length (info 31). */
  arg(info: number): number {
    if (info < 24) return info;
    switch (info) {
      case 24: this.need(1); return this.buf[this.pos++];
      case 25: { this.need(2); const v = this.view.getUint16(this.pos); this.pos += 2; return v; }
      case 26: { this.need(4); const v = this.view.getUint32(this.pos); this.pos += 4; return v; }
      case 27: {
        this.need(8);
        const hi = this.view.getUint32(this.pos); const lo = this.view.getUint32(this.pos + 4);
        this.pos += 8;
        if (hi > 0x1fffff) throw new CborError(`CBOR integer at offset ${this.pos - 9} exceeds 2^53`);
        return hi * 0x100000000 + lo;
      }
      case 31: return -1;
      default: throw new CborError(`CBOR reserved additional info ${info} at offset ${this.pos - 1}`);
    }
  }

  item(depth: number): CborValue {
    const v = this.itemOrBreak(depth);
    if (v === BREAK) throw new CborError(`unexpected CBOR break at offset ${this.pos - 1}`);
    return v;
  }

  itemOrBreak(depth: number): CborValue | typeof BREAK {
    if (++this.items > this.maxItems) throw new CborError(`CBOR has more than ${this.maxItems} items`);
    this.need(1);
    const head = this.buf[this.pos++];
    const major = head >> 5;
    const info = head & 31;
    if (major === 7) return this.simple(info);
    const n = this.arg(info);
    if (n === -1 && (major < 2 || major === 6)) throw new CborError(`CBOR indefinite length not allowed for major type ${major} at offset ${this.pos - 1}`);
    if (n === -1 && !this.indefinite) throw new CborError(`CBOR indefinite length at offset ${this.pos - 1} is not accepted here`);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: return n === -1 ? this.chunks(2, depth) : this.bytes(n);
      case 3: return n === -1 ? utf8text(this.chunks(3, depth) as Uint8Array, this.pos) : utf8text(this.bytes(n), this.pos);
      case 4: return this.array(n, depth);
      case 5: return this.map(n, depth);
      default: {
        if (depth + 1 > this.maxDepth) throw new CborError(`CBOR nesting deeper than ${this.maxDepth}`);
        return new Tagged(n, this.item(depth + 1));
      }
    }
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  chunks(major: number, depth: number): Uint8Array {
    const parts: Uint8Array[] = [];
    for (;;) {
      this.need(1);
      if (this.buf[this.pos] === 0xff) { this.pos++; break; }
      const head = this.buf[this.pos++];
      if (head >> 5 !== major) throw new CborError(`CBOR chunk of major type ${head >> 5} inside an indefinite string of type ${major}`);
      const n = this.arg(head & 31);
      if (n === -1) throw new CborError('CBOR nested indefinite string');
      if (++this.items > this.maxItems) throw new CborError(`CBOR has more than ${this.maxItems} items`);
      parts.push(this.bytes(n));
    }
    void depth;
    const total = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  array(n: number, depth: number): CborValue[] {
    if (depth + 1 > this.maxDepth) throw new CborError(`CBOR nesting deeper than ${this.maxDepth}`);
    // Every item takes at least one byte: a count larger than what is left is a lie, not an allocation.
    if (n > this.buf.length - this.pos) throw new CborError(`CBOR array of ${n} items at offset ${this.pos} is longer than the input`);
    const out: CborValue[] = [];
    if (n === -1) {
      for (;;) { const v = this.itemOrBreak(depth + 1); if (v === BREAK) break; out.push(v); }
    } else {
      for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
    }
    return out;
  }

  map(n: number, depth: number): Map<CborKey, CborValue> {
    if (depth + 1 > this.maxDepth) throw new CborError(`CBOR nesting deeper than ${this.maxDepth}`);
    if (n * 2 > this.buf.length - this.pos) throw new CborError(`CBOR map of ${n} pairs at offset ${this.pos} is longer than the input`);
    const out = new Map<CborKey, CborValue>();
    for (let i = 0; n === -1 || i < n; i++) {
      const at = this.pos;
      const k = n === -1 ? this.itemOrBreak(depth + 1) : this.item(depth + 1);
      if (k === BREAK) break;
      if (typeof k !== 'number' && typeof k !== 'string') throw new CborError(`CBOR map key at offset ${at} is not an integer or text`);
      if (out.has(k)) throw new CborError(`CBOR map has duplicate key ${JSON.stringify(k)} at offset ${at}`);
      out.set(k, this.item(depth + 1));
    }
    return out;
  }

  simple(info: number): CborValue | typeof BREAK {
    switch (info) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 25: { this.need(2); const v = halfToFloat(this.view.getUint16(this.pos)); this.pos += 2; return v; }
      case 26: { this.need(4); const v = this.view.getFloat32(this.pos); this.pos += 4; return v; }
      case 27: { this.need(8); const v = this.view.getFloat64(this.pos); this.pos += 8; return v; }
      case 31: return BREAK;
      default: throw new CborError(`CBOR simple value ${info} at offset ${this.pos - 1} is not supported`);
    }
  }
}

function utf8text(b: Uint8Array, pos: number): string {
  // Most strings in passes and certificates are short ASCII: skip the TextDecoder call for them (about
  // 0.5 µs each, a third of a DCC's decode time).
  if (b.length <= 64) {
    let ascii = true;
    for (let i = 0; i < b.length; i++) if (b[i] > 0x7f) { ascii = false; break; }
    if (ascii) return String.fromCharCode.apply(null, b as unknown as number[]);
  }
  try {
    return utf8.decode(b);
  } catch {
    throw new CborError(`CBOR text before offset ${pos} is not valid UTF-8`);
  }
}

function halfToFloat(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}

// ---- encoding: deterministic (RFC 8949 §4.2.1 core rules: shortest heads, definite lengths). Map keys keep
// the order they were inserted in, so callers write claims in a fixed order and known-answer bytes stay stable.

export function encodeCbor(value: CborValue): Uint8Array {
  const e = new Encoder();
  e.write(value);
  return e.finish();
}

class Encoder {
  buf = new Uint8Array(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  head(major: number, n: number): void {
    this.ensure(9);
    const m = major << 5;
    if (n < 24) this.buf[this.pos++] = m | n;
    else if (n < 0x100) { this.buf[this.pos++] = m | 24; this.buf[this.pos++] = n; }
    else if (n < 0x10000) { this.buf[this.pos++] = m | 25; this.buf[this.pos++] = n >> 8; this.buf[this.pos++] = n & 0xff; }
    else if (n < 0x100000000) {
      this.buf[this.pos++] = m | 26;
      new DataView(this.buf.buffer).setUint32(this.pos, n); this.pos += 4;
    } else {
      this.buf[this.pos++] = m | 27;
      const dv = new DataView(this.buf.buffer);
      dv.setUint32(this.pos, Math.floor(n / 0x100000000)); dv.setUint32(this.pos + 4, n >>> 0); this.pos += 8;
    }
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  write(v: CborValue): void {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) { if (v >= 0) this.head(0, v); else this.head(1, -1 - v); return; }
      this.ensure(9);
      this.buf[this.pos++] = 0xfb;
      new DataView(this.buf.buffer).setFloat64(this.pos, v); this.pos += 8;
      return;
    }
    if (typeof v === 'string') { const b = utf8enc.encode(v); this.head(3, b.length); this.raw(b); return; }
    if (v instanceof Uint8Array) { this.head(2, v.length); this.raw(v); return; }
    if (Array.isArray(v)) { this.head(4, v.length); for (const x of v) this.write(x); return; }
    if (v instanceof Map) { this.head(5, v.size); for (const [k, x] of v) { this.write(k); this.write(x); } return; }
    if (v instanceof Tagged) { this.head(6, v.tag); this.write(v.value); return; }
    if (v === false) { this.ensure(1); this.buf[this.pos++] = 0xf4; return; }
    if (v === true) { this.ensure(1); this.buf[this.pos++] = 0xf5; return; }
    if (v === null) { this.ensure(1); this.buf[this.pos++] = 0xf6; return; }
    if (v === undefined) { this.ensure(1); this.buf[this.pos++] = 0xf7; return; }
    throw new CborError(`cannot encode ${typeof v} as CBOR`);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Converts decoded CBOR into plain JSON-able data (for showing a decoded certificate). */
export function cborToJson(v: CborValue): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(cborToJson);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = cborToJson(x);
    return o;
  }
  if (v instanceof Tagged) return cborToJson(v.value);
  return v;
}

// A sorted set of fixed-width binary keys (holder tokens, pass ids, DCC hashes), each with an optional
// one-byte value. Keys are held as big-endian 32-bit words in one typed array: 1,000,000 eight-byte keys
// take 8 MB, and a lookup is a binary search of ~20 steps with no allocation.

export class KeySetError extends Error {}

export class KeySet {
  private constructor(
    readonly width: number,
    private readonly words: Uint32Array,
    private readonly values: Uint8Array | null,
    readonly size: number,
  ) {}

  static empty(width: number, withValues = false): KeySet {
    return new KeySet(width, new Uint32Array(0), withValues ? new Uint8Array(0) : null, 0);
  }

  /**
   * Reads `n` records of `width` key bytes (+1 value byte when withValues). Records must be strictly
   * increasing: the signer sorts once, so the kiosk never has to, and a duplicate is caught here.
   */
  static fromRecords(bytes: Uint8Array, width: number, withValues: boolean): KeySet {
    const rec = width + (withValues ? 1 : 0);
    if (width % 4 !== 0 || width > 32) throw new KeySetError(`key width ${width} is not a multiple of 4 up to 32`);
    if (bytes.length % rec !== 0) throw new KeySetError(`${bytes.length} bytes is not a whole number of ${rec}-byte records`);
    const n = bytes.length / rec;
    const wpk = width / 4;
    const words = new Uint32Array(n * wpk);
    const values = withValues ? new Uint8Array(n) : null;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) {
      for (let w = 0; w < wpk; w++) words[i * wpk + w] = dv.getUint32(i * rec + w * 4);
      if (values) values[i] = bytes[i * rec + width];
      if (i > 0 && compareAt(words, (i - 1) * wpk, words, i * wpk, wpk) >= 0) {
        throw new KeySetError(`record ${i} is not greater than record ${i - 1}: records must be sorted and unique`);
      }
    }
    return new KeySet(width, words, values, n);
  }

  /** Builds a set from unsorted keys (issuer side); later duplicates win. */
  static build(entries: Iterable<[Uint8Array, number?]>, width: number, withValues: boolean): KeySet {
    const list = [...entries];
    for (const [k] of list) if (k.length !== width) throw new KeySetError(`key of ${k.length} bytes where ${width} are needed`);
    list.sort((a, b) => Buffer.compare(a[0], b[0]));
    const dedup: typeof list = [];
    for (const e of list) {
      if (dedup.length && Buffer.compare(dedup[dedup.length - 1][0], e[0]) === 0) dedup[dedup.length - 1] = e;
      else dedup.push(e);
    }
    const rec = width + (withValues ? 1 : 0);
    const out = new Uint8Array(dedup.length * rec);
    dedup.forEach(([k, v], i) => { out.set(k, i * rec); if (withValues) out[i * rec + width] = v ?? 0; });
    return KeySet.fromRecords(out, width, withValues);
  }

  toRecords(): Uint8Array {
    const wpk = this.width / 4;
    const rec = this.width + (this.values ? 1 : 0);
    const out = new Uint8Array(this.size * rec);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < this.size; i++) {
      for (let w = 0; w < wpk; w++) dv.setUint32(i * rec + w * 4, this.words[i * wpk + w]);
      if (this.values) out[i * rec + this.width] = this.values[i];
    }
    return out;
  }

  /** Index of the key, or -1. The key must be `width` bytes; anything else is simply not found. */
  indexOf(key: Uint8Array): number {
    if (key.length !== this.width) return -1;
    const wpk = this.width / 4;
    const probe = probeWords(key, wpk);
    let lo = 0, hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareAt(this.words, mid * wpk, probe, 0, wpk);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  has(key: Uint8Array): boolean {
    return this.indexOf(key) >= 0;
  }

  /** The value stored with the key, or undefined. */
  get(key: Uint8Array): number | undefined {
    const i = this.indexOf(key);
    return i < 0 || !this.values ? undefined : this.values[i];
  }

  keyAt(i: number): Uint8Array {
    const wpk = this.width / 4;
    const out = new Uint8Array(this.width);
    const dv = new DataView(out.buffer);
    for (let w = 0; w < wpk; w++) dv.setUint32(w * 4, this.words[i * wpk + w]);
    return out;
  }

  valueAt(i: number): number | undefined {
    return this.values ? this.values[i] : undefined;
  }

  get byteLength(): number {
    return this.words.byteLength + (this.values?.byteLength ?? 0);
  }

  /**
   * A new set: this one with `upserts` added (their values replace ours) and `removals` taken out. A delta
   * is small beside the list, so the list is copied in blocks between change points found by binary search:
   * a 10,000-entry delta on 1,000,000 entries takes a few milliseconds. A key in both upserts and removals
   * is kept (upserts win: for revocations and F0/F1 the safe side is red).
   */
  apply(upserts: KeySet, removals: KeySet): KeySet {
    if (upserts.width !== this.width || removals.width !== this.width) throw new KeySetError('delta key width differs from the list');
    const wpk = this.width / 4;
    const words = new Uint32Array((this.size + upserts.size) * wpk);
    const values = this.values ? new Uint8Array(this.size + upserts.size) : null;
    let n = 0; // entries written
    let i = 0; // next entry of this set not yet copied
    const copyRun = (to: number): void => {
      if (to <= i) return;
      words.set(this.words.subarray(i * wpk, to * wpk), n * wpk);
      if (values && this.values) values.set(this.values.subarray(i, to), n);
      n += to - i;
      i = to;
    };
    let u = 0, r = 0;
    while (u < upserts.size || r < removals.size) {
      // the next change in key order; on a tie the upsert is taken and the removal dropped
      const c = u >= upserts.size ? 1 : r >= removals.size ? -1 : compareAt(upserts.words, u * wpk, removals.words, r * wpk, wpk);
      const isUpsert = c <= 0;
      const src = isUpsert ? upserts : removals;
      const at = (isUpsert ? u : r) * wpk;
      const pos = this.lowerBound(src.words, at, i);
      copyRun(pos);
      const found = pos < this.size && compareAt(this.words, pos * wpk, src.words, at, wpk) === 0;
      if (found) i = pos + 1; // replaced or removed
      if (isUpsert) {
        for (let w = 0; w < wpk; w++) words[n * wpk + w] = upserts.words[at + w];
        if (values) values[n] = upserts.values ? upserts.values[u] : 0;
        n++;
        u++;
        if (c === 0) r++;
      } else {
        r++;
      }
    }
    copyRun(this.size);
    return new KeySet(this.width, words.slice(0, n * wpk), values ? values.slice(0, n) : null, n);
  }

  /** First index ≥ from whose key is not less than the key at src[at]. */
  private lowerBound(src: Uint32Array, at: number, from: number): number {
    const wpk = this.width / 4;
    let lo = from, hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(this.words, mid * wpk, src, at, wpk) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** What turns `this` into `next`: keys added or whose value changed, and keys removed. */
  diff(next: KeySet): { upserts: KeySet; removals: KeySet } {
    const wpk = this.width / 4;
    const up: Array<[Uint8Array, number?]> = [];
    const rm: Array<[Uint8Array, number?]> = [];
    let i = 0, j = 0;
    while (i < this.size || j < next.size) {
      const c = i >= this.size ? 1 : j >= next.size ? -1 : compareAt(this.words, i * wpk, next.words, j * wpk, wpk);
      if (c < 0) { rm.push([this.keyAt(i)]); i++; }
      else if (c > 0) { up.push([next.keyAt(j), next.valueAt(j)]); j++; }
      else { if (this.valueAt(i) !== next.valueAt(j)) up.push([next.keyAt(j), next.valueAt(j)]); i++; j++; }
    }
    return { upserts: KeySet.build(up, this.width, !!this.values), removals: KeySet.build(rm, this.width, false) };
  }
}

// One scratch probe for all lookups: JavaScript is single-threaded and indexOf does not re-enter.
const PROBE = new Uint32Array(8);
function probeWords(key: Uint8Array, wpk: number): Uint32Array {
  const out = PROBE;
  for (let w = 0; w < wpk; w++) {
    const o = w * 4;
    out[w] = ((key[o] << 24) | (key[o + 1] << 16) | (key[o + 2] << 8) | key[o + 3]) >>> 0;
  }
  return out;
}

function compareAt(a: Uint32Array, ai: number, b: Uint32Array, bi: number, wpk: number): number {
  for (let w = 0; w < wpk; w++) {
    const x = a[ai + w], y = b[bi + w];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

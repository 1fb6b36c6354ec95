// Test EU DCCs made here, not taken from a corpus: a document signing certificate (DSC) for a key generated in
// the test, written as X.509 DER by hand (Node reads certificates but cannot make them), and HC1: texts signed
// with that key. Lets the tests shape any certificate the schema allows, and any key type.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeCbor, Tagged, wrapEnvelope, toBeSigned, DCC_PREFIX, type CborKey, type CborValue } from '../src/index.js';

// DER: tag, length, content
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return new Uint8Array([tag, ...len, ...content]);
}
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const seq = (...parts: Uint8Array[]) => tlv(0x30, cat(...parts));
const set = (...parts: Uint8Array[]) => tlv(0x31, cat(...parts));
const int = (n: number) => tlv(0x02, new Uint8Array([n]));
const utf8 = (s: string) => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8')));
const printable = (s: string) => tlv(0x13, new Uint8Array(Buffer.from(s, 'latin1')));
function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, new Uint8Array(out));
}
function time(s: number): Uint8Array {
  const iso = new Date(s * 1000).toISOString().replace(/[-:T]|\.\d+/g, ''); // YYYYMMDDHHMMSSZ
  return Number(iso.slice(0, 4)) < 2050 ? tlv(0x17, new Uint8Array(Buffer.from(iso.slice(2)))) : tlv(0x18, new Uint8Array(Buffer.from(iso)));
}
const name = (country: string, cn: string) => seq(set(seq(oid('2.5.4.6'), printable(country))), set(seq(oid('2.5.4.3'), utf8(cn))));

export interface Dsc { der: Uint8Array; privateKey: KeyObject; publicKey: KeyObject }

/**
 * A self-signed DSC. `eku` lists extended key usage OIDs (the DCC ones restrict what it may sign); validity in
 * seconds since 1970. `curve` picks the key: P-256 (ES256, what chot verifies), P-384 (ES384, which it does not).
 */
export function makeDsc(opts: { notBefore: number; notAfter: number; eku?: string[]; curve?: 'P-256' | 'P-384'; cn?: string }): Dsc {
  const curve = opts.curve ?? 'P-256';
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const sigAlg = seq(oid(curve === 'P-256' ? '1.2.840.10045.4.3.2' : '1.2.840.10045.4.3.3'));
  const exts = opts.eku?.length ? [tlv(0xa3, seq(seq(oid('2.5.29.37'), tlv(0x04, seq(...opts.eku.map(oid))))))] : [];
  const tbs = seq(
    tlv(0xa0, int(2)), int(1), sigAlg, name('XX', 'chot test CSCA'), seq(time(opts.notBefore), time(opts.notAfter)),
    name('XX', opts.cn ?? 'chot test DSC'), new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), ...exts,
  );
  const signature = sign(curve === 'P-256' ? 'sha256' : 'sha384', tbs, privateKey);
  return { der: seq(tbs, sigAlg, tlv(0x03, cat(new Uint8Array([0]), new Uint8Array(signature)))), privateKey, publicKey };
}

/** JSON → CBOR as an issuer would write it: objects become maps, whole numbers stay integers, null stays null. */
function toCbor(v: unknown): CborValue {
  if (Array.isArray(v)) return v.map(toCbor);
  if (v && typeof v === 'object') return new Map<CborKey, CborValue>(Object.entries(v).map(([k, x]) => [k, toCbor(x)]));
  return v as CborValue;
}

/**
 * An HC1: text for `cert`, signed by `dsc`. The COSE algorithm follows the DSC's curve (ES256 or ES384) unless
 * `alg` names another COSE algorithm id for the header. Times in seconds since 1970.
 */
export function makeDcc(cert: unknown, dsc: Dsc, opts: { iat: number; exp: number; iss?: string; alg?: number }): string {
  const claims = new Map<CborKey, CborValue>([[1, opts.iss ?? 'XX'], [4, opts.exp], [6, opts.iat], [-260, new Map<CborKey, CborValue>([[1, toCbor(cert)]])]]);
  const payload = encodeCbor(claims);
  const p384 = dsc.publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  const kid = new Uint8Array(createHash('sha256').update(dsc.der).digest().subarray(0, 8));
  const protectedBytes = encodeCbor(new Map<CborKey, CborValue>([[1, opts.alg ?? (p384 ? -35 : -7)], [4, kid]]));
  const signature = sign(p384 ? 'sha384' : 'sha256', toBeSigned(protectedBytes, payload), { key: dsc.privateKey, dsaEncoding: 'ieee-p1363' });
  return wrapEnvelope(encodeCbor(new Tagged(18, [protectedBytes, new Map(), payload, new Uint8Array(signature)])), DCC_PREFIX);
}

/** A schema 1.3.0 vaccination certificate (dose 2 of 2), with `over` merged in at the top level. */
export function vaccination(over: Record<string, unknown> = {}, entry: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ver: '1.3.0', nam: { fn: 'Nguyễn', fnt: 'NGUYEN', gn: 'Văn An', gnt: 'VAN<AN' }, dob: '1980-01-31',
    v: [{ tg: '840539006', vp: '1119349007', mp: 'EU/1/20/1528', ma: 'ORG-100030215', dn: 2, sd: 2, dt: '2021-06-01', co: 'DE', is: 'Robert Koch-Institut', ci: 'URN:UVCI:01:DE:CHOTTEST0001#X', ...entry }],
    ...over,
  };
}

/** A schema 1.3.0 negative NAAT test certificate. */
export function testResult(over: Record<string, unknown> = {}, entry: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ver: '1.3.0', nam: { fnt: 'TRAN', gnt: 'THI<BINH' }, dob: '1990-05-05',
    t: [{ tg: '840539006', tt: 'LP6464-4', nm: 'PCR', sc: '2021-07-14T08:00:00Z', tr: '260415000', tc: 'Test centre', co: 'AT', is: 'Ministry of Health', ci: 'URN:UVCI:01:AT:CHOTTEST0002#Y', ...entry }],
    ...over,
  };
}

export const EKU_TEST = '1.3.6.1.4.1.1847.2021.1.1';
export const EKU_VACCINATION = '1.3.6.1.4.1.1847.2021.1.2';

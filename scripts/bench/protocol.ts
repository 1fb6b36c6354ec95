// protocol/ benchmarks: verify rate against bare crypto.verify, pass size, status list memory, lookups, deltas.
import { generateKeyPairSync, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import QRCode from 'qrcode';
import {
  applyStatusDelta, buildStatusList, decodeSign1, issuePass, issuerEntryToWire, makeDelta, openStatusDelta,
  openStatusList, openTrustList, signStatusDelta, signStatusList, signTrustList, toBeSigned, unwrapEnvelope, verifyPass,
  ID_BYTES, type Pass,
} from '../../protocol/src/index.js';
import { compareRates, opsPerSecond, printTable, type Row } from './measure.js';

const T0 = Date.parse('2021-09-10T08:00:00+07:00') / 1000;

function shipper(issuer: string): Pass {
  return {
    id: new Uint8Array(randomBytes(8)), issuer, issuedAt: T0, validFrom: T0, validUntil: T0 + 14 * 86400,
    holderName: 'Nguyễn Thị Hồng Nhung', idLast4: '4821', holderToken: new Uint8Array(randomBytes(8)), category: 'shipper',
    areas: ['79', '74/25747'], hours: [[300, 1320]], plate: '51C-123.45', health: 'none', declaredAt: T0 - 3600,
  };
}

export function benchVerify(): void {
  const root = generateKeyPairSync('ed25519');
  const keys = { EdDSA: generateKeyPairSync('ed25519'), ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }) };
  const y = 365 * 86400;
  const trust = openTrustList(signTrustList(1, T0, Object.entries(keys).map(([alg, k]) => issuerEntryToWire({
    issuer: `VN-${alg}`, name: alg, publicKey: k.publicKey, validFrom: T0 - y, validUntil: T0 + y, categories: ['shipper'], areas: ['VN'],
  })), root.privateKey), root.publicKey);
  // a status list of realistic size, so lookups are part of the measured verify
  const status = buildStatusList(1, T0, Array.from({ length: 100_000 }, () => [new Uint8Array(randomBytes(8)), 'F1'] as const) as never, []);
  const ctx = { trust, status, now: (T0 + 3600) * 1000, checkpoint: { area: '79/26734' } };
  const rows: Row[] = [];
  const sizes: Row[] = [];
  for (const [alg, k] of Object.entries(keys)) {
    const text = issuePass(shipper(`VN-${alg}`), k.privateKey);
    if (verifyPass(text, ctx).verdict !== 'green') throw new Error(`bench pass for ${alg} is not green`);
    const s = decodeSign1(unwrapEnvelope(text, 'VN1:'));
    const tbs = toBeSigned(s.protectedBytes, s.payload);
    const bare = alg === 'EdDSA'
      ? () => cryptoVerify(null, tbs, k.publicKey, s.signature)
      : () => cryptoVerify('sha256', tbs, { key: k.publicKey, dsaEncoding: 'ieee-p1363' }, s.signature);
    const [bareRate, fullRate] = compareRates(bare, () => verifyPass(text, ctx));
    rows.push({ alg, 'bare crypto.verify /s': bareRate, 'full verifyPass /s': fullRate, 'full / bare': `${((fullRate / bareRate) * 100).toFixed(1)} %`, 'µs per verify': 1e6 / fullRate });
    const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
    sizes.push({ alg, 'QR text chars': text.length, 'QR version (EC M)': String(qr.version), 'v11-M holds': 362 });
  }
  printTable('Pass verification, one core (typical shipper pass, 100,000-entry status list)', rows);
  printTable('Typical shipper pass size (Vietnamese name, 2 areas, 1 hours window, plate)', sizes);
}

export function benchStatusList(): void {
  const N = 1_000_000;
  const root = generateKeyPairSync('ed25519');
  const tokens = Array.from({ length: N }, () => new Uint8Array(randomBytes(ID_BYTES)));
  const half = N / 2;
  const list = buildStatusList(1, T0, tokens.slice(0, half).map((t, i) => [t, i % 2 ? 'F0' : 'F1'] as const) as never, tokens.slice(half));
  const signed = signStatusList(list, root.privateKey);
  (globalThis as { gc?: () => void }).gc?.();
  const heap0 = process.memoryUsage();
  const t0 = performance.now();
  const held = openStatusList(signed, root.publicKey);
  const openMs = performance.now() - t0;
  (globalThis as { gc?: () => void }).gc?.();
  const heap1 = process.memoryUsage();
  const probes = Array.from({ length: 1024 }, (_, i) => (i % 2 ? tokens[(i * 7919) % N] : new Uint8Array(randomBytes(8))));
  let i = 0;
  const holderRate = opsPerSecond(() => held.holders.get(probes[i++ & 1023]));
  const passRate = opsPerSecond(() => held.revokedPasses.has(probes[i++ & 1023]));
  // a 10,000-entry delta: 5,000 new F0s, 2,500 recoveries, 2,500 new revocations
  const fresh = Array.from({ length: 5000 }, () => [new Uint8Array(randomBytes(8)), 'F0'] as const);
  const next = buildStatusList(2, T0 + 60,
    [...tokens.slice(2500, half).map((t, k) => [t, (k + 2500) % 2 ? 'F0' : 'F1'] as const), ...fresh] as never,
    [...tokens.slice(half), ...Array.from({ length: 2500 }, () => new Uint8Array(randomBytes(8)))]);
  const current = buildStatusList(1, T0, tokens.slice(0, half).map((t, k) => [t, k % 2 ? 'F0' : 'F1'] as const) as never, tokens.slice(half));
  const delta = makeDelta(current, next);
  const deltaEntries = delta.holderUpserts.size + delta.holderRemovals.size + delta.passAdds.size + delta.passRemovals.size;
  const deltaBytes = signStatusDelta(delta, root.privateKey);
  const times: number[] = [];
  let applied = held;
  for (let r = 0; r < 5; r++) {
    const t1 = performance.now();
    applied = applyStatusDelta(held, openStatusDelta(deltaBytes, root.publicKey));
    times.push(performance.now() - t1);
  }
  times.sort((a, b) => a - b);
  const entries = applied.holders.size + applied.revokedPasses.size;
  printTable(`Status list at ${N.toLocaleString('en-US')} entries (${half.toLocaleString('en-US')} holders F0/F1 + ${half.toLocaleString('en-US')} revoked passes)`, [
    { measure: 'signed list size', value: `${(signed.length / 1e6).toFixed(2)} MB` },
    { measure: 'in-memory size (typed arrays)', value: `${((held.holders.byteLength + held.revokedPasses.byteLength) / 1e6).toFixed(2)} MB` },
    { measure: 'heap growth after open (node --expose-gc)', value: (globalThis as { gc?: unknown }).gc ? `${((heap1.heapUsed + heap1.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) / 1e6).toFixed(2)} MB` : 'n/a (run with --expose-gc)' },
    { measure: 'open (verify signature + load)', value: `${openMs.toFixed(1)} ms` },
    { measure: 'holder lookup', value: `${(1e9 / holderRate).toFixed(0)} ns` },
    { measure: 'revoked-pass lookup', value: `${(1e9 / passRate).toFixed(0)} ns` },
    { measure: `apply a ${deltaEntries.toLocaleString('en-US')}-entry delta (verify + merge), median of 5`, value: `${times[2].toFixed(1)} ms` },
    { measure: 'entries after delta', value: entries.toLocaleString('en-US') },
  ]);
}

/** Why node:zlib and not fflate: the same pass inflated by both, beside the cost of a whole verify. */
export async function benchInflate(): Promise<void> {
  const { inflateSync } = await import('node:zlib');
  const { unzlibSync } = await import('fflate');
  const { decodeBase45 } = await import('../../protocol/src/index.js');
  const k = generateKeyPairSync('ed25519');
  const packed = decodeBase45(issuePass(shipper('VN-79'), k.privateKey), 4);
  const bomb = (await import('node:zlib')).deflateSync(new Uint8Array(10_000_000));
  let zlibCapped = 'no';
  try { inflateSync(bomb, { maxOutputLength: 1024 }); } catch { zlibCapped = 'yes: stops at 1,024 bytes'; }
  const t0 = performance.now(); const f = unzlibSync(bomb); const fflateMs = performance.now() - t0;
  printTable('Inflating a pass: node:zlib (kept) vs fflate', [
    { library: 'node:zlib inflateSync', 'µs per pass': 1e6 / opsPerSecond(() => inflateSync(packed, { maxOutputLength: 1024 })), 'output cap (zip bomb)': zlibCapped },
    { library: 'fflate unzlibSync', 'µs per pass': 1e6 / opsPerSecond(() => unzlibSync(packed)), 'output cap (zip bomb)': `no: a 10 MB bomb inflated fully (${f.length.toLocaleString('en-US')} bytes, ${fflateMs.toFixed(0)} ms)` },
  ]);
}

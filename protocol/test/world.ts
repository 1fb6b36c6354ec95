// A small signed world for tests: a root, issuers, a trust list, a status list and a typical pass.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  buildStatusList, issuerEntryToWire, issuePass, openStatusList, openTrustList, signStatusList, signTrustList,
  type Pass, type StatusList, type TrustList, type VerifyContext,
} from '../src/index.js';

export const T0 = Date.parse('2021-09-10T08:00:00+07:00') / 1000;
export const repoRoot = new URL('../../../', import.meta.url).pathname;

export interface World {
  root: { privateKey: KeyObject; publicKey: KeyObject };
  ed: { privateKey: KeyObject; publicKey: KeyObject };
  ec: { privateKey: KeyObject; publicKey: KeyObject };
  /** A district office: residents only, one unit of HCMC. */
  district: { privateKey: KeyObject; publicKey: KeyObject };
  trustBytes: Uint8Array;
  trust: TrustList;
  status: StatusList;
}

export function makeWorld(): World {
  const root = generateKeyPairSync('ed25519');
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const district = generateKeyPairSync('ed25519');
  const year = 365 * 86400;
  const trustBytes = signTrustList(1, T0, [
    issuerEntryToWire({ issuer: 'VN-79', name: 'Sở Y tế TP. Hồ Chí Minh', publicKey: ed.publicKey, validFrom: T0 - year, validUntil: T0 + year, categories: ['resident', 'shipper', 'goods', 'medical'], areas: ['79', '74'] }),
    issuerEntryToWire({ issuer: 'VN-BYT', name: 'Bộ Y tế', publicKey: ec.publicKey, validFrom: T0 - year, validUntil: T0 + year, categories: ['resident', 'shipper', 'official', 'medical', 'goods', 'foreign'], areas: ['VN'] }),
    issuerEntryToWire({ issuer: 'VN-79-760', name: 'UBND Quận 1', publicKey: district.publicKey, validFrom: T0 - year, validUntil: T0 + year, categories: ['resident'], areas: ['79/26734'] }),
  ], root.privateKey);
  const trust = openTrustList(trustBytes, root.publicKey);
  const status = openStatusList(signStatusList(buildStatusList(1, T0, [], []), root.privateKey), root.publicKey);
  return { root, ed, ec, district, trustBytes, trust, status };
}

/** A typical shipper pass: a Vietnamese name with diacritics, two areas, an hours window, a plate. */
export function shipperPass(over: Partial<Pass> = {}): Pass {
  return {
    id: new Uint8Array(randomBytes(8)), issuer: 'VN-79', issuedAt: T0, validFrom: T0, validUntil: T0 + 14 * 86400,
    holderName: 'Nguyễn Thị Hồng Nhung', idLast4: '4821', holderToken: new Uint8Array(randomBytes(8)),
    category: 'shipper', areas: ['79', '74/25747'], hours: [[5 * 60, 22 * 60]], plate: '51C-123.45',
    health: 'none', declaredAt: T0 - 3600, ...over,
  };
}

export function ctx(w: World, over: Partial<VerifyContext> = {}): VerifyContext {
  return { trust: w.trust, status: w.status, now: (T0 + 3600) * 1000, checkpoint: { area: '79/26734' }, ...over };
}

export { issuePass };

// Vietnamese administrative-unit codes. Since the 2025 reform there are 34 provinces and no districts, and
// codes will change again, so they are data: an area is a province code ("79"), optionally with the code
// of a unit inside it ("79/26734"), or "VN" for the whole country. On the wire an area is one unsigned
// integer: 0 for VN, the province (1–99), or province × 100000 + unit.

export type Area = string;

const AREA_RE = /^(?:VN|(\d{2})(?:\/(\d{1,5}))?)$/;

export function parseArea(s: string): { province: number; unit: number } {
  const m = AREA_RE.exec(s);
  if (!m) throw new Error(`area ${JSON.stringify(s)} is not "VN", a 2-digit province code or "PP/UUUUU"`);
  if (s === 'VN') return { province: 0, unit: 0 };
  const province = Number(m[1]);
  const unit = m[2] ? Number(m[2]) : 0;
  if (province === 0) throw new Error(`area ${JSON.stringify(s)}: province code 00 does not exist`);
  if (m[2] && unit === 0) throw new Error(`area ${JSON.stringify(s)}: unit code 0 does not exist`);
  return { province, unit };
}

export function isArea(s: unknown): s is Area {
  return typeof s === 'string' && AREA_RE.test(s) && s !== '00' && !s.startsWith('00/') && !/\/0+$/.test(s);
}

export function areaToWire(s: Area): number {
  const { province, unit } = parseArea(s);
  return unit ? province * 100000 + unit : province;
}

/** Returns undefined for a number that names no area. */
export function areaFromWire(n: number): Area | undefined {
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  if (n === 0) return 'VN';
  if (n < 100) return String(n).padStart(2, '0');
  const province = Math.floor(n / 100000);
  const unit = n % 100000;
  if (province < 1 || province > 99 || unit === 0) return undefined;
  return `${String(province).padStart(2, '0')}/${unit}`;
}

/** Whether `inner` lies within `outer` (VN holds everything; a province holds its units). */
export function areaContains(outer: Area, inner: Area): boolean {
  if (outer === 'VN') return true;
  if (outer === inner) return true;
  const slash = outer.indexOf('/');
  if (slash >= 0) return false; // a unit holds only itself
  return inner.length > 3 && inner.startsWith(outer) && inner[2] === '/';
}

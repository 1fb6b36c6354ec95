// F0–F3 per area (issue 17): the health authority's import names each holder's state and registered area; the store
// keeps the current state and area per holder token, the current count per area and state, and each day's changes.
// Everything here is pure: both store backends plan a change with planHealth and apply the plan in one transaction,
// and the web side turns the counts into what may leave the hub (healthView: counts only, small ones as "< N").
import { isArea } from '../../protocol/src/index.js';

export const HEALTH_CODES = ['F0', 'F1', 'F2', 'F3'] as const;
export type HealthCode = (typeof HEALTH_CODES)[number];
export type AreaLevel = 'nation' | 'province' | 'district' | 'ward';
export const AREA_LEVELS: readonly AreaLevel[] = ['nation', 'province', 'district', 'ward'];

/** One line of an import: a holder's new state (null: cleared) and, when given, the area they are registered in. */
export interface HealthChange { holder: string; state: HealthCode | null; area?: string }
/** What the store keeps per holder: the state, and the registered area ('' when never given). */
export interface HolderHealth { state: HealthCode; area: string }
export interface HealthCountRow { level: AreaLevel; area: string; state: HealthCode; n: number }
/** A day's changes in one area: `+F0` holders who became F0 there, `-F0` who stopped being F0 there (cleared, another
 * state, or moved away). */
export interface HealthChangeRow { day: string; level: AreaLevel; area: string; key: string; n: number }
export interface HealthFigures { version: number | null; current: HealthCountRow[]; changes: Array<Omit<HealthChangeRow, 'day'>> }

/**
 * A registered area as the import takes it: a province ("79"), a ward in the project's area form ("79/26734"), or
 * province, district and ward ("79/760/26734", the 2021 units, when the authority's data has districts). Returns
 * the normalised text, or undefined when it is none of these.
 */
export function parseRegisteredArea(s: string): string | undefined {
  const parts = s.split('/');
  if (parts.length > 3 || !parts.every((x) => /^\d+$/.test(x)) || !/^\d{2}$/.test(parts[0])) return undefined;
  const [p, a, b] = parts;
  if (b !== undefined) return /^\d{1,3}$/.test(a) && Number(a) > 0 && isArea(`${p}/${b}`) ? `${p}/${Number(a)}/${Number(b)}` : undefined;
  if (a !== undefined) return isArea(s) ? `${p}/${Number(a)}` : undefined;
  return isArea(s) ? s : undefined;
}

/** The areas a holder registered in `area` counts in: the nation always, then province, district and ward as known. */
export function areaLevels(area: string): Partial<Record<AreaLevel, string>> {
  const out: Partial<Record<AreaLevel, string>> = { nation: 'VN' };
  if (!area) return out;
  const [p, a, b] = area.split('/');
  out.province = p;
  if (b !== undefined) { out.district = `${p}/${a}`; out.ward = `${p}/${b}`; } else if (a !== undefined) out.ward = `${p}/${a}`;
  return out;
}

export interface HealthPlan {
  /** holders to write (state and area) and to delete */
  put: Array<{ holder: string } & HolderHealth>;
  remove: string[];
  /** count deltas per (level, area, state), and the day's change counters */
  counts: Array<{ level: AreaLevel; area: string; state: HealthCode; d: number }>;
  changes: HealthChangeRow[];
  /** holders whose state or area changed */
  changed: number;
}

/**
 * What a set of changes does to the store. `before` has the stored rows of the holders named (and, for a complete
 * import, of every holder). A change without an area keeps the one known. `complete`: the changes list everybody in
 * a state, so every stored holder not named is cleared (an import that reconciles the store with the signed list).
 * A holder named twice: the last line wins.
 */
export function planHealth(day: string, before: Map<string, HolderHealth>, changes: HealthChange[], complete: boolean): HealthPlan {
  const last = new Map<string, HealthChange>();
  for (const c of changes) last.set(c.holder, c);
  if (complete) for (const h of before.keys()) if (!last.has(h)) last.set(h, { holder: h, state: null });
  const counts = new Map<string, { level: AreaLevel; area: string; state: HealthCode; d: number }>();
  const moves = new Map<string, HealthChangeRow>();
  const count = (level: AreaLevel, area: string, state: HealthCode, d: number) => {
    const k = `${level}\u0000${area}\u0000${state}`;
    const e = counts.get(k);
    if (e) e.d += d; else counts.set(k, { level, area, state, d });
    const key = `${d > 0 ? '+' : '-'}${state}`;
    const mk = `${level}\u0000${area}\u0000${key}`;
    const m = moves.get(mk);
    if (m) m.n++; else moves.set(mk, { day, level, area, key, n: 1 });
  };
  const plan: HealthPlan = { put: [], remove: [], counts: [], changes: [], changed: 0 };
  // one order for every transaction: two imports at once never deadlock
  for (const c of [...last.values()].sort((a, b) => (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0))) {
    const was = before.get(c.holder);
    const now: HolderHealth | undefined = c.state ? { state: c.state, area: c.area ?? was?.area ?? '' } : undefined;
    if (was?.state === now?.state && was?.area === now?.area) continue;
    plan.changed++;
    if (now) plan.put.push({ holder: c.holder, ...now }); else plan.remove.push(c.holder);
    const a = was ? areaLevels(was.area) : {}, b = now ? areaLevels(now.area) : {};
    for (const level of AREA_LEVELS) {
      // a level where neither the area nor the state changed did not change (a move between wards of one province)
      if (a[level] === b[level] && was?.state === now?.state) continue;
      if (was && a[level]) count(level, a[level], was.state, -1);
      if (now && b[level]) count(level, b[level], now.state, +1);
    }
  }
  plan.counts = [...counts.values()].filter((c) => c.d !== 0).sort(byKey);
  plan.changes = [...moves.values()].sort(byKey);
  return plan;
}

const byKey = (x: { level: string; area: string }, y: { level: string; area: string }) =>
  x.level < y.level ? -1 : x.level > y.level ? 1 : x.area < y.area ? -1 : x.area > y.area ? 1 : 0;

// ---- what leaves the hub: counts, small ones hidden -------------------------------------------------------------

/** A count as it may be shown: the number, or "< N" for 1..N-1 (a handful of people in one place can be named). */
export type Shown = number | string;
export const shown = (n: number, min: number): Shown => (n > 0 && n < min ? `< ${min}` : n);

export interface AreaHealth {
  area: string;
  /** current count per state */
  counts: Record<HealthCode, Shown>;
  /** the range's changes per state: in (+) and out (−) */
  changes: Record<HealthCode, { in: Shown; out: Shown }>;
  /** the seed's form: "F0 6,355 · F1 5,063 · F2 6,954 · F3 1,114" */
  text: string;
}

export interface HealthView {
  day: string;
  version: number | null;
  minCount: number;
  nation: AreaHealth;
  /** holders whose area was never given: in the nation's count, in no province's */
  noArea: Record<HealthCode, Shown>;
  provinces: AreaHealth[];
  districts: AreaHealth[];
  wards: AreaHealth[];
}

const num = (v: Shown) => (typeof v === 'number' ? v.toLocaleString('en-US') : v);
export const healthText = (c: Record<HealthCode, Shown>) => HEALTH_CODES.map((s) => `${s} ${num(c[s])}`).join(' · ');

/**
 * The figures as the API gives them. Below the nation, every count of 1 to minCount−1 (current or a change) is
 * shown as "< minCount". `province` keeps only that province's districts and wards (the dashboard's drill-down).
 */
export function healthView(f: HealthFigures, day: string, minCount: number, province?: string): HealthView {
  const by = new Map<string, { level: AreaLevel; area: string; counts: Record<string, number>; inn: Record<string, number>; out: Record<string, number> }>();
  const entry = (level: AreaLevel, area: string) => {
    const k = `${level}\u0000${area}`;
    let e = by.get(k);
    if (!e) by.set(k, (e = { level, area, counts: {}, inn: {}, out: {} }));
    return e;
  };
  entry('nation', 'VN');
  for (const r of f.current) if (r.n) entry(r.level, r.area).counts[r.state] = (entry(r.level, r.area).counts[r.state] ?? 0) + r.n;
  for (const r of f.changes) {
    const m = /^([+-])(F[0-3])$/.exec(r.key);
    if (!m || !r.n) continue;
    const e = entry(r.level, r.area);
    const side = m[1] === '+' ? e.inn : e.out;
    side[m[2]] = (side[m[2]] ?? 0) + r.n;
  }
  const view = (e: NonNullable<ReturnType<typeof by.get>>, min: number): AreaHealth => {
    const counts = Object.fromEntries(HEALTH_CODES.map((s) => [s, shown(e.counts[s] ?? 0, min)])) as Record<HealthCode, Shown>;
    const changes = Object.fromEntries(HEALTH_CODES.map((s) => [s, { in: shown(e.inn[s] ?? 0, min), out: shown(e.out[s] ?? 0, min) }])) as AreaHealth['changes'];
    return { area: e.area, counts, changes, text: healthText(counts) };
  };
  const all = [...by.values()];
  const nation = by.get('nation\u0000VN')!;
  const level = (l: AreaLevel) => all.filter((e) => e.level === l && (l === 'province' || !province || e.area.startsWith(`${province}/`)))
    .sort((a, b) => a.area.localeCompare(b.area, 'en', { numeric: true })).map((e) => view(e, minCount));
  const placed = (s: string) => all.filter((e) => e.level === 'province').reduce((a, e) => a + (e.counts[s] ?? 0), 0);
  return {
    day, version: f.version, minCount,
    // the nation is never hidden: its count names nobody
    nation: view(nation, 0),
    noArea: Object.fromEntries(HEALTH_CODES.map((s) => [s, shown((nation.counts[s] ?? 0) - placed(s), minCount)])) as Record<HealthCode, Shown>,
    provinces: level('province'), districts: level('district'), wards: level('ward'),
  };
}

const csvCell = (v: unknown) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** The view as CSV: one row per area (nation, provinces, districts, wards), counts and the range's changes. */
export function healthCsv(v: HealthView): string {
  const head = ['day', 'level', 'area', ...HEALTH_CODES, ...HEALTH_CODES.flatMap((s) => [`${s}_in`, `${s}_out`])];
  const row = (level: string, a: AreaHealth) => [v.day, level, a.area, ...HEALTH_CODES.map((s) => a.counts[s]), ...HEALTH_CODES.flatMap((s) => [a.changes[s].in, a.changes[s].out])];
  const lines = [head, row('nation', v.nation), ...v.provinces.map((a) => row('province', a)), ...v.districts.map((a) => row('district', a)), ...v.wards.map((a) => row('ward', a))];
  return lines.map((l) => l.map(csvCell).join(',')).join('\n') + '\n';
}

// Daily throughput figures: per checkpoint, per local day (the day turns at 00:00 in the hub's time zone,
// +07:00 for Viet Nam) and per hour: scans, green, red by reason, by category, overrides, unsynchronised-clock
// scans, and the time from read to signal (p50, p95 from a fixed histogram). Nationwide and per-province totals
// are sums. The store keeps them as counters (day, checkpoint, key) → n, updated in the transaction that inserts
// the scans, from the rows actually inserted: exactly-once by construction. Everything here is pure.
import { isPassageReason, localDay, utcOffsetMinutes, type ScanRecord } from '../../protocol/src/index.js';
import type { CounterRow } from './store/port.js';
import { shown, type Shown } from './health.js';

/** Upper bounds (ms) of the read-to-signal histogram buckets; the last one is open. */
export const LATENCY_BOUNDS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, Infinity];

export interface Counts {
  scans: number;
  green: number;
  red: number;
  overrides: number;
  unsynced: number;
  /** a gate's passage sensor: greens and overrides nobody passed after (annulled), passages with no green waiting */
  annulled: number;
  tailgate: number;
  reasons: Record<string, number>;
  categories: Record<string, number>;
  latency: number[];
}

export interface CheckpointDay {
  total: Counts;
  hours: Counts[];
}

export const emptyCounts = (): Counts => ({ scans: 0, green: 0, red: 0, overrides: 0, unsynced: 0, annulled: 0, tailgate: 0, reasons: {}, categories: {}, latency: LATENCY_BOUNDS.map(() => 0) });

export function addScan(c: Counts, s: ScanRecord): void {
  if (s.reason === 'no-passage') { c.annulled++; return; } // a passage record is not a scan (keysOf)
  if (s.reason === 'tailgate') { c.tailgate++; return; }
  if (!s.clockSynced) c.unsynced++;
  if (s.override) { c.overrides++; return; } // the officer's button is not a scanned pass
  c.scans++;
  if (s.verdict === 'green') c.green++;
  else { c.red++; c.reasons[s.reason] = (c.reasons[s.reason] ?? 0) + 1; }
  if (s.category) c.categories[s.category] = (c.categories[s.category] ?? 0) + 1;
  c.latency[LATENCY_BOUNDS.findIndex((b) => s.ms <= b)]++;
}

export function mergeCounts(into: Counts, c: Counts): void {
  into.scans += c.scans; into.green += c.green; into.red += c.red; into.overrides += c.overrides; into.unsynced += c.unsynced;
  into.annulled += c.annulled; into.tailgate += c.tailgate;
  for (const [k, v] of Object.entries(c.reasons)) into.reasons[k] = (into.reasons[k] ?? 0) + v;
  for (const [k, v] of Object.entries(c.categories)) into.categories[k] = (into.categories[k] ?? 0) + v;
  c.latency.forEach((v, i) => (into.latency[i] += v));
}

/** The upper bound of the bucket that holds the p-th percentile, in ms. */
export function latencyPercentile(c: Counts, p: number): number | null {
  const n = c.latency.reduce((a, b) => a + b, 0);
  if (!n) return null;
  let seen = 0;
  for (let i = 0; i < c.latency.length; i++) {
    seen += c.latency[i];
    if (seen >= (p / 100) * n) return Number.isFinite(LATENCY_BOUNDS[i]) ? LATENCY_BOUNDS[i] : LATENCY_BOUNDS[i - 1];
  }
  return null;
}

/** The ministry's way: "5,263,863 / 5,310,217 (99.1 %)". */
export function passRateText(green: number, scans: number): string {
  const pct = scans ? ((green / scans) * 100).toFixed(1) : '–';
  return `${green.toLocaleString('en-US')} / ${scans.toLocaleString('en-US')} (${pct} %)`;
}

export interface Summary {
  scans: number; green: number; red: number; overrides: number; unsynced: number;
  passRate: number | null; passRateText: string;
  reasons: Record<string, number>; categories: Record<string, number>;
  p50Ms: number | null; p95Ms: number | null;
  /** only where a gate has a passage sensor (a checkpoint, or the sum of those in a province or the nation) */
  passage?: Passage;
}

/**
 * What a gate with a passage sensor adds: of the validated (green scans and the officer's openings, each of which
 * opened the gate), those passed through and those annulled because nobody did; and passages with no green
 * waiting. passed = validated − not passed: the kiosk reports the misses, not every passage.
 */
export interface Passage { validated: number; passed: number; notPassed: number; tailgating: number }

export function passageOf(c: Counts): Passage {
  const validated = c.green + c.overrides;
  return { validated, passed: Math.max(0, validated - c.annulled), notPassed: c.annulled, tailgating: c.tailgate };
}

function addPassage(into: Passage | undefined, p: Passage): Passage {
  if (!into) return { ...p };
  into.validated += p.validated; into.passed += p.passed; into.notPassed += p.notPassed; into.tailgating += p.tailgating;
  return into;
}

export function summarise(c: Counts): Summary {
  return {
    scans: c.scans, green: c.green, red: c.red, overrides: c.overrides, unsynced: c.unsynced,
    passRate: c.scans ? c.green / c.scans : null, passRateText: passRateText(c.green, c.scans),
    reasons: c.reasons, categories: c.categories, p50Ms: latencyPercentile(c, 50), p95Ms: latencyPercentile(c, 95),
  };
}

export interface DayReport {
  day: string;
  timeZone: string;
  nationwide: Summary & { hours: number[] };
  /** an array, in code order: object keys like "79" would be reordered by JavaScript before "01" */
  provinces: Array<Summary & { province: string }>;
  checkpoints: Array<Summary & { id: string; area: string; province: string; hours: number[] }>;
}

/** What decides a scan's counters: the scan with its latency already put in its histogram bucket. */
export interface CounterShape { clockSynced: boolean; override?: boolean; verdict: string; reason: string; category?: string | null; origin?: string | null; officer?: string | null; bucket: number; hour: number }

/** The counters one scan adds to its checkpoint's day: +1 each. Reasons and categories come from known sets
 * (checked at ingest), and origins and officers match their patterns (the scan schema), so these keys never carry arbitrary
 * input. An origin is counted by verdict (`o:VN-79:green`): the movement between provinces (movementFrom). */
export function keysOf(s: CounterShape): string[] {
  // a passage record (a gate's sensor) is not a scan: counted apart, not as red, nor in the officer's or the hour's
  if (isPassageReason(s.reason)) return [s.reason === 'no-passage' ? 'annulled' : 'tailgate'];
  const keys: string[] = [];
  if (!s.clockSynced) keys.push('unsynced');
  // the officer on duty, by verdict and by override (`f:CA79-0042:green`): the figures grouped by officer
  if (s.officer) keys.push(`f:${s.officer}:${s.override ? 'override' : s.verdict === 'green' ? 'green' : 'red'}`);
  if (s.override) { keys.push('overrides'); return keys; } // the officer's button is not a scanned pass
  keys.push('scans', s.verdict === 'green' ? 'green' : 'red');
  if (s.verdict !== 'green') keys.push(`r:${s.reason}`);
  if (s.category) keys.push(`c:${s.category}`);
  if (s.origin) keys.push(`o:${s.origin}:${s.verdict === 'green' ? 'green' : 'red'}`);
  keys.push(`l:${s.bucket}`, `h:${s.hour}`);
  return keys;
}

export const latencyBucket = (ms: number): number => LATENCY_BOUNDS.findIndex((b) => ms <= b);

export function counterKeys(s: ScanRecord & { hour: number }): string[] {
  return keysOf({ ...s, bucket: latencyBucket(s.ms) });
}

/** Counters from groups of alike scans (`n` each), as the database's recount query returns them. */
export function countersFromGroups(day: string, groups: Array<CounterShape & { kiosk: string; n: number }>): CounterRow[] {
  const m = new Map<string, CounterRow>();
  for (const g of groups) {
    for (const key of keysOf(g)) {
      const id = `${g.kiosk}\u0000${key}`;
      const row = m.get(id);
      if (row) row.n += g.n; else m.set(id, { day, checkpoint: g.kiosk, key, n: g.n });
    }
  }
  return [...m.values()];
}

/** Sums the counters of many scans: (day, checkpoint, key) → n, for one upsert per counter per transaction. */
export function counterDeltas(scans: Array<ScanRecord & { k: string; day: string; hour: number }>): CounterRow[] {
  const m = new Map<string, CounterRow>();
  for (const s of scans) {
    for (const key of counterKeys(s)) {
      const id = `${s.day}\u0000${s.k}\u0000${key}`;
      const row = m.get(id);
      if (row) row.n++; else m.set(id, { day: s.day, checkpoint: s.k, key, n: 1 });
    }
  }
  // one order for every transaction: two hub processes updating the same counters never deadlock
  return [...m.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.checkpoint < b.checkpoint ? -1 : a.checkpoint > b.checkpoint ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function applyCounter(c: Counts, hours: number[], key: string, n: number): void {
  switch (key) {
    case 'scans': c.scans += n; return;
    case 'green': c.green += n; return;
    case 'red': c.red += n; return;
    case 'overrides': c.overrides += n; return;
    case 'unsynced': c.unsynced += n; return;
    case 'annulled': c.annulled += n; return;
    case 'tailgate': c.tailgate += n; return;
  }
  const [kind, k] = [key.slice(0, 2), key.slice(2)];
  if (kind === 'r:') c.reasons[k] = (c.reasons[k] ?? 0) + n;
  else if (kind === 'c:') c.categories[k] = (c.categories[k] ?? 0) + n;
  else if (kind === 'l:') { const i = Number(k); if (i >= 0 && i < c.latency.length) c.latency[i] += n; }
  else if (kind === 'h:') { const h = Number(k); if (h >= 0 && h < 24) hours[h] += n; }
}

/**
 * A day (or range) report from the store's counters: checkpoints, provinces (by the device's area) and the nation.
 * `gated`: whether a checkpoint's gate has a passage sensor (its kiosk says so); one with a passage record in the
 * period counts as gated too. Only gated checkpoints carry `passage`, and a province or the nation the sum of theirs.
 */
export function reportFrom(rows: CounterRow[], from: string, to: string, timeZone: string, areaOf: (checkpoint: string) => string | undefined, gated: (checkpoint: string) => boolean = () => false): DayReport {
  const cps = new Map<string, { c: Counts; hours: number[] }>();
  for (const r of rows) {
    let e = cps.get(r.checkpoint);
    if (!e) cps.set(r.checkpoint, (e = { c: emptyCounts(), hours: Array(24).fill(0) as number[] }));
    applyCounter(e.c, e.hours, r.key, r.n);
  }
  const nation = emptyCounts();
  const nationHours = Array(24).fill(0) as number[];
  const provinces = new Map<string, Counts>();
  let nationPassage: Passage | undefined;
  const provincePassage = new Map<string, Passage>();
  const checkpoints = [...cps.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, { c, hours }]) => {
    const area = areaOf(id) ?? 'VN';
    const province = area === 'VN' ? 'VN' : area.slice(0, 2);
    mergeCounts(nation, c);
    hours.forEach((h, i) => (nationHours[i] += h));
    const p = provinces.get(province) ?? emptyCounts();
    mergeCounts(p, c);
    provinces.set(province, p);
    if (!gated(id) && !c.annulled && !c.tailgate) return { id, area, province, ...summarise(c), hours };
    const passage = passageOf(c);
    nationPassage = addPassage(nationPassage, passage);
    provincePassage.set(province, addPassage(provincePassage.get(province), passage));
    return { id, area, province, ...summarise(c), passage, hours };
  });
  const withPassage = <T extends Summary>(s: T, p: Passage | undefined): T => (p ? { ...s, passage: p } : s);
  return {
    day: from === to ? from : `${from}..${to}`, timeZone,
    nationwide: withPassage({ ...summarise(nation), hours: nationHours }, nationPassage),
    provinces: [...provinces.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([province, v]) => withPassage({ province, ...summarise(v) }, provincePassage.get(province))),
    checkpoints,
  };
}

/** Travellers from one origin through the checkpoints of one province (the province of the checkpoint). */
export interface Flow { origin: string; province: string; green: number; red: number; travellers: number }

export interface MovementReport {
  day: string;
  timeZone: string;
  /** origin → checkpoint province, most travellers first */
  flows: Flow[];
  /** each origin over every checkpoint, most travellers first */
  origins: Array<{ origin: string; green: number; red: number; travellers: number }>;
  /** origin → checkpoint, in checkpoint then origin order */
  checkpoints: Array<{ checkpoint: string; area: string; province: string; origin: string; green: number; red: number; travellers: number }>;
  /** scans with no origin: older kiosks, and codes that did not verify (their signer is unknown) */
  noOrigin: number;
}

const ORIGIN_KEY = /^o:(VN-\d{2}|[A-Z]{2}):(green|red)$/;

/** Where travellers came from, per checkpoint and per province of the checkpoint, from the `o:` counters. */
export function movementFrom(rows: CounterRow[], from: string, to: string, timeZone: string, areaOf: (checkpoint: string) => string | undefined): MovementReport {
  const cps = new Map<string, { checkpoint: string; area: string; province: string; origin: string; green: number; red: number; travellers: number }>();
  let scans = 0, withOrigin = 0;
  for (const r of rows) {
    if (r.key === 'scans') { scans += r.n; continue; }
    const m = ORIGIN_KEY.exec(r.key);
    if (!m) continue;
    withOrigin += r.n;
    const id = `${r.checkpoint}\u0000${m[1]}`;
    let e = cps.get(id);
    if (!e) {
      const area = areaOf(r.checkpoint) ?? 'VN';
      cps.set(id, (e = { checkpoint: r.checkpoint, area, province: area === 'VN' ? 'VN' : area.slice(0, 2), origin: m[1], green: 0, red: 0, travellers: 0 }));
    }
    e[m[2] as 'green' | 'red'] += r.n;
    e.travellers += r.n;
  }
  const add = <T extends { green: number; red: number; travellers: number }>(into: Map<string, T>, key: string, make: () => T, c: { green: number; red: number; travellers: number }) => {
    let e = into.get(key);
    if (!e) into.set(key, (e = make()));
    e.green += c.green; e.red += c.red; e.travellers += c.travellers;
  };
  const flows = new Map<string, Flow>();
  const origins = new Map<string, { origin: string; green: number; red: number; travellers: number }>();
  for (const c of cps.values()) {
    add(flows, `${c.origin}\u0000${c.province}`, () => ({ origin: c.origin, province: c.province, green: 0, red: 0, travellers: 0 }), c);
    add(origins, c.origin, () => ({ origin: c.origin, green: 0, red: 0, travellers: 0 }), c);
  }
  const most = <T extends { travellers: number }>(a: T, b: T, tie: number) => b.travellers - a.travellers || tie;
  return {
    day: from === to ? from : `${from}..${to}`, timeZone,
    flows: [...flows.values()].sort((a, b) => most(a, b, a.origin.localeCompare(b.origin) || a.province.localeCompare(b.province))),
    origins: [...origins.values()].sort((a, b) => most(a, b, a.origin.localeCompare(b.origin))),
    checkpoints: [...cps.values()].sort((a, b) => a.checkpoint.localeCompare(b.checkpoint) || a.origin.localeCompare(b.origin)),
    noOrigin: Math.max(0, scans - withOrigin),
  };
}

type Cell<T> = Omit<T, 'green' | 'red' | 'travellers'> & { green: Shown; red: Shown; travellers: Shown };
export interface MovementView { day: string; timeZone: string; minCount: number; flows: Array<Cell<Flow>>; origins: Array<Cell<MovementReport['origins'][number]>>; checkpoints: Array<Cell<MovementReport['checkpoints'][number]>>; noOrigin: number }

/** What leaves the hub: each count of travellers from 1 to minCount−1 as "< minCount" (the order stays the exact one). */
export function movementView(r: MovementReport, minCount: number): MovementView {
  const cell = <T extends { green: number; red: number; travellers: number }>(x: T) => ({ ...x, green: shown(x.green, minCount), red: shown(x.red, minCount), travellers: shown(x.travellers, minCount) });
  return { day: r.day, timeZone: r.timeZone, minCount, flows: r.flows.map(cell), origins: r.origins.map(cell), checkpoints: r.checkpoints.map(cell), noOrigin: r.noOrigin };
}

/** Movement as CSV: one row per origin and checkpoint, then one per origin and checkpoint province (checkpoint ALL). */
export function movementCsv(v: MovementView): string {
  const head = ['day', 'origin', 'checkpoint', 'area', 'province', 'travellers', 'green', 'red'];
  const lines = [head, ...v.checkpoints.map((c) => [v.day, c.origin, c.checkpoint, c.area, c.province, c.travellers, c.green, c.red]),
    ...v.flows.map((f) => [v.day, f.origin, 'ALL', f.province, f.province, f.travellers, f.green, f.red])];
  return lines.map((l) => l.map((x) => (/[",\n]/.test(String(x)) ? `"${String(x).replace(/"/g, '""')}"` : String(x))).join(',')).join('\n') + '\n';
}

/** Where a scan counts: its own local day and hour when the kiosk clock was synchronised, else its arrival's. */
export function placeScan(s: ScanRecord, rx: number, timeZone: string): { day: string; hour: number } {
  const when = s.clockSynced ? s.at : rx;
  // almost every scan falls in the day of the one before it: its local midnight is kept per zone (only for a day
  // whose UTC offset does not change, so a daylight-saving day is always computed in full)
  const c = dayCache.get(timeZone);
  if (c && when >= c.start && when < c.end) return { day: c.day, hour: Math.floor((when - c.start) / 3_600_000) };
  const offset = utcOffsetMinutes(when, timeZone) * 60_000;
  const local = when + offset;
  const start = when - (((local % 86_400_000) + 86_400_000) % 86_400_000);
  const day = localDay(when, timeZone);
  if (utcOffsetMinutes(start, timeZone) * 60_000 === offset && utcOffsetMinutes(start + 86_399_999, timeZone) * 60_000 === offset) dayCache.set(timeZone, { start, end: start + 86_400_000, day });
  return { day, hour: new Date(local).getUTCHours() };
}
const dayCache = new Map<string, { start: number; end: number; day: string }>();

/** Day reports as CSV: one row per checkpoint, then the nationwide row. */
export function reportCsv(r: DayReport): string {
  const reasons = [...new Set(r.checkpoints.flatMap((c) => Object.keys(c.reasons)))].sort();
  // passage columns only when some checkpoint's gate has a passage sensor; empty for a checkpoint without one
  const gates = !!r.nationwide.passage;
  const head = ['day', 'checkpoint', 'area', 'province', 'scans', 'green', 'red', 'pass_rate', 'overrides', 'unsynced_clock', 'p50_ms', 'p95_ms', ...reasons.map((x) => `red_${x}`),
    ...(gates ? ['validated', 'passed', 'not_passed', 'tailgating'] : [])];
  const passage = (p: Passage | undefined) => (!gates ? [] : p ? [p.validated, p.passed, p.notPassed, p.tailgating] : ['', '', '', '']);
  const row = (id: string, area: string, province: string, s: Summary) => [r.day, id, area, province, s.scans, s.green, s.red, s.passRate === null ? '' : (s.passRate * 100).toFixed(2), s.overrides, s.unsynced, s.p50Ms ?? '', s.p95Ms ?? '', ...reasons.map((x) => s.reasons[x] ?? 0), ...passage(s.passage)];
  const lines = [head, ...r.checkpoints.map((c) => row(c.id, c.area, c.province, c)), row('ALL', 'VN', 'VN', r.nationwide)];
  return lines.map((l) => l.map((v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',')).join('\n') + '\n';
}

/** One officer's work at one checkpoint over a day or range, from the `f:` counters. */
export interface OfficerAtCheckpoint { officer: string; checkpoint: string; area: string; province: string; scans: number; green: number; red: number; overrides: number; passRateText: string }

export interface OfficersReport {
  day: string;
  timeZone: string;
  /** each officer over every checkpoint they worked, most scans first */
  officers: Array<{ officer: string; checkpoints: string[]; scans: number; green: number; red: number; overrides: number; passRateText: string }>;
  /** officer × checkpoint, in officer then checkpoint order */
  rows: OfficerAtCheckpoint[];
  /** scans made with nobody signed in (older kiosks, booths without officer cards); overrides need a sign-in */
  noOfficer: number;
}

const OFFICER_KEY = /^f:([A-Za-z0-9._-]{1,32}):(green|red|override)$/;

/** The figures grouped by the officer on duty (issue 13): staff codes, never citizens, so no small-count hiding. */
export function officersFrom(rows: CounterRow[], from: string, to: string, timeZone: string, areaOf: (checkpoint: string) => string | undefined): OfficersReport {
  const at = new Map<string, OfficerAtCheckpoint>();
  let all = 0, withOfficer = 0;
  for (const r of rows) {
    if (r.key === 'scans') { all += r.n; continue; }
    const m = OFFICER_KEY.exec(r.key);
    if (!m) continue;
    if (m[2] !== 'override') withOfficer += r.n;
    const id = `${m[1]}\u0000${r.checkpoint}`;
    let e = at.get(id);
    if (!e) {
      const area = areaOf(r.checkpoint) ?? 'VN';
      at.set(id, (e = { officer: m[1], checkpoint: r.checkpoint, area, province: area === 'VN' ? 'VN' : area.slice(0, 2), scans: 0, green: 0, red: 0, overrides: 0, passRateText: '' }));
    }
    if (m[2] === 'override') e.overrides += r.n;
    else { e[m[2] as 'green' | 'red'] += r.n; e.scans += r.n; }
  }
  const per = new Map<string, OfficersReport['officers'][number]>();
  for (const e of at.values()) {
    e.passRateText = passRateText(e.green, e.scans);
    let o = per.get(e.officer);
    if (!o) per.set(e.officer, (o = { officer: e.officer, checkpoints: [], scans: 0, green: 0, red: 0, overrides: 0, passRateText: '' }));
    o.checkpoints.push(e.checkpoint);
    o.scans += e.scans; o.green += e.green; o.red += e.red; o.overrides += e.overrides;
  }
  for (const o of per.values()) { o.passRateText = passRateText(o.green, o.scans); o.checkpoints.sort(); }
  return {
    day: from === to ? from : `${from}..${to}`, timeZone,
    officers: [...per.values()].sort((a, b) => b.scans + b.overrides - (a.scans + a.overrides) || a.officer.localeCompare(b.officer)),
    rows: [...at.values()].sort((a, b) => a.officer.localeCompare(b.officer) || a.checkpoint.localeCompare(b.checkpoint)),
    noOfficer: Math.max(0, all - withOfficer),
  };
}

/** Officers as CSV: one row per officer and checkpoint, then one per officer over all checkpoints (checkpoint ALL). */
export function officersCsv(r: OfficersReport): string {
  const head = ['day', 'officer', 'checkpoint', 'area', 'province', 'scans', 'green', 'red', 'pass_rate', 'overrides'];
  const rate = (g: number, n: number) => (n ? ((g / n) * 100).toFixed(2) : '');
  // a staff code may begin with "-": a spreadsheet would take "-12-3" for a formula
  const text = (v: string) => (/^[-=+@]/.test(v) ? `'${v}` : v);
  const lines = [head, ...r.rows.map((x) => [r.day, text(x.officer), x.checkpoint, x.area, x.province, x.scans, x.green, x.red, rate(x.green, x.scans), x.overrides]),
    ...r.officers.map((o) => [r.day, text(o.officer), 'ALL', '', '', o.scans, o.green, o.red, rate(o.green, o.scans), o.overrides])];
  return lines.map((l) => l.join(',')).join('\n') + '\n';
}

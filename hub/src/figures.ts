// Daily throughput figures: per checkpoint, per local day (the day turns at 00:00 in the hub's time zone,
// +07:00 for Viet Nam) and per hour: scans, green, red by reason, by category, overrides, unsynchronised-clock
// scans, and the time from read to signal (p50, p95 from a fixed histogram). Nationwide and per-province totals
// are sums. Figures are aggregates, never raw scans, so they stay small; they are derived from the raw scan
// files, which makes them exactly-once by construction.
import { localDay, utcOffsetMinutes, type ScanRecord } from '../../protocol/src/index.js';

/** Upper bounds (ms) of the read-to-signal histogram buckets; the last one is open. */
export const LATENCY_BOUNDS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, Infinity];

export interface Counts {
  scans: number;
  green: number;
  red: number;
  overrides: number;
  unsynced: number;
  reasons: Record<string, number>;
  categories: Record<string, number>;
  latency: number[];
}

export interface CheckpointDay {
  total: Counts;
  hours: Counts[];
}

export const emptyCounts = (): Counts => ({ scans: 0, green: 0, red: 0, overrides: 0, unsynced: 0, reasons: {}, categories: {}, latency: LATENCY_BOUNDS.map(() => 0) });

export function addScan(c: Counts, s: ScanRecord): void {
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

export type FiguresSnapshot = Record<string, Record<string, CheckpointDay>>;

/** Where figures are kept between runs. lowdb here; a server database can take this over for large fleets. */
export interface FiguresStorage {
  load(): Promise<FiguresSnapshot>;
  save(snapshot: FiguresSnapshot): Promise<void>;
}

export class Figures {
  private days: FiguresSnapshot = {};
  private dirty = false;
  private saveTimer: NodeJS.Timeout | null = null;
  /** bumped on every change: the dashboard's live feed compares it */
  version = 0;

  constructor(private readonly timeZone: string, private readonly storage: FiguresStorage, private readonly areaOf: (checkpoint: string) => string | undefined) {}

  async load(): Promise<void> {
    this.days = await this.storage.load();
  }

  /** Drops the days the raw files cover: they are rebuilt from the raw scans, once each. */
  resetDays(days: Iterable<string>): void {
    for (const d of days) delete this.days[d];
  }

  /**
   * Counts the raw scan files again: the days they cover are dropped and rebuilt from them, each scan once, so the
   * figures are exact whatever moment the hub stopped at. Days without a raw file keep what was saved.
   */
  recountFrom(scans: { rawDays(): string[]; load(onScan: (s: ScanRecord & { k: string; day?: string; rx?: number }) => void): void }): void {
    this.resetDays(scans.rawDays());
    scans.load((s) => this.add(s.k, s));
  }

  add(kiosk: string, s: ScanRecord & { day?: string; rx?: number }): void {
    // a scan counts on the day it was scanned at the kiosk; with an unsynchronised clock, on arrival
    const when = s.clockSynced ? s.at : s.rx ?? s.at;
    const day = s.day ?? localDay(when, this.timeZone);
    const cp = ((this.days[day] ??= {})[kiosk] ??= { total: emptyCounts(), hours: Array.from({ length: 24 }, emptyCounts) });
    addScan(cp.total, s);
    addScan(cp.hours[this.localHour(when)], s);
    this.dirty = true;
    this.version++;
  }

  private localHour(ms: number): number {
    const local = ms + utcOffsetMinutes(ms, this.timeZone) * 60_000;
    return new Date(local).getUTCHours();
  }

  knownDays(): string[] {
    return Object.keys(this.days).sort();
  }

  report(day: string): DayReport {
    return this.rangeReport(day, day);
  }

  /** Figures over an inclusive range of days (hours are summed across the days). */
  rangeReport(from: string, to: string): DayReport {
    const nation = emptyCounts();
    const nationHours = Array(24).fill(0) as number[];
    const provinces = new Map<string, Counts>();
    const cps = new Map<string, { c: Counts; hours: number[] }>();
    for (const [day, byCp] of Object.entries(this.days)) {
      if (day < from || day > to) continue;
      for (const [id, cd] of Object.entries(byCp)) {
        const entry = cps.get(id) ?? { c: emptyCounts(), hours: Array(24).fill(0) };
        mergeCounts(entry.c, cd.total);
        cd.hours.forEach((h, i) => (entry.hours[i] += h.scans));
        cps.set(id, entry);
      }
    }
    const checkpoints = [...cps.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, { c, hours }]) => {
      const area = this.areaOf(id) ?? 'VN';
      const province = area === 'VN' ? 'VN' : area.slice(0, 2);
      mergeCounts(nation, c);
      hours.forEach((h, i) => (nationHours[i] += h));
      const p = provinces.get(province) ?? emptyCounts();
      mergeCounts(p, c);
      provinces.set(province, p);
      return { id, area, province, ...summarise(c), hours };
    });
    return {
      day: from === to ? from : `${from}..${to}`, timeZone: this.timeZone,
      nationwide: { ...summarise(nation), hours: nationHours },
      provinces: [...provinces.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([province, v]) => ({ province, ...summarise(v) })),
      checkpoints,
    };
  }

  /** Saves at most every `everyMs`: never one file rewrite per scan. */
  scheduleSave(everyMs = 2000): void {
    if (!this.dirty || this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = null; void this.flush(); }, everyMs);
  }

  async flush(): Promise<void> {
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = null; }
    if (!this.dirty) return;
    this.dirty = false;
    await this.storage.save(this.days);
  }
}

/** Day reports as CSV: one row per checkpoint, then the nationwide row. */
export function reportCsv(r: DayReport): string {
  const reasons = [...new Set(r.checkpoints.flatMap((c) => Object.keys(c.reasons)))].sort();
  const head = ['day', 'checkpoint', 'area', 'province', 'scans', 'green', 'red', 'pass_rate', 'overrides', 'unsynced_clock', 'p50_ms', 'p95_ms', ...reasons.map((x) => `red_${x}`)];
  const row = (id: string, area: string, province: string, s: Summary) => [r.day, id, area, province, s.scans, s.green, s.red, s.passRate === null ? '' : (s.passRate * 100).toFixed(2), s.overrides, s.unsynced, s.p50Ms ?? '', s.p95Ms ?? '', ...reasons.map((x) => s.reasons[x] ?? 0)];
  const lines = [head, ...r.checkpoints.map((c) => row(c.id, c.area, c.province, c)), row('ALL', 'VN', 'VN', r.nationwide)];
  return lines.map((l) => l.map((v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',')).join('\n') + '\n';
}

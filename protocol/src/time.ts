// Local wall-clock time at a checkpoint. Hours windows on passes are local; Intl is slow, so the UTC
// offset is cached per zone and quarter hour (offsets only ever change on quarter-hour boundaries).

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, { bucket: number; offsetMin: number }>();

export function isTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}

/** Offset of the zone from UTC at `ms`, in minutes (+420 for Asia/Ho_Chi_Minh). */
export function utcOffsetMinutes(ms: number, tz: string): number {
  const bucket = Math.floor(ms / 900_000);
  const hit = offsetCache.get(tz);
  if (hit && hit.bucket === bucket) return hit.offsetMin;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(bucket * 900_000))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  const offsetMin = Math.round((asUtc - bucket * 900_000) / 60_000);
  offsetCache.set(tz, { bucket, offsetMin });
  return offsetMin;
}

/** Minutes since local midnight at `ms` in zone `tz`. */
export function localMinuteOfDay(ms: number, tz: string): number {
  const local = ms + utcOffsetMinutes(ms, tz) * 60_000;
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

/** The local calendar day (YYYY-MM-DD) at `ms` in zone `tz`. */
export function localDay(ms: number, tz: string): string {
  return new Date(ms + utcOffsetMinutes(ms, tz) * 60_000).toISOString().slice(0, 10);
}

export function formatMinutes(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Parses "HH:MM-HH:MM" into [start, end] minutes; end may be before start (a window across midnight). */
export function parseWindow(s: string): [number, number] {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(s);
  if (!m) throw new Error(`hours window ${JSON.stringify(s)} is not HH:MM-HH:MM`);
  const a = Number(m[1]) * 60 + Number(m[2]);
  const b = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[1]) > 24 || Number(m[2]) > 59 || Number(m[3]) > 24 || Number(m[4]) > 59 || a > 1440 || b > 1440 || a === b) {
    throw new Error(`hours window ${JSON.stringify(s)} is not a valid range of the day`);
  }
  return [a, b];
}

export function inWindow(minute: number, [start, end]: [number, number]): boolean {
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

// A day's raw scans grouped by everything that decides their counters, in one pass of the database: the hub then
// turns each group into counters with the same keysOf() the ingest uses (figures.ts), without bringing millions of
// rows into its memory.
import { LATENCY_BOUNDS } from '../figures.js';

/** SELECT kiosk, synced, override, verdict, reason, category, origin, officer, bucket, hour, n over the rows of `from` matching `where`. */
export function recountSql(from: string, where: string): string {
  const bucket = `CASE ${LATENCY_BOUNDS.slice(0, -1).map((b, i) => `WHEN ms <= ${b} THEN ${i}`).join(' ')} ELSE ${LATENCY_BOUNDS.length - 1} END`;
  return `SELECT kiosk, synced, override, verdict, reason, category, origin, officer, ${bucket} AS bucket, hour, COUNT(*) AS n FROM ${from} WHERE ${where}
    GROUP BY kiosk, synced, override, verdict, reason, category, origin, officer, bucket, hour`;
}

export interface GroupRow { kiosk: string; synced: number | boolean; override: number | boolean; verdict: string; reason: string; category: string | null; origin: string | null; officer: string | null; bucket: number | string; hour: number | string; n: number | string }

export const toShape = (r: GroupRow) => ({
  kiosk: r.kiosk, clockSynced: !!r.synced, override: !!r.override, verdict: r.verdict, reason: r.reason, category: r.category, origin: r.origin, officer: r.officer,
  bucket: Number(r.bucket), hour: Number(r.hour), n: Number(r.n),
});

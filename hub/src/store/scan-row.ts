// A stored scan and a clone alert as rows, the same for both stores: the scan table's columns in order with their
// SQLite and PostgreSQL declarations, the values of one scan in that order, and the way back from a row. One list,
// so a column added for a new scan field (origin, officer) reaches both backends, the recount and the reads alike.
import type { AlertRow, StoredScan } from './port.js';

/** name, SQLite declaration, PostgreSQL declaration, PostgreSQL array type (the batched insert's unnest). */
type Column = readonly [name: string, sqlite: string, pg: string, pgType: string];

export const SCAN_COLUMNS: readonly Column[] = [
  ['kiosk', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['id', 'TEXT NOT NULL', 'text COLLATE "C" NOT NULL', 'text'],
  ['at', 'INTEGER NOT NULL', 'bigint NOT NULL', 'int8'],
  ['rx', 'INTEGER NOT NULL', 'bigint NOT NULL', 'int8'],
  ['day', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['hour', 'INTEGER NOT NULL', 'smallint NOT NULL', 'int2'],
  ['synced', 'INTEGER NOT NULL', 'boolean NOT NULL', 'bool'],
  ['verdict', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['reason', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['format', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['source', 'TEXT NOT NULL', 'text NOT NULL', 'text'],
  ['ms', 'REAL NOT NULL', 'double precision NOT NULL', 'float8'],
  ['pass_id', 'TEXT', 'text', 'text'],
  ['holder', 'TEXT', 'text', 'text'],
  ['category', 'TEXT', 'text', 'text'],
  ['override', 'INTEGER NOT NULL', 'boolean NOT NULL', 'bool'],
  // columns added after the first release: a database made before them gets each one, empty for the scans it has
  ['origin', 'TEXT', 'text', 'text'], // issue 17
  ['officer', 'TEXT', 'text', 'text'], // issue 13: the officer on duty
];

/** Columns a database of an older release may lack (nullable, so adding one is instant on both backends). */
export const ADDED_SCAN_COLUMNS: readonly string[] = ['origin', 'officer'];

export const SCAN_COLUMN_NAMES = SCAN_COLUMNS.map((c) => c[0]);

/** One scan's values in SCAN_COLUMNS order; `bool` turns a flag into the backend's own (1/0 for SQLite). */
export function scanValues<B>(s: StoredScan, bool: (b: boolean) => B): unknown[] {
  return [s.k, s.id, s.at, s.rx, s.day, s.hour, bool(s.clockSynced), s.verdict, s.reason, s.format, s.source, s.ms,
    s.passId ?? null, s.holder ?? null, s.category ?? null, bool(!!s.override), s.origin ?? null, s.officer ?? null];
}

/** How many values scanValues gives per scan. */
export const SCAN_WIDTH = SCAN_COLUMNS.length;

/** The scan whose scanValues begin at `i` of `v`: a flat array of many scans' values, as the SQLite store posts a
 * group of batches to its worker. */
export function scanFromValues(v: readonly unknown[], i: number): StoredScan {
  return scanFromRow({ kiosk: v[i], id: v[i + 1], at: v[i + 2], rx: v[i + 3], day: v[i + 4], hour: v[i + 5], synced: v[i + 6], verdict: v[i + 7], reason: v[i + 8],
    format: v[i + 9], source: v[i + 10], ms: v[i + 11], pass_id: v[i + 12], holder: v[i + 13], category: v[i + 14], override: v[i + 15], origin: v[i + 16], officer: v[i + 17] } as ScanDbRow);
}

/** A scan row as either driver returns it: PostgreSQL gives bigint columns as strings and booleans as booleans. */
export interface ScanDbRow {
  kiosk: string; id: string; at: number | string; rx: number | string; day: string; hour: number; synced: number | boolean;
  verdict: 'green' | 'red'; reason: string; format: StoredScan['format']; source: StoredScan['source']; ms: number;
  pass_id: string | null; holder: string | null; category: string | null; override: number | boolean;
  origin?: string | null; officer?: string | null;
}

export function scanFromRow(r: ScanDbRow): StoredScan {
  const s: StoredScan = { id: r.id, at: Number(r.at), clockSynced: !!r.synced, verdict: r.verdict, reason: r.reason, format: r.format, source: r.source, ms: r.ms, k: r.kiosk, rx: Number(r.rx), day: r.day, hour: Number(r.hour) };
  if (r.pass_id !== null) s.passId = r.pass_id;
  if (r.holder !== null) s.holder = r.holder;
  if (r.category !== null) s.category = r.category;
  if (r.override) s.override = true;
  if (r.origin != null) s.origin = r.origin;
  if (r.officer != null) s.officer = r.officer;
  return s;
}

/** A clone alert row (both backends' `alerts` table). */
export interface AlertDbRow {
  id: number | string; holder: string; pass_id: string | null; first_kiosk: string; first_at: number | string; first_scan: string;
  second_kiosk: string; second_at: number | string; second_scan: string; km: number; kmh: number | null; status: AlertRow['status'];
  created_at: number | string; decided_by: string | null;
}

export const alertFromRow = (r: AlertDbRow): AlertRow => ({
  id: Number(r.id), holder: r.holder, passId: r.pass_id, firstKiosk: r.first_kiosk, firstAt: Number(r.first_at), firstScan: r.first_scan,
  secondKiosk: r.second_kiosk, secondAt: Number(r.second_at), secondScan: r.second_scan, km: r.km, kmh: r.kmh, status: r.status,
  createdAt: Number(r.created_at), decidedBy: r.decided_by,
});

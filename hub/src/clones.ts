// Clone detection: a copied QR is the classic attack on offline passes, and only the hub sees every scan. A pass
// (or its holder) presented at two checkpoints that no vehicle could travel between in the time between the two
// scans is a suspected clone. Repeated scans at one booth, or at two booths of one checkpoint (the same `site`), are
// no alert. The decision is pure (tested with plain values); the hub keeps each holder's last sighting in the store.

export interface Sighting { holder: string; passId?: string; kiosk: string; at: number; scanId: string }

export interface Place { site: string; lat: number; lon: number }

export interface CloneAlert {
  holder: string;
  passId?: string;
  first: Sighting;
  second: Sighting;
  km: number;
  /** the speed the two scans would need, km/h (Infinity for the same moment) */
  kmh: number;
}

const R_KM = 6371.0088;
const rad = (d: number) => (d * Math.PI) / 180;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat), dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * R_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Whether two sightings of one holder are a suspected clone: different sites, both with coordinates, further apart
 * than `minKm` (GPS and map noise), and closer in time than `maxKmh` allows. Order does not matter: a backlog may
 * deliver the later scan first.
 */
export function judge(a: Sighting, b: Sighting, placeOf: (kiosk: string) => Place | undefined, maxKmh: number, minKm = 2): CloneAlert | undefined {
  if (a.holder !== b.holder || a.scanId === b.scanId) return undefined;
  const pa = placeOf(a.kiosk), pb = placeOf(b.kiosk);
  if (!pa || !pb || pa.site === pb.site) return undefined;
  const km = distanceKm(pa, pb);
  if (km < minKm) return undefined;
  const hours = Math.abs(b.at - a.at) / 3_600_000;
  const kmh = hours === 0 ? Infinity : km / hours;
  if (kmh <= maxKmh) return undefined;
  const [first, second] = a.at <= b.at ? [a, b] : [b, a];
  return { holder: a.holder, passId: b.passId ?? a.passId, first, second, km: Math.round(km * 10) / 10, kmh: Number.isFinite(kmh) ? Math.round(kmh) : kmh };
}

/** Parses `LAT,LON` (decimal degrees, as a phone's map shares them). */
export function parseLatLon(text: string): { lat: number; lon: number } | undefined {
  const m = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return undefined;
  const lat = Number(m[1]), lon = Number(m[2]);
  return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 ? { lat, lon } : undefined;
}

/** Keeps each holder's last sighting in the store and raises an alert for every impossible journey. */
export class CloneWatch {
  private chain: Promise<void> = Promise.resolve();
  found = 0;

  constructor(private readonly o: {
    store: { sightings(h: string[]): Promise<Sighting[]>; putSightings(r: Sighting[]): Promise<void>; addAlerts(a: CloneAlert[]): Promise<number> };
    placeOf: (kiosk: string) => Place | undefined;
    maxKmh: number;
    log: (line: string, level?: 'info' | 'warn' | 'error') => void;
  }) {}

  /** Looks at committed scans (in order, one batch after another: two batches of one holder never race). */
  check(scans: Array<{ id: string; k: string; at: number; holder?: string; passId?: string; override?: boolean }>): Promise<void> {
    const seen = scans.filter((s) => s.holder && !s.override).map((s) => ({ holder: s.holder!, kiosk: s.k, at: s.at, scanId: s.id, ...(s.passId ? { passId: s.passId } : {}) }));
    if (!seen.length) return this.chain;
    this.chain = this.chain.then(() => this.run(seen)).catch((e: Error) => this.o.log(`clones: could not check ${seen.length} sightings: ${e.message}`, 'warn'));
    return this.chain;
  }

  private async run(seen: Sighting[]): Promise<void> {
    const last = new Map((await this.o.store.sightings([...new Set(seen.map((s) => s.holder))])).map((s) => [s.holder, s]));
    const alerts: CloneAlert[] = [];
    const moved = new Map<string, Sighting>();
    for (const cur of seen.sort((a, b) => a.at - b.at)) {
      const prev = last.get(cur.holder);
      if (prev) { const a = judge(prev, cur, this.o.placeOf, this.o.maxKmh); if (a) alerts.push(a); }
      if (!prev || cur.at > prev.at) { last.set(cur.holder, cur); moved.set(cur.holder, cur); }
    }
    if (moved.size) await this.o.store.putSightings([...moved.values()]);
    if (!alerts.length) return;
    const n = await this.o.store.addAlerts(alerts);
    this.found += n;
    // the holder token and pass id stay out of the log: the dashboard shows them to an operator who is logged in
    for (const a of alerts.slice(0, n)) this.o.log(`clones: a pass was scanned at ${a.first.kiosk} and at ${a.second.kiosk} ${Math.round(Math.abs(a.second.at - a.first.at) / 60_000)} min apart, ${a.km} km (${Number.isFinite(a.kmh) ? `${a.kmh} km/h` : 'the same moment'}): suspected clone, see the dashboard's alerts`, 'warn');
  }
}

// The operators' web side: the dashboard (behind a login), a JSON API (session or bearer token), a live feed
// (server-sent events), CSV export and Prometheus /metrics. Assets are plain files served from the package:
// no build step, nothing fetched from the internet.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { kioskAcls } from '../dynsec.js';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import { REASON_WORDS, RELEASE_VERSION_RE, localDay, provinceNames, type UpdateStatus } from '../../../protocol/src/index.js';
import type { Brake, ReleasesView } from '../releases.js';
import { movementCsv, movementView, officersCsv, passRateText, reportCsv, type DayReport, type MovementReport, type OfficersReport } from '../figures.js';
import { healthCsv, healthView, type HealthFigures } from '../health.js';
import type { HubConfig } from '../config.js';
import type { Principal } from '../credentials.js';
import type { AlertRow, Device, PayoutWardRow } from '../store/port.js';
import type { Programme } from '../../../protocol/src/index.js';
import type { IngestStats } from '../ingest.js';
import { LoginGuard, RateLimit } from '../limits.js';
import { Sessions } from './sessions.js';

/** What the web side sees of the hub: read-only views, a credential check, and enrolment. */
export interface HubView {
  config: HubConfig;
  mqttPorts(): { mqtt?: number; mqttTls?: number };
  /** moves whenever figures change */
  version(): number;
  report(from: string, to: string): Promise<DayReport>;
  totals(day: string): Promise<Record<string, number>>;
  /** F0–F3 per area: the current counts and the changes of from..to (health.ts); only counts leave through the API */
  health(from: string, to: string): Promise<HealthFigures>;
  /** travellers by origin → checkpoint over from..to (figures.ts movementFrom) */
  movement(from: string, to: string): Promise<MovementReport>;
  /** the figures grouped by the officer on duty over from..to (figures.ts officersFrom) */
  officers(from: string, to: string): Promise<OfficersReport>;
  fleet(): FleetEntry[];
  /** suspected clones, newest first; an operator's decision on one */
  alerts(): Promise<AlertRow[]>;
  decideAlert(id: number, status: 'revoke' | 'dismissed', by: string): Promise<AlertRow | undefined>;
  /** support programmes and, per ward, their payouts */
  programmes(): Promise<Programme[]>;
  payoutFigures(programme: string): Promise<PayoutWardRow[]>;
  /** hub processes alive now */
  processes(): Array<{ id: string; info: string; startedAt: number; seenAt: number }>;
  store(): { up: boolean; describe: string; error: string | null };
  check(name: string, secret: string): Promise<Principal | undefined>;
  device(id: string): Device | undefined;
  enrol(token: string): Promise<{ device: Device; secret: string }>;
  /** the rollout published, the fleet's versions, its progress and failures */
  releases(): ReleasesView;
  /** publishes the pause or roll-back signed with the rollout; a string says why it cannot */
  applyBrake(name: Brake, by: string): { seq: number; state: string; version: string } | string;
  stats(): { broker: { rejected: number; refusedPublish: number; refusedConnect: number; rateLimited: number; oversize: number }; ingest: IngestStats; scanCount(): Promise<number> };
}

const WEB = new URL('../../../../hub/web/', import.meta.url).pathname;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The days a figures request asks for (`day`, or `from` and `to`; today by default), or what is wrong with them. */
function dayRange(url: URL, today: string): { from: string; to: string } | string {
  const from = url.searchParams.get('from') ?? url.searchParams.get('day') ?? today;
  const to = url.searchParams.get('to') ?? from;
  if (!DAY_RE.test(from) || !DAY_RE.test(to) || to < from) return `day/from/to must be YYYY-MM-DD with from ≤ to, got from=${from.slice(0, 20)} to=${to.slice(0, 20)}`;
  return { from, to };
}
const ASSETS: Record<string, string> = { '/app.js': 'text/javascript; charset=utf-8', '/style.css': 'text/css; charset=utf-8' };
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store',
};

export interface FleetEntry {
  id: string; area: string; province: string; revoked: boolean; online: boolean; silent: boolean; lastSeen: number | null;
  version?: string; trustVersion?: number; statusVersion?: number; backlog?: number; listsStale?: boolean;
  clock?: { synced: boolean; source: string; offsetMs?: number }; scanner?: string; camera?: string; update?: UpdateStatus;
}

export function fleetOf(devices: Device[], broker: { online: Map<string, { online: boolean; lastSeen: number; version?: string; trustVersion?: number; statusVersion?: number; backlog?: number; listsStale?: boolean; clock?: FleetEntry['clock']; scanner?: string; camera?: string; update?: UpdateStatus }>; connected: Set<string> }, silentAfterSeconds: number): FleetEntry[] {
  const now = Date.now();
  return devices.map((d) => {
    const s = broker.online.get(d.id);
    const lastSeen = s?.lastSeen ?? null;
    return {
      id: d.id, area: d.area, province: d.area === 'VN' ? 'VN' : d.area.slice(0, 2), revoked: !!d.revokedAt,
      online: !!s?.online && broker.connected.has(d.id), lastSeen,
      silent: !d.revokedAt && (lastSeen === null || now - lastSeen > silentAfterSeconds * 1000),
      version: s?.version, trustVersion: s?.trustVersion, statusVersion: s?.statusVersion, backlog: s?.backlog, listsStale: s?.listsStale,
      clock: s?.clock, scanner: s?.scanner, camera: s?.camera, update: s?.update,
    };
  });
}

/** A programme's payouts per ward, per province and nationwide, in the seed's form ("486,942 / 547,748 paid"). */
export function payoutSummary(wards: PayoutWardRow[]) {
  const provinces = new Map<string, { province: string; eligible: number; paid: number; amount: number }>();
  let eligible = 0, paid = 0, amount = 0;
  for (const w of wards) {
    eligible += w.eligible; paid += w.paid; amount += w.amount;
    const p = provinces.get(w.ward.slice(0, 2)) ?? { province: w.ward.slice(0, 2), eligible: 0, paid: 0, amount: 0 };
    p.eligible += w.eligible; p.paid += w.paid; p.amount += w.amount;
    provinces.set(p.province, p);
  }
  return {
    nationwide: { eligible, paid, amount, text: `${paid.toLocaleString('en-US')} / ${eligible.toLocaleString('en-US')} paid` },
    provinces: [...provinces.values()].sort((a, b) => a.province.localeCompare(b.province)), wards,
  };
}

export class HubHttp {
  private server: Server | null = null;
  readonly sessions = new Sessions();
  private readonly metrics = new Registry();
  /** live feeds, with the session they belong to (closed at logout) */
  private readonly sse = new Map<ServerResponse, string | undefined>();
  private feed: NodeJS.Timeout | null = null;
  private lastVersion = '';
  private readonly guard = new LoginGuard({ perSourceBurst: 10, perSourcePerMinute: 10, perNameBurst: 5, perNamePerMinute: 5 });
  private readonly enrolments = new RateLimit(10, 10);

  constructor(private readonly hub: HubView, private readonly log: (l: string, level?: 'info' | 'warn' | 'error') => void) {
    collectDefaultMetrics({ register: this.metrics, prefix: 'chot_hub_' });
    const st = () => hub.stats();
    const counter = (name: string, help: string, value: () => number) => new Counter({ name, help, registers: [this.metrics], collect() { this.reset(); this.inc(value()); } });
    // fleet-wide numbers only: per-checkpoint figures belong in the API, not in metric labels
    counter('chot_scans_stored_total', 'scans stored (each once), by this hub process', () => st().ingest.stored);
    counter('chot_scans_duplicate_total', 'duplicate deliveries ignored', () => st().ingest.duplicates);
    counter('chot_scan_commits_failed_total', 'batches not acknowledged because the store could not commit them', () => st().ingest.failedCommits);
    new Counter({ name: 'chot_scans_refused_total', help: 'scans refused by the hub, acknowledged and not counted', labelNames: ['reason'], registers: [this.metrics], collect() {
      this.reset();
      for (const [reason, n] of st().ingest.refused) this.inc({ reason }, n);
    } });
    counter('chot_messages_rejected_total', 'messages that failed validation', () => st().broker.rejected + st().ingest.rejectedBatches);
    counter('chot_publish_refused_total', 'publishes refused by the ACL', () => st().broker.refusedPublish);
    counter('chot_connect_refused_total', 'connections refused (bad credentials)', () => st().broker.refusedConnect);
    counter('chot_connect_rate_limited_total', 'connections and logins refused by a rate limit', () => st().broker.rateLimited + this.guard.refused);
    counter('chot_packets_oversize_total', 'connections closed for an oversized MQTT packet', () => st().broker.oversize);
    new Gauge({ name: 'chot_store_up', help: '1 while the store of record takes commits, 0 while scans are not acknowledged', registers: [this.metrics], collect() { this.set(hub.store().up ? 1 : 0); } });
    new Gauge({ name: 'chot_scans_kept', help: 'raw scans kept in the store', registers: [this.metrics], async collect() { this.set(await st().scanCount().catch(() => -1)); } });
    new Gauge({ name: 'chot_kiosks', help: 'kiosks by state', labelNames: ['state'], registers: [this.metrics], collect() {
      const f = hub.fleet();
      this.set({ state: 'online' }, f.filter((k) => k.online).length);
      this.set({ state: 'offline' }, f.filter((k) => !k.online && !k.revoked).length);
      this.set({ state: 'silent' }, f.filter((k) => k.silent).length);
    } });
    new Gauge({ name: 'chot_clone_alerts_open', help: 'suspected clones waiting for an operator', registers: [this.metrics], async collect() { this.set((await hub.alerts().catch(() => [])).filter((a) => a.status === 'open').length); } });
    new Gauge({ name: 'chot_kiosks_by_version', help: 'kiosks by the software version they report', labelNames: ['version'], registers: [this.metrics], collect() {
      this.reset();
      for (const [version, n] of Object.entries(hub.releases().versions)) this.set({ version }, n);
    } });
    new Gauge({ name: 'chot_rollout_kiosks', help: 'kiosks the current rollout reaches, by where they are with it', labelNames: ['state'], registers: [this.metrics], collect() {
      const p = hub.releases().progress;
      for (const [state, n] of [['targeted', p.targeted], ['updated', p.updated], ['in_progress', p.inProgress], ['failed', p.failed], ['rolled_back', p.rolledBack], ['refused', p.refused]] as const) this.set({ state }, n);
    } });
    new Gauge({ name: 'chot_kiosk_backlog_scans', help: 'scans waiting in kiosk journals, fleet total', registers: [this.metrics], collect() { this.set(hub.fleet().reduce((a, k) => a + (k.backlog ?? 0), 0)); } });
  }

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => { this.route(req, res).catch((e) => { this.log(`http: ${req.method} ${JSON.stringify((req.url ?? '').slice(0, 200))}: ${(e as Error).message}`, 'error'); if (!res.headersSent) this.send(res, 500, 'text/plain', 'internal error'); else res.end(); }); });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(port, host, () => resolve()); });
    const p = (this.server.address() as { port: number }).port;
    this.feed = setInterval(() => void this.pushLive(), 500);
    this.log(`http: dashboard and API on http://${host}:${p}/`);
    return p;
  }

  private get secure(): boolean {
    return !!this.hub.config.http.publicUrl?.startsWith('https:');
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...extra });
    res.end(body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    this.send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
  }

  private cookie(req: IncomingMessage): string | undefined {
    return /(?:^|;\s*)chot_session=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
  }

  private source(req: IncomingMessage): string {
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** A session cookie (operators) or `Authorization: Bearer NAME:SECRET` (service accounts and operators). */
  private async who(req: IncomingMessage): Promise<string | undefined> {
    const s = this.sessions.user(this.cookie(req));
    if (s) return s;
    const m = /^Bearer ([a-z0-9._-]{1,48}):(\S{1,200})$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    if (!this.guard.admit(this.source(req), m[1])) return undefined;
    const r = await this.hub.check(m[1], m[2]);
    if (r?.kind !== 'account') { this.guard.failed(this.source(req), m[1]); return undefined; }
    return r.account.name;
  }

  /** A form or API call from a page of another site is refused: the browser says where it comes from. */
  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser (curl, a kiosk): no cookie-borne authority to abuse
    const allowed = new Set<string>();
    if (this.hub.config.http.publicUrl) allowed.add(new URL(this.hub.config.http.publicUrl).origin);
    if (req.headers.host) { allowed.add(`http://${req.headers.host}`); allowed.add(`https://${req.headers.host}`); }
    return allowed.has(origin);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = url.pathname;
    if (req.method === 'POST' && !this.sameOrigin(req)) {
      this.log(`http: refused a POST to ${path} from origin ${JSON.stringify(String(req.headers.origin).slice(0, 200))}`, 'warn');
      return this.json(res, 403, { error: 'cross-site request refused' });
    }
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      return this.send(res, 200, 'text/html; charset=utf-8', readFileSync(join(WEB, 'index.html')));
    }
    if (req.method === 'GET' && ASSETS[path]) return this.send(res, 200, ASSETS[path], readFileSync(join(WEB, path.slice(1))));
    if (req.method === 'GET' && path === '/healthz') {
      const st = this.hub.store();
      return this.json(res, st.up ? 200 : 503, { ok: st.up, store: st.describe, ...(st.up ? {} : { error: st.error, action: 'scans are not acknowledged until the store is back; kiosks keep them' }) });
    }
    // release bundles: signed and checked by the kiosks (size, SHA-256), so served to any caller, resumable by range
    const bundle = /^\/releases\/([^/]{1,32})\/bundle\.tgz$/.exec(path);
    if ((req.method === 'GET' || req.method === 'HEAD') && bundle) return this.bundle(req, res, bundle[1]);
    if (req.method === 'POST' && (path === '/emqx/auth' || path === '/emqx/acl')) return this.emqx(req, res, path === '/emqx/auth');
    if (req.method === 'POST' && path === '/login') return this.login(req, res);
    if (req.method === 'POST' && path === '/api/enrol') return this.enrol(req, res);
    if (req.method === 'POST' && path === '/logout') {
      const token = this.cookie(req);
      this.sessions.end(token);
      for (const [r, t] of this.sse) if (t && t === token) { r.end(); this.sse.delete(r); }
      return this.send(res, 204, 'text/plain', '', { 'Set-Cookie': `chot_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${this.secure ? '; Secure' : ''}` });
    }
    const user = await this.who(req);
    if (!user) return this.json(res, 401, { error: 'log in first (dashboard), or send Authorization: Bearer NAME:SECRET of a chot account' });
    const today = localDay(Date.now(), this.hub.config.timeZone);
    if (req.method === 'GET' && path === '/api/me') {
      // the words the dashboard shows for codes: reasons, and province names from the configured list
      const provinces = { list: this.hub.config.provinces, names: provinceNames(this.hub.config.provinces) };
      return this.json(res, 200, { user, today, timeZone: this.hub.config.timeZone, store: this.hub.store(), reasons: REASON_WORDS, provinces });
    }
    if (req.method === 'GET' && (path === '/api/figures' || path === '/api/export.csv')) {
      return this.dayReport(res, url, today, (from, to) => this.hub.report(from, to), path === '/api/export.csv' ? [reportCsv, 'chot'] : undefined);
    }
    if (req.method === 'GET' && (path === '/api/officers' || path === '/api/officers.csv')) {
      return this.dayReport(res, url, today, (from, to) => this.hub.officers(from, to), path === '/api/officers.csv' ? [officersCsv, 'chot-officers'] : undefined);
    }
    if (req.method === 'GET' && (path === '/api/areas' || path === '/api/areas.csv' || path === '/api/movement' || path === '/api/movement.csv')) {
      const days = dayRange(url, today);
      if (typeof days === 'string') return this.json(res, 400, { error: days });
      const { from, to } = days;
      const province = url.searchParams.get('province') ?? undefined;
      if (province !== undefined && !/^\d{2}$/.test(province)) return this.json(res, 400, { error: `province must be a 2-digit code, got ${JSON.stringify(province.slice(0, 20))}` });
      const label = from === to ? from : `${from}..${to}`;
      const file = `${from}${to !== from ? `_${to}` : ''}`;
      const min = this.hub.config.privacyMinCount;
      try {
        // counts only: no holder, token or list of people by area is ever read here
        if (path === '/api/areas') return this.json(res, 200, healthView(await this.hub.health(from, to), label, min, province));
        if (path === '/api/areas.csv') return this.send(res, 200, 'text/csv; charset=utf-8', healthCsv(healthView(await this.hub.health(from, to), label, min)), { 'Content-Disposition': `attachment; filename="chot-f0-f3-${file}.csv"` });
        const v = movementView(await this.hub.movement(from, to), min);
        if (path === '/api/movement') return this.json(res, 200, v);
        return this.send(res, 200, 'text/csv; charset=utf-8', movementCsv(v), { 'Content-Disposition': `attachment; filename="chot-movement-${file}.csv"` });
      } catch (e) { return this.json(res, 503, { error: `the store cannot answer: ${(e as Error).message}` }); }
    }
    if (req.method === 'GET' && path === '/api/fleet') return this.json(res, 200, { now: Date.now(), silentAfterSeconds: this.hub.config.silentAfterSeconds, kiosks: this.hub.fleet(), hubs: this.hub.processes() });
    if (req.method === 'GET' && (path === '/api/payouts' || path === '/api/payouts.csv')) {
      const out = [];
      for (const p of await this.hub.programmes()) out.push({ ...p, ...payoutSummary(await this.hub.payoutFigures(p.id)) });
      if (path === '/api/payouts') return this.json(res, 200, { programmes: out });
      const lines = [['programme', 'ward', 'province', 'eligible', 'paid', 'amount_vnd', 'refused_already_paid', 'refused_not_eligible', 'refused_other_ward', 'refused_not_open'].join(',')];
      for (const p of out) for (const w of p.wards) lines.push([p.id, w.ward, w.ward.slice(0, 2), w.eligible, w.paid, w.amount, w.refused['already-paid'] ?? 0, w.refused['not-eligible'] ?? 0, w.refused['other-ward'] ?? 0, w.refused['programme-not-open'] ?? 0].join(','));
      return this.send(res, 200, 'text/csv; charset=utf-8', lines.join('\n') + '\n', { 'Content-Disposition': 'attachment; filename="chot-payouts.csv"' });
    }
    if (req.method === 'GET' && path === '/api/alerts') return this.json(res, 200, { alerts: (await this.hub.alerts()).map((a) => ({ ...a, kmh: a.kmh ?? 'same moment' })) });
    const decide = /^\/api\/alerts\/(\d{1,12})\/(revoke|dismiss)$/.exec(path);
    if (req.method === 'POST' && decide) {
      const a = await this.hub.decideAlert(Number(decide[1]), decide[2] === 'revoke' ? 'revoke' : 'dismissed', user);
      if (!a) return this.json(res, 404, { error: `no alert ${decide[1]}` });
      this.log(`alerts: ${user} decided ${a.status} on alert ${a.id}${a.status === 'revoke' ? ': the pass goes into the next status list (chot status import --config)' : ''}`, 'warn');
      return this.json(res, 200, a);
    }
    if (req.method === 'GET' && path === '/api/releases') return this.json(res, 200, this.hub.releases());
    // an operator pauses or rolls back the rollout with a step the release manager signed in advance (Origin checked above)
    const brake = /^\/api\/releases\/(pause|rollback)$/.exec(path);
    if (req.method === 'POST' && brake) {
      const r = this.hub.applyBrake(brake[1] as Brake, user);
      return typeof r === 'string' ? this.json(res, 409, { error: r }) : this.json(res, 202, { ...r, published: 'within a second' });
    }
    if (req.method === 'GET' && path === '/api/events') return this.events(req, res);
    if (req.method === 'GET' && path === '/metrics') return this.send(res, 200, this.metrics.contentType, await this.metrics.metrics());
    return this.json(res, 404, { error: `no route ${req.method} ${path.slice(0, 200)}` });
  }

  /** A report over the days asked for, as JSON, or as CSV (the function and the file name's start) for a download. */
  private async dayReport<R>(res: ServerResponse, url: URL, today: string, make: (from: string, to: string) => Promise<R>, csv?: [(r: R) => string, string]): Promise<void> {
    const days = dayRange(url, today);
    if (typeof days === 'string') return this.json(res, 400, { error: days });
    const { from, to } = days;
    let r: R;
    try { r = await make(from, to); } catch (e) { return this.json(res, 503, { error: `the store cannot answer: ${(e as Error).message}` }); }
    if (!csv) return this.json(res, 200, r);
    return this.send(res, 200, 'text/csv; charset=utf-8', csv[0](r), { 'Content-Disposition': `attachment; filename="${csv[1]}-${from}${to !== from ? `_${to}` : ''}.csv"` });
  }

  /** A release bundle, whole or from a byte range (`Range: bytes=N-` or `N-M`): a kiosk resumes where its link dropped. */
  private bundle(req: IncomingMessage, res: ServerResponse, version: string): void {
    if (!RELEASE_VERSION_RE.test(version)) return this.json(res, 404, { error: 'not a release version' });
    const file = join(this.hub.config.dataDir, 'releases', version, 'bundle.tgz');
    let size: number;
    try { size = statSync(file).size; } catch { return this.json(res, 404, { error: `release ${version} is not on this hub: chot release rollout ${version} --bundle … puts it here` }); }
    const range = req.headers.range;
    let start = 0, end = size - 1, status = 200;
    if (range !== undefined) {
      const m = /^bytes=(\d{1,15})-(\d{0,15})$/.exec(range);
      if (!m || Number(m[1]) >= size || (m[2] && Number(m[2]) < Number(m[1]))) {
        return this.send(res, 416, 'text/plain', `range ${range.slice(0, 40)} is not within the ${size} bytes of the bundle`, { 'Content-Range': `bytes */${size}` });
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      status = 206;
    }
    res.writeHead(status, {
      'Content-Type': 'application/gzip', 'Content-Length': String(end - start + 1), 'Accept-Ranges': 'bytes', ...SECURITY_HEADERS,
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 4096) return this.json(res, 413, { error: 'login form too large' }); }
    const form = new URLSearchParams(body);
    const user = (form.get('user') ?? '').slice(0, 64), password = (form.get('password') ?? '').slice(0, 256);
    const source = this.source(req);
    if (!this.guard.admit(source, user)) {
      return this.json(res, 429, { error: 'too many failed logins: wait a minute and try again' });
    }
    const r = await this.hub.check(user, password);
    if (r?.kind !== 'account' || r.account.role !== 'operator') {
      this.guard.failed(source, user);
      this.log(`http: failed login for ${JSON.stringify(user.slice(0, 48))} from ${source}`, 'warn');
      return this.json(res, 401, { error: 'wrong user name or password' });
    }
    const token = this.sessions.create(user);
    this.send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ user }), { 'Set-Cookie': `chot_session=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800${this.secure ? '; Secure' : ''}` });
  }

  /**
   * EMQX's HTTP authentication and authorisation (hub/README.md, "EMQX"): EMQX posts each kiosk's CONNECT and each
   * publish or subscribe; the answer follows EMQX's contract ({"result": "allow" | "deny" | "ignore"}). Names that
   * are not kiosks get "ignore", so EMQX's next authenticator (its built-in database, for the hub processes' own
   * user) decides. Only a caller that knows the shared secret is answered.
   */
  private async emqx(req: IncomingMessage, res: ServerResponse, auth: boolean): Promise<void> {
    const secret = this.emqxSecret();
    const given = Buffer.from(String(req.headers['x-chot-emqx-secret'] ?? ''));
    if (!secret || given.length !== secret.length || !timingSafeEqual(given, secret)) return this.json(res, 403, { error: 'EMQX endpoints need http.emqxSecretFile and the header x-chot-emqx-secret' });
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 8192) return this.json(res, 413, { error: 'request too large' }); }
    let q: { username?: unknown; password?: unknown; clientid?: unknown; topic?: unknown; action?: unknown; peerhost?: unknown };
    try { q = JSON.parse(body); } catch { return this.json(res, 400, { error: 'not JSON' }); }
    const name = typeof q.username === 'string' ? q.username : '';
    const clientid = typeof q.clientid === 'string' ? q.clientid : '';
    const device = this.hub.device(name);
    if (!device) return this.json(res, 200, { result: 'ignore' });
    if (device.revokedAt || clientid !== device.id) return this.json(res, 200, { result: 'deny' });
    if (auth) {
      const r = await this.hub.check(name, typeof q.password === 'string' ? q.password : '');
      return this.json(res, 200, r?.kind === 'kiosk' ? { result: 'allow', is_superuser: false } : { result: 'deny' });
    }
    const topic = typeof q.topic === 'string' ? q.topic : '';
    const action = q.action === 'publish' ? 'publishClientSend' : q.action === 'subscribe' ? 'subscribeLiteral' : '';
    const ok = kioskAcls(device.id).some((a) => a.acltype === action && a.topic === topic);
    return this.json(res, 200, { result: ok ? 'allow' : 'deny' });
  }

  private emqxSecret(): Buffer | undefined {
    const f = this.hub.config.http.emqxSecretFile;
    if (!f) return undefined;
    try { return Buffer.from(readFileSync(f, 'utf8').trim()); } catch { return undefined; }
  }

  /** A kiosk redeems its one-time token (the token is the credential) and gets its id, area, hub and secret. */
  private async enrol(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.enrolments.take(this.source(req))) return this.json(res, 429, { error: 'too many enrolment attempts from this address: wait a minute' });
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 1024) return this.json(res, 413, { error: 'enrolment request too large' }); }
    let token: unknown;
    try { token = (JSON.parse(body) as { token?: unknown }).token; } catch { return this.json(res, 400, { error: 'send {"token": "…"}' }); }
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) return this.json(res, 400, { error: 'the token is not an enrolment token' });
    try {
      const { device, secret } = await this.hub.enrol(token);
      this.log(`enrol: kiosk ${device.id} enrolled from ${this.source(req)}`);
      return this.json(res, 200, { v: 1, kiosk: { id: device.id, area: device.area, timeZone: this.hub.config.timeZone }, hub: { url: this.mqttUrl(req) }, password: secret });
    } catch (e) {
      const err = e as Error & { code?: string };
      this.log(`enrol: refused from ${this.source(req)}: ${err.message}`, 'warn');
      return this.json(res, err.code === 'unknown' ? 404 : err.code ? 410 : 500, { error: err.message, code: err.code });
    }
  }

  /** The MQTT address kiosks are given: the configured public one; without it, the address this request reached. */
  private mqttUrl(req: IncomingMessage): string {
    if (this.hub.config.mqtt.publicUrl) return this.hub.config.mqtt.publicUrl;
    const local = req.socket.localAddress ?? '127.0.0.1';
    const host = local.includes(':') && !local.startsWith('::ffff:') ? `[${local}]` : local.replace(/^::ffff:/, '');
    const ports = this.hub.mqttPorts();
    return ports.mqttTls !== undefined ? `mqtts://${host}:${ports.mqttTls}` : `mqtt://${host}:${ports.mqtt}`;
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    res.write(`retry: 2000\n\n`);
    this.sse.set(res, this.cookie(req));
    this.lastVersion = '';
    req.on('close', () => this.sse.delete(res));
  }

  /** Live counters: today's nationwide figures, pushed within half a second of a change. */
  private async pushLive(): Promise<void> {
    // a session that expired since its stream opened is closed too
    for (const [res, token] of this.sse) if (token && !this.sessions.user(token)) { res.end(); this.sse.delete(res); }
    const version = this.hub.version();
    const store = this.hub.store();
    const key = `${version}/${store.up}`;
    if (!this.sse.size || key === this.lastVersion) return;
    this.lastVersion = key;
    const today = localDay(Date.now(), this.hub.config.timeZone);
    let n: Record<string, number>;
    try { n = await this.hub.totals(today); } catch { n = {}; }
    const scans = n.scans ?? 0, green = n.green ?? 0;
    const data = JSON.stringify({ day: today, scans, green, red: n.red ?? 0, passRateText: passRateText(green, scans), version, store: { up: store.up, error: store.error } });
    for (const res of this.sse.keys()) res.write(`data: ${data}\n\n`);
  }

  async close(): Promise<void> {
    if (this.feed) clearInterval(this.feed);
    for (const res of this.sse.keys()) res.end();
    if (this.server) { this.server.closeAllConnections?.(); await new Promise<void>((r) => this.server!.close(() => r())); }
  }
}

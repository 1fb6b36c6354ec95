// The operators' web side: the dashboard (behind a login), a JSON API (session or bearer token), a live feed
// (server-sent events), CSV export and Prometheus /metrics. Assets are plain files served from the package:
// no build step, nothing fetched from the internet.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import { localDay } from '../../../protocol/src/index.js';
import type { Hub } from '../hub.js';
import { reportCsv } from '../figures.js';
import { Sessions } from './sessions.js';

const WEB = new URL('../../../../hub/web/', import.meta.url).pathname;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const ASSETS: Record<string, string> = { '/app.js': 'text/javascript; charset=utf-8', '/style.css': 'text/css; charset=utf-8' };
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store',
};

export interface FleetEntry {
  id: string; area: string; province: string; revoked: boolean; online: boolean; silent: boolean; lastSeen: number | null;
  version?: string; trustVersion?: number; statusVersion?: number; backlog?: number; listsStale?: boolean;
  clock?: { synced: boolean; source: string; offsetMs?: number }; scanner?: string; camera?: string;
}

export function fleet(hub: Hub): FleetEntry[] {
  const now = Date.now();
  return hub.devices.devices.map((d) => {
    const s = hub.broker.online.get(d.id);
    const lastSeen = s?.lastSeen ?? null;
    return {
      id: d.id, area: d.area, province: d.area === 'VN' ? 'VN' : d.area.slice(0, 2), revoked: !!d.revokedAt,
      online: !!s?.online && hub.broker.connected.has(d.id), lastSeen,
      silent: !d.revokedAt && (lastSeen === null || now - lastSeen > hub.config.silentAfterSeconds * 1000),
      version: s?.version, trustVersion: s?.trustVersion, statusVersion: s?.statusVersion, backlog: s?.backlog, listsStale: s?.listsStale,
      clock: s?.clock, scanner: s?.scanner, camera: s?.camera,
    };
  });
}

export class HubHttp {
  private server: Server | null = null;
  readonly sessions = new Sessions();
  private readonly metrics = new Registry();
  private readonly sse = new Set<ServerResponse>();
  private feed: NodeJS.Timeout | null = null;
  private lastVersion = -1;

  constructor(private readonly hub: Hub, private readonly log: (l: string) => void) {
    collectDefaultMetrics({ register: this.metrics, prefix: 'chot_hub_' });
    const b = hub.broker.stats;
    // fleet-wide numbers only: per-checkpoint figures belong in the API, not in metric labels
    new Counter({ name: 'chot_scans_stored_total', help: 'scans stored (each once)', registers: [this.metrics], collect() { this.reset(); this.inc(hub.scans.stored); } });
    new Counter({ name: 'chot_scans_duplicate_total', help: 'duplicate deliveries ignored', registers: [this.metrics], collect() { this.reset(); this.inc(hub.scans.duplicates); } });
    new Counter({ name: 'chot_messages_rejected_total', help: 'messages that failed validation', registers: [this.metrics], collect() { this.reset(); this.inc(b.rejected); } });
    new Counter({ name: 'chot_publish_refused_total', help: 'publishes refused by the ACL', registers: [this.metrics], collect() { this.reset(); this.inc(b.refusedPublish); } });
    new Counter({ name: 'chot_connect_refused_total', help: 'connections refused (bad credentials)', registers: [this.metrics], collect() { this.reset(); this.inc(b.refusedConnect); } });
    new Gauge({ name: 'chot_kiosks', help: 'kiosks by state', labelNames: ['state'], registers: [this.metrics], collect() {
      const f = fleet(hub);
      this.set({ state: 'online' }, f.filter((k) => k.online).length);
      this.set({ state: 'offline' }, f.filter((k) => !k.online && !k.revoked).length);
      this.set({ state: 'silent' }, f.filter((k) => k.silent).length);
    } });
    new Gauge({ name: 'chot_kiosk_backlog_scans', help: 'scans waiting in kiosk journals, fleet total', registers: [this.metrics], collect() { this.set(fleet(hub).reduce((a, k) => a + (k.backlog ?? 0), 0)); } });
  }

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer((req, res) => { this.route(req, res).catch((e) => { this.log(`http: ${req.method} ${req.url}: ${(e as Error).message}`); if (!res.headersSent) this.send(res, 500, 'text/plain', 'internal error'); else res.end(); }); });
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(port, host, () => resolve()); });
    const p = (this.server.address() as { port: number }).port;
    this.feed = setInterval(() => this.pushLive(), 500);
    this.log(`http: dashboard and API on http://${host}:${p}/`);
    return p;
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

  /** A session cookie (operators) or `Authorization: Bearer NAME:SECRET` (service accounts and operators). */
  private async who(req: IncomingMessage): Promise<string | undefined> {
    const s = this.sessions.user(this.cookie(req));
    if (s) return s;
    const m = /^Bearer ([a-z0-9._-]+):(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const r = await this.hub.devices.authenticate(m[1], m[2]);
    return r?.kind === 'account' ? r.account.name : undefined;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const path = url.pathname;
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      return this.send(res, 200, 'text/html; charset=utf-8', readFileSync(join(WEB, 'index.html')));
    }
    if (req.method === 'GET' && ASSETS[path]) return this.send(res, 200, ASSETS[path], readFileSync(join(WEB, path.slice(1))));
    if (req.method === 'POST' && path === '/login') return this.login(req, res);
    if (req.method === 'POST' && path === '/api/enrol') return this.enrol(req, res);
    if (req.method === 'POST' && path === '/logout') {
      this.sessions.end(this.cookie(req));
      return this.send(res, 204, 'text/plain', '', { 'Set-Cookie': 'chot_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' });
    }
    const user = await this.who(req);
    if (!user) return this.json(res, 401, { error: 'log in first (dashboard), or send Authorization: Bearer NAME:SECRET of a chot account' });
    const today = localDay(Date.now(), this.hub.config.timeZone);
    if (req.method === 'GET' && path === '/api/me') return this.json(res, 200, { user, today, timeZone: this.hub.config.timeZone });
    if (req.method === 'GET' && (path === '/api/figures' || path === '/api/export.csv')) {
      const from = url.searchParams.get('from') ?? url.searchParams.get('day') ?? today;
      const to = url.searchParams.get('to') ?? from;
      if (!DAY_RE.test(from) || !DAY_RE.test(to) || to < from) return this.json(res, 400, { error: `day/from/to must be YYYY-MM-DD with from ≤ to, got from=${from} to=${to}` });
      const report = this.hub.figures.rangeReport(from, to);
      if (path === '/api/figures') return this.json(res, 200, report);
      return this.send(res, 200, 'text/csv; charset=utf-8', reportCsv(report), { 'Content-Disposition': `attachment; filename="chot-${from}${to !== from ? `_${to}` : ''}.csv"` });
    }
    if (req.method === 'GET' && path === '/api/fleet') return this.json(res, 200, { now: Date.now(), silentAfterSeconds: this.hub.config.silentAfterSeconds, kiosks: fleet(this.hub) });
    if (req.method === 'GET' && path === '/api/events') return this.events(req, res);
    if (req.method === 'GET' && path === '/metrics') return this.send(res, 200, this.metrics.contentType, await this.metrics.metrics());
    return this.json(res, 404, { error: `no route ${req.method} ${path}` });
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 4096) return this.json(res, 413, { error: 'login form too large' }); }
    const form = new URLSearchParams(body);
    const user = form.get('user') ?? '', password = form.get('password') ?? '';
    const r = await this.hub.devices.authenticate(user, password);
    if (r?.kind !== 'account' || r.account.role !== 'operator') {
      this.log(`http: failed login for ${JSON.stringify(user.slice(0, 48))} from ${req.socket.remoteAddress}`);
      return this.json(res, 401, { error: 'wrong user name or password' });
    }
    const token = this.sessions.create(user);
    this.send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ user }), { 'Set-Cookie': `chot_session=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800` });
  }

  /** A kiosk redeems its one-time token (the token is the credential) and gets its id, area, hub and secret. */
  private async enrol(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) { body += chunk; if (body.length > 1024) return this.json(res, 413, { error: 'enrolment request too large' }); }
    let token: unknown;
    try { token = (JSON.parse(body) as { token?: unknown }).token; } catch { return this.json(res, 400, { error: 'send {"token": "…"}' }); }
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) return this.json(res, 400, { error: 'the token is not an enrolment token' });
    try {
      const { device, secret } = await this.hub.devices.enrol(token);
      const host = (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
      const mqttUrl = this.hub.config.mqtt.cert ? `mqtts://${host}:${this.hub.config.mqtt.tlsPort}` : `mqtt://${host}:${this.hub.mqttPort}`;
      this.log(`enrol: kiosk ${device.id} enrolled from ${req.socket.remoteAddress}`);
      return this.json(res, 200, { v: 1, kiosk: { id: device.id, area: device.area, timeZone: this.hub.config.timeZone }, hub: { url: mqttUrl }, password: secret });
    } catch (e) {
      const err = e as Error & { code?: string };
      this.log(`enrol: refused from ${req.socket.remoteAddress}: ${err.message}`);
      return this.json(res, err.code === 'unknown' ? 404 : err.code ? 410 : 500, { error: err.message, code: err.code });
    }
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    res.write(`retry: 2000\n\n`);
    this.sse.add(res);
    this.lastVersion = -1;
    req.on('close', () => this.sse.delete(res));
  }

  /** Live counters: today's nationwide figures, pushed within half a second of a change. */
  private pushLive(): void {
    if (!this.sse.size || this.hub.figures.version === this.lastVersion) return;
    this.lastVersion = this.hub.figures.version;
    const today = localDay(Date.now(), this.hub.config.timeZone);
    const n = this.hub.figures.report(today).nationwide;
    const data = JSON.stringify({ day: today, scans: n.scans, green: n.green, red: n.red, passRateText: n.passRateText, version: this.lastVersion });
    for (const res of this.sse) res.write(`data: ${data}\n\n`);
  }

  async close(): Promise<void> {
    if (this.feed) clearInterval(this.feed);
    for (const res of this.sse) res.end();
    if (this.server) { this.server.closeAllConnections?.(); await new Promise<void>((r) => this.server!.close(() => r())); }
  }
}

// The officer's screen: a local web page for Chromium in kiosk mode on the booth's display. The verdict huge in
// green or red, the reason in Vietnamese and English, what the officer checks against the ID card, the last 20
// scans and the kiosk's state. Scans are pushed over server-sent events the moment they are signalled; the page
// reconnects by itself when the kiosk restarts. Loopback only unless configured: it shows personal data.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { REASON_WORDS } from '../../../protocol/src/index.js';
import type { Kiosk, ScanView } from '../kiosk.js';

const WEB = new URL('../../../../kiosk/web/', import.meta.url).pathname;
const TYPES: Record<string, string> = { '/': 'text/html; charset=utf-8', '/app.js': 'text/javascript; charset=utf-8', '/style.css': 'text/css; charset=utf-8' };
const HEADERS = { 'Content-Security-Policy': "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'", 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };

export function view(v: ScanView): unknown {
  return {
    // the record's reason: an override is 'override' there, while its verdict reads 'ok'
    id: v.record.id, at: v.record.at, verdict: v.verdict.verdict, reason: v.record.reason, message: v.verdict.message,
    summary: v.verdict.summary ?? null, warnings: v.warnings, override: !!v.record.override, source: v.record.source, ms: v.record.ms,
    // a payout desk's answer (payout/decide.ts): its word, lamp and message replace the pass's
    payout: v.payout ?? null,
  };
}

export function screenState(k: Kiosk): unknown {
  const s = k.status();
  const ages = k.store.db.data;
  return {
    kiosk: k.config.kiosk.id, area: k.area, hub: k.uplink ? k.uplink.state : 'not configured', clock: s.clock, backlog: s.backlog,
    trust: ages.trust ?? null, status: ages.status ?? null, listsStale: s.listsStale, scanner: s.scanner, gpio: s.gpio, now: Date.now(),
    // times on the screen are the checkpoint's, whatever zone the browser runs in
    timeZone: ages.hubConfig?.timeZone ?? k.config.kiosk.timeZone, lastScanAt: k.history[0]?.record.at ?? null,
    // the last enrolment attempt (an unenrolled kiosk): under way, refused with the reason, or done
    enrolment: k.enrolment,
    // who is on duty: the name only (the code goes into the records, never onto the screen)
    officer: ((o) => (o ? { name: o.name, since: o.since, until: o.until } : null))(k.onDuty()),
    officerNotice: k.officerNotice,
    // a payout desk: the programme, its amount and validity, the ward, and the claims waiting or owed
    payout: k.payout?.screen() ?? null,
  };
}

export class OfficerScreen {
  private server: Server | null = null;
  private readonly clients = new Set<ServerResponse>();

  constructor(private readonly kiosk: Kiosk) {
    kiosk.on('scan', (v) => this.push('scan', view(v)));
    kiosk.on('change', () => this.push('state', screenState(kiosk)));
    kiosk.on('enrolment', (n) => this.push('enrolment', n));
    kiosk.on('payout', (v) => this.push('payout', view(v)));
  }

  /**
   * The Host names this page answers to. A page elsewhere on the web can point its own name at 127.0.0.1 (DNS
   * rebinding) and read the names and ID digits here: it sends its own name as Host, so only loopback names, the
   * configured screen.host and, when that is a wildcard, this machine's own addresses (which need no DNS) pass.
   */
  private hostsFor(host: string, port: number): Set<string> {
    const names = new Set(['localhost', '127.0.0.1', '[::1]']);
    const literal = (a: string) => (a.includes(':') ? `[${a.toLowerCase()}]` : a.toLowerCase());
    if (host === '0.0.0.0' || host === '::') {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(literal(i.address.replace(/%.*$/, '')));
    } else {
      names.add(literal(host));
    }
    return new Set([...names].flatMap((n) => [`${n}:${port}`, ...(port === 80 ? [n] : [])]));
  }

  private push(event: string, data: unknown): void {
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(msg);
  }

  async listen(host: string, port: number): Promise<number> {
    let hosts = new Set<string>();
    let bound = port;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (!hosts.has((req.headers.host ?? '').toLowerCase())) {
        res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8', ...HEADERS }).end(`this officer screen answers only to 127.0.0.1:${bound} and its own names, not to Host ${JSON.stringify(req.headers.host ?? '')}\n`);
        return;
      }
      if (req.method !== 'GET') { res.writeHead(405).end(); return; }
      if (TYPES[path]) {
        res.writeHead(200, { 'Content-Type': TYPES[path], ...HEADERS });
        res.end(readFileSync(WEB + (path === '/' ? 'index.html' : path.slice(1))));
        return;
      }
      if (path === '/state') {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ...HEADERS });
        res.end(JSON.stringify({ state: screenState(this.kiosk), scans: this.kiosk.history.map(view), reasons: REASON_WORDS }));
        return;
      }
      if (path === '/events') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
        res.write('retry: 1000\n\n');
        this.clients.add(res);
        req.on('close', () => this.clients.delete(res));
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    });
    await new Promise<void>((resolve, reject) => { this.server!.once('error', reject); this.server!.listen(port, host, () => resolve()); });
    bound = (this.server.address() as { port: number }).port;
    hosts = this.hostsFor(host, bound);
    return bound;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end();
    if (this.server) { this.server.closeAllConnections?.(); await new Promise<void>((r) => this.server!.close(() => r())); }
  }
}

// The hub's embedded MQTT broker (aedes). Each kiosk logs in with its own credentials and may publish only
// under its own topic tree; accounts get what their role needs and nothing a kiosk has. Scans go to the ingest
// steps (ingest.ts) from inside authorizePublish, because aedes sends the PUBACK for QoS 1 as soon as that returns:
// a hub that died right after would lose a scan the kiosk thinks delivered. The hub then also sends an application
// ack by scan id on the kiosk's ack topic: that is what the kiosk journals as delivered.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Aedes, type Client, type AedesPublishPacket, type Subscription } from 'aedes';
import { parseKioskStatus, parseKioskTopic, topics, type KioskStatus } from '../../protocol/src/index.js';
import type { Credentials } from './credentials.js';
import type { Ingest } from './ingest.js';
import { LoginGuard, RateLimit } from './limits.js';

export interface BrokerOptions {
  host: string;
  port: number;
  /** the plain port listens unless TLS is on and this is false */
  plain: boolean;
  tls?: { port: number; cert: string; key: string };
  log: (line: string, level?: 'info' | 'warn' | 'error') => void;
  connectBurstPerSource?: number;
  connectsPerMinutePerSource?: number;
  /** payout claims (kiosks' claim topic) */
  payouts?: { handle(kiosk: string, payload: Buffer): Promise<void> };
}

export interface BrokerStats {
  rejected: number;
  refusedPublish: number;
  refusedConnect: number;
  rateLimited: number;
  oversize: number;
}

/** The largest CONNECT a client may send before it has logged in, and the largest packet after. */
export const MAX_CONNECT_BYTES = 2048;
export const MAX_PACKET_BYTES = 300 * 1024;

/** What the hub needs of a broker, embedded (aedes, this file) or external (external.ts). */
export interface BrokerPort {
  readonly kind: 'embedded' | 'external';
  readonly stats: BrokerStats;
  /** kiosks' last status, with when it was seen */
  readonly online: Map<string, KioskStatus & { lastSeen: number }>;
  /** kiosk ids connected now */
  readonly connected: Set<string>;
  listen(): Promise<{ port?: number; tlsPort?: number }>;
  publish(topic: string, payload: Uint8Array | string, retain?: boolean): Promise<void>;
  ack(kiosk: string, ids: string[]): void;
  /** cuts a kiosk off now (revoked); false when it was not connected here */
  disconnect(id: string): boolean;
  close(): Promise<void>;
}

type Who = { kind: 'kiosk'; id: string } | { kind: 'doctor'; id: string } | { kind: 'account'; name: string; role: 'operator' | 'service' };

export class HubBroker implements BrokerPort {
  readonly kind = 'embedded' as const;
  readonly stats: BrokerStats = { rejected: 0, refusedPublish: 0, refusedConnect: 0, rateLimited: 0, oversize: 0 };
  readonly online = new Map<string, KioskStatus & { lastSeen: number }>();
  /** kiosk ids with an open MQTT connection now */
  readonly connected = new Set<string>();
  readonly guard = new LoginGuard({ perSourceBurst: 30, perSourcePerMinute: 30, perNameBurst: 10, perNamePerMinute: 10 });
  /** new connections per source address: a flood is cut before any packet is read */
  private readonly connects: RateLimit;
  private readonly who = new WeakMap<Client, Who>();
  private servers: Array<Server | TlsServer> = [];
  readonly aedes: Aedes;

  private constructor(aedes: Aedes, private readonly opts: BrokerOptions) {
    this.aedes = aedes;
    this.connects = new RateLimit(opts.connectBurstPerSource ?? 2000, opts.connectsPerMinutePerSource ?? 6000);
  }

  static async create(credentials: Credentials, ingest: Ingest, opts: BrokerOptions): Promise<HubBroker> {
    const log = opts.log;
    let hub!: HubBroker;
    /** packets for the hub alone (scans, claims) or refused after their PUBACK (a bad batch, a bad status): never
     * published to subscribers (see the end of create) */
    const dropped = new WeakSet<object>();
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const name = username ?? '';
        const source = remote(client);
        const refuse = (code: number, why: string, level: 'info' | 'warn' = 'warn') => {
          hub.stats.refusedConnect++;
          log(`broker: refused ${JSON.stringify(client.id)} from ${source}: ${why}`, level);
          done(Object.assign(new Error(why), { returnCode: code }) as never, false);
        };
        // a kiosk's keyed-hash check costs microseconds: kiosks behind the address of a flood still get in
        if (!credentials.cheap(name) && !hub.guard.admit(source, name)) {
          hub.stats.rateLimited++;
          // one line per refusal would let a flood fill the journal: the count is in /metrics
          return done(Object.assign(new Error('too many failed logins'), { returnCode: 5 }) as never, false);
        }
        credentials.check(name, password ? password.toString() : '').then((r) => {
          if (!r) { hub.guard.failed(source, name); return refuse(4, `wrong user or password for ${JSON.stringify(name.slice(0, 64))}`); }
          // chot doctor checks a kiosk's credentials as ID~doctor: logging in as the kiosk itself would take over
          // the running kiosk's session. A doctor connection may do nothing else.
          if (r.kind === 'kiosk' && client.id === `${r.device.id}~doctor`) { hub.who.set(client, { kind: 'doctor', id: r.device.id }); return done(null, true); }
          if (r.kind === 'kiosk' && client.id !== r.device.id) return refuse(2, `kiosk ${r.device.id} must use its kiosk id as client id, got ${JSON.stringify(client.id)}`);
          // an account must not take a kiosk's client id: aedes would disconnect the kiosk
          if (r.kind === 'account' && (credentials.device(client.id) || client.id.endsWith('~doctor'))) return refuse(2, `account ${r.account.name} may not use the client id of kiosk ${JSON.stringify(client.id)}`);
          hub.who.set(client, r.kind === 'kiosk' ? { kind: 'kiosk', id: r.device.id } : { kind: 'account', name: r.account.name, role: r.account.role });
          done(null, true);
        }, (e: Error) => done(e as never, false));
      },
      authorizePublish: (client, packet, done) => {
        if (!client) return done(null); // the broker's own publishes (acks, lists, configs)
        const w = hub.who.get(client);
        const refuse = (why: string) => {
          hub.stats.refusedPublish++;
          log(`broker: refused a publish to ${JSON.stringify(packet.topic.slice(0, 200))} by ${w?.kind === 'account' ? `account ${w.name}` : `kiosk ${w?.id ?? client.id}`}: ${why}`, 'warn');
          done(new Error(why));
        };
        // only the hub publishes to the broadcast topics (signed lists come from its own files); accounts read
        if (!w || w.kind !== 'kiosk') return refuse('only kiosks publish, each under its own topics');
        const t = parseKioskTopic(packet.topic);
        if (!t || t.kiosk !== w.id || (t.kind !== 'scans' && t.kind !== 'status' && t.kind !== 'claim')) return refuse(t && t.kiosk !== w.id ? `kiosk ${w.id} may not publish as kiosk ${t.kiosk}` : 'not a topic a kiosk publishes to');
        packet.retain = false; // nothing a kiosk sends is kept for later subscribers
        if (t.kind === 'status') {
          const s = parseKioskStatus(packet.payload as Buffer);
          if (!s.ok || s.value.kiosk !== w.id) {
            hub.stats.rejected++;
            dropped.add(packet);
            log(`broker: rejected a status from ${w.id}: ${s.ok ? 'names another kiosk' : JSON.stringify(s.error.slice(0, 200))}`, 'warn');
            return done(null);
          }
          hub.online.set(w.id, { ...s.value, lastSeen: Date.now() });
          return done(null);
        }
        if (t.kind === 'claim') {
          dropped.add(packet); // a claim is for the hub alone
          if (!opts.payouts) return done(null);
          return void opts.payouts.handle(w.id, packet.payload as Buffer).then(() => done(null), (e: Error) => done(e));
        }
        const seen = hub.online.get(w.id);
        if (seen) seen.lastSeen = Date.now();
        dropped.add(packet); // scans are for the hub alone: no account may subscribe to them
        ingest.batch(w.id, packet.payload as Buffer).then((r) => {
          if (r === 'rejected') hub.stats.rejected++;
          hub.pace(() => done(null)); // committed: now the PUBACK
        }, (e: Error) => hub.pace(() => done(e))); // not committed: no PUBACK, the connection closes, the kiosk sends again
      },
      authorizeSubscribe: (client, sub: Subscription, done) => {
        const w = hub.who.get(client);
        if (!w) return done(new Error('not authenticated'), null);
        const t = parseKioskTopic(sub.topic);
        const broadcast = sub.topic.startsWith(topics.broadcastPrefix) && !/[#+]/.test(sub.topic);
        let ok: boolean;
        if (w.kind === 'doctor') ok = false;
        else if (w.kind === 'kiosk') ok = broadcast || !!(t && t.kiosk === w.id && (t.kind === 'ack' || t.kind === 'config' || t.kind === 'claim-result'));
        // operators and services watch kiosk status and the lists; never $SYS, never a wildcard over everything
        else ok = broadcast || sub.topic === `${topics.kioskPrefix}+/status` || (!!t && t.kind === 'status');
        if (!ok) {
          log(`broker: refused ${w.kind === 'account' ? `account ${w.name}` : `kiosk ${w.id}`} subscribing to ${JSON.stringify(sub.topic.slice(0, 200))}`, 'warn');
          return done(null, null);
        }
        done(null, sub);
      },
    });
    // A packet for the hub alone is acknowledged (aedes sends the PUBACK first) but not published: aedes' publish
    // looks the topic up in every subscription, copies the packet and queues it through mqemitter, for nobody, once
    // per scan batch. It is held back here because this is the one step that sees the packet authorizePublish saw
    // (authorizeForward gets aedes' copy, so a set of refused packets never matched there).
    const publish = aedes.publish.bind(aedes) as unknown as (packet: AedesPublishPacket, client: Client | null, done?: (e?: Error) => void) => void;
    (aedes as unknown as { publish: typeof publish }).publish = (packet, client, done) => {
      if (client && typeof client === 'object' && dropped.has(packet)) { done?.(); return; }
      publish(packet, client, done);
    };
    hub = new HubBroker(aedes, opts);
    aedes.on('clientReady', (client) => {
      const w = hub.who.get(client);
      if (w?.kind !== 'kiosk') return;
      hub.connected.add(w.id);
      const s = hub.online.get(w.id);
      hub.online.set(w.id, { ...(s ?? { v: 1, kiosk: w.id, at: Date.now() }), online: true, lastSeen: Date.now() });
    });
    aedes.on('clientDisconnect', (client) => {
      const w = hub.who.get(client);
      if (w?.kind !== 'kiosk') return;
      hub.connected.delete(w.id);
      const s = hub.online.get(w.id);
      if (s) hub.online.set(w.id, { ...s, online: false });
    });
    return hub;
  }

  /** Hands a new connection to aedes, with the packet-size gate in front of its parser. */
  private accept(socket: Socket): void {
    // TCP_NODELAY: the hub answers a scan batch with two small writes (PUBACK, then the ack message); with
    // Nagle on, the second waits for the kiosk's delayed ACK, about 40–90 ms per batch
    socket.setNoDelay(true);
    const source = socket.remoteAddress ?? 'unknown';
    if (!this.connects.take(source)) { this.stats.rateLimited++; socket.destroy(); return; }
    const client = this.aedes.handle(socket) as unknown as Client & { _parser: { _parseLength(): boolean; packet: { cmd?: string; length: number } } };
    // aedes has no size limit: mqtt-packet buffers a whole packet however long its header says it is. The length is
    // known as soon as the fixed header is read, so the gate closes the connection there, before any body arrives.
    const parser = client._parser;
    const parseLength = parser._parseLength.bind(parser);
    parser._parseLength = () => {
      const ok = parseLength();
      if (ok) {
        const limit = this.who.has(client) ? MAX_PACKET_BYTES : MAX_CONNECT_BYTES;
        if (parser.packet.length > limit) {
          this.stats.oversize++;
          this.opts.log(`broker: closed a connection from ${source}: a ${parser.packet.cmd ?? ''} packet of ${parser.packet.length} bytes is more than ${limit}`, 'warn');
          socket.destroy();
          return false;
        }
      }
      return ok;
    };
  }

  async listen(): Promise<{ port?: number; tlsPort?: number }> {
    const listen = (server: Server | TlsServer, port: number) => new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => resolve((server.address() as { port: number }).port));
    });
    let port: number | undefined, tlsPort: number | undefined;
    if (!this.opts.tls || this.opts.plain) {
      const tcp = createServer((s) => this.accept(s));
      port = await listen(tcp, this.opts.port);
      this.servers.push(tcp);
    }
    if (this.opts.tls) {
      const tls = createTlsServer({ cert: readFileSync(this.opts.tls.cert), key: readFileSync(this.opts.tls.key) }, (s) => this.accept(s));
      tlsPort = await listen(tls, this.opts.tls.port);
      this.servers.push(tls);
    }
    this.opts.log(`broker: MQTT${port !== undefined ? ` on ${this.opts.host}:${port}` : ''}${tlsPort !== undefined ? `${port !== undefined ? ',' : ''} TLS on ${this.opts.host}:${tlsPort}` : ''}${this.opts.tls && !this.opts.plain ? ' (plain MQTT off: mqtt.plain is false)' : ''}`);
    return { port, tlsPort };
  }

  /** Publishes a message from the hub itself: retained for the broadcast lists only. */
  publish(topic: string, payload: Uint8Array | string, retain = false): Promise<void> {
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
    return new Promise((resolve, reject) => this.aedes.publish({ cmd: 'publish', topic, payload: body, qos: 1, retain, dup: false } as AedesPublishPacket, (e) => (e ? reject(e) : resolve())));
  }

  private paced: Array<() => void> = [];
  private paceTimer: NodeJS.Immediate | null = null;

  /** Runs `fn` soon, at most 200 per turn of the event loop. A group commit answers thousands of batches at once;
   * handed to aedes in one go (PUBACKs, their forwarding, the acks) they queued in mqemitter, whose queue drains
   * recursively, and 10,000 kiosks overflowed the stack (bench:hub). */
  pace(fn: () => void): void {
    this.paced.push(fn);
    this.paceTimer ??= setImmediate(() => this.flushPaced());
  }

  private flushPaced(): void {
    this.paceTimer = null;
    for (const fn of this.paced.splice(0, 200)) fn();
    if (this.paced.length) this.paceTimer = setImmediate(() => this.flushPaced());
  }

  /** The application acknowledgement: these scan ids are stored, the kiosk may forget them. */
  ack(kiosk: string, ids: string[]): void {
    this.pace(() => this.aedes.publish({ cmd: 'publish', topic: topics.ack(kiosk), payload: Buffer.from(JSON.stringify({ v: 1, ids, t: Date.now() })), qos: 1, retain: false, dup: false } as AedesPublishPacket, () => {}));
  }

  /** Cuts a kiosk off (revoked): its connection is closed; authenticate refuses it from now on. */
  disconnect(id: string): boolean {
    const client = (this.aedes as unknown as { clients: Record<string, Client> }).clients[id];
    if (!client) return false;
    client.close();
    return true;
  }

  async close(): Promise<void> {
    if (this.paceTimer) { clearImmediate(this.paceTimer); this.paceTimer = null; for (const fn of this.paced.splice(0)) fn(); }
    // aedes first: it closes the client connections the servers would otherwise wait for
    await new Promise<void>((r) => this.aedes.close(() => r()));
    for (const s of this.servers) await new Promise<void>((r) => s.close(() => r()));
  }
}

function remote(c: Client): string {
  const conn = (c as unknown as { conn?: { remoteAddress?: string } }).conn;
  return conn?.remoteAddress ?? 'unknown';
}

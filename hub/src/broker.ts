// The hub's embedded MQTT broker (aedes). Each kiosk logs in with its own credentials and may publish only
// under its own topic tree; a kiosk publishing as another is refused and logged. Scans are made durable inside
// authorizePublish, before aedes sends the PUBACK (aedes acknowledges QoS 1 before any 'publish' handler runs,
// so a hub that died right after would lose a scan the kiosk thinks delivered). The hub then also sends an
// application ack by scan id on the kiosk's ack topic: that is what the kiosk journals as delivered.
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Aedes, type Client, type AedesPublishPacket, type Subscription } from 'aedes';
import { parseKioskStatus, parseKioskTopic, parseScanBatch, topics, type KioskStatus } from '../../protocol/src/index.js';
import type { DeviceRegistry } from './devices.js';
import type { ScanStore } from './store/scans.js';

export interface BrokerOptions {
  host: string;
  port: number;
  tls?: { port: number; cert: string; key: string };
  log: (line: string) => void;
}

export interface BrokerStats {
  rejected: number;
  refusedPublish: number;
  refusedConnect: number;
  scansIn: number;
}

type Who = { kind: 'kiosk'; id: string } | { kind: 'doctor'; id: string } | { kind: 'account'; name: string; role: 'operator' | 'service' };

export class HubBroker {
  readonly stats: BrokerStats = { rejected: 0, refusedPublish: 0, refusedConnect: 0, scansIn: 0 };
  readonly online = new Map<string, KioskStatus & { lastSeen: number }>();
  /** kiosk ids with an open MQTT connection now */
  readonly connected = new Set<string>();
  private servers: Array<Server | TlsServer> = [];
  private constructor(readonly aedes: Aedes, private readonly opts: BrokerOptions) {}

  static async create(devices: DeviceRegistry, scans: ScanStore, opts: BrokerOptions, onStatus?: (s: KioskStatus) => void): Promise<HubBroker> {
    const who = new WeakMap<Client, Who>();
    const log = opts.log;
    let hub: HubBroker;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const name = username ?? '';
        const secret = password ? password.toString() : '';
        devices.authenticate(name, secret).then((r) => {
          if (!r) {
            hub.stats.refusedConnect++;
            log(`broker: refused ${client.id} from ${remote(client)}: wrong user or password for ${JSON.stringify(name)}`);
            const e = Object.assign(new Error('bad user name or password'), { returnCode: 4 });
            return done(e as never, false);
          }
          // chot doctor checks a kiosk's credentials as ID~doctor: logging in as the kiosk itself would take over
          // the running kiosk's session. A doctor connection may do nothing else.
          if (r.kind === 'kiosk' && client.id === `${r.device.id}~doctor`) {
            who.set(client, { kind: 'doctor', id: r.device.id });
            return done(null, true);
          }
          if (r.kind === 'kiosk' && client.id !== r.device.id) {
            hub.stats.refusedConnect++;
            log(`broker: refused kiosk ${r.device.id}: its client id must be its kiosk id, got ${JSON.stringify(client.id)}`);
            return done(Object.assign(new Error('client id must be the kiosk id'), { returnCode: 2 }) as never, false);
          }
          who.set(client, r.kind === 'kiosk' ? { kind: 'kiosk', id: r.device.id } : { kind: 'account', name: r.account.name, role: r.account.role });
          done(null, true);
        }, (e) => done(e, false));
      },
      authorizePublish: (client, packet, done) => {
        const w = client ? who.get(client) : undefined;
        if (!client) return done(null); // the broker's own publishes (acks, lists, configs)
        if (!w || w.kind === 'doctor') return done(new Error('not allowed'));
        const t = parseKioskTopic(packet.topic);
        if (w.kind === 'account') {
          if (w.role === 'service' && packet.topic.startsWith(topics.broadcastPrefix)) return done(null);
          hub.stats.refusedPublish++;
          log(`broker: refused a publish by ${w.name} to ${packet.topic}: accounts may not publish there`);
          return done(new Error('not allowed'));
        }
        if (!t || t.kiosk !== w.id || (t.kind !== 'scans' && t.kind !== 'status')) {
          hub.stats.refusedPublish++;
          log(`broker: refused kiosk ${w.id} publishing to ${packet.topic}${t && t.kiosk !== w.id ? ` (as kiosk ${t.kiosk})` : ''}`);
          return done(new Error('not allowed'));
        }
        if (t.kind === 'status') {
          const s = parseKioskStatus(packet.payload as Buffer);
          if (!s.ok || s.value.kiosk !== w.id) { hub.stats.rejected++; log(`broker: rejected a status from ${w.id}: ${s.ok ? 'names another kiosk' : s.error}`); return done(null); }
          hub.online.set(w.id, { ...s.value, lastSeen: Date.now() });
          onStatus?.(s.value);
          return done(null);
        }
        const batch = parseScanBatch(packet.payload as Buffer);
        if (!batch.ok || batch.value.kiosk !== w.id) {
          // counted and logged with the sender, never stored, never in the figures, never a crash
          hub.stats.rejected++;
          log(`broker: rejected a scan batch from ${w.id}: ${batch.ok ? `names kiosk ${batch.value.kiosk}` : batch.error}`);
          return done(null);
        }
        hub.stats.scansIn += batch.value.scans.length;
        const seen = hub.online.get(w.id);
        if (seen) seen.lastSeen = Date.now();
        scans.accept(w.id, batch.value.scans).then(() => {
          // on disk: now PUBACK (done) and the application ack
          done(null);
          aedes.publish({ cmd: 'publish', topic: topics.ack(w.id), payload: Buffer.from(JSON.stringify({ v: 1, ids: batch.value.scans.map((s) => s.id), t: Date.now() })), qos: 1, retain: false, dup: false } as AedesPublishPacket, () => {});
        }, (e) => { log(`broker: could not store scans from ${w.id}: ${(e as Error).message}`); done(e as Error); });
      },
      authorizeSubscribe: (client, sub: Subscription, done) => {
        const w = who.get(client);
        if (!w) return done(new Error('not authenticated'), null);
        if (w.kind === 'account') return done(null, sub);
        if (w.kind === 'doctor') return done(null, null);
        const t = parseKioskTopic(sub.topic);
        const ok = sub.topic.startsWith(topics.broadcastPrefix) && !/[#+]/.test(sub.topic) || (t && t.kiosk === w.id && (t.kind === 'ack' || t.kind === 'config'));
        if (!ok) {
          log(`broker: refused kiosk ${w.id} subscribing to ${sub.topic}`);
          return done(null, null);
        }
        done(null, sub);
      },
    });
    hub = new HubBroker(aedes, opts);
    aedes.on('clientReady', (client) => {
      const w = who.get(client);
      if (w?.kind !== 'kiosk') return;
      hub.connected.add(w.id);
      const s = hub.online.get(w.id);
      hub.online.set(w.id, { ...(s ?? { v: 1, kiosk: w.id, at: Date.now() }), online: true, lastSeen: Date.now() });
    });
    aedes.on('clientDisconnect', (client) => {
      const w = who.get(client);
      if (w?.kind !== 'kiosk') return;
      hub.connected.delete(w.id);
      const s = hub.online.get(w.id);
      if (s) hub.online.set(w.id, { ...s, online: false });
    });
    return hub;
  }

  async listen(): Promise<{ port: number; tlsPort?: number }> {
    // TCP_NODELAY: the hub answers a scan batch with two small writes (PUBACK, then the ack message); with
    // Nagle on, the second waits for the kiosk's delayed ACK, about 40–90 ms per batch (measured: p50 92 ms → see README)
    const tcp = createServer((socket) => { socket.setNoDelay(true); this.aedes.handle(socket); });
    await new Promise<void>((resolve, reject) => { tcp.once('error', reject); tcp.listen(this.opts.port, this.opts.host, () => resolve()); });
    this.servers.push(tcp);
    const port = (tcp.address() as { port: number }).port;
    let tlsPort: number | undefined;
    if (this.opts.tls) {
      const tls = createTlsServer({ cert: readFileSync(this.opts.tls.cert), key: readFileSync(this.opts.tls.key) }, (socket) => { socket.setNoDelay(true); this.aedes.handle(socket); });
      await new Promise<void>((resolve, reject) => { tls.once('error', reject); tls.listen(this.opts.tls!.port, this.opts.host, () => resolve()); });
      this.servers.push(tls);
      tlsPort = (tls.address() as { port: number }).port;
    }
    this.opts.log(`broker: MQTT on ${this.opts.host}:${port}${tlsPort ? `, TLS on ${tlsPort}` : ''}`);
    return { port, tlsPort };
  }

  /** Publishes a message from the hub itself: retained for the broadcast lists only. */
  publish(topic: string, payload: Uint8Array | string, retain = false): Promise<void> {
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
    return new Promise((resolve, reject) => this.aedes.publish({ cmd: 'publish', topic, payload: body, qos: 1, retain, dup: false } as AedesPublishPacket, (e) => (e ? reject(e) : resolve())));
  }

  publishRetained(topic: string, payload: Uint8Array | string): Promise<void> {
    return this.publish(topic, payload, true);
  }

  /** Cuts a kiosk off (revoked): its connection is closed; authenticate refuses it from now on. */
  disconnect(id: string): boolean {
    const client = (this.aedes as unknown as { clients: Record<string, Client> }).clients[id];
    if (!client) return false;
    client.close();
    return true;
  }

  async close(): Promise<void> {
    // aedes first: it closes the client connections the servers would otherwise wait for
    await new Promise<void>((r) => this.aedes.close(() => r()));
    for (const s of this.servers) await new Promise<void>((r) => s.close(() => r()));
  }
}

function remote(c: Client): string {
  const conn = (c as unknown as { conn?: { remoteAddress?: string } }).conn;
  return conn?.remoteAddress ?? 'unknown';
}

// The hub as a client of an external MQTT broker cluster (Mosquitto here; EMQX, VerneMQ or HiveMQ in production):
// scans and kiosk status arrive through shared subscriptions ($share/GROUP/…), so N hub processes split the load,
// and acks, configs and lists go out through the broker. Exactly-once does not rest on the broker: shared
// subscriptions can strand or drop in-flight messages when a member leaves, so a scan counts as delivered only when
// the hub's application ack (sent after the commit) reaches the kiosk; a kiosk that gets none sends the batch again.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { parseKioskStatus, parseKioskTopic, topics, type KioskStatus } from '../../protocol/src/index.js';
import type { BrokerPort, BrokerStats } from './broker.js';
import type { Ingest } from './ingest.js';
import type { Dynsec } from './dynsec.js';

export interface ExternalOptions {
  urls: string[];
  username: string;
  password: string;
  ca?: Buffer;
  group: string;
  log: (line: string, level?: 'info' | 'warn' | 'error') => void;
  /** told of every valid kiosk status (saved to the store, for every hub process's fleet page) */
  status: (s: KioskStatus) => void;
  dynsec?: Dynsec;
  payouts?: { handle(kiosk: string, payload: Buffer): Promise<void> };
}

/** Batches being committed by this process at most: past it a batch is not acknowledged and its kiosk resends. */
const MAX_IN_FLIGHT = 2000;

export class ExternalBroker implements BrokerPort {
  readonly kind = 'external' as const;
  readonly stats: BrokerStats = { rejected: 0, refusedPublish: 0, refusedConnect: 0, rateLimited: 0, oversize: 0 };
  readonly online = new Map<string, KioskStatus & { lastSeen: number }>();
  readonly connected = new Set<string>();
  readonly processId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private client: MqttClient | null = null;
  private inFlight = 0;
  shed = 0;

  constructor(private readonly ingest: Ingest, private readonly o: ExternalOptions) {}

  async listen(): Promise<{ port?: number; tlsPort?: number }> {
    const servers = this.o.urls.map((u) => { const x = new URL(u); return { host: x.hostname, port: Number(x.port) || (x.protocol === 'mqtts:' ? 8883 : 1883), protocol: x.protocol.replace(':', '') as 'mqtt' | 'mqtts' }; });
    const client = mqtt.connect({
      servers, protocolVersion: 5, clientId: `chot-hub-${this.processId}`, username: this.o.username, password: this.o.password,
      // a clean session: what this process had not acknowledged goes to the group's other members, or back to the
      // kiosk's journal through its ack timeout
      clean: true, reconnectPeriod: 1000, connectTimeout: 10_000, keepalive: 30, ca: this.o.ca,
    });
    this.client = client;
    client.on('connect', () => {
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.o.log(`broker: connected to ${client.options.host}:${client.options.port} as ${this.o.username}; consuming $share/${this.o.group}/ scans and status`);
      client.subscribe({ [`$share/${this.o.group}/${topics.kioskPrefix}+/scans`]: { qos: 1 }, [`$share/${this.o.group}/${topics.kioskPrefix}+/status`]: { qos: 1 }, [`$share/${this.o.group}/${topics.kioskPrefix}+/claim`]: { qos: 1 } }, (err, granted) => {
        if (err || granted?.some((g) => g.qos > 2)) this.o.log(`broker: the shared subscriptions were refused (${err?.message ?? JSON.stringify(granted)}): give ${this.o.username} subscribe rights on $share/${this.o.group}/chot/v1/kiosk/+/scans and …/status`, 'error');
      });
    });
    client.on('error', (e) => this.o.log(`broker: ${e.message}`, 'warn'));
    client.on('offline', () => this.o.log('broker: connection lost; reconnecting (kiosks keep their scans meanwhile)', 'warn'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`could not connect to the MQTT broker at ${this.o.urls.join(', ')} within 15 s: check mqtt.urls, mqtt.username and the password file`)), 15_000);
      client.once('connect', () => { clearTimeout(t); resolve(); });
    });
    return {};
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseKioskTopic(topic);
    if (!t) return;
    if (t.kind === 'status') {
      if (!payload.length) return;
      const s = parseKioskStatus(payload);
      if (!s.ok || s.value.kiosk !== t.kiosk) { this.stats.rejected++; this.o.log(`broker: rejected a status from ${t.kiosk}: ${s.ok ? 'names another kiosk' : JSON.stringify(s.error.slice(0, 200))}`, 'warn'); return; }
      this.noteStatus(s.value, Date.now());
      this.o.status(s.value);
      return;
    }
    if (t.kind === 'claim') { this.o.payouts?.handle(t.kiosk, payload).catch(() => { /* no answer: the kiosk asks again */ }); return; }
    if (t.kind !== 'scans') return;
    if (this.inFlight >= MAX_IN_FLIGHT) { this.shed++; return; } // no ack: the kiosk sends it again
    this.inFlight++;
    const seen = this.online.get(t.kiosk);
    if (seen) seen.lastSeen = Date.now();
    this.ingest.batch(t.kiosk, payload).then((r) => { if (r === 'rejected') this.stats.rejected++; }, () => { /* logged by ingest; not acknowledged */ })
      .finally(() => { this.inFlight--; });
  }

  /** A status from this process's subscription or, through the store, from another hub process. */
  noteStatus(s: KioskStatus, seenAt: number): void {
    const cur = this.online.get(s.kiosk);
    if (cur && cur.lastSeen > seenAt) return;
    this.online.set(s.kiosk, { ...s, lastSeen: seenAt });
    if (s.online) this.connected.add(s.kiosk); else this.connected.delete(s.kiosk);
  }

  publish(topic: string, payload: Uint8Array | string, retain = false): Promise<void> {
    const c = this.client;
    if (!c) return Promise.reject(new Error('not connected to the broker'));
    return c.publishAsync(topic, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1, retain }).then(() => {});
  }

  ack(kiosk: string, ids: string[]): void {
    this.client?.publish(topics.ack(kiosk), JSON.stringify({ v: 1, ids, t: Date.now() }), { qos: 1 });
  }

  disconnect(id: string): boolean {
    if (!this.o.dynsec) return false;
    this.o.dynsec.revokeKiosk(id).catch((e: Error) => this.o.log(`broker: could not disable kiosk ${id} at the broker: ${e.message}`, 'error'));
    return true;
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
    await this.o.dynsec?.close();
  }
}

// The kiosk's link to the hub (mqtt.js). mqtt.js keeps its outgoing queue in memory and reconnects every
// second with no backoff, so neither is used: scans are sent from the journal on disk, a scan counts as
// delivered only when the hub's application-level ack says it is on the hub's disk, and reconnects use
// exponential backoff with jitter. Live scans go first; after an outage the backlog drains oldest first at a
// bounded rate. Lists and config arrive on retained topics and are applied only when their signatures verify.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { parseAck, parseClaimResult, parseKioskConfig, topics, type ClaimRequest, type KioskStatus, type ScanRecord } from '../../../protocol/src/index.js';
import type { Journal } from '../journal/journal.js';
import { Backoff } from './backoff.js';
import type { LinkState, UplinkEvents, UplinkPort } from './port.js';
import type { Log } from '../../../lib/log.js';

export interface UplinkOptions {
  url: string;
  /** more broker nodes (a cluster): each reconnect tries the next address in turn */
  urls?: string[];
  kioskId: string;
  username?: string;
  password?: string;
  ca?: string;
  backoffMinMs: number;
  backoffMaxMs: number;
  backlogPerSecond: number;
  batchMax: number;
  ackTimeoutMs: number;
  log: Log;
}

export type { LinkState, UplinkEvents } from './port.js';

const MAX_BATCHES_IN_FLIGHT = 8;

interface Batch { ids: string[]; sentAt: number; open: number }

export class Uplink extends EventEmitter<UplinkEvents> implements UplinkPort {
  private client: MqttClient | null = null;
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  /** scan id → the batch it went out in; a batch leaves when all its ids are acked or it times out */
  private readonly inFlight = new Map<string, Batch>();
  private batches = new Set<Batch>();
  /** scans written while online: they go before the backlog */
  private live: string[] = [];
  private tokens = 0;
  private lastRefill = Date.now();
  private stopped = false;
  state: LinkState = 'offline';
  sent = 0;
  private attempt = 0;
  /** the broker address of the current or last connection */
  url: string;
  /** a payout kiosk's programme list topic (watchProgramme) */
  private programmeTopic: string | null = null;

  constructor(private readonly opts: UplinkOptions, private readonly journal: Journal) {
    super();
    this.backoff = new Backoff(opts.backoffMinMs, opts.backoffMaxMs);
    this.url = opts.url;
  }

  start(lastWill: KioskStatus): void {
    this.stopped = false;
    this.connect(lastWill);
  }

  private setState(s: LinkState): void {
    if (s === this.state) return;
    this.state = s;
    this.emit('link', s);
  }

  private connect(lastWill: KioskStatus): void {
    this.setState('connecting');
    const servers = [this.opts.url, ...(this.opts.urls ?? [])];
    this.url = servers[this.attempt++ % servers.length];
    const client = mqtt.connect(this.url, {
      clientId: this.opts.kioskId,
      username: this.opts.username ?? this.opts.kioskId,
      password: this.opts.password,
      clean: false, // a persistent session: acks and config queued while we were away still arrive
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
      connectTimeout: 10_000,
      keepalive: 30,
      ca: this.opts.ca ? readFileSync(this.opts.ca) : undefined,
      will: { topic: topics.status(this.opts.kioskId), payload: Buffer.from(JSON.stringify(lastWill)), qos: 1, retain: true },
      queueQoSZero: false,
    });
    this.client = client;
    client.on('connect', () => {
      // TCP_NODELAY: a batch, the PUBACK of the previous ack and the next batch are small writes; Nagle would hold
      // each behind the hub's delayed ACK (tens of ms per batch, measured in npm run bench:hub)
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.backoff.reset();
      this.setState('online');
      this.opts.log(`uplink: connected to ${this.url}; ${this.journal.pending} scans waiting`);
      this.attempt--; // stay with the node that answered
      const me = this.opts.kioskId;
      client.subscribe({ [topics.ack(me)]: { qos: 1 }, [topics.config(me)]: { qos: 1 }, [topics.trust]: { qos: 1 }, [topics.statusList]: { qos: 1 }, [topics.statusDelta]: { qos: 1 }, [topics.rollout]: { qos: 1 } }, (err) => {
        if (err) this.opts.log(`uplink: subscribe refused: ${err.message}: check this kiosk's permissions on the hub`, 'error');
      });
      this.subscribePayout(client);
      this.clearInFlight();
      this.live = [];
      this.tokens = this.opts.backlogPerSecond;
      this.pump();
    });
    client.on('message', (topic, payload) => this.onMessage(topic, new Uint8Array(payload)));
    client.on('error', (e) => this.opts.log(`uplink: ${e.message}${/auth|password/i.test(e.message) ? ': check hub.username / hub.password (chot device add on the hub)' : ''}`, 'warn'));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('close');
      client.end(true);
      this.clearInFlight();
      this.setState('offline');
      if (this.stopped) return;
      const wait = this.backoff.next();
      this.opts.log(`uplink: link to ${this.url} lost; retrying in ${(wait / 1000).toFixed(1)} s; scans keep being journaled (${this.journal.pending} waiting)`, 'warn');
      this.reconnectTimer = setTimeout(() => { this.reconnectTimer = null; this.connect(lastWill); }, wait);
    });
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const me = this.opts.kioskId;
    if (topic === topics.ack(me)) {
      const a = parseAck(payload);
      if (!a.ok) { this.opts.log(`uplink: ignored a malformed ack: ${a.error}`, 'warn'); return; }
      const now = Date.now();
      let sentAt = now;
      for (const id of a.value.ids) {
        const b = this.inFlight.get(id);
        if (!b) continue;
        sentAt = Math.min(sentAt, b.sentAt);
        this.inFlight.delete(id);
        if (--b.open === 0) this.batches.delete(b);
      }
      const n = this.journal.ack(a.value.ids);
      this.emit('ack', n, a.value.t, now - sentAt);
      this.pump();
    } else if (topic === topics.config(me)) {
      if (!payload.length) return;
      const c = parseKioskConfig(payload);
      if (c.ok) this.emit('config', c.value); else this.opts.log(`uplink: ignored a config from the hub: ${c.error}`, 'warn');
    } else if (topic === topics.trust) {
      if (payload.length) this.emit('trust', payload);
    } else if (topic === topics.statusList) {
      if (payload.length) this.emit('statusList', payload);
    } else if (topic === topics.statusDelta) {
      if (payload.length) this.emit('statusDelta', payload);
    } else if (topic === topics.rollout) {
      if (payload.length) this.emit('rollout', payload);
    } else if (this.programmeTopic && topic === this.programmeTopic) {
      if (payload.length) this.emit('programme', payload);
    } else if (topic === topics.claimResult(me)) {
      const r = parseClaimResult(payload);
      if (r.ok) this.emit('claimResult', r.value); else this.opts.log(`uplink: ignored a malformed claim result: ${r.error}`, 'warn');
    }
  }

  private subscribePayout(client: MqttClient): void {
    if (!this.programmeTopic) return;
    client.subscribe({ [this.programmeTopic]: { qos: 1 }, [topics.claimResult(this.opts.kioskId)]: { qos: 1 } }, (err) => {
      if (err) this.opts.log(`uplink: subscribe to the programme list and claim results refused: ${err.message}: check this kiosk's permissions on the hub`, 'error');
    });
  }

  watchProgramme(programme: string, ward: string): void {
    this.programmeTopic = topics.programme(programme, ward);
    if (this.client && this.state === 'online') this.subscribePayout(this.client);
  }

  claim(req: ClaimRequest): boolean {
    const c = this.client;
    if (!c || this.state !== 'online') return false;
    c.publish(topics.claim(this.opts.kioskId), JSON.stringify(req), { qos: 1 });
    return true;
  }

  /** A scan was journaled: send it now if the link is up. */
  scanned(id: string): void {
    if (this.state !== 'online') return;
    this.live.push(id);
    this.pump();
  }

  private pump(): void {
    const client = this.client;
    if (!client || this.state !== 'online') return;
    const now = Date.now();
    // forget batches the hub never acknowledged: they go again (the hub ignores duplicates)
    for (const b of this.batches) {
      if (now - b.sentAt <= this.opts.ackTimeoutMs) continue;
      this.batches.delete(b);
      for (const id of b.ids) if (this.inFlight.get(id) === b) this.inFlight.delete(id);
    }
    this.tokens = Math.min(this.opts.backlogPerSecond, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.backlogPerSecond);
    this.lastRefill = now;
    while (this.batches.size < MAX_BATCHES_IN_FLIGHT) {
      let batch: ScanRecord[] = [];
      const liveIds = this.live.filter((id) => !this.inFlight.has(id) && this.journal.isPending(id));
      if (liveIds.length) {
        this.live = liveIds.slice(this.opts.batchMax);
        batch = this.journal.get(liveIds.slice(0, this.opts.batchMax));
      } else {
        this.live = [];
        const n = Math.min(this.opts.batchMax, Math.floor(this.tokens));
        if (n < 1) break;
        batch = this.journal.oldest(n, this.inFlight);
        this.tokens -= batch.length;
      }
      if (!batch.length) break;
      const b: Batch = { ids: batch.map((r) => r.id), sentAt: now, open: batch.length };
      this.batches.add(b);
      for (const id of b.ids) this.inFlight.set(id, b);
      this.sent += batch.length;
      client.publish(topics.scans(this.opts.kioskId), JSON.stringify({ v: 1, kiosk: this.opts.kioskId, scans: batch }), { qos: 1 });
    }
    // come back for the backlog, for ack timeouts, and as a safety net
    if (!this.pumpTimer && this.journal.pending > 0) {
      this.pumpTimer = setTimeout(() => { this.pumpTimer = null; this.pump(); }, 250);
    }
  }

  private clearInFlight(): void {
    this.inFlight.clear();
    this.batches.clear();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  publishStatus(status: KioskStatus): void {
    this.client?.publish(topics.status(this.opts.kioskId), JSON.stringify(status), { qos: 1, retain: true });
  }

  async stop(finalStatus?: KioskStatus): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const c = this.client;
    this.client = null;
    if (!c) return;
    if (finalStatus && c.connected) await new Promise<void>((r) => c.publish(topics.status(this.opts.kioskId), JSON.stringify(finalStatus), { qos: 1, retain: true }, () => r()));
    await new Promise<void>((r) => c.end(false, {}, () => r()));
    this.setState('offline');
  }
}

// The hub: one place builds every part (store, credentials, ingest, broker, web side) and starts them in order;
// stop() takes them down in reverse. The store is the truth; the broker, the ingest steps and the web side keep
// nothing that a restart would miss.
import { existsSync, readdirSync, readFileSync, statSync, watchFile, unwatchFile } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PROGRAMME_ID_RE, localDay, topics } from '../../protocol/src/index.js';
import { Releases } from './releases.js';
import type { HubConfig } from './config.js';
import { Credentials } from './credentials.js';
import { DeviceAdmin } from './devices.js';
import { HubBroker, type BrokerPort } from './broker.js';
import { ExternalBroker } from './external.js';
import { Dynsec } from './dynsec.js';
import { Ingest } from './ingest.js';
import { CloneWatch } from './clones.js';
import { Payouts } from './payouts.js';
import { movementFrom, officersFrom, reportFrom } from './figures.js';
import { HubHttp, fleetOf, type HubView } from './http/server.js';
import { openStore, type HubProcessRow, type HubStore, type KioskStatusRow } from './store/port.js';
import { importFileStore } from './store/import-files.js';

export type Log = (line: string, level?: 'info' | 'warn' | 'error') => void;

export function storeConfig(config: HubConfig) {
  return { kind: config.store.kind, path: config.store.path ?? join(config.dataDir, 'hub.db'), url: config.store.url, timeZone: config.timeZone };
}

export class Hub {
  http: HubHttp | null = null;
  broker!: BrokerPort;
  ingest!: Ingest;
  clones!: CloneWatch;
  payouts!: Payouts;
  releases!: Releases;
  readonly credentials = new Credentials();
  admin: DeviceAdmin;
  /** hub processes alive now (external mode: every process sharing the store) */
  processes: HubProcessRow[] = [];
  private readonly startedAt = Date.now();
  private statusQueue: KioskStatusRow[] = [];
  private lastTotals = '';
  ports: { mqtt?: number; mqttTls?: number; http: number } = { http: 0 };
  /** bumped by every commit that stored something: the live feed compares it */
  version = 0;
  private registryVersion = -1;
  private timers: NodeJS.Timeout[] = [];

  private constructor(readonly config: HubConfig, readonly store: HubStore, private readonly log: Log) {
    this.admin = new DeviceAdmin(store);
  }

  static async start(config: HubConfig, log: Log): Promise<Hub> {
    const store = await openStore(storeConfig(config), log);
    const hub = new Hub(config, store, log);
    try {
      await hub.startParts();
    } catch (e) {
      await hub.stop().catch(() => {});
      throw e;
    }
    return hub;
  }

  private async startParts(): Promise<void> {
    const { config, store, log } = this;
    await importFileStore(config.dataDir, store, config.timeZone, log);
    await this.prune();
    await this.reloadRegistry();
    this.clones = new CloneWatch({
      store, maxKmh: config.clones.maxKmh, log,
      placeOf: (id) => { const d = this.credentials.device(id); return d?.location ? { site: d.site ?? d.id, ...d.location } : undefined; },
    });
    this.ingest = new Ingest({
      store, timeZone: config.timeZone, retentionDays: config.retentionDays, log,
      ack: (kiosk, ids) => this.broker.ack(kiosk, ids),
      stored: () => { this.version++; },
      committed: (scans) => void this.clones.check(scans),
    });
    this.payouts = new Payouts({
      store, log, wardOf: (id) => this.credentials.device(id)?.area,
      reply: (_kiosk, topic, body) => this.broker.publish(topic, body),
    });
    this.releases = new Releases(config.dataDir, store, log);
    if (config.mqtt.broker === 'external') {
      const m = config.mqtt;
      const password = readFileSync(m.passwordFile!, 'utf8').trim();
      const ca = m.ca ? readFileSync(m.ca) : undefined;
      const dynsec = m.dynsec ? await Dynsec.connect({ url: m.urls![0], username: m.username!, password, ca }) : undefined;
      if (dynsec) this.admin = new DeviceAdmin(store, dynsec);
      this.broker = new ExternalBroker(this.ingest, {
        urls: m.urls!, username: m.username!, password, ca, group: m.shareGroup, log, dynsec, payouts: this.payouts,
        status: (s) => { this.statusQueue.push({ kiosk: s.kiosk, status: JSON.stringify(s), seenAt: Date.now() }); },
      });
    } else {
      const embedded = await HubBroker.create(this.credentials, this.ingest, {
        host: config.mqtt.host, port: config.mqtt.port, plain: config.mqtt.plain ?? !config.mqtt.cert, log, ...config.limits, payouts: this.payouts,
        tls: config.mqtt.cert && config.mqtt.key ? { port: config.mqtt.tlsPort, cert: config.mqtt.cert, key: config.mqtt.key } : undefined,
      });
      // Configs are sent when a kiosk subscribes to its config topic, not retained: aedes' in-memory persistence tests
      // every retained message against every new subscription, and 10,000 retained configs made 10,000 kiosk
      // subscriptions cost 10^8 topic matches (bench:hub: 2,468 scans/s and a 66 s p99 at 10,000 connections).
      embedded.aedes.on('subscribe', (subs, client) => {
        if (client && subs.some((s) => s.topic === topics.config(client.id))) void this.sendConfig(client.id);
      });
      this.broker = embedded;
    }
    const ports = await this.broker.listen();
    if (this.broker instanceof ExternalBroker) {
      const ext = this.broker;
      // an external broker keeps retained messages properly: each kiosk's config waits for it there
      for (const d of this.credentials.allDevices()) await this.sendConfig(d.id);
      // statuses go to the store in batches, and come back from it: every hub process shows the whole fleet
      this.timers.push(setInterval(() => void this.syncStatuses(ext).catch((e: Error) => log(`hub: kiosk statuses: ${e.message}`, 'warn')), 2000));
      // live counters from the store, so that every process shows the same: one indexed read a second (polling
      // rather than LISTEN/NOTIFY, which would send a notification per commit, hundreds a second nationwide)
      this.timers.push(setInterval(() => void this.pollTotals().catch(() => {}), 1000));
    }
    await this.beat();
    this.timers.push(setInterval(() => void this.beat().catch((e: Error) => log(`hub: heartbeat: ${e.message}`, 'warn')), 5000));
    this.http = new HubHttp(this.view(), log);
    const httpPort = await this.http.listen(config.http.host, config.http.port);
    this.ports = { mqtt: ports.port, mqttTls: ports.tlsPort, http: httpPort };
    await this.publishLists();
    await this.publishProgrammes();
    // chot release rollout|pause|rollback write the signed rollout here: published retained as it changes
    const publishRollout = () => this.releases.poll((bytes) => this.broker.publish(topics.rollout, bytes, true));
    await publishRollout();
    this.timers.push(setInterval(() => void publishRollout().catch((e: Error) => log(`hub: rollout: ${e.message}`, 'warn')), 1000));
    this.timers.push(setInterval(() => void this.publishProgrammes().catch((e: Error) => log(`hub: programme lists: ${e.message}`, 'warn')), 3000));
    // chot device add / revoke / account add write the store, from any process: the registry version tells
    this.timers.push(setInterval(() => void this.reloadRegistry().catch((e: Error) => log(`hub: cannot read the devices from the store: ${e.message}`, 'warn')), 1000));
    this.timers.push(setInterval(() => void this.prune().catch((e: Error) => log(`hub: retention: ${e.message}`, 'warn')), 3_600_000));
    // chot status import / chot trust sign write new lists here: publish them as they land
    for (const f of this.listFiles()) {
      watchFile(f, { interval: 500 }, (cur, prev) => {
        // watchFile also fires for a file that does not exist yet: only a file that changed is news
        if (cur.mtimeMs === 0 || cur.mtimeMs === prev.mtimeMs) return;
        void this.publishLists().then(() => log(`hub: published the lists in ${join(config.dataDir, 'lists')}`));
      });
    }
    log(`hub: ready; store ${store.describe}; ${this.credentials.allDevices().length} devices, ${await store.scanCount()} scans kept`);
  }

  /** This process is alive; learns which others are (the fleet page). */
  private async beat(): Promise<void> {
    const id = this.broker instanceof ExternalBroker ? this.broker.processId : `${hostname()}-${process.pid}`;
    const now = Date.now();
    this.processes = await this.store.heartbeat({ id, info: `${this.broker.kind} broker, ${hostname()} pid ${process.pid}`, startedAt: this.startedAt, seenAt: now }, now - 20_000);
  }

  private async syncStatuses(ext: ExternalBroker): Promise<void> {
    const q = this.statusQueue;
    this.statusQueue = [];
    await this.store.putKioskStatuses(q);
    for (const r of await this.store.kioskStatuses()) {
      try { ext.noteStatus(JSON.parse(r.status), r.seenAt); } catch { /* a row we did not write: ignore */ }
    }
  }

  private async pollTotals(): Promise<void> {
    const t = JSON.stringify(await this.store.totals(localDay(Date.now(), this.config.timeZone), ['scans', 'green', 'red']));
    if (t !== this.lastTotals) { this.lastTotals = t; this.version++; }
  }

  /** Raw scans past the retention go; their days keep their figures. */
  private async prune(): Promise<void> {
    const cutoff = localDay(Date.now() - this.config.retentionDays * 86_400_000, this.config.timeZone);
    const n = await this.store.prune(cutoff);
    if (n) this.log(`hub: retention: deleted ${n} raw scans of days before ${cutoff} (their figures stay)`);
  }

  /** Reads devices and accounts again if the store's registry version moved (polled every second). */
  async reloadRegistry(): Promise<void> {
    const v = await this.store.registryVersion();
    if (v === this.registryVersion) return;
    const before = new Map(this.credentials.allDevices().map((d) => [d.id, d]));
    const accounts = await this.store.accounts();
    this.credentials.replace(await this.store.devices(), accounts);
    this.registryVersion = v;
    this.log(`hub: registry version ${v}: ${this.credentials.allDevices().length} devices, ${accounts.length} accounts`);
    if (!this.broker) return;
    for (const d of this.credentials.allDevices()) {
      const was = before.get(d.id);
      if (d.revokedAt && !was?.revokedAt && this.broker.disconnect(d.id)) this.log(`hub: device ${d.id} is revoked: disconnected`, 'warn');
      // a new secret (enrolment) or a changed area: the kiosk's session must start again with it
      else if (was && (was.secret !== d.secret || was.area !== d.area) && this.broker.disconnect(d.id)) this.log(`hub: device ${d.id} changed: reconnecting it`);
      if (!d.revokedAt && was?.area !== d.area) void this.sendConfig(d.id);
    }
  }

  /** What the web side may see and do: read-only views, and enrolment. */
  view(): HubView {
    return {
      config: this.config,
      mqttPorts: () => this.ports,
      version: () => this.version,
      report: async (from, to) => reportFrom(await this.store.counters(from, to), from, to, this.config.timeZone, (id) => this.credentials.device(id)?.area, (id) => this.broker.online.get(id)?.passage === true),
      totals: (day) => this.store.totals(day, ['scans', 'green', 'red']),
      health: (from, to) => this.store.healthFigures(from, to),
      officers: async (from, to) => officersFrom(await this.store.counters(from, to), from, to, this.config.timeZone, (id) => this.credentials.device(id)?.area),
      movement: async (from, to) => movementFrom(await this.store.counters(from, to), from, to, this.config.timeZone, (id) => this.credentials.device(id)?.area),
      fleet: () => fleetOf(this.credentials.allDevices(), this.broker, this.config.silentAfterSeconds),
      processes: () => this.processes,
      alerts: () => this.store.alerts(200),
      programmes: () => this.store.programmes(),
      payoutFigures: (id) => this.store.payoutFigures(id),
      decideAlert: (id, status, by) => this.store.decideAlert(id, status, by),
      store: () => ({ up: this.ingest.available, describe: this.store.describe, error: this.ingest.lastError }),
      check: (name, secret) => this.credentials.check(name, secret),
      device: (id) => this.credentials.device(id),
      enrol: (token) => this.admin.enrol(token).then(async (r) => { await this.reloadRegistry(); return r; }),
      releases: () => this.releases.view(fleetOf(this.credentials.allDevices(), this.broker, this.config.silentAfterSeconds)),
      applyBrake: (name, by) => this.releases.applyBrake(name, by),
      stats: () => ({ broker: this.broker.stats, ingest: this.ingest.stats, scanCount: () => this.store.scanCount() }),
    };
  }

  listFiles(): string[] {
    return ['trust.cose', 'status.cose', 'status-delta.cose'].map((f) => join(this.config.dataDir, 'lists', f));
  }

  private programmeStamp = '';
  /** Publishes each support programme's signed ward lists (dataDir/lists/programme/ID/WARD.cose), retained, when they change. */
  async publishProgrammes(): Promise<void> {
    const root = join(this.config.dataDir, 'lists', 'programme');
    if (!existsSync(root)) return;
    const files: Array<{ id: string; ward: string; path: string; mtime: number }> = [];
    for (const id of readdirSync(root)) {
      if (!PROGRAMME_ID_RE.test(id)) continue;
      for (const f of readdirSync(join(root, id))) {
        const m = /^(\d{2})_(\d{1,5})\.cose$/.exec(f);
        if (m) files.push({ id, ward: `${m[1]}/${m[2]}`, path: join(root, id, f), mtime: statSync(join(root, id, f)).mtimeMs });
      }
    }
    const stamp = files.map((f) => `${f.path}@${f.mtime}`).sort().join('|');
    if (stamp === this.programmeStamp) return;
    this.programmeStamp = stamp;
    for (const f of files) await this.broker.publish(topics.programme(f.id, f.ward), new Uint8Array(readFileSync(f.path)), true);
    this.log(`hub: published ${files.length} ward lists of support programmes`);
  }

  /** Publishes the signed lists found in dataDir/lists, retained, for every kiosk that connects. */
  async publishLists(): Promise<void> {
    const dir = join(this.config.dataDir, 'lists');
    for (const [file, topic] of [['trust.cose', topics.trust], ['status.cose', topics.statusList], ['status-delta.cose', topics.statusDelta]] as const) {
      const p = join(dir, file);
      if (existsSync(p)) await this.broker.publish(topic, new Uint8Array(readFileSync(p)), true);
    }
  }

  /** Sends a kiosk its config (QoS 1: a kiosk with a persistent session that is away gets it on return). */
  async sendConfig(id: string): Promise<void> {
    const d = this.credentials.device(id);
    if (!d || d.revokedAt) return;
    await this.broker.publish(topics.config(d.id), JSON.stringify({ v: 1, checkpoint: d.id, area: d.area, timeZone: this.config.timeZone }), this.broker.kind === 'external');
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const f of this.listFiles()) unwatchFile(f);
    await this.http?.close();
    if (this.statusQueue.length) await this.store.putKioskStatuses(this.statusQueue).catch(() => {});
    if (this.broker) await this.broker.close();
    this.ingest?.stop();
    await this.store.close();
  }
}

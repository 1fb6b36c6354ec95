// The hub: one process that embeds the MQTT broker, stores every kiosk's scans exactly once, feeds the kiosks
// their lists and configs, and (hub/README.md) keeps the figures and serves the dashboard.
import { existsSync, readFileSync, watchFile, unwatchFile } from 'node:fs';
import { join } from 'node:path';
import { topics } from '../../protocol/src/index.js';
import type { HubConfig } from './config.js';
import { DeviceRegistry } from './devices.js';
import { HubBroker } from './broker.js';
import { ScanStore } from './store/scans.js';
import { Figures } from './figures.js';
import { LowdbFiguresStorage } from './store/figures-lowdb.js';
import { HubHttp } from './http/server.js';

export class Hub {
  private constructor(readonly config: HubConfig, readonly devices: DeviceRegistry, readonly scans: ScanStore, readonly broker: HubBroker, readonly figures: Figures, private readonly log: (l: string) => void) {}

  http: HubHttp | null = null;
  mqttPort = 0;

  static async start(config: HubConfig, log: (l: string) => void): Promise<Hub & { ports: { mqtt: number; mqttTls?: number; http: number } }> {
    const devices = new DeviceRegistry(join(config.dataDir, 'devices.json'));
    const scans = new ScanStore(join(config.dataDir, 'scans'), { timeZone: config.timeZone, retentionDays: config.retentionDays, log });
    const figures = new Figures(config.timeZone, new LowdbFiguresStorage(join(config.dataDir, 'figures.json')), (id) => devices.get(id)?.area);
    await figures.load();
    // the raw files are the truth: the days they cover are counted again from them, each scan once. Files past
    // the retention go first, so their days keep the figures saved with lowdb rather than losing them.
    scans.prune(Date.now());
    figures.recountFrom(scans);
    await figures.flush();
    scans.on('stored', (s) => { figures.add(s.k, s); figures.scheduleSave(); });
    const broker = await HubBroker.create(devices, scans, {
      host: config.mqtt.host, port: config.mqtt.port, log,
      tls: config.mqtt.cert && config.mqtt.key ? { port: config.mqtt.tlsPort, cert: config.mqtt.cert, key: config.mqtt.key } : undefined,
    });
    const hub = new Hub(config, devices, scans, broker, figures, log);
    // Configs are sent when a kiosk subscribes to its config topic, not retained: aedes' in-memory persistence tests
    // every retained message against every new subscription, and 10,000 retained configs made 10,000 kiosk
    // subscriptions cost 10^8 topic matches (bench:hub: 2,468 scans/s and a 66 s p99 at 10,000 connections).
    broker.aedes.on('subscribe', (subs, client) => {
      if (client && subs.some((s) => s.topic === topics.config(client.id))) void hub.sendConfig(client.id);
    });
    const ports = await broker.listen();
    hub.mqttPort = ports.port;
    hub.http = new HubHttp(hub, log);
    const httpPort = await hub.http.listen(config.http.host, config.http.port);
    await hub.publishLists();
    await hub.publishConfigs();
    // chot device add / revoke write the registry; a revoked kiosk is cut off within a second
    watchFile(devices.path, { interval: 500 }, () => void hub.reloadDevices());
    // chot status import / chot trust sign write new lists here: publish them as they land
    for (const f of hub.listFiles()) {
      watchFile(f, { interval: 500 }, (cur, prev) => {
        // watchFile also fires for a file that does not exist yet: only a file that changed is news
        if (cur.mtimeMs === 0 || cur.mtimeMs === prev.mtimeMs) return;
        void hub.publishLists().then(() => log(`hub: published the lists in ${join(config.dataDir, 'lists')}`));
      });
    }
    log(`hub: ready; ${devices.devices.length} devices, ${scans.stored} scans kept`);
    return Object.assign(hub, { ports: { mqtt: ports.port, mqttTls: ports.tlsPort, http: httpPort } });
  }

  private async reloadDevices(): Promise<void> {
    try { this.devices.reload(); } catch (e) { this.log(`hub: cannot reload ${this.devices.path}: ${(e as Error).message}`); return; }
    for (const d of this.devices.devices) {
      if (d.revokedAt && this.broker.disconnect(d.id)) this.log(`hub: device ${d.id} is revoked: disconnected`);
    }
    await this.publishConfigs();
  }

  listFiles(): string[] {
    return ['trust.cose', 'status.cose', 'status-delta.cose'].map((f) => join(this.config.dataDir, 'lists', f));
  }

  /** Publishes the signed lists found in dataDir/lists, retained, for every kiosk that connects. */
  async publishLists(): Promise<void> {
    const dir = join(this.config.dataDir, 'lists');
    for (const [file, topic] of [['trust.cose', topics.trust], ['status.cose', topics.statusList], ['status-delta.cose', topics.statusDelta]] as const) {
      const p = join(dir, file);
      if (existsSync(p)) await this.broker.publishRetained(topic, new Uint8Array(readFileSync(p)));
    }
  }

  /** Sends a kiosk its config (QoS 1: a kiosk with a persistent session that is away gets it on return). */
  async sendConfig(id: string): Promise<void> {
    const d = this.devices.get(id);
    if (!d || d.revokedAt) return;
    await this.broker.publish(topics.config(d.id), JSON.stringify({ v: 1, checkpoint: d.id, area: d.area, timeZone: this.config.timeZone }));
  }

  async publishConfigs(): Promise<void> {
    for (const d of this.devices.devices) await this.sendConfig(d.id);
  }

  async stop(): Promise<void> {
    unwatchFile(this.devices.path);
    for (const f of this.listFiles()) unwatchFile(f);
    await this.http?.close();
    await this.broker.close();
    this.scans.close();
    await this.figures.flush();
  }
}

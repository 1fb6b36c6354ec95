// Mosquitto's dynamic-security plugin (shipped in Debian's mosquitto package), kept in step with chot's devices:
// each kiosk is a broker client with its own password and a role of its own that lets it publish only its scans
// and status and read only its ack, its config and the broadcast lists. A revoked kiosk is disabled, which also
// disconnects it. The plugin stores its own password hash: the kiosk's secret is handed over when it is made
// (chot device add, enrolment), the one moment chot has it in clear.
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { topics } from '../../protocol/src/index.js';

const CONTROL = '$CONTROL/dynamic-security/v1';

export interface DynsecOptions {
  url: string;
  username: string;
  password: string;
  ca?: Buffer;
}

interface Response { command: string; error?: string; correlationData?: string; data?: unknown }

/** The broker ACLs of one kiosk (also what the EMQX authorisation endpoint answers). */
export function kioskAcls(id: string): Array<{ acltype: string; topic: string; allow: boolean; priority: number }> {
  return [
    { acltype: 'publishClientSend', topic: topics.scans(id), allow: true, priority: 0 },
    { acltype: 'publishClientSend', topic: topics.status(id), allow: true, priority: 0 },
    { acltype: 'publishClientSend', topic: topics.claim(id), allow: true, priority: 0 },
    { acltype: 'subscribeLiteral', topic: topics.claimResult(id), allow: true, priority: 0 },
    { acltype: 'subscribeLiteral', topic: topics.ack(id), allow: true, priority: 0 },
    { acltype: 'subscribeLiteral', topic: topics.config(id), allow: true, priority: 0 },
    ...[topics.trust, topics.statusList, topics.statusDelta, topics.rollout].map((t) => ({ acltype: 'subscribeLiteral', topic: t, allow: true, priority: 0 })),
    // a kiosk receives what it subscribed to: its own ack and config, and the lists
    { acltype: 'publishClientReceive', topic: `${topics.kioskPrefix}${id}/#`, allow: true, priority: 0 },
    { acltype: 'publishClientReceive', topic: `${topics.broadcastPrefix}#`, allow: true, priority: 0 },
  ];
}

export class Dynsec {
  private constructor(private readonly client: MqttClient) {}
  private readonly waiting = new Map<string, (r: Response) => void>();

  static async connect(o: DynsecOptions): Promise<Dynsec> {
    const client = await mqtt.connectAsync(o.url, { username: o.username, password: o.password, clientId: `chot-dynsec-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ca: o.ca });
    const d = new Dynsec(client);
    client.on('message', (_t, payload) => {
      let doc: { responses?: Response[] };
      try { doc = JSON.parse(payload.toString()); } catch { return; }
      for (const r of doc.responses ?? []) { const w = r.correlationData ? d.waiting.get(r.correlationData) : undefined; if (w) { d.waiting.delete(r.correlationData!); w(r); } }
    });
    await client.subscribeAsync(`${CONTROL}/response`, { qos: 1 });
    return d;
  }

  /** Sends one command and returns the plugin's answer; an error answer throws unless `tolerate` matches it. */
  async run(command: Record<string, unknown>, tolerate?: RegExp): Promise<Response> {
    const correlationData = randomBytes(8).toString('hex');
    const answer = new Promise<Response>((resolve, reject) => {
      const t = setTimeout(() => { this.waiting.delete(correlationData); reject(new Error(`the broker's dynamic-security plugin did not answer ${String(command.command)} within 5 s: is it loaded (plugin …mosquitto_dynamic_security.so) and is this user its admin?`)); }, 5000);
      this.waiting.set(correlationData, (r) => { clearTimeout(t); resolve(r); });
    });
    await this.client.publishAsync(CONTROL, JSON.stringify({ commands: [{ ...command, correlationData }] }), { qos: 1 });
    const r = await answer;
    if (r.error && !(tolerate && tolerate.test(r.error))) throw new Error(`dynamic-security ${String(command.command)}: ${r.error}`);
    return r;
  }

  /** Creates (or renews) a kiosk's broker client with this secret, its own role, enabled. */
  async putKiosk(id: string, secret: string): Promise<void> {
    const rolename = `chot-kiosk-${id}`;
    await this.run({ command: 'createRole', rolename, acls: kioskAcls(id) }, /exists/i);
    const created = await this.run({ command: 'createClient', username: id, password: secret, clientid: id, roles: [{ rolename, priority: 0 }] }, /exists/i);
    if (created.error) {
      await this.run({ command: 'setClientPassword', username: id, password: secret });
      await this.run({ command: 'addClientRole', username: id, rolename, priority: 0 }, /already|exists/i);
      await this.run({ command: 'enableClient', username: id });
    }
  }

  /** Disables a kiosk's broker client: it is disconnected now and refused from then on. */
  async revokeKiosk(id: string): Promise<void> {
    await this.run({ command: 'disableClient', username: id }, /not found/i);
  }

  async close(): Promise<void> { await this.client.endAsync(); }
}

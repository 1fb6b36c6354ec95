// Enrolment: a new kiosk redeems the one-time token from `chot device add` at the hub and gets its id, area, hub
// address and secret. The secret goes into a file only root and the kiosk can read; the config is rewritten
// durably, and checked before it is written, so a failed enrolment leaves the old one in place.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnrolText } from '../../protocol/src/index.js';
import { checkConfig } from './config.js';
import { writeDurable } from '../../lib/durable-file.js';

export class EnrolFailed extends Error {}

export async function enrol(configPath: string, text: string, hubWeb?: string): Promise<{ id: string; area: string; hub: string }> {
  const parsed = parseEnrolText(text) ?? (hubWeb && /^[A-Za-z0-9_-]{16,64}$/.test(text) ? { hubWeb: hubWeb.replace(/\/+$/, ''), token: text } : undefined);
  if (!parsed) throw new EnrolFailed(`${JSON.stringify(text.slice(0, 40))} is not an enrolment code: scan the QR from chot device add, or give --hub http://HUB:8090 and the token`);
  let res: Response;
  try {
    res = await fetch(`${parsed.hubWeb}/api/enrol`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: parsed.token }), signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new EnrolFailed(`cannot reach the hub at ${parsed.hubWeb} (${(e as Error).message}): check the network and the hub's http.host`);
  }
  const body = await res.json().catch(() => ({})) as { error?: string; kiosk?: { id: string; area: string; timeZone?: string }; hub?: { url: string }; password?: string };
  if (!res.ok || !body.kiosk || !body.hub || !body.password) throw new EnrolFailed(`the hub refused the enrolment: ${body.error ?? `HTTP ${res.status}`}`);
  const doc = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, Record<string, unknown>>;
  const secretPath = (doc.hub?.passwordFile as string | undefined) ?? join(dirname(configPath), 'kiosk.secret');
  doc.kiosk = { ...doc.kiosk, id: body.kiosk.id, area: body.kiosk.area, ...(body.kiosk.timeZone ? { timeZone: body.kiosk.timeZone } : {}) };
  doc.hub = { ...doc.hub, url: body.hub.url, passwordFile: secretPath };
  delete doc.hub.password;
  checkConfig(JSON.parse(JSON.stringify(doc)), configPath); // never write a config the kiosk would refuse
  writeDurable(secretPath, body.password, 0o600);
  writeDurable(configPath, JSON.stringify(doc, null, 2) + '\n', 0o644);
  return { id: body.kiosk.id, area: body.kiosk.area, hub: body.hub.url };
}

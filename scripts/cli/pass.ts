// chot pass issue: an issuer signs a pass and renders its QR.
import { createPublicKey } from 'node:crypto';
import QRCode from 'qrcode';
import { CATEGORIES, HEALTH_STATES, issuePass, parseWindow, type Category, type HealthState, type Pass, PassFormatError } from '../../protocol/src/index.js';
import { loadPrivateKey } from './lists.js';
import { parse, need, parseTime, validityFlags, id8Flag, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('pass', 'issue');

export async function pass(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'issue') throw new UsageError(`unknown pass command ${JSON.stringify(verb ?? '')}\n${USAGE}`);
  const { values } = parse(rest, {
    key: { type: 'string' }, issuer: { type: 'string' }, name: { type: 'string' }, 'id-last4': { type: 'string' },
    category: { type: 'string' }, area: { type: 'string', multiple: true }, hours: { type: 'string', multiple: true },
    plate: { type: 'string' }, 'valid-from': { type: 'string' }, 'valid-days': { type: 'string' }, 'valid-until': { type: 'string' },
    health: { type: 'string', default: 'none' }, declared: { type: 'string' }, id: { type: 'string' }, token: { type: 'string' },
    png: { type: 'string' }, 'issued-at': { type: 'string' },
  }, USAGE);
  const key = loadPrivateKey(need(values.key, '--key', USAGE));
  const { issuedAt, validFrom, validUntil } = validityFlags(values, 14, 366);
  const category = need(values.category, '--category', USAGE);
  if (!CATEGORIES.includes(category as Category)) throw new UsageError(`--category ${JSON.stringify(category)} is not one of ${CATEGORIES.join(', ')}`);
  if (!HEALTH_STATES.includes(values.health as HealthState)) throw new UsageError(`--health ${JSON.stringify(values.health)} is not one of ${HEALTH_STATES.join(', ')}`);
  let hours: Array<[number, number]>;
  try { hours = (values.hours ?? []).map(parseWindow); } catch (e) { throw new UsageError(`--hours: ${(e as Error).message}`); }
  const p: Pass = {
    id: id8Flag(values.id, '--id'), issuer: need(values.issuer, '--issuer', USAGE),
    issuedAt, validFrom, validUntil,
    holderName: need(values.name, '--name', USAGE).normalize('NFC'), idLast4: need(values['id-last4'], '--id-last4', USAGE),
    holderToken: id8Flag(values.token, '--token'), category: category as Category,
    areas: need(values.area, '--area', USAGE), hours, plate: values.plate?.toUpperCase().replace(/\s+/g, ''),
    health: values.health as HealthState,
    declaredAt: values.declared ? Math.floor(parseTime(values.declared, '--declared') / 1000) : issuedAt,
  };
  let text: string;
  try { text = issuePass(p, key); } catch (e) {
    if (e instanceof PassFormatError) throw new UsageError(e.message);
    throw e;
  }
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  if (values.png) await QRCode.toFile(values.png, text, { errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  console.log(text);
  console.error(JSON.stringify({
    passId: Buffer.from(p.id).toString('hex'), holderToken: Buffer.from(p.holderToken).toString('hex'),
    chars: text.length, qrVersion: qr.version, png: values.png ?? null, alg: createPublicKey(key).asymmetricKeyType,
  }));
  return 0;
}

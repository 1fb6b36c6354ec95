// chot pass issue: an issuer signs a pass and renders its QR.
import { randomBytes, createPublicKey } from 'node:crypto';
import QRCode from 'qrcode';
import { CATEGORIES, HEALTH_STATES, fromHex, issuePass, parseWindow, type Category, type HealthState, type Pass, PassFormatError } from '../../protocol/src/index.js';
import { loadPrivateKey } from './lists.js';
import { parse, need, parseTime, UsageError } from './usage.js';
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
  const now = values['issued-at'] ? parseTime(values['issued-at'], '--issued-at') : Date.now();
  const validFrom = Math.floor((values['valid-from'] ? parseTime(values['valid-from'], '--valid-from') : now) / 1000);
  let validUntil: number;
  if (values['valid-until']) validUntil = Math.floor(parseTime(values['valid-until'], '--valid-until') / 1000);
  else {
    const days = Number(values['valid-days'] ?? '14');
    if (!(days > 0 && days <= 366)) throw new UsageError(`--valid-days ${JSON.stringify(values['valid-days'])} must be 1–366`);
    validUntil = validFrom + Math.round(days * 86400);
  }
  const category = need(values.category, '--category', USAGE);
  if (!CATEGORIES.includes(category as Category)) throw new UsageError(`--category ${JSON.stringify(category)} is not one of ${CATEGORIES.join(', ')}`);
  if (!HEALTH_STATES.includes(values.health as HealthState)) throw new UsageError(`--health ${JSON.stringify(values.health)} is not one of ${HEALTH_STATES.join(', ')}`);
  let hours: Array<[number, number]>;
  try { hours = (values.hours ?? []).map(parseWindow); } catch (e) { throw new UsageError(`--hours: ${(e as Error).message}`); }
  const id16 = (v: string | undefined, flag: string): Uint8Array => {
    if (v === undefined) return new Uint8Array(randomBytes(8));
    if (!/^[0-9a-f]{16}$/i.test(v)) throw new UsageError(`${flag} ${JSON.stringify(v)} must be 16 hex digits`);
    return fromHex(v);
  };
  const p: Pass = {
    id: id16(values.id, '--id'), issuer: need(values.issuer, '--issuer', USAGE),
    issuedAt: Math.floor(now / 1000), validFrom, validUntil,
    holderName: need(values.name, '--name', USAGE).normalize('NFC'), idLast4: need(values['id-last4'], '--id-last4', USAGE),
    holderToken: id16(values.token, '--token'), category: category as Category,
    areas: need(values.area, '--area', USAGE), hours, plate: values.plate?.toUpperCase().replace(/\s+/g, ''),
    health: values.health as HealthState,
    declaredAt: Math.floor((values.declared ? parseTime(values.declared, '--declared') : now) / 1000),
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

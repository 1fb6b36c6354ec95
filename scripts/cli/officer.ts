// chot officer issue: an issuer signs an officer's card (VNO1:) and renders its QR. The officer scans it at the
// booth to go on duty; the kiosk verifies it offline like a pass (protocol/src/officer.ts).
import QRCode from 'qrcode';
import { OfficerFormatError, issueOfficer, type Officer } from '../../protocol/src/index.js';
import { loadPrivateKey } from './lists.js';
import { parse, need, validityFlags, id8Flag, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('officer', 'issue');

export async function officer(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'issue') throw new UsageError(`unknown officer command ${JSON.stringify(verb ?? '')}\n${usageOf('officer')}`);
  const { values, positionals } = parse(rest, {
    key: { type: 'string' }, issuer: { type: 'string' }, code: { type: 'string' }, name: { type: 'string' },
    area: { type: 'string', multiple: true }, 'issued-at': { type: 'string' }, 'valid-from': { type: 'string' },
    'valid-days': { type: 'string' }, 'valid-until': { type: 'string' }, id: { type: 'string' }, png: { type: 'string' },
  }, USAGE);
  if (positionals.length) throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}\n${USAGE}`);
  const key = loadPrivateKey(need(values.key, '--key', USAGE));
  // a card lasts longer than a pass: an officer's posting, not a journey
  const { issuedAt, validFrom, validUntil } = validityFlags(values, 180, 731);
  const o: Officer = {
    id: id8Flag(values.id, '--id'), code: need(values.code, '--code', USAGE), name: need(values.name, '--name', USAGE).normalize('NFC'),
    issuer: need(values.issuer, '--issuer', USAGE), issuedAt, validFrom, validUntil,
    areas: need(values.area, '--area', USAGE),
  };
  let text: string;
  try { text = issueOfficer(o, key); } catch (e) {
    if (e instanceof OfficerFormatError) throw new UsageError(e.message);
    throw e;
  }
  if (values.png) await QRCode.toFile(values.png, text, { errorCorrectionLevel: 'M', margin: 4, scale: 8 });
  console.log(text);
  // the card id is what a status list revokes (revokedPasses) when the card is lost or the officer leaves
  console.error(JSON.stringify({ cardId: Buffer.from(o.id).toString('hex'), code: o.code, validUntil: new Date(validUntil * 1000).toISOString(), chars: text.length, png: values.png ?? null }));
  return 0;
}

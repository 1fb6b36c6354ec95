// chot verify: the kiosk's decision, on the command line. Exit 0 green, 1 red, 2 usage.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  OFFICER_PREFIX, verifyOfficer, emptyStatusList, isArea, isTimeZone, openStatusList, openTrustList, verifyQr, dscEntry, parseDccRules, CATEGORIES,
  type Category, type StatusList, type TrustList, type TrustEntry, type DccRules, ListError,
} from '../../protocol/src/index.js';
import { loadPublicKey } from './lists.js';
import { parse, parseTime, readBytes, readText, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('verify');

export function verify(args: string[]): number {
  const { values, positionals } = parse(args, {
    trust: { type: 'string' }, status: { type: 'string' }, root: { type: 'string' }, at: { type: 'string' },
    checkpoint: { type: 'string', default: 'VN' }, tz: { type: 'string', default: 'Asia/Ho_Chi_Minh' },
    skew: { type: 'string', default: '300' }, 'max-declaration-age': { type: 'string' }, accept: { type: 'string', multiple: true },
    'dcc-cert': { type: 'string', multiple: true }, 'dcc-rules': { type: 'string' },
  }, USAGE);
  if (positionals.length !== 1) throw new UsageError(`expected one PAYLOAD (or - for stdin), got ${positionals.length}\n${USAGE}`);
  const text = positionals[0] === '-' ? readFileSync(0, 'utf8').replace(/[\r\n]+$/, '') : positionals[0];
  const checkpoint = values.checkpoint!;
  if (!isArea(checkpoint)) throw new UsageError(`--checkpoint ${JSON.stringify(checkpoint)} is not an area code ("79", "79/26734" or "VN")`);
  if (!isTimeZone(values.tz!)) throw new UsageError(`--tz ${JSON.stringify(values.tz)} is not a time zone`);
  const skew = Number(values.skew);
  if (!(skew >= 0 && skew <= 86400)) throw new UsageError(`--skew ${JSON.stringify(values.skew)} must be 0–86400 seconds`);
  const maxAge = values['max-declaration-age'] === undefined ? undefined : Number(values['max-declaration-age']);
  if (maxAge !== undefined && !(maxAge > 0)) throw new UsageError(`--max-declaration-age ${JSON.stringify(values['max-declaration-age'])} must be a positive number of hours`);
  for (const c of values.accept ?? []) if (!CATEGORIES.includes(c as Category)) throw new UsageError(`--accept ${JSON.stringify(c)} is not one of ${CATEGORIES.join(', ')}`);

  const { trust, status } = loadLists(values.trust, values.status, values.root);
  const now = values.at ? parseTime(values.at, '--at') : Date.now();
  const extraDsc = (values['dcc-cert'] ?? []).map(loadDsc);
  const dccRules = values['dcc-rules'] === undefined ? undefined : values['dcc-rules'] === 'none' ? null : loadRules(values['dcc-rules']);
  if (text.startsWith(OFFICER_PREFIX)) {
    // an officer's card, checked as the booth checks it at sign-in
    const o = verifyOfficer(text, { trust, status, now, skewSeconds: skew, checkpoint: { area: checkpoint } });
    console.log(JSON.stringify(o.ok ? { kind: 'officer', verdict: 'green', officer: o.officer } : { kind: 'officer', verdict: 'red', reason: o.reason, message: o.message, detail: o.detail }));
    return o.ok ? 0 : 1;
  }
  const v = verifyQr(text, {
    trust, status, now, skewSeconds: skew, extraDsc, dccRules,
    checkpoint: { area: checkpoint, timeZone: values.tz, maxDeclarationAgeHours: maxAge, acceptedCategories: values.accept as Category[] | undefined },
  });
  console.log(JSON.stringify(v));
  return v.verdict === 'green' ? 0 : 1;
}

export function loadLists(trustPath?: string, statusPath?: string, rootPath?: string): { trust: TrustList; status: StatusList } {
  let trust: TrustList = { version: 0, issuedAt: 0, entries: [], byKid: new Map() };
  let status = emptyStatusList();
  if (!trustPath && !statusPath) return { trust, status };
  const root = rootPath ?? join(dirname(trustPath ?? statusPath!), 'root.pub.pem');
  if (!existsSync(root)) throw new UsageError(`no root public key: pass --root FILE or put root.pub.pem beside the lists`);
  const rootKey = loadPublicKey(root);
  try {
    if (trustPath) trust = openTrustList(readBytes(trustPath, 'trust list'), rootKey);
    if (statusPath) status = openStatusList(readBytes(statusPath, 'status list'), rootKey);
  } catch (e) {
    if (e instanceof ListError) throw new UsageError(e.message);
    throw e;
  }
  return { trust, status };
}

/** A DSC given as base64 DER on the command line, or as a file (DER or PEM). */
function loadDsc(arg: string): TrustEntry {
  let der: Uint8Array;
  if (existsSync(arg)) {
    const raw = readBytes(arg, 'DSC certificate');
    const pem = Buffer.from(raw).toString('latin1');
    der = pem.includes('-----BEGIN') ? new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')) : raw;
  } else if (/^[A-Za-z0-9+/=\s]+$/.test(arg)) {
    der = new Uint8Array(Buffer.from(arg, 'base64'));
  } else {
    throw new UsageError(`--dcc-cert ${JSON.stringify(arg.slice(0, 40))} is neither a file nor base64`);
  }
  try {
    return dscEntry(der);
  } catch (e) {
    throw new UsageError(`--dcc-cert ${JSON.stringify(arg.slice(0, 40))} is not an X.509 certificate: ${(e as Error).message}`);
  }
}

function loadRules(path: string): DccRules {
  try {
    return parseDccRules(JSON.parse(readText(path, 'DCC rules')));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
}

// The EU DCC JSON schema, versions 1.0.0 to 1.3.3, restated here rule by rule from the published schema
// (ehn-dcc-development/eu-dcc-schema) and checked with ajv. dcc.ts keeps strict only what the verdict rests on;
// everything else this finds is a warning on the verdict, so a certificate a country really issues is never red
// for a field the checkpoint does not read.
//
// What changed between versions (only the rules that decide validity; descriptions and value-set links aside):
// - 1.0.x: dob is a full date (format date, pattern (19|20)dd-dd-dd, unanchored); dn/sd 1–9; names, issuer,
//   UVCI and testing centre at most 50 characters; a test needs tc; dr (result time) is a date-time.
// - 1.1.0: dob may be a year or a year and month (^(19|20)dd(-dd){0,2}$), no longer format date.
// - 1.2.x: dr is gone from the test entry.
// - 1.3.0: exactly one of v/t/r, each holding exactly one entry; dob may be empty; dn/sd have no maximum; 80
//   characters instead of 50; tc is optional; nm at most 80 characters.
// - 1.3.2: nam needs fnt or gnt (was: fnt). 1.3.1 and 1.3.3 change nothing a validator sees.
// No version allows null for v, t or r, and none forbids other keys.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

type Family = '1.0' | '1.1' | '1.2' | '1.3.0' | '1.3.2';
const LABEL: Record<Family, string> = { '1.0': '1.0.x', '1.1': '1.1.x', '1.2': '1.2.x', '1.3.0': '1.3.0–1.3.1', '1.3.2': '1.3.2–1.3.3' };
const LATEST: Family = '1.3.2';

/** Which rules apply to a certificate's `ver`; unknown or missing versions are checked against the latest. */
export function schemaFamily(ver: unknown): { family: Family; label: string; note?: string } {
  const m = typeof ver === 'string' ? /^(\d+)\.(\d+)\.(\d+)$/.exec(ver) : null;
  const [maj, min, patch] = m ? m.slice(1).map(Number) : [];
  const family: Family | undefined = maj !== 1 ? undefined
    : min === 0 ? '1.0' : min === 1 ? '1.1' : min === 2 ? '1.2' : min === 3 ? (patch < 2 ? '1.3.0' : '1.3.2') : undefined;
  if (family) return { family, label: LABEL[family] };
  return { family: LATEST, label: LABEL[LATEST], note: `schema version ${JSON.stringify(ver)} is not one chot knows (1.0.0–1.3.3): checked against ${LABEL[LATEST]}` };
}

function schemaOf(f: Family): object {
  const v13 = f === '1.3.0' || f === '1.3.2';
  const max = v13 ? 80 : 50;
  const text = (maxLength?: number) => (maxLength ? { type: 'string', maxLength } : { type: 'string' });
  const date = { type: 'string', format: 'date' };
  const dateTime = { type: 'string', format: 'date-time' };
  const country = { type: 'string', pattern: '[A-Z]{1,10}' };
  const dose = v13 ? { type: 'integer', minimum: 1 } : { type: 'integer', minimum: 1, maximum: 9 };
  const transliterated = { type: 'string', pattern: '^[A-Z<]*$', maxLength: max };
  const group = (entry: object) => ({ type: 'array', minItems: 1, ...(v13 ? { maxItems: 1 } : {}), items: entry });
  const common = { tg: text(), co: country, is: text(max), ci: text(max) };
  const vaccination = {
    type: 'object', required: ['tg', 'vp', 'mp', 'ma', 'dn', 'sd', 'dt', 'co', 'is', 'ci'],
    properties: { ...common, vp: text(), mp: text(), ma: text(), dn: dose, sd: dose, dt: date },
  };
  const test = {
    type: 'object', required: ['tg', 'tt', 'sc', 'tr', ...(v13 ? [] : ['tc']), 'co', 'is', 'ci'],
    properties: { ...common, tt: text(), nm: text(v13 ? 80 : undefined), ma: text(), sc: dateTime, ...(f === '1.0' || f === '1.1' ? { dr: dateTime } : {}), tr: text(), tc: text(max) },
  };
  const recovery = { type: 'object', required: ['tg', 'fr', 'co', 'is', 'df', 'du', 'ci'], properties: { ...common, fr: date, df: date, du: date } };
  const dob = f === '1.0' ? { type: 'string', format: 'date', pattern: '(19|20)\\d{2}-\\d{2}-\\d{2}' }
    : { type: 'string', pattern: v13 ? '^((19|20)\\d\\d(-\\d\\d){0,2})?$' : '^(19|20)\\d\\d(-\\d\\d){0,2}$' };
  const nam = {
    type: 'object', properties: { fn: text(max), fnt: transliterated, gn: text(max), gnt: transliterated },
    ...(f === '1.3.2' ? { anyOf: [{ required: ['fnt'] }, { required: ['gnt'] }] } : { required: ['fnt'] }),
  };
  return {
    type: 'object', required: ['ver', 'nam', 'dob'],
    // 1.3 says this as oneOf [ver+nam+dob+v, …+t, …+r]: the same as the three required plus exactly one group
    ...(v13 ? { oneOf: [{ required: ['v'] }, { required: ['t'] }, { required: ['r'] }] } : {}),
    properties: { ver: { type: 'string', pattern: '^\\d+.\\d+.\\d+$' }, nam, dob, v: group(vaccination), t: group(test), r: group(recovery) },
  };
}

// RFC 3339 full-date and date-time, as JSON Schema's formats are defined
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= (mo === 2 && !leap ? 28 : DAYS[mo - 1]);
}
function isDateTime(s: string): boolean {
  const m = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-](\d\d):(\d\d))$/.exec(s);
  return !!m && isDate(m[1]) && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) <= 60 && (m[7] === undefined || (Number(m[7]) < 24 && Number(m[8]) < 60));
}

let ajv: Ajv | undefined;
const compiled = new Map<Family, ValidateFunction>();
function validator(f: Family): ValidateFunction {
  let v = compiled.get(f);
  if (!v) {
    // compiled on first use: a kiosk that never sees a DCC never pays for it
    ajv ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).addFormat('date', isDate).addFormat('date-time', isDateTime);
    v = ajv.compile(schemaOf(f));
    compiled.set(f, v);
  }
  return v;
}

/**
 * Compiles every version's rules now (tens of ms each on a laptop) so the first EU DCC a kiosk scans does not
 * wait for it; optional, the rules are otherwise compiled on first use.
 */
export function prepareDccSchemas(): void {
  for (const f of Object.keys(LABEL) as Family[]) validator(f);
}

const MAX_WARNINGS = 8;

/**
 * Every way `cert` departs from the DCC schema of its version, one line each (at most 8, then a count).
 * Values are quoted except personal ones (names, date of birth, the certificate identifier).
 */
export function schemaWarnings(cert: Record<string, unknown>): string[] {
  const { family, label, note } = schemaFamily(cert.ver);
  const validate = validator(family);
  const out: string[] = note ? [note] : [];
  if (!validate(cert)) {
    for (const e of validate.errors ?? []) {
      if (e.schemaPath.includes('/oneOf/') || e.schemaPath.includes('/anyOf/')) continue; // the branch's own errors; the oneOf/anyOf line says it
      const line = describe(e, cert, label);
      if (!out.includes(line)) out.push(line);
    }
  }
  return out.length > MAX_WARNINGS ? [...out.slice(0, MAX_WARNINGS), `and ${out.length - MAX_WARNINGS} more deviations from schema ${label}`] : out;
}

function describe(e: ErrorObject, cert: Record<string, unknown>, label: string): string {
  const keys = e.instancePath.split('/').slice(1);
  const where = keys.reduce((s, k) => (/^\d+$/.test(k) ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
  const value = keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cert);
  const at = `(schema ${label})`;
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return `${where ? `${where}.` : ''}${missing} is missing ${at}`;
  }
  if (e.keyword === 'oneOf') {
    const held = ['v', 't', 'r'].filter((k) => cert[k] !== undefined);
    return `holds ${held.join(' and ')}; only one of v, t, r may be present, even when null or empty ${at}`;
  }
  if (e.keyword === 'anyOf' && where === 'nam') return `nam has neither fnt nor gnt ${at}`;
  if (e.keyword === 'maxItems' || e.keyword === 'minItems') return `${where} holds ${Array.isArray(value) ? value.length : 0} entries, ${e.message} ${at}`;
  const personal = /^nam\b|^dob$|\.ci$/.test(where);
  const shown = personal ? '' : `, got ${JSON.stringify(value)?.slice(0, 40)}`;
  return `${where || 'the certificate'} ${e.message}${shown} ${at}`;
}

// MQTT topics and message bodies between kiosks and the hub, defined once, versioned, validated on receipt.
// JSON Schemas checked with Ajv (pure: no I/O). A body that fails validation is refused with the path of the
// first bad field, never half-used.
import { Ajv, type ValidateFunction } from 'ajv';

export const PROTOCOL_VERSION = 1;

/** An enrolment QR: `CHOTENROL1:<hub web address>#<one-time token>` (chot device add --qr). */
export const ENROL_PREFIX = 'CHOTENROL1:';

export function parseEnrolText(text: string): { hubWeb: string; token: string } | undefined {
  if (!text.startsWith(ENROL_PREFIX)) return undefined;
  // no credentials (@), query or control characters in the address: it is compared with the kiosk's pinned hub
  const m = /^(https?:\/\/[^#\s@?\x00-\x1f\x7f]{1,200})#([A-Za-z0-9_-]{16,64})$/.exec(text.slice(ENROL_PREFIX.length));
  return m ? { hubWeb: m[1].replace(/\/+$/, ''), token: m[2] } : undefined;
}
const ROOT = 'chot/v1';

/** Kiosk ids are also MQTT usernames and topic levels: no wildcards, no slashes. */
export const KIOSK_ID_RE = /^[a-z0-9][a-z0-9-]{0,47}$/;

export const topics = {
  scans: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/scans`,
  ack: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/ack`,
  status: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/status`,
  config: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/config`,
  /** A payout kiosk claims a payment here; the hub answers on claim-result. */
  claim: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/claim`,
  claimResult: (kiosk: string) => `${ROOT}/kiosk/${kiosk}/claim-result`,
  /** A support programme's signed list for one ward (retained): a payout kiosk takes its own ward's. */
  programme: (id: string, ward: string) => `${ROOT}/broadcast/programme/${id}/${ward}`,
  /** Signed trust list (COSE bytes), retained. */
  trust: `${ROOT}/broadcast/trust`,
  /** Signed full status list (COSE bytes), retained. */
  statusList: `${ROOT}/broadcast/status`,
  /** Signed status deltas (COSE bytes), the latest retained; a kiosk that missed one takes the full list. */
  statusDelta: `${ROOT}/broadcast/status-delta`,
  /** The signed rollout of a software release (release.ts), retained: every kiosk learns of it on connecting. */
  rollout: `${ROOT}/broadcast/rollout`,
  kioskPrefix: `${ROOT}/kiosk/`,
  broadcastPrefix: `${ROOT}/broadcast/`,
} as const;

export type KioskTopicKind = 'scans' | 'ack' | 'status' | 'config' | 'claim' | 'claim-result';

export function parseKioskTopic(topic: string): { kiosk: string; kind: KioskTopicKind } | undefined {
  if (!topic.startsWith(topics.kioskPrefix)) return undefined;
  const rest = topic.slice(topics.kioskPrefix.length).split('/');
  if (rest.length !== 2 || !KIOSK_ID_RE.test(rest[0])) return undefined;
  const kind = rest[1];
  if (kind !== 'scans' && kind !== 'ack' && kind !== 'status' && kind !== 'config' && kind !== 'claim' && kind !== 'claim-result') return undefined;
  return { kiosk: rest[0], kind };
}

export interface ScanRecord {
  /** Sortable unique id (see scan-id.ts). */
  id: string;
  /** When the kiosk read the code, ms since 1970 by the kiosk's clock. */
  at: number;
  /** Whether the kiosk clock was synchronised at that moment. */
  clockSynced: boolean;
  verdict: 'green' | 'red';
  reason: string;
  format: 'pass' | 'dcc' | 'unknown';
  source: 'serial' | 'hid' | 'camera' | 'button' | 'sim';
  /** Read to signal, ms. */
  ms: number;
  /** The pass's id; in a 'no-passage' record (PASSAGE_REASONS), the id of the scan it annuls: a field every hub
   * already takes, so a hub older than the passage sensor still parses the batch (and refuses that record alone). */
  passId?: string;
  holder?: string;
  category?: string;
  /** The officer opened the gate by hand. */
  override?: boolean;
  /** The officer on duty when the scan was made (their card's code, never a citizen id): OFFICER_CODE_PATTERN. */
  officer?: string;
  /** Where the traveller's pass comes from (ORIGIN_PATTERN): the issuing province ("VN-79"), "VN" for a national
   * issuer, or the country of an EU DCC ("DE"). Absent from older kiosks and from codes that did not verify. */
  origin?: string;
}

/** A scan's origin: "VN-" and a 2-digit province code, "VN", or an ISO 3166 alpha-2 country. A counter key at
 * the hub, so the pattern is strict: at most 100 + 676 values, never arbitrary text. */
export const ORIGIN_PATTERN = '^(VN-[0-9]{2}|[A-Z]{2})$';
const ORIGIN_RE = new RegExp(ORIGIN_PATTERN);

/**
 * The origin of a verified code from who signed it: a chot pass issuer's code names its province ("VN-79",
 * "VN-79-760" → "VN-79"; "VN-BYT", a ministry → "VN"); an EU DCC's issuer is its country ("DE"). Anything else
 * has no origin (undefined), rather than a guess.
 */
export function originOf(format: 'pass' | 'dcc', issuer: string | undefined): string | undefined {
  if (typeof issuer !== 'string') return undefined;
  if (format === 'dcc') return ORIGIN_RE.test(issuer) ? issuer : undefined;
  const m = /^VN-([0-9]{2})(?:-|$)/.exec(issuer);
  if (m) return m[1] === '00' ? undefined : `VN-${m[1]}`;
  return /^VN(?:-[A-Z][A-Z0-9-]*)?$/.test(issuer) ? 'VN' : undefined;
}

export interface ScanBatch { v: 1; kiosk: string; scans: ScanRecord[] }
export interface Ack { v: 1; ids: string[]; t: number }
export interface KioskStatus {
  v: 1;
  kiosk: string;
  online: boolean;
  at: number;
  version?: string;
  trustVersion?: number;
  statusVersion?: number;
  listsStale?: boolean;
  backlog?: number;
  clock?: { synced: boolean; source: string; offsetMs?: number };
  scanner?: string;
  camera?: string;
  gpio?: string;
  /** the gate has a passage sensor (gate.passage): the hub shows passed, not passed and tailgating for it */
  passage?: boolean;
  /** the software update in hand (kiosk/src/update): what it is doing, how far, what failed */
  update?: UpdateStatus;
}

export interface UpdateStatus {
  state: 'idle' | 'downloading' | 'verifying' | 'waiting-idle' | 'switching' | 'trying' | 'updated' | 'refused' | 'failed' | 'rolled-back';
  /** the release the kiosk is working towards, or the one that failed */
  target?: string;
  /** per cent of the bundle downloaded */
  progress?: number;
  /** what went wrong, in one line (refused, failed, rolled-back) */
  reason?: string;
  /** the rollout (seq) this is about */
  seq?: number;
}
export interface KioskConfigMessage {
  v: 1;
  checkpoint: string;
  area: string;
  timeZone?: string;
  acceptedCategories?: string[];
  maxDeclarationAgeHours?: number;
}

/** A payout kiosk's claim: pay this holder under this programme, once in the whole country. */
export interface ClaimRequest {
  v: 1;
  kiosk: string;
  /** the kiosk's idempotency key: a retry after a lost reply carries the same key and learns its own claim won */
  key: string;
  programme: string;
  holder: string;
  passId?: string;
  /** when the citizen was at the kiosk, ms */
  at: number;
  /** the officer on duty, where officers sign in */
  officer?: string;
}

export type ClaimOutcome = 'paid' | 'already-paid' | 'not-eligible' | 'other-ward' | 'programme-unknown' | 'programme-not-open';

export interface ClaimResult {
  v: 1;
  key: string;
  outcome: ClaimOutcome;
  /** the amount to hand over (paid), in đồng */
  amount?: number;
  /** where and when the payment was made (already-paid; or paid, for a retry) */
  payment?: { kiosk: string; at: number };
  /** other-ward: the ward where the citizen is registered, so the desk can send them there (absent from older hubs) */
  ward?: string;
}

export const MAX_BATCH = 200;

const scanSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'at', 'clockSynced', 'verdict', 'reason', 'format', 'source', 'ms'],
  properties: {
    id: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' },
    at: { type: 'integer', minimum: 0, maximum: 2 ** 45 },
    clockSynced: { type: 'boolean' },
    verdict: { enum: ['green', 'red'] },
    reason: { type: 'string', pattern: '^[a-z-]{1,32}$' },
    format: { enum: ['pass', 'dcc', 'unknown'] },
    source: { enum: ['serial', 'hid', 'camera', 'button', 'sim'] },
    ms: { type: 'number', minimum: 0, maximum: 600_000 },
    passId: { type: 'string', maxLength: 128 },
    holder: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    category: { type: 'string', maxLength: 16 },
    override: { type: 'boolean' },
    // officer.ts OFFICER_CODE_PATTERN; a counter key at the hub, so nothing else gets in
    officer: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,32}$' },
    // a counter key at the hub too
    origin: { type: 'string', pattern: ORIGIN_PATTERN },
  },
} as const;

const SCHEMAS = {
  scanBatch: {
    type: 'object', additionalProperties: false, required: ['v', 'kiosk', 'scans'],
    properties: { v: { const: 1 }, kiosk: { type: 'string', pattern: KIOSK_ID_RE.source }, scans: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: scanSchema } },
  },
  ack: {
    type: 'object', additionalProperties: false, required: ['v', 'ids', 't'],
    properties: { v: { const: 1 }, ids: { type: 'array', maxItems: MAX_BATCH, items: scanSchema.properties.id }, t: { type: 'integer', minimum: 0 } },
  },
  claim: {
    type: 'object', additionalProperties: false, required: ['v', 'kiosk', 'key', 'programme', 'holder', 'at'],
    properties: {
      v: { const: 1 }, kiosk: { type: 'string', pattern: KIOSK_ID_RE.source }, key: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' },
      programme: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' }, holder: { type: 'string', pattern: '^[0-9a-f]{16}$' },
      passId: { type: 'string', maxLength: 128 }, at: { type: 'integer', minimum: 0, maximum: 2 ** 45 }, officer: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    },
  },
  claimResult: {
    type: 'object', additionalProperties: false, required: ['v', 'key', 'outcome'],
    properties: {
      v: { const: 1 }, key: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,64}$' },
      outcome: { enum: ['paid', 'already-paid', 'not-eligible', 'other-ward', 'programme-unknown', 'programme-not-open'] },
      amount: { type: 'integer', minimum: 0 },
      payment: { type: 'object', additionalProperties: false, required: ['kiosk', 'at'], properties: { kiosk: { type: 'string', pattern: KIOSK_ID_RE.source }, at: { type: 'integer', minimum: 0 } } },
      ward: { type: 'string', pattern: '^\\d{2}/\\d{1,5}$' },
    },
  },
  kioskStatus: {
    type: 'object', additionalProperties: false, required: ['v', 'kiosk', 'online', 'at'],
    properties: {
      v: { const: 1 }, kiosk: { type: 'string', pattern: KIOSK_ID_RE.source }, online: { type: 'boolean' }, at: { type: 'integer', minimum: 0 },
      version: { type: 'string', maxLength: 32 }, trustVersion: { type: 'integer', minimum: 0 }, statusVersion: { type: 'integer', minimum: 0 },
      listsStale: { type: 'boolean' }, backlog: { type: 'integer', minimum: 0 },
      clock: { type: 'object', additionalProperties: false, required: ['synced', 'source'], properties: { synced: { type: 'boolean' }, source: { type: 'string', maxLength: 32 }, offsetMs: { type: 'number' } } },
      scanner: { type: 'string', maxLength: 64 }, camera: { type: 'string', maxLength: 64 }, gpio: { type: 'string', maxLength: 64 },
      passage: { type: 'boolean' },
      update: {
        type: 'object', additionalProperties: false, required: ['state'],
        properties: {
          state: { enum: ['idle', 'downloading', 'verifying', 'waiting-idle', 'switching', 'trying', 'updated', 'refused', 'failed', 'rolled-back'] },
          target: { type: 'string', maxLength: 32 }, progress: { type: 'integer', minimum: 0, maximum: 100 }, reason: { type: 'string', maxLength: 300 },
          seq: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
  kioskConfig: {
    type: 'object', additionalProperties: false, required: ['v', 'checkpoint', 'area'],
    properties: {
      v: { const: 1 }, checkpoint: { type: 'string', pattern: KIOSK_ID_RE.source }, area: { type: 'string', pattern: '^(VN|\\d{2}(/\\d{1,5})?)$' },
      timeZone: { type: 'string', maxLength: 64 }, acceptedCategories: { type: 'array', items: { enum: ['resident', 'shipper', 'official', 'medical', 'goods', 'foreign'] } },
      maxDeclarationAgeHours: { type: 'number', exclusiveMinimum: 0 },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: true });
const compiled = Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, ajv.compile(s)])) as Record<keyof typeof SCHEMAS, ValidateFunction>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseWith<T>(name: keyof typeof SCHEMAS, payload: Uint8Array | string, maxBytes = 256 * 1024): Parsed<T> {
  if (payload.length > maxBytes) return { ok: false, error: `${name}: ${payload.length} bytes is more than ${maxBytes}` };
  let doc: unknown;
  try {
    doc = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (e) {
    // the parser's message quotes the payload: escaped, so a crafted payload cannot forge a log line
    return { ok: false, error: `${name}: not JSON (${JSON.stringify((e as Error).message.slice(0, 120))})` };
  }
  const validate = compiled[name];
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    return { ok: false, error: `${name}: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}${e?.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}` };
  }
  return { ok: true, value: doc as T };
}

export const parseScanBatch = (p: Uint8Array | string) => parseWith<ScanBatch>('scanBatch', p);
export const parseAck = (p: Uint8Array | string) => parseWith<Ack>('ack', p);
export const parseKioskStatus = (p: Uint8Array | string) => parseWith<KioskStatus>('kioskStatus', p);
export const parseKioskConfig = (p: Uint8Array | string) => parseWith<KioskConfigMessage>('kioskConfig', p);
export const parseClaim = (p: Uint8Array | string) => parseWith<ClaimRequest>('claim', p, 4096);
export const parseClaimResult = (p: Uint8Array | string) => parseWith<ClaimResult>('claimResult', p, 4096);

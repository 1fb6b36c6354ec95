// Enrolment: a new kiosk redeems the one-time token from `chot device add` at the hub and gets its id, area, hub
// address and secret. They are kept in the kiosk's state folder (enrolled.json, and the secret in hub.secret,
// readable by the kiosk's user only), never written into the config file: under systemd the running kiosk, which
// enrols itself when its code is scanned, may write nowhere else (ProtectSystem=strict). loadConfig lays them
// over the file's settings. Both are written durably, and checked first, so a failed enrolment changes nothing.
//
// Whom the kiosk trusts: a QR is only a claim. A scanned code is redeemed only at the hub the provisioning pinned
// in the config (hub.web, and for https the CA in hub.ca); a code naming any other address is refused before a
// byte leaves the kiosk. At the console (chot kiosk enrol) the technician's command is the trust: --hub-web names
// the hub, else the pinned one, else the address in the code the technician typed. Whatever the hub answers is
// checked field by field, and only the kiosk's id, area, time zone, MQTT address and secret are taken from it.
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { KIOSK_ID_RE, isArea, parseEnrolText } from '../../protocol/src/index.js';
import { ENROLLED_FILE, SECRET_FILE, loadConfigWithState, type Enrolment } from './config.js';
import { writeDurable } from '../../lib/durable-file.js';

/** Words for the officer's screen, beside the technician's one-line message. */
export interface EnrolWords { vi: string; en: string }

export class EnrolFailed extends Error {
  constructor(message: string, readonly words: EnrolWords) { super(message); }
}

export interface EnrolOptions {
  /** The hub a technician named at the console (chot kiosk enrol --hub-web): explicit trust. */
  hubWeb?: string;
  /** The code was read by the kiosk's scanner: only the hub pinned in the config (hub.web) is trusted. */
  scanned?: boolean;
}

export interface Enrolled {
  id: string; area: string; hub: string; web: string;
  /** where the enrolment is kept (the state folder's enrolled.json) */
  file: string;
}

/** The most of an answer read: an enrolment answer is a few hundred bytes. */
const MAX_ANSWER = 16 * 1024;
const TOKEN_RE = /^[A-Za-z0-9_-]{16,64}$/;
/** What the hub's secret looks like (32 random bytes, base64url); a password is written to a file and sent to MQTT. */
const SECRET_RE = /^[\x21-\x7e]{16,256}$/;

const q = (s: unknown): string => JSON.stringify(String(s).slice(0, 200));

/** A hub's web address reduced to what identifies it: scheme, host, port and path, no credentials, no query. */
export function hubBase(text: string): string | undefined {
  let u: URL;
  try { u = new URL(text); } catch { return undefined; }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash || !u.hostname) return undefined;
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

const refused = (message: string, vi: string, en: string) => new EnrolFailed(message, { vi, en });

/** Picks the hub this enrolment may talk to, or says why there is none. */
function trustedHub(doc: { hub?: { web?: unknown } }, code: { hubWeb: string } | undefined, opts: EnrolOptions): string {
  const pinnedText = typeof doc.hub?.web === 'string' ? doc.hub.web : undefined;
  const pinned = pinnedText === undefined ? undefined : hubBase(pinnedText);
  if (pinnedText !== undefined && !pinned) throw refused(`hub.web ${q(pinnedText)} in the config is not an http(s) address: fix it (scripts/provision-kiosk.sh --hub-web)`, 'Địa chỉ trung tâm trong cấu hình không hợp lệ: không đăng ký.', 'The hub address in the config is not valid: not enrolled.');
  let trusted: string | undefined;
  if (!opts.scanned && opts.hubWeb !== undefined) {
    trusted = hubBase(opts.hubWeb);
    if (!trusted) throw refused(`--hub-web ${q(opts.hubWeb)} is not an http(s) address like http://hub.example.vn:8090`, 'Địa chỉ trung tâm không hợp lệ.', 'The hub address is not valid.');
  } else if (pinned) {
    trusted = pinned;
  } else if (!opts.scanned && code) {
    trusted = hubBase(code.hubWeb); // typed at the console: the technician vouches for the address in the code
  } else if (opts.scanned) {
    throw refused('a scanned enrolment code was refused: this kiosk has no hub to trust (hub.web in the config); provision it with scripts/provision-kiosk.sh --hub-web, or enrol at the console with chot kiosk enrol --hub-web',
      'Thiết bị chưa được cài đặt trung tâm tin cậy: từ chối mã đăng ký. Gọi kỹ thuật viên.',
      'This kiosk has no trusted hub set up: enrolment code refused. Call the technician.');
  }
  if (!trusted) throw refused('give the hub\'s address: chot kiosk enrol --hub-web http://HUB:8090 TOKEN', 'Thiếu địa chỉ trung tâm.', 'The hub address is missing.');
  if (code) {
    const named = hubBase(code.hubWeb);
    if (named !== trusted) {
      throw refused(`the enrolment code names the hub ${q(code.hubWeb)}, but this kiosk trusts only ${q(trusted)}: refused; use a code from that hub${opts.scanned ? ', or re-provision with --hub-web' : ', or name the hub with --hub-web'}`,
        `Mã đăng ký của trung tâm khác (${named ?? code.hubWeb}), không phải trung tâm được tin cậy (${trusted}): từ chối.`,
        `The enrolment code names another hub (${named ?? code.hubWeb}), not the trusted one (${trusted}): refused.`);
    }
  }
  return trusted;
}

/** One POST to the trusted hub: no redirects followed, the answer capped, https checked against hub.ca if set. */
function post(url: string, body: string, ca: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 };
    const onAnswer = (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (text.length > MAX_ANSWER) { res.destroy(); reject(new Error(`the answer is longer than ${MAX_ANSWER} bytes`)); }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    };
    const req = u.protocol === 'https:'
      ? httpsRequest(u, { ...opts, ...(ca ? { ca: readFileSync(ca) } : {}) }, onAnswer)
      : httpRequest(u, opts, onAnswer);
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

interface Answer { kiosk: { id: string; area: string; timeZone?: string }; hub: { url: string }; password: string }

/** Checks the hub's answer field by field; the first bad one is named. */
function checkAnswer(doc: unknown, trusted: string, known: string[]): Answer {
  const bad = (what: string) => refused(`the hub's answer was refused: ${what}; nothing was changed`,
    'Trung tâm trả lời không hợp lệ: không đăng ký, cấu hình giữ nguyên.', 'The hub\'s answer is not valid: not enrolled, the configuration is unchanged.');
  const d = doc as Partial<Record<string, unknown>> | null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw bad('it is not a JSON object');
  if (d.v !== 1) throw bad(`v is ${q(d.v)}, not 1`);
  const k = d.kiosk as Partial<Record<string, unknown>> | undefined;
  if (!k || typeof k !== 'object') throw bad('kiosk is missing');
  if (typeof k.id !== 'string' || !KIOSK_ID_RE.test(k.id)) throw bad(`kiosk.id ${q(k.id)} is not a kiosk id (a-z 0-9 -, up to 48)`);
  if (!isArea(k.area)) throw bad(`kiosk.area ${q(k.area)} is not an area code ("79", "79/26734" or "VN")`);
  if (k.timeZone !== undefined) {
    let ok = typeof k.timeZone === 'string' && k.timeZone.length <= 64;
    if (ok) try { new Intl.DateTimeFormat('en', { timeZone: k.timeZone as string }); } catch { ok = false; }
    if (!ok) throw bad(`kiosk.timeZone ${q(k.timeZone)} is not a time zone`);
  }
  const h = d.hub as Partial<Record<string, unknown>> | undefined;
  if (!h || typeof h.url !== 'string') throw bad('hub.url is missing');
  let mq: URL;
  try { mq = new URL(h.url); } catch { throw bad(`hub.url ${q(h.url)} is not an address`); }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(mq.protocol) || mq.username || mq.password || mq.search || mq.hash) throw bad(`hub.url ${q(h.url)} is not an mqtt(s):// or ws(s):// address without credentials`);
  // the MQTT broker is the trusted hub's own host (or one the provisioning named): an answer cannot send the
  // kiosk's scans and secret elsewhere, nor drop TLS that the enrolment itself used
  const web = new URL(trusted);
  const hosts = new Set([web.hostname, ...known.map((x) => { try { return new URL(x).hostname; } catch { return ''; } }).filter(Boolean)]);
  if (!hosts.has(mq.hostname)) throw bad(`hub.url ${q(h.url)} is not on the trusted hub's host (${[...hosts].join(', ')})`);
  if (web.protocol === 'https:' && mq.protocol !== 'mqtts:' && mq.protocol !== 'wss:') throw bad(`hub.url ${q(h.url)} is not encrypted while the hub was reached over https`);
  if (typeof d.password !== 'string' || !SECRET_RE.test(d.password)) throw bad('password is not 16 to 256 printable characters');
  return { kiosk: { id: k.id, area: k.area, ...(k.timeZone !== undefined ? { timeZone: k.timeZone as string } : {}) }, hub: { url: h.url }, password: d.password };
}

export async function enrol(configPath: string, text: string, opts: EnrolOptions = {}): Promise<Enrolled> {
  text = text.trim();
  const code = parseEnrolText(text);
  const token = code?.token ?? (TOKEN_RE.test(text) ? text : undefined);
  if (!token) {
    throw refused(`${q(text.slice(0, 40))} is not an enrolment code: scan the QR from chot device add, or give --hub-web http://HUB:8090 and the token`,
      'Không phải mã đăng ký hợp lệ.', 'Not a valid enrolment code.');
  }
  // the config as the kiosk runs it: the file's settings, and an earlier enrolment's if there is one
  const { config: c } = loadConfigWithState(configPath);
  const trusted = trustedHub(c, code, opts);
  const ca = trusted.startsWith('https:') ? c.hub.ca : undefined;
  const known = [c.hub.url, ...(c.hub.urls ?? [])].filter((x): x is string => typeof x === 'string');

  let res: { status: number; text: string };
  try {
    res = await post(`${trusted}/api/enrol`, JSON.stringify({ token }), ca);
  } catch (e) {
    throw refused(`cannot reach the hub at ${trusted} (${(e as Error).message})${ca ? `; its certificate is checked against hub.ca ${ca}` : ''}: check the network and the hub's http.host`,
      'Không kết nối được trung tâm: kiểm tra mạng rồi quét lại.', 'Cannot reach the hub: check the network, then scan again.');
  }
  let body: unknown;
  try { body = JSON.parse(res.text); } catch { body = undefined; }
  if (res.status !== 200) {
    const said = (body as { error?: unknown } | undefined)?.error;
    throw refused(`the hub refused the enrolment: ${typeof said === 'string' ? q(said) : `HTTP ${res.status}`}`,
      'Trung tâm từ chối mã đăng ký (đã dùng, hết hạn hoặc không có): xin mã mới.', 'The hub refused the enrolment code (used, expired or unknown): ask for a new one.');
  }
  const a = checkAnswer(body, trusted, known);

  const dir = c.stateDir;
  const e: Enrolment = {
    v: 1, at: Date.now(), kiosk: a.kiosk,
    // the hub this kiosk enrolled with stays pinned: a later scanned code must name it too
    hub: { web: trusted, url: a.hub.url, passwordFile: join(dir, SECRET_FILE) },
  };
  loadConfigWithState(configPath, e); // never keep an enrolment the kiosk would refuse
  // run as root at the console, the files go to the state folder's owner (the kiosk's user, from systemd's
  // StateDirectory=); a folder made here is root's with the config's group until systemd hands it to that user
  const root = process.getuid?.() === 0;
  const made = !existsSync(dir);
  if (made) mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (root && made) chownSync(dir, 0, statSync(configPath).gid);
  const owner = statSync(dir);
  const file = join(dir, ENROLLED_FILE);
  writeDurable(e.hub.passwordFile, a.password, 0o600);
  writeDurable(file, JSON.stringify(e, null, 2) + '\n', 0o640);
  if (root) for (const f of [e.hub.passwordFile, file]) chownSync(f, owner.uid, owner.gid);
  return { id: a.kiosk.id, area: a.kiosk.area, hub: a.hub.url, web: trusted, file };
}

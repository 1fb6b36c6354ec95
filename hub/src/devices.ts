// Kiosk credentials: one device per kiosk, its secret stored only as a scrypt hash (a slow KDF), revocable.
// The registry is a small JSON file written durably; the running hub reloads it when `chot device add` or
// `chot device revoke` changes it, and cuts a revoked kiosk off at once.
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KIOSK_ID_RE, isArea } from '../../protocol/src/index.js';
import { writeDurable } from '../../lib/durable-file.js';

export interface Device {
  id: string;
  checkpoint: string;
  area: string;
  /** scrypt$N$r$p$salt$hash, base64 */
  secret: string;
  createdAt: string;
  revokedAt?: string;
  /** one-time enrolment token hash and expiry (see chot kiosk enrol) */
  enrolment?: { tokenHash: string; expiresAt: string; usedAt?: string };
}

export interface Account {
  name: string;
  role: 'operator' | 'service';
  secret: string;
  createdAt: string;
}

interface RegistryFile { devices: Record<string, Device>; accounts: Record<string, Account> }

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64');

export class EnrolError extends Error {
  constructor(readonly code: 'unknown' | 'used' | 'expired' | 'revoked', message: string) { super(message); }
}


export function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return new Promise((resolve, reject) => scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) => {
    if (err) reject(err); else resolve(`scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`);
  }));
}

export function checkSecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return Promise.resolve(false);
  const want = Buffer.from(hash, 'base64');
  return new Promise((resolve) => scrypt(secret, Buffer.from(salt, 'base64'), want.length, { N: Number(n), r: Number(r), p: Number(p) }, (err, key) => {
    resolve(!err && key.length === want.length && timingSafeEqual(key, want));
  }));
}

export class DeviceRegistry {
  private data: RegistryFile = { devices: {}, accounts: {} };
  /** stored hash → sha256(secret) of the last secret that checked out against it: kiosks reconnecting again and
   * again must not cost a scrypt run each time. Keyed by the stored hash (each has its own salt), so a new
   * secret or a revoked device never matches an old entry. */
  private readonly verified = new Map<string, string>();
  /** checks under way, so that a burst of the same connection attempts shares one scrypt run */
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(readonly path: string) {
    this.reload();
  }

  reload(): void {
    if (!existsSync(this.path)) { this.data = { devices: {}, accounts: {} }; return; }
    const doc = JSON.parse(readFileSync(this.path, 'utf8')) as RegistryFile;
    this.data = { devices: doc.devices ?? {}, accounts: doc.accounts ?? {} };
    this.verified.clear();
  }

  private save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeDurable(this.path, JSON.stringify(this.data, null, 1));
  }

  get devices(): Device[] {
    return Object.values(this.data.devices);
  }

  get(id: string): Device | undefined {
    return this.data.devices[id];
  }

  /**
   * Adds a kiosk and returns its secret (shown once, stored only hashed) and a one-time enrolment token that
   * expires after `tokenHours`.
   */
  async add(id: string, area: string, tokenHours = 24): Promise<{ device: Device; secret: string; token: string }> {
    if (!KIOSK_ID_RE.test(id)) throw new Error(`checkpoint id ${JSON.stringify(id)} must be 1–48 of a-z 0-9 - (it is also the MQTT username)`);
    if (!isArea(area)) throw new Error(`area ${JSON.stringify(area)} is not an area code ("79", "79/26734" or "VN")`);
    const existing = this.data.devices[id];
    if (existing && !existing.revokedAt) throw new Error(`device ${id} exists: revoke it first to issue new credentials`);
    const secret = randomBytes(24).toString('base64url');
    const token = randomBytes(16).toString('base64url');
    const device: Device = {
      id, checkpoint: id, area, secret: await hashSecret(secret), createdAt: new Date().toISOString(),
      // a 128-bit random token needs no slow hash: nobody can guess it, and the hash keeps it off disk
      enrolment: { tokenHash: sha256(token), expiresAt: new Date(Date.now() + tokenHours * 3_600_000).toISOString() },
    };
    this.data.devices[id] = device;
    this.save();
    return { device, secret, token };
  }

  /**
   * Redeems a one-time enrolment token: the kiosk gets a fresh secret (the hub keeps only hashes, so it cannot hand
   * out the old one). A used, expired or unknown token, or a revoked device, is refused with the reason.
   */
  async enrol(token: string): Promise<{ device: Device; secret: string }> {
    const h = sha256(token);
    const d = this.devices.find((x) => x.enrolment?.tokenHash === h);
    if (!d) throw new EnrolError('unknown', 'this enrolment token is not known to this hub: check the hub address, or make a new one with chot device add');
    if (d.revokedAt) throw new EnrolError('revoked', `device ${d.id} is revoked: add it again with chot device add`);
    if (d.enrolment!.usedAt) throw new EnrolError('used', `this enrolment token was already used (${d.enrolment!.usedAt}): a token works once; ask the hub for a new one`);
    if (Date.parse(d.enrolment!.expiresAt) < Date.now()) throw new EnrolError('expired', `this enrolment token expired at ${d.enrolment!.expiresAt}: ask the hub for a new one`);
    const secret = randomBytes(24).toString('base64url');
    d.secret = await hashSecret(secret);
    d.enrolment!.usedAt = new Date().toISOString();
    this.save();
    return { device: d, secret };
  }

  /** A new enrolment token for an existing device (the kiosk was replaced, or the token expired). */
  newToken(id: string, tokenHours = 24): string {
    const d = this.data.devices[id];
    if (!d || d.revokedAt) throw new Error(`no active device ${JSON.stringify(id)}`);
    const token = randomBytes(16).toString('base64url');
    d.enrolment = { tokenHash: sha256(token), expiresAt: new Date(Date.now() + tokenHours * 3_600_000).toISOString() };
    this.save();
    return token;
  }

  revoke(id: string): Device {
    const d = this.data.devices[id];
    if (!d) throw new Error(`no device ${JSON.stringify(id)}: chot device list shows them`);
    d.revokedAt = new Date().toISOString();
    this.save();
    return d;
  }

  async addAccount(name: string, role: Account['role']): Promise<string> {
    if (!/^[a-z0-9][a-z0-9._-]{0,47}$/.test(name)) throw new Error(`account name ${JSON.stringify(name)} must be 1–48 of a-z 0-9 . _ -`);
    if (this.data.devices[name]) throw new Error(`${name} is a kiosk id; operator and service accounts need their own names`);
    const secret = randomBytes(18).toString('base64url');
    this.data.accounts[name] = { name, role, secret: await hashSecret(secret), createdAt: new Date().toISOString() };
    this.save();
    return secret;
  }

  account(name: string): Account | undefined {
    return this.data.accounts[name];
  }

  /** Checks a kiosk's or an account's secret. */
  async authenticate(name: string, secret: string): Promise<{ kind: 'kiosk'; device: Device } | { kind: 'account'; account: Account } | undefined> {
    const d = this.data.devices[name];
    const a = this.data.accounts[name];
    const stored = d && !d.revokedAt ? d.secret : a?.secret;
    if (!stored) return undefined;
    const fp = createHash('sha256').update(secret).digest('base64');
    let ok = this.verified.get(stored) === fp;
    if (!ok) {
      const key = `${stored}\n${fp}`;
      let p = this.checking.get(key);
      if (!p) { p = checkSecret(secret, stored).finally(() => this.checking.delete(key)); this.checking.set(key, p); }
      ok = await p;
    }
    if (!ok) return undefined;
    this.verified.set(stored, fp);
    return d && !d.revokedAt ? { kind: 'kiosk', device: d } : { kind: 'account', account: a! };
  }
}

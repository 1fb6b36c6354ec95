// Who may connect: kiosks (a random 256-bit secret each) and operator or service accounts (a password).
// A kiosk secret is random, so a fast keyed hash (HMAC-SHA-256 with a per-device salt) checks it in microseconds on
// the event loop: nothing a stranger sends at the MQTT port reaches libuv's thread pool, which the store and the
// file system need. Account passwords keep scrypt (a person may reuse one), run at most two at a time, behind the
// rate limits in limits.ts; an unknown name costs the same scrypt as a known one, so names cannot be told apart.
import { createHmac, randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';
import type { Account, Device } from './store/port.js';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** A new kiosk secret: 256 random bits. */
export const newKioskSecret = (): string => randomBytes(32).toString('base64url');

export function hashKioskSecret(secret: string): string {
  const salt = randomBytes(16);
  return `h1$${salt.toString('base64')}$${createHmac('sha256', salt).update(secret).digest('base64')}`;
}

function checkHmac(secret: string, stored: string): boolean {
  const [, salt, mac] = stored.split('$');
  if (!salt || !mac) return false;
  const want = Buffer.from(mac, 'base64');
  const got = createHmac('sha256', Buffer.from(salt, 'base64')).update(secret).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

// at most two scrypt runs at once: the thread pool has four threads and other work to do
let running = 0;
const waiting: Array<() => void> = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r));
  running++;
  try { return await fn(); } finally { running--; waiting.shift()?.(); }
}

export function hashPassword(secret: string): Promise<string> {
  const salt = randomBytes(16);
  return slot(() => new Promise((resolve, reject) => scrypt(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }, (err, key) => {
    if (err) reject(err); else resolve(`scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`);
  })));
}

// an unknown name is checked against this, so that it takes as long as a known one
const DUMMY = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${randomBytes(16).toString('base64')}$${randomBytes(32).toString('base64')}`;

function checkScrypt(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return Promise.resolve(false);
  const N = Number(n), R = Number(r), P = Number(p);
  // a stored hash is ours, but bound it anyway: a damaged row must not ask for gigabytes
  if (!(N >= 1024 && N <= 1 << 20 && R >= 1 && R <= 32 && P >= 1 && P <= 16)) return Promise.resolve(false);
  const want = Buffer.from(hash, 'base64');
  return slot(() => new Promise((resolve) => scrypt(secret, Buffer.from(salt, 'base64'), want.length, { N, r: R, p: P, maxmem: 256 * N * R + 1024 * 1024 }, (err, key) => {
    resolve(!err && key.length === want.length && timingSafeEqual(key, want));
  })));
}

export type Principal = { kind: 'kiosk'; device: Device } | { kind: 'account'; account: Account };

/**
 * The registry the running hub checks logins against: devices and accounts as the store holds them, reloaded
 * when the store's registry version moves (chot device add/revoke, chot account add, from any process).
 */
export class Credentials {
  private devices = new Map<string, Device>();
  private accounts = new Map<string, Account>();
  /** stored hash → fingerprint of the secret that last matched it: a reconnecting kiosk with a legacy scrypt hash,
   * or an account's API token used again and again, is not checked with scrypt each time */
  private readonly verified = new Map<string, string>();

  replace(devices: Device[], accounts: Account[]): void {
    this.devices = new Map(devices.map((d) => [d.id, d]));
    this.accounts = new Map(accounts.map((a) => [a.name, a]));
    for (const k of [...this.verified.keys()]) if (![...devices, ...accounts].some((x) => x.secret === k)) this.verified.delete(k);
  }

  device(id: string): Device | undefined { return this.devices.get(id); }
  allDevices(): Device[] { return [...this.devices.values()]; }
  account(name: string): Account | undefined { return this.accounts.get(name); }

  /** Whether checking this name costs microseconds (a kiosk with a keyed-hash secret): no rate limit needed. */
  cheap(name: string): boolean {
    const d = this.devices.get(name);
    return !!d && !d.revokedAt && d.secret.startsWith('h1$');
  }

  /** Checks a name and secret. Kiosks first: a kiosk id is never an account name (chot account add refuses it). */
  async check(name: string, secret: string): Promise<Principal | undefined> {
    const d = this.devices.get(name);
    if (d && !d.revokedAt && d.secret.startsWith('h1$')) return checkHmac(secret, d.secret) ? { kind: 'kiosk', device: d } : undefined;
    const a = d ? undefined : this.accounts.get(name);
    const stored = d && !d.revokedAt ? d.secret : a?.secret;
    const fp = createHash('sha256').update(secret).digest('base64');
    if (stored && this.verified.get(stored) === fp) return d ? { kind: 'kiosk', device: d } : { kind: 'account', account: a! };
    const ok = await checkScrypt(secret, stored ?? DUMMY);
    if (!ok || !stored) return undefined;
    this.verified.set(stored, fp);
    return d ? { kind: 'kiosk', device: d } : { kind: 'account', account: a! };
  }
}

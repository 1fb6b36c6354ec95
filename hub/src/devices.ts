// Kiosk devices and operator/service accounts, written to the store (chot device add/revoke/token, chot account
// add, a kiosk's enrolment). The running hub sees each change through the store's registry version.
import { randomBytes, createHash } from 'node:crypto';
import { KIOSK_ID_RE, isArea } from '../../protocol/src/index.js';
import { hashKioskSecret, hashPassword, newKioskSecret } from './credentials.js';
import type { Account, Device, HubStore } from './store/port.js';

export type { Account, Device } from './store/port.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64');

export class EnrolError extends Error {
  constructor(readonly code: 'unknown' | 'used' | 'expired' | 'revoked', message: string) { super(message); }
}

/** A broker that keeps its own kiosk accounts (Mosquitto's dynamic security): told of each secret when it is made. */
export interface BrokerAccounts {
  putKiosk(id: string, secret: string): Promise<void>;
  revokeKiosk(id: string): Promise<void>;
}

export class DeviceAdmin {
  constructor(private readonly store: HubStore, private readonly broker?: BrokerAccounts) {}

  devices(): Promise<Device[]> { return this.store.devices(); }

  async get(id: string): Promise<Device | undefined> {
    return (await this.store.devices()).find((d) => d.id === id);
  }

  /**
   * Adds a kiosk and returns its secret (shown once, stored only hashed) and a one-time enrolment token that
   * expires after `tokenHours`.
   */
  async add(id: string, area: string, tokenHours = 24, where: { location?: { lat: number; lon: number }; site?: string } = {}): Promise<{ device: Device; secret: string; token: string }> {
    if (!KIOSK_ID_RE.test(id)) throw new Error(`checkpoint id ${JSON.stringify(id)} must be 1–48 of a-z 0-9 - (it is also the MQTT username)`);
    if (!isArea(area)) throw new Error(`area ${JSON.stringify(area)} is not an area code ("79", "79/26734" or "VN")`);
    const existing = await this.get(id);
    if (existing && !existing.revokedAt) throw new Error(`device ${id} exists: revoke it first to issue new credentials`);
    if ((await this.store.accounts()).some((a) => a.name === id)) throw new Error(`${id} is an account name: a kiosk needs an id of its own`);
    const secret = newKioskSecret();
    const token = randomBytes(16).toString('base64url');
    const device: Device = {
      id, area, secret: hashKioskSecret(secret), createdAt: new Date().toISOString(),
      // a 128-bit random token needs no slow hash: nobody can guess it, and the hash keeps it off disk
      enrolment: { tokenHash: sha256(token), expiresAt: new Date(Date.now() + tokenHours * 3_600_000).toISOString() },
      ...(where.location ? { location: where.location } : {}), ...(where.site ? { site: where.site } : {}),
    };
    // the broker first: a kiosk the store knows but the broker refuses would look enrolled and never connect
    await this.broker?.putKiosk(id, secret);
    await this.store.putDevice(device);
    return { device, secret, token };
  }

  /**
   * Redeems a one-time enrolment token: the kiosk gets a fresh secret (the hub keeps only hashes, so it cannot hand
   * out the old one). A used, expired or unknown token, or a revoked device, is refused with the reason.
   */
  async enrol(token: string): Promise<{ device: Device; secret: string }> {
    const h = sha256(token);
    const d = (await this.store.devices()).find((x) => x.enrolment?.tokenHash === h);
    if (!d) throw new EnrolError('unknown', 'this enrolment token is not known to this hub: check the hub address, or make a new one with chot device add');
    if (d.revokedAt) throw new EnrolError('revoked', `device ${d.id} is revoked: add it again with chot device add`);
    if (d.enrolment!.usedAt) throw new EnrolError('used', `this enrolment token was already used (${d.enrolment!.usedAt}): a token works once; ask the hub for a new one`);
    if (Date.parse(d.enrolment!.expiresAt) < Date.now()) throw new EnrolError('expired', `this enrolment token expired at ${d.enrolment!.expiresAt}: ask the hub for a new one`);
    const secret = newKioskSecret();
    const next: Device = { ...d, secret: hashKioskSecret(secret), enrolment: { ...d.enrolment!, usedAt: new Date().toISOString() } };
    await this.broker?.putKiosk(d.id, secret);
    await this.store.putDevice(next);
    return { device: next, secret };
  }

  /** A new enrolment token for an existing device (the kiosk was replaced, or the token expired). */
  async newToken(id: string, tokenHours = 24): Promise<string> {
    const d = await this.get(id);
    if (!d || d.revokedAt) throw new Error(`no active device ${JSON.stringify(id)}: chot device list shows them`);
    const token = randomBytes(16).toString('base64url');
    await this.store.putDevice({ ...d, enrolment: { tokenHash: sha256(token), expiresAt: new Date(Date.now() + tokenHours * 3_600_000).toISOString() } });
    return token;
  }

  async revoke(id: string): Promise<Device> {
    const d = await this.get(id);
    if (!d) throw new Error(`no device ${JSON.stringify(id)}: chot device list shows them`);
    const next = { ...d, revokedAt: new Date().toISOString() };
    await this.store.putDevice(next);
    await this.broker?.revokeKiosk(id);
    return next;
  }

  async addAccount(name: string, role: Account['role']): Promise<string> {
    if (!/^[a-z0-9][a-z0-9._-]{0,47}$/.test(name)) throw new Error(`account name ${JSON.stringify(name)} must be 1–48 of a-z 0-9 . _ -`);
    if (await this.get(name)) throw new Error(`${name} is a kiosk id; operator and service accounts need their own names`);
    const secret = randomBytes(18).toString('base64url');
    await this.store.putAccount({ name, role, secret: await hashPassword(secret), createdAt: new Date().toISOString() });
    return secret;
  }
}

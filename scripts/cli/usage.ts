// Shared command-line plumbing: strict flags, one-line errors, exit 2 for usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0].split('. To specify')[0]}\n${usage}`);
  }
}

export function need<T>(v: T | undefined, flag: string, usage: string): T {
  if (v === undefined || v === '') throw new UsageError(`missing ${flag}\n${usage}`);
  return v;
}

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Parses an ISO time or seconds since 1970 into ms. */
export function parseTime(s: string, flag: string): number {
  const ms = /^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} ${JSON.stringify(s)} is not an ISO time (2021-09-10T08:00:00+07:00) or seconds since 1970`);
  return ms;
}

/** When a signed credential (a pass, an officer's card) is issued and valid, in seconds since 1970, from
 *  --issued-at (default now), --valid-from (default the issue time) and --valid-days or --valid-until. */
export function validityFlags(values: { 'issued-at'?: string; 'valid-from'?: string; 'valid-days'?: string; 'valid-until'?: string }, defaultDays: number, maxDays: number): { issuedAt: number; validFrom: number; validUntil: number } {
  const now = values['issued-at'] ? parseTime(values['issued-at'], '--issued-at') : Date.now();
  const validFrom = Math.floor((values['valid-from'] ? parseTime(values['valid-from'], '--valid-from') : now) / 1000);
  if (values['valid-until']) return { issuedAt: Math.floor(now / 1000), validFrom, validUntil: Math.floor(parseTime(values['valid-until'], '--valid-until') / 1000) };
  const days = Number(values['valid-days'] ?? String(defaultDays));
  if (!(days > 0 && days <= maxDays)) throw new UsageError(`--valid-days ${JSON.stringify(values['valid-days'])} must be 1–${maxDays}`);
  return { issuedAt: Math.floor(now / 1000), validFrom, validUntil: validFrom + Math.round(days * 86400) };
}

/** An 8-byte id given as 16 hex digits (a pass id, a holder token, a card id), or a random one when not given. */
export function id8Flag(v: string | undefined, flag: string): Uint8Array {
  if (v === undefined) return new Uint8Array(randomBytes(8));
  if (!/^[0-9a-f]{16}$/i.test(v)) throw new UsageError(`${flag} ${JSON.stringify(v)} must be 16 hex digits`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

// Shared command-line plumbing: strict flags, one-line errors, exit 2 for usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';

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

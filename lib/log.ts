// Log lines with levels, for both programs. Each call is one line (lib/log-line.ts escapes what it quotes) at a
// level: error, warn, info (the default) or debug. Lines below the chosen level are dropped. When stderr is the
// journal (systemd sets JOURNAL_STREAM to its device:inode), each line starts with the syslog priority
// (<3> error, <4> warning, <6> info, <7> debug), which journald takes as the entry's priority and strips:
// `journalctl -p warning` then shows warnings and errors only. Anywhere else (a terminal, a pipe, a test) no
// prefix is written, since it would only clutter the line.
import { fstatSync } from 'node:fs';
import { oneLine } from './log-line.js';

export type Level = 'error' | 'warn' | 'info' | 'debug';
export const LEVELS: readonly Level[] = ['error', 'warn', 'info', 'debug'];
/** A log call: the line, and its level when it is not info. */
export type Log = (line: string, level?: Level) => void;

const PRIORITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** The level named on a command line (--log-level) or undefined; anything else is an error naming the choices. */
export function parseLevel(text: string | undefined): Level | undefined {
  if (text === undefined) return undefined;
  if ((LEVELS as readonly string[]).includes(text)) return text as Level;
  throw new Error(`--log-level ${JSON.stringify(text)} is not one of ${LEVELS.join(', ')}`);
}

/**
 * Whether file descriptor `fd` is the journal's stream: JOURNAL_STREAM holds the device and inode of the stream
 * systemd connected, and matches only while that descriptor is still it (a program started from a unit with its
 * stderr redirected elsewhere inherits the variable but not the stream).
 */
export function isJournalStream(env: NodeJS.ProcessEnv = process.env, fd = 2): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const s = fstatSync(fd, { bigint: true });
    return s.dev === BigInt(m[1]) && s.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

export interface LoggerOptions {
  /** The least severe level written (default info). */
  level?: Level;
  /** Prefix each line with its syslog priority (default: when stderr is the journal). */
  priorities?: boolean;
  /** Where lines go (default stderr). */
  write?: (text: string) => void;
}

export interface Logger extends Log {
  readonly level: Level;
  readonly priorities: boolean;
  /** Whether a line at `level` would be written: spares building a debug line nobody reads. */
  enabled(level: Level): boolean;
}

export function makeLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const priorities = opts.priorities ?? isJournalStream();
  const write = opts.write ?? ((t: string) => { process.stderr.write(t); });
  const max = PRIORITY[level];
  const enabled = (l: Level) => PRIORITY[l] <= max;
  const log = ((line: string, l: Level = 'info') => {
    const p = PRIORITY[l] ?? PRIORITY.info;
    if (p > max) return;
    write(`${priorities ? `<${p}>` : ''}${oneLine(line)}\n`);
  }) as Logger;
  return Object.assign(log, { level, priorities, enabled });
}

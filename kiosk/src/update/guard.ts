// The guard: systemd runs it before every start of the kiosk (ExecStartPre) and after every stop (ExecStopPost),
// from the last good version (/opt/chot/good), never from the version being tried. It is what rolls a bad version
// back without a visit: a new version that ends before it confirmed itself (it crashed, systemd killed it for not
// reporting READY within TimeoutStartSec, or the watchdog did) counts a failure, with systemd's reason
// ($SERVICE_RESULT, $EXIT_CODE, $EXIT_STATUS); at `maxFailures`, or after as many starts without a stop being seen
// (power cuts), `current` is pointed back at the old version and the next start runs it. The old version then tells
// the hub which version failed and why (agent.ts). The guard never stops the kiosk from starting: whatever goes wrong
// here is logged and the start goes on.
import { existsSync } from 'node:fs';
import { link, linked, readSwitch, releaseDir, writeSwitch, type SwitchJournal } from './layout.js';

export interface GuardOptions {
  stateDir: string;
  /** /opt/chot: releases/, current, good */
  dir: string;
  maxFailures: number;
  env?: NodeJS.ProcessEnv;
  now?: number;
}

export type GuardResult = { action: 'none' | 'tried' | 'counted' | 'rolled-back' | 'repaired'; line: string };

/** systemd's account of how the service ended, in words. */
export function stopReason(env: NodeJS.ProcessEnv): string {
  const result = env.SERVICE_RESULT ?? '';
  const code = env.EXIT_CODE ?? '', status = env.EXIT_STATUS ?? '';
  if (result === 'timeout') return 'did not report READY to systemd within its start timeout';
  if (result === 'watchdog') return 'stopped answering the systemd watchdog';
  if (result === 'exit-code') return `exited with status ${status || '?'}`;
  if (result === 'signal' || result === 'core-dump') return `was killed by signal ${status || '?'}${result === 'core-dump' ? ' (core dumped)' : ''}`;
  if (result === 'success') return `stopped before confirming itself (${code || 'exited'} ${status || '0'})`;
  return `ended (${[result, code, status].filter(Boolean).join(' ') || 'no reason given by systemd'})`;
}

function rollBack(o: GuardOptions, j: SwitchJournal, reason: string): GuardResult {
  const back = existsSync(releaseDir(o.dir, j.from)) ? j.from : linked(o.dir, 'good');
  j.phase = 'rolled-back';
  j.reason = reason;
  j.reported = false;
  // the journal first: if power is cut before the link moves, the next start finds 'rolled-back' and moves it
  writeSwitch(o.stateDir, j);
  if (back) link(o.dir, 'current', back);
  return { action: 'rolled-back', line: `update guard: version ${j.to} ${reason}; rolled back to ${back ?? '(no previous version on disk)'}` };
}

export function guardStart(o: GuardOptions): GuardResult {
  const j = readSwitch(o.stateDir);
  if (!j) return { action: 'none', line: 'update guard: no switch in progress' };
  if (j.phase === 'switching') {
    j.phase = 'trying';
    j.starts = 1;
    writeSwitch(o.stateDir, j);
    return { action: 'tried', line: `update guard: starting version ${j.to} for the first time (was ${j.from})` };
  }
  if (j.phase === 'trying') {
    j.starts++;
    // stops that systemd saw are counted by guardStop; starts beyond them mean the machine went down with the new
    // version running (a power cut, a hang that took the board with it)
    if (j.starts > o.maxFailures + 1 || j.failures.length >= o.maxFailures) {
      const last = j.failures.at(-1)?.reason;
      return rollBack(o, j, last ? `${last} (${j.failures.length} failures, ${j.starts - 1} starts)` : `was started ${j.starts - 1} times without confirming itself`);
    }
    writeSwitch(o.stateDir, j);
    return { action: 'tried', line: `update guard: starting version ${j.to} again (start ${j.starts}, ${j.failures.length} failures so far)` };
  }
  if (j.phase === 'rolled-back' && linked(o.dir, 'current') !== j.from && existsSync(releaseDir(o.dir, j.from))) {
    link(o.dir, 'current', j.from);
    return { action: 'repaired', line: `update guard: current pointed at ${j.from} again (the roll-back was cut short)` };
  }
  return { action: 'none', line: `update guard: ${j.phase} ${j.to}` };
}

export function guardStop(o: GuardOptions): GuardResult {
  const j = readSwitch(o.stateDir);
  if (!j || j.phase !== 'trying') return { action: 'none', line: 'update guard: no version on trial' };
  const reason = stopReason(o.env ?? process.env);
  j.failures.push({ at: o.now ?? Date.now(), reason });
  if (j.failures.length >= o.maxFailures) return rollBack(o, j, `${reason} (${j.failures.length} times)`);
  writeSwitch(o.stateDir, j);
  return { action: 'counted', line: `update guard: version ${j.to} ${reason}: failure ${j.failures.length} of ${o.maxFailures} before it is rolled back` };
}

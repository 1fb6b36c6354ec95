// chot update guard start|stop: run by systemd around every start and stop of the kiosk (ExecStartPre, ExecStopPost),
// from the last good version. It never fails the start: whatever it cannot do is said on stderr (the journal) and the
// kiosk starts all the same.
import { guardStart, guardStop } from '../../kiosk/src/update/guard.js';
import { parse, UsageError } from './usage.js';
import { usageOf } from './commands.js';

export function update(args: string[]): number {
  const [verb, ...rest] = args;
  const USAGE = usageOf('update', 'guard');
  if (verb !== 'guard') throw new UsageError(`unknown update command ${JSON.stringify(verb ?? '')}\n${USAGE}`);
  const { values, positionals } = parse(rest, { 'state-dir': { type: 'string', default: '/var/lib/chot' }, dir: { type: 'string', default: '/opt/chot' }, 'max-failures': { type: 'string', default: '3' } }, USAGE);
  const event = positionals[0];
  if (positionals.length !== 1 || (event !== 'start' && event !== 'stop')) throw new UsageError(`say start or stop\n${USAGE}`);
  const maxFailures = Number(values['max-failures']);
  if (!Number.isInteger(maxFailures) || maxFailures < 1 || maxFailures > 20) throw new UsageError(`--max-failures ${JSON.stringify(values['max-failures'])} must be 1–20`);
  try {
    const r = (event === 'start' ? guardStart : guardStop)({ stateDir: values['state-dir']!, dir: values.dir!, maxFailures });
    process.stderr.write(`${r.line}\n`);
  } catch (e) {
    process.stderr.write(`update guard: ${(e as Error).message}; the kiosk starts as it is\n`);
  }
  return 0;
}

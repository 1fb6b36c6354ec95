// chot doctor: checks this kiosk and says what to do about anything wrong. Exit 1 when a check fails.
import { parse } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('doctor');

export async function doctor(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', default: '/etc/chot/kiosk.json' }, json: { type: 'boolean' } }, USAGE);
  const { doctor: run, formatChecks } = await import('../../kiosk/src/doctor.js');
  const checks = await run(values.config!);
  console.log(values.json ? JSON.stringify(checks) : formatChecks(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}

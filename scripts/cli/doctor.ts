// chot doctor: checks this kiosk and says what to do about anything wrong. Exit 1 when a check fails.
import { parse } from './usage.js';

const USAGE = 'usage: chot doctor [--config /etc/chot/kiosk.json] [--json]';

export async function doctor(args: string[]): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', default: '/etc/chot/kiosk.json' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) { console.log(USAGE); return 0; }
  const { doctor: run, formatChecks } = await import('../../kiosk/src/doctor.js');
  const checks = await run(values.config!);
  console.log(values.json ? JSON.stringify(checks) : formatChecks(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}

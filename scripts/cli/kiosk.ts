// chot kiosk run | enrol | failsafe
import { parse, need, UsageError } from './usage.js';
import { usageOf } from './commands.js';

export async function kiosk(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const USAGE = usageOf('kiosk', ['run', 'enrol', 'failsafe'].includes(verb) ? verb : undefined);
  const { values, positionals } = parse(rest, { config: { type: 'string' }, 'state-dir': { type: 'string' }, 'hub-web': { type: 'string' }, hub: { type: 'string' }, 'log-level': { type: 'string' } }, USAGE);
  const { parseLevel } = await import('../../lib/log.js');
  let logLevel;
  try { logLevel = parseLevel(values['log-level']); } catch (e) { throw new UsageError(`${(e as Error).message}\n${USAGE}`); }
  const main = await import('../../kiosk/src/main.js');
  const { ConfigError } = await import('../../kiosk/src/config.js');
  try {
    if (verb === 'run') {
      await main.runKiosk(need(values.config, '--config', USAGE), { logLevel });
      return new Promise<number>(() => {}); // runs until a signal stops it
    }
    if (verb === 'enrol') {
      if (positionals.length !== 1) throw new UsageError(`expected the enrolment code\n${USAGE}`);
      const { enrol, EnrolFailed } = await import('../../kiosk/src/enrol.js');
      const config = values.config ?? '/etc/chot/kiosk.json';
      try {
        // --hub: the earlier name of --hub-web, still taken
        const r = await enrol(config, positionals[0], { hubWeb: values['hub-web'] ?? values.hub });
        console.log(JSON.stringify({ enrolled: r.id, area: r.area, hub: r.hub, config, kept: r.file, next: 'systemctl restart chot-kiosk' }));
        return 0;
      } catch (e) {
        if (e instanceof EnrolFailed) { console.error(`chot kiosk enrol: ${e.message}`); return 1; }
        throw e;
      }
    }
    if (verb === 'failsafe') {
      console.log(main.failSafeFromDisk(values.config, values['state-dir']));
      return 0;
    }
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    // not a usage error: the kiosk could not start (hardware, disk); one line, exit 1
    console.error(`chot kiosk ${verb}: ${(e as Error).message}`);
    return 1;
  }
  throw new UsageError(`unknown kiosk command ${JSON.stringify(verb ?? '')}\n${USAGE}`);
}

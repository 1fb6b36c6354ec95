// chot kiosk run | failsafe
import { parse, need, UsageError } from './usage.js';

const USAGE = `usage: chot kiosk run --config /etc/chot/kiosk.json
       chot kiosk failsafe [--config FILE] [--state-dir DIR]   (relay released, red lamp on: systemd ExecStopPost)`;

export async function kiosk(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const { values } = parse(rest, { config: { type: 'string' }, 'state-dir': { type: 'string' } }, USAGE);
  if (values.help || verb === '--help') { console.log(USAGE); return 0; }
  const main = await import('../../kiosk/src/main.js');
  const { ConfigError } = await import('../../kiosk/src/config.js');
  try {
    if (verb === 'run') {
      await main.runKiosk(need(values.config, '--config', USAGE));
      return new Promise<number>(() => {}); // runs until a signal stops it
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

// chot hub run: the hub program. Loads the config, starts the hub, stops cleanly on SIGTERM / Ctrl-C.
import { loadHubConfig } from './config.js';
import { Hub } from './hub.js';
import { SystemdNotify } from '../../lib/systemd-notify.js';
import { makeLogger, type Level, type Logger } from '../../lib/log.js';

/** One line per call at its level (lib/log.ts): the hub's warnings and errors reach journald at their priority. */
export let log: Logger = makeLogger();

export async function runHub(configPath?: string, opts: { logLevel?: Level } = {}): Promise<Hub> {
  if (opts.logLevel) log = makeLogger({ level: opts.logLevel });
  const config = loadHubConfig(configPath);
  const hub = await Hub.start(config, log);
  const systemd = new SystemdNotify(process.env, log);
  systemd.ready(`hub: MQTT on ${hub.ports.mqtt}, dashboard on ${hub.ports.http}`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`hub: ${sig}: stopping`);
    systemd.stopping();
    hub.stop().then(() => process.exit(0), (e) => { log(`hub: error while stopping: ${(e as Error).message}`, 'error'); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return hub;
}

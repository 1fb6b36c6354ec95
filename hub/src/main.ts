// chot hub run: the hub program. Loads the config, starts the hub, stops cleanly on SIGTERM / Ctrl-C.
import { loadHubConfig } from './config.js';
import { Hub } from './hub.js';
import { SystemdNotify } from '../../lib/systemd-notify.js';

export const log = (line: string): void => { process.stderr.write(`${line}\n`); };

export async function runHub(configPath?: string): Promise<Hub> {
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
    hub.stop().then(() => process.exit(0), (e) => { log(`hub: error while stopping: ${(e as Error).message}`); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return hub;
}

// Connects the update agent to a running kiosk: rollouts from the uplink, scans from the kiosk (the lane's activity),
// its state into the kiosk's status, and the restart through systemd (SIGTERM to itself: the same orderly stop as
// `systemctl stop`, gate shut first; Restart=always then starts `current`).
import { readFileSync } from 'node:fs';
import type { Kiosk } from '../kiosk.js';
import type { KioskConfig } from '../config.js';
import type { Log } from '../../../lib/log.js';
import { Updater } from './agent.js';
import { RUNNING } from './version.js';

/** Wires the agent; call start() on it once systemd has READY. */
export function startUpdates(kiosk: Kiosk, config: KioskConfig, log: Log): Updater {
  let ca: Buffer | undefined;
  if (config.hub.ca) { try { ca = readFileSync(config.hub.ca); } catch (e) { log(`update: cannot read hub.ca ${config.hub.ca} (${(e as Error).message}): bundles are fetched without it`, 'warn'); } }
  let pending: NodeJS.Timeout | null = null;
  const u = new Updater({
    kioskId: config.kiosk.id, stateDir: config.stateDir, settings: { ...config.update, web: config.update.web ?? config.hub.web },
    timeZone: kiosk.store.db.data.hubConfig?.timeZone ?? config.kiosk.timeZone, running: RUNNING, trust: () => kiosk.store.trust, ca, log,
    // at most one status a second while a download counts up its per cent
    changed: () => { if (!pending) { pending = setTimeout(() => { pending = null; kiosk.uplink?.publishStatus(kiosk.status()); }, 1000); pending.unref(); } },
    restart: () => { process.kill(process.pid, 'SIGTERM'); },
  });
  kiosk.updateStatus = () => u.status();
  kiosk.on('scan', (v) => u.scanned(v.record.at));
  kiosk.uplink?.on('rollout', (bytes) => u.rollout(bytes));
  // after the kiosk's own handler (registered first) has taken the new list
  kiosk.uplink?.on('trust', () => u.retry());
  return u;
}

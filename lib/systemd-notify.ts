// The systemd notify protocol (Type=notify, WatchdogSec=): READY=1 once the program is serving, WATCHDOG=1 every
// half watchdog period while its event loop is alive, STOPPING=1 on the way out. Node cannot send unix datagrams
// itself, so systemd-notify (part of systemd on every Raspberry Pi OS) sends them; the units say NotifyAccess=all
// for that reason. Without NOTIFY_SOCKET (not under systemd: a terminal, a test) nothing is sent.
import { spawn } from 'node:child_process';

export class SystemdNotify {
  private timer: NodeJS.Timeout | null = null;
  readonly socket: string | undefined;
  private readonly watchdogMs: number | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env, private readonly log: (l: string) => void = () => {}) {
    this.socket = env.NOTIFY_SOCKET;
    const usec = Number(env.WATCHDOG_USEC);
    // WATCHDOG_PID, when set, names the process the watchdog is for
    this.watchdogMs = usec > 0 && (!env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid) ? usec / 1000 : undefined;
  }

  private send(fields: string[]): void {
    if (!this.socket) return;
    const p = spawn('systemd-notify', [`--pid=${process.pid}`, ...fields], { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: this.socket } });
    p.on('error', (e) => this.log(`systemd: cannot run systemd-notify (${e.message}): is systemd installed?`));
  }

  /** READY=1, and the watchdog pings from now on (only while `healthy()` says so). */
  ready(status: string, healthy: () => boolean = () => true): void {
    this.send(['--ready', `--status=${status}`]);
    if (this.watchdogMs && !this.timer) {
      this.timer = setInterval(() => { if (healthy()) this.send(['WATCHDOG=1']); }, this.watchdogMs / 2);
      this.timer.unref();
    }
  }

  status(text: string): void {
    this.send([`--status=${text}`]);
  }

  stopping(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send(['STOPPING=1']);
  }
}

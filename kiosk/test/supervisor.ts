// systemd as far as chot-kiosk.service asks of it, for machines where systemd is not PID 1 (this one, CI): the unit
// file itself is read (ExecStartPre, ExecStart, ExecStopPost, TimeoutStartSec, Restart=always), its paths moved into the
// test's folder, and each command run as a real process. READY=1 comes over a real notify socket (socat listening on
// a unix datagram socket, as systemd does); a start that sends no READY within the timeout is killed (SIGTERM) and
// reported as SERVICE_RESULT=timeout; every stop runs ExecStopPost with SERVICE_RESULT, EXIT_CODE and EXIT_STATUS set
// the way systemd sets them; then the service is started again.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sleep, waitFor } from './rig.js';

const UNIT = new URL('../../../systemd/chot-kiosk.service', import.meta.url).pathname;

export interface Run { version: string; pid: number; ready: boolean; result?: string; exitStatus?: string; log: string }

export interface SupervisorOptions {
  /** the unit's /opt/chot */
  dir: string;
  stateDir: string;
  config: string;
  /** the unit's TimeoutStartSec, shortened for the test */
  startTimeoutMs: number;
  restartMs: number;
  /** the compiled chot program the unit's /opt/chot/{good,current}/dist/scripts/chot.js stands for */
  notifySocket: string;
}

export class Supervisor {
  readonly runs: Run[] = [];
  readonly guardLog: string[] = [];
  private child: ChildProcess | null = null;
  private stopping = false;
  private received = '';
  private listener: ChildProcess | null = null;
  private loop: Promise<void> | null = null;
  readonly unit: { pre: string[][]; start: string[]; post: string[][] };

  constructor(private readonly o: SupervisorOptions) {
    const text = readFileSync(UNIT, 'utf8');
    const cmd = (line: string) => line.replace(/^-/, '').replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/chot', o.dir)
      .replaceAll('/etc/chot/kiosk.json', o.config).replaceAll('/var/lib/chot', o.stateDir).split(/\s+/);
    const all = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.+)$`, 'gm'))].map((m) => cmd(m[1]));
    this.unit = { pre: all('ExecStartPre'), start: all('ExecStart')[0], post: all('ExecStopPost') };
    if (!/^Restart=always$/m.test(text) || !/^Type=notify$/m.test(text)) throw new Error('the unit is no longer Type=notify with Restart=always: this supervisor does not model it');
  }

  async start(): Promise<void> {
    this.listener = spawn('socat', ['-u', `UNIX-RECV:${this.o.notifySocket}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.listener.stdout!.on('data', (d) => { this.received += d; });
    await waitFor('the notify socket', () => { try { readFileSync(this.o.notifySocket); return false; } catch (e) { return ['ENXIO', 'EOPNOTSUPP', 'EINVAL'].includes((e as NodeJS.ErrnoException).code ?? ''); } }, 5000);
    this.loop = this.run();
  }

  private exec(argv: string[], env: NodeJS.ProcessEnv = {}): string {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: { ...process.env, ...env } });
    return `${r.stdout}${r.stderr}`;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      for (const c of this.unit.pre) this.guardLog.push(this.exec(c).trim());
      const version = basename(readlinkSync(join(this.o.dir, 'current')));
      const from = this.received.length;
      const child = spawn(this.unit.start[0], this.unit.start.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: this.o.notifySocket } });
      this.child = child;
      const run: Run = { version, pid: child.pid!, ready: false, log: '' };
      this.runs.push(run);
      child.stdout!.on('data', (d) => { run.log += d; });
      child.stderr!.on('data', (d) => { run.log += d; if (process.env.CHOT_TEST_VERBOSE) process.stderr.write(`[${version}] ${d}`); });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
      let timedOut = false;
      const deadline = Date.now() + this.o.startTimeoutMs;
      const watch = (async () => {
        while (child.exitCode === null && child.signalCode === null) {
          if (!run.ready && this.received.slice(from).includes('READY=1')) run.ready = true;
          if (!run.ready && Date.now() > deadline) { timedOut = true; child.kill('SIGTERM'); return; }
          await sleep(25);
        }
      })();
      const { code, signal } = await exited;
      await watch;
      // SERVICE_RESULT, EXIT_CODE, EXIT_STATUS as systemd gives them to ExecStopPost
      const env = timedOut ? { SERVICE_RESULT: 'timeout', EXIT_CODE: 'killed', EXIT_STATUS: 'TERM' }
        : signal ? { SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: signal.replace(/^SIG/, '') }
        : code === 0 ? { SERVICE_RESULT: 'success', EXIT_CODE: 'exited', EXIT_STATUS: '0' }
        : { SERVICE_RESULT: 'exit-code', EXIT_CODE: 'exited', EXIT_STATUS: String(code) };
      // a stop asked for (systemctl stop) is a success, like systemd's SIGTERM of a clean service
      if (this.stopping && signal === 'SIGTERM') Object.assign(env, { SERVICE_RESULT: 'success', EXIT_CODE: 'killed', EXIT_STATUS: 'TERM' });
      run.result = env.SERVICE_RESULT;
      run.exitStatus = env.EXIT_STATUS;
      for (const c of this.unit.post) this.guardLog.push(this.exec(c, env).trim());
      this.child = null;
      if (this.stopping) break;
      await sleep(this.o.restartMs); // RestartSec
    }
  }

  /** The run now going, once it has sent READY=1. */
  async ready(version: string, timeoutMs = 20_000): Promise<Run> {
    return waitFor(`version ${version} to send READY=1`, () => { const r = this.runs.at(-1); return r && r.version === version && r.ready && r.result === undefined ? r : undefined; }, timeoutMs);
  }

  /** systemctl stop: SIGTERM, wait, ExecStopPost. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.child?.kill('SIGTERM');
    await this.loop;
    this.listener?.kill();
  }

  kill(): void {
    this.stopping = true;
    this.child?.kill('SIGKILL');
    this.listener?.kill();
  }
}

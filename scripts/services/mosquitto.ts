// A throwaway Mosquitto 2 broker for tests and benchmarks (Debian's mosquitto package): a temporary folder, a
// loopback port, persistence on (so a restart keeps sessions), and optionally the dynamic-security plugin with an
// admin user made by mosquitto_ctrl. Stopped and removed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LocalMosquitto {
  url: string;
  port: number;
  dir: string;
  admin?: { username: string; password: string };
  /** the broker's process id (CPU time in benchmarks) */
  pid(): number;
  /** SIGTERM (mosquitto saves its sessions), then the same broker again on the same port */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function dynsecPlugin(): string | undefined {
  for (const d of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/lib']) {
    const p = join(d, 'mosquitto_dynamic_security.so');
    if (existsSync(p)) return p;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function listening(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const s = createConnection(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMosquitto(opts: { dynsec?: boolean } = {}): Promise<LocalMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'chot-mosquitto-'));
  const port = await freePort();
  let admin: LocalMosquitto['admin'];
  const lines = [
    'per_listener_settings false', `listener ${port} 127.0.0.1`, 'persistence true', `persistence_location ${dir}/`,
    'max_queued_messages 100000', 'max_inflight_messages 100', `user ${userInfo().username}`, 'log_type error', 'log_type warning',
  ];
  if (opts.dynsec) {
    const plugin = dynsecPlugin();
    if (!plugin) throw new Error('mosquitto_dynamic_security.so not found: install Debian\'s mosquitto package (2.0 or later)');
    admin = { username: 'chot-admin', password: randomBytes(12).toString('base64url') };
    const init = spawnSync('mosquitto_ctrl', ['dynsec', 'init', join(dir, 'dynsec.json'), admin.username, admin.password], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr || init.stdout}`);
    lines.push(`plugin ${plugin}`, `plugin_opt_config_file ${join(dir, 'dynsec.json')}`, 'allow_anonymous false');
  } else {
    lines.push('allow_anonymous true');
  }
  writeFileSync(join(dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  let child: ChildProcess;
  const launch = async () => {
    // its log is not read: a pipe nobody drains fills up and blocks mosquitto
    child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await listening(port);
  };
  await launch();
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  };
  return {
    url: `mqtt://127.0.0.1:${port}`, port, dir, admin, pid: () => child.pid!,
    restart: async () => { await kill('SIGTERM'); await launch(); },
    stop: async () => { await kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
}

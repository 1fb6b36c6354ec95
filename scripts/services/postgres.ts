// A throwaway PostgreSQL server for tests and benchmarks: initdb and pg_ctl (Debian's postgresql package) in a
// temporary folder, on a loopback port, as an unprivileged user (PostgreSQL refuses to run as root: as root the
// folder is given to the `postgres` system user that Debian's package creates). Stopped and removed by stop().
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalPostgres {
  url: string;
  port: number;
  dir: string;
  /** pg_ctl stop -m fast: connections are cut, the server is gone */
  halt(): void;
  /** starts the same cluster again on the same port */
  resume(): void;
  /** stops the server and removes its folder */
  stop(): void;
}

export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v) && Number(v) >= 15 && existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export async function startPostgres(name = 'chot'): Promise<LocalPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL 15 or later is not installed: run "apt-get install postgresql" (npm test does it when run as root)');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), `chot-pg-${name}-`));
  const data = join(dir, 'data');
  let uid = -1, gid = -1;
  if (root) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root, and there is no "postgres" system user to run PostgreSQL as: install Debian\'s postgresql package');
    uid = Number(id.stdout.trim());
    gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) => {
    const r = root
      ? spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', join(bin, cmd), ...args], { encoding: 'utf8', cwd: dir })
      : spawnSync(join(bin, cmd), args, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  };
  run('initdb', ['-D', data, '-U', 'chot', '-A', 'trust', '-E', 'UTF8', '--no-locale']);
  const port = await freePort();
  // fsync stays on: the tests are about durability
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  start();
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'chot', name]);
  let stopped = false;
  return {
    url: `postgres://chot@127.0.0.1:${port}/${name}`, port, dir,
    halt: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    resume: start,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try { run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* already stopped */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

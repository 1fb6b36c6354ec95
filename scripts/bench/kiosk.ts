// Kiosk benchmarks: serial code in → relay actuated, journal throughput with group commit, memory and
// start-up time of a real `chot kiosk run` process.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { buildStatusList, ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { checkConfig } from '../../kiosk/src/config.js';
import { buildKiosk } from '../../kiosk/src/main.js';
import { SimGpio } from '../../kiosk/src/gpio/sim.js';
import { SerialScanner } from '../../kiosk/src/scan/serial.js';
import { Journal } from '../../kiosk/src/journal/journal.js';
import { makeWorld, pty, killAll } from '../../kiosk/test/rig.js';
import { percentile, printTable, type Row } from './measure.js';

export async function benchScanToRelay(n = 10_000): Promise<void> {
  const w = makeWorld('bench-kiosk');
  const port = await pty(w.dir);
  const gpio = new SimGpio(undefined, true);
  const config = checkConfig({
    kiosk: { id: 'bench', area: '79/26734' }, rootKey: w.rootPub, stateDir: join(w.dir, 'state'),
    scanner: { type: 'serial', path: port.scanner }, gpio: { driver: 'sim' }, clock: { syncedFile: join(w.dir, 'synced') },
  });
  writeFileSync(join(w.dir, 'synced'), '');
  const scanner = new SerialScanner({ path: port.scanner });
  const kiosk = await buildKiosk(config, { gpio, sources: [scanner] }, () => {});
  kiosk.store.applyTrust(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'))), Date.now());
  kiosk.store.applyStatus(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'status.cose'))), Date.now());
  await new Promise((r) => setTimeout(r, 300));
  const passes = Array.from({ length: n }, () => w.pass().text);
  const lat: number[] = [];
  const relayPin = 22;
  for (const text of passes) {
    const before = gpio.timeline.length;
    const t0 = performance.now();
    await port.write(`${text}\r`);
    // wait for this code's relay-on edge
    for (;;) {
      const hit = gpio.timeline.slice(before).find((c) => c.pin === relayPin && c.on);
      if (hit) { lat.push(hit.t - t0); break; }
      await new Promise((r) => setImmediate(r));
    }
  }
  await kiosk.stop();
  await port.close();
  lat.sort((a, b) => a - b);
  printTable(`Serial code in → relay actuated (${n.toLocaleString('en-US')} valid passes through a real pty, journal with group commit)`, [
    { measure: 'p50', ms: percentile(lat, 50) }, { measure: 'p99', ms: percentile(lat, 99) }, { measure: 'max', ms: lat[lat.length - 1] },
  ]);
}

export async function benchJournal(): Promise<void> {
  const ids = new ScanIdGenerator();
  const rows: Row[] = [];
  for (const [label, commitMs, n] of [['fdatasync after every record', 0, 2000], ['group commit, 50 ms', 50, 50_000]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'chot-bench-journal-'));
    const j = Journal.open(dir, { commitMs, segmentBytes: 8 * 1024 * 1024, maxBytes: 512 * 1024 * 1024 });
    const rec = (): ScanRecord => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 1.2, passId: '0123456789abcdef', holder: 'fedcba9876543210', category: 'shipper' });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) j.append(rec());
    await j.flush();
    const s = (performance.now() - t0) / 1000;
    rows.push({ mode: label, scans: n, 'scans/s (on disk)': n / s, fdatasyncs: j.stats.fsyncs, 'µs per scan': (s * 1e6) / n });
    j.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable('Journal throughput (scans made durable per second, this disk)', rows);
}

async function startupOnce(w: ReturnType<typeof makeWorld>, withBigList: boolean): Promise<{ readyMs: number; rssMb: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'chot-bench-state-'));
  if (withBigList) {
    const list = buildStatusList(2, 0, Array.from({ length: 500_000 }, () => [new Uint8Array(randomBytes(8)), 'F1'] as const) as never, Array.from({ length: 500_000 }, () => new Uint8Array(randomBytes(8))));
    writeFileSync(join(stateDir, 'status.cose'), w.signStatus(list));
    writeFileSync(join(stateDir, 'trust.cose'), readFileSync(join(w.dir, 'hub', 'lists', 'trust.cose')));
  }
  const cfg = join(w.dir, `bench-${withBigList}.json`);
  writeFileSync(cfg, JSON.stringify({ kiosk: { id: 'bench' }, rootKey: w.rootPub, stateDir, scanner: { type: 'none' }, gpio: { driver: 'sim' } }));
  const t0 = performance.now();
  const child = spawn(process.execPath, [new URL('../chot.js', import.meta.url).pathname, 'kiosk', 'run', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const readyMs = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d) => { log += d; if (log.includes('ready')) resolve(performance.now() - t0); });
    child.on('exit', () => reject(new Error(`kiosk exited: ${log}`)));
  });
  await new Promise((r) => setTimeout(r, 500));
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(stateDir, { recursive: true, force: true });
  return { readyMs, rssMb: rss };
}

export async function benchKioskProcess(): Promise<void> {
  const w = makeWorld('bench-start');
  const rows: Row[] = [];
  for (const big of [false, true]) {
    const r = await startupOnce(w, big);
    rows.push({ lists: big ? 'status list of 1,000,000 entries' : 'none yet', 'start → ready (ms)': r.readyMs, 'RSS (MB)': r.rssMb });
  }
  printTable('chot kiosk run: start-up and memory (targets: ready under 2 s, RSS under 120 MB)', rows);
  killAll();
}

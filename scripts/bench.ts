// npm run bench: every benchmark of the project, one table each, in one run. `npm run bench -- status` runs
// only the sections whose name matches.
import { benchInflate, benchStatusList, benchVerify } from './bench/protocol.js';
import { benchDcc } from './bench/dcc.js';
import { benchFuzz } from './bench/fuzz.js';
import { benchCamera, benchFrameToRelay } from './bench/camera.js';
import { benchJournal, benchKioskProcess, benchScanToRelay } from './bench/kiosk.js';

const SECTIONS: Array<[string, () => void | Promise<void>]> = [
  ['verify', benchVerify],
  ['status-list', benchStatusList],
  ['inflate', benchInflate],
  ['fuzz', benchFuzz],
  ['dcc', benchDcc],
  ['camera', benchCamera],
  ['camera-latency', () => benchFrameToRelay()],
  ['kiosk-latency', () => benchScanToRelay()],
  ['kiosk-journal', benchJournal],
  ['kiosk-process', benchKioskProcess],
];

const only = process.argv[2];
console.log(`# chot benchmarks: node ${process.version}, ${process.arch}, ${(await import('node:os')).cpus()[0]?.model ?? 'cpu'} × ${(await import('node:os')).availableParallelism()}`);
for (const [name, fn] of SECTIONS) {
  if (only && !name.includes(only)) continue;
  await fn();
}
process.exit(0);

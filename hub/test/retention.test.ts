// Raw scan files past the retention period are deleted at start-up, but their days keep the figures saved
// before: operators can still read 2021's throughput after the raw scans are gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hub } from '../src/hub.js';
import { checkHubConfig } from '../src/config.js';
import { Figures } from '../src/figures.js';
import { LowdbFiguresStorage } from '../src/store/figures-lowdb.js';
import { ScanIdGenerator } from '../../protocol/src/index.js';

test('an old raw file is pruned at start-up and its day keeps its saved figures', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chot-retention-'));
  mkdirSync(join(dataDir, 'scans'), { recursive: true });
  const at = Date.parse('2021-09-10T08:00:00+07:00');
  const ids = new ScanIdGenerator();
  const lines = [0, 1, 2].map(() => JSON.stringify({ id: ids.next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 1, k: 'booth-1', rx: at, day: '2021-09-10' }));
  writeFileSync(join(dataDir, 'scans', '2021-09-10.jsonl'), lines.join('\n') + '\n');
  // the figures saved while the raw file was still kept
  const before = new Figures('Asia/Ho_Chi_Minh', new LowdbFiguresStorage(join(dataDir, 'figures.json')), () => '79');
  for (const l of lines) before.add('booth-1', JSON.parse(l));
  await before.flush();

  const hub = await Hub.start(checkHubConfig({ dataDir, retentionDays: 30, mqtt: { host: '127.0.0.1', port: 0 }, http: { port: 0 } }), () => {});
  try {
    assert.not.ok(existsSync(join(dataDir, 'scans', '2021-09-10.jsonl')), 'the raw file is past retention');
    assert.is(hub.figures.report('2021-09-10').nationwide.scans, 3, 'and the day still has its figures');
  } finally {
    await hub.stop();
  }
});

test.run();

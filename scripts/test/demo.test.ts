// npm run demo, for a few seconds: the hub's figures must match what the kiosks signalled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

test('the demo runs, every reason of the mix shows up, and the hub counts exactly what the kiosks signalled', () => {
  const r = spawnSync(process.execPath, [new URL('../demo.js', import.meta.url).pathname, '--seconds', '8', '--every', '60'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr.slice(-2000));
  assert.match(r.stdout, /dashboard: {2}http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(r.stdout, /log in as: {2}demo \/ \S+/);
  assert.match(r.stdout, /officer screen of hcm-q1-001 \(79\/26734\): http:\/\/127\.0\.0\.1:\d+\//);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { signalled: { green: number; red: number }; hub: { scans: number; green: number; red: number; reasons: Record<string, number> }; backlog: number[] };
  assert.ok(summary.signalled.green + summary.signalled.red > 60, JSON.stringify(summary));
  assert.equal([summary.hub.green, summary.hub.red], [summary.signalled.green, summary.signalled.red]);
  assert.equal(summary.backlog, [0, 0]);
  for (const reason of ['expired', 'wrong-area', 'bad-signature', 'unsupported-format']) assert.ok(summary.hub.reasons[reason] > 0, `${reason} in ${JSON.stringify(summary.hub.reasons)}`);
  assert.not.ok(summary.hub.reasons['issuer-not-allowed'], 'the demo issues every pass within its issuer\'s rights');
  assert.match(r.stdout, /health-status {6}Bùi Thị Hoa/, 'the holder marked F0 during the demo turned red');
});

test.run();

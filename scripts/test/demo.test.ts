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
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { signalled: { green: number; red: number }; unexpected: unknown[]; hub: { scans: number; green: number; red: number; reasons: Record<string, number> }; backlog: number[] };
  assert.ok(summary.signalled.green + summary.signalled.red > 60, JSON.stringify(summary));
  assert.equal([summary.hub.green, summary.hub.red], [summary.signalled.green, summary.signalled.red]);
  assert.equal(summary.backlog, [0, 0]);
  for (const reason of ['expired', 'wrong-area', 'bad-signature', 'unsupported-format']) assert.ok(summary.hub.reasons[reason] > 0, `${reason} in ${JSON.stringify(summary.hub.reasons)}`);
  assert.not.ok(summary.hub.reasons['issuer-not-allowed'], 'the demo issues every pass within its issuer\'s rights');
  // every kind of pass got the verdict it is in the mix for: the valid ones green whatever the hour of the run
  assert.equal(summary.unexpected, [], 'each scan has the reason its kind expects');
  assert.ok(summary.hub.green > 0);
  assert.ok(summary.hub.reasons['outside-hours'] > 0, 'the one kind with hours closed now');
  assert.match(r.stdout, /health-status +Bùi Thị Hoa/, 'the holder marked F0 during the demo turned red');
});

test('the console columns line up: each field of every scan row starts where the header\'s does', () => {
  const r = spawnSync(process.execPath, [new URL('../demo.js', import.meta.url).pathname, '--seconds', '4', '--every', '80'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr.slice(-2000));
  const lines = r.stdout.split('\n');
  const header = lines.find((l) => l.startsWith('kiosk '))!;
  assert.ok(header, r.stdout);
  const starts = ['verdict', 'reason', 'name', 'message'].map((f) => [...header].join('').indexOf(`  ${f}`) + 2);
  const rows = lines.filter((l) => /^hcm-/.test(l));
  assert.ok(rows.length > 20, `${rows.length} rows`);
  for (const l of rows) {
    const chars = [...l.normalize('NFC')];
    const bounds = [0, ...starts];
    bounds.forEach((at, i) => {
      const field = chars.slice(at, bounds[i + 1] ?? chars.length).join('');
      // a field sits in its column: it starts there (or is empty, as a web link has no name) and, but for the
      // last, ends in the two spaces before the next
      assert.ok(field.trim() === '' || field[0] !== ' ', `a field starts at column ${at}:\n${header}\n${l}`);
      if (i < starts.length) assert.ok(field.endsWith('  '), `the field at column ${at} spills over:\n${header}\n${l}`);
    });
  }
  // the widest name, in Vietnamese, does not push the message out of its column
  assert.ok(rows.some((l) => l.includes('Nguyễn Thị Hồng Nhung')) || rows.length < 60);
});

test.run();

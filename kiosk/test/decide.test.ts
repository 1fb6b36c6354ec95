// The kiosk's decision as a pure function, with plain values: a code, the lists, the clock's state and the
// checkpoint in; the verdict, the scan record and the warnings out. No hub, no disk, no clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStatusList, openTrustList, type ScanRecord } from '../../protocol/src/index.js';
import { decide, overrideRecord, scanLine, type DecisionInput } from '../src/decide.js';
import { makeWorld } from './rig.js';

const w = makeWorld('decide');
const trust = openTrustList(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'))), w.root.publicKey);
const status = buildStatusList(1, 0, [], []);
const NOW = Date.now();
const ID = '01J0000000000000000000000A';

function input(text: string, over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    text, source: 'serial', id: ID, wall: NOW, clock: { synced: true, source: 'ntp' }, listAgeMs: 60_000, trust, status,
    checkpoint: { area: '79/26734', timeZone: 'Asia/Ho_Chi_Minh' },
    policy: { unsyncedPolicy: 'check-time', skewSeconds: 300, maxListAgeHours: 48 },
    ...over,
  };
}
const sec = Math.floor(NOW / 1000);
// every pass dated from NOW, not from when it is made: the whole suite is imported before it runs, so a test may
// start minutes after NOW was read on a busy machine (a pass dated then would not be valid yet at NOW)
const pass = (over: Parameters<typeof w.pass>[0] = {}) => w.pass({ issuedAt: sec - 60, validFrom: sec - 60, validUntil: sec + 7 * 86400, declaredAt: sec - 60, ...over });
const expired = pass({ validFrom: sec - 7200, issuedAt: sec - 7200, validUntil: sec - 3600 }).text;

test('a valid pass: green, and the record the hub gets says what was decided, with the holder as a token only', () => {
  const p = pass();
  const d = decide(input(p.text));
  assert.is(d.verdict.verdict, 'green', d.verdict.detail);
  assert.equal(d.warnings, []);
  assert.is(d.record.id, ID);
  assert.is(d.record.at, NOW);
  assert.equal([d.record.verdict, d.record.reason, d.record.format, d.record.source, d.record.clockSynced], ['green', 'ok', 'pass', 'serial', true]);
  assert.is(d.record.category, 'resident');
  assert.ok(d.record.holder && d.record.passId, 'holder token and pass id for the hub\'s clone and revocation checks');
  assert.is(d.record.origin, 'VN-79', 'the province of the issuer that signed: the hub counts movement between provinces');
  assert.not.ok(JSON.stringify(d.record).includes('Phạm Thị Lan') || JSON.stringify(d.record).includes('2468'), 'no name or ID digits in the record');
  assert.equal(decide(input(p.text)), d, 'the same inputs, the same decision');
});

test('each reason a pass is refused for, decided from plain values', () => {
  const cases: Array<[string, string]> = [
    [expired, 'expired'],
    [pass({ areas: ['79/99999'] }).text, 'wrong-area'],
    [pass({ health: 'F0' }).text, 'health-status'],
    [pass({ category: 'official' }).text, 'issuer-not-allowed'],
    ['https://example.vn/not-a-pass', 'unsupported-format'],
  ];
  for (const [text, reason] of cases) {
    const d = decide(input(text));
    assert.equal([d.verdict.verdict, d.record.reason], ['red', reason], d.verdict.detail);
    if (reason === 'unsupported-format') assert.is(d.record.origin, undefined, 'a code that did not verify has no origin');
  }
  const p = pass();
  const f0 = buildStatusList(2, 0, [[p.pass.holderToken, 'F0']], []);
  assert.is(decide(input(p.text, { status: f0 })).verdict.reason, 'health-status', 'the status list turns a valid pass red');
  assert.is(decide(input(p.text, { checkpoint: { area: '79/26734', acceptedCategories: ['shipper'] } })).verdict.reason, 'category-refused');
});

test('an unsynchronised clock: a warning on every verdict, and the policy decides whether time is checked', () => {
  const clock = { synced: false, source: 'none' as const };
  const policy = (unsyncedPolicy: 'check-time' | 'skip-time' | 'refuse') => ({ clock, policy: { unsyncedPolicy, skewSeconds: 300, maxListAgeHours: 48 } });
  const check = decide(input(expired, policy('check-time')));
  assert.equal([check.record.reason, check.warnings, check.record.clockSynced], ['expired', ['clock-unsynced'], false]);
  assert.is(decide(input(expired, policy('skip-time'))).verdict.verdict, 'green', 'skip-time: expiry not decided');
  const refused = decide(input(pass().text, policy('refuse')));
  assert.equal([refused.verdict.verdict, refused.record.reason], ['red', 'clock-unsynced']);
});

test('a clock set from the hub decides at the hub\'s time, and the record carries that time', () => {
  const soon = pass({ validFrom: sec - 60, issuedAt: sec - 60, validUntil: sec + 30 }).text; // all relative to NOW: a slow machine may reach this test minutes after NOW was read
  assert.is(decide(input(soon)).verdict.verdict, 'green');
  const d = decide(input(soon, { clock: { synced: true, source: 'hub', offsetMs: 3_600_000 } }));
  assert.is(d.record.reason, 'expired', 'an hour on by the hub\'s clock, the pass has expired');
  assert.is(d.record.at, NOW + 3_600_000);
});

test('lists never received or older than lists.maxAgeHours are said on the verdict', () => {
  assert.equal(decide(input(pass().text, { listAgeMs: Infinity })).warnings, ['no-lists']);
  assert.equal(decide(input(pass().text, { listAgeMs: 49 * 3_600_000 })).warnings, ['lists-stale']);
  const empty = decide(input(pass().text, { listAgeMs: Infinity, trust: { version: 0, issuedAt: 0, entries: [], byKid: new Map() } }));
  assert.equal([empty.verdict.verdict, empty.record.reason], ['red', 'unknown-key'], 'no trust list: nothing is green');
});

test('the log line of a scan: id, verdict, reason, format, source, time and warnings; no name, ID digits, holder token or pass id', () => {
  const p = pass({ holderName: 'Trần Thị Bích', idLast4: '9753' });
  const d = decide(input(p.text, { clock: { synced: false, source: 'none' } }));
  d.record.ms = 3.25;
  const line = scanLine(d.record, d.warnings);
  assert.is(line, `scan ${ID}: green ok (pass, serial, 3.25 ms; clock-unsynced)`);
  for (const secret of ['Trần', 'Bích', '9753', d.record.holder!, d.record.passId!]) assert.not.ok(line.includes(secret), secret);
  const o: ScanRecord = overrideRecord(ID, NOW, { synced: true, source: 'ntp' });
  assert.equal([o.verdict, o.reason, o.source, o.override, o.at], ['green', 'override', 'button', true, NOW]);
  assert.is(scanLine(o), `scan ${ID}: green override (unknown, button, 0 ms)`);
});

test.run();

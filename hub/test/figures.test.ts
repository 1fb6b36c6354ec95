// Figures as operators read them: days that turn at 00:00 +07:00, a backlog delivered after midnight, kiosks
// whose clock was not synchronised, overrides, provinces and the nation, the ministry's pass-rate wording.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { counterDeltas, passRateText, placeScan, reportCsv, reportFrom } from '../src/figures.js';
import type { CounterRow } from '../src/store/port.js';

/** The pure figure functions with the counters kept in an array, as a store keeps them in a table. */
class Figures {
  private rows: CounterRow[] = [];
  constructor(private readonly tz: string, private readonly areaOf: (id: string) => string | undefined) {}
  add(kiosk: string, s: ScanRecord & { rx?: number }): void {
    const rx = s.rx ?? s.at;
    this.rows.push(...counterDeltas([{ ...s, k: kiosk, ...placeScan(s, rx, this.tz) }]));
  }
  rangeReport(from: string, to: string) {
    const sum = new Map<string, CounterRow>();
    for (const r of this.rows) {
      if (r.day < from || r.day > to) continue;
      const k = `${r.checkpoint}/${r.key}`;
      const e = sum.get(k);
      if (e) e.n += r.n; else sum.set(k, { ...r, day: from });
    }
    return reportFrom([...sum.values()], from, to, this.tz, this.areaOf);
  }
  report(day: string) { return this.rangeReport(day, day); }
}
const ids = new ScanIdGenerator();
const at = (iso: string) => Date.parse(iso);
const scan = (iso: string, over: Partial<ScanRecord> = {}): ScanRecord => ({ id: ids.next(at(iso)), at: at(iso), clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, category: 'resident', ...over });
const AREAS: Record<string, string> = { 'hcm-q1': '79/26734', 'hcm-q3': '79/27139', 'hn-bd': '01/00004' };
const make = () => new Figures('Asia/Ho_Chi_Minh', (id) => AREAS[id]);

test('the day turns at 00:00 +07:00: 23:59:59 and 00:00:00 local land on different days', () => {
  const f = make();
  f.add('hcm-q1', scan('2021-09-10T23:59:59+07:00'));
  f.add('hcm-q1', scan('2021-09-11T00:00:00+07:00'));
  f.add('hcm-q1', scan('2021-09-10T16:59:59Z')); // the same instant as 23:59:59 +07:00
  assert.is(f.report('2021-09-10').nationwide.scans, 2);
  assert.is(f.report('2021-09-11').nationwide.scans, 1);
  assert.is(f.report('2021-09-10').nationwide.hours[23], 2);
  assert.is(f.report('2021-09-11').nationwide.hours[0], 1);
});

test('a backlog delivered after midnight counts on the day it was scanned; an unsynchronised clock counts by arrival, flagged', () => {
  const f = make();
  const late = { ...scan('2021-09-10T22:00:00+07:00'), rx: at('2021-09-11T03:00:00+07:00') };
  f.add('hcm-q1', late);
  const unsynced = { ...scan('1970-01-02T00:00:00Z', { clockSynced: false }), rx: at('2021-09-11T03:00:00+07:00') };
  f.add('hcm-q1', unsynced);
  assert.is(f.report('2021-09-10').nationwide.scans, 1);
  const d11 = f.report('2021-09-11').nationwide;
  assert.is(d11.scans, 1);
  assert.is(d11.unsynced, 1);
  assert.is(d11.hours[3], 1);
});

test('per checkpoint, per province and nationwide; red by reason and category; overrides apart; p50/p95', () => {
  const f = make();
  for (let i = 0; i < 90; i++) f.add('hcm-q1', scan('2021-09-10T08:00:00+07:00', { ms: 1.5 }));
  for (let i = 0; i < 6; i++) f.add('hcm-q3', scan('2021-09-10T09:00:00+07:00', { verdict: 'red', reason: 'expired', ms: 4 }));
  for (let i = 0; i < 4; i++) f.add('hn-bd', scan('2021-09-10T10:00:00+07:00', { verdict: 'red', reason: 'health-status', category: 'shipper', ms: 40 }));
  f.add('hn-bd', scan('2021-09-10T10:05:00+07:00', { override: true, format: 'unknown', source: 'button', reason: 'override', ms: 0 }));
  const r = f.report('2021-09-10');
  assert.is(r.nationwide.scans, 100);
  assert.is(r.nationwide.green, 90);
  assert.is(r.nationwide.red, 10);
  assert.is(r.nationwide.overrides, 1);
  assert.equal(r.nationwide.reasons, { expired: 6, 'health-status': 4 });
  assert.equal(r.nationwide.categories, { resident: 96, shipper: 4 });
  assert.is(r.nationwide.passRateText, '90 / 100 (90.0 %)');
  assert.equal(r.provinces.map((p) => p.province), ['01', '79']);
  assert.is(r.provinces[1].scans, 96);
  assert.is(r.checkpoints.find((c) => c.id === 'hn-bd')!.overrides, 1);
  assert.is(r.nationwide.p50Ms, 2);
  assert.is(r.nationwide.p95Ms, 5);
});

test("the pass rate reads the way the ministry reports it", () => {
  assert.is(passRateText(5_263_863, 5_310_217), '5,263,863 / 5,310,217 (99.1 %)');
  assert.is(passRateText(0, 0), '0 / 0 (– %)');
});

test('a range sums days; CSV has one row per checkpoint and a nationwide row', () => {
  const f = make();
  f.add('hcm-q1', scan('2021-09-10T08:00:00+07:00'));
  f.add('hcm-q1', scan('2021-09-11T08:00:00+07:00', { verdict: 'red', reason: 'expired' }));
  f.add('hn-bd', scan('2021-09-12T08:00:00+07:00'));
  const r = f.rangeReport('2021-09-10', '2021-09-11');
  assert.is(r.nationwide.scans, 2);
  const csv = reportCsv(r).trim().split('\n');
  assert.is(csv[0], 'day,checkpoint,area,province,scans,green,red,pass_rate,overrides,unsynced_clock,p50_ms,p95_ms,red_expired');
  assert.is(csv[1], '2021-09-10..2021-09-11,hcm-q1,79/26734,79,2,1,1,50.00,0,0,2,2,1');
  assert.ok(csv[2].startsWith('2021-09-10..2021-09-11,ALL,VN,VN,2,1,1,'));
});


test('placeScan: the day and hour of consecutive scans, across midnight and across a daylight-saving change', async () => {
  const { placeScan } = await import('../src/figures.js');
  const r = (iso: string, tz = 'Asia/Ho_Chi_Minh') => placeScan(scan(iso), 0, tz);
  assert.equal(r('2021-09-10T23:59:59+07:00'), { day: '2021-09-10', hour: 23 });
  assert.equal(r('2021-09-11T00:00:00+07:00'), { day: '2021-09-11', hour: 0 });
  assert.equal(r('2021-09-10T12:30:00+07:00'), { day: '2021-09-10', hour: 12 }, 'back to a day seen before');
  // Berlin went from +01:00 to +02:00 at 02:00 local on 2021-03-28: 03:30 local is 01:30 UTC
  assert.equal(r('2021-03-28T00:30:00+01:00', 'Europe/Berlin'), { day: '2021-03-28', hour: 0 });
  assert.equal(r('2021-03-28T03:30:00+02:00', 'Europe/Berlin'), { day: '2021-03-28', hour: 3 });
  assert.equal(r('2021-03-29T03:30:00+02:00', 'Europe/Berlin'), { day: '2021-03-29', hour: 3 });
  assert.equal(r('2021-03-29T23:30:00+02:00', 'Europe/Berlin'), { day: '2021-03-29', hour: 23 });
});
test.run();

// Issue 17, the pure parts: a scan's origin as a counter key, the movement between provinces from the counters,
// the F0–F3 plan an import makes, and what may leave the hub (counts only, small ones as "< N").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { counterDeltas, counterKeys, movementCsv, movementFrom, movementView, placeScan } from '../src/figures.js';
import { areaLevels, healthCsv, healthView, parseRegisteredArea, planHealth, shown, type HealthFigures, type HolderHealth } from '../src/health.js';

const TZ = 'Asia/Ho_Chi_Minh';
const ids = new ScanIdGenerator();
function scan(k: string, over: Partial<ScanRecord> = {}) {
  const at = Date.parse('2021-09-10T08:00:00+07:00');
  const r: ScanRecord = { id: ids.next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, ...over };
  return { ...r, k, rx: at, ...placeScan(r, at, TZ) };
}

test('an origin is a counter key by verdict; none for a scan without one or for an override', () => {
  assert.ok(counterKeys({ ...scan('a', { origin: 'VN-01' }) }).includes('o:VN-01:green'));
  assert.ok(counterKeys({ ...scan('a', { origin: 'DE', verdict: 'red', reason: 'expired' }) }).includes('o:DE:red'));
  assert.not.ok(counterKeys(scan('a')).some((k) => k.startsWith('o:')));
  assert.not.ok(counterKeys(scan('a', { origin: 'VN-01', override: true, reason: 'override' })).some((k) => k.startsWith('o:')));
});

test('movement: origin → province of the checkpoint, green and red, most travellers first; per checkpoint; scans without an origin counted apart', () => {
  const scans = [
    ...Array.from({ length: 7 }, () => scan('hcm-1', { origin: 'VN-01' })), scan('hcm-1', { origin: 'VN-01', verdict: 'red', reason: 'health-status' }),
    ...Array.from({ length: 3 }, () => scan('hcm-2', { origin: 'VN-01' })),
    ...Array.from({ length: 4 }, () => scan('bd-1', { origin: 'VN-79' })), scan('bd-1', { origin: 'DE', format: 'dcc' }), scan('bd-1'), scan('bd-1'),
  ];
  const areas: Record<string, string> = { 'hcm-1': '79/26734', 'hcm-2': '79/26740', 'bd-1': '74/25747' };
  const m = movementFrom(counterDeltas(scans), '2021-09-10', '2021-09-10', TZ, (id) => areas[id]);
  assert.equal(m.flows, [
    { origin: 'VN-01', province: '79', green: 10, red: 1, travellers: 11 },
    { origin: 'VN-79', province: '74', green: 4, red: 0, travellers: 4 },
    { origin: 'DE', province: '74', green: 1, red: 0, travellers: 1 },
  ]);
  assert.equal(m.origins.map((o) => [o.origin, o.travellers]), [['VN-01', 11], ['VN-79', 4], ['DE', 1]]);
  assert.equal(m.checkpoints.map((c) => [c.checkpoint, c.origin, c.travellers]), [['bd-1', 'DE', 1], ['bd-1', 'VN-79', 4], ['hcm-1', 'VN-01', 8], ['hcm-2', 'VN-01', 3]]);
  assert.is(m.noOrigin, 2);
  // what leaves the hub: small counts hidden, the order the exact one
  const v = movementView(m, 5);
  assert.equal(v.flows.map((f) => [f.origin, f.travellers, f.green, f.red]), [['VN-01', 11, 10, '< 5'], ['VN-79', '< 5', '< 5', 0], ['DE', '< 5', '< 5', 0]]);
  const csv = movementCsv(v).trim().split('\n');
  assert.is(csv[0], 'day,origin,checkpoint,area,province,travellers,green,red');
  assert.ok(csv.includes('2021-09-10,VN-01,hcm-1,79/26734,79,8,7,< 5'), csv.join('\n'));
  assert.ok(csv.includes('2021-09-10,VN-01,ALL,79,79,11,10,< 5'), csv.join('\n'));
});

test('registered areas: a province, a ward, or province/district/ward; anything else refused', () => {
  assert.is(parseRegisteredArea('79'), '79');
  assert.is(parseRegisteredArea('79/26734'), '79/26734');
  assert.is(parseRegisteredArea('79/760/26734'), '79/760/26734');
  assert.is(parseRegisteredArea('01/00004'), '01/4', 'leading zeros of a unit dropped, as everywhere in chot');
  for (const bad of ['VN', '00', '7', '79/', '79/0', '79/760/0', '79/0/26734', '79/123456', 'x', '79/26734 ', '79/1/2/3']) assert.is(parseRegisteredArea(bad), undefined, bad);
  assert.equal(areaLevels('79/760/26734'), { nation: 'VN', province: '79', district: '79/760', ward: '79/26734' });
  assert.equal(areaLevels('79/26734'), { nation: 'VN', province: '79', ward: '79/26734' });
  assert.equal(areaLevels(''), { nation: 'VN' });
});

test('the plan: a change without an area keeps the one known; the last line of a holder wins; nothing for a holder set to what it is', () => {
  const before = new Map<string, HolderHealth>([['a', { state: 'F1', area: '79/26734' }], ['b', { state: 'F2', area: '79/26734' }]]);
  const p = planHealth('2021-09-11', before, [{ holder: 'a', state: 'F0' }, { holder: 'b', state: 'F2' }, { holder: 'c', state: 'F3', area: '01/4' }, { holder: 'c', state: 'F1', area: '01/4' }], false);
  assert.is(p.changed, 2);
  assert.equal(p.put, [{ holder: 'a', state: 'F0', area: '79/26734' }, { holder: 'c', state: 'F1', area: '01/4' }]);
  assert.equal(p.counts.filter((c) => c.level === 'nation'), [{ level: 'nation', area: 'VN', state: 'F0', d: 1 }], 'F1: one out, one in: no net change for the nation');
  assert.equal(p.changes.filter((c) => c.level === 'nation').map((c) => [c.key, c.n]), [['-F1', 1], ['+F0', 1], ['+F1', 1]], 'but the day\'s changes show both');
  assert.equal(p.counts.filter((c) => c.level === 'ward').map((c) => [c.area, c.state, c.d]), [['01/4', 'F1', 1], ['79/26734', 'F1', -1], ['79/26734', 'F0', 1]]);
  const again = planHealth('2021-09-11', new Map([['a', { state: 'F0', area: '79/26734' }]]), [{ holder: 'a', state: 'F0', area: '79/26734' }], false);
  assert.equal([again.changed, again.counts, again.changes], [0, [], []]);
});

test('the view: counts only; below the nation 1..N-1 become "< N"; the seed\'s form; a province\'s wards; CSV', () => {
  const f: HealthFigures = {
    version: 4,
    current: [
      { level: 'nation', area: 'VN', state: 'F0', n: 6355 }, { level: 'nation', area: 'VN', state: 'F1', n: 5063 }, { level: 'nation', area: 'VN', state: 'F2', n: 6954 }, { level: 'nation', area: 'VN', state: 'F3', n: 1114 },
      { level: 'province', area: '79', state: 'F0', n: 6351 }, { level: 'province', area: '79', state: 'F1', n: 5063 }, { level: 'province', area: '79', state: 'F2', n: 6954 }, { level: 'province', area: '79', state: 'F3', n: 1114 },
      { level: 'province', area: '01', state: 'F0', n: 3 },
      { level: 'ward', area: '79/26734', state: 'F0', n: 6351 }, { level: 'ward', area: '01/4', state: 'F0', n: 3 }, { level: 'ward', area: '79/26740', state: 'F1', n: 0 },
    ],
    changes: [{ level: 'nation', area: 'VN', key: '+F0', n: 2 }, { level: 'province', area: '79', key: '+F0', n: 2 }, { level: 'province', area: '79', key: '-F1', n: 40 }],
  };
  const v = healthView(f, '2021-09-11', 5);
  assert.is(v.nation.text, 'F0 6,355 · F1 5,063 · F2 6,954 · F3 1,114');
  assert.equal(v.nation.changes.F0, { in: 2, out: 0 }, 'the nation is never hidden');
  assert.equal(v.provinces.map((p) => [p.area, p.text]), [['01', 'F0 < 5 · F1 0 · F2 0 · F3 0'], ['79', 'F0 6,351 · F1 5,063 · F2 6,954 · F3 1,114']]);
  assert.equal(v.provinces[1].changes.F0, { in: '< 5', out: 0 });
  assert.equal(v.provinces[1].changes.F1, { in: 0, out: 40 });
  assert.equal(v.noArea, { F0: '< 5', F1: 0, F2: 0, F3: 0 }, 'one F0 with no area: hidden too');
  assert.equal(v.wards.map((w) => w.area), ['01/4', '79/26734'], 'a ward with nobody and no change is not listed');
  assert.equal(healthView(f, '2021-09-11', 5, '79').wards.map((w) => w.area), ['79/26734'], 'one province\'s wards');
  assert.equal(healthView(f, '2021-09-11', 1).provinces[0].counts.F0, 3, 'a minimum of 1 shows every count');
  assert.not.ok(JSON.stringify(v).match(/[0-9a-f]{16}/), 'no holder token in the view');
  const csv = healthCsv(v).trim().split('\n');
  assert.is(csv[0], 'day,level,area,F0,F1,F2,F3,F0_in,F0_out,F1_in,F1_out,F2_in,F2_out,F3_in,F3_out');
  assert.is(csv[1], '2021-09-11,nation,VN,6355,5063,6954,1114,2,0,0,0,0,0,0,0');
  assert.is(csv[2], '2021-09-11,province,01,< 5,0,0,0,0,0,0,0,0,0,0,0');
  assert.equal([shown(0, 5), shown(4, 5), shown(5, 5)], [0, '< 5', 5]);
});

test.run();

// The store contract: what every backend of the hub's store of record must do, as aedes-persistence's abstract
// suite is for aedes' backends. store-sqlite.test.ts and store-postgres.test.ts run it on a real database each.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { counterDeltas, placeScan, reportFrom } from '../src/figures.js';
import type { HubStore, PayoutClaim, StoredScan } from '../src/store/port.js';
import type { HealthChange, HealthCode, HealthFigures } from '../src/health.js';

export interface Harness {
  store: HubStore;
  /** sets one counter behind the store's back (a damaged figure for recount to find) */
  tamper(day: string, checkpoint: string, key: string, n: number): Promise<void>;
  /** a second store on the same database, as another hub process or `chot device add` would open it */
  another(): Promise<HubStore>;
  cleanup(): Promise<void>;
}

const TZ = 'Asia/Ho_Chi_Minh';

/** A scan as the hub would store it (a fresh id generator each: ids carry the scan's own time). */
export function scan(kiosk: string, iso: string, over: Partial<ScanRecord> = {}, rx = Date.parse(iso) + 1000): StoredScan {
  const at = Date.parse(iso);
  const r: ScanRecord = { id: new ScanIdGenerator().next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2.5, category: 'resident', ...over };
  return { ...r, k: kiosk, rx, ...placeScan(r, rx, TZ) };
}

const sum = (rows: Array<{ checkpoint: string; key: string; n: number }>, key: string, checkpoint?: string) =>
  rows.filter((r) => r.key === key && (!checkpoint || r.checkpoint === checkpoint)).reduce((a, r) => a + r.n, 0);

export function storeContract(name: string, open: () => Promise<Harness>): void {
  const t = suite<{ h: Harness }>(`store contract: ${name}`, {} as { h: Harness });
  t.before.each(async (ctx) => { ctx.h = await open(); });
  t.after.each(async (ctx) => { await ctx.h.cleanup(); });

  t('a scan is stored once: a redelivered batch is all duplicates and the figures do not move', async ({ h }) => {
    const batch = Array.from({ length: 50 }, (_, i) => scan('booth-1', '2021-09-10T08:00:00+07:00', i % 5 ? {} : { verdict: 'red', reason: 'expired' }));
    assert.equal(await h.store.ingest(batch), { stored: 50, duplicates: 0 });
    assert.equal(await h.store.ingest(batch), { stored: 0, duplicates: 50 });
    const rows = await h.store.counters('2021-09-10', '2021-09-10');
    assert.is(sum(rows, 'scans'), 50);
    assert.is(sum(rows, 'red'), 10);
    assert.is(sum(rows, 'r:expired'), 10);
    assert.is(sum(rows, 'h:8'), 50);
    assert.is(await h.store.scanCount(), 50);
  });

  t('the same scan id sent with three different days is one scan, counted on the first day it arrived with', async ({ h }) => {
    const first = scan('booth-1', '2021-09-10T08:00:00+07:00');
    const again = [11, 12].map((d) => { const at = Date.parse(`2021-09-${d}T08:00:00+07:00`); return { ...first, at, ...placeScan({ ...first, at }, at, TZ) }; });
    await h.store.ingest([first]);
    assert.equal(await h.store.ingest([again[0]]), { stored: 0, duplicates: 1 });
    assert.equal(await h.store.ingest([again[1]]), { stored: 0, duplicates: 1 });
    assert.is(sum(await h.store.counters('2021-09-01', '2021-09-30'), 'scans'), 1);
  });

  t('the same id from two kiosks is two scans', async ({ h }) => {
    const a = scan('booth-1', '2021-09-10T08:00:00+07:00');
    assert.equal(await h.store.ingest([a, { ...a, k: 'booth-2' }]), { stored: 2, duplicates: 0 });
  });

  t('concurrent overlapping batches from many kiosks: every scan once, figures equal to the rows', async ({ h }) => {
    const all: StoredScan[] = [];
    for (let k = 0; k < 8; k++) for (let i = 0; i < 300; i++) all.push(scan(`booth-${k}`, `2021-09-10T${String(6 + (i % 12)).padStart(2, '0')}:00:00+07:00`, i % 7 ? {} : { verdict: 'red', reason: 'revoked', category: 'shipper' }));
    const batches: StoredScan[][] = [];
    for (let i = 0; i < all.length; i += 100) batches.push(all.slice(i, i + 100));
    // each batch sent twice, at once, plus a batch that straddles two others
    const results = await Promise.all([...batches, ...batches, all.slice(50, 250)].map((b) => h.store.ingest(b)));
    assert.is(results.reduce((a, r) => a + r.stored, 0), all.length);
    assert.is(results.reduce((a, r) => a + r.duplicates, 0), all.length + 200);
    const rows = await h.store.counters('2021-09-10', '2021-09-10');
    const want = counterDeltas(all);
    for (const key of ['scans', 'green', 'red', 'r:revoked', 'c:shipper', 'c:resident']) assert.is(sum(rows, key), sum(want, key), key);
    assert.is(sum(rows, 'scans', 'booth-3'), 300);
  });

  t('overrides and unsynchronised clocks: counted apart; an unsynchronised scan counts on its arrival day', async ({ h }) => {
    const rx = Date.parse('2021-09-11T03:00:00+07:00');
    const unsynced = scan('booth-1', '1970-01-02T00:00:00Z', { clockSynced: false }, rx);
    const override = scan('booth-1', '2021-09-11T02:00:00+07:00', { override: true, format: 'unknown', source: 'button', reason: 'override', ms: 0, category: undefined });
    delete override.category;
    await h.store.ingest([unsynced, override]);
    assert.equal(await h.store.ingest([unsynced]), { stored: 0, duplicates: 1 });
    const rows = await h.store.counters('2021-09-11', '2021-09-11');
    assert.is(sum(rows, 'scans'), 1);
    assert.is(sum(rows, 'unsynced'), 1);
    assert.is(sum(rows, 'overrides'), 1);
    assert.is(sum(rows, 'h:3'), 1);
    const kept = await h.store.scansOfDay('2021-09-11');
    assert.equal(kept.map((s) => s.id).sort(), [unsynced.id, override.id].sort());
    assert.equal(kept.find((s) => s.id === override.id), override, 'every field comes back as it went in');
  });

  t('totals: a day nationwide, for the live counter', async ({ h }) => {
    await h.store.ingest([scan('a', '2021-09-10T08:00:00+07:00'), scan('b', '2021-09-10T09:00:00+07:00', { verdict: 'red', reason: 'expired' })]);
    assert.equal(await h.store.totals('2021-09-10', ['scans', 'green', 'red']), { scans: 2, green: 1, red: 1 });
    assert.equal(await h.store.totals('2021-09-12', ['scans']), { scans: 0 });
  });

  t('recount rebuilds a day from its raw scans and reports what it corrected', async ({ h }) => {
    await h.store.ingest(Array.from({ length: 20 }, () => scan('booth-1', '2021-09-10T08:00:00+07:00')));
    assert.equal(await h.store.recount('2021-09-10'), [], 'nothing to correct');
    await h.tamper('2021-09-10', 'booth-1', 'scans', 25);
    await h.tamper('2021-09-10', 'booth-9', 'scans', 3);
    const fixed = await h.store.recount('2021-09-10');
    assert.equal(fixed.sort((a, b) => a.checkpoint.localeCompare(b.checkpoint)), [
      { checkpoint: 'booth-1', key: 'scans', was: 25, now: 20 }, { checkpoint: 'booth-9', key: 'scans', was: 3, now: 0 }]);
    assert.is(sum(await h.store.counters('2021-09-10', '2021-09-10'), 'scans'), 20);
  });

  t('recount in the database makes exactly the counters the ingest made: every kind of scan', async ({ h }) => {
    const mixed: StoredScan[] = [];
    const reasons = ['expired', 'revoked', 'wrong-area', 'outside-hours'];
    for (let i = 0; i < 200; i++) {
      const hh = String(i % 24).padStart(2, '0');
      const over: Partial<ScanRecord> = { ms: [0.2, 0.7, 1.5, 4, 9, 60, 400, 3000, 90_000][i % 9], category: i % 7 ? ['resident', 'shipper', 'goods'][i % 3] : undefined };
      if (i % 5 === 0) Object.assign(over, { verdict: 'red', reason: reasons[i % 4] });
      if (i % 11 === 0) Object.assign(over, { override: true, reason: 'override', source: 'button', format: 'unknown' });
      if (i % 13 === 0) over.clockSynced = false;
      if (i % 4) over.origin = ['VN-79', 'VN-01', 'DE', 'VN'][i % 4];
      if (i % 6) over.officer = ['CA79-0042', 'CA79-0043', 'ytt.01'][i % 3];
      const s = scan(`booth-${i % 3}`, `2021-09-10T${hh}:30:00+07:00`, over, Date.parse('2021-09-10T12:00:00+07:00'));
      if (s.category === undefined) delete s.category;
      mixed.push(s);
    }
    await h.store.ingest(mixed);
    assert.equal(await h.store.recount('2021-09-10'), [], 'no correction: the two ways of counting agree');
  });

  t('origins: counted per checkpoint, day and verdict; kept with the scan; an old kiosk\'s scan has none', async ({ h }) => {
    const batch = [
      scan('booth-1', '2021-09-10T08:00:00+07:00', { origin: 'VN-01' }), scan('booth-1', '2021-09-10T08:10:00+07:00', { origin: 'VN-01' }),
      scan('booth-1', '2021-09-10T08:20:00+07:00', { origin: 'VN-01', verdict: 'red', reason: 'health-status' }),
      scan('booth-2', '2021-09-10T09:00:00+07:00', { origin: 'DE', format: 'dcc', category: 'foreign' }), scan('booth-2', '2021-09-10T09:05:00+07:00'),
    ];
    await h.store.ingest(batch);
    assert.equal(await h.store.ingest(batch), { stored: 0, duplicates: 5 });
    const rows = await h.store.counters('2021-09-10', '2021-09-10');
    assert.is(sum(rows, 'o:VN-01:green', 'booth-1'), 2);
    assert.is(sum(rows, 'o:VN-01:red', 'booth-1'), 1);
    assert.is(sum(rows, 'o:DE:green', 'booth-2'), 1);
    assert.is(rows.filter((r) => r.key.startsWith('o:')).reduce((a, r) => a + r.n, 0), 4, 'the scan without an origin adds no origin counter');
    const kept = await h.store.scansOfDay('2021-09-10');
    assert.equal(kept.map((x) => x.origin ?? null).sort(), ['DE', 'VN-01', 'VN-01', 'VN-01', null].sort());
    assert.equal(await h.store.recount('2021-09-10'), []);
  });

  t('officers: each officer on duty counted per checkpoint and day, green, red and overrides apart; kept with the scan', async ({ h }) => {
    const batch = [
      scan('booth-1', '2021-09-10T08:00:00+07:00', { officer: 'CA79-0042' }), scan('booth-1', '2021-09-10T08:01:00+07:00', { officer: 'CA79-0042' }),
      scan('booth-1', '2021-09-10T08:02:00+07:00', { officer: 'CA79-0042', verdict: 'red', reason: 'expired' }),
      scan('booth-1', '2021-09-10T08:03:00+07:00', { officer: 'CA79-0042', override: true, reason: 'override', source: 'button', format: 'unknown' }),
      scan('booth-1', '2021-09-10T14:00:00+07:00', { officer: 'CA79-0043' }), scan('booth-2', '2021-09-10T09:00:00+07:00', { officer: 'CA79-0042' }),
      scan('booth-2', '2021-09-10T09:05:00+07:00'),
    ];
    await h.store.ingest(batch);
    assert.equal(await h.store.ingest(batch), { stored: 0, duplicates: 7 }, 'a redelivery moves no officer figure');
    const rows = await h.store.counters('2021-09-10', '2021-09-10');
    assert.is(sum(rows, 'f:CA79-0042:green', 'booth-1'), 2);
    assert.is(sum(rows, 'f:CA79-0042:red', 'booth-1'), 1);
    assert.is(sum(rows, 'f:CA79-0042:override', 'booth-1'), 1);
    assert.is(sum(rows, 'f:CA79-0043:green', 'booth-1'), 1);
    assert.is(sum(rows, 'f:CA79-0042:green', 'booth-2'), 1);
    assert.is(rows.filter((r) => r.key.startsWith('f:')).reduce((a, r) => a + r.n, 0), 6, 'the scan with nobody on duty adds no officer counter');
    const kept = await h.store.scansOfDay('2021-09-10');
    assert.equal(kept.filter((x) => x.officer === 'CA79-0042').length, 5);
    assert.equal(await h.store.recount('2021-09-10'), []);
  });

  t('a gate\'s passage records: an annul and a tailgate counted apart from the scans, each once however often it is sent, and the same on recount', async ({ h }) => {
    const button = { format: 'unknown', source: 'button', ms: 0 } as const;
    const green = scan('booth-1', '2021-09-10T08:00:00+07:00', { officer: 'CA79-0042' });
    const opened = scan('booth-1', '2021-09-10T08:01:00+07:00', { ...button, override: true, reason: 'override', officer: 'CA79-0042' });
    const passed = scan('booth-1', '2021-09-10T08:02:00+07:00');
    const annul = scan('booth-1', '2021-09-10T08:00:10+07:00', { ...button, verdict: 'red', reason: 'no-passage', passId: green.id, officer: 'CA79-0042' });
    const tail = scan('booth-1', '2021-09-10T08:03:00+07:00', { ...button, verdict: 'red', reason: 'tailgate' });
    const other = scan('booth-2', '2021-09-10T08:00:00+07:00');
    for (const s of [opened, annul, tail]) delete s.category;
    assert.equal(await h.store.ingest([green, opened, passed, other]), { stored: 4, duplicates: 0 });
    assert.equal(await h.store.ingest([annul, tail]), { stored: 2, duplicates: 0 });
    assert.equal(await h.store.ingest([tail, annul, passed]), { stored: 0, duplicates: 3 }, 'a kiosk that sends again (no ack seen) changes nothing');
    const rows = await h.store.counters('2021-09-10', '2021-09-10');
    assert.equal(['scans', 'green', 'red', 'overrides', 'annulled', 'tailgate'].map((k) => sum(rows, k, 'booth-1')), [2, 2, 0, 1, 1, 1]);
    assert.equal(rows.filter((r) => r.key.startsWith('r:') || r.key.startsWith('h:8')).map((r) => [r.checkpoint, r.key, r.n]).sort(), [['booth-1', 'h:8', 2], ['booth-2', 'h:8', 1]],
      'neither is a red scan, nor in the hours');
    assert.equal(rows.filter((r) => r.key.startsWith('f:')).map((r) => [r.key, r.n]).sort(), [['f:CA79-0042:green', 1], ['f:CA79-0042:override', 1]], 'nor in the officer\'s figures');
    const kept = await h.store.scansOfDay('2021-09-10');
    assert.is(kept.find((x) => x.id === annul.id)?.passId, green.id, 'the annul names the scan it annuls, at the hub too');
    assert.equal(await h.store.recount('2021-09-10'), [], 'recount from the raw scans: the same counters');
    const r = reportFrom(rows, '2021-09-10', '2021-09-10', TZ, () => '79/26734', (id) => id === 'booth-1');
    assert.equal(r.checkpoints.map((c) => [c.id, c.passage ?? null]), [['booth-1', { validated: 3, passed: 2, notPassed: 1, tailgating: 1 }], ['booth-2', null]]);
    assert.equal(r.nationwide.passage, { validated: 3, passed: 2, notPassed: 1, tailgating: 1 }, 'the nation: the gates with a sensor only');
  });

  const figures = async (store: HubStore, from = '2021-09-10', to = from) => {
    const f = await store.healthFigures(from, to);
    const cur = (level: string, area: string) => Object.fromEntries(f.current.filter((r) => r.level === level && r.area === area).map((r) => [r.state, r.n]));
    const chg = (level: string, area: string) => Object.fromEntries(f.changes.filter((r) => r.level === level && r.area === area && r.n).map((r) => [r.key, r.n]));
    return { f, cur, chg };
  };
  const tok = (i: number) => i.toString(16).padStart(16, '0');

  t('F0–F3 per area: an import with areas gives exact counts per ward, district, province and nation', async ({ h }) => {
    const changes: HealthChange[] = [];
    // ward 79/26734 (district 760): 3 F0, 2 F1; ward 79/26740 (district 760): 1 F0; ward 01/4: 4 F2; no area: 1 F3
    for (let i = 0; i < 3; i++) changes.push({ holder: tok(i), state: 'F0', area: '79/760/26734' });
    for (let i = 3; i < 5; i++) changes.push({ holder: tok(i), state: 'F1', area: '79/760/26734' });
    changes.push({ holder: tok(5), state: 'F0', area: '79/760/26740' });
    for (let i = 6; i < 10; i++) changes.push({ holder: tok(i), state: 'F2', area: '01/4' });
    changes.push({ holder: tok(10), state: 'F3' });
    assert.equal(await h.store.applyHealth('2021-09-10', changes, 2, false), { changed: 11 });
    const { f, cur, chg } = await figures(h.store);
    assert.is(f.version, 2);
    assert.equal(cur('nation', 'VN'), { F0: 4, F1: 2, F2: 4, F3: 1 });
    assert.equal(cur('province', '79'), { F0: 4, F1: 2 });
    assert.equal(cur('district', '79/760'), { F0: 4, F1: 2 });
    assert.equal(cur('ward', '79/26734'), { F0: 3, F1: 2 });
    assert.equal(cur('ward', '79/26740'), { F0: 1 });
    assert.equal(cur('province', '01'), { F2: 4 });
    assert.equal(cur('ward', '01/4'), { F2: 4 });
    assert.equal(chg('nation', 'VN'), { '+F0': 4, '+F1': 2, '+F2': 4, '+F3': 1 }, 'the day\'s changes: everybody came in');
    // the same import again: nothing changes, nothing is counted twice
    assert.equal(await h.store.applyHealth('2021-09-10', changes, 2, false), { changed: 0 });
    assert.equal((await figures(h.store)).cur('nation', 'VN'), { F0: 4, F1: 2, F2: 4, F3: 1 });
  });

  t('a second import moves a holder F1 → F0 and to another province: the counts move, the day\'s changes say so; another process sees the same', async ({ h }) => {
    await h.store.applyHealth('2021-09-10', [
      { holder: tok(1), state: 'F1', area: '79/26734' }, { holder: tok(2), state: 'F1', area: '79/26734' }, { holder: tok(3), state: 'F2', area: '79/26734' },
    ], 2, false);
    assert.equal(await h.store.applyHealth('2021-09-11', [
      { holder: tok(1), state: 'F0', area: '74/25747' }, // F1 → F0 and moved to Bình Dương
      { holder: tok(2), state: 'F0' }, // F1 → F0, the area kept
      { holder: tok(3), state: 'F2', area: '79/26740' }, // another ward of the same province, the same state
    ], 3, false), { changed: 3 });
    const other = await h.another();
    try {
      for (const store of [h.store, other]) {
        const { f, cur, chg } = await figures(store, '2021-09-11');
        assert.is(f.version, 3);
        assert.equal(cur('nation', 'VN'), { F0: 2, F2: 1 });
        assert.equal(cur('province', '79'), { F0: 1, F2: 1 });
        assert.equal(cur('province', '74'), { F0: 1 });
        assert.equal(cur('ward', '79/26734'), { F0: 1 });
        assert.equal(cur('ward', '79/26740'), { F2: 1 });
        assert.equal(chg('nation', 'VN'), { '+F0': 2, '-F1': 2 }, 'the move between wards is no change for the nation');
        assert.equal(chg('province', '79'), { '+F0': 1, '-F1': 2 }, 'nor for the province');
        assert.equal(chg('province', '74'), { '+F0': 1 });
        assert.equal(chg('ward', '79/26734'), { '+F0': 1, '-F1': 2, '-F2': 1 });
        assert.equal(chg('ward', '79/26740'), { '+F2': 1 });
      }
      // the first day's changes are that day's, and a range sums them
      assert.equal((await figures(other, '2021-09-10')).chg('nation', 'VN'), { '+F1': 2, '+F2': 1 });
      assert.equal((await figures(other, '2021-09-10', '2021-09-11')).chg('nation', 'VN'), { '+F0': 2, '+F1': 2, '-F1': 2, '+F2': 1 });
      // cleared: out of every count
      await other.applyHealth('2021-09-12', [{ holder: tok(1), state: null }], 4, false);
      assert.equal((await figures(h.store, '2021-09-12')).cur('province', '74'), {});
      assert.equal((await figures(h.store, '2021-09-12')).chg('ward', '74/25747'), { '-F0': 1 });
    } finally {
      await other.close();
    }
  });

  t('a complete import reconciles: holders it does not name are cleared; concurrent imports from two processes leave exact counts', async ({ h }) => {
    await h.store.applyHealth('2021-09-10', [0, 1, 2, 3].map((i) => ({ holder: tok(i), state: 'F1' as HealthCode, area: '79/26734' })), 5, false);
    assert.equal(await h.store.applyHealth('2021-09-10', [{ holder: tok(0), state: 'F0' }, { holder: tok(9), state: 'F2', area: '01/4' }], 7, true), { changed: 5 });
    let { f, cur } = await figures(h.store);
    assert.is(f.version, 7);
    assert.equal(cur('nation', 'VN'), { F0: 1, F2: 1 });
    assert.equal(cur('ward', '79/26734'), { F0: 1 }, 'the area was kept through the complete import');
    // two processes import at once, 300 holders each, 100 of them in both with the same final state
    const other = await h.another();
    try {
      const a: HealthChange[] = [], b: HealthChange[] = [];
      for (let i = 100; i < 400; i++) a.push({ holder: tok(i), state: (['F0', 'F1', 'F2', 'F3'] as const)[i % 4], area: `79/${26700 + (i % 7)}` });
      for (let i = 300; i < 600; i++) b.push({ holder: tok(i), state: (['F0', 'F1', 'F2', 'F3'] as const)[i % 4], area: `79/${26700 + (i % 7)}` });
      await Promise.all([h.store.applyHealth('2021-09-10', a, 8, false), other.applyHealth('2021-09-10', b, 8, false)]);
      ({ f, cur } = await figures(h.store));
      const want: Record<string, number> = {};
      for (let i = 100; i < 600; i++) { const st = (['F0', 'F1', 'F2', 'F3'] as const)[i % 4]; want[st] = (want[st] ?? 0) + 1; }
      assert.equal(cur('province', '79'), { ...want, F0: want.F0 + 1 });
      const wards = f.current.filter((r) => r.level === 'ward' && r.area !== '79/26734' && r.area !== '01/4').reduce((x, r) => x + r.n, 0);
      assert.is(wards, 500, 'the wards add up to the province');
    } finally {
      await other.close();
    }
    const empty: HealthFigures = await h.store.healthFigures('2030-01-01', '2030-01-01');
    assert.equal(empty.changes, [], 'a day with no import has no changes');
  });

  t('prune drops raw scans of past days and keeps their figures', async ({ h }) => {
    await h.store.ingest([scan('a', '2021-09-09T08:00:00+07:00'), scan('a', '2021-09-10T08:00:00+07:00'), scan('a', '2021-09-11T08:00:00+07:00', { clockSynced: false }, Date.parse('2021-09-09T09:00:00+07:00'))]);
    assert.is(await h.store.prune('2021-09-10'), 2);
    assert.is(await h.store.scanCount(), 1);
    assert.is((await h.store.scansOfDay('2021-09-09')).length, 0);
    assert.is(sum(await h.store.counters('2021-09-09', '2021-09-09'), 'scans'), 2);
    assert.equal(await h.store.days(), ['2021-09-09', '2021-09-10']);
  });

  t('devices and accounts: written by one process, seen by another, every write bumps the registry version', async ({ h }) => {
    const other = await h.another();
    try {
      const v0 = await h.store.registryVersion();
      await other.putDevice({ id: 'booth-1', area: '79/26734', secret: 'h1$x$y', createdAt: '2021-09-10T00:00:00.000Z' });
      await other.putAccount({ name: 'ops', role: 'operator', secret: 'scrypt$…', createdAt: '2021-09-10T00:00:00.000Z' });
      assert.ok(await h.store.registryVersion() >= v0 + 2);
      assert.equal((await h.store.devices()).map((d) => d.id), ['booth-1']);
      await other.putDevice({ id: 'booth-1', area: '79/26734', secret: 'h1$x$y', createdAt: '2021-09-10T00:00:00.000Z', revokedAt: '2021-09-11T00:00:00.000Z' });
      assert.is((await h.store.devices())[0].revokedAt, '2021-09-11T00:00:00.000Z');
      assert.equal((await h.store.accounts()).map((a) => [a.name, a.role]), [['ops', 'operator']]);
      await h.store.setMeta('import.filestore', 'done');
      assert.is(await other.getMeta('import.filestore'), 'done');
      assert.is(await other.getMeta('nothing'), undefined);
    } finally {
      await other.close();
    }
  });

  t('kiosk statuses and hub processes: written by one process, read by another; an older status never overwrites a newer one', async ({ h }) => {
    const other = await h.another();
    try {
      await h.store.putKioskStatuses([{ kiosk: 'booth-1', status: '{"v":1,"online":true}', seenAt: 2000 }, { kiosk: 'booth-2', status: '{"v":1}', seenAt: 1000 }]);
      await other.putKioskStatuses([{ kiosk: 'booth-1', status: '{"v":1,"online":false}', seenAt: 1500 }]);
      const rows = (await other.kioskStatuses()).sort((a, b) => a.kiosk.localeCompare(b.kiosk));
      assert.equal(rows, [{ kiosk: 'booth-1', status: '{"v":1,"online":true}', seenAt: 2000 }, { kiosk: 'booth-2', status: '{"v":1}', seenAt: 1000 }]);
      await h.store.heartbeat({ id: 'hub-a', info: 'host a', startedAt: 1, seenAt: 100 }, 0);
      const seen = await other.heartbeat({ id: 'hub-b', info: 'host b', startedAt: 2, seenAt: 200 }, 150);
      assert.equal(seen.map((p) => p.id), ['hub-b'], 'a process not seen since `since` is not alive');
      assert.equal((await h.store.heartbeat({ id: 'hub-a', info: 'host a', startedAt: 1, seenAt: 210 }, 150)).map((p) => p.id), ['hub-a', 'hub-b']);
    } finally {
      await other.close();
    }
  });

  t('sightings move only forward; an alert for one pair of scans is stored once; decisions are kept', async ({ h }) => {
    const sg = (kiosk: string, at: number, scanId: string) => ({ holder: 'abcdef0123456789', passId: 'p1', kiosk, at, scanId });
    await h.store.putSightings([sg('a', 2000, 's2')]);
    await h.store.putSightings([sg('b', 1000, 's1')]);
    assert.equal(await h.store.sightings(['abcdef0123456789', 'ffffffffffffffff']), [sg('a', 2000, 's2')]);
    const alert = { holder: 'abcdef0123456789', passId: 'p1', first: sg('b', 1000, 's1'), second: sg('a', 2000, 's2'), km: 1140, kmh: Infinity };
    assert.is(await h.store.addAlerts([alert]), 1);
    assert.is(await h.store.addAlerts([alert]), 0, 'found again: the same alert');
    const [row] = await h.store.alerts(10);
    assert.equal([row.firstKiosk, row.secondKiosk, row.status, row.kmh, row.km], ['b', 'a', 'open', null, 1140]);
    assert.is((await h.store.decideAlert(row.id, 'revoke', 'ops'))?.status, 'revoke');
    assert.is((await h.store.alerts(10))[0].decidedBy, 'ops');
    assert.is(await h.store.decideAlert(row.id + 1000, 'dismissed', 'ops'), undefined);
    // the next status list revokes what operators decided to revoke, and nothing they dismissed
    const more = [{ ...alert, passId: 'p2', first: sg('c', 3000, 's3') }, { ...alert, passId: 'p3', first: sg('d', 4000, 's4') }, { ...alert, passId: 'p1', first: sg('e', 5000, 's5') }];
    assert.is(await h.store.addAlerts(more), 3);
    const rows = await h.store.alerts(10);
    for (const r of rows.filter((x) => x.status === 'open')) await h.store.decideAlert(r.id, r.passId === 'p3' ? 'dismissed' : 'revoke', 'ops');
    assert.equal(await h.store.revokeDecisions(), ['p1', 'p2'], 'each pass once, however many alerts named it');
  });

  t('payouts: one citizen is paid once in the whole country, whoever claims first; a retry learns its own claim won; refusals say why', async ({ h }) => {
    const now = Date.parse('2021-09-15T09:00:00+07:00');
    const p = { id: 'ho-tro-2021', name: 'Hỗ trợ COVID-19', amount: 1_500_000, validFrom: Date.parse('2021-09-01T00:00:00+07:00') / 1000, validUntil: Date.parse('2021-10-01T00:00:00+07:00') / 1000, version: 1 };
    await h.store.putProgramme(p, [{ holder: 'aaaaaaaaaaaaaaaa', ward: '79/26734' }, { holder: 'bbbbbbbbbbbbbbbb', ward: '79/26734' }, { holder: 'cccccccccccccccc', ward: '01/00004' }]);
    assert.equal((await h.store.programmes()).map((x) => x.id), ['ho-tro-2021']);
    const other = await h.another();
    try {
      const claim = (kiosk: string, key: string, holder = 'aaaaaaaaaaaaaaaa', store = h.store, extra: Partial<PayoutClaim> = {}) =>
        store.claim({ programme: p.id, holder, ward: '79/26734', kiosk, key, at: now, now, ...extra });
      // two payout kiosks, two hub connections, the same citizen at the same moment
      const [a, b] = await Promise.all([claim('ward-a', 'key-aaaaaaaaaaaaaaaa'), claim('ward-b', 'key-bbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaa', other)]);
      const outcomes = [a.outcome, b.outcome].sort();
      assert.equal(outcomes, ['already-paid', 'paid'], 'exactly one payment');
      const winner = a.outcome === 'paid' ? { kiosk: 'ward-a', key: 'key-aaaaaaaaaaaaaaaa' } : { kiosk: 'ward-b', key: 'key-bbbbbbbbbbbbbbbb' };
      const loser = a.outcome === 'paid' ? b : a;
      assert.equal(loser.payment, { kiosk: winner.kiosk, at: now }, 'the refusal says where and when it was paid');
      // the winner's reply was lost: it asks again with its key and learns its own claim succeeded
      assert.equal(await claim(winner.kiosk, winner.key), { outcome: 'paid', amount: 1_500_000, payment: { kiosk: winner.kiosk, at: now } });
      assert.equal(await claim('ward-c', 'key-cccccccccccccccc', 'cccccccccccccccc'), { outcome: 'other-ward', ward: '01/00004' }, 'other-ward names the citizen\'s ward');
      assert.is((await claim('ward-c', 'key-dddddddddddddddd', 'dddddddddddddddd')).outcome, 'not-eligible');
      assert.is((await claim('ward-c', 'key-eeeeeeeeeeeeeeee', 'bbbbbbbbbbbbbbbb', h.store, { programme: 'nothing' })).outcome, 'programme-unknown');
      assert.is((await claim('ward-c', 'key-ffffffffffffffff', 'bbbbbbbbbbbbbbbb', h.store, { now: Date.parse('2021-10-02T00:00:00+07:00') })).outcome, 'programme-not-open');
      const fig = await h.store.payoutFigures(p.id);
      assert.equal(fig.map((r) => [r.ward, r.eligible, r.paid, r.amount]), [['01/00004', 1, 0, 0], ['79/26734', 2, 1, 1_500_000]]);
      assert.equal(fig[1].refused, { 'already-paid': 1, 'other-ward': 1, 'not-eligible': 1, 'programme-not-open': 1 });
    } finally {
      await other.close();
    }
  });

  t('ping answers while the database is there', async ({ h }) => {
    await h.store.ping();
  });

  t.run();
}

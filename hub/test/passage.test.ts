// A gate that confirms passage, at the hub: which passage records it takes (a malformed one is refused with its
// reason and the rest of the batch goes on), the figures (validated, passed, not passed, tailgating per checkpoint
// and nationwide, shown only where a gate has a sensor), and the whole way with real parts: a kiosk process with
// the sensor configured scans a pass nobody walks through, its annul reaches a real hub over MQTT and the API and
// CSV count it once, beside records sent again by the kiosk code's own journal and uplink.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanIdGenerator, localDay, type ScanRecord } from '../../protocol/src/index.js';
import { admitScan } from '../src/ingest.js';
import { counterDeltas, placeScan, reportCsv, reportFrom } from '../src/figures.js';
import type { CounterRow } from '../src/store/port.js';
import { Journal } from '../../kiosk/src/journal/journal.js';
import { Uplink } from '../../kiosk/src/uplink/uplink.js';
import { accountsKnown, addDevice, chot, hubScans, killAll, kioskConfig, makeWorld, pty, start, startHub, stop, waitFor, webPort } from '../../kiosk/test/rig.js';

const TZ = 'Asia/Ho_Chi_Minh';
const NOW = Date.parse('2021-09-10T08:00:00+07:00');
const gen = new ScanIdGenerator();
const rec = (at: number, over: Partial<ScanRecord> = {}): ScanRecord => ({ id: gen.next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, category: 'resident', ...over });
const BUTTON = { format: 'unknown', source: 'button', ms: 0 } as const;
/** a passage record as a kiosk writes it (kiosk/src/passage.ts): no pass, no category */
const passage = (at: number, over: Partial<ScanRecord>): ScanRecord => { const r = rec(at, { ...BUTTON, verdict: 'red', ...over }); delete r.category; return r; };

test('admit: a sound annul and tailgate are taken; a malformed one is refused as bad-passage-record, whatever is wrong with it', () => {
  const green = rec(NOW);
  const annul = passage(NOW + 10_000, { reason: 'no-passage', passId: green.id });
  const tail = passage(NOW + 20_000, { reason: 'tailgate' });
  assert.is(admitScan(annul, NOW, 30), undefined);
  assert.is(admitScan(tail, NOW, 30), undefined);
  const bad: Array<[string, ScanRecord]> = [
    ['no scan named', { ...annul, passId: undefined }],
    ['a pass id, not a scan id', { ...annul, passId: 'AAECAwQFBgc' }],
    ['a scan after the annul itself', { ...annul, passId: rec(NOW + 60_000).id }],
    ['green', { ...annul, verdict: 'green' }],
    ['a holder', { ...annul, holder: '0123456789abcdef' }],
    ['the override flag', { ...annul, override: true }],
    ['a category', { ...annul, category: 'resident' }],
    ['an origin', { ...tail, origin: 'VN-79' }],
    ['a tailgate naming a scan', { ...tail, passId: green.id }],
  ];
  for (const [what, r] of bad) assert.is(admitScan(r, NOW, 30), 'bad-passage-record', what);
});

/** Counters as the store keeps them, from records placed on their day. */
const counters = (byKiosk: Array<[string, ScanRecord]>): CounterRow[] => {
  const sum = new Map<string, CounterRow>();
  for (const row of counterDeltas(byKiosk.map(([k, s]) => ({ ...s, k, ...placeScan(s, s.at, TZ) })))) {
    const key = `${row.checkpoint}/${row.key}`;
    const e = sum.get(key);
    if (e) e.n += row.n; else sum.set(key, { ...row });
  }
  return [...sum.values()];
};
const AREAS: Record<string, string> = { 'hcm-a': '79/26734', 'hcm-b': '79/27139', 'hn-a': '01/00004' };

test('figures: validated, passed, not passed and tailgating per gate, per province and nationwide; a gate without a sensor has none', () => {
  const greens = [0, 1, 2].map((i) => rec(NOW + i * 60_000));
  const override = rec(NOW + 300_000, { ...BUTTON, override: true, reason: 'override' });
  const annul = passage(NOW + 400_000, { reason: 'no-passage', passId: greens[1].id });
  const tails = [500_000, 600_000].map((d) => passage(NOW + d, { reason: 'tailgate' }));
  const rows = counters([
    ...greens.map((g) => ['hcm-a', g] as [string, ScanRecord]), ['hcm-a', override], ['hcm-a', annul], ['hcm-a', tails[0]],
    ['hn-a', rec(NOW)], ['hn-a', tails[1]], // a gate whose kiosk has not said so: its tailgate makes it one
    ['hcm-b', rec(NOW)], ['hcm-b', rec(NOW, { verdict: 'red', reason: 'expired' })], // no sensor: as before
  ]);
  const r = reportFrom(rows, '2021-09-10', '2021-09-10', TZ, (id) => AREAS[id], (id) => id === 'hcm-a');
  const by = Object.fromEntries(r.checkpoints.map((c) => [c.id, c]));
  assert.equal(by['hcm-a'].passage, { validated: 4, passed: 3, notPassed: 1, tailgating: 1 });
  assert.equal(by['hn-a'].passage, { validated: 1, passed: 1, notPassed: 0, tailgating: 1 });
  assert.is(by['hcm-b'].passage, undefined);
  assert.equal([by['hcm-a'].scans, by['hcm-a'].red, by['hcm-a'].overrides], [3, 0, 1], 'passage records are neither scans nor red');
  assert.equal(r.nationwide.passage, { validated: 5, passed: 4, notPassed: 1, tailgating: 2 });
  assert.equal(r.provinces.map((p) => [p.province, p.passage ?? null]), [['01', { validated: 1, passed: 1, notPassed: 0, tailgating: 1 }], ['79', { validated: 4, passed: 3, notPassed: 1, tailgating: 1 }]]);
  const csv = reportCsv(r).trim().split('\n').map((l) => l.split(','));
  assert.equal(csv[0].slice(-4), ['validated', 'passed', 'not_passed', 'tailgating']);
  const line = (id: string) => csv.find((l) => l[1] === id)!.slice(-4);
  assert.equal(line('hcm-a'), ['4', '3', '1', '1']);
  assert.equal(line('hcm-b'), ['', '', '', ''], 'no sensor: no figure, rather than a zero');
  assert.equal(line('ALL'), ['5', '4', '1', '2']);
});

test('figures: with no gate that has a sensor, nothing about passage anywhere (report, CSV)', () => {
  const r = reportFrom(counters([['hcm-b', rec(NOW)], ['hcm-b', rec(NOW, { override: true, reason: 'override', ...BUTTON })]]), '2021-09-10', '2021-09-10', TZ, (id) => AREAS[id]);
  assert.not.ok('passage' in r.nationwide || r.checkpoints.some((c) => 'passage' in c) || r.provinces.some((p) => 'passage' in p));
  assert.not.ok(/validated|tailgating/.test(reportCsv(r)));
});

test('a real kiosk with a passage sensor and a real hub: a green nobody passes after is annulled and counted once; a malformed annul is refused, the rest of its batch counted once', async () => {
  const w = makeWorld('passage');
  const gated = addDevice(w, 'gate-1');
  const older = addDevice(w, 'gate-2');
  const hub = await startHub(w);
  const port = await pty(w.dir);
  const k = kioskConfig(w, { id: 'gate-1', hubPort: hub.port, password: gated, scanner: port.scanner, extra: { gate: { passage: { pin: 25, waitMs: 1000 } } } });
  const kiosk = start(['kiosk', 'run', '--config', k.path], 'kiosk');
  const dir = mkdtempSync(join(tmpdir(), 'chot-gate-2-'));
  let journal: Journal | undefined, uplink: Uplink | undefined;
  try {
    await waitFor('the kiosk to hold the lists', () => kiosk.log().includes('now holding status list version 1'), 15_000);
    await port.write(`${w.pass().text}\r`);
    // the sensor never closes: after gate.passage.waitMs the kiosk annuls the green and sends the annul
    const [g, a] = await waitFor('the green and its annul at the hub', () => { const s = hubScans(hub.dataDir).filter((x) => x.k === 'gate-1'); return s.length >= 2 ? s.sort((x, y) => (x.id < y.id ? -1 : 1)) : undefined; }, 15_000, 100);
    assert.equal([g.verdict, g.reason, a.verdict, a.reason], ['green', 'ok', 'red', 'no-passage']);
    assert.match(kiosk.log(), new RegExp(`scan ${a.id}: red no-passage \\(unknown, button, 0 ms\\): nobody passed the gate within 1000 ms of scan ${g.id}, which is annulled`));

    // another kiosk's batch, sent by the kiosk's own journal and uplink code: a green, its annul, a tailgate, and an
    // annul that names no scan
    journal = Journal.open(dir, { commitMs: 20 });
    uplink = new Uplink({ url: `mqtt://127.0.0.1:${hub.port}`, kioskId: 'gate-2', password: older, backoffMinMs: 100, backoffMaxMs: 1000, backlogPerSecond: 5000, batchMax: 100, ackTimeoutMs: 500, log: () => {} }, journal);
    const ids = new ScanIdGenerator();
    const now = Date.now();
    const green = { id: ids.next(now), at: now, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 1, category: 'resident' } as const;
    const recs: ScanRecord[] = [
      green,
      { id: ids.next(now + 1), at: now + 1, clockSynced: true, verdict: 'red', reason: 'no-passage', ...BUTTON, passId: green.id },
      { id: ids.next(now + 2), at: now + 2, clockSynced: true, verdict: 'red', reason: 'tailgate', ...BUTTON },
      { id: ids.next(now + 3), at: now + 3, clockSynced: true, verdict: 'red', reason: 'no-passage', ...BUTTON },
    ];
    for (const r of recs) journal.append(r);
    uplink.start({ v: 1, kiosk: 'gate-2', online: false, at: Date.now() });
    await waitFor('the batch acknowledged, the malformed record too (it can never be taken)', () => journal!.pending === 0, 15_000, 50);
    assert.match(hub.proc.log(), /ingest: refused 1 bad-passage-record of \d+ scans from kiosk gate-2/);
    assert.is(hub.proc.child.exitCode, null, 'the hub runs on');
    assert.equal(hubScans(hub.dataDir).filter((x) => x.k === 'gate-2').map((x) => x.reason).sort(), ['no-passage', 'ok', 'tailgate']);
    // the same records again, as a kiosk sends what it never saw acknowledged (a journal restored, a lost ack)
    await uplink.stop();
    journal.close();
    journal = Journal.open(join(dir, 'again'), { commitMs: 20 });
    uplink = new Uplink({ url: `mqtt://127.0.0.1:${hub.port}`, kioskId: 'gate-2', password: older, backoffMinMs: 100, backoffMaxMs: 1000, backlogPerSecond: 5000, batchMax: 100, ackTimeoutMs: 500, log: () => {} }, journal);
    for (const r of recs) journal.append(r);
    uplink.start({ v: 1, kiosk: 'gate-2', online: false, at: Date.now() });
    await waitFor('the records sent again, acknowledged', () => journal!.pending === 0, 15_000, 50);
    assert.is(hubScans(hub.dataDir).filter((x) => x.k === 'gate-2').length, 3, 'each stored once');

    // the operators' view: the kiosk's status says it has a sensor; the other gate has passage records
    const reader = chot(['account', 'add', 'reader', '--role', 'service', '--config', hub.config]);
    assert.is(reader.code, 0, reader.err);
    const auth = { Authorization: `Bearer reader:${JSON.parse(reader.out).password as string}` };
    const http = webPort(hub.proc.log());
    const day = localDay(Date.now(), TZ);
    await accountsKnown(hub, 1);
    const res = await fetch(`http://127.0.0.1:${http}/api/figures?day=${day}`, { headers: auth });
    assert.is(res.status, 200);
    const f = await res.json() as { nationwide: { scans: number; passage?: unknown }; checkpoints: Array<{ id: string; passage?: unknown }> };
    assert.equal(f.checkpoints.map((c) => [c.id, c.passage]), [
      ['gate-1', { validated: 1, passed: 0, notPassed: 1, tailgating: 0 }],
      ['gate-2', { validated: 1, passed: 0, notPassed: 1, tailgating: 1 }],
    ]);
    assert.equal(f.nationwide.passage, { validated: 2, passed: 0, notPassed: 2, tailgating: 1 }, 'each record counted once');
    assert.is(f.nationwide.scans, 2, 'the passage records are not scans');
    const csv = await (await fetch(`http://127.0.0.1:${http}/api/export.csv?day=${day}`, { headers: auth })).text();
    assert.match(csv.split('\n')[0], /,validated,passed,not_passed,tailgating$/);
    assert.match(csv, /\n\d{4}-\d{2}-\d{2},gate-2,.*,1,0,1,1\n/);
  } finally {
    await uplink?.stop();
    journal?.close();
    rmSync(dir, { recursive: true, force: true });
    await stop(kiosk);
    await port.close();
    await stop(hub.proc);
  }
});

test.after(() => killAll());
test.run();

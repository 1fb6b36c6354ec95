// Format versions of the kiosk's files (issue 16 item 4): a version reads the files of versions before it, the version
// rolled back to reads what the newer one wrote when the format did not change, and a file in a newer format is left
// as it is and said so in one line, its scans kept. The older files here are made as the code before format versions
// wrote them, byte for byte, by hand (the frame layout, lowdb's JSON, enrol's JSON), not by the code under test: a
// change that stopped reading them, or that wrote something else, fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanIdGenerator, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../src/journal/journal.js';
import { StateStore } from '../src/state/store.js';
import { loadConfigWithState, ConfigError } from '../src/config.js';
import { Updater } from '../src/update/agent.js';
import { doctor } from '../src/doctor.js';

const made: string[] = [];
const dir = (name: string) => { const d = mkdtempSync(join(tmpdir(), `chot-formats-${name}-`)); made.push(d); return d; };
const ids = new ScanIdGenerator();
const T0 = Date.UTC(2021, 8, 10, 1, 0, 0);
const rec = (i: number): ScanRecord => ({
  id: ids.next(T0 + i * 1000), at: T0 + i * 1000, clockSynced: true, verdict: i % 3 ? 'green' : 'red', reason: i % 3 ? 'ok' : 'expired',
  format: 'pass', source: 'serial', ms: 1.25, passId: `pass-${i}`, holder: `holder-${i}`, category: 'resident',
});

/** A journal frame as the journal before format versions wrote it: 0xC7, type, u32 BE length, u32 BE CRC-32 of type and payload, JSON. */
function frame(type: 1 | 2, json: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(json), 'utf8');
  const head = Buffer.alloc(10);
  head[0] = 0xc7;
  head[1] = type;
  head.writeUInt32BE(payload.length, 2);
  head.writeUInt32BE(crc32(Buffer.concat([Buffer.from([type]), payload])), 6);
  return Buffer.concat([head, payload]);
}
const seg = (no: number) => `seg-${String(no).padStart(8, '0')}.log`;

test('journal: segments written as before format versions are read as format 1; what this version appends is the same layout, so the version before reads it', () => {
  const d = dir('journal-old');
  const rs = Array.from({ length: 8 }, (_, i) => rec(i));
  // segment 1: five scans, two of them confirmed; segment 2: three scans and the confirmation of one from segment 1
  const one = Buffer.concat([...rs.slice(0, 5).map((r) => frame(1, r)), frame(2, [rs[0].id, rs[1].id])]);
  const two = Buffer.concat([...rs.slice(5).map((r) => frame(1, r)), frame(2, [rs[2].id])]);
  writeFileSync(join(d, seg(1)), one);
  writeFileSync(join(d, seg(2)), two);
  const logs: string[] = [];
  const j = Journal.open(d, { commitMs: 0, log: (l) => logs.push(l) });
  assert.is(j.pending, 5);
  assert.equal(j.oldest(10), [rs[3], rs[4], rs[5], rs[6], rs[7]], 'the unsent scans, oldest first, every field as written');
  assert.equal(logs, [], 'nothing said: these are ordinary files');
  // this version appends a scan and a confirmation: the last segment grows by exactly the old layout's frames
  const more = rec(8);
  j.append(more);
  j.ack([rs[3].id]);
  j.close();
  assert.equal(readdirSync(d).sort(), [seg(1), seg(2)]);
  assert.equal(readFileSync(join(d, seg(1))), one, 'an older segment is not rewritten');
  assert.equal(readFileSync(join(d, seg(2))), Buffer.concat([two, frame(1, more), frame(2, [rs[3].id])]));
  // and read back again
  const k = Journal.open(d);
  assert.equal(k.oldest(10).map((r) => r.id), [rs[4], rs[5], rs[6], rs[7], more].map((r) => r.id));
  k.close();
});

test('journal: segments in a newer format are kept untouched, their scans neither sent nor confirmed, said once; new scans go after them', () => {
  const d = dir('journal-newer');
  const rs = Array.from({ length: 4 }, (_, i) => rec(i));
  writeFileSync(join(d, seg(1)), Buffer.concat(rs.slice(0, 2).map((r) => frame(1, r))));
  // what a later version might write: another magic, another frame; this version must not take it for damage
  const newer = Buffer.concat([Buffer.from('CHOTJ2'), Buffer.from(JSON.stringify({ scans: [rs[2], rs[3]] }))]);
  const newerName = 'seg-00000002.f2.log';
  writeFileSync(join(d, newerName), newer);
  const logs: Array<[string, string | undefined]> = [];
  const j = Journal.open(d, { commitMs: 0, segmentBytes: 600, maxBytes: 3000, log: (l, level) => logs.push([l, level]) });
  assert.is(logs.length, 1, logs.map(([l]) => l).join('\n'));
  assert.match(logs[0][0], /^journal: 1 segment\(s\) in .* are in format 2 \(seg-00000002\.f2\.log\), which this version of chot does not read \(it reads format 1\): kept untouched, their scans unsent and unconfirmed; run a version that reads format 2 again \(chot release rollout\) to send them, and do not delete them$/);
  assert.is(logs[0][1], 'error');
  assert.is(j.stats.otherFormatSegments, 1);
  assert.equal(j.oldest(10).map((r) => r.id), [rs[0].id, rs[1].id], 'only the format-1 scans are sent from here');
  // new scans go after the newer segment, in a segment of this version's format
  const fresh = rec(10);
  j.append(fresh);
  assert.ok(existsSync(join(d, seg(3))), readdirSync(d).join(' '));
  // everything of this version's confirmed, rotation and the disk cap at work: the newer segment stays as it was
  j.ack([rs[0].id, rs[1].id, fresh.id]);
  for (let i = 20; i < 80; i++) j.append(rec(i));
  assert.ok(j.stats.unconfirmedDropped > 0, 'the cap was reached');
  j.close();
  assert.equal(readFileSync(join(d, newerName)), newer);
  assert.ok(!existsSync(join(d, seg(1))), 'a confirmed format-1 segment is collected as before');
  const seen = Journal.inspect(d);
  assert.equal(seen.otherFormat, [newerName]);
  // a restart says it again, and still leaves it
  const again: string[] = [];
  Journal.open(d, { log: (l) => again.push(l) }).close();
  assert.is(again.filter((l) => l.includes('format 2')).length, 1);
  assert.equal(readFileSync(join(d, newerName)), newer);
});

test('state.json: a file as lowdb wrote it before format versions is read as format 1; the next write keeps every field and adds format 1', async () => {
  const d = dir('state-old');
  const root = generateKeyPairSync('ed25519').publicKey;
  const old = {
    trust: { version: 3, receivedAt: T0 }, status: { version: 7, receivedAt: T0 + 60_000 },
    hubConfig: { v: 1, kiosk: 'booth-1', area: '79/26734', timeZone: 'Asia/Ho_Chi_Minh' }, lastWallClock: T0 + 120_000,
  };
  writeFileSync(join(d, 'state.json'), JSON.stringify(old, null, 1)); // lowdb through DurableJsonFile, as before
  const logs: string[] = [];
  const s = await StateStore.open(d, root, (l) => logs.push(l));
  assert.equal(logs, []);
  assert.equal(s.db.data.trust, old.trust);
  assert.equal(s.db.data.hubConfig, old.hubConfig);
  assert.is(s.listAge(T0 + 3_600_000), 3_600_000, 'the arrival times read as written');
  await s.saveHubConfig({ ...old.hubConfig, area: '79/26737' } as never);
  const written = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
  // the version before reads this: the same fields it wrote, one it ignores (lowdb keeps it when it writes back)
  assert.equal(written, { format: 1, ...old, hubConfig: { ...old.hubConfig, area: '79/26737' } });
});

test('state.json: a newer format is left as it is, said in one line; the kiosk runs on its state in memory', async () => {
  const d = dir('state-newer');
  const root = generateKeyPairSync('ed25519').publicKey;
  const text = JSON.stringify({ format: 2, lists: { trust: { v: 3 } } }, null, 1);
  writeFileSync(join(d, 'state.json'), text);
  const logs: Array<[string, string | undefined]> = [];
  const s = await StateStore.open(d, root, (l, level) => logs.push([l, level]));
  assert.is(logs.length, 1);
  assert.match(logs[0][0], /^state: .*state\.json is in format 2, which this version of chot does not read \(it reads format 1\): left as it is; .*chot release rollout.*move the file away/);
  assert.is(s.db.data.trust, undefined, 'nothing misread from it');
  await s.saveHubConfig({ v: 1, kiosk: 'booth-1', area: '79/26734' } as never);
  assert.is(s.db.data.hubConfig?.area, '79/26734', 'held in memory');
  assert.is(readFileSync(join(d, 'state.json'), 'utf8'), text, 'the file is not written over');
});

test('chot doctor: a journal with segments in a newer format fails its check, with what to do', async () => {
  const d = dir('doctor');
  const cfg = kioskConfig(d);
  mkdirSync(join(d, 'state', 'journal'));
  writeFileSync(join(d, 'state', 'journal', seg(1)), frame(1, rec(1)));
  writeFileSync(join(d, 'state', 'journal', 'seg-00000002.f2.log'), Buffer.from('CHOTJ2'));
  const j = (await doctor(cfg, { devDir: d })).find((c) => c.name === 'journal')!;
  assert.is(j.ok, false);
  assert.match(j.detail, /^1 scans waiting for the hub, 1 segments, 0\.0 MB; 1 more segment\(s\) in a format this version does not read \(seg-00000002\.f2\.log\): a newer version wrote them; their scans wait, unsent, on disk$/);
  assert.match(j.fix ?? '', /chot release rollout.*do not delete them/);
});

function kioskConfig(d: string): string {
  const pem = join(d, 'root.pub.pem');
  writeFileSync(pem, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const path = join(d, 'kiosk.json');
  writeFileSync(path, JSON.stringify({ kiosk: { id: 'unenrolled' }, rootKey: pem, stateDir: join(d, 'state'), scanner: { type: 'none' }, gpio: { driver: 'sim' } }));
  mkdirSync(join(d, 'state'));
  return path;
}

test('enrolled.json: as enrol wrote it before is read; a newer format stops the start with what to do, and is left as it is', () => {
  const d = dir('enrolled');
  const cfg = kioskConfig(d);
  const file = join(d, 'state', 'enrolled.json');
  // enrol.ts: JSON with two spaces and a newline, v 1
  const e = { v: 1, at: T0, kiosk: { id: 'hcm-q1-001', area: '79/26734', timeZone: 'Asia/Ho_Chi_Minh' }, hub: { web: 'http://hub.example.vn:8090', url: 'mqtt://hub.example.vn:1883', passwordFile: join(d, 'state', 'hub.secret') } };
  writeFileSync(file, JSON.stringify(e, null, 2) + '\n');
  const loaded = loadConfigWithState(cfg);
  assert.equal([loaded.config.kiosk.id, loaded.config.kiosk.area, loaded.config.hub.url, loaded.enrolled], ['hcm-q1-001', '79/26734', 'mqtt://hub.example.vn:1883', file]);
  const newer = JSON.stringify({ ...e, v: 2, kiosk: { ...e.kiosk, zone: 'north' } }, null, 2) + '\n';
  writeFileSync(file, newer);
  try {
    loadConfigWithState(cfg);
    assert.unreachable('a newer enrolment was read');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, /enrolled\.json is enrolment format 2, which this version of chot does not read \(it reads format 1\): left as it is; run the version that wrote it again \(chot release rollout\), or move it away and enrol again/);
    assert.not.match((err as Error).message, /delete it/);
  }
  assert.is(readFileSync(file, 'utf8'), newer);
});

test('update/state.json: a newer format is not written over by the agent, whatever it does meanwhile', () => {
  const d = dir('agent');
  const st = join(d, 'state');
  mkdirSync(join(st, 'update'), { recursive: true });
  const text = JSON.stringify({ format: 2, seq: 9, failed: {}, extra: true });
  writeFileSync(join(st, 'update', 'state.json'), text);
  const logs: string[] = [];
  const u = new Updater({
    kioskId: 'k1', stateDir: st, timeZone: 'Asia/Ho_Chi_Minh', log: (l) => logs.push(l), changed: () => {}, restart: () => {},
    trust: () => ({ version: 0, issuedAt: 0, entries: [], byKid: new Map() }),
    running: { version: '1.0.0', fromRelease: true, root: join(d, 'opt', 'releases', '1.0.0') },
    settings: { dir: join(d, 'opt'), idleSeconds: 60, rateKBps: 100, confirmSeconds: 30 },
  });
  u.start();
  u.rollout(new Uint8Array([1, 2, 3])); // refused (not a rollout): a status change the agent would save
  u.stop();
  assert.is(u.status().state, 'refused');
  assert.match(logs.join('\n'), /state\.json is format 2, newer than this version reads \(1\): left as it is/);
  assert.is(readFileSync(join(st, 'update', 'state.json'), 'utf8'), text);
});

test.after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
test.run();

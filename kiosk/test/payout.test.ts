// The payout desk end to end in one process, built by buildKiosk as the booth builds it, with the simulated GPIO,
// scanner and uplink, and the hub's payout desk in memory (payout/sim-hub.ts, deciding claims as the hub's store
// does). Two desks and one citizen at the same moment, a lost reply, a restart between the claim and its answer,
// the hub out of reach, and each refusal with its reason. The claim timeout runs on a clock the test moves by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStatusList, signProgrammeWard, type Programme } from '../../protocol/src/index.js';
import { checkConfig } from '../src/config.js';
import type { Kiosk, ScanView } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { SimUplink } from '../src/uplink/sim.js';
import { SimPayoutHub } from '../src/payout/sim-hub.js';
import { ClaimBook, CLAIMS_FILE } from '../src/payout/claims.js';
import { payoutCheck } from '../src/payout/doctor.js';
import type { Level } from '../../lib/log.js';
import { ManualTimers } from './manual-timers.js';
import { makeWorld, waitFor } from './rig.js';

const w = makeWorld('payout');
const lists = join(w.dir, 'hub', 'lists');
const WARD = '79/26734';
const sec = Math.floor(Date.now() / 1000);
const P: Programme = { id: 'ho-tro-2021', name: 'Hỗ trợ người lao động 2021', amount: 1_500_000, validFrom: sec - 86400, validUntil: sec + 30 * 86400, version: 2 };
// citizens by holder token: on this ward's list (A-F), one the hub has since moved to another ward (MOVED), one on no list
const CIT = { a: 'a1a1a1a1a1a1a1a1', b: 'b2b2b2b2b2b2b2b2', c: 'c3c3c3c3c3c3c3c3', d: 'd4d4d4d4d4d4d4d4', e: 'e5e5e5e5e5e5e5e5', f: 'f6f6f6f6f6f6f6f6', moved: '0707070707070707', none: '0808080808080808' };
const ON_LIST = [CIT.a, CIT.b, CIT.c, CIT.d, CIT.e, CIT.f, CIT.moved];
const wardList = (p: Programme) => signProgrammeWard(p, WARD, ON_LIST.map((h) => Buffer.from(h, 'hex')), w.root.privateKey);
const desk = new SimPayoutHub({
  programme: P, wardOf: () => WARD,
  eligible: new Map([...ON_LIST.filter((h) => h !== CIT.moved).map((h) => [h, WARD] as [string, string]), [CIT.moved, '79/27001']]),
});
const revoked = w.pass({ holderToken: Buffer.from(CIT.f, 'hex') });
const status = w.signStatus(buildStatusList(1, sec, [], [revoked.pass.id]));
writeFileSync(join(w.dir, 'synced'), '');

interface Desk { kiosk: Kiosk; hub: SimUplink; gpio: SimGpio; scanner: SimSource; timers: ManualTimers; logs: string[] }
const desks: Desk[] = [];

async function openDesk(id: string, o: { reachable?: boolean; signIn?: boolean; list?: Uint8Array | null } = {}): Promise<Desk> {
  const gpio = new SimGpio(), scanner = new SimSource(), timers = new ManualTimers(), logs: string[] = [];
  let hub!: SimUplink;
  const config = checkConfig({
    kiosk: { id, area: WARD, debounceMs: 300 }, rootKey: w.rootPub, stateDir: join(w.dir, id), mode: 'payout', payout: { programme: P.id, claimTimeoutMs: 10_000 },
    hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 1 }, scanner: { type: 'sim' },
    gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 }, clock: { syncedFile: join(w.dir, 'synced') },
  });
  const kiosk = await buildKiosk(config, {
    gpio, sources: [scanner], timers,
    uplink: (journal) => {
      hub = new SimUplink(journal, { payouts: desk, reachable: o.reachable ?? true });
      hub.publish('trust', new Uint8Array(readFileSync(join(lists, 'trust-officers.cose'))));
      hub.publish('statusList', status);
      if (o.list !== null) hub.publishProgramme(P.id, WARD, o.list ?? wardList(P));
      return hub;
    },
  }, (line: string, _level?: Level) => { logs.push(line); });
  const d = { kiosk, hub, gpio, scanner, timers, logs };
  desks.push(d);
  if (o.reachable ?? true) await waitFor('the lists', () => kiosk.store.status.version === 1 && (o.list === null || kiosk.payout?.hold.held));
  if (o.signIn ?? true) {
    scanner.feed(w.officer().text);
    await waitFor('the officer signed in', () => kiosk.onDuty());
  }
  return d;
}

const passOf = (holder: string) => w.pass({ holderToken: Buffer.from(holder, 'hex') }).text;
/** Feeds a code and returns its scan as the kiosk keeps it (its payout view changes as answers come). */
async function scan(d: Desk, text: string): Promise<ScanView> {
  const before = d.kiosk.history[0];
  d.scanner.feed(text);
  return waitFor('the scan', () => (d.kiosk.history[0] !== before ? d.kiosk.history[0] : undefined), 3000, 5);
}
const settled = (v: ScanView) => waitFor(`the answer to scan ${v.record.id}`, () => (v.payout && v.payout.by !== 'wait' ? v.payout : undefined), 3000, 5);
const greens = (d: Desk) => d.gpio.timeline.filter((c) => c.name === 'green' && c.on).length;

test('the ward\'s programme list: taken when the root signed it, kept on disk across a restart, an older version refused', async () => {
  const a = await openDesk('list-a');
  const s = a.kiosk.payout!.screen();
  assert.equal([s.ward, s.programme?.name, s.programme?.amount, s.programme?.version, s.programme?.eligible, s.programme?.open], [WARD, P.name, 1_500_000, 2, ON_LIST.length, 'open']);
  a.hub.publishProgramme(P.id, WARD, wardList({ ...P, version: 1 }));
  await waitFor('the older list refused', () => a.logs.some((l) => /programme list refused: version 1 is older than version 2 held/.test(l)));
  assert.is(a.kiosk.payout!.hold.held!.programme.version, 2);
  // a list signed by another key is refused too
  const { generateKeyPairSync } = await import('node:crypto');
  a.hub.publishProgramme(P.id, WARD, signProgrammeWard({ ...P, version: 9 }, WARD, [], generateKeyPairSync('ed25519').privateKey));
  await waitFor('the forged list refused', () => a.logs.filter((l) => /programme list refused/.test(l)).length === 2);
  assert.is(a.kiosk.payout!.hold.held!.programme.version, 2);
  await a.kiosk.stop();
  // restarted with no hub: the last good list is still held
  const again = await openDesk('list-a', { reachable: false, signIn: false, list: null });
  assert.is(again.kiosk.payout!.hold.held?.programme.version, 2);
  await again.kiosk.stop();
});

test('two desks scan the same citizen at the same moment: exactly one is told to pay; the other says where and when it was paid', async () => {
  const [a, b] = await Promise.all([openDesk('ward-a'), openDesk('ward-b')]);
  const text = passOf(CIT.a);
  const [va, vb] = await Promise.all([scan(a, text), scan(b, text)]);
  const [pa, pb] = await Promise.all([settled(va), settled(vb)]);
  assert.equal([pa.reason, pb.reason].sort(), ['already-paid', 'paid'], 'exactly one payment');
  const [winner, loser, loserView] = pa.reason === 'paid' ? ['ward-a', b, pb] : ['ward-b', a, pa];
  assert.match(loserView.message.en, new RegExp(`^Already paid at ${winner} at \\d\\d:\\d\\d \\d\\d/\\d\\d/\\d{4}: do not pay again\\.$`));
  assert.is(greens(loser), 0, 'the other desk never lit green');
  assert.is(greens(a) + greens(b), 1);
  assert.is(desk.payments.size, 1);
  // the winner's own desk, scanned again: already paid here, from its claim book, no second claim sent
  const win = winner === 'ward-a' ? a : b;
  const n = desk.received.length;
  const again = await scan(win, passOf(CIT.a));
  assert.is(again.payout?.reason, 'already-paid');
  assert.match(again.payout!.message.en, /^Already paid at this kiosk/);
  assert.is(desk.received.length, n);
});

test('the reply is lost: the desk says wait (never green), then resends the same key and learns its own claim won; nothing paid twice', async () => {
  const a = desks.find((d) => d.kiosk.config.kiosk.id === 'ward-a')!;
  const g = greens(a);
  desk.loseReplies = true;
  const v = await scan(a, passOf(CIT.b));
  assert.is(v.payout?.reason, 'asking');
  await waitFor('the hub to commit the claim', () => desk.payments.has(CIT.b));
  a.timers.advance(10_000);
  assert.is(v.payout?.reason, 'hub-timeout');
  assert.match(v.payout!.message.vi, /^Chưa chi trả: trung tâm chưa trả lời, vui lòng chờ\./);
  assert.is(greens(a), g, 'no green without the hub\'s answer');
  await waitFor('the claim sent again after the timeout', () => desk.received.filter((r) => r.holder === CIT.b).length === 2);
  // the link stays up (a hub process behind a broker cluster died and came back): after the next timeout the claim
  // goes again with its own key, and this time the answer arrives
  desk.loseReplies = false;
  a.timers.advance(19_999);
  await new Promise((r) => setImmediate(r)); // the simulated hub takes a claim on the next turn
  assert.is(desk.received.filter((r) => r.holder === CIT.b).length, 2, 'each wait twice the last: not sent again before 20 s');
  a.timers.advance(1);
  const p = await settled(v);
  assert.is(p.reason, 'paid');
  assert.match(p.message.en, /^Pay 1,500,000 VND \(the hub's reply came late; confirmed\)\.$/, 'the citizen told to wait is paid');
  assert.is(greens(a), g + 1);
  const keys = new Set(desk.received.filter((r) => r.holder === CIT.b).map((r) => r.key));
  assert.is(keys.size, 1, 'one key for that citizen, however often it was sent');
  assert.is(desk.received.filter((r) => r.holder === CIT.b).length, 3, 'the first send and two resends');
  assert.is(desk.payments.get(CIT.b)?.kiosk, 'ward-a');
});

test('the kiosk restarts between sending a claim and its answer: the same key is resent; the late payment waits for the citizen', async () => {
  const first = await openDesk('ward-c');
  desk.loseReplies = true;
  await scan(first, passOf(CIT.c));
  await waitFor('the hub to commit the claim', () => desk.payments.has(CIT.c));
  const key = desk.payments.get(CIT.c)!.key;
  // the claim was on disk before it was sent
  assert.ok(JSON.parse(readFileSync(join(w.dir, 'ward-c', CLAIMS_FILE), 'utf8')).claims.some((c: { key: string }) => c.key === key));
  await first.kiosk.stop();
  desk.loseReplies = false;
  const second = await openDesk('ward-c', { signIn: false });
  await waitFor('the resent claim answered', () => second.kiosk.payout!.screen().owed === 1);
  const sent = desk.received.filter((r) => r.holder === CIT.c);
  assert.equal(sent.map((r) => r.key), [key, key], 'the same key, sent again after the restart');
  assert.is(greens(second), 0, 'a late payment for a citizen no longer at the desk does not light green');
  // the citizen scans again (an officer signed in): the same key again, the hub's "paid", and now the screen says pay
  second.scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => second.kiosk.onDuty());
  const v = await scan(second, passOf(CIT.c));
  assert.is((await settled(v)).reason, 'paid');
  assert.is(greens(second), 1);
  assert.equal(new Set(desk.received.filter((r) => r.holder === CIT.c).map((r) => r.key)), new Set([key]));
  assert.is(desk.payments.get(CIT.c)?.key, key, 'paid once');
  // and a third scan is "already paid here", without asking the hub
  const third = await scan(second, passOf(CIT.c));
  assert.is(third.payout?.reason, 'already-paid');
});

test('each refusal with its reason, no claim sent: not on the list, a revoked pass, an expired pass, nobody signed in', async () => {
  const d = await openDesk('ward-d', { signIn: false });
  const n = desk.received.length;
  const nobody = await scan(d, passOf(CIT.d));
  assert.is(nobody.payout?.reason, 'sign-in-needed');
  d.scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => d.kiosk.onDuty());
  const notOnList = await scan(d, passOf(CIT.none));
  assert.is(notOnList.payout?.reason, 'not-eligible');
  const rev = await scan(d, revoked.text);
  assert.equal([rev.payout?.reason, rev.record.reason], ['pass-refused', 'revoked']);
  assert.is(rev.payout?.message.en, 'The pass has been revoked. Not paid.');
  const expired = await scan(d, w.pass({ holderToken: Buffer.from(CIT.d, 'hex'), validFrom: sec - 7200, issuedAt: sec - 7200, validUntil: sec - 3600 }).text);
  assert.equal([expired.payout?.reason, expired.record.reason], ['pass-refused', 'expired']);
  assert.is(desk.received.length, n, 'no claim for any of them');
  assert.is(greens(d), 0);
  // each scan is journaled as the pass check it was, and goes to the hub like any scan
  await waitFor('the scans at the hub', () => [nobody, notOnList, rev, expired].every((v) => d.hub.stored.has(v.record.id)));
});

test('the hub says the citizen now lives in another ward: refused with that reason and the ward, in words', async () => {
  const d = desks.find((x) => x.kiosk.config.kiosk.id === 'ward-d')!;
  const v = await scan(d, passOf(CIT.moved));
  const p = await settled(v);
  assert.is(p.reason, 'other-ward');
  assert.is(p.message.vi, 'Trung tâm: người này đăng ký cư trú ở phường/xã khác (mã 79/27001): nhận hỗ trợ tại nơi cư trú, không chi trả tại đây.');
  assert.is(p.message.en, 'The hub: this citizen is registered in another ward (79/27001): support is paid where they reside, not here.');
  assert.is(greens(d), 0);
});

test('an expired programme pays nobody: refused at the desk with its end date, no claim', async () => {
  const e = await openDesk('ward-e', { list: wardList({ ...P, validFrom: sec - 60 * 86400, validUntil: sec - 86400, version: 5 }) });
  const n = desk.received.length;
  const v = await scan(e, passOf(CIT.e));
  assert.is(v.payout?.reason, 'programme-not-open');
  assert.match(v.payout!.message.en, /^The programme has ended \(until \d\d:\d\d \d\d\/\d\d\/\d{4}\): not paid\.$/);
  assert.is(e.kiosk.payout!.screen().programme?.open, 'ended');
  assert.is(desk.received.length, n);
});

test('the hub out of reach: "not paid, please wait", never green; the claim goes when the link is back and the screen then says pay', async () => {
  const f = await openDesk('ward-f', { reachable: false, signIn: false });
  // a new desk: give it its lists through the link once, sign in, then cut the link
  f.hub.setReachable(true);
  await waitFor('the lists', () => f.kiosk.store.status.version === 1 && f.kiosk.payout?.hold.held);
  f.scanner.feed(w.officer().text);
  await waitFor('the officer signed in', () => f.kiosk.onDuty());
  f.hub.setReachable(false);
  const v = await scan(f, passOf(CIT.e));
  assert.is(v.payout?.reason, 'hub-offline');
  assert.is(v.payout?.message.vi.split('. ')[0], 'Chưa chi trả: mất kết nối với trung tâm, vui lòng chờ');
  assert.is(v.payout?.message.en.split('. ')[0], 'Not paid: no connection to the hub, please wait');
  assert.is(greens(f), 0);
  assert.ok(f.gpio.timeline.some((c) => c.name === 'red' && c.on), 'red, not green');
  assert.ok(existsSync(join(w.dir, 'ward-f', CLAIMS_FILE)), 'the claim is kept');
  assert.not.ok(desk.payments.has(CIT.e), 'nothing paid while the hub is away');
  f.hub.setReachable(true);
  assert.is((await settled(v)).reason, 'paid');
  assert.is(greens(f), 1);
});

test('chot doctor\'s payout line: the list held, the amount and dates, the claims; a desk with no list fails with the fix', async () => {
  const c = desks.find((d) => d.kiosk.config.kiosk.id === 'ward-c')!.kiosk.config;
  const ok = payoutCheck(c)!;
  assert.is(ok.ok, true);
  assert.is(ok.warn, undefined, ok.detail);
  assert.match(ok.detail, /^ho-tro-2021 v2 for ward 79\/26734: 7 eligible, 1,500,000 VND each, paying .* to .*; claims: 1 paid here, 0 waiting for the hub, 0 owed/);
  const none = payoutCheck({ ...c, stateDir: join(w.dir, 'no-such-desk') })!;
  assert.is(none.ok, false);
  assert.match(none.detail, /^no list of programme ho-tro-2021 for ward 79\/26734: nothing can be paid/);
  assert.match(none.fix ?? '', /chot programme import/);
  assert.is(payoutCheck({ ...c, mode: 'checkpoint' }), undefined, 'a checkpoint has no payout line');
});

test('a damaged claim book is moved aside and said so; a newer version\'s is left alone and not written', () => {
  const dir = join(w.dir, 'book-damaged');
  mkdirSync(dir);
  writeFileSync(join(dir, CLAIMS_FILE), '{"format":1,"claims":[{"key":');
  const lines: string[] = [];
  const book = new ClaimBook(dir, (l) => lines.push(l));
  assert.equal(book.counts(), { pending: 0, owed: 0, paid: 0 });
  assert.match(lines.join('\n'), /cannot be read .*moved to .*damaged-\d+ and started an empty claim book: check its claims against the hub's payouts/);
  assert.ok(readdirSync(dir).some((f) => f.startsWith(`${CLAIMS_FILE}.damaged-`)), 'kept for the ward office');
  const newer = join(w.dir, 'book-newer');
  mkdirSync(newer);
  const text = JSON.stringify({ format: 2, claims: [], more: 'a newer version' });
  writeFileSync(join(newer, CLAIMS_FILE), text);
  const later = new ClaimBook(newer, (l) => lines.push(l));
  later.add({ key: 'k'.repeat(22), programme: P.id, holder: CIT.a, at: 1, scanId: 'x', scanAt: 1 });
  assert.is(readFileSync(join(newer, CLAIMS_FILE), 'utf8'), text, 'the newer file is not overwritten');
  assert.match(lines[lines.length - 1], /is in format 2, which this version does not read/);
});

test('no holder token, name or ID digits in the log', () => {
  const all = desks.flatMap((d) => d.logs).join('\n');
  assert.not.match(all, new RegExp(Object.values(CIT).join('|')));
  assert.not.match(all, /Phạm Thị Lan|2468/);
});

test.after(async () => { for (const d of desks) await d.kiosk.stop().catch(() => {}); });
test.run();

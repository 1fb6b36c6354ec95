// One contract for the uplink port, passed by the real uplink (MQTT, against a real hub in this process) and by
// the simulated one (the hub in memory) that the kiosk's other tests use: what they share is what those tests may
// rely on. A scanned record is delivered, acknowledged and forgotten by the journal; lists published by the hub
// arrive unchanged; statuses reach the hub; with the hub unreachable the backlog stays in the journal and all of
// it goes when the hub is back; stop tells the hub the kiosk is offline. A payout desk's ward list arrives on its
// retained topic, and each claim is answered by its key (the hub's payout desk, or its simulation in payout/sim-hub.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ScanIdGenerator, localDay, signProgrammeWard, signTrustList, topics, type ClaimRequest, type ClaimResult, type KioskStatus, type Programme, type ScanRecord } from '../../protocol/src/index.js';
import { Journal } from '../src/journal/journal.js';
import type { LinkState, UplinkPort } from '../src/uplink/port.js';
import { Uplink } from '../src/uplink/uplink.js';
import { SimUplink } from '../src/uplink/sim.js';
import { SimPayoutHub } from '../src/payout/sim-hub.js';
import { Hub } from '../../hub/src/hub.js';
import { checkHubConfig } from '../../hub/src/config.js';
import { makeWorld, sleep, waitFor } from './rig.js';

const w = makeWorld('uplink');
const temps: string[] = [];
const quiet = () => {};

/** An uplink over a fresh journal, and the hub's side of it: what the contract needs to look at and to break. */
interface Rig {
  uplink: UplinkPort;
  journal: Journal;
  /** the hub becomes unreachable, or reachable again */
  down(): Promise<void>;
  up(): Promise<void>;
  publishTrust(bytes: Uint8Array): Promise<void>;
  /** a support programme: its eligibility at the hub, and a ward's signed list published retained */
  putProgramme(eligible: Array<{ holder: string; ward: string }>): Promise<void>;
  publishProgramme(ward: string, bytes: Uint8Array): Promise<void>;
  /** which of these scans the hub holds */
  stored(records: ScanRecord[]): Promise<Set<string>>;
  lastStatus(): KioskStatus | undefined;
  close(): Promise<void>;
}

function journal(): Journal {
  const dir = mkdtempSync(join(tmpdir(), 'chot-uplink-'));
  temps.push(dir);
  return Journal.open(dir, { commitMs: 5 });
}

const KIOSK = 'booth-u';
const WARD = '79/26734';
const sec = Math.floor(Date.now() / 1000);
const PROGRAMME: Programme = { id: 'ho-tro-2021', name: 'Hỗ trợ người lao động 2021', amount: 1_500_000, validFrom: sec - 86400, validUntil: sec + 86400, version: 1 };

async function realRig(): Promise<Rig> {
  const hubConfig = (port: number) => checkHubConfig({ dataDir: join(w.dir, 'hub'), mqtt: { host: '127.0.0.1', port }, http: { host: '127.0.0.1', port: 0 } });
  let hub = await Hub.start(hubConfig(0), quiet);
  const port = hub.ports.mqtt!;
  const { secret } = await hub.admin.add(KIOSK, '79/26734');
  await hub.reloadRegistry();
  const j = journal();
  const uplink = new Uplink({ url: `mqtt://127.0.0.1:${port}`, kioskId: KIOSK, password: secret, backoffMinMs: 100, backoffMaxMs: 500, backlogPerSecond: 2000, batchMax: 100, ackTimeoutMs: 3000, log: quiet }, j);
  let running = true;
  return {
    uplink, journal: j,
    async down() { await hub.stop(); running = false; },
    async up() { hub = await Hub.start(hubConfig(port), quiet); running = true; },
    async publishTrust(bytes) { await hub.broker.publish(topics.trust, bytes, true); },
    async putProgramme(eligible) { await hub.store.putProgramme(PROGRAMME, eligible); },
    async publishProgramme(ward, bytes) { await hub.broker.publish(topics.programme(PROGRAMME.id, ward), bytes, true); },
    async stored(records) {
      const out = new Set<string>();
      for (const day of new Set(records.map((r) => localDay(r.at, hub.config.timeZone)))) for (const s of await hub.store.scansOfDay(day)) if (s.k === KIOSK) out.add(s.id);
      return out;
    },
    lastStatus: () => hub.broker.online.get(KIOSK),
    async close() { await uplink.stop(); j.close(); if (running) await hub.stop(); },
  };
}

async function simRig(): Promise<Rig> {
  const j = journal();
  const eligible = new Map<string, string>();
  const sim = new SimUplink(j, { payouts: new SimPayoutHub({ programme: PROGRAMME, eligible, wardOf: () => WARD }) });
  return {
    uplink: sim, journal: j,
    async down() { sim.setReachable(false); },
    async up() { sim.setReachable(true); },
    async publishTrust(bytes) { sim.publish('trust', bytes); },
    async putProgramme(list) { for (const e of list) eligible.set(e.holder, e.ward); },
    async publishProgramme(ward, bytes) { sim.publishProgramme(PROGRAMME.id, ward, bytes); },
    async stored(records) { return new Set(records.map((r) => r.id).filter((id) => sim.stored.has(id))); },
    lastStatus: () => sim.statuses[sim.statuses.length - 1],
    async close() { await sim.stop(); j.close(); },
  };
}

function contract(name: string, make: () => Promise<Rig>): void {
  let r: Rig;
  const gen = new ScanIdGenerator();
  const links: LinkState[] = [];
  const record = (): ScanRecord => {
    const at = Date.now();
    return { id: gen.next(at), at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'sim', ms: 1 };
  };
  const status = (over: Partial<KioskStatus> = {}): KioskStatus => ({ v: 1, kiosk: KIOSK, online: true, at: Date.now(), ...over });
  const HOLDER = 'a1a1a1a1a1a1a1a1';
  const claimOf = (key: string): ClaimRequest => ({ v: 1, kiosk: KIOSK, key, programme: PROGRAMME.id, holder: HOLDER, at: Date.now(), officer: 'CA79-00123' });

  test(`${name}: connects and says so: connecting, then online`, async () => {
    try { r = await make(); } catch (e) { console.error(`${name}: set-up failed:`, e); throw e; }
    r.uplink.on('link', (s) => links.push(s));
    r.uplink.start(status({ online: false }));
    await waitFor('online', () => r.uplink.state === 'online');
    assert.equal(links, ['connecting', 'online']);
  });

  test(`${name}: a scanned record is delivered and acknowledged with the hub's time, and the journal forgets it`, async () => {
    const acks: Array<[number, number]> = [];
    r.uplink.on('ack', (n, hubTime) => acks.push([n, hubTime]));
    const rec = record();
    r.journal.append(rec);
    assert.is(r.journal.pending, 1);
    r.uplink.scanned(rec.id);
    await waitFor('the acknowledgement', () => acks.length > 0);
    assert.is(acks[0][0], 1);
    assert.ok(Number.isFinite(acks[0][1]) && acks[0][1] > 0, 'the hub\'s time rides on the ack');
    assert.is(r.journal.pending, 0);
    assert.ok((await r.stored([rec])).has(rec.id));
  });

  test(`${name}: a list the hub publishes arrives unchanged`, async () => {
    const bytes = signTrustList(7, 0, [], w.root.privateKey);
    let got: Uint8Array | undefined;
    r.uplink.on('trust', (b) => { if (Buffer.from(b).equals(Buffer.from(bytes))) got = b; });
    await r.publishTrust(bytes);
    await waitFor('the trust list', () => got);
  });

  test(`${name}: a status the kiosk publishes reaches the hub`, async () => {
    r.uplink.publishStatus(status({ backlog: 7, trustVersion: 3 }));
    await waitFor('the status at the hub', () => r.lastStatus()?.backlog === 7);
    assert.is(r.lastStatus()!.trustVersion, 3);
  });

  test(`${name}: a payout desk takes its ward's list; each claim is answered by its key: paid once, a retry learns it won, another claim is already paid`, async () => {
    const bytes = signProgrammeWard(PROGRAMME, WARD, [Buffer.from(HOLDER, 'hex')], w.root.privateKey);
    await r.putProgramme([{ holder: HOLDER, ward: WARD }]);
    const lists: Uint8Array[] = [];
    r.uplink.on('programme', (b) => lists.push(b));
    await r.publishProgramme(WARD, bytes);
    await r.publishProgramme('79/27001', signProgrammeWard(PROGRAMME, '79/27001', [], w.root.privateKey));
    r.uplink.watchProgramme(PROGRAMME.id, WARD);
    await waitFor('the ward\'s list', () => lists.length > 0);
    assert.ok(lists.every((b) => Buffer.from(b).equals(Buffer.from(bytes))), 'its own ward\'s list only, unchanged');
    const answers: ClaimResult[] = [];
    r.uplink.on('claimResult', (a) => answers.push(a));
    const answer = (key: string, n = 1) => waitFor(`the answer to ${key}`, () => (answers.filter((a) => a.key === key).length >= n ? answers.filter((a) => a.key === key)[n - 1] : undefined));
    const first = randomBytes(12).toString('base64url'), other = randomBytes(12).toString('base64url');
    assert.ok(r.uplink.claim(claimOf(first)));
    const paid = await answer(first);
    assert.equal([paid.outcome, paid.amount, paid.payment?.kiosk], ['paid', 1_500_000, KIOSK]);
    assert.ok(r.uplink.claim(claimOf(first)), 'the same key again (a lost reply)');
    const again = await answer(first, 2);
    assert.equal([again.outcome, again.payment?.at], ['paid', paid.payment?.at], 'the retry learns its own claim won');
    assert.ok(r.uplink.claim(claimOf(other)));
    const refused = await answer(other);
    assert.equal([refused.outcome, refused.payment?.kiosk], ['already-paid', KIOSK]);
  });

  test(`${name}: with the hub unreachable the scans stay in the journal; once it is back every one is delivered`, async () => {
    await r.down();
    await waitFor('the link down', () => r.uplink.state !== 'online');
    assert.is(r.uplink.claim(claimOf(randomBytes(12).toString('base64url'))), false, 'no claim is taken while the link is down: the desk keeps it');
    assert.ok(links.includes('offline'), links.join());
    const recs = Array.from({ length: 20 }, record);
    for (const rec of recs) { r.journal.append(rec); r.uplink.scanned(rec.id); }
    // a pause, not a time limit: anything the uplink wrongly let go of while offline would be gone by now
    await sleep(300);
    assert.is(r.journal.pending, 20, 'the backlog is kept while the hub cannot be reached');
    await r.up();
    await waitFor('online again', () => r.uplink.state === 'online', 10_000);
    await waitFor('the backlog delivered', () => r.journal.pending === 0, 10_000);
    const stored = await r.stored(recs);
    assert.equal(recs.filter((x) => !stored.has(x.id)).map((x) => x.id), [], 'none lost');
  });

  test(`${name}: stop tells the hub the kiosk is offline; a scan after it stays in the journal`, async () => {
    await r.uplink.stop(status({ online: false, backlog: 0 }));
    assert.is(r.uplink.state, 'offline');
    await waitFor('the offline status at the hub', () => r.lastStatus()?.online === false);
    const rec = record();
    r.journal.append(rec);
    r.uplink.scanned(rec.id);
    assert.is(r.journal.pending, 1);
    await r.close();
  });
}

contract('sim', simRig);
contract('mqtt against a real hub', realRig);

test.after(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });
test.run();

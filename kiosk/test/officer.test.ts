// Officer sign-in at the booth, end to end in one process (buildKiosk with the simulated GPIO, scanner and
// uplink): an officer scans their own signed card; the screen shows their name; every scan and override record
// carries their code; the button with nobody signed in keeps the gate shut and asks for a card; the same card
// again signs out, and so does the end of a shift (SHIFT_MS).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStatusList, decodeSign1, encodeCbor, unwrapEnvelope, wrapEnvelope, Tagged, OFFICER_PREFIX, PASS_LIMITS } from '../../protocol/src/index.js';
import { checkConfig } from '../src/config.js';
import { SHIFT_MS, type Kiosk } from '../src/kiosk.js';
import { buildKiosk } from '../src/main.js';
import { screenState } from '../src/screen/server.js';
import { SimGpio } from '../src/gpio/sim.js';
import { SimSource } from '../src/scan/source.js';
import { SimUplink } from '../src/uplink/sim.js';
import { makeWorld, waitFor, sleep } from './rig.js';

const w = makeWorld('officer');
const lists = join(w.dir, 'hub', 'lists');
const logs: string[] = [];
let kiosk: Kiosk, gpio: SimGpio, scanner: SimSource, hub: SimUplink;

test.before(async () => {
  try {
    writeFileSync(join(w.dir, 'synced'), '');
    gpio = new SimGpio();
    scanner = new SimSource();
    kiosk = await buildKiosk(checkConfig({
      kiosk: { id: 'booth-o', area: '79/26734', debounceMs: 100 }, rootKey: w.rootPub, stateDir: join(w.dir, 'kiosk-o'),
      hub: { url: 'mqtt://hub.invalid:1883', heartbeatSeconds: 60 }, scanner: { type: 'sim' },
      gpio: { driver: 'sim', greenMs: 100, relayMs: 50, redFlashMs: 100, beepLongMs: 50 }, clock: { syncedFile: join(w.dir, 'synced') },
    }), { gpio, sources: [scanner], uplink: (journal) => (hub = new SimUplink(journal)) }, (l) => { logs.push(l); });
    hub.publish('trust', new Uint8Array(readFileSync(join(lists, 'trust-officers.cose'))));
    hub.publish('statusList', new Uint8Array(readFileSync(join(lists, 'status.cose'))));
    await waitFor('both lists', () => kiosk.store.trust.version === 1 && kiosk.store.status.version === 1);
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

/** Feeds a code and waits for the officer notice it brings (a card is not a scan: no verdict, no record). */
const card = async (text: string) => {
  const before = kiosk.officerNotice;
  scanner.feed(text);
  return waitFor('the officer notice', () => (kiosk.officerNotice !== before ? kiosk.officerNotice : undefined), 2000, 5);
};
const relayOpened = () => gpio.timeline.filter((c) => c.name === 'relay' && c.on).length;
const state = () => screenState(kiosk) as { officer: { name: string } | null; officerNotice: { state: string; vi: string; en: string } | null };

test('the button with nobody signed in keeps the gate shut, journals nothing and asks for a sign-in', () => {
  const appended = kiosk.journal.stats.appended, opened = relayOpened();
  gpio.press(24);
  assert.is(kiosk.journal.stats.appended, appended, 'no override journaled');
  assert.is(relayOpened(), opened, 'the gate stayed shut');
  const n = state().officerNotice!;
  assert.is(n.state, 'sign-in-needed');
  assert.match(n.en, /Scan your officer card to sign in/);
  assert.match(n.vi, /quét thẻ cán bộ/);
});

test('forged, expired, revoked and not-an-officer cards are refused with the reason in words', async () => {
  const forged = (() => {
    const s = decodeSign1(unwrapEnvelope(w.officer().text, OFFICER_PREFIX, PASS_LIMITS));
    const sig = new Uint8Array(s.signature); sig[3] ^= 1;
    return wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, s.payload, sig])), OFFICER_PREFIX);
  })();
  const t = Math.floor(Date.now() / 1000);
  const revokedCard = w.officer({ code: 'CA79-00999' });
  hub.publish('statusList', w.signStatus(buildStatusList(2, t, [], [revokedCard.officer.id])));
  await waitFor('status list v2', () => kiosk.store.status.version === 2);
  const cases: Array<[string, RegExp]> = [
    [forged, /signature is invalid: the code may be forged/],
    [w.officer({ validFrom: t - 10 * 86400, validUntil: t - 86400 }).text, /has expired/],
    [revokedCard.text, /has been revoked/],
    [w.officer({ areas: ['79/26737'] }).text, /not valid at this checkpoint/],
  ];
  for (const [text, why] of cases) {
    const n = await card(text);
    assert.is(n?.state, 'refused');
    assert.match(n!.en, /^Officer card refused: /);
    assert.match(n!.en, why);
    assert.ok(n!.vi.startsWith('Thẻ cán bộ không hợp lệ: '));
    assert.is(kiosk.onDuty(), null);
  }
  assert.ok(logs.some((l) => l === 'officer: a card was refused: bad-signature'));
});

test('a valid card signs in: the screen shows the name and never the code; scans and overrides carry the officer', async () => {
  const c = w.officer();
  const n = await card(c.text);
  assert.is(n?.state, 'signed-in');
  const st = state();
  assert.is(st.officer?.name, 'Lê Văn Tâm');
  assert.not.ok(JSON.stringify(screenState(kiosk)).includes('CA79-00123'), 'the officer code stays off the screen');
  assert.not.ok(logs.some((l) => l.includes('Lê Văn Tâm') || l.includes('CA79-00123')), 'and out of the logs');
  scanner.feed(w.pass().text);
  const v = await waitFor('the verdict', () => kiosk.history[0]?.record.format === 'pass' ? kiosk.history[0] : undefined, 2000, 5);
  assert.is(v.verdict.verdict, 'green');
  assert.is(v.record.officer, 'CA79-00123');
  await sleep(150); // the green's relay pulse is over
  const opened = relayOpened();
  gpio.press(24);
  const o = kiosk.history[0].record;
  assert.equal([o.override, o.officer], [true, 'CA79-00123']);
  await waitFor('the gate opened', () => relayOpened() > opened);
  await waitFor('delivered', () => kiosk.journal.pending === 0, 5000);
  assert.is(hub.stored.get(v.record.id)?.officer, 'CA79-00123', 'the hub gets the officer with the scan');
  assert.is(hub.stored.get(o.id)?.officer, 'CA79-00123', 'and with the override');

  // scanning the same card again (after the debounce) signs out; scans then carry nobody
  await sleep(150);
  assert.is((await card(c.text))?.state, 'signed-out');
  assert.is(state().officer, null);
  scanner.feed(w.pass().text);
  const after = await waitFor('the verdict', () => kiosk.history[0]?.record.id !== o.id && kiosk.history[0]?.record.format === 'pass' && kiosk.history[0]?.record.id !== v.record.id ? kiosk.history[0] : undefined, 2000, 5);
  assert.is(after.record.officer, undefined);
});

test('another officer\'s card hands over; the sign-in ends by itself after a shift', async () => {
  await card(w.officer({ code: 'CA79-00001', name: 'Nguyễn Văn An' }).text);
  await card(w.officer({ code: 'CA79-00002', name: 'Đỗ Thị Hà' }).text);
  assert.is(kiosk.onDuty()?.name, 'Đỗ Thị Hà');
  assert.is(kiosk.onDuty(Date.now() + SHIFT_MS + 1000), null, 'a shift is at most SHIFT_MS');
  assert.is(kiosk.officerNotice?.state, 'signed-out');
  assert.match(kiosk.officerNotice!.en, /Shift over/);
});

test.after(async () => { await kiosk?.stop(); });
test.run();

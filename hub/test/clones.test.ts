// Clone detection: the pure decision with plain values, then through MQTT and the store: a pass scanned in Hồ Chí
// Minh City and in Hà Nội half an hour apart is an alert on the API and in /metrics, and one operator action marks
// it for revocation; repeated scans at one booth, or at two booths of one checkpoint, are no alert.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
import { ScanIdGenerator, fromHex, openStatusList, topics, type ScanRecord } from '../../protocol/src/index.js';
import { distanceKm, judge, parseLatLon, type Place, type Sighting } from '../src/clones.js';
import { launchChromium } from '../../kiosk/test/browser.js';
import { chot, killAll, makeWorld, startHub, stop, waitFor, type Hub, accountsKnown, webPort, addAccount } from '../../kiosk/test/rig.js';

const HCM = { lat: 10.7769, lon: 106.7009 }, HN = { lat: 21.0285, lon: 105.8542 }, THU_DUC = { lat: 10.8494, lon: 106.7537 };
const places: Record<string, Place> = { 'hcm-q1-a': { site: 'hcm-q1', ...HCM }, 'hcm-q1-b': { site: 'hcm-q1', ...HCM }, 'hn-bd': { site: 'hn-bd', ...HN }, 'thu-duc': { site: 'thu-duc', ...THU_DUC } };
const placeOf = (k: string) => places[k];
const s = (kiosk: string, minutes: number, scanId = `${kiosk}-${minutes}`): Sighting => ({ holder: 'aaaaaaaaaaaaaaaa', passId: 'p1', kiosk, at: Date.parse('2021-09-10T08:00:00+07:00') + minutes * 60_000, scanId });

test('distance: Hồ Chí Minh City to Hà Nội is about 1,140 km; LAT,LON parsed and bounded', () => {
  assert.ok(Math.abs(distanceKm(HCM, HN) - 1140) < 10, String(distanceKm(HCM, HN)));
  assert.equal(parseLatLon('10.7769, 106.7009'), HCM);
  assert.is(parseLatLon('91,0'), undefined);
  assert.is(parseLatLon('ten,eleven'), undefined);
});

test('judge: an impossible journey is an alert, in either order; a possible one, one site, one booth or no coordinates is not', () => {
  const a = judge(s('hcm-q1-a', 0), s('hn-bd', 30), placeOf, 150)!;
  assert.ok(a);
  assert.is(a.first.kiosk, 'hcm-q1-a');
  assert.ok(a.kmh > 2000);
  assert.equal(judge(s('hn-bd', 30), s('hcm-q1-a', 0), placeOf, 150)?.first.kiosk, 'hcm-q1-a', 'a backlog delivered late is judged the same');
  assert.is(judge(s('hcm-q1-a', 0), s('hn-bd', 24 * 60), placeOf, 150), undefined, '1,140 km in a day is possible');
  assert.is(judge(s('hcm-q1-a', 0), s('hcm-q1-b', 1), placeOf, 150), undefined, 'two booths of one checkpoint');
  assert.is(judge(s('hcm-q1-a', 0), s('hcm-q1-a', 1), placeOf, 150), undefined, 'one booth');
  assert.is(judge(s('hcm-q1-a', 0), s('nowhere', 1), placeOf, 150), undefined, 'a checkpoint without coordinates');
  assert.ok(judge(s('hcm-q1-a', 0), s('thu-duc', 1), placeOf, 150), '11 km in a minute');
  assert.is(judge(s('hcm-q1-a', 0), s('thu-duc', 10), placeOf, 150), undefined, '11 km in ten minutes');
  assert.is(judge(s('hcm-q1-a', 0), s('hn-bd', 0), placeOf, 150)!.kmh, Infinity, 'the same moment');
});

const w = makeWorld('clones');
let hub: Hub;
test('through MQTT and the store: one alert (a redelivery adds none), in the API and /metrics; the operator marks the pass for revocation', async () => {
  const pw: Record<string, string> = {};
  const add = (id: string, area: string, at: { lat: number; lon: number }, site?: string) => {
    const r = chot(['device', 'add', '--checkpoint', id, '--area', area, '--at', `${at.lat},${at.lon}`, ...(site ? ['--site', site] : []), '--config', `${w.dir}/hub.json`]);
    assert.is(r.code, 0, r.err);
    pw[id] = JSON.parse(r.out).password;
  };
  writeFileSync(`${w.dir}/hub.json`, JSON.stringify({ dataDir: `${w.dir}/hub`, mqtt: { host: '127.0.0.1', port: 1883 } }));
  add('hcm-q1-a', '79/26734', HCM, 'hcm-q1');
  add('hcm-q1-b', '79/26734', HCM, 'hcm-q1');
  add('hn-bd', '01/00004', HN);
  assert.is(chot(['device', 'add', '--checkpoint', 'x', '--area', '79', '--at', 'somewhere', '--config', `${w.dir}/hub.json`]).code, 2, 'a bad --at is refused');
  hub = await startHub(w);
  const token = addAccount(hub.config, 'ops', 'operator');
  await accountsKnown(hub, 1);
  const http = webPort(hub.proc.log());
  const auth = { Authorization: `Bearer ops:${token}` };
  const now = Date.now();
  const send = async (kiosk: string, at: number, id = new ScanIdGenerator().next(at)) => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: kiosk, username: kiosk, password: pw[kiosk], reconnectPeriod: 0 });
    await c.subscribeAsync(topics.ack(kiosk), { qos: 1 });
    const acked = new Promise((r) => c.on('message', r));
    const rec: ScanRecord = { id, at, clockSynced: true, verdict: 'green', reason: 'ok', format: 'pass', source: 'serial', ms: 2, passId: 'cafe0123456789ab', holder: '0123456789abcdef', category: 'resident' };
    await c.publishAsync(topics.scans(kiosk), JSON.stringify({ v: 1, kiosk, scans: [rec] }), { qos: 1 });
    await acked;
    await c.endAsync();
    return id;
  };
  await send('hcm-q1-a', now - 40 * 60_000);
  await send('hcm-q1-a', now - 39 * 60_000); // the same booth again
  await send('hcm-q1-b', now - 38 * 60_000); // the other booth of the same checkpoint
  const far = await send('hn-bd', now - 10 * 60_000); // Hà Nội, 28 minutes later
  await send('hn-bd', now - 10 * 60_000, far); // a redelivery of the same scan
  await waitFor('the alert', () => /suspected clone/.test(hub.proc.log()), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const list = await (await fetch(`http://127.0.0.1:${http}/api/alerts`, { headers: auth })).json() as { alerts: Array<{ id: number; firstKiosk: string; secondKiosk: string; passId: string; status: string; km: number }> };
  assert.is(list.alerts.length, 1);
  assert.equal([list.alerts[0].firstKiosk, list.alerts[0].secondKiosk, list.alerts[0].passId, list.alerts[0].status], ['hcm-q1-b', 'hn-bd', 'cafe0123456789ab', 'open']);
  assert.not.match(hub.proc.log(), /0123456789abcdef|cafe0123456789ab/, 'no holder token or pass id in the log');
  const m = await (await fetch(`http://127.0.0.1:${http}/metrics`, { headers: auth })).text();
  assert.match(m, /^chot_clone_alerts_open 1$/m);
  // the operator sees it on the dashboard and revokes it with one click
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`http://127.0.0.1:${http}/`);
    await page.fill('input[name=user]', 'ops');
    await page.fill('input[name=password]', token);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#alerts li button');
    assert.match(await page.textContent('#alerts') ?? '', /hcm-q1-b → hn-bd: 1\d{3}(\.\d)? km/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alerts.png'), fullPage: true });
    await page.click('#alerts li button'); // the first button: revoke
    await page.waitForFunction(() => !document.querySelector('#alerts li button'));
  } finally {
    await browser.close();
  }
  assert.is((await (await fetch(`http://127.0.0.1:${http}/api/alerts`, { headers: auth })).json() as { alerts: Array<{ status: string; decidedBy: string }> }).alerts[0].status, 'revoke');
  assert.match(await (await fetch(`http://127.0.0.1:${http}/metrics`, { headers: auth })).text(), /^chot_clone_alerts_open 0$/m);
  assert.is((await fetch(`http://127.0.0.1:${http}/api/alerts/999/dismiss`, { method: 'POST', headers: auth })).status, 404);
  // the health authority's next import signs a status list that revokes the pass: every kiosk refuses it from then on
  const rootKey = join(w.dir, 'root.key.pem');
  writeFileSync(rootKey, w.root.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const csv = join(w.dir, 'changes.csv');
  writeFileSync(csv, 'token,state\n');
  const r = chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  assert.equal([JSON.parse(r.out).revokedFromAlerts, JSON.parse(r.out).changes], [1, 1]);
  const signed = openStatusList(new Uint8Array(readFileSync(join(hub.dataDir, 'lists', 'status.cose'))), w.root.publicKey);
  assert.ok(signed.revokedPasses.has(fromHex('cafe0123456789ab')), 'the pass revoked on the alert is in the signed list');
  const again = chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]);
  assert.is(JSON.parse(again.out).revokedFromAlerts, 0, 'already revoked: no change the second time');
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

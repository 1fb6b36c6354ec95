// Running a hub: importing the health authority's status changes, exporting figures, MQTT over TLS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { applyStatusDelta, healthOf, openStatusDelta, openStatusList, topics, fromHex, ScanIdGenerator, localDay } from '../../protocol/src/index.js';
import { addDevice, chot, freePort, killAll, makeWorld, startHub, stop, waitFor, start, type Hub } from '../../kiosk/test/rig.js';

const w = makeWorld('ops');
const pw = addDevice(w, 'booth-ops', '79/26734');
let hub: Hub;
test.before(async () => { try { hub = await startHub(w); } catch (e) { console.error('set-up failed:', e); throw e; } });

test('chot status import: the health authority CSV becomes version 2 and its delta, published to kiosks at once', async () => {
  const rootKey = join(w.dir, 'root.key.pem');
  writeFileSync(rootKey, w.root.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: 'booth-ops', username: 'booth-ops', password: pw, reconnectPeriod: 0 });
  const got: Record<string, Buffer> = {};
  c.on('message', (t, p) => { got[t] = p; });
  await c.subscribeAsync([topics.statusList, topics.statusDelta], { qos: 1 });
  await waitFor('the retained v1', () => got[topics.statusList] && openStatusList(new Uint8Array(got[topics.statusList]), w.root.publicKey).version === 1);
  const csv = join(w.dir, 'status.csv');
  writeFileSync(csv, 'token,state\n00112233445566ff,F0\naabbccddeeff0011,F1\n');
  const r = chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).to, 2);
  await waitFor('the delta at the kiosk', () => got[topics.statusDelta], 5000);
  const v1 = openStatusList(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'status.cose'))), w.root.publicKey);
  assert.is(v1.version, 2);
  const delta = openStatusDelta(new Uint8Array(got[topics.statusDelta]), w.root.publicKey);
  assert.equal([delta.fromVersion, delta.version], [1, 2]);
  assert.is(healthOf(v1, fromHex('00112233445566ff')), 'F0');
  // a bad line stops the import with its line number, and nothing changes
  writeFileSync(csv, 'token,state\n00112233445566ff,clear\nnot-a-token,F0\n');
  const bad = chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]);
  assert.is(bad.code, 2);
  assert.match(bad.err, /line 3: holder token "not-a-token" is not 16 hex digits; nothing imported/);
  assert.is(openStatusList(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'status.cose'))), w.root.publicKey).version, 2);
  // clearing the holder: version 3 and a delta that applies on 2
  writeFileSync(csv, '00112233445566ff,clear\n');
  assert.is(chot(['status', 'import', csv, '--root', rootKey, '--config', hub.config]).code, 0);
  await waitFor('delta 2 → 3', () => got[topics.statusDelta] && openStatusDelta(new Uint8Array(got[topics.statusDelta]), w.root.publicKey).version === 3, 5000);
  const v3 = applyStatusDelta(v1, openStatusDelta(new Uint8Array(got[topics.statusDelta]), w.root.publicKey));
  assert.is(healthOf(v3, fromHex('00112233445566ff')), undefined);
  assert.is(healthOf(v3, fromHex('aabbccddeeff0011')), 'F1');
  await c.endAsync();
});

test('chot hub export --csv gives the rows the API gives', async () => {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: 'booth-ops', username: 'booth-ops', password: pw, reconnectPeriod: 0 });
  const ids = new ScanIdGenerator();
  const scans = [0, 1, 2].map((i) => ({ id: ids.next(Date.now()), at: Date.now(), clockSynced: true, verdict: i ? 'green' : 'red', reason: i ? 'ok' : 'revoked', format: 'pass', source: 'serial', ms: 2 }));
  await c.publishAsync(topics.scans('booth-ops'), JSON.stringify({ v: 1, kiosk: 'booth-ops', scans }), { qos: 1 });
  await c.endAsync();
  const day = localDay(Date.now(), 'Asia/Ho_Chi_Minh');
  const r = chot(['hub', 'export', '--day', day, '--csv', '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  const rows = r.out.trim().split('\n');
  assert.ok(rows[1].startsWith(`${day},booth-ops,79/26734,79,3,2,1,66.67,`), rows[1]);
  assert.match(rows[0], /red_revoked$/);
  assert.is(chot(['hub', 'export', '--day', 'yesterday', '--csv', '--config', hub.config]).code, 2);
});

test('MQTT over TLS: a kiosk with the CA connects on the TLS port; without it, it is refused; the plain port is closed', async () => {
  const dir = w.dir;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=chot test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem')], { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'hub.key'), '-out', join(dir, 'hub.csr')], { stdio: 'ignore' });
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'hub.csr'), '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', join(dir, 'san.ext'), '-out', join(dir, 'hub.pem')], { stdio: 'ignore' });
  const port = await freePort(), tlsPort = await freePort();
  const config = join(dir, 'hub-tls.json');
  writeFileSync(config, JSON.stringify({ dataDir: join(dir, 'hub'), mqtt: { host: '127.0.0.1', port, tlsPort, cert: join(dir, 'hub.pem'), key: join(dir, 'hub.key') }, http: { port: 0 } }));
  await stop(hub.proc);
  const tlsHub = start(['hub', 'run', '--config', config], 'hub-tls');
  try {
    await waitFor('the TLS listener', () => tlsHub.log().includes(`TLS on 127.0.0.1:${tlsPort}`), 15_000);
    assert.match(tlsHub.log(), /plain MQTT off/);
    let plain: Error | undefined;
    try { (await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'booth-ops', username: 'booth-ops', password: pw, reconnectPeriod: 0, connectTimeout: 3000 })).end(true); } catch (e) { plain = e as Error; }
    assert.ok(plain, 'kiosk credentials are not accepted in clear once TLS is on');
    const ok = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { clientId: 'booth-ops', username: 'booth-ops', password: pw, reconnectPeriod: 0, ca: readFileSync(join(dir, 'ca.pem')) });
    assert.ok(ok.connected);
    await ok.endAsync();
    let err: Error | undefined;
    try { (await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { clientId: 'booth-ops', username: 'booth-ops', password: pw, reconnectPeriod: 0, connectTimeout: 3000 })).end(true); } catch (e) { err = e as Error; }
    assert.ok(err && /self.signed|unable to verify|certificate/i.test(err.message), err?.message);
  } finally {
    await stop(tlsHub);
  }
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

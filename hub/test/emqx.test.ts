// EMQX's HTTP authentication and authorisation against a running hub, with requests shaped as EMQX sends them
// (its HTTP authenticator and authoriser post the JSON body template of the hub README's EMQX configuration).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { topics } from '../../protocol/src/index.js';
import { addDevice, chot, killAll, makeWorld, startHub, stop, type Hub, webPort } from '../../kiosk/test/rig.js';

const w = makeWorld('emqx');
const secretFile = join(w.dir, 'emqx.secret');
writeFileSync(secretFile, 'emqx-shared-secret-for-tests\n', { mode: 0o600 });
const pw = addDevice(w, 'booth-e', '79/26734');
let hub: Hub;
let http = 0;
const post = (path: string, body: unknown, secret = 'emqx-shared-secret-for-tests') => fetch(`http://127.0.0.1:${http}${path}`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', 'x-chot-emqx-secret': secret }, body: JSON.stringify(body),
}).then(async (r) => ({ status: r.status, body: await r.json() as { result?: string; is_superuser?: boolean } }));

test.before(async () => {
  hub = await startHub(w, undefined, { http: { host: '127.0.0.1', port: 0, emqxSecretFile: secretFile } });
  http = webPort(hub.proc.log());
});

test('authentication: the kiosk with its secret is allowed; a wrong secret, another client id or a revoked kiosk denied; other names ignored', async () => {
  assert.equal((await post('/emqx/auth', { username: 'booth-e', password: pw, clientid: 'booth-e', peerhost: '10.0.0.7' })).body, { result: 'allow', is_superuser: false });
  assert.equal((await post('/emqx/auth', { username: 'booth-e', password: 'wrong', clientid: 'booth-e', peerhost: '10.0.0.7' })).body, { result: 'deny' });
  assert.equal((await post('/emqx/auth', { username: 'booth-e', password: pw, clientid: 'someone-else', peerhost: '10.0.0.7' })).body, { result: 'deny' });
  assert.equal((await post('/emqx/auth', { username: 'chot-hub', password: 'x', clientid: 'chot-hub-1', peerhost: '10.0.0.2' })).body, { result: 'ignore' });
  assert.is((await post('/emqx/auth', { username: 'booth-e', password: pw, clientid: 'booth-e' }, 'not the secret')).status, 403, 'only EMQX, which knows the secret, is answered');
});

test('authorisation: a kiosk publishes only its scans and status, subscribes only to its ack, config and the lists', async () => {
  const acl = (topic: string, action: string) => post('/emqx/acl', { username: 'booth-e', clientid: 'booth-e', topic, action }).then((r) => r.body.result);
  assert.is(await acl(topics.scans('booth-e'), 'publish'), 'allow');
  assert.is(await acl(topics.status('booth-e'), 'publish'), 'allow');
  assert.is(await acl(topics.scans('booth-x'), 'publish'), 'deny');
  assert.is(await acl(topics.trust, 'publish'), 'deny');
  assert.is(await acl(topics.ack('booth-e'), 'subscribe'), 'allow');
  assert.is(await acl(topics.config('booth-e'), 'subscribe'), 'allow');
  assert.is(await acl(topics.statusDelta, 'subscribe'), 'allow');
  assert.is(await acl(topics.config('booth-x'), 'subscribe'), 'deny');
  assert.is(await acl('#', 'subscribe'), 'deny');
  const r = chot(['device', 'revoke', 'booth-e', '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  // the hub reads the store's registry every second
  for (let i = 0; i < 100 && (await acl(topics.scans('booth-e'), 'publish')) !== 'deny'; i++) await new Promise((res) => setTimeout(res, 100));
  assert.is(await acl(topics.scans('booth-e'), 'publish'), 'deny', 'a revoked kiosk may do nothing');
  assert.equal((await post('/emqx/auth', { username: 'booth-e', password: pw, clientid: 'booth-e' })).body, { result: 'deny' });
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

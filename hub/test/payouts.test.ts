// The payout point through a real hub: a programme imported with chot (signed per ward, eligibility in the store),
// two payout kiosks of one ward claiming the same citizen at the same moment (exactly one payment), a kiosk whose
// reply was lost (the hub killed with SIGKILL before it answered) asking again and learning its own claim won, the
// ward's signed list reaching its kiosk, and the figures in the seed's form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { openProgrammeWard, parseClaimResult, topics, type ClaimResult } from '../../protocol/src/index.js';
import { addDevice, chot, killAll, makeWorld, startHub, stop, waitFor, type Hub, webPort, addAccount } from '../../kiosk/test/rig.js';

const w = makeWorld('payouts');
const ROOT_KEY = join(w.dir, 'root.key.pem');
writeFileSync(ROOT_KEY, w.root.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const pw = { 'ward-a': addDevice(w, 'ward-a', '79/26734'), 'ward-b': addDevice(w, 'ward-b', '79/26734'), 'ward-c': addDevice(w, 'ward-c', '01/00004') };
const CITIZENS = ['a1a1a1a1a1a1a1a1', 'b2b2b2b2b2b2b2b2', 'c3c3c3c3c3c3c3c3'];
let hub: Hub;

function kiosk(id: keyof typeof pw): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: id, username: id, password: pw[id], reconnectPeriod: 0 });
}
/** Sends a claim and waits for the answer to that key. */
async function claim(c: MqttClient, id: string, holder: string, key = randomBytes(12).toString('base64url')): Promise<ClaimResult> {
  await c.subscribeAsync(topics.claimResult(id), { qos: 1 });
  const answer = new Promise<ClaimResult>((resolve) => c.on('message', (t, p) => { const r = parseClaimResult(p); if (t === topics.claimResult(id) && r.ok && r.value.key === key) resolve(r.value); }));
  await c.publishAsync(topics.claim(id), JSON.stringify({ v: 1, kiosk: id, key, programme: 'ho-tro-2021', holder, at: Date.now() }), { qos: 1 });
  return answer;
}

test('a programme imported, claimed at two kiosks at once, a lost reply recovered, refusals with their reason, figures', async () => {
  const csv = join(w.dir, 'eligible.csv');
  writeFileSync(csv, `token,ward\n${CITIZENS[0]},79/26734\n${CITIZENS[1]},79/26734\n${CITIZENS[2]},01/00004\n`);
  const now = Date.now();
  const bad = chot(['programme', 'import', csv, '--id', 'ho-tro-2021', '--name', 'x', '--amount', '-5', '--from', new Date(now).toISOString(), '--until', new Date(now + 1e9).toISOString(), '--root', ROOT_KEY, '--config', join(w.dir, 'hub.json')]);
  assert.is(bad.code, 2, 'a negative amount is refused');
  writeFileSync(join(w.dir, 'bad.csv'), `${CITIZENS[0]},79/26734\nnot-a-token,79/26734\n`);
  assert.match(chot(['programme', 'import', join(w.dir, 'bad.csv'), '--id', 'ho-tro-2021', '--name', 'x', '--amount', '1500000', '--from', new Date(now - 1e6).toISOString(), '--until', new Date(now + 1e9).toISOString(), '--root', ROOT_KEY, '--config', join(w.dir, 'hub.json')]).err, /line 2: holder token "not-a-token" is not 16 hex digits; nothing imported/);
  const r = chot(['programme', 'import', csv, '--id', 'ho-tro-2021', '--name', 'Hỗ trợ người lao động 2021', '--amount', '1500000', '--from', new Date(now - 86_400_000).toISOString(), '--until', new Date(now + 30 * 86_400_000).toISOString(), '--root', ROOT_KEY, '--config', join(w.dir, 'hub.json')]);
  assert.is(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).wards, 2);
  hub = await startHub(w);
  const [a, b, c] = await Promise.all([kiosk('ward-a'), kiosk('ward-b'), kiosk('ward-c')]);
  // the ward's signed list reaches its payout kiosk, and verifies with the root key alone
  const list = new Promise<Buffer>((resolve) => a.on('message', (t, p) => { if (t === topics.programme('ho-tro-2021', '79/26734')) resolve(p); }));
  await a.subscribeAsync(topics.programme('ho-tro-2021', '79/26734'), { qos: 1 });
  const ward = openProgrammeWard(new Uint8Array(await list), w.root.publicKey);
  assert.equal([ward.ward, ward.programme.amount, ward.holders.size], ['79/26734', 1_500_000, 2]);
  // two kiosks, the same citizen, the same moment
  const [ra, rb] = await Promise.all([claim(a, 'ward-a', CITIZENS[0]), claim(b, 'ward-b', CITIZENS[0])]);
  assert.equal([ra.outcome, rb.outcome].sort(), ['already-paid', 'paid'], 'exactly one payment');
  const loser = ra.outcome === 'paid' ? rb : ra;
  assert.is(loser.payment?.kiosk, ra.outcome === 'paid' ? 'ward-a' : 'ward-b', 'the refusal names where it was paid');
  const ow = await claim(c, 'ward-c', CITIZENS[1]);
  assert.equal([ow.outcome, ow.ward], ['other-ward', '79/26734'], 'other-ward names the citizen\'s ward');
  assert.is((await claim(c, 'ward-c', 'dddddddddddddddd')).outcome, 'not-eligible');
  // the hub dies before its answer leaves: the kiosk asks again with the same key and learns its claim won
  const key = randomBytes(12).toString('base64url');
  await b.subscribeAsync(topics.claimResult('ward-b'), { qos: 1 });
  await b.publishAsync(topics.claim('ward-b'), JSON.stringify({ v: 1, kiosk: 'ward-b', key, programme: 'ho-tro-2021', holder: CITIZENS[1], at: Date.now() }), { qos: 1 });
  hub.proc.child.kill('SIGKILL'); // the PUBACK came after the commit: the payment is in the store
  await hub.proc.exited;
  for (const x of [a, b, c]) x.end(true);
  hub = await startHub(w, hub.port);
  const b2 = await kiosk('ward-b');
  const retry = await claim(b2, 'ward-b', CITIZENS[1], key);
  assert.equal([retry.outcome, retry.amount, retry.payment?.kiosk], ['paid', 1_500_000, 'ward-b']);
  const a2 = await kiosk('ward-a');
  assert.is((await claim(a2, 'ward-a', CITIZENS[1])).outcome, 'already-paid', 'and nobody else can be paid for that citizen');
  b2.end(true); a2.end(true);
  // figures, as the People's Committee reads them
  const token = addAccount(hub.config, 'committee', 'service');
  const http = webPort(hub.proc.log());
  // the hub reads new accounts from the store every second (and says so): wait for it, however busy the machine
  await waitFor('the hub to read the account', () => /registry version \d+: \d+ devices, 1 accounts/.test(hub.proc.log()), 60_000);
  const get = (path: string) => fetch(`http://127.0.0.1:${http}${path}`, { headers: { Authorization: `Bearer committee:${token}` } });
  const fig = await (await get('/api/payouts')).json() as { programmes: Array<{ id: string; nationwide: { text: string; amount: number }; wards: Array<{ ward: string; refused: Record<string, number> }> }> };
  assert.is(fig.programmes[0].nationwide.text, '2 / 3 paid');
  assert.is(fig.programmes[0].nationwide.amount, 3_000_000);
  const csvOut = await (await get('/api/payouts.csv')).text();
  assert.match(csvOut, /^ho-tro-2021,79\/26734,79,2,2,3000000,2,0,0,0$/m);
  assert.not.match(hub.proc.log(), new RegExp(CITIZENS.join('|')), 'no holder token in the log');
});

test.after(async () => { await stop(hub?.proc); killAll(); });
test.run();

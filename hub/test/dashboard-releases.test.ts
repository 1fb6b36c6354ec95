// Issue 16 item 2 on the dashboard: an operator pauses a rollout, then rolls it back, from the page (Debian's Chromium,
// desktop and phone, Vietnamese and English) against a real hub. The hub holds no release key: what it publishes is
// the pause and the roll-back `chot release rollout` signed with the rollout, and a kiosk's view of the retained
// message (checked here with the trust list, as the kiosk does) is the release key's signature. Behind the login and
// the Origin check like every other action; nothing to publish once the roll-back is out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import {
  issuerEntryToWire, openRollout, openTrustList, releaseSignerToWire, signReleaseManifest, signTrustList, topics, type OpenedRollout, type TrustList,
} from '../../protocol/src/index.js';
import { packTarGz } from '../../lib/tar.js';
import { dashboardLogin, launchChromium, overflows } from '../../kiosk/test/browser.js';
import { addDevice, chot, killAll, makeWorld, startHub, stop, waitFor, type Hub, accountsKnown, webBase, addAccount } from '../../kiosk/test/rig.js';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;
const w = makeWorld('dashboard-releases');
const now = Math.floor(Date.now() / 1000);
const releaseKey = generateKeyPairSync('ed25519');
const keyFile = join(w.dir, 'release.key.pem');
const kioskPw = addDevice(w, 'hcm-q1-001', '79/26734');
let trust: TrustList;
let hub: Hub;
let browser: Browser;
let base = '';
let operatorPw = '';
let auth = '';
/** what a kiosk receives on the retained rollout topic, opened as the kiosk opens it */
const received: OpenedRollout[] = [];
let kiosk: mqtt.MqttClient;

test.before(async () => {
  try {
    writeFileSync(keyFile, releaseKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signed = signTrustList(1, now, [issuerEntryToWire({
      issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: w.issuer.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400, categories: ['resident'], areas: ['79'],
    })], w.root.privateKey, [releaseSignerToWire({ name: 'chot releases', publicKey: releaseKey.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400 })]);
    writeFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'), signed);
    trust = openTrustList(signed, w.root.publicKey);
    hub = await startHub(w);
    base = webBase(hub.proc.log());
    operatorPw = addAccount(hub.config, 'ops', 'operator');
    auth = `Bearer ops:${operatorPw}`;
    await accountsKnown(hub, 1);
    kiosk = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.port}`, { clientId: 'hcm-q1-001', username: 'hcm-q1-001', password: kioskPw, reconnectPeriod: 0 });
    kiosk.on('message', (topic, payload) => { if (topic === topics.rollout) received.push(openRollout(new Uint8Array(payload), trust)); });
    await kiosk.subscribeAsync(topics.rollout, { qos: 1 });
    browser = await launchChromium();
    mkdirSync(ARTIFACTS, { recursive: true });
  } catch (e) { console.error('set-up failed:', e); throw e; }
});

const releases = async () => (await fetch(`${base}/api/releases`, { headers: { authorization: auth } })).json();

/** A small signed release of `version` and its rollout to a tenth of the fleet, from the release manager's machine. */
function rollOut(version: string): { brakes: string[]; rollout: number } {
  const bundle = packTarGz([{ name: 'release.json', data: Buffer.from(JSON.stringify({ format: 1, version })) }, { name: 'dist/scripts/chot.js', data: Buffer.from('') }]);
  const manifest = signReleaseManifest({ version, arch: 'any', size: bundle.length, sha256: new Uint8Array(createHash('sha256').update(bundle).digest()), createdAt: now, deps: 'shared' }, releaseKey.privateKey);
  writeFileSync(join(w.dir, `${version}.tgz`), bundle);
  writeFileSync(join(w.dir, `${version}.manifest.cose`), manifest);
  const r = chot(['release', 'rollout', version, '--to', '10%', '--key', keyFile, '--bundle', join(w.dir, `${version}.tgz`), '--manifest', join(w.dir, `${version}.manifest.cose`), '--config', hub.config]);
  assert.is(r.code, 0, r.err);
  return JSON.parse(r.out);
}

/** Clicks a brake's button and accepts the browser's question. */
async function press(page: Page, brake: 'pause' | 'rollback'): Promise<void> {
  page.once('dialog', (d) => { void d.accept(); });
  await page.click(`#rollout-actions button[data-brake="${brake}"]`);
}

test('the rollout on the dashboard; an operator pauses it, then rolls it back: the hub publishes the steps the release key signed, no more', async () => {
  const out = rollOut('2.0.0');
  assert.equal(out.brakes, ['pause', 'rollback'], 'the pause and the roll-back are signed with the rollout');
  await waitFor('the rollout published', () => received.length === 1, 10_000);
  assert.equal([received[0].seq, received[0].state, received[0].release.version], [out.rollout, 'active', '2.0.0']);
  assert.equal((await releases()).brakes, ['pause', 'rollback']);

  // like every action: a login, and no other site's page
  assert.is((await fetch(`${base}/api/releases/pause`, { method: 'POST' })).status, 401);
  const cross = await fetch(`${base}/api/releases/pause`, { method: 'POST', headers: { authorization: auth, origin: 'https://evil.example' } });
  assert.is(cross.status, 403);
  assert.match(hub.proc.log(), /http: refused a POST to \/api\/releases\/pause from origin "https:\/\/evil\.example"/);
  assert.is((await releases()).rollout.state, 'active', 'nothing published by the refused calls');

  // desktop, Vietnamese: the rollout, both steps offered; the pause
  const page = await dashboardLogin(browser, base, 'ops', operatorPw, { width: 1280, height: 900 });
  await page.waitForSelector('#release-card:not([hidden]) #rollout-actions button[data-brake="rollback"]', { timeout: 10_000 });
  assert.is(await page.textContent('#rollout'), `Đợt ${out.rollout}: phiên bản 2.0.0, đang triển khai tới 10%`);
  assert.equal(await page.$$eval('#rollout-actions button', (bs) => bs.map((b) => b.textContent)), ['Tạm dừng đợt cập nhật', 'Quay lại phiên bản trước']);
  await page.locator('#release-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-release-desktop.png'), fullPage: true });
  await press(page, 'pause');
  await waitFor('the pause at the kiosk', () => received.length === 2, 10_000);
  assert.equal([received[1].seq, received[1].state, received[1].release.version], [out.rollout + 1, 'paused', '2.0.0']);
  await page.waitForFunction(() => document.querySelector('#rollout')?.textContent?.includes('TẠM DỪNG'), undefined, { timeout: 10_000 });
  assert.is(await page.textContent('#rollout-sent'), 'Đã gửi; máy ở chốt nhận được trong vài giây.');
  assert.equal(await page.$$eval('#rollout-actions button', (bs) => bs.map((b) => b.dataset.brake)), ['rollback'], 'paused: only the roll-back is left');
  assert.match(hub.proc.log(), new RegExp(`releases: ops published the pause of rollout ${out.rollout} \\(2\\.0\\.0\\) signed with it: rollout ${out.rollout + 1}, paused`));
  await page.close();

  // a phone, English: the roll-back; then nothing is left to publish
  const phone = await dashboardLogin(browser, base, 'ops', operatorPw, { width: 390, height: 844 });
  await phone.click('#lang');
  await phone.waitForFunction(() => document.querySelector('#rollout')?.textContent?.startsWith('Rollout'), undefined, { timeout: 10_000 });
  assert.is(await phone.textContent('#rollout'), `Rollout ${out.rollout + 1}: version 2.0.0, PAUSED, aimed at 10%`);
  assert.equal(await overflows(phone, '#release-card, #release-card *'), []);
  await phone.locator('#release-card').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-release-phone.png'), fullPage: true });
  await press(phone, 'rollback');
  await waitFor('the roll-back at the kiosk', () => received.length === 3, 10_000);
  assert.equal([received[2].seq, received[2].state, received[2].release.version], [out.rollout + 2, 'rollback', '2.0.0']);
  await phone.waitForFunction(() => document.querySelector('#rollout')?.textContent?.includes('ROLLED BACK'), undefined, { timeout: 10_000 });
  assert.ok(await phone.isHidden('#rollout-actions'), 'nothing left to publish');
  await phone.close();
  const gone = await fetch(`${base}/api/releases/pause`, { method: 'POST', headers: { authorization: auth } });
  assert.is(gone.status, 409);
  assert.match((await gone.json()).error, /^no pause signed for the rollout held \(\d+, rollback 2\.0\.0\): run chot release pause --key on the release manager's machine$/);
  assert.is(received.length, 3, 'nothing more published');

  // the release manager's next step comes after the ones the dashboard published
  const again = rollOut('2.0.0');
  assert.is(again.rollout, out.rollout + 3);
});

test.after(async () => { await kiosk?.endAsync().catch(() => {}); await browser?.close(); await stop(hub?.proc); killAll(); rmSync(w.dir, { recursive: true, force: true }); });
test.run();

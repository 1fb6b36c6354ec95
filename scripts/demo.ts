// npm run demo: the whole system on one machine. A hub (embedded broker, data in a temporary folder) and two
// kiosks with simulated GPIO and scanners, fed a realistic mix of passes; prints the dashboard's URL and login.
// Ctrl-C stops everything. `--seconds N` stops after N seconds and prints what the kiosks signalled beside the
// hub's figures (the demo test checks they match).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildStatusList, decodeSign1, dscEntryToWire, encodeCbor, issuePass, issuerEntryToWire, localDay, makeDelta, signStatusDelta,
  signStatusList, signTrustList, unwrapEnvelope, wrapEnvelope, Tagged, topics, PASS_PREFIX, REASONS, type Pass,
} from '../protocol/src/index.js';
import { Hub } from '../hub/src/hub.js';
import { checkHubConfig } from '../hub/src/config.js';
import { checkConfig } from '../kiosk/src/config.js';
import { buildKiosk, serveScreen } from '../kiosk/src/main.js';
import { SimSource } from '../kiosk/src/scan/source.js';
import { corpusDir, missingCorpus } from '../lib/corpora.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, every: { type: 'string', default: '700' }, quiet: { type: 'boolean' } }, strict: true });
// info and above, as a kiosk or hub logs by default: a list the kiosk already holds, sent again, is debug
const log = values.quiet ? () => {} : (l: string, level?: string) => { if (level !== 'debug') process.stderr.write(`${l}\n`); };
const dir = mkdtempSync(join(tmpdir(), 'chot-demo-'));
const now = () => Math.floor(Date.now() / 1000);
const t = now();

// the root authority, two issuers, and (with the dcc-testdata corpus, lib/corpora.ts) a real EU document signer
const root = generateKeyPairSync('ed25519');
const hcm = generateKeyPairSync('ed25519');
const moh = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dccDir = corpusDir('dcc-testdata');
if (!dccDir) log(`demo: no EU DCC in the mix: ${missingCorpus('dcc-testdata', 'the expired German certificate')}`);
const dcc = dccDir ? JSON.parse(readFileSync(join(dccDir, 'DE', '2DCode', 'raw', '1.json'), 'utf8')) as { PREFIX: string; TESTCTX: { CERTIFICATE: string } } : undefined;
const entries = [
  issuerEntryToWire({ issuer: 'VN-79', name: 'Sở Y tế TP. Hồ Chí Minh', publicKey: hcm.publicKey, validFrom: t - 365 * 86400, validUntil: t + 365 * 86400, categories: ['resident', 'shipper', 'goods', 'medical'], areas: ['79', '74'] }),
  issuerEntryToWire({ issuer: 'VN-BYT', name: 'Bộ Y tế', publicKey: moh.publicKey, validFrom: t - 365 * 86400, validUntil: t + 365 * 86400, categories: ['resident', 'shipper', 'official', 'medical', 'goods', 'foreign'], areas: ['VN'] }),
  ...(dcc ? [dscEntryToWire(new Uint8Array(Buffer.from(dcc.TESTCTX.CERTIFICATE, 'base64')), 'DE')] : []),
];
const rootPub = join(dir, 'root.pub.pem');
writeFileSync(rootPub, root.publicKey.export({ type: 'spki', format: 'pem' }));
const lists = join(dir, 'hub', 'lists');
const { mkdirSync } = await import('node:fs');
mkdirSync(lists, { recursive: true });
writeFileSync(join(lists, 'trust.cose'), signTrustList(1, t, entries, root.privateKey));
const statusV1 = buildStatusList(1, t, [], []);
writeFileSync(join(lists, 'status.cose'), signStatusList(statusV1, root.privateKey));

// the hub, its two kiosks and an operator
const hub = await Hub.start(checkHubConfig({ dataDir: join(dir, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } }), log);
const booths = [{ id: 'hcm-q1-001', area: '79/26734' }, { id: 'hcm-thuduc-002', area: '79/26800' }];
const secrets: string[] = [];
for (const b of booths) secrets.push((await hub.admin.add(b.id, b.area)).secret);
const operator = await hub.admin.addAccount('demo', 'operator');
await hub.reloadRegistry();
const ntp = join(dir, 'ntp-synchronized');
writeFileSync(ntp, ''); // the demo machine's clock is trusted
// each kiosk built by the booth program's own builder, with the simulated GPIO its config names and a scanner
// the demo types into; its uplink is the real one, to the hub above
const kiosks = await Promise.all(booths.map(async (b, i) => {
  const scanner = new SimSource();
  const config = checkConfig({
    kiosk: { id: b.id, area: b.area, debounceMs: 1000 }, rootKey: rootPub, stateDir: join(dir, `kiosk-${b.id}`),
    hub: { url: `mqtt://127.0.0.1:${hub.ports.mqtt}`, password: secrets[i], heartbeatSeconds: 5 }, scanner: { type: 'sim' },
    gpio: { driver: 'sim', greenMs: 400, relayMs: 200, redFlashMs: 400 }, clock: { syncedFile: ntp }, screen: { host: '127.0.0.1', port: 0 },
  });
  // the per-scan lines are the demo's own table below; the kiosks' other lines go to stderr as before
  const kioskLog = (l: string, level?: string) => { if (!l.startsWith('scan ')) log(`[${b.id}] ${l}`, level); };
  const kiosk = await buildKiosk(config, { sources: [scanner] }, kioskLog);
  const served = await serveScreen(kiosk, config.screen.host, config.screen.port, kioskLog);
  if (!served) throw new Error(`demo: the officer screen of ${b.id} cannot listen`);
  return { ...b, kiosk, scanner, screen: served.screen, screenUrl: `http://127.0.0.1:${served.port}/` };
}));

// the mix of passes a checkpoint sees
const pass = (over: Partial<Pass>, key = hcm.privateKey): string => issuePass({
  id: new Uint8Array(randomBytes(8)), issuer: 'VN-79', issuedAt: now() - 3600, validFrom: now() - 3600, validUntil: now() + 14 * 86400,
  holderName: 'Nguyễn Văn An', idLast4: '1234', holderToken: new Uint8Array(randomBytes(8)), category: 'resident', areas: ['79'],
  hours: [], health: 'none', declaredAt: now() - 7200, ...over,
}, key);
const forge = (text: string): string => {
  const s = decodeSign1(unwrapEnvelope(text, PASS_PREFIX));
  const sig = new Uint8Array(s.signature); sig[3] ^= 0x40;
  return wrapEnvelope(encodeCbor(new Tagged(18, [s.protectedBytes, s.unprotectedHeader, s.payload, sig])), PASS_PREFIX);
};
const turnsF0 = new Uint8Array(randomBytes(8));
const names = ['Nguyễn Thị Hồng Nhung', 'Trần Văn Bình', 'Lê Minh Châu', 'Phạm Quốc Dũng', 'Võ Thị Lan', 'Đặng Hữu Phước'];
const WHOLE_DAY: Array<[number, number]> = [[0, 1440]];
/** The hour (in Viet Nam) twelve hours from now: a window there is always closed while the demo runs. */
const farHour = (): Array<[number, number]> => { const m = (new Date().getUTCHours() + 7 + 12) % 24; return [[m * 60, (m + 1) * 60]]; };
// the mix a checkpoint sees; the valid kinds carry no hours, or a window of the whole day, so they are green at
// any hour the demo is run (a shipper's 05:00-22:00 turned most of the mix red at night)
const mix: Array<{ kind: string; weight: number; expect: string[]; make: () => string }> = [
  { kind: 'resident', weight: 40, expect: ['ok'], make: () => pass({ holderName: names[Math.floor(Math.random() * names.length)] }) },
  { kind: 'shipper', weight: 20, expect: ['ok'], make: () => pass({ category: 'shipper', areas: ['79', '74'], hours: WHOLE_DAY, plate: '51C-123.45', holderName: 'Trần Văn Bình' }) },
  { kind: 'official', weight: 8, expect: ['ok'], make: () => pass({ category: 'official', issuer: 'VN-BYT', areas: ['VN'], holderName: 'Hoàng Minh Tuấn' }, moh.privateKey) },
  { kind: 'expired', weight: 6, expect: ['expired'], make: () => pass({ validFrom: now() - 30 * 86400, issuedAt: now() - 30 * 86400, validUntil: now() - 86400 }) },
  { kind: 'other district', weight: 5, expect: ['wrong-area'], make: () => pass({ areas: ['79/27001'] }) },
  { kind: 'outside its hours', weight: 5, expect: ['outside-hours'], make: () => pass({ category: 'shipper', hours: farHour() }) },
  { kind: 'turns F0', weight: 4, expect: ['ok', 'health-status'], make: () => pass({ holderToken: turnsF0, holderName: 'Bùi Thị Hoa' }) },
  { kind: 'forged', weight: 3, expect: ['bad-signature'], make: () => forge(pass({})) },
  { kind: 'web link', weight: 3, expect: ['unsupported-format'], make: () => 'https://tokhaiyte.vn/khai-bao?id=8812' },
  ...(dcc ? [{ kind: 'EU DCC, expired', weight: 4, expect: ['expired'], make: () => dcc.PREFIX }] : []),
];
const total = mix.reduce((a, m) => a + m.weight, 0);
let turn = 0;
// interactive: a realistic random mix; with --seconds (the test): every kind in turn, so each shows up
const pick = (): (typeof mix)[number] => {
  if (values.seconds) return mix[turn++ % mix.length];
  let r = Math.random() * total;
  for (const m of mix) { if ((r -= m.weight) < 0) return m; }
  return mix[0];
};

// the kiosks get their lists from the hub over MQTT: scans before that would all be red (unknown-key)
for (const end = Date.now() + 15_000; kiosks.some((k) => !k.kiosk.store.trust.version || !k.kiosk.store.status.version) && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));

const dashboard = `http://127.0.0.1:${hub.ports.http}/`;
console.log(`\nchot demo is running (data in ${dir})\n`);
console.log(`  dashboard:  ${dashboard}`);
console.log(`  log in as:  demo / ${operator}`);
console.log(`  MQTT:       mqtt://127.0.0.1:${hub.ports.mqtt}`);
for (const k of kiosks) console.log(`  officer screen of ${k.id} (${k.area}): ${k.screenUrl}`);
console.log('');
console.log('  Ctrl-C stops everything.\n');

// the console: one row per scan, in columns that line up whatever the names (widths in characters of NFC
// text, where each Vietnamese letter is one column)
const width = (t: string) => [...t.normalize('NFC')].length;
const pad = (t: string, n: number) => { const c = [...t.normalize('NFC')]; return c.length > n ? `${c.slice(0, n - 1).join('')}…` : t.normalize('NFC') + ' '.repeat(n - c.length); };
const COLS = { kiosk: Math.max(...kiosks.map((k) => width(k.id))), verdict: 11, reason: Math.max(...Object.keys(REASONS).map(width)), name: 22 };
const row = (kiosk: string, verdict: string, reason: string, name: string, message: string) =>
  `${pad(kiosk, COLS.kiosk)}  ${pad(verdict, COLS.verdict)}  ${pad(reason, COLS.reason)}  ${pad(name, COLS.name)}  ${message}`;
if (!values.quiet) console.log(row('kiosk', 'verdict', 'reason', 'name', 'message'));

const signalled = { green: 0, red: 0 };
/** What was fed last: the kiosk decides as the code is fed, so its scan event names the kind. */
let fed: (typeof mix)[number] | undefined;
const unexpected: Array<{ kiosk: string; kind: string; reason: string }> = [];
for (const k of kiosks) {
  k.kiosk.on('scan', (v) => {
    if (v.record.override) return;
    signalled[v.verdict.verdict]++;
    if (fed && !fed.expect.includes(v.verdict.reason)) unexpected.push({ kiosk: k.id, kind: fed.kind, reason: v.verdict.reason });
    if (!values.quiet) {
      console.log(row(k.id, v.verdict.verdict === 'green' ? 'XANH  green' : 'ĐỎ    red', v.verdict.reason, v.verdict.summary?.name ?? '',
        `${v.verdict.message.vi}${process.env.CHOT_DEMO_DETAIL && v.verdict.detail ? `  (${v.verdict.detail})` : ''}`));
    }
  });
}
const feed = setInterval(() => {
  const k = kiosks[Math.floor(Math.random() * kiosks.length)];
  fed = pick();
  k.scanner.feed(fed.make());
  fed = undefined;
}, Number(values.every));
// a few seconds in, the health authority reports a holder as F0: that pass turns red without a reissue
const f0 = setTimeout(() => void (async () => {
  const v2 = buildStatusList(2, now(), [[turnsF0, 'F0']], []);
  writeFileSync(join(lists, 'status-delta.cose'), signStatusDelta(makeDelta(statusV1, v2), root.privateKey));
  await hub.broker.publish(topics.statusDelta, readFileSync(join(lists, 'status-delta.cose')), true);
  log('demo: the health authority marked Bùi Thị Hoa F0 (status list v2): her pass is red from now on');
})().catch((e) => log(`demo: status list v2 could not be published: ${(e as Error).message}`)), 3000);

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(feed); clearTimeout(f0);
  for (const k of kiosks) { await k.screen.close(); await k.kiosk.stop(); }
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

if (values.seconds) {
  setTimeout(() => void (async () => {
    clearInterval(feed);
    // let every kiosk's journal drain to the hub, then compare
    const end = Date.now() + 15_000;
    while (kiosks.some((k) => k.kiosk.journal.pending > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const fig = (await hub.view().report(localDay(Date.now(), hub.config.timeZone), localDay(Date.now(), hub.config.timeZone))).nationwide;
    console.log(JSON.stringify({ signalled, unexpected, hub: { scans: fig.scans, green: fig.green, red: fig.red, reasons: fig.reasons }, backlog: kiosks.map((k) => k.kiosk.journal.pending) }));
    await stop(0);
  })().catch((e) => { console.error(`demo: ending the run failed: ${(e as Error).message}`); return stopping ? process.exit(1) : stop(1); }), Number(values.seconds) * 1000);
}

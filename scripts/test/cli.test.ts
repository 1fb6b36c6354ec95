// The chot command line as a technician uses it: real files in a temporary folder, real exit codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, statSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHOT = new URL('../chot.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chot-cli-'));
const run = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [CHOT, ...args], { cwd: dir, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const AT = '2021-09-11T09:00:00+07:00';

test('--help lists the subcommands; an unknown flag or command prints one error line and the usage, exit 2', () => {
  const h = run(['--help']);
  assert.is(h.code, 0);
  for (const c of ['keygen', 'trust', 'status', 'pass', 'verify']) assert.match(h.out, new RegExp(`^  ${c}`, 'm'));
  const bad = run(['verify', '--bogus', 'x']);
  assert.is(bad.code, 2);
  assert.match(bad.err.split('\n')[0], /Unknown option '--bogus'/);
  assert.match(bad.err, /usage: chot verify/);
  assert.is(run(['frobnicate']).code, 2);
  assert.is(run(['verify', '--checkpoint', 'Saigon', 'VN1:x']).code, 2);
});

test('keygen, trust sign, status sign, pass issue, verify: green exits 0, red exits 1', () => {
  assert.is(run(['keygen', '--out', 'root']).code, 0);
  assert.is((statSync(join(dir, 'root.key.pem')).mode & 0o777).toString(8), '600');
  assert.is(run(['keygen', '--out', 'root']).code, 2, 'refuses to overwrite a private key');
  assert.is(run(['keygen', '--alg', 'ES256', '--out', 'hcm']).code, 0);
  writeFileSync(join(dir, 'trust.json'), JSON.stringify({ version: 1, issuers: [{ issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: 'hcm.pub.pem', validFrom: '2021-01-01T00:00:00Z', validUntil: '2022-12-31T00:00:00Z', categories: ['shipper'], areas: ['79'] }] }));
  const ts = run(['trust', 'sign', '--root', 'root.key.pem', '--in', 'trust.json', '--out', 'trust.cose']);
  assert.is(ts.code, 0, ts.err);
  writeFileSync(join(dir, 's1.json'), JSON.stringify({ version: 1, holders: [] }));
  assert.is(run(['status', 'sign', '--root', 'root.key.pem', '--in', 's1.json', '--out', 's1.cose']).code, 0);
  const issued = run(['pass', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--name', 'Trần Văn Bình', '--id-last4', '1234', '--category', 'shipper',
    '--area', '79', '--hours', '05:00-22:00', '--plate', '51C-123.45', '--issued-at', '2021-09-10T08:00:00+07:00', '--token', 'aaaaaaaaaaaaaaaa', '--png', 'pass.png']);
  assert.is(issued.code, 0, issued.err);
  const text = issued.out.trim();
  assert.match(text, /^VN1:[0-9A-Z $%*+\-./:]+$/);
  const info = JSON.parse(issued.err);
  assert.ok(info.qrVersion <= 11, `QR version ${info.qrVersion}`);
  assert.ok(readFileSync(join(dir, 'pass.png')).subarray(1, 4).toString() === 'PNG');

  const green = run(['verify', '--trust', 'trust.cose', '--status', 's1.cose', '--at', AT, '--checkpoint', '79/26734', text]);
  assert.is(green.code, 0, green.out + green.err);
  const gv = JSON.parse(green.out);
  assert.is(gv.verdict, 'green');
  assert.is(gv.summary.name, 'Trần Văn Bình');
  assert.is(green.out.trim().split('\n').length, 1, 'one JSON line');

  const stdin = run(['verify', '--trust', 'trust.cose', '--at', '2021-09-11T23:00:00+07:00', '--checkpoint', '79', '-'], text + '\r\n');
  assert.is(stdin.code, 1);
  assert.is(JSON.parse(stdin.out).reason, 'outside-hours');

  // the health authority marks the holder F0: a signed status list v2, and the delta 1 → 2
  writeFileSync(join(dir, 's2.json'), JSON.stringify({ version: 2, holders: [{ token: 'aaaaaaaaaaaaaaaa', state: 'F0' }] }));
  assert.is(run(['status', 'sign', '--root', 'root.key.pem', '--in', 's2.json', '--out', 's2.cose']).code, 0);
  const d = run(['status', 'delta', '--root', 'root.key.pem', '--from', 's1.cose', '--to', 's2.cose', '--out', 'd2.cose']);
  assert.is(d.code, 0, d.err);
  assert.is(JSON.parse(d.out).changes, 1);
  const f0 = run(['verify', '--trust', 'trust.cose', '--status', 's2.cose', '--at', AT, '--checkpoint', '79', text]);
  assert.is(f0.code, 1);
  assert.is(JSON.parse(f0.out).reason, 'health-status');

  // without the trust list nothing is trusted
  const untrusted = run(['verify', '--at', AT, text]);
  assert.is(untrusted.code, 1);
  assert.is(JSON.parse(untrusted.out).reason, 'unknown-key');
});

test('a trust list signed by another root is refused with a clear error, exit 2', () => {
  assert.is(run(['keygen', '--out', 'evil']).code, 0);
  assert.is(run(['trust', 'sign', '--root', 'evil.key.pem', '--in', 'trust.json', '--out', 'evil-trust.cose']).code, 0);
  const r = run(['verify', '--trust', 'evil-trust.cose', '--root', 'root.pub.pem', 'VN1:x']);
  assert.is(r.code, 2);
  assert.match(r.err, /signature does not verify with the root key/);
});

test('bad inputs to the issuing tools name the bad value', () => {
  const r = run(['pass', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--name', 'A', '--id-last4', '12', '--category', 'shipper', '--area', '79']);
  assert.is(r.code, 2);
  assert.match(r.err, /idLast4.*"12"/);
  const c = run(['pass', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--name', 'A', '--id-last4', '1234', '--category', 'pilot', '--area', '79']);
  assert.match(c.err, /--category "pilot"/);
  const m = run(['trust', 'sign', '--root', 'root.key.pem', '--in', 'missing.json', '--out', 'x']);
  assert.is(m.code, 2);
  assert.match(m.err, /cannot read JSON file missing.json: ENOENT/);
  assert.ok(!existsSync(join(dir, 'x')));
});

test('officer issue: a card the booth accepts where its issuer may issue official passes; bad input names the value', () => {
  assert.is(run(['keygen', '--out', 'police']).code, 0);
  writeFileSync(join(dir, 'trust-o.json'), JSON.stringify({ version: 3, issuers: [
    { issuer: 'VN-79', name: 'Sở Y tế TP.HCM', publicKey: 'hcm.pub.pem', validFrom: '2021-01-01T00:00:00Z', validUntil: '2022-12-31T00:00:00Z', categories: ['shipper'], areas: ['79'] },
    { issuer: 'VN-79-CA', name: 'Công an TP.HCM', publicKey: 'police.pub.pem', validFrom: '2021-01-01T00:00:00Z', validUntil: '2022-12-31T00:00:00Z', categories: ['official'], areas: ['79'] }] }));
  assert.is(run(['trust', 'sign', '--root', 'root.key.pem', '--in', 'trust-o.json', '--out', 'trust-o.cose']).code, 0);
  const card = run(['officer', 'issue', '--key', 'police.key.pem', '--issuer', 'VN-79-CA', '--code', 'CA79-0042', '--name', 'Lê Thị Hoa', '--area', '79',
    '--issued-at', '2021-09-01T08:00:00+07:00', '--png', 'card.png']);
  assert.is(card.code, 0, card.err);
  assert.match(card.out.trim(), /^VNO1:[0-9A-Z $%*+\-./:]+$/);
  const info = JSON.parse(card.err);
  assert.match(info.cardId, /^[0-9a-f]{16}$/);
  assert.is(info.validUntil, '2022-02-28T01:00:00.000Z', '180 days by default');
  assert.ok(readFileSync(join(dir, 'card.png')).subarray(1, 4).toString() === 'PNG');

  const ok = run(['verify', '--trust', 'trust-o.cose', '--at', AT, '--checkpoint', '79/26734', card.out.trim()]);
  assert.is(ok.code, 0, ok.out + ok.err);
  const v = JSON.parse(ok.out);
  assert.is(v.kind, 'officer');
  assert.is(v.officer.code, 'CA79-0042');
  const elsewhere = run(['verify', '--trust', 'trust-o.cose', '--at', AT, '--checkpoint', '01', card.out.trim()]);
  assert.is(elsewhere.code, 1);
  assert.is(JSON.parse(elsewhere.out).reason, 'wrong-area');
  // the health department's key signs shipper passes, not officers' cards
  const wrongKey = run(['officer', 'issue', '--key', 'hcm.key.pem', '--issuer', 'VN-79', '--code', 'X1', '--name', 'A', '--area', '79', '--issued-at', '2021-09-01T08:00:00+07:00']);
  assert.is(wrongKey.code, 0, 'signing needs no trust list; the booth refuses the card');
  const refused = run(['verify', '--trust', 'trust-o.cose', '--at', AT, '--checkpoint', '79', wrongKey.out.trim()]);
  assert.is(refused.code, 1);
  assert.is(JSON.parse(refused.out).reason, 'issuer-not-allowed');

  const badCode = run(['officer', 'issue', '--key', 'police.key.pem', '--issuer', 'VN-79-CA', '--code', '079201001234 Hoa', '--name', 'A', '--area', '79']);
  assert.is(badCode.code, 2);
  assert.match(badCode.err, /officer field code must be 1–32 of A-Z a-z 0-9 \. _ -: "079201001234 Hoa"/);
  const noArea = run(['officer', 'issue', '--key', 'police.key.pem', '--issuer', 'VN-79-CA', '--code', 'X1', '--name', 'A']);
  assert.is(noArea.code, 2);
  assert.match(noArea.err, /missing --area/);
  const days = run(['officer', 'issue', '--key', 'police.key.pem', '--issuer', 'VN-79-CA', '--code', 'X1', '--name', 'A', '--area', '79', '--valid-days', '0']);
  assert.is(days.code, 2);
  assert.match(days.err, /--valid-days "0" must be 1–731/);
  assert.is(run(['officer', 'revoke']).code, 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();

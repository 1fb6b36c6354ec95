// Releases and rollouts: signed by a release key the root authorises in the trust list; refused with a reason when
// the key is not authorised, the manifest was changed, or an old rollout is replayed; the staged share is chosen by a
// hash of the kiosk id, so a 10 % rollout reaches about 10 % of a fleet, the same kiosks every time. And the bundle
// format (lib/tar.ts) writes nothing outside its folder.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ReleaseError, inRollout, issuerEntryToWire, openReleaseManifest, openRollout, openTrustList, peekRollout, releaseSignerToWire,
  signReleaseManifest, signRollout, signTrustList, type ReleaseManifest,
} from '../src/index.js';
import { packTarGz, readTarGz, unpackTarGz, TarError } from '../../lib/tar.js';

const now = Math.floor(Date.now() / 1000);
const root = generateKeyPairSync('ed25519');
const issuer = generateKeyPairSync('ed25519');
const release = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const trust = openTrustList(signTrustList(3, now, [issuerEntryToWire({
  issuer: 'VN-79', name: 'HCMC', publicKey: issuer.publicKey, validFrom: now - 86400, validUntil: now + 86400, categories: ['resident'], areas: ['79'],
})], root.privateKey, [releaseSignerToWire({ name: 'chot releases 2026', publicKey: release.publicKey, validFrom: now - 86400, validUntil: now + 365 * 86400 })]), root.publicKey);
const manifest: ReleaseManifest = { version: '1.4.0', arch: 'arm64', size: 1234, sha256: new Uint8Array(createHash('sha256').update('bundle').digest()), createdAt: now, deps: 'shared' };

function code(fn: () => unknown): string {
  try { fn(); } catch (e) { if (e instanceof ReleaseError) return `${e.code}: ${e.message}`; throw e; }
  return 'accepted';
}

test('the trust list carries release signers apart from pass issuers: a release key never verifies a pass', () => {
  assert.is(trust.releaseSigners!.length, 1);
  assert.is(trust.releaseSigners![0].name, 'chot releases 2026');
  assert.is(trust.entries.length, 1, 'only the issuer is among the pass-signing entries');
  assert.ok(trust.entries.every((e) => e.kind === 'pass'));
  // a list without release signers reads as before
  const plain = openTrustList(signTrustList(1, now, [], root.privateKey), root.publicKey);
  assert.equal(plain.releaseSigners, []);
});

test('a manifest signed by the authorised release key opens; changed, or signed by another key, it is refused with the reason', () => {
  const signed = signReleaseManifest(manifest, release.privateKey);
  const m = openReleaseManifest(signed, trust);
  assert.is(m.version, '1.4.0');
  assert.is(m.signer, 'chot releases 2026');
  assert.is(Buffer.from(m.sha256).toString('hex'), Buffer.from(manifest.sha256).toString('hex'));
  // one byte of the signed body changed (the checksum it names): the signature no longer verifies
  const tampered = new Uint8Array(signed);
  const at = Buffer.from(tampered).indexOf(Buffer.from(manifest.sha256));
  tampered[at] ^= 0xff;
  assert.match(code(() => openReleaseManifest(tampered, trust)), /^bad-signature: release signature does not verify/);
  assert.match(code(() => openReleaseManifest(signReleaseManifest(manifest, stranger.privateKey), trust)), /^not-authorised: release signed by key [0-9a-f]{16}, which the trust list \(v3\) does not authorise/);
  // the pass issuer's key is in the trust list, but not as a release signer
  assert.match(code(() => openReleaseManifest(signReleaseManifest(manifest, issuer.privateKey), trust)), /^not-authorised/);
  // made outside its key's validity
  assert.match(code(() => openReleaseManifest(signReleaseManifest({ ...manifest, createdAt: now - 10 * 86400 }, release.privateKey), trust)), /^key-not-valid/);
  assert.match(code(() => openReleaseManifest(new Uint8Array([1, 2, 3]), trust)), /^malformed/);
});

test('a rollout carries its release; an older rollout replayed is refused, so a pause cannot be undone by replay', () => {
  const m = signReleaseManifest(manifest, release.privateKey);
  const r1 = signRollout({ seq: 1, state: 'active', manifest: m, basisPoints: 1000, kiosks: ['booth-7'], issuedAt: now }, release.privateKey);
  const r2 = signRollout({ seq: 2, state: 'paused', manifest: m, basisPoints: 1000, kiosks: ['booth-7'], issuedAt: now }, release.privateKey);
  const o = openRollout(r1, trust);
  assert.is(o.release.version, '1.4.0');
  assert.is(o.basisPoints, 1000);
  assert.equal(o.kiosks, ['booth-7']);
  assert.is(openRollout(r2, trust, 1).state, 'paused');
  assert.match(code(() => openRollout(r1, trust, 2)), /^old-rollout: rollout 1 is not newer than the rollout 2 held/);
  // a rollout by an authorised key that carries a manifest signed by a stranger is refused for the manifest
  const foreign = signRollout({ seq: 3, state: 'active', manifest: signReleaseManifest(manifest, stranger.privateKey), basisPoints: 10000, kiosks: [], issuedAt: now }, release.privateKey);
  assert.match(code(() => openRollout(foreign, trust)), /^not-authorised: release signed by key/);
  assert.match(code(() => openRollout(signRollout({ seq: 4, state: 'active', manifest: m, basisPoints: 10000, kiosks: [], issuedAt: now }, stranger.privateKey), trust)), /^not-authorised: rollout signed by key/);
  assert.is(peekRollout(r2)!.release.version, '1.4.0');
  assert.is(peekRollout(m), undefined, 'a manifest is not a rollout');
});

test('a 10 % rollout reaches about 10 % of a fleet of 5,000, the same kiosks every time; 1 % is inside 10 %, 100 % is all', () => {
  const fleet = Array.from({ length: 5000 }, (_, i) => `hcm-${String(i).padStart(4, '0')}`);
  const pick = (bp: number, v = '1.4.0') => new Set(fleet.filter((k) => inRollout(k, { basisPoints: bp, kiosks: [] }, v)));
  const ten = pick(1000), one = pick(100), all = pick(10000);
  assert.ok(ten.size >= 450 && ten.size <= 550, `10 %: ${ten.size} of 5000`);
  assert.ok(one.size >= 30 && one.size <= 70, `1 %: ${one.size} of 5000`);
  assert.is(all.size, 5000);
  for (const k of one) assert.ok(ten.has(k), `${k} is in 1 % but not in 10 %`);
  assert.equal([...pick(1000)], [...ten], 'deterministic');
  // another version draws another 10 %: the same booths are not always the first to take a release
  const other = pick(1000, '1.5.0');
  assert.ok([...other].filter((k) => ten.has(k)).length < ten.size / 2);
  // a kiosk named is in, whatever the share
  assert.ok(inRollout('hcm-0001', { basisPoints: 0, kiosks: ['hcm-0001'] }, '1.4.0'));
  assert.not.ok(inRollout('hcm-0002', { basisPoints: 0, kiosks: ['hcm-0001'] }, '1.4.0'));
});

test('bundles: files and folders round-trip; a name climbing out, an absolute name or a link is refused before anything is written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chot-tar-'));
  try {
    const long = `node_modules/${'a'.repeat(90)}/${'b'.repeat(60)}/index.js`;
    const gz = packTarGz([{ name: 'dist/scripts/chot.js', data: Buffer.from('console.log(1)'), mode: 0o755 }, { name: long, data: Buffer.alloc(1000, 7) }, { name: 'release.json', data: Buffer.from('{}') }]);
    assert.is(unpackTarGz(gz, join(dir, 'ok')), 3);
    assert.is(readFileSync(join(dir, 'ok', 'dist', 'scripts', 'chot.js'), 'utf8'), 'console.log(1)');
    assert.is(readFileSync(join(dir, 'ok', long)).length, 1000);
    assert.equal(packTarGz([{ name: 'x', data: Buffer.from('1') }]), packTarGz([{ name: 'x', data: Buffer.from('1') }]), 'the same files make the same bundle');
    assert.throws(() => packTarGz([{ name: '../evil', data: Buffer.from('x') }]), (e: Error) => e instanceof TarError && /not a plain relative name/.test(e.message));
    // hand-made hostile archives: a header naming ../ and one that is a symbolic link
    const hostile = (name: string, type: string) => {
      const ok = readTarGz(packTarGz([{ name: 'aaaaaaa', data: Buffer.from('x') }]));
      assert.is(ok.length, 1);
      const raw = Buffer.from(gunzipSync(packTarGz([{ name: 'aaaaaaa', data: Buffer.from('x') }])));
      raw.write(name.padEnd(7, '\0'), 0, 7, 'utf8');
      raw.write(type, 156, 1, 'ascii');
      let sum = 0;
      raw.fill(0x20, 148, 156);
      for (let i = 0; i < 512; i++) sum += raw[i];
      raw.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
      return gzipSync(raw);
    };
    assert.throws(() => unpackTarGz(hostile('../evil', '0'), join(dir, 'a')), /not a plain relative name/);
    assert.throws(() => unpackTarGz(hostile('/etc/pw', '0'), join(dir, 'b')), /not a plain relative name/);
    assert.throws(() => unpackTarGz(hostile('linkxxx', '2'), join(dir, 'c')), /tar type "2", not a file or a folder/);
    assert.not.ok(existsSync(join(dir, 'evil')));
    assert.throws(() => readTarGz(new Uint8Array([1, 2, 3])), /not gzip data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();

// EU DCC verification rate beside bare crypto.verify, on real certificates from the dcc-testdata corpus
// (lib/corpora.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, verify as cryptoVerify } from 'node:crypto';
import { decodeSign1, dscEntry, emptyStatusList, toBeSigned, unwrapEnvelope, verifyDcc, type TrustList } from '../../protocol/src/index.js';
import { compareRates, printTable, type Row } from './measure.js';
import { corpusDir, missingCorpus } from '../../lib/corpora.js';

const CASES: Array<[string, string]> = [['ES256', 'DE/2DCode/raw/1.json'], ['PS256 (RSA 2048)', 'common/2DCode/raw/CO1.json'], ['PS256 (RSA 3072)', 'common/2DCode/raw/CO2.json']];

export function benchDcc(): void {
  const CORPUS = corpusDir('dcc-testdata');
  if (!CORPUS) { console.log(`\n## EU DCC verification\n\nnot run: ${missingCorpus('dcc-testdata', 'the EU DCC verification rates')}`); return; }
  const trust: TrustList = { version: 0, issuedAt: 0, entries: [], byKid: new Map() };
  const rows: Row[] = [];
  for (const [alg, file] of CASES) {
    const d = JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
    const dsc = dscEntry(new Uint8Array(Buffer.from(d.TESTCTX.CERTIFICATE, 'base64')));
    const ctx = { trust, status: emptyStatusList(), now: Date.parse(d.TESTCTX.VALIDATIONCLOCK), extraDsc: [dsc], rules: null, checkTime: false };
    const v = verifyDcc(d.PREFIX, ctx);
    if (v.verdict !== 'green') throw new Error(`${file} is not green in the bench: ${v.reason} ${v.detail}`);
    const s = decodeSign1(unwrapEnvelope(d.PREFIX, 'HC1:', { maxText: 4296, maxInflated: 32768, requireCompression: true }), { allowIndefinite: true });
    const tbs = toBeSigned(s.protectedBytes, s.payload);
    const bare = dsc.alg === 'ES256'
      ? () => cryptoVerify('sha256', tbs, { key: dsc.key, dsaEncoding: 'ieee-p1363' }, s.signature)
      : () => cryptoVerify('sha256', tbs, { key: dsc.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, s.signature);
    const [bareRate, fullRate] = compareRates(bare, () => verifyDcc(d.PREFIX, ctx));
    rows.push({ alg, case: file.replace('/2DCode/raw/', '/'), 'QR chars': d.PREFIX.length, 'bare crypto.verify /s': bareRate, 'full verifyDcc /s': fullRate, 'full / bare': `${((fullRate / bareRate) * 100).toFixed(1)} %` });
  }
  printTable('EU DCC verification, one core (real conformance certificates, rules off)', rows);
}

// QR decoding on real photos: ZXing's own black-box images (the qr-corpus corpus, lib/corpora.ts) at 0, 90, 180
// and 270 degrees must read at least as many exactly as ZXing does; the EU DCC images (dcc-testdata) must decode
// to their HC1: text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ZxingLibraryDecoder, ZxingWasmDecoder, zxingLuminance, type QrDecoder } from '../src/camera/decode.js';
import { CHOT } from './rig.js';
import { spawnSync } from 'node:child_process';
import { needsCorpus } from '../../lib/corpora.js';

const qr = needsCorpus('qr-corpus', 'kiosk/test/decode: ZXing\'s QR photos at four rotations, and chot decode');
const dccImages = needsCorpus('dcc-testdata', 'kiosk/test/decode: the EU DCC QR images');

/**
 * How many images of each folder ZXing's own Java decoder must read with TRY_HARDER, per rotation: addTest(…) in
 * core/src/test/java/com/google/zxing/qrcode/QRCodeBlackBox{1,2,5}TestCase.java at the corpus's pinned commit.
 */
const ZXING_READS: Record<string, Record<number, number>> = {
  'qrcode-1': { 0: 17, 90: 14, 180: 17, 270: 14 },
  'qrcode-2': { 0: 32, 90: 30, 180: 31, 270: 31 },
  'qrcode-5': { 0: 19, 90: 19, 180: 19, 270: 19 },
};

async function lum(source: string | Buffer, degrees = 0): Promise<{ gray: Uint8Array; w: number; h: number }> {
  const { data, info } = await sharp(source).rotate(degrees).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { gray: zxingLuminance(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height), w: info.width, h: info.height };
}

test('ZXing corpus at every rotation: the two decoders together read at least as many as ZXing, with no misread', qr(async (corpus) => {
  const lib: QrDecoder = new ZxingLibraryDecoder();
  const wasm: QrDecoder = await ZxingWasmDecoder.create();
  const shortfalls: string[] = [];
  for (const [folder, reads] of Object.entries(ZXING_READS)) {
    const dir = join(corpus, folder);
    const images = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    for (const deg of [0, 90, 180, 270]) {
      let both = 0, onlyLib = 0, onlyWasm = 0, misread = 0;
      for (const img of images) {
        const want = readFileSync(join(dir, img.replace(/\.png$/, '.txt')), 'utf8');
        const { gray, w, h } = await lum(join(dir, img), deg);
        const a = await lib.decode(gray, w, h);
        const b = a === want ? a : await wasm.decode(gray, w, h); // the fallback runs only when the first fails
        if (a === want) onlyLib++;
        if (b === want && a !== want) onlyWasm++;
        if (a === want || b === want) both++;
        else if (a !== null && b !== null) misread++;
      }
      const need = reads[deg];
      console.log(`  ${folder} ${String(deg).padStart(3)}°: ${both}/${images.length} read (ZXing: ${need}); library ${onlyLib}, wasm as fallback +${onlyWasm}`);
      if (both < need) shortfalls.push(`${folder} at ${deg}°: ${both} read, ZXing reads ${need}`);
      if (misread) shortfalls.push(`${folder} at ${deg}°: ${misread} misread`);
    }
  }
  assert.equal(shortfalls, []);
}));

test('every EU DCC QR image decodes to its HC1: text, and each case\'s picture to its PREFIX', dccImages(async (dcc) => {
  const wasm = await ZxingWasmDecoder.create();
  const lib = new ZxingLibraryDecoder();
  let checked = 0;
  for (const cc of readdirSync(dcc)) {
    const pngs = join(dcc, cc, 'png');
    if (existsSync(pngs)) {
      for (const f of readdirSync(pngs).filter((x) => x.endsWith('.png'))) {
        const { gray, w, h } = await lum(join(pngs, f));
        const text = (await lib.decode(gray, w, h)) ?? (await wasm.decode(gray, w, h));
        assert.ok(text?.startsWith('HC1:'), `${cc}/png/${f} decoded to ${JSON.stringify(text?.slice(0, 20))}`);
        checked++;
      }
    }
    const raw = join(dcc, cc, '2DCode', 'raw');
    if (!existsSync(raw)) continue;
    for (const f of readdirSync(raw).filter((x) => x.endsWith('.json'))) {
      const c = JSON.parse(readFileSync(join(raw, f), 'utf8')) as { PREFIX?: string; '2DCODE'?: string; EXPECTEDRESULTS?: { EXPECTEDPICTUREDECODE?: boolean } };
      const flag = c.EXPECTEDRESULTS?.EXPECTEDPICTUREDECODE;
      if (!c['2DCODE'] || flag === undefined) continue;
      let text: string | null = null;
      try {
        const { gray, w, h } = await lum(Buffer.from(c['2DCODE'], 'base64'));
        text = (await lib.decode(gray, w, h)) ?? (await wasm.decode(gray, w, h));
      } catch {
        text = null; // not an image at all: it certainly does not decode
      }
      if (flag) assert.is(text, c.PREFIX, `${cc}/${f}: the picture must decode to PREFIX`);
      else assert.is.not(text, c.PREFIX, `${cc}/${f}: the picture must not decode`);
      checked++;
    }
  }
  assert.ok(checked > 50, `${checked} images checked`);
}));

test('chot decode prints one JSON line per image, and a clear error for a file that is not an image', qr((corpus) => {
  const r = spawnSync(process.execPath, [CHOT, 'decode', join(corpus, 'qrcode-1', '1.png'), join(corpus, 'qrcode-1', '1.txt')], { encoding: 'utf8' });
  assert.is(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines[0].text, readFileSync(join(corpus, 'qrcode-1', '1.txt'), 'utf8'));
  assert.ok(typeof lines[0].ms === 'number');
  assert.is(lines[1].text, null);
  assert.match(lines[1].error, /cannot read .*1\.txt as an image/);
}));

test.run();

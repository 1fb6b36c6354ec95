// The camera path with ffmpeg playing a video as the camera: a pass shown tilted, blurred, moving, small in the
// frame and in low contrast gives exactly one scan with the right verdict; a web link gives one red "not a pass".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import QRCode from 'qrcode';
import { checkConfig } from '../src/config.js';
import { Kiosk } from '../src/kiosk.js';
import { SimGpio } from '../src/gpio/sim.js';
import { CameraScanner, frameLayout } from '../src/scan/camera.js';
import { defaultDecoder } from '../src/camera/decode.js';
import { killAll, makeWorld, waitFor } from './rig.js';

const w = makeWorld('camera');

function video(png: string, seconds: number): string[] {
  // the code 200 px wide in a 640x480 frame, tilted 10°, blurred, low contrast, sliding across the frame
  return ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-loop', '1', '-t', String(seconds), '-i', png,
    '-filter_complex', "[0]scale=200:200,rotate=0.17:c=white:ow=260:oh=260,gblur=sigma=0.7,eq=contrast=0.6:brightness=0.05[q];color=white:s=640x480:r=10:d=" + seconds + "[bg];[bg][q]overlay=x='60+40*t':y=110:shortest=1",
    '-f', 'rawvideo', '-pix_fmt', 'gray', '-'];
}

async function kioskWithCamera(name: string, command: string[]): Promise<{ kiosk: Kiosk; cam: CameraScanner; logs: string[] }> {
  const logs: string[] = [];
  writeFileSync(join(w.dir, 'synced'), '');
  const config = checkConfig({ kiosk: { id: `cam-${name}`, area: '79/26734', debounceMs: 10_000 }, rootKey: w.rootPub, stateDir: join(w.dir, `state-${name}`), scanner: { type: 'none' }, gpio: { driver: 'sim' }, clock: { syncedFile: join(w.dir, 'synced') } });
  const cam = new CameraScanner({ kind: 'command', command, width: 640, height: 480, decoder: await defaultDecoder(), log: (l) => logs.push(l) });
  const kiosk = await Kiosk.start(config, { gpio: new SimGpio(), sources: [cam], log: (l) => logs.push(l) });
  kiosk.store.applyTrust(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'))), Date.now());
  kiosk.store.applyStatus(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'status.cose'))), Date.now());
  return { kiosk, cam, logs };
}

test('a pass shown to the camera, tilted, blurred, moving, small and dim: exactly one scan, green', async () => {
  const png = join(w.dir, 'pass.png');
  await QRCode.toFile(png, w.pass({ holderName: 'Đỗ Thị Mai' }).text, { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
  const { kiosk, cam, logs } = await kioskWithCamera('pass', video(png, 4));
  await waitFor('the camera process to end and restart', () => logs.some((l) => /camera: ffmpeg stopped .*restarting/.test(l)), 15_000);
  await cam.stop();
  assert.ok(cam.decoded >= 2, `the code was read in ${cam.decoded} frames`);
  assert.is(kiosk.journal.stats.appended, 1, 'consecutive frames with the same code are one scan');
  assert.is(kiosk.history[0].verdict.verdict, 'green', kiosk.history[0].verdict.detail);
  assert.is(kiosk.history[0].verdict.summary?.name, 'Đỗ Thị Mai');
  assert.is(kiosk.history[0].record.source, 'camera');
  console.log(`  camera: ${cam.frames} frames, ${cam.dropped} dropped while decoding, code read in ${cam.decoded}`);
  await kiosk.stop();
});

test('a code that is not a pass (a web link) gets one red "not a pass", not silence', async () => {
  const png = join(w.dir, 'link.png');
  await QRCode.toFile(png, 'https://tokhaiyte.vn/khai-bao', { errorCorrectionLevel: 'M', margin: 4, scale: 4 });
  const { kiosk, cam } = await kioskWithCamera('link', video(png, 3));
  await waitFor('a verdict', () => kiosk.history.length > 0, 15_000);
  await cam.stop();
  assert.is(kiosk.journal.stats.appended, 1);
  assert.is(kiosk.history[0].verdict.reason, 'unsupported-format');
  assert.match(kiosk.history[0].verdict.message.vi, /không phải giấy đi đường/);
  await kiosk.stop();
});

test("rpicam's row padding: rows are padded to 64 bytes and the chroma planes follow", () => {
  assert.equal(frameLayout('rpicam', 640, 480), { frameBytes: 640 * 480 * 1.5, stride: 640 });
  assert.equal(frameLayout('rpicam', 1000, 600), { frameBytes: 1024 * 600 + 2 * 512 * 300, stride: 1024 });
  assert.equal(frameLayout('ffmpeg', 1000, 600), { frameBytes: 600_000, stride: 1000 });
});

test.after(() => killAll());
test.run();

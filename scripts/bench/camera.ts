// Camera decoding: ms per frame for each decoder at 640x480 and 1280x720, with a code in the frame and without,
// and what trying the second decoder costs on frames with no code.
import QRCode from 'qrcode';
import sharp from 'sharp';
import { performance } from 'node:perf_hooks';
import { ZxingLibraryDecoder, ZxingWasmDecoder, FallbackDecoder, zxingLuminance, type QrDecoder } from '../../kiosk/src/camera/decode.js';
import { printTable, type Row } from './measure.js';

async function frame(w: number, h: number, withCode: boolean): Promise<Uint8Array> {
  const bg = sharp({ create: { width: w, height: h, channels: 4, background: { r: 200, g: 205, b: 210, alpha: 1 } } });
  const layers = [];
  if (withCode) {
    const text = 'VN1:' + 'NCFOXN%TSMAHN-HBVK4/RYJPVAC3WI$A2HUPNQA8-VA.P/EB8F2Y$ID9BBG2S2R5EM-C9L027ZOC9Q'.repeat(4);
    const png = await QRCode.toBuffer(text, { errorCorrectionLevel: 'M', margin: 2, scale: Math.max(2, Math.floor(h / 160)) });
    layers.push({ input: png, left: Math.floor(w / 3), top: Math.floor(h / 6) });
  }
  const { data, info } = await bg.composite(layers).raw().toBuffer({ resolveWithObject: true });
  return zxingLuminance(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
}

async function msPerFrame(d: QrDecoder, gray: Uint8Array, w: number, h: number, n = 15): Promise<{ ms: number; found: boolean }> {
  let found = false;
  await d.decode(gray, w, h);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) found = (await d.decode(gray, w, h)) !== null;
  return { ms: (performance.now() - t0) / n, found };
}

export async function benchCamera(): Promise<void> {
  const lib = new ZxingLibraryDecoder();
  const wasm = await ZxingWasmDecoder.create();
  const both = new FallbackDecoder(lib, wasm);
  const rows: Row[] = [];
  for (const [w, h] of [[640, 480], [1280, 720]]) {
    for (const withCode of [true, false]) {
      const gray = await frame(w, h, withCode);
      for (const d of [lib, wasm, both]) {
        const r = await msPerFrame(d, gray, w, h);
        rows.push({ frame: `${w}x${h}`, code: withCode ? 'yes' : 'no', decoder: d.name, 'ms per frame': r.ms, 'read': withCode ? (r.found ? 'yes' : 'NO') : (r.found ? 'MISREAD' : '–') });
      }
    }
  }
  printTable('Camera frame decoding (one core): the fallback costs a second decode only on frames without a code', rows);
}

/** Frame in → relay actuated: distinct passes rendered as 640x480 frames, decoded, decided, journaled, signalled. */
export async function benchFrameToRelay(n = 300): Promise<void> {
  const { makeWorld } = await import('../../kiosk/test/rig.js');
  const { checkConfig } = await import('../../kiosk/src/config.js');
  const { buildKiosk } = await import('../../kiosk/src/main.js');
  const { SimGpio } = await import('../../kiosk/src/gpio/sim.js');
  const { defaultDecoder } = await import('../../kiosk/src/camera/decode.js');
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const w = makeWorld('bench-frame');
  writeFileSync(join(w.dir, 'synced'), '');
  const gpio = new SimGpio(undefined, true);
  const kiosk = await buildKiosk(checkConfig({ kiosk: { id: 'bench-cam', area: '79/26734' }, rootKey: w.rootPub, stateDir: join(w.dir, 'state'), scanner: { type: 'none' }, gpio: { driver: 'sim' }, clock: { syncedFile: join(w.dir, 'synced') } }), { gpio, sources: [] }, () => {});
  kiosk.store.applyTrust(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'trust.cose'))), Date.now());
  kiosk.store.applyStatus(new Uint8Array(readFileSync(join(w.dir, 'hub', 'lists', 'status.cose'))), Date.now());
  const decoder = await defaultDecoder();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const png = await QRCode.toBuffer(w.pass().text, { errorCorrectionLevel: 'M', margin: 2, scale: 4 });
    const { data, info } = await sharp({ create: { width: 640, height: 480, channels: 4, background: { r: 210, g: 210, b: 210, alpha: 1 } } }).composite([{ input: png, left: 180, top: 60 }]).raw().toBuffer({ resolveWithObject: true });
    frames.push(zxingLuminance(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height));
  }
  const lat: number[] = [];
  for (const f of frames) {
    const before = gpio.timeline.length;
    const t0 = performance.now();
    const text = await decoder.decode(f, 640, 480);
    if (!text) continue;
    kiosk.handleCode(text, 'camera', t0);
    const hit = gpio.timeline.slice(before).find((c) => c.pin === 22 && c.on);
    if (hit) lat.push(hit.t - t0);
  }
  await kiosk.stop();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
  printTable(`Camera frame in → relay actuated (${lat.length} of ${n} distinct passes in 640x480 frames: decode, verify, journal, signal)`, [
    { measure: 'p50', ms: pct(50) }, { measure: 'p99', ms: pct(99) },
  ]);
}

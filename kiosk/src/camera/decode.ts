// QR decoding from a luminance plane (one byte per pixel, as a camera gives it: no JPEG round trip). Two decoders
// behind one interface: @zxing/library (0.21.3, the last release for Node 20; QRCodeReader with the hybrid
// binarizer and TRY_HARDER) and zxing-wasm (zxing-cpp in WebAssembly, its .wasm loaded from the package on disk,
// never from a network). Measured on ZXing's own test photos, neither reaches ZXing's counts at every rotation
// alone and the two together do, so the default tries the second only when the first finds nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BinaryBitmap, DecodeHintType, HybridBinarizer, QRCodeReader, RGBLuminanceSource } from '@zxing/library';

export interface QrDecoder {
  readonly name: string;
  decode(gray: Uint8Array, width: number, height: number): Promise<string | null>;
}

export class ZxingLibraryDecoder implements QrDecoder {
  readonly name = '@zxing/library';
  private readonly reader = new QRCodeReader();
  private readonly hints = new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]);

  async decode(gray: Uint8Array, width: number, height: number): Promise<string | null> {
    try {
      const lum = new Uint8ClampedArray(gray.buffer, gray.byteOffset, width * height);
      return this.reader.decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(lum, width, height))), this.hints).getText();
    } catch {
      return null; // NotFound, Checksum, Format: no readable code in this frame
    } finally {
      this.reader.reset();
    }
  }
}

type WasmRead = (input: { data: Uint8ClampedArray; width: number; height: number; colorSpace: 'srgb' }, o: object) => Promise<Array<{ isValid: boolean; text: string }>>;

export class ZxingWasmDecoder implements QrDecoder {
  readonly name = 'zxing-wasm';
  private rgba = new Uint8ClampedArray(0);
  private constructor(private readonly read: WasmRead) {}

  static async create(): Promise<ZxingWasmDecoder> {
    const mod = await import('zxing-wasm/reader');
    const wasm = readFileSync(createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'));
    await mod.prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, fireImmediately: true });
    return new ZxingWasmDecoder(mod.readBarcodes as unknown as WasmRead);
  }

  async decode(gray: Uint8Array, width: number, height: number): Promise<string | null> {
    const n = width * height;
    if (this.rgba.length !== n * 4) this.rgba = new Uint8ClampedArray(n * 4).fill(255);
    const rgba = this.rgba;
    for (let i = 0; i < n; i++) { const v = gray[i]; rgba[i * 4] = v; rgba[i * 4 + 1] = v; rgba[i * 4 + 2] = v; }
    const r = await this.read({ data: rgba, width, height, colorSpace: 'srgb' }, { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 1 });
    const hit = r.find((x) => x.isValid);
    return hit ? hit.text : null;
  }
}

/** The first decoder, then the second only when the first finds nothing. */
export class FallbackDecoder implements QrDecoder {
  readonly name: string;
  constructor(private readonly first: QrDecoder, private readonly second: QrDecoder) {
    this.name = `${first.name} then ${second.name}`;
  }
  async decode(gray: Uint8Array, width: number, height: number): Promise<string | null> {
    return (await this.first.decode(gray, width, height)) ?? this.second.decode(gray, width, height);
  }
}

export async function defaultDecoder(): Promise<QrDecoder> {
  return new FallbackDecoder(new ZxingLibraryDecoder(), await ZxingWasmDecoder.create());
}

/**
 * Luminance of RGBA pixels the way ZXing computes it: (306 R + 601 G + 117 B + 0x200) >> 10, fully transparent
 * pixels as white. A plain greyscale conversion reads a few of ZXing's test photos fewer.
 */
export function zxingLuminance(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = rgba[p + 3] === 0 ? 255 : (306 * rgba[p] + 601 * rgba[p + 1] + 117 * rgba[p + 2] + 0x200) >> 10;
  }
  return out;
}

// chot decode IMAGE...: decodes QR codes in image files (PNG, JPEG): one JSON line per image.
import { performance } from 'node:perf_hooks';
import { parse, UsageError } from './usage.js';
import { usageOf } from './commands.js';

const USAGE = usageOf('decode');

export async function decode(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { decoder: { type: 'string', default: 'both' } }, USAGE);
  if (!positionals.length) throw new UsageError(`give at least one image\n${USAGE}`);
  const { default: sharp } = await import('sharp');
  const d = await import('../../kiosk/src/camera/decode.js');
  const decoder = values.decoder === 'library' ? new d.ZxingLibraryDecoder() : values.decoder === 'wasm' ? await d.ZxingWasmDecoder.create()
    : values.decoder === 'both' ? await d.defaultDecoder() : undefined;
  if (!decoder) throw new UsageError(`--decoder ${JSON.stringify(values.decoder)} is not both, library or wasm`);
  let failed = 0;
  for (const file of positionals) {
    try {
      const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const t0 = performance.now();
      const text = await decoder.decode(d.zxingLuminance(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height), info.width, info.height);
      console.log(JSON.stringify({ file, text, ms: Math.round((performance.now() - t0) * 10) / 10 }));
    } catch (e) {
      failed++;
      console.log(JSON.stringify({ file, text: null, error: `cannot read ${file} as an image: ${(e as Error).message}` }));
    }
  }
  return failed ? 1 : 0;
}

// Sortable unique scan ids: 48-bit milliseconds + 80 random bits in Crockford base32 (the ULID layout).
// Monotonic within a process: if the clock stands still or steps back (a Pi without a real-time clock
// before NTP), the last time is kept and the random part incremented, so ids still sort in scan order.
import { randomBytes } from 'node:crypto';

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export class ScanIdGenerator {
  private lastMs = -1;
  private last = new Uint8Array(10);

  next(nowMs: number): string {
    let ms = Math.floor(nowMs);
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      for (let i = 9; i >= 0; i--) { if (++this.last[i] <= 255) break; this.last[i] = 0; }
    } else {
      this.last = new Uint8Array(randomBytes(10));
      this.last[0] &= 0x7f; // room to increment without overflowing into the time
      this.lastMs = ms;
    }
    return encodeTime(ms) + encodeRandom(this.last);
  }

  /** Resumes after a restart: ids keep sorting after the last one written before it. */
  resumeAfter(id: string): void {
    const ms = decodeScanIdTime(id);
    if (ms !== undefined && ms > this.lastMs) { this.lastMs = ms; this.last = new Uint8Array(randomBytes(10)); this.last[0] &= 0x7f; }
  }
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) { out = B32[ms % 32] + out; ms = Math.floor(ms / 32); }
  return out;
}

function encodeRandom(b: Uint8Array): string {
  let out = '';
  let acc = 0, bits = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte; bits += 8;
    while (bits >= 5) { out += B32[(acc >> (bits - 5)) & 31]; bits -= 5; }
    acc &= (1 << bits) - 1;
  }
  return out;
}

export function decodeScanIdTime(id: string): number | undefined {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return undefined;
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + B32.indexOf(id[i]);
  return ms;
}

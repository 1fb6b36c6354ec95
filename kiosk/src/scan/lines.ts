// Splits a scanner's byte stream into codes. Scanners in USB-COM mode end a code with CR (most), LF or CRLF,
// and a code can arrive split over several reads. Over-long lines and lines with control bytes (line noise,
// a scanner set to the wrong baud rate) are dropped with a reason, never passed on and never fatal.

export type LineEvent = { code: string } | { dropped: string };

export class LineFramer {
  private buf: number[] = [];
  private overflow = false;
  private lastWasCr = false;

  constructor(private readonly maxLength = 4400) {}

  push(chunk: Uint8Array): LineEvent[] {
    const out: LineEvent[] = [];
    for (const b of chunk) {
      if (b === 0x0d || b === 0x0a) {
        const crlf = b === 0x0a && this.lastWasCr;
        this.lastWasCr = b === 0x0d;
        if (crlf) continue;
        const e = this.end();
        if (e) out.push(e);
        continue;
      }
      this.lastWasCr = false;
      if (this.overflow) continue;
      if (this.buf.length >= this.maxLength) { this.overflow = true; continue; }
      this.buf.push(b);
    }
    return out;
  }

  private end(): LineEvent | undefined {
    const bytes = this.buf;
    const overflow = this.overflow;
    this.buf = [];
    this.overflow = false;
    if (overflow) return { dropped: `line longer than ${this.maxLength} bytes` };
    if (!bytes.length) return undefined;
    const bad = bytes.findIndex((x) => (x < 0x20 && x !== 0x09) || x === 0x7f);
    if (bad >= 0) return { dropped: `control byte 0x${bytes[bad].toString(16).padStart(2, '0')} at position ${bad} (line noise or a wrong baud rate?)` };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
    } catch {
      return { dropped: 'bytes that are not UTF-8 (line noise or a wrong baud rate?)' };
    }
    const code = text.trim();
    return code ? { code } : undefined;
  }
}

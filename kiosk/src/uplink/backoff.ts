// Exponential backoff with full jitter: after the n-th failure wait a random time in [min, min(max, min·2^n)].
// When 6,000 kiosks lose the hub together, jitter spreads their return instead of a stampede every second.
export class Backoff {
  private failures = 0;
  constructor(private readonly minMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(this.minMs + this.random() * (ceiling - this.minMs));
  }

  reset(): void {
    this.failures = 0;
  }
}

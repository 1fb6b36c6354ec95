// Rate limits for everything a stranger can start: MQTT connections, logins, bearer tokens, enrolments. A token
// bucket per key (a source address, a user name); a key over its limit is refused at once, before any password
// is checked, so a flood neither guesses passwords nor takes time from the kiosks. Buckets are forgotten once full
// again, so memory stays bounded by the keys active in the last minutes (and by `maxKeys` whatever happens).

export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /**
   * @param burst attempts allowed at once
   * @param perMinute attempts refilled per minute
   */
  constructor(readonly burst: number, readonly perMinute: number, private readonly maxKeys = 100_000, private readonly now = () => Date.now()) {}

  private level(key: string): { tokens: number; at: number } {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 60_000) * this.perMinute);
    b.at = t;
    return b;
  }

  /** Takes one attempt for `key`; false when it is over its limit. */
  take(key: string): boolean {
    const b = this.level(key);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= this.maxKeys) this.sweep();
      if (this.buckets.size >= this.maxKeys) return false; // under a flood of distinct keys: refuse rather than grow
      this.buckets.set(key, b);
    }
    return true;
  }

  /** Whether `key` has an attempt left, without taking it. */
  allows(key: string): boolean {
    return this.level(key).tokens >= 1;
  }

  /** Drops buckets that have refilled: they hold nothing worth remembering. */
  sweep(): void {
    for (const [k] of this.buckets) if (this.level(k).tokens >= this.burst) this.buckets.delete(k);
  }

  get size(): number { return this.buckets.size; }
}

/**
 * Login guard: failures counted per source address and per user name. A source or a name over its limit is refused
 * at once, without a password check: a flood of wrong passwords costs the hub almost nothing and guesses nothing,
 * one account cannot be guessed at from many addresses, and logins that succeed are never held back.
 */
export class LoginGuard {
  readonly failuresBySource: RateLimit;
  readonly failuresByName: RateLimit;
  refused = 0;
  constructor(opts: { perSourceBurst: number; perSourcePerMinute: number; perNameBurst: number; perNamePerMinute: number }) {
    this.failuresBySource = new RateLimit(opts.perSourceBurst, opts.perSourcePerMinute);
    this.failuresByName = new RateLimit(opts.perNameBurst, opts.perNamePerMinute);
  }

  /** Before checking a password: may this source try this name now? */
  admit(source: string, name: string): boolean {
    const ok = this.failuresBySource.allows(source) && this.failuresByName.allows(name);
    if (!ok) this.refused++;
    return ok;
  }

  failed(source: string, name: string): void {
    this.failuresBySource.take(source);
    this.failuresByName.take(name);
  }
}

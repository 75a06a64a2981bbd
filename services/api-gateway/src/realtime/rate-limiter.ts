/**
 * A token bucket per key (a user id): `ratePerSecond` tokens flow in, at most
 * `burst` are kept, each command takes one. Per gateway replica: a user with
 * sockets on two replicas has a bucket on each.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  private readonly options: { ratePerSecond: number; burst: number; now?: () => number };

  constructor(options: { ratePerSecond: number; burst: number; now?: () => number }) {
    this.options = options;
  }

  /** Takes a token: `{ok: true}`, or `{ok: false, retryAfterMs}` until the next one. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    const bucket = this.refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / this.options.ratePerSecond) };
  }

  /** Forgets full buckets (they behave exactly like absent ones); call now and then. */
  prune(): void {
    const now = this.now();
    for (const key of [...this.buckets.keys()]) {
      if (this.refill(key, now).tokens >= this.options.burst) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, now: number) {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.options.burst, at: now };
      this.buckets.set(key, bucket);
    }
    const elapsed = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + elapsed * this.options.ratePerSecond);
    bucket.at = now;
    return bucket;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/**
 * A token bucket: `rate` tokens per second, at most `burst` saved up. The owner passes its
 * rate and burst to each call, so a bucket is two numbers (one per connection, one per client
 * address).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(burst: number, now: number) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token if there is one. */
  take(now: number, rate: number, burst: number): boolean {
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) * rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True once the bucket has refilled completely, so its state can be forgotten. */
  idle(now: number, rate: number, burst: number): boolean {
    return this.tokens + ((now - this.last) * rate) / 1000 >= burst;
  }
}

/** Per-key token buckets (connect attempts per client IP), forgetting keys that went idle. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  take(key: string, now = Date.now()): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(this.burst, now)));
    return bucket.take(now, this.rate, this.burst);
  }

  prune(now = Date.now()): void {
    for (const [key, bucket] of this.buckets) if (bucket.idle(now, this.rate, this.burst)) this.buckets.delete(key);
  }
}

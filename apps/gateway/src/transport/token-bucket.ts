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

  /** Takes `cost` tokens if there are that many. */
  take(now: number, rate: number, burst: number, cost = 1): boolean {
    this.refill(now, rate, burst);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Takes `amount` tokens whether or not there are that many: the bucket may go into debt (a cost known only afterwards). */
  spend(now: number, rate: number, burst: number, amount: number): void {
    this.refill(now, rate, burst);
    this.tokens -= amount;
  }

  /** True while the bucket is in debt (more was spent than it held). */
  spent(now: number, rate: number, burst: number): boolean {
    this.refill(now, rate, burst);
    return this.tokens < 0;
  }

  private refill(now: number, rate: number, burst: number): void {
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) * rate) / 1000);
    this.last = now;
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

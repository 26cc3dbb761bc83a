/**
 * A latency histogram with logarithmic buckets (about 1% wide) from 1 µs to ~10 minutes,
 * so millions of samples fit in a fixed, mergeable array that crosses IPC as plain numbers.
 */
export class LatencyHistogram {
  /** Bucket i holds values v (µs) with floor(log(v) / log(GROWTH)) === i. */
  static readonly GROWTH = 1.01;
  static readonly BUCKETS = 2100;
  private static readonly LOG_GROWTH = Math.log(LatencyHistogram.GROWTH);

  readonly counts: number[];
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  constructor(counts?: number[]) {
    this.counts = counts ? [...counts] : new Array<number>(LatencyHistogram.BUCKETS).fill(0);
  }

  /** Records one latency in microseconds; values below 1 µs (clock skew) count as 1 µs. */
  record(us: number): void {
    const v = us < 1 ? 1 : us;
    let i = Math.floor(Math.log(v) / LatencyHistogram.LOG_GROWTH);
    if (i >= LatencyHistogram.BUCKETS) i = LatencyHistogram.BUCKETS - 1;
    this.counts[i]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: LatencyHistogram | HistogramData): void {
    for (let i = 0; i < LatencyHistogram.BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  /** The q-quantile (0..1) in microseconds: the geometric middle of its bucket. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < LatencyHistogram.BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, LatencyHistogram.GROWTH ** (i + 0.5)));
    }
    return this.max;
  }

  toJSON(): HistogramData {
    return { counts: this.counts, count: this.count, min: this.min, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): LatencyHistogram {
    const h = new LatencyHistogram(data.counts);
    h.count = data.count;
    h.min = data.count > 0 ? data.min : Infinity;
    h.max = data.max;
    h.sum = data.sum;
    return h;
  }
}

/** A histogram as it crosses IPC. */
export interface HistogramData {
  counts: number[];
  count: number;
  min: number;
  max: number;
  sum: number;
}

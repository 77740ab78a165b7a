// Latency histogram with logarithmic buckets (1% wide): O(1) record, small and fixed memory,
// so a load run of millions of messages keeps exact-enough percentiles.
const GROWTH = 1.01;
const MIN_MS = 0.001;
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / Math.log(GROWTH)) + 2;

export class LatencyHistogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;

  record(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
    this.counts[i]!++;
    this.count++;
  }

  /** The p-th percentile (0..100) in ms, or 0 with no samples. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      // Report the bucket's upper edge: a conservative figure for a latency budget.
      if (seen >= rank) return i === 0 ? MIN_MS : MIN_MS * GROWTH ** i;
    }
    return MIN_MS * GROWTH ** (BUCKETS - 1);
  }

  /** The non-empty buckets as [bucket, count], to merge histograms kept in other processes. */
  toBuckets(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) out.push([i, this.counts[i]!]);
    return out;
  }

  addBuckets(buckets: [number, number][]): void {
    for (const [i, n] of buckets) {
      this.counts[i]! += n;
      this.count += n;
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
  }
}

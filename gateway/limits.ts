// In-memory token buckets. A terminal holds one connection on one gateway at a time, so its
// uplink bucket lives with that gateway; connection-rate buckets are per gateway and address.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Buckets keyed by a string, forgotten after a minute without use so the map stays small. */
export class BucketMap {
  private readonly buckets = new Map<string, { bucket: TokenBucket; used: number }>();
  private sweepAt = Date.now() + 60_000;

  take(key: string, capacity: number, perSecond: number): boolean {
    const now = Date.now();
    if (now > this.sweepAt) {
      for (const [k, v] of this.buckets) if (now - v.used > 60_000) this.buckets.delete(k);
      this.sweepAt = now + 60_000;
    }
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(capacity, perSecond, now), used: now };
      this.buckets.set(key, entry);
    }
    entry.used = now;
    return entry.bucket.take(now);
  }
}

// Datagrams per second per address (IP and port): a token bucket each, with a bounded number
// of buckets, so that a flood from one address costs the others nothing.

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimits {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** Datagrams per second, and the burst; 0: no limit. */
    private readonly rate: number,
    private readonly maxAddresses: number,
  ) {}

  /** Whether a datagram from `key` may be handled now. */
  take(key: string, now: number): boolean {
    if (this.rate === 0) return true;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxAddresses) return false;
      bucket = { tokens: this.rate, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.rate, bucket.tokens + ((now - bucket.at) * this.rate) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  /** Forgets addresses quiet for a second or more: their buckets are full again anyway. */
  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= 1000) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}

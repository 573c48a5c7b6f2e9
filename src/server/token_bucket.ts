// A token bucket: `ratePerSecond` tokens refill continuously up to `depth`. Pure; time is an
// argument. Used to bound requests per second per connection (REQUESTS_PER_CONNECTION_*).

/** Allows `ratePerSecond` on average and bursts of up to `depth`. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly depth: number,
    nowMs: number,
  ) {
    this.tokens = depth;
    this.lastMs = nowMs;
  }

  /** Takes one token if there is one; false means the caller is over its rate. */
  take(nowMs: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.lastMs);
    this.lastMs = Math.max(this.lastMs, nowMs);
    this.tokens = Math.min(this.depth, this.tokens + (elapsedMs * this.ratePerSecond) / 1_000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

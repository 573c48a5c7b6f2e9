// Goal: the token bucket allows its burst at once, then its rate, and never more than its depth.
// Method: a TokenBucket driven with explicit times.
import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token_bucket.js";

describe("token_bucket", () => {
  it("token_bucket: a full bucket allows the burst, then refills at the rate", () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i += 1) expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(99)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
  });

  it("token_bucket: a long idle time refills to the depth, not beyond", () => {
    const bucket = new TokenBucket(10, 3, 0);
    let allowed = 0;
    for (let i = 0; i < 10; i += 1) if (bucket.take(60_000)) allowed += 1;
    expect(allowed).toBe(3);
  });

  it("token_bucket: a clock going backwards gives no tokens", () => {
    const bucket = new TokenBucket(1, 1, 1_000);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(1_500)).toBe(false);
    expect(bucket.take(2_000)).toBe(true);
  });
});

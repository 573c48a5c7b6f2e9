// Goal: the relationships between limits hold, so no config preset starts contradictory.
// Method: call the same check the module runs at load, and spot-check key bounds.
import { describe, expect, it } from "vitest";
import * as limits from "./limits.js";

describe("limits", () => {
  it("limits: relationships between bounds hold", () => {
    expect(() => limits.checkLimitRelationships()).not.toThrow();
  });

  it("limits: expiry covers at least three heartbeats", () => {
    expect(limits.BROKER_EXPIRY_MS).toBeGreaterThanOrEqual(3 * limits.BROKER_HEARTBEAT_MS);
  });

  it("limits: a crash is evicted within a second", () => {
    expect(limits.SUSPICION_MS + 2 * limits.TICK_MS).toBeLessThan(1_000);
  });
});

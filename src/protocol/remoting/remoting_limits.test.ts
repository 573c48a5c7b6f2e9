// Goal: the codec's limits agree with the project-wide frame limit and with Java's numbers.
// Method: direct checks of the constants.
import { describe, expect, it } from "vitest";
import { REMOTING_FRAME_BYTES_MAX } from "../../limits.js";
import { REGISTER_BODY_INFLATED_BYTES_MAX, REMOTING_FRAME_LENGTH_MAX } from "./remoting_limits.js";

describe("remoting_limits", () => {
  it("remoting_limits: the largest length prefix is Java's 16777212", () => {
    expect(REMOTING_FRAME_LENGTH_MAX).toBe(16_777_212);
    expect(REMOTING_FRAME_LENGTH_MAX + 4).toBe(REMOTING_FRAME_BYTES_MAX);
  });
  it("remoting_limits: an inflated registration may exceed one frame", () => {
    expect(REGISTER_BODY_INFLATED_BYTES_MAX).toBeGreaterThanOrEqual(REMOTING_FRAME_BYTES_MAX);
  });
});

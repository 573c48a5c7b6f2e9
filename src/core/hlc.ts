// Hybrid logical clock: stamps that follow wall time but never go backwards and always
// exceed every stamp this node has seen. Pure: the caller passes the wall time in.
import type { Stamp } from "../model/records.js";

/** One node's hybrid logical clock. */
export class HybridClock {
  private wallMs = 0;
  private logical = 0;
  constructor(private readonly nodeId: string) {}

  /** A new stamp, greater than every stamp issued or observed before. */
  now(nowMs: number): Stamp {
    if (nowMs > this.wallMs) {
      this.wallMs = nowMs;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
    return { wallMs: this.wallMs, logical: this.logical, nodeId: this.nodeId };
  }

  /** Takes in a stamp from elsewhere so that later local stamps exceed it. */
  observe(stamp: Stamp): void {
    if (stamp.wallMs > this.wallMs) {
      this.wallMs = stamp.wallMs;
      this.logical = stamp.logical;
    } else if (stamp.wallMs === this.wallMs && stamp.logical > this.logical) {
      this.logical = stamp.logical;
    }
  }
}

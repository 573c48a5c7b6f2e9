// What every figure gets: the process tracker, the mode, the peers found, and a logger.
import type { ProcessTracker } from "./util.js";

/** Shared state of one bench run. */
export interface BenchContext {
  readonly procs: ProcessTracker;
  /** --quick: fewer trials and shorter windows (a one-minute smoke). */
  readonly quick: boolean;
  readonly serfBin: string | null;
  readonly etcdBin: string | null;
  readonly log: (line: string) => void;
}

/** A target: what was asked, the measured value, whether it was met. */
export interface TargetResult {
  readonly figure: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured. */
  readonly met: boolean | null;
}

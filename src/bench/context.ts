// What every figure gets: the process tracker, the mode, the peers found (Serf, etcd, the
// Java NameServer), and a logger.
import type { JavaSetup } from "./java_namesrv.js";
import type { ProcessTracker } from "./util.js";

/** Shared state of one bench run. */
export interface BenchContext {
  readonly procs: ProcessTracker;
  /** --quick: fewer trials and shorter windows (a one-minute smoke). */
  readonly quick: boolean;
  readonly serfBin: string | null;
  readonly etcdBin: string | null;
  /** The Java NameServer's classpath and versions (figures 6 and 7); null when not looked for. */
  readonly java: JavaSetup | null;
  /** --profile: our node runs under --cpu-prof in figures 6 and 7; each phase's top functions are kept. */
  readonly profile: boolean;
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

/** One row of the goals table. */
export interface GoalRow {
  readonly goal: string;
  /** Where the figures come from (figure numbers). */
  readonly source: string;
  readonly ours: string;
  /** Java's figure, or "" where Java has none. */
  readonly java: string;
  /** null: not measured in this run. */
  readonly met: boolean | null;
}

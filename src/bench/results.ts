// The shape of one bench run's results: what run.ts fills in and report.ts renders.
import type { GoalRow, TargetResult } from "./context.js";
import type { EvictionResult } from "./fig2_eviction.js";
import type { PropagationResult } from "./fig1_propagation.js";
import type { QueryResult } from "./fig3_queries.js";
import type { RegistrationResult } from "./fig4_registration.js";
import type { ScaleResult } from "./fig5_scale.js";
import type { VersusJavaResult } from "./fig6_java.js";
import type { CapacityResult } from "./fig7_capacity.js";
import type { LoadSummary } from "./load_monitor.js";
import type { PeerStatus } from "./peers.js";

/** Everything one run measured. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  mode: "quick" | "full";
  machine: Record<string, unknown>;
  peers: PeerStatus | null;
  propagation: PropagationResult | null;
  eviction: EvictionResult | null;
  registration: RegistrationResult | null;
  queries: QueryResult | null;
  scale: ScaleResult | null;
  /** Figure 6: ours beside the Java NameServer (smoke shape, 10k-topic registrations). */
  versusJava: VersusJavaResult | null;
  /** Figure 7: the capacity workloads, ours and Java's, and ours as a three-node cluster. */
  capacity: CapacityResult | null;
  targets: TargetResult[];
  /** The goals table of issue #13, computed from the figures (after --base). */
  goals: GoalRow[];
  /** How busy the machine was with other work during the run. */
  load?: LoadSummary;
  errors: string[];
  /** startedAt of the run whose figures were merged in (--base), if any. */
  mergedFrom?: string;
}

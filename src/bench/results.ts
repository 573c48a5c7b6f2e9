// The shape of one bench run's results: what run.ts fills in and report.ts renders.
import type { TargetResult } from "./context.js";
import type { EvictionResult } from "./fig2_eviction.js";
import type { PropagationResult } from "./fig1_propagation.js";
import type { QueryResult } from "./fig3_queries.js";
import type { RegistrationResult } from "./fig4_registration.js";
import type { ScaleResult } from "./fig5_scale.js";
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
  targets: TargetResult[];
  errors: string[];
  /** startedAt of the run whose figures were merged in (--base), if any. */
  mergedFrom?: string;
}

// Defaults of a chaos run, shared by the command line and the tests. Imports nothing.

/** The CI run (issue 14: at most three minutes, set-up and checking included). */
export const QUICK = { durationMs: 100_000, nodes: 3, brokers: 3, lanes: 2 } as const;
/**
 * Expiry the nodes give our agents: four heartbeats, so a 1-8 s broker pause often outlives
 * it (evictions and re-registrations happen), and short enough that silent bounds fit a run.
 */
export const CHAOS_BROKER_EXPIRY_MS = 4_000;
/** Agent heartbeat: the agent's default. */
export const CHAOS_HEARTBEAT_MS = 1_000;

// Shared set-up of the sim scenarios: a seeded ClusterSim with its checkers attached, the
// seed taken from SIM_SEED when set, and one failure report (seed, violations, log tail).
import { ClusterSim, type ClusterSimOptions } from "../../src/testing/cluster_sim.js";
import { assertInvariants, InvariantChecker, type CheckerOptions } from "../../src/testing/checkers.js";

/** The seed of a scenario: SIM_SEED when given, else the scenario's fixed default. */
export function scenarioSeed(fallback: number): number {
  const fromEnv = process.env["SIM_SEED"];
  return fromEnv === undefined || fromEnv === "" ? fallback : Number(fromEnv) >>> 0;
}

/** A booted cluster (every node ready) with checkers sampling from the start. */
export function bootedSim(
  options: Partial<ClusterSimOptions> & { seed: number },
  checkerOptions: Partial<CheckerOptions> = {},
): { sim: ClusterSim; checker: InvariantChecker } {
  const sim = new ClusterSim(options);
  const checker = new InvariantChecker(sim, checkerOptions);
  sim.boot();
  return { sim, checker };
}

/** Fails with the seed, the violations and the log tail when any invariant broke. */
export function expectInvariants(sim: ClusterSim, checker: InvariantChecker): void {
  assertInvariants(sim, checker);
}

/** Milliseconds until every serving node routes `topic` with `brokerName`, or null. */
export function msUntilRoutedEverywhere(sim: ClusterSim, topic: string, brokerName: string, maxMs: number): number | null {
  return sim.advanceUntil(
    () =>
      sim.hosts.every(
        (host) => !host.serving || host.node?.findRoute(topic)?.brokerDatas.some((data) => data.brokerName === brokerName) === true,
      ),
    maxMs,
  );
}

/** Milliseconds until no running node routes the broker name any more, or null. */
export function msUntilGoneEverywhere(sim: ClusterSim, brokerName: string, maxMs: number): number | null {
  return sim.advanceUntil(
    () => sim.hosts.every((host) => host.node === null || host.node.getClusterInfo().brokerAddrTable[brokerName] === undefined),
    maxMs,
  );
}

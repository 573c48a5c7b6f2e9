// Proof that the chaos checker catches real violations: the same seed, once with the cluster
// as it is and once broken from outside (no hooks in the code under test), must pass and fail.
// Broken 1: every node is configured with a 3 s crash suspicion (legal config, three times the
// 1 s crash bound). Broken 2: the proxy between the nodes swallows all peer traffic, so no
// evidence or gossip is shared. Real nodes in network namespaces: needs root (CI runs as root);
// run `npm run build && npm run build:chaos` first (`npm run test:chaos` does).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FaultKind } from "./history.js";
import { CHAOS_BROKER_EXPIRY_MS, CHAOS_HEARTBEAT_MS } from "./defaults.js";
import { runChaos, type ChaosResult, type Sabotage } from "./run.js";

/** Seed of the proof runs. */
const PROOF_SEED = 1414;
/** Nemesis length of each proof run: a dozen faults. */
const PROOF_DURATION_MS = 30_000;
const BROKER_FAULTS: readonly FaultKind[] = ["brokerKill", "brokerRestart", "brokerPause"];
const root = process.getuid?.() === 0;

async function proofRun(sabotage: Sabotage | null, kinds?: readonly FaultKind[]): Promise<ChaosResult> {
  const outDir = mkdtempSync(join(tmpdir(), "chaos-proof-"));
  try {
    const result = await runChaos({
      seed: PROOF_SEED, durationMs: PROOF_DURATION_MS, nodes: 3, brokers: 3, lanes: 2,
      brokerExpiryMs: CHAOS_BROKER_EXPIRY_MS, heartbeatMs: CHAOS_HEARTBEAT_MS, outDir, sabotage,
      ...(kinds ? { kinds } : {}), command: "broken_build.test.ts", log: () => undefined,
    });
    process.stdout.write(`${result.summary.line}\n`);
    return result;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const kindsOf = (result: ChaosResult): string[] => [...new Set(result.violations.map((violation) => violation.kind))];

describe.skipIf(!root)("chaos checker catches a broken cluster", () => {
  it("chaos: a 3 s crash suspicion routes killed brokers past the 1 s bound; the same seed passes unbroken", async () => {
    const correct = await proofRun(null, BROKER_FAULTS);
    expect(correct.violations.map((violation) => violation.detail)).toEqual([]);
    const broken = await proofRun("slowSuspicion", BROKER_FAULTS);
    expect(kindsOf(broken)).toContain("deadBrokerRouted");
  });

  it("chaos: peers that cannot gossip lose brokers, KV writes and agreement; the same seed passes unbroken", async () => {
    const correct = await proofRun(null);
    expect(correct.violations.map((violation) => violation.detail)).toEqual([]);
    const broken = await proofRun("noGossip");
    expect(broken.violations.length).toBeGreaterThan(0);
    expect(kindsOf(broken).some((kind) => ["liveBrokerMissing", "kvDiverged", "kvLost", "nodesDisagree"].includes(kind))).toBe(true);
  });
});

// Goal: prove the checkers can fail — a cluster whose node n3 breaks the liveness merge rule
// ("last arrival wins" instead of mergeRecords) must trip no-resurrection, while the same
// seed with the real merge passes. Method: the sim's deltas interceptor rewrites what n3
// receives (forging evidence so the late record wins); nothing in core knows about it.
// Stale duplicate DELTAS frames (late copies, up to 10 s late) supply the late-arriving alive
// records: those of the brokers' registrations (heartbeats travel as PEER_HEARD bits, not records).
import { describe, expect, it } from "vitest";
import type { NameServerNode } from "../../src/core/node.js";
import { compareEvidence, mergeRecords, type LivenessRecord, type ReplicatedRecord } from "../../src/model/records.js";
import type { PeerDeltas } from "../../src/protocol/messages/gossip.js";
import { failureReport } from "../../src/testing/checkers.js";
import { bootedSim } from "./harness.js";

/** Rewrites each incoming liveness record so that it beats what the node holds: last arrival wins. */
function lastArrivalWins(node: NameServerNode, _fromPeer: string, deltas: PeerDeltas): PeerDeltas {
  const held = new Map<string, LivenessRecord>();
  for (const record of node.snapshot()) if (record.type === "liveness") held.set(record.brokerKey, record);
  const records = deltas.records.map((record): ReplicatedRecord => {
    const current = record.type === "liveness" ? held.get(record.brokerKey) : undefined;
    if (record.type !== "liveness" || !current || mergeRecords(current, record) === record) return record;
    if (current.alive === record.alive && compareEvidence(current.evidence, record.evidence) >= 0) return record;
    return { ...record, evidence: { epoch: current.evidence.epoch, seq: current.evidence.seq + 1 } };
  });
  return { ...deltas, records };
}

function run(broken: boolean): { violations: string[]; report: string } {
  const { sim, checker } = bootedSim({
    seed: 601,
    network: { delayMsMin: 1, delayMsMax: 10, duplicateProbability: 1, duplicateDelayMsMax: 10_000 },
  });
  if (broken) sim.interceptDeltas("n3", lastArrivalWins);
  for (const name of ["b1", "b2", "b3"]) sim.addBroker({ name, nodes: ["n1", "n2"], heartbeatMs: 250 });
  sim.advanceMs(2_000);
  sim.killBroker("b1");
  sim.advanceMs(5_000);
  sim.unregisterBroker("b2");
  sim.advanceMs(8_000);
  return { violations: checker.violations.map((v) => `${v.invariant}: ${v.message}`), report: failureReport(sim, checker, 20) };
}

describe("checkers", () => {
  it("checkers: a node applying last-arrival-wins to liveness is caught by no-resurrection", () => {
    const control = run(false);
    expect(control.violations, control.report).toEqual([]);
    const broken = run(true);
    console.log(`broken merge on n3: ${broken.violations.length} violation(s), first: ${broken.violations[0]}`);
    expect(broken.violations.some((v) => v.startsWith("noResurrection"))).toBe(true);
  });
});

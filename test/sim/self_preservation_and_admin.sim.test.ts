// Goal: an isolated node holds its brokers instead of evicting them all (DESIGN §5
// self-preservation), and admin writes made on both sides of a partition converge
// last-writer-wins after the heal (DESIGN §4). Method: ClusterSim scripts; convergence diff.
import { describe, expect, it } from "vitest";
import { ANTI_ENTROPY_INTERVAL_MS, BROKER_EXPIRY_MS, PEER_DOWN_MS } from "../../src/limits.js";
import { awaitConvergence } from "../../src/testing/checkers.js";
import { bootedSim, expectInvariants } from "./harness.js";

const HEAL_MS = 2 * ANTI_ENTROPY_INTERVAL_MS + 200;

describe("self-preservation and admin", () => {
  it("self-preservation: an isolated node with many silent brokers goes degraded and does not evict them all", () => {
    const { sim, checker } = bootedSim({ seed: 401 });
    const names = ["b1", "b2", "b3", "b4", "b5", "b6"];
    for (const name of names) sim.addBroker({ name });
    sim.advanceMs(3_000);
    sim.isolate("n1");
    let degradedAtMs: number | null = null;
    const start = sim.nowMs;
    while (sim.nowMs - start < 2 * BROKER_EXPIRY_MS) {
      sim.advanceMs(50);
      if (degradedAtMs === null && sim.node("n1").isDegraded()) degradedAtMs = sim.nowMs - start;
    }
    const routed = names.filter((name) => sim.node("n1").getClusterInfo().brokerAddrTable[name] !== undefined).length;
    const skips = sim.node("n1").counters.selfPreservationSkips;
    sim.heal();
    const tookMs = awaitConvergence(sim, checker, HEAL_MS + PEER_DOWN_MS);
    sim.advanceMs(1_000);
    console.log(
      `isolated n1: degraded ${degradedAtMs} ms into the isolation, still routes ${routed}/6 after ${2 * BROKER_EXPIRY_MS} ms ` +
        `(${skips} held eviction rounds); after heal degraded=${sim.node("n1").isDegraded()}, converged in ${tookMs} ms`,
    );
    expect(degradedAtMs).not.toBeNull();
    expect(routed).toBe(6);
    expect(sim.node("n1").isDegraded()).toBe(false);
    expectInvariants(sim, checker);
  });

  it("self-preservation: brokers that died while a node was isolated are evicted there after the heal", () => {
    const { sim, checker } = bootedSim({ seed: 402 });
    const names = ["b1", "b2", "b3", "b4", "b5"];
    for (const name of names) sim.addBroker({ name });
    sim.advanceMs(3_000);
    sim.isolate("n1");
    for (const name of names.slice(0, 3)) sim.pauseBroker(name);
    sim.advanceMs(2 * BROKER_EXPIRY_MS);
    const heldOnN1 = names.filter((name) => sim.node("n1").getClusterInfo().brokerAddrTable[name] !== undefined).length;
    sim.heal();
    const tookMs = awaitConvergence(sim, checker, HEAL_MS + PEER_DOWN_MS);
    const after = names.filter((name) => sim.node("n1").getClusterInfo().brokerAddrTable[name] !== undefined);
    console.log(`isolated n1 held ${heldOnN1}/5 (3 silent); after heal routes ${after.join(",")}, converged in ${tookMs} ms`);
    expect(after).toEqual(["b4", "b5"]);
    expectInvariants(sim, checker);
  });

  it("admin: KV and write-permission writes on both sides of a partition converge last-writer-wins", () => {
    const { sim, checker } = bootedSim({ seed: 403 });
    sim.addBroker({ name: "b1", topics: ["Orders"] });
    sim.advanceMs(2_000);
    sim.partition(["n1"], ["n2", "n3"]);
    sim.kvPut("n1", "ns", "shared", "left-early");
    sim.kvPut("n1", "ns", "left-only", "L");
    sim.kvPut("n3", "ns", "deleted-later", "x");
    sim.setWritePerm("n2", "b1", false);
    sim.advanceMs(500);
    sim.kvPut("n2", "ns", "shared", "right-later");
    sim.kvDelete("n3", "ns", "deleted-later");
    sim.advanceMs(500);
    sim.setWritePerm("n1", "b1", true);
    sim.kvPut("n1", "ns", "deleted-later", "resurrected-by-newer-put");
    sim.advanceMs(PEER_DOWN_MS + 1_000);
    sim.heal();
    const tookMs = awaitConvergence(sim, checker, HEAL_MS);
    console.log(`admin writes on both sides converged ${tookMs} ms after heal`);
    for (const id of sim.nodeIds) {
      expect(sim.node(id).kvList("ns")).toEqual({ "deleted-later": "resurrected-by-newer-put", "left-only": "L", shared: "right-later" });
      expect(sim.node(id).getRoute("Orders").queueDatas[0]?.perm).toBe(6);
    }
    expectInvariants(sim, checker);
  });
});

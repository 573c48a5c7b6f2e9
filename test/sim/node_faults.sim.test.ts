// Goal: a paused or restarted name server neither evicts live brokers nor serves an empty
// table (DESIGN §4 readiness, §5 own pauses). Method: ClusterSim with brokers heartbeating
// to every node; pause n2 past the expiry / restart n3 empty; inspect every tick.
import { describe, expect, it } from "vitest";
import { ANTI_ENTROPY_INTERVAL_MS, BROKER_EXPIRY_MS, TICK_MS } from "../../src/limits.js";
import { convergenceDiff } from "../../src/testing/checkers.js";
import { bootedSim, expectInvariants } from "./harness.js";

function evictionCount(sim: ReturnType<typeof bootedSim>["sim"]): number {
  return sim.hosts.reduce((sum, host) => sum + (host.node ? host.node.counters.evictionsExpired + host.node.counters.evictionsConnectionClosed : 0), 0);
}

describe("node faults", () => {
  it("node: a node paused longer than the expiry agrees again within 2 anti-entropy rounds and evicts nobody", () => {
    const { sim, checker } = bootedSim({ seed: 201, network: { delayMsMin: 1, delayMsMax: 10 } });
    for (const name of ["b1", "b2", "b3", "b4", "b5"]) sim.addBroker({ name });
    sim.advanceMs(3_000);
    sim.pauseNode("n2");
    sim.advanceMs(BROKER_EXPIRY_MS + 5_000);
    sim.resumeNode("n2");
    const resumedAtMs = sim.nowMs;
    let agreedMs: number | null = null;
    let missing = 0;
    while (sim.nowMs - resumedAtMs <= 2 * ANTI_ENTROPY_INTERVAL_MS) {
      if (agreedMs === null && convergenceDiff(sim, false).length === 0) agreedMs = sim.nowMs - resumedAtMs;
      const info = sim.node("n2").getClusterInfo();
      missing += ["b1", "b2", "b3", "b4", "b5"].filter((name) => info.brokerAddrTable[name] === undefined).length;
      sim.advanceMs(TICK_MS);
    }
    console.log(
      `paused n2 ${BROKER_EXPIRY_MS + 5_000} ms: agreed ${agreedMs} ms after resume; evictions anywhere ${evictionCount(sim)}; ` +
        `pause compensations on n2 ${sim.node("n2").counters.pauseCompensations}`,
    );
    expect(agreedMs).not.toBeNull();
    expect(missing).toBe(0);
    expect(evictionCount(sim)).toBe(0);
    expectInvariants(sim, checker);
  });

  it("node: a node restarted empty becomes ready from a snapshot with full routes and never answers 'no route' for a live broker", () => {
    const { sim, checker } = bootedSim({ seed: 202, network: { delayMsMin: 1, delayMsMax: 10 } });
    const names = ["b1", "b2", "b3", "b4"];
    sim.addBroker({ name: "b1", nodes: ["n1"] });
    sim.addBroker({ name: "b2", nodes: ["n2"] });
    sim.addBroker({ name: "b3" });
    sim.addBroker({ name: "b4", origin: "remoting" });
    sim.kvPut("n1", "ORDER_TOPIC_CONFIG", "Topic-b1", "broker-a:4");
    sim.advanceMs(3_000);
    sim.stopNode("n3");
    sim.advanceMs(2_000);
    sim.restartNode("n3");
    const restartedAtMs = sim.nowMs;
    let readyAfterMs: number | null = null;
    let noRouteWhileReady = 0;
    while (sim.nowMs - restartedAtMs <= 10_000) {
      const node = sim.node("n3");
      if (node.isReady()) {
        readyAfterMs ??= sim.nowMs - restartedAtMs;
        noRouteWhileReady += names.filter((name) => node.findRoute(`Topic-${name}`) === null).length;
      }
      sim.advanceMs(TICK_MS);
    }
    console.log(`restarted n3: ready after ${readyAfterMs} ms (grace 5000), 'no route' answers while ready: ${noRouteWhileReady}`);
    expect(readyAfterMs).not.toBeNull();
    expect(readyAfterMs).toBeLessThan(1_000);
    expect(noRouteWhileReady).toBe(0);
    expect(sim.node("n3").kvGet("ORDER_TOPIC_CONFIG", "Topic-b1")).toBe("broker-a:4");
    expect(convergenceDiff(sim, false)).toEqual([]);
    expectInvariants(sim, checker);
  });
});

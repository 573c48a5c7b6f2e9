// Goal: registrations and evictions travel through the cluster as DESIGN §1 promises — a
// broker that reached one node is routed by all within 1 s; a crashed broker is gone from
// every node within 1 s, a silent one within its expiry + 1 s, and subscribers hear of it.
// Method: ClusterSim (3 nodes, seeded delays), scripted brokers, checkers sampling every tick.
import { describe, expect, it } from "vitest";
import { BROKER_EXPIRY_MS } from "../../src/limits.js";
import { bootedSim, expectInvariants, msUntilGoneEverywhere, msUntilRoutedEverywhere } from "./harness.js";

describe("dissemination", () => {
  it("gossip: a broker registered with one node is routed by all within 1 s", () => {
    const { sim, checker } = bootedSim({ seed: 101, network: { delayMsMin: 1, delayMsMax: 20 } });
    sim.addBroker({ name: "b1", nodes: ["n1"], topics: ["Orders", "Payments"] });
    const tookMs = msUntilRoutedEverywhere(sim, "Payments", "b1", 1_000);
    console.log(`registration reached every node in ${tookMs} ms`);
    expect(tookMs).not.toBeNull();
    sim.advanceMs(3 * BROKER_EXPIRY_MS);
    for (const id of sim.nodeIds) expect(sim.node(id).findRoute("Orders")?.brokerDatas[0]?.brokerName).toBe("b1");
    expectInvariants(sim, checker);
  });

  it("gossip: a crashed broker is evicted from every node within 1 s", () => {
    const { sim, checker } = bootedSim({ seed: 102, network: { delayMsMin: 1, delayMsMax: 20 } });
    sim.addBroker({ name: "b1", nodes: ["n1"] });
    sim.addBroker({ name: "b2" });
    sim.advanceMs(5_000);
    sim.killBroker("b1");
    const onlyOne = msUntilGoneEverywhere(sim, "b1", 1_000);
    sim.killBroker("b2");
    const all = msUntilGoneEverywhere(sim, "b2", 1_000);
    console.log(`crash eviction: broker on one node ${onlyOne} ms, broker on all nodes ${all} ms; checker max ${checker.maxEvictionMs("crash")} ms`);
    expect(onlyOne).not.toBeNull();
    expect(all).not.toBeNull();
    sim.advanceMs(1_000);
    expect(checker.maxEvictionMs("crash")).toBeLessThanOrEqual(1_000);
    expectInvariants(sim, checker);
  });

  it("gossip: a silent broker is evicted everywhere within its expiry + 1 s and subscribers hear within 100 ms", () => {
    const { sim, checker } = bootedSim({ seed: 103, network: { delayMsMin: 1, delayMsMax: 20 } });
    sim.addBroker({ name: "b1", nodes: ["n2"], topics: ["Orders"] });
    sim.addBroker({ name: "b2", topics: ["Orders"] });
    sim.advanceMs(3_000);
    const client = sim.addClient("c1", "n3", ["Orders"]);
    sim.advanceMs(2_000);
    sim.pauseBroker("b1");
    const silentFromMs = sim.broker("b1").lastSentMs;
    const gone = msUntilGoneEverywhere(sim, "b1", BROKER_EXPIRY_MS + 1_000);
    const goneAtMs = sim.nowMs;
    sim.advanceMs(200);
    const offlineOnN3 = sim.logs.find((l) => l.nodeId === "n3" && l.msg === "broker offline" && l.fields["brokerKey"] === sim.broker("b1").key);
    const evictedAtMs = offlineOnN3?.atMs ?? goneAtMs;
    const push = client.pushes.find((p) => p.atMs >= evictedAtMs && p.route?.brokerDatas.every((d) => d.brokerName !== "b1"));
    console.log(
      `silent eviction: gone everywhere ${sim.nowMs - 200 - silentFromMs} ms after the last heartbeat (expiry ${BROKER_EXPIRY_MS}); ` +
        `checker max ${checker.maxEvictionMs("silent")} ms; subscriber push ${push ? push.atMs - evictedAtMs : "none"} ms after n3 evicted it`,
    );
    expect(gone).not.toBeNull();
    expect(push).toBeDefined();
    expect((push?.atMs ?? Infinity) - evictedAtMs).toBeLessThanOrEqual(100);
    expect(sim.node("n1").findRoute("Orders")?.brokerDatas.map((d) => d.brokerName)).toEqual(["b2"]);
    expectInvariants(sim, checker);
  });
});

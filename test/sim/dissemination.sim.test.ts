// Goal: registrations and evictions travel through the cluster as DESIGN §1 promises — a
// broker that reached one node is routed by all within 1 s; a crashed broker is gone from
// every node within 1 s, a silent one within its expiry + 1 s, and subscribers hear of it.
// Heartbeats travel as PEER_HEARD bits (no liveness record after a registration), and a node that
// hears a broker only through them still keeps it routed, and still expires it in time.
// Method: ClusterSim (3 nodes, seeded delays), scripted brokers, checkers sampling every tick.
import { describe, expect, it } from "vitest";
import { BROKER_EXPIRY_MS, BROKER_HEARTBEAT_MS, EVIDENCE_SHARE_MS, EVIDENCE_SHARES_PER_EXPIRY } from "../../src/limits.js";
import type { PeerDeltas } from "../../src/protocol/messages/gossip.js";
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

  it("gossip: a broker heard by one node stays routed on the others through PEER_HEARD alone, and expires there on their own deadline", () => {
    const { sim, checker } = bootedSim({ seed: 104, network: { delayMsMin: 1, delayMsMax: 20 } });
    sim.addBroker({ name: "b1", nodes: ["n1"], topics: ["Orders"] });
    sim.advanceMs(2_000);
    // From here on, count the liveness records n2 and n3 receive: heartbeats must not bring any.
    let livenessRecords = 0;
    const count = (_node: unknown, _from: string, deltas: PeerDeltas): PeerDeltas => {
      livenessRecords += deltas.records.filter((record) => record.type === "liveness").length;
      return deltas;
    };
    sim.interceptDeltas("n2", count);
    sim.interceptDeltas("n3", count);
    const heardBefore = sim.node("n2").gossipCounters().heardVouchesReceived;
    sim.advanceMs(3 * BROKER_EXPIRY_MS);
    const vouches = sim.node("n2").gossipCounters().heardVouchesReceived - heardBefore;
    const heartbeatRecords = livenessRecords;
    for (const id of ["n2", "n3"]) expect(sim.node(id).getClusterInfo().brokerAddrTable["b1"]).toBeDefined();
    expect(heartbeatRecords).toBe(0);
    // A share per heartbeat at least (one bit each), three expiry windows long.
    expect(vouches).toBeGreaterThanOrEqual((3 * BROKER_EXPIRY_MS) / Math.max(BROKER_HEARTBEAT_MS, BROKER_EXPIRY_MS / EVIDENCE_SHARES_PER_EXPIRY) - 2);
    expectInvariants(sim, checker);

    // The broker goes silent and its one node is cut off from the others at once: they hear
    // no verdict from it and must expire the broker on the deadline the bits gave them.
    sim.pauseBroker("b1");
    const lastHeartbeatMs = sim.broker("b1").lastSentMs;
    sim.partition(["n1"], ["n2", "n3"]);
    const gone = sim.advanceUntil(
      () => ["n2", "n3"].every((id) => sim.node(id).getClusterInfo().brokerAddrTable["b1"] === undefined),
      BROKER_EXPIRY_MS + 2_000,
    );
    const afterHeartbeatMs = sim.nowMs - lastHeartbeatMs;
    console.log(`PEER_HEARD only: ${vouches} vouches on n2 over ${3 * BROKER_EXPIRY_MS} ms, ${heartbeatRecords} liveness records; silent broker gone from n2, n3 ${afterHeartbeatMs} ms after its last heartbeat`);
    expect(gone).not.toBeNull();
    expect(afterHeartbeatMs).toBeLessThanOrEqual(BROKER_EXPIRY_MS + 1_000);
    // Not long before the expiry either: the last bits that got through miss at most a heartbeat
    // interval and a share interval, and their age is rounded up by at most half a share interval.
    const shareMs = Math.floor(BROKER_EXPIRY_MS / EVIDENCE_SHARES_PER_EXPIRY / EVIDENCE_SHARE_MS) * EVIDENCE_SHARE_MS;
    expect(afterHeartbeatMs).toBeGreaterThanOrEqual(BROKER_EXPIRY_MS - BROKER_HEARTBEAT_MS - shareMs - shareMs / 2);
  });
});

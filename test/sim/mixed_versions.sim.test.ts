// Goal: a rolling upgrade across the compact liveness evidence is safe. A node from before it (a
// legacy node: its hello announces no features, it drops PEER_HEARD and refuses a digest without
// buckets) keeps routing a broker that only the newer nodes hear, and they keep routing one only
// it hears, expiry after expiry and across a cut link; a newer node does not take the verdict of
// a legacy node cut off from a broker's only node; a silent broker still goes everywhere in time; anti-entropy
// still repairs what deltas lost; the current nodes exchange no per-heartbeat liveness records
// among themselves; and once the legacy node restarts as a current one, it gets bits, not records.
// A legacy node whose hello claims the features shows what the check guards against. The real
// shells learn each other's features from the hello answer, with and without a cluster secret.
// Method: ClusterSim with n3 marked legacy (SimNodeHost.legacy), seeded delays, scripted
// brokers, checkers sampling every tick; ShellSim for the hello.
import { describe, expect, it } from "vitest";
import { ANTI_ENTROPY_INTERVAL_MS, BROKER_EXPIRY_MS, EVIDENCE_SHARES_PER_EXPIRY } from "../../src/limits.js";
import { PEER_FEATURES } from "../../src/protocol/messages/hello.js";
import type { PeerDeltas } from "../../src/protocol/messages/gossip.js";
import type { ClusterSim } from "../../src/testing/cluster_sim.js";
import { awaitConvergence } from "../../src/testing/checkers.js";
import { ShellSim } from "../../src/testing/shell_sim.js";
import { bootedSim, expectInvariants, msUntilGoneEverywhere, scenarioSeed } from "./harness.js";

const NETWORK = { delayMsMin: 1, delayMsMax: 20 };
const EXPIRIES = 5;

/** Liveness records of brokers (not new sessions: only those already routed) received, by "from>to". */
function countHeartbeatRecords(sim: ClusterSim): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of sim.nodeIds) {
    sim.interceptDeltas(id, (node, from, deltas: PeerDeltas) => {
      const routed = new Set(Object.values(node.getClusterInfo().brokerAddrTable).flatMap((data) => Object.values(data.brokerAddrs)));
      const heartbeats = deltas.records.filter((record) => record.type === "liveness" && record.alive && routed.has(record.brokerKey.slice(record.brokerKey.indexOf("@") + 1)));
      counts.set(`${from}>${id}`, (counts.get(`${from}>${id}`) ?? 0) + heartbeats.length);
      return deltas;
    });
  }
  return counts;
}

function routes(sim: ClusterSim, id: string, brokerName: string): boolean {
  return sim.node(id).getClusterInfo().brokerAddrTable[brokerName] !== undefined;
}

/** b1 (native) and b3 (remoting, 10 s expiry) heard by n1 and n2 only; b2 heard by the legacy n3 only. */
function mixedCluster(seed: number) {
  const { sim, checker } = bootedSim({ seed: scenarioSeed(seed), network: NETWORK, legacyNodes: ["n3"] });
  sim.addBroker({ name: "b1", nodes: ["n1", "n2"], topics: ["Orders"] });
  sim.addBroker({ name: "b2", nodes: ["n3"], topics: ["Payments"] });
  sim.addBroker({ name: "b3", nodes: ["n1", "n2"], topics: ["Refunds"], origin: "remoting", heartbeatMs: 1_000, heartbeatTimeoutMs: BROKER_EXPIRY_MS });
  sim.advanceMs(3_000);
  return { sim, checker };
}

describe("mixed versions", () => {
  it("mixed versions: a legacy node routes brokers only the newer nodes hear, and they route its own, past several expiries", () => {
    const { sim, checker } = mixedCluster(1301);
    const records = countHeartbeatRecords(sim);
    sim.advanceMs(EXPIRIES * BROKER_EXPIRY_MS);
    for (const id of sim.nodeIds) for (const broker of ["b1", "b2", "b3"]) expect(routes(sim, id, broker), `${id} routes ${broker}`).toBe(true);
    const n3 = sim.host("n3");
    console.log(`mixed: heartbeat records ${JSON.stringify(Object.fromEntries(records))}; legacy refusals ${JSON.stringify(n3.refused)}`);
    // Nothing the legacy node cannot take was sent to it.
    expect(n3.refused).toEqual({ heard: 0, rootDigests: 0 });
    // Evidence reached it as records (of b1 and b3 from n1 and from n2, about one per share), and
    // left it so (b2).
    const perBroker = EXPIRIES * (EVIDENCE_SHARES_PER_EXPIRY - 1);
    for (const from of ["n1", "n2"]) expect(records.get(`${from}>n3`) ?? 0).toBeGreaterThanOrEqual(2 * perBroker);
    for (const to of ["n1", "n2"]) expect(records.get(`n3>${to}`) ?? 0).toBeGreaterThanOrEqual(perBroker);
    // Between the current nodes, heartbeats stay bits.
    expect(records.get("n1>n2") ?? 0).toBe(0);
    expect(records.get("n2>n1") ?? 0).toBe(0);
    expect(sim.node("n3").gossipCounters().heardFramesReceived).toBe(0);
    expect(sim.node("n1").gossipCounters().heardFramesReceived).toBeGreaterThan(0);
    expect(sim.node("n3").counters.evictionsExpired).toBe(0);
    expectInvariants(sim, checker);
  });

  it("mixed versions: a broker only the legacy node hears stays routed on a newer node cut off from it, through the other's bits", () => {
    const { sim, checker } = mixedCluster(1307);
    sim.partition(["n3"], ["n2"]);
    sim.advanceMs(EXPIRIES * BROKER_EXPIRY_MS);
    // n1 takes b2's evidence from n3's records and relays it to n2 as bits (one hop).
    expect(routes(sim, "n2", "b2")).toBe(true);
    expect(sim.node("n2").counters.evictionsExpired).toBe(0);
    sim.heal();
    sim.advanceMs(2 * ANTI_ENTROPY_INTERVAL_MS);
    expectInvariants(sim, checker);
  });

  it("mixed versions: a newer node keeps a broker whose only node a legacy node cannot reach, whatever the legacy node's verdict", () => {
    const { sim, checker } = mixedCluster(1308);
    sim.addBroker({ name: "b4", nodes: ["n1"], topics: ["Audit"] });
    sim.advanceMs(3_000);
    let n2Dropped = 0;
    sim.onSample(() => {
      if (!routes(sim, "n2", "b4")) n2Dropped += 1;
    });
    sim.partition(["n3"], ["n1"]);
    sim.advanceMs(3 * BROKER_EXPIRY_MS);
    // The legacy node hears no evidence of b4 any more (n2's record of it carries none): it judges
    // b4 alone. n2, vouched for b4 by n1, does not take that verdict, though its evidence is newer.
    expect(sim.node("n3").counters.evictionsExpired).toBeGreaterThan(0);
    expect(sim.node("n2").counters.expiryVerdictsDeferred).toBeGreaterThan(0);
    expect(n2Dropped).toBe(0);
    sim.heal();
    const back = sim.advanceUntil(() => routes(sim, "n3", "b4"), 2 * ANTI_ENTROPY_INTERVAL_MS + BROKER_EXPIRY_MS / EVIDENCE_SHARES_PER_EXPIRY);
    expect(back).not.toBeNull();
    sim.advanceMs(BROKER_EXPIRY_MS);
    expect(routes(sim, "n3", "b4")).toBe(true);
    expectInvariants(sim, checker);
  });

  it("mixed versions: a silent broker heard only by the newer nodes still leaves the legacy node within its expiry + 1 s", () => {
    const { sim, checker } = mixedCluster(1302);
    sim.advanceMs(2 * BROKER_EXPIRY_MS);
    sim.pauseBroker("b1");
    const gone = msUntilGoneEverywhere(sim, "b1", BROKER_EXPIRY_MS + 1_000);
    console.log(`mixed: silent b1 gone everywhere after ${gone} ms; checker max ${checker.maxEvictionMs("silent")} ms`);
    expect(gone).not.toBeNull();
    expect(routes(sim, "n3", "b2")).toBe(true);
    expectInvariants(sim, checker);
  });

  it("mixed versions: anti-entropy with the legacy node repairs lost deltas both ways, with whole digests", () => {
    const { sim, checker } = mixedCluster(1303);
    // Every push to or from the legacy node is lost for a moment (as a reset link would lose it):
    // what is written then reaches it, or leaves it, only through anti-entropy (repairs pass).
    let dropping = true;
    for (const id of sim.nodeIds) {
      sim.interceptDeltas(id, (_node, from, deltas) => (dropping && !deltas.repair && (id === "n3" || from === "n3") ? { ...deltas, records: [] } : deltas));
    }
    sim.kvPut("n1", "ns", "from-new", "1");
    sim.kvPut("n3", "ns", "from-legacy", "1");
    sim.createTopic("b2", "PaymentsEu", ["n3"]);
    sim.advanceMs(100);
    dropping = false;
    expect(sim.node("n3").kvList("ns")).toEqual({ "from-legacy": "1" });
    expect(sim.node("n1").findRoute("PaymentsEu")).toBeNull();
    const took = awaitConvergence(sim, checker, 5 * ANTI_ENTROPY_INTERVAL_MS, true);
    console.log(`mixed: converged ${took} ms after the loss; legacy refusals ${JSON.stringify(sim.host("n3").refused)}`);
    expect(took).not.toBeNull();
    for (const id of sim.nodeIds) {
      expect(sim.node(id).kvList("ns")).toEqual({ "from-legacy": "1", "from-new": "1" });
      expect(sim.node(id).findRoute("PaymentsEu")?.brokerDatas.map((data) => data.brokerName)).toEqual(["b2"]);
    }
    expect(sim.host("n3").refused.rootDigests).toBe(0);
    expectInvariants(sim, checker);
  });

  it("mixed versions: the legacy node restarted as a current one gets bits and root-only digests, and no more records", () => {
    const { sim, checker } = mixedCluster(1304);
    sim.advanceMs(2 * BROKER_EXPIRY_MS);
    sim.stopNode("n3");
    sim.host("n3").legacy = false;
    sim.restartNode("n3");
    sim.boot();
    sim.advanceMs(2_000);
    const records = countHeartbeatRecords(sim);
    const heardBefore = sim.node("n3").gossipCounters().heardFramesReceived;
    sim.advanceMs(EXPIRIES * BROKER_EXPIRY_MS);
    for (const id of sim.nodeIds) for (const broker of ["b1", "b2", "b3"]) expect(routes(sim, id, broker), `${id} routes ${broker}`).toBe(true);
    expect([...records.values()].reduce((sum, count) => sum + count, 0)).toBe(0);
    expect(sim.node("n3").gossipCounters().heardFramesReceived - heardBefore).toBeGreaterThan(EXPIRIES);
    expect(sim.node("n3").peerStates().map((peer) => peer.features)).toEqual([PEER_FEATURES, PEER_FEATURES]);
    expectInvariants(sim, checker);
  });

  it("mixed versions: a legacy node taken for a current one (its hello claiming the features) would expire what only others hear", () => {
    const { sim, checker } = bootedSim({ seed: scenarioSeed(1305), network: NETWORK, legacyNodes: ["n3"] });
    sim.host("n3").announced = PEER_FEATURES;
    // Sessions came up while booting with the truth; reset them so the peers read the claim.
    sim.stopNode("n3");
    sim.restartNode("n3");
    sim.boot();
    sim.addBroker({ name: "b1", nodes: ["n1", "n2"], topics: ["Orders"] });
    sim.advanceMs(3 * BROKER_EXPIRY_MS);
    const refused = sim.host("n3").refused;
    console.log(`mixed, features claimed: legacy refusals ${JSON.stringify(refused)}; n3 expired ${sim.node("n3").counters.evictionsExpired}`);
    expect(refused.heard).toBeGreaterThan(0);
    expect(refused.rootDigests).toBeGreaterThan(0);
    expect(sim.node("n3").counters.evictionsExpired).toBeGreaterThan(0);
    expect(checker.of("noFalseEviction").length).toBeGreaterThan(0);
  });

  it("mixed versions: real shells learn each other's features from the hello answer, with and without a cluster secret", async () => {
    for (const clusterSecret of [undefined, "s".repeat(32)]) {
      const sim = new ShellSim({ seed: scenarioSeed(1306), nodes: 3, ...(clusterSecret === undefined ? {} : { clusterSecret }) });
      const linked = await sim.runUntil(() => sim.nodes.every((node) => node.node.peerStates().filter((peer) => peer.up).length === 2), 10_000);
      expect(linked, `links up (secret: ${clusterSecret !== undefined})`).toBe(true);
      for (const node of sim.nodes) for (const peer of node.node.peerStates()) expect(peer.features).toEqual(PEER_FEATURES);
      for (const node of sim.nodes) node.crash();
    }
  });
});

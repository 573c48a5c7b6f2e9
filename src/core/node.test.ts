// Goal: the single-node state machine answers like a RocketMQ NameServer and evicts on
// time. Method: drive NameServerNode with explicit times (no timers, no sockets).
import { describe, expect, it } from "vitest";
import { LimitExceededError, NotFoundError } from "../errors.js";
import { KV_KEYS_PER_NAMESPACE_MAX, SUSPICION_MS, TICK_MS, TOMBSTONE_MS } from "../limits.js";
import { SeededRng } from "./clock.js";
import { NameServerNode, defaultNodeOptions, type NodeOptions } from "./node.js";
import type { ReplicatedRecord } from "../model/records.js";
import type { BrokerRegistration, TopicConfig } from "../model/types.js";

const EXPIRY_MS = 2_000;

function makeNode(overrides: Partial<NodeOptions> = {}): NameServerNode {
  return new NameServerNode({ ...defaultNodeOptions("n1"), brokerExpiryMs: EXPIRY_MS, ...overrides }, new SeededRng(1), 0);
}

function topic(name: string, queues = 8, perm = 6): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm, topicSysFlag: 0, order: false };
}

function registration(overrides: Partial<BrokerRegistration> = {}): BrokerRegistration {
  return {
    clusterName: "DefaultCluster",
    brokerAddr: "10.0.0.1:10911",
    brokerName: "broker-a",
    brokerId: 0,
    haServerAddr: "10.0.0.1:10912",
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: null,
    dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
    topics: [topic("TopicA"), topic("TopicB", 4, 4)],
    ...overrides,
  };
}

/** Advances a node tick by tick, as the shell does. */
function advance(node: NameServerNode, fromMs: number, toMs: number): void {
  for (let now = fromMs; now <= toMs; now += TICK_MS) node.tick(now);
}

describe("node", () => {
  it("node: routes a registered broker with its queues and perms", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 10);
    const route = node.getRoute("TopicA");
    expect(route.brokerDatas).toEqual([
      { cluster: "DefaultCluster", brokerName: "broker-a", brokerAddrs: { "0": "10.0.0.1:10911" }, enableActingMaster: false },
    ]);
    expect(route.queueDatas).toEqual([{ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }]);
    expect(node.getRoute("TopicB").queueDatas[0]?.perm).toBe(4);
    expect(() => node.getRoute("Missing")).toThrow(NotFoundError);
  });

  it("node: a slave joins the broker name and learns its master's addresses", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 10);
    const result = node.registerBroker(2, "native", registration({ brokerAddr: "10.0.0.2:10911", brokerId: 1 }), null, 20);
    expect(result.masterAddr).toBe("10.0.0.1:10911");
    expect(result.haServerAddr).toBe("10.0.0.1:10912");
    expect(node.getRoute("TopicA").brokerDatas[0]?.brokerAddrs).toEqual({ "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" });
    expect(node.getClusterInfo().clusterAddrTable).toEqual({ DefaultCluster: ["broker-a"] });
  });

  it("node: an unchanged dataVersion leaves known topics as they are (a wipe survives) and adds missing ones", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 10);
    node.wipeWritePerm("broker-a", 20);
    const same = node.registerBroker(1, "native", registration({ topics: [topic("TopicA", 16)] }), null, 25);
    expect(same.contentChanged).toBe(false);
    expect(node.counters.registrationsUnchanged).toBe(1);
    expect(node.getRoute("TopicA").queueDatas[0]).toMatchObject({ readQueueNums: 8, perm: 4 });
    const again = node.registerBroker(1, "native", registration({ topics: [topic("TopicA"), topic("TopicC")] }), null, 30);
    expect(again.contentChanged).toBe(true);
    expect(node.getTopics(null)).toEqual(["TopicA", "TopicB", "TopicC"]);
    expect(node.getRoute("TopicA").queueDatas[0]?.perm).toBe(4);
    expect(node.getRoute("TopicC").queueDatas[0]?.perm).toBe(6);
  });

  it("node: an unchanged re-registration is answered from the version alone", () => {
    const node = makeNode();
    const version = { timestamp: 1, counter: 1, stateVersion: 0 };
    expect(node.reregisterUnchanged(1, "DefaultCluster", "10.0.0.1:10911", version, null, 0)).toBeNull();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    const other = { timestamp: 1, counter: 2, stateVersion: 0 };
    expect(node.reregisterUnchanged(1, "DefaultCluster", "10.0.0.1:10911", other, null, 10)).toBeNull();
    const result = node.reregisterUnchanged(1, "DefaultCluster", "10.0.0.1:10911", version, { epoch: 1, seq: 2 }, 20);
    expect(result?.contentChanged).toBe(false);
    expect(node.counters.registrationsUnchanged).toBe(1);
    advance(node, 0, EXPIRY_MS + 10);
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: a changed dataVersion adds and updates the topics it carries, keeps the rest, and ends an older wipe on those", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 10);
    expect(node.wipeWritePerm("broker-a", 20)).toBe(2);
    expect(node.getRoute("TopicA").queueDatas[0]?.perm).toBe(4);
    // An incremental registration, as a 5.x broker sends when it creates a topic.
    const incremental = registration({ dataVersion: { timestamp: 2, counter: 2, stateVersion: 0 }, topics: [topic("TopicC")] });
    expect(node.registerBroker(1, "native", incremental, null, 30).contentChanged).toBe(true);
    expect(node.getTopics(null)).toEqual(["TopicA", "TopicB", "TopicC"]);
    expect(node.getRoute("TopicC").queueDatas[0]?.perm).toBe(6);
    expect(node.getRoute("TopicA").queueDatas[0]?.perm).toBe(4);
    // The next full registration carries the same version: nothing changes.
    const full = registration({ dataVersion: { timestamp: 2, counter: 2, stateVersion: 0 }, topics: [topic("TopicA"), topic("TopicB", 4, 4), topic("TopicC")] });
    expect(node.registerBroker(1, "native", full, null, 40).contentChanged).toBe(false);
    const changed = registration({ dataVersion: { timestamp: 3, counter: 3, stateVersion: 0 }, topics: [topic("TopicA")] });
    expect(node.registerBroker(1, "native", changed, null, 50).contentChanged).toBe(true);
    expect(node.getRoute("TopicA").queueDatas[0]?.perm).toBe(6);
    expect(node.getRoute("TopicB").queueDatas[0]?.perm).toBe(4);
  });

  it("node: a broker's topics belong to its session: after an unregistration it starts empty", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 10);
    node.unregisterBroker(1, "DefaultCluster", "10.0.0.1:10911", null, 20);
    node.registerBroker(2, "remoting", registration({ topics: [topic("TopicC"), topic("TopicD")] }), null, 30);
    expect(node.getTopics(null)).toEqual(["TopicC", "TopicD"]);
    expect(node.snapshot().filter((r) => r.type === "topic").map((r) => r.type === "topic" && r.topicName).sort()).toEqual(["TopicC", "TopicD"]);
  });

  it("node: with refuseSingleTopicFirst a one-topic registration of an unknown broker is refused, as RocketMQ's step 7", () => {
    const node = makeNode();
    const one = registration({ topics: [topic("TopicA")] });
    expect(node.registerBroker(1, "remoting", one, null, 10, { refuseSingleTopicFirst: true }).refused).toBe(true);
    expect(node.brokerCounts().tracked).toBe(0);
    expect(node.registerBroker(1, "remoting", registration(), null, 20, { refuseSingleTopicFirst: true }).refused).toBe(false);
    const next = registration({ dataVersion: { timestamp: 2, counter: 2, stateVersion: 0 }, topics: [topic("TopicC")] });
    expect(node.registerBroker(1, "remoting", next, null, 30, { refuseSingleTopicFirst: true }).refused).toBe(false);
    expect(node.getTopics(null)).toEqual(["TopicA", "TopicB", "TopicC"]);
  });

  it("node: with deleteMissingTopics a registration removes the broker's topics it does not carry", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 10);
    node.registerBroker(1, "remoting", registration({ topics: [topic("TopicB", 4, 4)] }), null, 20, { deleteMissingTopics: true });
    expect(node.getTopics(null)).toEqual(["TopicB"]);
  });

  it("node: REGISTER_TOPIC stores a new topic on a known broker name and refuses an unknown one", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 10);
    const queue = { brokerName: "broker-a", readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 };
    expect(node.registerTopic("Single", [queue], 20).unknownBrokerName).toBeNull();
    expect(node.getRoute("Single").queueDatas).toEqual([queue]);
    expect(node.registerTopic("Lost", [queue, { ...queue, brokerName: "nobody" }], 30).unknownBrokerName).toBe("nobody");
    expect(node.findRoute("Lost")).toBeNull();
    expect(node.counters.topicsSkipped.unknownBroker).toBe(1);
  });

  it("node: wipes and adds compose in order as RocketMQ applies them", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration({ topics: [topic("W", 8, 2), topic("S", 8, 7)] }), null, 10);
    node.addWritePerm("broker-a", 20);
    node.wipeWritePerm("broker-a", 30);
    expect(node.getRoute("W").queueDatas[0]?.perm).toBe(4);
    expect(node.getRoute("S").queueDatas[0]?.perm).toBe(4);
    node.addWritePerm("broker-a", 40);
    expect(node.getRoute("W").queueDatas[0]?.perm).toBe(6);
  });

  it("node: add write perm sets perm 6 as RocketMQ does", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration({ topics: [topic("T", 8, 5)] }), null, 10);
    expect(node.addWritePerm("broker-a", 20)).toBe(1);
    expect(node.getRoute("T").queueDatas[0]?.perm).toBe(6);
  });

  it("node: expires a broker after its expiry without evidence", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    advance(node, 0, EXPIRY_MS - TICK_MS);
    expect(node.findRoute("TopicA")).not.toBeNull();
    advance(node, EXPIRY_MS - TICK_MS, EXPIRY_MS);
    expect(node.findRoute("TopicA")).toBeNull();
    expect(node.counters.evictionsExpired).toBe(1);
  });

  it("node: heartbeats keep a broker alive past its expiry", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    for (let now = 0, seq = 2; now <= 3 * EXPIRY_MS; now += TICK_MS) {
      if (now % 500 === 0) node.heartbeat(1, "DefaultCluster", "10.0.0.1:10911", { epoch: 1, seq: seq++ }, now);
      node.tick(now);
    }
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: honours a broker's declared heartbeat timeout", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration({ heartbeatTimeoutMs: 700 }), null, 0);
    advance(node, 0, 700);
    expect(node.findRoute("TopicA")).toBeNull();
  });

  it("node: remoting brokers without a declared timeout get the 120 s default", () => {
    const node = makeNode({ remotingBrokerExpiryMs: 120_000 });
    node.registerBroker(1, "remoting", registration(), null, 0);
    advance(node, 0, 120_000 - TICK_MS);
    expect(node.findRoute("TopicA")).not.toBeNull();
    advance(node, 120_000, 120_000);
    expect(node.findRoute("TopicA")).toBeNull();
  });

  it("node: a closed connection evicts its brokers after the suspicion time", () => {
    const node = makeNode();
    node.registerBroker(7, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.connectionClosed(7, 100);
    node.tick(100 + SUSPICION_MS - TICK_MS);
    expect(node.findRoute("TopicA")).not.toBeNull();
    node.tick(100 + SUSPICION_MS);
    expect(node.findRoute("TopicA")).toBeNull();
    expect(node.counters.evictionsConnectionClosed).toBe(1);
  });

  it("node: closing an old connection does nothing once the broker moved to a new one", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 0);
    node.registerBroker(2, "remoting", registration(), null, 10);
    node.connectionClosed(1, 20);
    node.tick(20 + SUSPICION_MS * 2);
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: unregister removes at once and stale heartbeats do not resurrect", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 5, seq: 10 }, 0);
    node.unregisterBroker(1, "DefaultCluster", "10.0.0.1:10911", { epoch: 5, seq: 11 }, 10);
    expect(node.findRoute("TopicA")).toBeNull();
    expect(node.heartbeat(2, "DefaultCluster", "10.0.0.1:10911", { epoch: 5, seq: 9 }, 20)).toEqual({ registered: false });
    expect(node.findRoute("TopicA")).toBeNull();
    node.registerBroker(3, "native", registration(), { epoch: 6, seq: 1 }, 30);
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: an unregistration counts only on the broker's registering connection or from an admin", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 0);
    expect(node.unregisterBroker(9, "DefaultCluster", "10.0.0.1:10911", null, 10)).toBe(false);
    expect(node.findRoute("TopicA")).not.toBeNull();
    expect(node.counters.unregistrationsRefused).toBe(1);
    expect(node.heartbeat(9, "DefaultCluster", "10.0.0.1:10911", null, 20)).toEqual({ registered: false });
    expect(node.queryDataVersion(9, "DefaultCluster", "10.0.0.1:10911", { timestamp: 1, counter: 1, stateVersion: 0 }, 20).changed).toBe(true);
    expect(node.unregisterBroker(9, "DefaultCluster", "10.0.0.1:10911", null, 30, true)).toBe(true);
    expect(node.findRoute("TopicA")).toBeNull();
  });

  it("node: a late unregister from an earlier run of the broker is ignored", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 6, seq: 1 }, 0);
    node.unregisterBroker(2, "DefaultCluster", "10.0.0.1:10911", { epoch: 5, seq: 40 }, 10);
    expect(node.findRoute("TopicA")).not.toBeNull();
    expect(node.counters.unregistrations).toBe(0);
  });

  it("node: a remoting broker returns after unregister by registering again", () => {
    const node = makeNode();
    node.registerBroker(1, "remoting", registration(), null, 0);
    node.unregisterBroker(1, "DefaultCluster", "10.0.0.1:10911", null, 0);
    expect(node.findRoute("TopicA")).toBeNull();
    node.registerBroker(2, "remoting", registration(), null, 0);
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: a deleted topic comes back with the broker's next registration that carries it, as in RocketMQ", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 0);
    node.deleteTopic("TopicA", null, 10);
    expect(node.findRoute("TopicA")).toBeNull();
    node.registerBroker(1, "native", registration({ topics: [topic("TopicB", 4, 4)] }), null, 20);
    expect(node.findRoute("TopicA")).toBeNull();
    node.registerBroker(1, "native", registration(), null, 30);
    expect(node.findRoute("TopicA")).not.toBeNull();
  });

  it("node: deleting a topic for one cluster keeps the other cluster's queues", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 0);
    node.registerBroker(2, "native", registration({ clusterName: "Other", brokerName: "broker-b", brokerAddr: "10.0.0.9:1" }), null, 0);
    node.deleteTopic("TopicA", "Other", 10);
    expect(node.getRoute("TopicA").queueDatas.map((q) => q.brokerName)).toEqual(["broker-a"]);
    expect(node.getTopics("Other")).toEqual(["TopicB"]);
  });

  it("node: kv put, get, list and delete", () => {
    const node = makeNode();
    node.kvPut("ns", "k1", "v1", 0);
    node.kvPut("ns", "k2", "v2", 1);
    expect(node.kvGet("ns", "k1")).toBe("v1");
    expect(node.kvList("ns")).toEqual({ k1: "v1", k2: "v2" });
    node.kvDelete("ns", "k1", 2);
    expect(() => node.kvGet("ns", "k1")).toThrow(NotFoundError);
    expect(() => node.kvList("empty")).toThrow(NotFoundError);
    node.kvDelete("ns", "k2", 3);
    expect(node.kvList("ns")).toEqual({});
  });

  it("node: refuses one kv key over the per-namespace limit", () => {
    const node = makeNode();
    for (let index = 0; index < KV_KEYS_PER_NAMESPACE_MAX; index++) node.kvPut("ns", `k${index}`, "v", index);
    expect(() => node.kvPut("ns", "one-more", "v", 0)).toThrow(LimitExceededError);
    node.kvPut("ns", "k0", "overwrite", 1);
    expect(node.kvGet("ns", "k0")).toBe("overwrite");
  });

  it("node: topics past TOPICS_MAX are skipped and counted; the rest of the registration applies", () => {
    const node = makeNode({ topicsMax: 3 });
    node.registerBroker(1, "native", registration({ topics: [topic("A"), topic("B")] }), null, 0);
    const big = registration({ brokerName: "b2", brokerAddr: "10.0.0.2:1", topics: [topic("C"), topic("D"), topic("A")] });
    node.registerBroker(2, "native", big, null, 1);
    expect(node.getTopics(null)).toEqual(["A", "B", "C"]);
    expect(node.getRoute("A").queueDatas.map((q) => q.brokerName)).toEqual(["b2", "broker-a"]);
    expect(node.counters.topicsSkipped.capacity).toBe(1);
    expect(node.takeEffects().filter((e) => e.kind === "log" && e.msg === "registration topics skipped")).toHaveLength(1);
  });

  it("node: refuses one broker over BROKERS_MAX", () => {
    const node = makeNode({ brokersMax: 1 });
    node.registerBroker(1, "native", registration(), null, 0);
    expect(() => node.registerBroker(2, "native", registration({ brokerAddr: "10.0.0.2:1" }), null, 0)).toThrow(LimitExceededError);
  });

  it("node: subscribers get a push on change and none when nothing changed", () => {
    const node = makeNode();
    node.subscribe(5, [{ topic: "TopicA", revision: null }]);
    const first = node.takeEffects().filter((e) => e.kind === "push");
    expect(first).toHaveLength(1);
    node.registerBroker(1, "native", registration(), null, 0);
    const pushes = node.takeEffects().filter((e) => e.kind === "push");
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.kind === "push" && pushes[0].body.route?.queueDatas[0]?.brokerName).toBe("broker-a");
    node.registerBroker(1, "native", registration(), null, 10);
    expect(node.takeEffects().filter((e) => e.kind === "push")).toHaveLength(0);
  });

  it("node: a subscriber that already holds the current revision gets no push", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), null, 0);
    node.subscribe(5, [{ topic: "TopicA", revision: null }]);
    const push = node.takeEffects().find((e) => e.kind === "push");
    const revision = push?.kind === "push" ? push.body.revision : "";
    node.subscribe(6, [{ topic: "TopicA", revision }]);
    expect(node.takeEffects().filter((e) => e.kind === "push")).toHaveLength(0);
  });

  it("node: a paused tick loop shifts deadlines instead of evicting", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.tick(1_000);
    node.tick(1_000 + 3 * EXPIRY_MS);
    expect(node.findRoute("TopicA")).not.toBeNull();
    expect(node.counters.pauseCompensations).toBe(1);
  });

  it("node: a connection claim of a peer whose link is down still vouches; expiry catches a stale one", () => {
    // Found by the simulator (test/sim/partitions.sim.test.ts, one-way cut): distrusting
    // the claim made a node evict a broker that a peer it could only reach through a relay
    // still heard, flapping it on every node, and bypassed self-preservation when isolated.
    const holder = makeNode({ nodeId: "n1" });
    const observer = makeNode({ nodeId: "n2", peersConfigured: true, startupGraceMs: 0 });
    observer.peerConnected("n1", null, 0);
    holder.peerConnected("n2", null, 0);
    observer.tick(0); // the grace (0) passed: ready, and routing what arrives
    holder.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    for (const effect of holder.takeEffects()) {
      if (effect.kind === "peerSend" && effect.message.type === "deltas") observer.onPeerDeltas("n1", effect.message.body, 10);
    }
    expect(observer.findRoute("TopicA")).not.toBeNull();
    observer.peerDisconnected("n1", 100);
    advance(observer, 100, 100 + 2 * SUSPICION_MS);
    expect(observer.findRoute("TopicA")).not.toBeNull();
    expect(observer.counters.suspicionsRaised).toBe(0);
    advance(observer, 100 + 2 * SUSPICION_MS, 10 + EXPIRY_MS + TICK_MS);
    expect(observer.findRoute("TopicA")).toBeNull();
    expect(observer.counters.evictionsExpired).toBe(1);
  });

  it("node: ready at once when every seed peer is starting too", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 60_000, seeds: ["h2:1", "h3:1"] });
    node.onPeerPull("n2", { buckets: [], members: [], ready: false }, 10);
    expect(node.isReady()).toBe(false);
    node.onPeerPull("n3", { buckets: [], members: [], ready: false }, 20);
    expect(node.isReady()).toBe(true);
  });

  it("node: without seeds (peers found by DNS) a starting peer does not make it ready; a ready one does", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 60_000, seeds: [] });
    node.onPeerPull("n2", { buckets: [], members: [], ready: false }, 10);
    expect(node.isReady()).toBe(false);
    node.onPeerPull("n3", { buckets: [], members: [], ready: true }, 20);
    expect(node.isReady()).toBe(true);
  });

  it("node: ready after a pull from a ready peer", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 60_000, seeds: ["h2:1", "h3:1"] });
    node.onPeerPull("n2", { buckets: [], members: [], ready: true }, 10);
    expect(node.isReady()).toBe(true);
  });

  it("node: collects kv tombstones after TOMBSTONE_MS and refuses expired ones from peers", () => {
    const node = makeNode();
    node.kvPut("ns", "k", "v", 0);
    node.kvDelete("ns", "k", 10);
    const before = node.snapshot().filter((r) => r.type === "kv");
    expect(before).toHaveLength(1);
    node.tick(TOMBSTONE_MS + 100_000);
    expect(node.snapshot().filter((r) => r.type === "kv")).toHaveLength(0);
    expect(node.mergeRemote(before[0] as ReplicatedRecord, TOMBSTONE_MS + 100_000, "n2")).toBe(false);
  });

  it("node: keeps a topic deletion while it still hides a topic, then collects it", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.deleteTopic("TopicA", null, 10);
    const late = TOMBSTONE_MS + 100_000;
    node.heartbeat(1, "DefaultCluster", "10.0.0.1:10911", { epoch: 1, seq: 1_000 }, late - 10);
    node.tick(late);
    expect(node.snapshot().some((r) => r.type === "topicDelete")).toBe(true);
    expect(node.findRoute("TopicA")).toBeNull();
    const next = registration({ dataVersion: { timestamp: 5, counter: 5, stateVersion: 0 }, topics: [topic("TopicB")] });
    node.registerBroker(1, "native", next, { epoch: 1, seq: 1_001 }, late + 10);
    node.tick(late + 70_000);
    expect(node.snapshot().some((r) => r.type === "topicDelete")).toBe(true);
    // Registered again, the topic's record is newer than the deletion, which then hides nothing.
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1_002 }, late + 70_010);
    expect(node.findRoute("TopicA")).not.toBeNull();
    node.tick(late + 140_000);
    expect(node.snapshot().some((r) => r.type === "topicDelete")).toBe(false);
  });

  it("node: self-preservation counts the evictions of this isolation, so it cannot be whittled away", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 0 });
    node.peerConnected("n2", null, 0);
    for (let index = 0; index < 5; index++) {
      const broker = registration({ brokerName: `b${index}`, brokerAddr: `10.0.0.${index + 1}:1` });
      node.registerBroker(index + 1, "native", broker, { epoch: 1, seq: 1 }, index * 300);
    }
    node.peerDisconnected("n2", 1_500);
    advance(node, 0, 4 * EXPIRY_MS);
    expect(node.isDegraded()).toBe(true);
    expect(node.brokerCounts().live).toBeGreaterThanOrEqual(2);
    expect(node.counters.selfPreservationSkips).toBeGreaterThan(0);
    node.peerConnected("n2", null, 4 * EXPIRY_MS + TICK_MS);
    advance(node, 4 * EXPIRY_MS + TICK_MS, 4 * EXPIRY_MS + 2 * TICK_MS);
    expect(node.isDegraded()).toBe(false);
    expect(node.brokerCounts().live).toBe(0);
  });

  it("node: shares heartbeat evidence a few times per expiry as PEER_HEARD bits, never as liveness records", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 0 });
    node.peerConnected("n2", null, 0);
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.takeEffects();
    let shares = 0;
    let livenessRecords = 0;
    for (let seq = 2, now = 0; now <= 4 * EXPIRY_MS; seq++, now += TICK_MS) {
      if (now % 100 === 0) node.heartbeat(1, "DefaultCluster", "10.0.0.1:10911", { epoch: 1, seq }, now);
      node.tick(now);
      for (const effect of node.takeEffects()) {
        if (effect.kind !== "peerSend") continue;
        if (effect.message.type === "deltas") livenessRecords += effect.message.body.records.filter((record) => record.type === "liveness").length;
        if (effect.message.type === "heard" && effect.message.body.groups.length > 0) shares += 1;
      }
    }
    // 80 heartbeats over four expiry windows; a share every 200 ms (an eighth of the 2 s expiry, in 200 ms steps).
    expect(livenessRecords).toBe(0);
    expect(shares).toBeGreaterThanOrEqual(4 * 10 - 1);
    expect(shares).toBeLessThanOrEqual(4 * 10 + 1);
  });

  it("node: a reconnected peer gets the brokers heard here at once, keys and bits", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 0 });
    node.registerBroker(1, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.takeEffects();
    node.peerConnected("n2", null, 10);
    const heard = node.takeEffects().flatMap((e) => (e.kind === "peerSend" && e.message.type === "heard" ? [e.message.body] : []));
    expect(heard).toHaveLength(1);
    const [frame] = heard;
    expect(frame?.base).toBe(0);
    expect(frame?.keys).toEqual(["DefaultCluster@10.0.0.1:10911"]);
    expect(frame?.groups.map((group) => [group.hops, [...group.bitmap]])).toEqual([[0, [1]]]);
  });

  it("node: not ready with peers until a snapshot or the grace passes", () => {
    const node = makeNode({ peersConfigured: true, startupGraceMs: 1_000 });
    expect(node.isReady()).toBe(false);
    node.tick(999);
    expect(node.isReady()).toBe(false);
    node.tick(1_000);
    expect(node.isReady()).toBe(true);
  });
});

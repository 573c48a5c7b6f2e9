// Goal: the read-only inspection accessors of NameServerNode (broker details, digest bucket
// contents, KV namespaces) report what the node holds and change nothing. Method: drive a
// node with explicit times and compare the answers and the digest before and after.
import { describe, expect, it } from "vitest";
import { NotReadyError } from "../errors.js";
import { DIGEST_BUCKETS, SUSPICION_MS } from "../limits.js";
import { SeededRng } from "./clock.js";
import { NameServerNode, defaultNodeOptions } from "./node.js";
import type { BrokerRegistration } from "../model/types.js";

const EXPIRY_MS = 2_000;

function makeNode(): NameServerNode {
  return new NameServerNode({ ...defaultNodeOptions("n1"), brokerExpiryMs: EXPIRY_MS }, new SeededRng(1), 0);
}

function registration(overrides: Partial<BrokerRegistration> = {}): BrokerRegistration {
  return {
    clusterName: "DefaultCluster",
    brokerAddr: "10.0.0.1:10911",
    brokerName: "broker-a",
    brokerId: 0,
    haServerAddr: "",
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: null,
    dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
    topics: [
      { topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0, order: false },
      { topicName: "TopicB", readQueueNums: 4, writeQueueNums: 4, perm: 4, topicSysFlag: 0, order: false },
    ],
    ...overrides,
  };
}

const ALL_BUCKETS = [...Array(DIGEST_BUCKETS).keys()];

describe("inspect", () => {
  it("inspect: a live broker shows its header, evidence age, default expiry, holders and topic count", () => {
    const node = makeNode();
    node.registerBroker(7, "native", registration(), { epoch: 1, seq: 1 }, 0);
    const { brokers, total } = node.brokerDetails(500, 10);
    expect(total).toBe(1);
    expect(brokers[0]).toMatchObject({
      brokerKey: "DefaultCluster@10.0.0.1:10911",
      brokerName: "broker-a",
      brokerId: 0,
      state: "alive",
      offlineReason: null,
      evidenceAgeMs: 500,
      expiryMs: EXPIRY_MS,
      expiryDeclared: false,
      heardBy: ["n1"],
      topicCount: 2,
      offlineForMs: null,
    });
  });

  it("inspect: a declared expiry is reported as declared", () => {
    const node = makeNode();
    node.registerBroker(7, "native", registration({ heartbeatTimeoutMs: 5_000 }), { epoch: 1, seq: 1 }, 0);
    expect(node.brokerDetails(0, 10).brokers[0]).toMatchObject({ expiryMs: 5_000, expiryDeclared: true });
  });

  it("inspect: a lost connection makes the broker suspect, then offline with its reason, listed after live ones", () => {
    const node = makeNode();
    node.registerBroker(7, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.registerBroker(8, "native", registration({ brokerAddr: "10.0.0.2:10911", brokerName: "broker-b" }), { epoch: 1, seq: 1 }, 0);
    node.connectionClosed(7, 100);
    expect(node.brokerDetails(100, 10).brokers.find((b) => b.brokerName === "broker-a")).toMatchObject({ state: "suspect", heardBy: [] });
    node.tick(100 + SUSPICION_MS);
    const after = node.brokerDetails(100 + SUSPICION_MS + 250, 10).brokers;
    expect(after.map((b) => b.brokerName)).toEqual(["broker-b", "broker-a"]);
    expect(after[1]).toMatchObject({ state: "offline", offlineReason: "connectionClosed", evidenceAgeMs: null, offlineForMs: 250 });
  });

  it("inspect: the limit cuts the list, total counts every instance", () => {
    const node = makeNode();
    for (let index = 0; index < 5; index++) {
      node.registerBroker(index + 1, "native", registration({ brokerAddr: `10.0.0.${index + 1}:10911`, brokerName: `b${index}` }), null, 0);
    }
    const { brokers, total } = node.brokerDetails(0, 3);
    expect(brokers.map((b) => b.brokerName)).toEqual(["b0", "b1", "b2"]);
    expect(total).toBe(5);
  });

  it("inspect: digest entries name every record of the buckets, and a changed record changes its version", () => {
    const node = makeNode();
    node.registerBroker(7, "native", registration(), { epoch: 1, seq: 1 }, 0);
    node.kvPut("NS", "k", "v1", 10);
    const before = node.digestEntries(ALL_BUCKETS, 1_000);
    expect(before.map((entry) => entry.id)).toEqual(expect.arrayContaining(["k|NS|k", "c|DefaultCluster@10.0.0.1:10911|TopicA", "l|DefaultCluster@10.0.0.1:10911"]));
    expect(before.length).toBe(node.snapshot().length);
    const kvBefore = before.find((entry) => entry.id === "k|NS|k");
    expect(kvBefore?.version).toMatch(/^[0-9a-f]{16}$/);
    expect(node.digestEntries([kvBefore?.bucket ?? 0], 1_000).every((entry) => entry.bucket === kvBefore?.bucket)).toBe(true);
    const digest = node.digest();
    node.digestEntries(ALL_BUCKETS, 1_000);
    expect(node.digest()).toEqual(digest);
    node.kvPut("NS", "k", "v2", 20);
    const kvAfter = node.digestEntries(ALL_BUCKETS, 1_000).find((entry) => entry.id === "k|NS|k");
    expect(kvAfter?.version).not.toBe(kvBefore?.version);
    expect(node.digestEntries(ALL_BUCKETS, 2)).toHaveLength(2);
  });

  it("inspect: kv namespaces count live keys; a namespace whose keys were deleted stays with 0", () => {
    const node = makeNode();
    node.kvPut("B", "k1", "v", 0);
    node.kvPut("A", "k1", "v", 0);
    node.kvPut("A", "k2", "v", 0);
    node.kvDelete("B", "k1", 1);
    expect(node.kvNamespaces(10)).toEqual({ namespaces: [{ namespace: "A", keys: 2 }, { namespace: "B", keys: 0 }], total: 2 });
    expect(node.kvNamespaces(1)).toEqual({ namespaces: [{ namespace: "A", keys: 2 }], total: 2 });
  });

  it("inspect: topic search matches case-insensitively, sorted, and counts every match", () => {
    const node = makeNode();
    const topics = ["orders-eu", "Orders-us", "payments", "audit-orders"].map((topicName) => ({
      topicName,
      readQueueNums: 1,
      writeQueueNums: 1,
      perm: 6,
      topicSysFlag: 0,
      order: false,
    }));
    node.registerBroker(7, "native", registration({ topics }), null, 0);
    expect(node.query({ kind: "topicSearch", text: "ORDERS", limit: 2 })).toEqual({ topics: ["Orders-us", "audit-orders"], matches: 3, total: 4 });
    expect(node.query({ kind: "topicSearch", text: "", limit: 10 }).topics).toHaveLength(4);
  });

  it("inspect: the operator queries answer NOT_READY like every read while the node is not ready", () => {
    const node = new NameServerNode({ ...defaultNodeOptions("n1"), peersConfigured: true, seeds: ["n2:9877"] }, new SeededRng(1), 0);
    expect(() => node.query({ kind: "brokers", nowMs: 0, limit: 10 })).toThrow(NotReadyError);
    expect(() => node.query({ kind: "topicSearch", text: "", limit: 10 })).toThrow(NotReadyError);
    expect(() => node.query({ kind: "kvNamespaces", limit: 10 })).toThrow(NotReadyError);
    expect(node.brokerDetails(0, 10)).toEqual({ brokers: [], total: 0 });
  });
});

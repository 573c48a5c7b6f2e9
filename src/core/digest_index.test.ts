// Goal: the compact digest index (no id strings, hashes in columns) keeps the digest nodes
// exchange: the same bucket hashes as nodes that hash recordId strings (so nodes of either
// build agree), a record's id hash is fnv1a64 of its recordId, and replacing or removing a
// record leaves the digest as if only the current versions had ever been indexed. Method:
// index records of every type and compare with the values the string-hashing index produced.
import { describe, expect, it } from "vitest";
import { DIGEST_BUCKETS } from "../limits.js";
import { fnv1a32, fnv1a64 } from "../model/hash.js";
import { recordId, type ReplicatedRecord, type TopicRecord } from "../model/records.js";
import { GossipState } from "./gossip.js";

const KEY = "DefaultCluster@10.0.0.1:10911";
const DATA_VERSION = { stateVersion: 0, timestamp: 1_700_000_000_000, counter: 7 };
const TOPIC: TopicRecord = {
  type: "topic",
  brokerKey: KEY,
  topicName: "TopicA",
  session: 2,
  dataVersion: DATA_VERSION,
  config: { topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0, order: false },
  stamp: { wallMs: 1_700_000_000_123, logical: 3, nodeId: "n1" },
};
const RECORDS: ReplicatedRecord[] = [
  TOPIC,
  { ...TOPIC, topicName: "%RETRY%group+TopicA", session: 0, dataVersion: { stateVersion: 1, timestamp: 5, counter: 0 }, config: null, stamp: { wallMs: 9, logical: 0, nodeId: "n2" } },
  {
    type: "instance",
    brokerKey: KEY,
    session: 2,
    header: { clusterName: "DefaultCluster", brokerAddr: "10.0.0.1:10911", brokerName: "broker-a", brokerId: 0, haServerAddr: "10.0.0.1:10912", zoneName: null, enableActingMaster: false, heartbeatTimeoutMs: null, dataVersion: DATA_VERSION },
    origin: "remoting",
    stamp: { wallMs: 1_700_000_000_123, logical: 2, nodeId: "n1" },
  },
  { type: "liveness", brokerKey: KEY, session: 2, alive: true, reason: null, evidence: { epoch: 4, seq: 99 } },
  { type: "liveness", brokerKey: "DefaultCluster@10.0.0.2:10911", session: 1, alive: false, reason: "expired", evidence: { epoch: 4, seq: 12 } },
  { type: "holder", brokerKey: KEY, nodeId: "n1", connected: true, stamp: { wallMs: 10, logical: 1, nodeId: "n1" } },
  { type: "kv", namespace: "ORDER_TOPIC_CONFIG", key: "TopicA", value: "broker-a:8", stamp: { wallMs: 11, logical: 0, nodeId: "n3" } },
  { type: "topicDelete", topic: "TopicB", clusterName: null, stamp: { wallMs: 12, logical: 0, nodeId: "n1" } },
  { type: "perm", brokerName: "broker-a", writable: false, stamp: { wallMs: 13, logical: 0, nodeId: "n2" } },
];
/** [bucket, low, high] of the non-zero buckets, as the index that hashed recordId strings gave them. */
const STRING_INDEX_DIGEST = [
  [19, 1538127370, 1639318003],
  [25, 1344345437, 2462949218],
  [105, 3798871695, 1514556811],
  [114, 3468793057, 3262056074],
  [133, 893095610, 2977198147],
  [141, 3949499779, 2165470100],
  [153, 1402288482, 2961102041],
  [173, 4117087442, 181981632],
  [244, 527657202, 3413267965],
];
const ALL_BUCKETS = [...Array(DIGEST_BUCKETS).keys()];

function nonZero(state: GossipState): number[][] {
  return state
    .digest()
    .map(([low, high], bucket) => [bucket, low, high])
    .filter(([, low, high]) => low !== 0 || high !== 0);
}

function indexed(records: readonly ReplicatedRecord[]): GossipState {
  const state = new GossipState("n1", 100);
  for (const record of records) state.indexRecord(record);
  return state;
}

describe("digest index", () => {
  it("digest: bucket hashes equal those of the index that hashed recordId strings", () => {
    expect(nonZero(indexed(RECORDS))).toEqual(STRING_INDEX_DIGEST);
    expect(nonZero(indexed([...RECORDS].reverse()))).toEqual(STRING_INDEX_DIGEST);
  });

  it("digest: a record's bucket is fnv1a32 and its id hash fnv1a64 of its recordId", () => {
    const state = indexed(RECORDS);
    const entries = state.summarize(ALL_BUCKETS).flatMap((frame) => frame.entries.map(([idHigh, idLow]) => [idHigh, idLow]));
    const expected = RECORDS.map((record) => {
      const hash = fnv1a64(recordId(record));
      return [parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8), 16)];
    });
    expect(entries.sort()).toEqual(expected.sort());
    for (const { bucket, id } of state.describeBuckets(ALL_BUCKETS, 100)) expect(bucket).toBe(fnv1a32(id) % DIGEST_BUCKETS);
  });

  it("digest: replacing and removing records leaves the digest of what is stored", () => {
    const state = indexed(RECORDS);
    const newer: TopicRecord = { ...TOPIC, stamp: { ...TOPIC.stamp, logical: 4 } };
    state.indexRecord(newer);
    expect(state.recordCount).toBe(RECORDS.length);
    expect(state.digest()).toEqual(indexed([newer, ...RECORDS.slice(1)]).digest());
    // Removal goes by identity: the version in hand need not be the stored one.
    state.unindexRecord(TOPIC);
    expect(state.recordCount).toBe(RECORDS.length - 1);
    expect(state.digest()).toEqual(indexed(RECORDS.slice(1)).digest());
    for (const record of RECORDS) state.unindexRecord(record);
    expect(state.recordCount).toBe(0);
    expect(nonZero(state)).toEqual([]);
    // Freed slots are reused; the digest stays exact.
    for (const record of RECORDS) state.indexRecord(record);
    expect(nonZero(state)).toEqual(STRING_INDEX_DIGEST);
    expect(state.recordsIn(ALL_BUCKETS)).toHaveLength(RECORDS.length);
  });

  it("digest: after any mix of stores and removals the digest is that of the records left", () => {
    // A seeded walk: stores (new and newer versions) and removals over a few thousand identities,
    // so the lookup table grows, probe runs form and removals move entries back.
    let state32 = 7;
    const next = (bound: number): number => {
      state32 = (Math.imul(state32, 1_103_515_245) + 12_345) >>> 0;
      return state32 % bound;
    };
    const state = new GossipState("n1", 100);
    const model = new Map<string, ReplicatedRecord>();
    for (let step = 0; step < 20_000; step++) {
      const name = `T${next(3_000)}`;
      const record: TopicRecord = { ...TOPIC, topicName: name, stamp: { ...TOPIC.stamp, logical: next(4) } };
      if (next(3) === 0) {
        state.unindexRecord(record);
        model.delete(name);
      } else {
        state.indexRecord(record);
        model.set(name, record);
      }
    }
    expect(state.recordCount).toBe(model.size);
    expect(state.digest()).toEqual(indexed([...model.values()]).digest());
    const names = (records: ReplicatedRecord[]): string[] => records.map((record) => (record as TopicRecord).topicName).sort();
    expect(names(state.recordsIn(ALL_BUCKETS))).toEqual([...model.keys()].sort());
  });

  it("digest: the index grows past its first columns and keeps every record", () => {
    const state = new GossipState("n1", 100);
    const count = 5_000;
    for (let index = 0; index < count; index++) state.indexRecord({ ...TOPIC, topicName: `T${index}` });
    expect(state.recordCount).toBe(count);
    expect(state.recordsIn(ALL_BUCKETS).map((record) => (record as TopicRecord).topicName).sort()).toEqual(
      Array.from({ length: count }, (_, index) => `T${index}`).sort(),
    );
  });
});

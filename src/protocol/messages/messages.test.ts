// Goal: every native message validator accepts what the protocol documents and refuses the
// rest with an InvalidArgumentError naming the field. Method: one valid body per message,
// then wrong types, bad names and one over each limit; PEER_HEARD also through the real frame
// codec, and its bitmap round trip over random index sets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../errors.js";
import { FrameKind, RequestCode } from "../codes.js";
import { decodeFrame, encodeFrame } from "../frame.js";
import { bitmapIndexes, decodePeerHeard, encodeBitmap } from "./heard.js";
import {
  BROKER_EXPIRY_MS_MAX,
  DIGEST_BUCKETS,
  EVIDENCE_GROUPS_PER_FRAME_MAX,
  EVIDENCE_RELAY_HOPS_MAX,
  EVIDENCE_TABLE_MAX,
  KV_VALUE_CHARS_MAX,
  PROTOCOL_VERSION_MAX,
  SUBSCRIBED_TOPICS_PER_CONNECTION_MAX,
  TOPIC_NAME_CHARS_MAX,
  TOPICS_PER_BROKER_MAX,
  WANT_IDS_PER_FRAME_MAX,
} from "../../limits.js";
import { decodeKvPut, decodeDeleteTopic } from "./admin.js";
import { decodeHeartbeat, decodeRegisterBroker, decodeRegisterBrokerVersion } from "./broker.js";
import { decodePeerDeltas, decodePeerDigest, decodePeerPull, decodePeerSummary, decodePeerWant, decodeRecord } from "./gossip.js";
import { decodeHello, decodeHelloResponse, FEATURE_NAME_CHARS_MAX, HELLO_FEATURES_MAX, PEER_FEATURES } from "./hello.js";
import { decodeGetRoute, decodeGetTopics } from "./query.js";
import { decodeSubscribe } from "./subscribe.js";

const topic = (name: string) => ({ topicName: name, readQueueNums: 8, writeQueueNums: 8, perm: 6 });
const register = (overrides: Record<string, unknown> = {}) => ({
  clusterName: "C",
  brokerAddr: "10.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  dataVersion: { timestamp: 1, counter: 1 },
  topics: [topic("TopicA")],
  bootEpoch: 5,
  seq: 1,
  ...overrides,
});

function refusal(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("messages", () => {
  it("messages: a register body decodes with defaults filled", () => {
    const { registration, evidence } = decodeRegisterBroker(register());
    expect(registration.topics[0]).toEqual({ ...topic("TopicA"), topicSysFlag: 0, order: false });
    expect(registration).toMatchObject({ haServerAddr: "", zoneName: null, heartbeatTimeoutMs: null, enableActingMaster: false });
    expect(registration.dataVersion).toEqual({ timestamp: 1, counter: 1, stateVersion: 0 });
    expect(evidence).toEqual({ epoch: 5, seq: 1 });
    expect(decodeRegisterBrokerVersion(register()).dataVersion.counter).toBe(1);
  });

  it("messages: register refusals name the field and quote the value", () => {
    expect(refusal(() => decodeRegisterBroker(register({ brokerAddr: "nohost" })))).toContain("'brokerAddr'");
    expect(refusal(() => decodeRegisterBroker(register({ topics: [{ ...topic("T"), perm: 8 }] })))).toContain("'topics[0].perm'");
    expect(refusal(() => decodeRegisterBroker(register({ topics: [topic("a b")] })))).toContain("'a b'");
    expect(refusal(() => decodeRegisterBroker(register({ topics: [topic("T"), topic("T")] })))).toContain("must be unique");
    expect(refusal(() => decodeRegisterBroker(register({ brokerId: -1 })))).toContain("'brokerId'");
    expect(refusal(() => decodeRegisterBroker(register({ heartbeatTimeoutMs: 1 })))).toContain("'heartbeatTimeoutMs'");
    expect(refusal(() => decodeRegisterBroker("not a map"))).toContain("body must be a map");
  });

  it("messages: one topic over TOPICS_PER_BROKER_MAX is refused, the limit itself passes", () => {
    const many = (count: number) => Array.from({ length: count }, (_, index) => topic(`T${index}`));
    expect(decodeRegisterBroker(register({ topics: many(TOPICS_PER_BROKER_MAX) })).registration.topics).toHaveLength(TOPICS_PER_BROKER_MAX);
    expect(refusal(() => decodeRegisterBroker(register({ topics: many(TOPICS_PER_BROKER_MAX + 1) })))).toContain("'topics'");
  });

  it("messages: topic names one char over the limit are refused", () => {
    expect(decodeGetRoute({ topic: "t".repeat(TOPIC_NAME_CHARS_MAX) }).topic).toHaveLength(TOPIC_NAME_CHARS_MAX);
    expect(refusal(() => decodeGetRoute({ topic: "t".repeat(TOPIC_NAME_CHARS_MAX + 1) }))).toContain("'topic'");
    expect(refusal(() => decodeGetRoute({ topic: 5 }))).toContain("'topic'");
  });

  it("messages: heartbeats need their sequence", () => {
    expect(decodeHeartbeat({ clusterName: "C", brokerAddr: "h:1", bootEpoch: 1, seq: 2 }).evidence).toEqual({ epoch: 1, seq: 2 });
    expect(refusal(() => decodeHeartbeat({ clusterName: "C", brokerAddr: "h:1" }))).toContain("'seq'");
  });

  it("messages: hello roles and versions", () => {
    expect(decodeHello({ versionMin: 1, versionMax: 2, role: "broker" }).role).toBe("broker");
    expect(refusal(() => decodeHello({ versionMin: 1, versionMax: 1, role: "admin-ish" }))).toContain("'role'");
    expect(refusal(() => decodeHello({ versionMin: 2, versionMax: 1, role: "client" }))).toContain("'versionMax'");
  });

  it("messages: peer hellos and their answers carry the features the sender takes; unknown names are ignored", () => {
    const peer = { versionMin: 1, versionMax: 1, role: "peer", nodeId: "n2" };
    const answer = { version: 1, nodeId: "n1", ready: true };
    expect(decodeHello({ ...peer, features: ["heard", "rootDigest"] }).features).toEqual(["heard", "rootDigest"]);
    expect(decodeHelloResponse({ ...answer, features: [...PEER_FEATURES] }).features).toEqual(PEER_FEATURES);
    // A node from before features sends none: it is taken to have none.
    expect(decodeHello(peer).features).toEqual([]);
    expect(decodeHello({ ...peer, features: null }).features).toEqual([]);
    expect(decodeHelloResponse(answer).features).toBeUndefined();
    expect(decodeHelloResponse({ ...answer, features: ["compactRoutes"] }).features).toBeUndefined();
    // A later node may announce more; a name said twice counts once.
    expect(decodeHello({ ...peer, features: ["compactRoutes", "heard", "heard"] }).features).toEqual(["heard"]);
    const full = Array.from({ length: HELLO_FEATURES_MAX }, (_, index) => `f${index}`);
    expect(decodeHello({ ...peer, features: full }).features).toEqual([]);
    expect(decodeHello({ ...peer, features: ["x".repeat(FEATURE_NAME_CHARS_MAX)] }).features).toEqual([]);
  });

  it("messages: bad hello features are refused, naming the field and the value", () => {
    const peer = { versionMin: 1, versionMax: 1, role: "peer", nodeId: "n2" };
    const answer = { version: 1, nodeId: "n1", ready: true };
    expect(refusal(() => decodeHello({ ...peer, features: "heard" }))).toBe("'features' must be an array of strings, got 'heard'");
    const many = Array.from({ length: HELLO_FEATURES_MAX + 1 }, (_, index) => `f${index}`);
    expect(refusal(() => decodeHello({ ...peer, features: many }))).toBe(`'features' must have at most ${HELLO_FEATURES_MAX} items, got '${HELLO_FEATURES_MAX + 1} items'`);
    expect(refusal(() => decodeHello({ ...peer, features: ["heard", 7] }))).toContain("'features[1]'");
    expect(refusal(() => decodeHello({ ...peer, features: ["heard", 7] }))).toContain("got 7");
    expect(refusal(() => decodeHello({ ...peer, features: [""] }))).toContain("'features[0]'");
    expect(refusal(() => decodeHello({ ...peer, features: ["x".repeat(FEATURE_NAME_CHARS_MAX + 1)] }))).toContain("'features[0]'");
    expect(refusal(() => decodeHello({ ...peer, features: ["root digest"] }))).toContain("got 'root digest'");
    expect(refusal(() => decodeHelloResponse({ ...answer, features: [["heard"]] }))).toContain("'features[0]'");
  });

  it("messages: kv, topic lists, delete and subscribe bounds", () => {
    expect(refusal(() => decodeKvPut({ namespace: "n", key: "k", value: "v".repeat(KV_VALUE_CHARS_MAX + 1) }))).toContain("'value'");
    expect(decodeDeleteTopic({ topic: "T", clusterName: "" }).clusterName).toBeNull();
    expect(decodeGetTopics(undefined).clusterName).toBeNull();
    const subs = (count: number) => ({ topics: Array.from({ length: count }, (_, index) => ({ topic: `T${index}` })) });
    expect(decodeSubscribe(subs(SUBSCRIBED_TOPICS_PER_CONNECTION_MAX)).topics).toHaveLength(SUBSCRIBED_TOPICS_PER_CONNECTION_MAX);
    expect(refusal(() => decodeSubscribe(subs(SUBSCRIBED_TOPICS_PER_CONNECTION_MAX + 1)))).toContain("'topics'");
  });

  it("messages: peer records of every type round-trip, unknown types are refused", () => {
    const stamp = { wallMs: 1, logical: 0, nodeId: "n1" };
    const records = [
      { type: "liveness", brokerKey: "C@h:1", session: 3, alive: false, reason: "expired", evidence: { epoch: 1, seq: 2 } },
      { type: "holder", brokerKey: "C@h:1", nodeId: "n1", connected: true, stamp },
      { type: "kv", namespace: "ns", key: "k", value: null, stamp },
      { type: "topicDelete", topic: "T", clusterName: null, stamp },
      { type: "perm", brokerName: "b", writable: false, stamp },
    ];
    for (const record of records) expect(decodeRecord(record, "r")).toEqual(record);
    const { topics: _topics, ...header } = decodeRegisterBroker(register()).registration;
    const instance = { type: "instance", brokerKey: "C@10.0.0.1:10911", session: 0, origin: "native", header, stamp };
    expect(decodeRecord(instance, "r")).toEqual(instance);
    expect(refusal(() => decodeRecord({ ...instance, brokerKey: "Other@10.0.0.1:10911" }, "r"))).toContain("'r.brokerKey'");
    const config = { topicName: "%RETRY%g+T", readQueueNums: 2048, writeQueueNums: 2048, perm: 6, topicSysFlag: 0, order: false };
    const dataVersion = { timestamp: 1, counter: 2, stateVersion: 0 };
    const topicRecord = { type: "topic", brokerKey: "C@h:1", topicName: config.topicName, session: 2, dataVersion, config, stamp };
    expect(decodeRecord(topicRecord, "r")).toEqual(topicRecord);
    expect(decodeRecord({ ...topicRecord, config: null }, "r")).toEqual({ ...topicRecord, config: null });
    expect(refusal(() => decodeRecord({ ...topicRecord, topicName: "Other" }, "r"))).toContain("'r.config.topicName'");
    expect(refusal(() => decodeRecord({ type: "bogus" }, "r"))).toContain("'r.type'");
    expect(refusal(() => decodeRecord({ ...records[0], alive: true }, "r"))).toContain("'r.reason'");
    expect(decodePeerDeltas({ records, repair: true }).records).toHaveLength(records.length);
  });

  it("messages: peer deltas carry an optional leaving flag, false when absent, a boolean when present", () => {
    expect(decodePeerDeltas({ records: [], repair: false }).leaving).toBe(false);
    expect(decodePeerDeltas({ records: [], repair: false, leaving: true }).leaving).toBe(true);
    expect(refusal(() => decodePeerDeltas({ records: [], repair: false, leaving: "yes" }))).toContain("'leaving' must be a boolean, got 'yes'");
  });

  it("messages: summaries carry four uint32 per entry and wants two, over valid buckets", () => {
    expect(decodePeerSummary({ buckets: [0, 255], entries: [[1, 2, 3, 4]] }).entries).toEqual([[1, 2, 3, 4]]);
    expect(refusal(() => decodePeerSummary({ buckets: [0], entries: [[1, 2, 3]] }))).toContain("'entries[0]'");
    expect(refusal(() => decodePeerSummary({ buckets: [256], entries: [] }))).toContain("'buckets[0]'");
    expect(refusal(() => decodePeerSummary({ buckets: [0], entries: [[1, 2, 3, -4]] }))).toContain("four uint32");
    expect(decodePeerWant({ buckets: [3], ids: [[7, 8]] }).ids).toEqual([[7, 8]]);
    expect(refusal(() => decodePeerWant({ buckets: [3], ids: [[7, 8, 9]] }))).toContain("'ids[0]'");
    const tooMany = Array.from({ length: WANT_IDS_PER_FRAME_MAX + 1 }, () => [0, 0]);
    expect(refusal(() => decodePeerWant({ buckets: [], ids: tooMany }))).toContain("'ids'");
  });

  it("messages: digests carry every bucket, or none with a root; pulls name valid buckets", () => {
    const buckets = Array.from({ length: DIGEST_BUCKETS }, () => [0, 0]);
    expect(decodePeerDigest({ buckets, members: ["h:1"], ready: true }).buckets).toHaveLength(DIGEST_BUCKETS);
    expect(decodePeerDigest({ buckets, members: [] }).root).toBeNull();
    expect(refusal(() => decodePeerDigest({ buckets: buckets.slice(1), members: [] }))).toContain("'buckets'");
    const rootOnly = decodePeerDigest({ buckets: [], root: [1, 0xffff_ffff], members: [], ready: true });
    expect(rootOnly).toEqual({ buckets: [], root: [1, 0xffff_ffff], members: [], ready: true });
    expect(refusal(() => decodePeerDigest({ buckets: [], members: [] }))).toContain("'buckets'");
    expect(refusal(() => decodePeerDigest({ buckets: [], root: [1, -1], members: [] }))).toContain("'root'");
    expect(refusal(() => decodePeerPull({ buckets: [DIGEST_BUCKETS], members: [] }))).toContain("'buckets[0]'");
  });
});

const heardBody = () => ({
  gen: 1_700_000_000_000,
  base: 2,
  keys: ["DefaultCluster@10.0.0.3:10911"],
  ack: { gen: 42, count: 7 },
  groups: [{ hops: 0, ageMs: 1_200, bitmap: encodeBitmap([0, 2, 9]) }],
});

describe("PEER_HEARD", () => {
  it("heard: a body through the real frame codec decodes to what was sent, bitmap as bytes", () => {
    const bytes = encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code: RequestCode.PEER_HEARD, id: 0, body: heardBody() });
    const heard = decodePeerHeard(decodeFrame(bytes).body);
    expect({ ...heard, groups: heard.groups.map((group) => ({ ...group, bitmap: bitmapIndexes(group.bitmap) })) }).toEqual({
      ...heardBody(),
      groups: [{ hops: 0, ageMs: 1_200, bitmap: [0, 2, 9] }],
    });
    // 1,000 brokers vouched for in one group cost 125 bytes of bitmap.
    expect(encodeBitmap(Array.from({ length: 1_000 }, (_, index) => index)).length).toBe(125);
    expect(decodePeerHeard({ ...heardBody(), ack: null }).ack).toBeNull();
  });

  it("heard: a bitmap names exactly the indexes it was made of", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: EVIDENCE_TABLE_MAX - 1 }), { maxLength: 300 }), (indexes) => {
        expect(bitmapIndexes(encodeBitmap(indexes))).toEqual([...indexes].sort((a, b) => a - b));
      }),
    );
    expect(encodeBitmap([]).length).toBe(0);
  });

  it("heard: every field out of bounds is refused, naming it", () => {
    expect(refusal(() => decodePeerHeard({ ...heardBody(), gen: -1 }))).toContain("'gen'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), base: EVIDENCE_TABLE_MAX + 1 }))).toContain("'base'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), keys: ["no-at-sign"] }))).toContain("'keys[0]'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), keys: [7] }))).toContain("'keys[0]'");
    const full = { ...heardBody(), base: EVIDENCE_TABLE_MAX - 1, keys: ["C@h:1", "C@h:2"] };
    expect(refusal(() => decodePeerHeard(full))).toContain("'keys'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), ack: { gen: 1, count: EVIDENCE_TABLE_MAX + 1 } }))).toContain("'count'");
    const group = heardBody().groups[0];
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: [{ ...group, hops: EVIDENCE_RELAY_HOPS_MAX + 1 }] }))).toContain("'hops'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: [{ ...group, ageMs: BROKER_EXPIRY_MS_MAX + 1 }] }))).toContain("'ageMs'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: [{ ...group, bitmap: [1, 2] }] }))).toContain("'groups[0].bitmap'");
    const huge = new Uint8Array(Math.ceil(EVIDENCE_TABLE_MAX / 8) + 1);
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: [{ ...group, bitmap: huge }] }))).toContain("'groups[0].bitmap'");
    const many = Array.from({ length: EVIDENCE_GROUPS_PER_FRAME_MAX + 1 }, () => group);
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: many }))).toContain("'groups'");
    expect(refusal(() => decodePeerHeard({ ...heardBody(), groups: [[0, 0, group?.bitmap]] }))).toContain("'groups[0]'");
  });
});

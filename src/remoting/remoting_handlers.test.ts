// Goal: every remoting request code maps onto the core as the Java NameServer answers it.
// Method: drive handleRemotingRequest with codec-built commands against a real NameServerNode
// on fixed time; assert response codes, exact remarks, ext fields, bodies and resulting state.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode, defaultNodeOptions, type NodeOptions } from "../core/node.js";
import { localConfig } from "../config/config.js";
import { KvNotDurableError } from "../errors.js";
import { KV_VALUE_CHARS_MAX } from "../limits.js";
import * as rm from "../protocol/remoting/index.js";
import { NamesrvProperties, initialNamesrvProperties } from "./namesrv_properties.js";
import { type RemotingRequestContext, handleRemotingRequest } from "./remoting_handlers.js";

const NOW_MS = 1_700_000_000_000;

type Command = Partial<rm.RemotingCommand> & { code: number };

interface Harness {
  node: NameServerNode;
  lines: string[];
  /** A request answered at once. */
  send(cmd: Command, connId?: number): rm.ResponseSpec;
  /** A KV write, answered once durable. */
  write(cmd: Command): Promise<rm.ResponseSpec>;
  /** What the next KV writes' durability gives: null = durable. */
  durability: { failWith: Error | null };
}

function harness(overrides: Partial<NodeOptions> = {}): Harness {
  const node = new NameServerNode({ ...defaultNodeOptions("n1"), ...overrides }, new SeededRng(7), NOW_MS);
  const lines: string[] = [];
  const log = { debug: () => undefined, info: (_f: object, m: string) => lines.push(m), warn: (_f: object, m: string) => lines.push(m) };
  const properties = new NamesrvProperties(initialNamesrvProperties(localConfig(), 9876));
  const durability: { failWith: Error | null } = { failWith: null };
  const run = <T>(call: (nowMs: number) => T): T => call(NOW_MS);
  const writeKv = async (call: (nowMs: number) => void): Promise<void> => {
    run(call);
    if (durability.failWith) throw durability.failWith;
  };
  const core = { node, run, writeKv };
  const handle = (cmd: Command, connId: number): rm.ResponseSpec | Promise<rm.ResponseSpec> => {
    const context: RemotingRequestContext = { core, connId, properties, log };
    const full: rm.RemotingCommand = {
      language: rm.LanguageCode.JAVA,
      version: rm.MQVersion.CURRENT,
      opaque: 1,
      flag: 0,
      extFields: {},
      serializeType: rm.SerializeType.JSON,
      ...cmd,
    };
    return handleRemotingRequest(context, full);
  };
  return {
    node,
    lines,
    durability,
    send(cmd, connId = 1) {
      const spec = handle(cmd, connId);
      if (spec instanceof Promise) throw new Error(`code ${cmd.code} answers once durable: use write()`);
      return spec;
    },
    write(cmd) {
      const spec = handle(cmd, 1);
      if (!(spec instanceof Promise)) throw new Error(`code ${cmd.code} answers at once: use send()`);
      return spec;
    },
  };
}

function topic(name: string, overrides: Partial<rm.TopicConfig> = {}): rm.TopicConfig {
  return {
    topicName: name,
    readQueueNums: 8,
    writeQueueNums: 8,
    perm: 6,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
    attributes: new Map(),
    ...overrides,
  };
}

function body(topics: rm.TopicConfig[], counter = 1): rm.RegisterBrokerBody {
  return {
    topicConfigSerializeWrapper: {
      topicConfigTable: new Map(topics.map((t) => [t.topicName, t])),
      dataVersion: { counter, stateVersion: 0, timestamp: 1000 },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  };
}

function brokerExt(brokerId = 0, addr = "10.0.0.1:10911", name = "broker-a"): Record<string, string> {
  return { brokerName: name, brokerAddr: addr, clusterName: "DefaultCluster", haServerAddr: "10.0.0.1:10912", brokerId: String(brokerId) };
}

function register(h: Harness, topics: rm.TopicConfig[], ext: Record<string, string> = brokerExt(), counter = 1): rm.ResponseSpec {
  const bytes = rm.encodeRegisterBrokerBody(body(topics, counter));
  return h.send({ code: 103, extFields: { ...ext, bodyCrc32: String(rm.bodyCrc32(bytes)) }, body: bytes });
}

function route(h: Harness, name: string, version: number = rm.MQVersion.CURRENT, ext: Record<string, string> = {}): rm.ResponseSpec {
  return h.send({ code: 105, version, extFields: { topic: name, ...ext } });
}

/** The auto-create template topic: real brokers always register it, and RocketMQ refuses a
 * first registration of exactly one topic (ROCKETMQ.md §4.3 step 7), so tests register two. */
const TEMPLATE = topic("TBW102");

const NOT_EXIST_REMARK =
  "No topic route info in name server for the topic: Nope\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.";

describe("remoting_handlers", () => {
  it("remoting_handlers: a JSON registration makes routes; standard JSON for 5.x, bare keys below 401", () => {
    const h = harness();
    expect(register(h, [topic("TopicTest"), TEMPLATE]).code).toBe(0);
    const modern = route(h, "TopicTest");
    expect(modern.code).toBe(0);
    const text = modern.body?.toString("utf8") ?? "";
    expect(text).toContain('"brokerAddrs":{"0":"10.0.0.1:10911"}');
    const decoded = rm.decodeTopicRouteData(modern.body);
    expect(decoded.queueDatas).toEqual([{ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }]);
    const legacy = route(h, "TopicTest", 399);
    expect(legacy.body?.toString("utf8")).toContain('"brokerAddrs":{0:"10.0.0.1:10911"}');
    expect(route(h, "TopicTest", 399, { acceptStandardJsonOnly: "true" }).body?.toString("utf8")).toContain('{"0":');
  });

  it("remoting_handlers: a compressed 4.x body (version < 413) registers its topics", () => {
    const h = harness();
    const bytes = rm.encodeCompressedRegisterBrokerBody(body([TEMPLATE, topic("Compressed", { readQueueNums: 4, writeQueueNums: 4 })]), 399);
    const reply = h.send({ code: 103, version: 399, extFields: { ...brokerExt(), compressed: "true", bodyCrc32: String(rm.bodyCrc32(bytes)) }, body: bytes });
    expect(reply.code).toBe(0);
    expect(h.node.findRoute("Compressed")?.queueDatas[0]?.readQueueNums).toBe(4);
  });

  it("remoting_handlers: crc mismatch, bad heartbeatTimeoutMillis and bad topics change nothing", () => {
    const h = harness();
    const bytes = rm.encodeRegisterBrokerBody(body([topic("T1")]));
    const crc = h.send({ code: 103, extFields: { ...brokerExt(), bodyCrc32: String((rm.bodyCrc32(bytes) + 1) & 0x7fffffff) }, body: bytes });
    expect(crc).toEqual({ code: 1, remark: "crc32 not match" });
    const timeout = h.send({ code: 103, extFields: { ...brokerExt(), heartbeatTimeoutMillis: "10" }, body: bytes });
    expect(timeout.code).toBe(1);
    expect(timeout.remark).toContain("'heartbeatTimeoutMillis' must be an integer in 500..3600000, got 10");
    const missing = h.send({ code: 103, extFields: { brokerName: "b" }, body: bytes });
    expect(missing.code).toBe(1);
    expect(missing.remark).toContain("the custom field <brokerAddr> is null");
    expect(h.node.getTopics(null)).toEqual([]);
    expect(h.node.getClusterInfo().clusterAddrTable).toEqual({});
  });

  it("remoting_handlers: a bad topic is skipped, counted and logged once; the rest of the registration applies", () => {
    const h = harness();
    const reply = register(h, [topic("bad topic"), topic("T2", { perm: 99 }), topic("Good"), TEMPLATE]);
    expect(reply.code).toBe(0);
    expect(h.node.getTopics(null)).toEqual(["Good", "TBW102"]);
    expect(h.node.counters.topicsSkipped.malformed).toBe(2);
    register(h, [topic("bad topic"), topic("Good"), TEMPLATE], brokerExt(), 2);
    expect(h.node.counters.topicsSkipped.malformed).toBe(3);
    const effects = h.node.takeEffects().filter((e) => e.kind === "log" && e.msg === "registration topics skipped");
    expect(effects).toHaveLength(1);
  });

  it("remoting_handlers: an incremental registration adds its topic; the next full one removes nothing", () => {
    const h = harness();
    expect(register(h, [topic("A"), topic("B"), TEMPLATE], brokerExt(), 1).code).toBe(0);
    expect(register(h, [topic("D")], brokerExt(), 2).code).toBe(0);
    expect(register(h, [topic("A"), topic("B"), topic("D"), TEMPLATE], brokerExt(), 2).code).toBe(0);
    expect(h.node.getTopics(null)).toEqual(["A", "B", "D", "TBW102"]);
    for (const name of ["A", "B", "D", "TBW102"]) expect(route(h, name).code).toBe(0);
  });

  it("remoting_handlers: with deleteTopicWithBrokerRegistration set by UPDATE_NAMESRV_CONFIG a registration prunes the broker's other topics", () => {
    const h = harness();
    register(h, [topic("A"), topic("B"), TEMPLATE], brokerExt(), 1);
    expect(h.send({ code: 318, body: Buffer.from("deleteTopicWithBrokerRegistration=true\n") }).code).toBe(0);
    register(h, [topic("A"), TEMPLATE], brokerExt(), 2);
    expect(h.node.getTopics(null)).toEqual(["A", "TBW102"]);
  });

  it("remoting_handlers: a first registration of exactly one topic gets Java's 'register broker failed'", () => {
    const h = harness();
    expect(register(h, [topic("Only")])).toEqual({ code: 1, remark: "register broker failed" });
    expect(h.node.getTopics(null)).toEqual([]);
  });
  it("remoting_handlers: a declared heartbeatTimeoutMillis within bounds is accepted", () => {
    const h = harness();
    expect(register(h, [topic("T"), TEMPLATE], { ...brokerExt(), heartbeatTimeoutMillis: "10000", enableActingMaster: "true" }).code).toBe(0);
    expect(h.node.getClusterInfo().brokerAddrTable["broker-a"]?.enableActingMaster).toBe(true);
  });

  it("remoting_handlers: TOPIC_NOT_EXIST carries Java's exact remark", () => {
    expect(route(harness(), "Nope")).toEqual({ code: 17, remark: NOT_EXIST_REMARK });
  });

  it("remoting_handlers: a node that is not ready answers SYSTEM_BUSY 'name server not ready...', never TOPIC_NOT_EXIST", () => {
    const h = harness({ peersConfigured: true, startupGraceMs: 60_000 });
    expect(h.node.isReady()).toBe(false);
    const answer = route(h, "Nope");
    expect(answer.code).toBe(2);
    expect(answer.remark).toMatch(/^name server not ready/);
  });

  it("remoting_handlers: QUERY_DATA_VERSION tells changed and returns the stored version", () => {
    const h = harness();
    const ext = { brokerName: "broker-a", brokerAddr: "10.0.0.1:10911", clusterName: "DefaultCluster", brokerId: "0" };
    const unknown = h.send({ code: 322, extFields: ext, body: rm.encodeDataVersion({ counter: 1, stateVersion: 0, timestamp: 1000 }) });
    expect(unknown.extFields).toEqual({ changed: "true" });
    expect(unknown.body).toBeUndefined();
    register(h, [topic("T"), TEMPLATE]);
    const same = h.send({ code: 322, extFields: ext, body: rm.encodeDataVersion({ counter: 1, stateVersion: 0, timestamp: 1000 }) });
    expect(same.extFields).toEqual({ changed: "false" });
    expect(rm.decodeDataVersion(same.body)).toEqual({ counter: 1, stateVersion: 0, timestamp: 1000 });
    const newer = h.send({ code: 322, extFields: ext, body: rm.encodeDataVersion({ counter: 2, stateVersion: 0, timestamp: 1000 }) });
    expect(newer.extFields).toEqual({ changed: "true" });
  });

  it("remoting_handlers: BROKER_HEARTBEAT never creates a registration; UNREGISTER removes the route", () => {
    const h = harness();
    const hb = { clusterName: "DefaultCluster", brokerAddr: "10.0.0.1:10911", brokerName: "broker-a" };
    expect(h.send({ code: 904, extFields: hb }).code).toBe(0);
    expect(h.node.brokerCounts().tracked).toBe(0);
    register(h, [topic("T"), TEMPLATE]);
    expect(h.send({ code: 904, extFields: hb }).code).toBe(0);
    expect(h.send({ code: 104, extFields: { ...hb, brokerId: "0" } }).code).toBe(0);
    expect(route(h, "T").code).toBe(17);
    expect(h.node.getClusterInfo().brokerAddrTable).toEqual({});
  });

  it("remoting_handlers: a slave learns its master's addresses; ORDER_TOPIC_CONFIG comes back as a KVTable", async () => {
    const h = harness();
    register(h, [topic("T"), TEMPLATE]);
    expect((await h.write({ code: 100, extFields: { namespace: "ORDER_TOPIC_CONFIG", key: "T", value: "broker-a:8" } })).code).toBe(0);
    const slave = register(h, [topic("T"), TEMPLATE], brokerExt(1, "10.0.0.2:10911"));
    expect(slave.extFields).toEqual({ haServerAddr: "10.0.0.1:10912", masterAddr: "10.0.0.1:10911" });
    expect(rm.decodeKVTable(slave.body)).toEqual(new Map([["T", "broker-a:8"]]));
    const cluster = rm.decodeClusterInfo(h.send({ code: 106 }).body);
    expect(cluster.brokerAddrTable.get("broker-a")?.brokerAddrs).toEqual(new Map([[0, "10.0.0.1:10911"], [1, "10.0.0.2:10911"]]));
    const group = rm.decodeBrokerMemberGroup(h.send({ code: 901, extFields: { clusterName: "DefaultCluster", brokerName: "broker-a" } }).body);
    expect(group.brokerAddrs.size).toBe(2);
    const unknownGroup = rm.decodeBrokerMemberGroup(h.send({ code: 901, extFields: { clusterName: "X", brokerName: "none" } }).body);
    expect(unknownGroup).toEqual({ cluster: "X", brokerName: "none", brokerAddrs: new Map() });
  });

  it("remoting_handlers: KV codes with Java's not-found remarks", async () => {
    const h = harness();
    expect(h.send({ code: 101, extFields: { namespace: "ns", key: "k" } })).toEqual({
      code: 22,
      remark: "No config item, Namespace: ns Key: k",
    });
    expect(h.send({ code: 219, extFields: { namespace: "ns" } })).toEqual({ code: 22, remark: "No config item, Namespace: ns" });
    await h.write({ code: 100, extFields: { namespace: "ns", key: "k", value: "v" } });
    expect(h.send({ code: 101, extFields: { namespace: "ns", key: "k" } }).extFields).toEqual({ value: "v" });
    expect(rm.decodeKVTable(h.send({ code: 219, extFields: { namespace: "ns" } }).body)).toEqual(new Map([["k", "v"]]));
    expect((await h.write({ code: 102, extFields: { namespace: "ns", key: "k" } })).code).toBe(0);
    expect((await h.write({ code: 102, extFields: { namespace: "ns", key: "k" } })).code).toBe(0);
    expect(h.send({ code: 101, extFields: { namespace: "ns", key: "k" } }).code).toBe(22);
  });

  it("remoting_handlers: a KV write the disk did not take answers SYSTEM_ERROR with the reason; the value is still served", async () => {
    const h = harness();
    const message = "kv change applied in memory but not durable on this node: writing '/d/kv.json' failed with ENOSPC (no space left on device, write)";
    h.durability.failWith = new KvNotDurableError(message);
    expect(await h.write({ code: 100, extFields: { namespace: "ns", key: "k", value: "v" } })).toEqual({ code: 1, remark: message });
    expect(h.send({ code: 101, extFields: { namespace: "ns", key: "k" } }).extFields).toEqual({ value: "v" });
    expect(await h.write({ code: 102, extFields: { namespace: "ns", key: "k" } })).toEqual({ code: 1, remark: message });
    // Logged once by the KV file, not per request.
    expect(h.lines).not.toContain("remoting request failed");
    // A bad value is refused before anything is applied, at once.
    const tooLong = "v".repeat(KV_VALUE_CHARS_MAX + 1);
    expect(h.send({ code: 100, extFields: { namespace: "ns", key: "k2", value: tooLong } }).code).toBe(1);
    expect(h.send({ code: 101, extFields: { namespace: "ns", key: "k2" } }).code).toBe(22);
  });

  it("remoting_handlers: topic lists, unit flags and the system topic list", () => {
    const h = harness();
    register(h, [topic("Plain"), topic("Unit", { topicSysFlag: 1 }), topic("UnitSub", { topicSysFlag: 2 }), topic("Both", { topicSysFlag: 3 })]);
    const list = (code: number, extFields: Record<string, string> = {}): string[] =>
      rm.decodeTopicList(h.send({ code, extFields }).body).topicList;
    expect(list(206)).toEqual(["Both", "Plain", "Unit", "UnitSub"]);
    expect(list(224, { cluster: "DefaultCluster" })).toEqual(["Both", "Plain", "Unit", "UnitSub"]);
    expect(list(224, { cluster: "Unknown" })).toEqual([]);
    expect(list(311)).toEqual(["Both", "Unit"]);
    expect(list(312)).toEqual(["Both", "UnitSub"]);
    expect(list(313)).toEqual(["UnitSub"]);
    const system = rm.decodeTopicList(h.send({ code: 304 }).body);
    expect(system).toEqual({ topicList: ["DefaultCluster", "broker-a"], brokerAddr: "10.0.0.1:10911" });
  });

  it("remoting_handlers: the whole topic list answered from its kept encoding follows every topic added or deleted", () => {
    const h = harness();
    const all = (): string[] => rm.decodeTopicList(h.send({ code: 206 }).body).topicList;
    register(h, [topic("A"), topic("B")]);
    expect(all()).toEqual(["A", "B"]);
    expect(all()).toEqual(["A", "B"]);
    register(h, [topic("A"), topic("B"), topic("C")], brokerExt(), 2);
    expect(all()).toEqual(["A", "B", "C"]);
    expect(h.send({ code: 216, extFields: { topic: "B" } }).code).toBe(0);
    expect(all()).toEqual(["A", "C"]);
  });

  it("remoting_handlers: wipe and add write perm report counts; delete topic removes the route", () => {
    const h = harness();
    register(h, [topic("A"), topic("B")]);
    expect(h.send({ code: 205, extFields: { brokerName: "broker-a" } }).extFields).toEqual({ wipeTopicCount: "2" });
    expect(h.node.findRoute("A")?.queueDatas[0]?.perm).toBe(4);
    expect(h.send({ code: 327, extFields: { brokerName: "broker-a" } }).extFields).toEqual({ addTopicCount: "2" });
    expect(h.node.findRoute("A")?.queueDatas[0]?.perm).toBe(6);
    expect(h.send({ code: 216, extFields: { topic: "A" } }).code).toBe(0);
    expect(route(h, "A").code).toBe(17);
    expect(route(h, "B").code).toBe(0);
  });

  it("remoting_handlers: REGISTER_TOPIC_IN_NAMESRV stores a topic on a known broker; an unknown one changes nothing", () => {
    const h = harness();
    const queue = { brokerName: "broker-a", readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0 };
    const routeBody = (queues: rm.QueueData[]): Buffer =>
      rm.encodeTopicRouteData({ queueDatas: queues, brokerDatas: [], filterServerTable: new Map() }, "legacy");
    expect(h.send({ code: 217, extFields: { topic: "New" }, body: routeBody([queue]) }).code).toBe(0);
    expect(h.node.getTopics(null)).toEqual([]);
    expect(h.node.counters.topicsSkipped.unknownBroker).toBe(1);
    register(h, [topic("A"), TEMPLATE]);
    expect(h.send({ code: 217, extFields: { topic: "New" }, body: routeBody([queue]) }).code).toBe(0);
    expect(rm.decodeTopicRouteData(route(h, "New").body).queueDatas).toEqual([queue]);
    const bad = h.send({ code: 217, extFields: { topic: "Bad" }, body: routeBody([{ ...queue, readQueueNums: -1 }]) });
    expect(bad.code).toBe(0);
    expect(route(h, "Bad").code).toBe(17);
    expect(h.node.counters.topicsSkipped.malformed).toBe(1);
  });

  it("remoting_handlers: namesrv config is sorted, guarded by the black list, and switches topic lists", () => {
    const h = harness();
    const text = h.send({ code: 319 }).body?.toString("utf8") ?? "";
    const keys = text.trim().split("\n").map((line) => line.split("=")[0] ?? "");
    expect(keys).toEqual([...keys].sort());
    expect(keys).toContain("enableAllTopicList");
    expect(h.send({ code: 318, body: Buffer.from("kvConfigPath=/tmp/x\n") })).toEqual({
      code: 16,
      remark: "Can not update config in black list.",
    });
    expect(h.send({ code: 318, body: Buffer.from("enableAllTopicList=false\nunknownKey=1\n") }).code).toBe(0);
    expect(h.send({ code: 206 })).toEqual({ code: 1, remark: "disable" });
    expect(h.send({ code: 319 }).body?.toString("utf8")).not.toContain("unknownKey");
  });

  it("remoting_handlers: zone mode keeps only brokers of the caller's zone, re-encoded legacy", () => {
    const h = harness();
    register(h, [topic("Z"), TEMPLATE], { ...brokerExt(0, "10.0.0.1:10911", "broker-a"), __ZONE_NAME: "zone-a" });
    register(h, [topic("Z"), TEMPLATE], { ...brokerExt(0, "10.0.0.3:10911", "broker-b"), __ZONE_NAME: "zone-b" });
    const all = rm.decodeTopicRouteData(route(h, "Z").body);
    expect(all.brokerDatas.map((b) => b.brokerName).sort()).toEqual(["broker-a", "broker-b"]);
    const zoned = route(h, "Z", rm.MQVersion.CURRENT, { __ZONE_MODE: "true", __ZONE_NAME: "ZONE-A" });
    expect(zoned.body?.toString("utf8")).toContain("{0:");
    const filtered = rm.decodeTopicRouteData(zoned.body);
    expect(filtered.brokerDatas.map((b) => b.brokerName)).toEqual(["broker-a"]);
    expect(filtered.queueDatas.map((q) => q.brokerName)).toEqual(["broker-a"]);
  });

  it("remoting_handlers: unknown codes get REQUEST_CODE_NOT_SUPPORTED with Java's remark", () => {
    expect(harness().send({ code: 9999 })).toEqual({ code: 3, remark: " request type 9999 not supported" });
  });
});

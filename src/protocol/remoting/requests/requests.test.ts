// Goal: every request code of ROCKETMQ.md §2.1 decodes its header from extFields, a missing
// required field gives Java's SYSTEM_ERROR remark, unknown codes give REQUEST_CODE_NOT_SUPPORTED,
// and response helpers carry the exact §2.1 remarks. Method: one table row per code.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeTopicRouteData } from "../bodies.js";
import { LanguageCode, ResponseCode, SerializeType } from "../codes.js";
import { bodyCrc32 } from "../crc32.js";
import { type RemotingCommand, decodeCommand, encodeCommand } from "../frame.js";
import { buildResponse } from "../response.js";
import {
  REQUEST_DECODERS,
  decodeNamesrvRequest,
  findBlacklistedKey,
  getKvConfigNotFound,
  getKvListByNamespaceNotFound,
  getRouteInfoByTopicNotExist,
  getRouteInfoByTopicSuccess,
  getTopicsByClusterDisabled,
  missingFieldRemark,
  queryDataVersionSuccess,
  registerBrokerSuccess,
  routeJsonMode,
  updateNamesrvConfigBlacklisted,
  wipeWritePermOfBrokerSuccess,
} from "./index.js";

function request(code: number, extFields: Record<string, string> = {}, body?: Buffer, version = 479): RemotingCommand {
  const cmd: RemotingCommand = { code, language: LanguageCode.JAVA, version, opaque: 42, flag: 0, extFields, serializeType: SerializeType.JSON };
  if (body !== undefined) cmd.body = body;
  return cmd;
}

const broker = { brokerName: "broker-a", brokerAddr: "10.0.0.1:10911", clusterName: "DefaultCluster" };

interface Row {
  code: number;
  kind: string;
  ext: Record<string, string>;
  required: string[];
  body?: Buffer;
  header: Record<string, unknown>;
}

const rows: Row[] = [
  { code: 100, kind: "putKvConfig", ext: { namespace: "ns", key: "k", value: "v" }, required: ["namespace", "key", "value"], header: { namespace: "ns", key: "k", value: "v" } },
  { code: 101, kind: "getKvConfig", ext: { namespace: "ns", key: "k" }, required: ["namespace", "key"], header: { namespace: "ns", key: "k" } },
  { code: 102, kind: "deleteKvConfig", ext: { namespace: "ns", key: "k" }, required: ["namespace", "key"], header: { namespace: "ns", key: "k" } },
  {
    code: 103,
    kind: "registerBroker",
    ext: { ...broker, haServerAddr: "10.0.0.1:10912", brokerId: "0", heartbeatTimeoutMillis: "10000", enableActingMaster: "TRUE", compressed: "false", bodyCrc32: "0", __ZONE_NAME: "z1" },
    required: ["brokerName", "brokerAddr", "clusterName", "haServerAddr", "brokerId"],
    header: { ...broker, haServerAddr: "10.0.0.1:10912", brokerId: 0, heartbeatTimeoutMillis: 10000, enableActingMaster: true, compressed: false, bodyCrc32: 0, zoneName: "z1" },
  },
  { code: 104, kind: "unregisterBroker", ext: { ...broker, brokerId: "1" }, required: ["brokerName", "brokerAddr", "clusterName", "brokerId"], header: { ...broker, brokerId: 1 } },
  {
    code: 105,
    kind: "getRouteInfoByTopic",
    ext: { topic: "TopicTest", acceptStandardJsonOnly: "true", lo: "false", __ZONE_MODE: "true", __ZONE_NAME: "z1" },
    required: ["topic"],
    header: { topic: "TopicTest", acceptStandardJsonOnly: true, zoneMode: true, zoneName: "z1" },
  },
  { code: 106, kind: "getBrokerClusterInfo", ext: {}, required: [], header: {} },
  { code: 205, kind: "wipeWritePermOfBroker", ext: { brokerName: "b" }, required: ["brokerName"], header: { brokerName: "b" } },
  { code: 206, kind: "getAllTopicListFromNameserver", ext: {}, required: [], header: {} },
  { code: 216, kind: "deleteTopicInNamesrv", ext: { topic: "t", clusterName: "c" }, required: ["topic"], header: { topic: "t", clusterName: "c" } },
  { code: 217, kind: "registerTopicInNamesrv", ext: { topic: "t" }, required: ["topic"], header: { topic: "t" } },
  { code: 219, kind: "getKvListByNamespace", ext: { namespace: "ns" }, required: ["namespace"], header: { namespace: "ns" } },
  { code: 224, kind: "getTopicsByCluster", ext: { cluster: "c" }, required: ["cluster"], header: { cluster: "c" } },
  { code: 304, kind: "getSystemTopicListFromNs", ext: {}, required: [], header: {} },
  { code: 311, kind: "getUnitTopicList", ext: {}, required: [], header: {} },
  { code: 312, kind: "getHasUnitSubTopicList", ext: {}, required: [], header: {} },
  { code: 313, kind: "getHasUnitSubUnunitTopicList", ext: {}, required: [], header: {} },
  { code: 318, kind: "updateNamesrvConfig", ext: {}, required: [], header: {} },
  { code: 319, kind: "getNamesrvConfig", ext: {}, required: [], header: {} },
  {
    code: 322,
    kind: "queryDataVersion",
    ext: { ...broker, brokerId: "0" },
    required: ["brokerName", "brokerAddr", "clusterName", "brokerId"],
    body: Buffer.from('{"counter":1,"stateVersion":0,"timestamp":5}'),
    header: { ...broker, brokerId: 0 },
  },
  { code: 327, kind: "addWritePermOfBroker", ext: { brokerName: "b" }, required: ["brokerName"], header: { brokerName: "b" } },
  { code: 901, kind: "getBrokerMemberGroup", ext: { clusterName: "c", brokerName: "b" }, required: ["clusterName", "brokerName"], header: { clusterName: "c", brokerName: "b" } },
  {
    code: 904,
    kind: "brokerHeartbeat",
    ext: { ...broker, brokerId: "0", epoch: "2", maxOffset: "100", electionPriority: "x" },
    required: ["clusterName", "brokerAddr", "brokerName"],
    header: { ...broker, brokerId: 0, epoch: 2, maxOffset: 100 },
  },
];

describe("requests: header decoding", () => {
  it("requests: the table covers exactly the codes of §2.1", () => {
    expect([...REQUEST_DECODERS.keys()].sort((a, b) => a - b)).toEqual(rows.map((r) => r.code));
  });
  it.each(rows.map((r) => [r.code, r.kind, r] as const))("requests: %i decodes as %s", (_code, kind, row) => {
    const result = decodeNamesrvRequest(request(row.code, row.ext, row.body));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.kind).toBe(kind);
    expect(result.value.header).toEqual(row.header);
  });
  const missing = rows.flatMap((r) => r.required.map((field) => [r.code, field, r] as const));
  it.each(missing)("requests: %i without %s answers SYSTEM_ERROR with Java's remark", (_code, field, row) => {
    const ext = { ...row.ext };
    delete ext[field];
    const result = decodeNamesrvRequest(request(row.code, ext, row.body));
    expect(result).toEqual({ ok: false, response: { code: ResponseCode.SYSTEM_ERROR, remark: missingFieldRemark(field) } });
  });
  it("requests: the missing-field remark is RemotingCommandException text plus the first frame", () => {
    expect(missingFieldRemark("topic")).toBe(
      "org.apache.rocketmq.remoting.exception.RemotingCommandException: the custom field <topic> is null, " +
        "org.apache.rocketmq.remoting.protocol.RemotingCommand.decodeCommandCustomHeaderDirectly(RemotingCommand.java)",
    );
  });
  it("requests: an unparsable required long answers SYSTEM_ERROR; optional ones keep defaults", () => {
    const bad = decodeNamesrvRequest(request(104, { ...broker, brokerId: "abc" }));
    expect(bad).toEqual({ ok: false, response: { code: 1, remark: "the custom field <brokerId> must be a long within ±(2^53-1), got 'abc'" } });
    const result = decodeNamesrvRequest(request(103, { ...broker, haServerAddr: "h", brokerId: "0", bodyCrc32: "x", compressed: "yes" }));
    expect(result.ok && result.value.header).toMatchObject({ bodyCrc32: 0, compressed: false });
  });
  it("requests: unknown codes answer REQUEST_CODE_NOT_SUPPORTED with the leading-space remark", () => {
    expect(decodeNamesrvRequest(request(999))).toEqual({
      ok: false,
      response: { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark: " request type 999 not supported" },
    });
  });
  it("requests: a header decoded from the binary fixture works like the JSON one", () => {
    const bytes = encodeCommand({ ...request(105, { topic: "TopicTest" }), serializeType: SerializeType.ROCKETMQ });
    const result = decodeNamesrvRequest(decodeCommand(bytes.subarray(4)));
    expect(result.ok && result.value.header).toEqual({ topic: "TopicTest", acceptStandardJsonOnly: false, zoneMode: false });
  });
});

describe("requests: bodies", () => {
  const registerExt = { ...broker, haServerAddr: "h:1", brokerId: "0" };
  const layout = Buffer.concat([
    Buffer.from([0, 0, 0, 2]),
    Buffer.from("{}"),
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([0, 0, 0, 2]),
    Buffer.from("[]"),
    Buffer.from([0, 0, 0, 0]),
  ]);
  it("requests: REGISTER_BROKER checks bodyCrc32 before decoding", () => {
    const body = deflateSync(layout, { level: 9 });
    const good = decodeNamesrvRequest(request(103, { ...registerExt, compressed: "true", bodyCrc32: String(bodyCrc32(body)) }, body));
    expect(good.ok).toBe(true);
    const bad = decodeNamesrvRequest(request(103, { ...registerExt, compressed: "true", bodyCrc32: "12345" }, body));
    expect(bad).toEqual({ ok: false, response: { code: 1, remark: "crc32 not match" } });
  });
  it("requests: REGISTER_BROKER with a malformed body answers SYSTEM_ERROR", () => {
    const result = decodeNamesrvRequest(request(103, registerExt, Buffer.from("{nope")));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.response.code).toBe(1);
  });
  it("requests: UPDATE_NAMESRV_CONFIG parses properties or answers string2Properties error", () => {
    const ok = decodeNamesrvRequest(request(318, {}, Buffer.from("a=1\nkvConfigPath=/x")));
    expect(ok.ok && ok.value.kind === "updateNamesrvConfig" && findBlacklistedKey(ok.value.properties)).toBe("kvConfigPath");
    expect(decodeNamesrvRequest(request(318, {}, Buffer.from("a=\\u00")))).toEqual({
      ok: false,
      response: { code: 1, remark: "string2Properties error" },
    });
    expect(updateNamesrvConfigBlacklisted()).toEqual({ code: 16, remark: "Can not update config in black list." });
  });
  it("requests: REGISTER_TOPIC_IN_NAMESRV reads only queueDatas", () => {
    const body = Buffer.from('{"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"writeQueueNums":1,"topicSysFlag":0}]}');
    const result = decodeNamesrvRequest(request(217, { topic: "t" }, body));
    expect(result.ok && result.value.kind === "registerTopicInNamesrv" && result.value.queueDatas).toHaveLength(1);
  });
  it("requests: QUERY_DATA_VERSION without a body answers SYSTEM_ERROR", () => {
    const result = decodeNamesrvRequest(request(322, { ...broker, brokerId: "0" }));
    expect(result.ok).toBe(false);
  });
});

describe("requests: responses", () => {
  it("requests: §2.1 remarks are exact", () => {
    expect(getKvConfigNotFound({ namespace: "ns", key: "k" }).remark).toBe("No config item, Namespace: ns Key: k");
    expect(getKvListByNamespaceNotFound({ namespace: "ns" })).toEqual({ code: 22, remark: "No config item, Namespace: ns" });
    expect(getRouteInfoByTopicNotExist("T")).toEqual({
      code: 17,
      remark: "No topic route info in name server for the topic: T\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
    });
    expect(getTopicsByClusterDisabled()).toEqual({ code: 1, remark: "disable" });
  });
  it("requests: ext-carrying successes stringify their values", () => {
    expect(wipeWritePermOfBrokerSuccess(3)).toEqual({ code: 0, extFields: { wipeTopicCount: "3" } });
    expect(queryDataVersionSuccess(false)).toEqual({ code: 0, extFields: { changed: "false" } });
    expect(registerBrokerSuccess({ masterAddr: "m:1" })).toEqual({ code: 0, extFields: { masterAddr: "m:1" } });
  });
  it("requests: route answers switch to standard JSON at version 401 or acceptStandardJsonOnly", () => {
    expect(routeJsonMode(400, false)).toBe("legacy");
    expect(routeJsonMode(401, false)).toBe("standard");
    expect(routeJsonMode(37, true)).toBe("standard");
    const route = {
      queueDatas: [],
      brokerDatas: [{ cluster: "c", brokerName: "b", brokerAddrs: new Map([[0, "h:1"]]), enableActingMaster: false }],
      filterServerTable: new Map(),
    };
    const header = { topic: "t", acceptStandardJsonOnly: false, zoneMode: false };
    expect(getRouteInfoByTopicSuccess({ version: 400 }, header, route).body?.toString()).toContain("{0:");
    expect(getRouteInfoByTopicSuccess({ version: 479 }, header, route).body?.toString()).toContain('{"0":');
  });
  it("requests: zone mode keeps masterless and same-zone brokers and re-encodes legacy", () => {
    const route = {
      queueDatas: ["a", "b", "c"].map((n) => ({ brokerName: n, readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0 })),
      brokerDatas: [
        { cluster: "c", brokerName: "a", brokerAddrs: new Map([[0, "a:1"]]), enableActingMaster: false, zoneName: "Z1" },
        { cluster: "c", brokerName: "b", brokerAddrs: new Map([[0, "b:1"]]), enableActingMaster: false, zoneName: "z2" },
        { cluster: "c", brokerName: "c", brokerAddrs: new Map([[1, "c:1"]]), enableActingMaster: false },
      ],
      filterServerTable: new Map([["b:1", ["f"]]]),
    };
    const header = { topic: "t", acceptStandardJsonOnly: true, zoneMode: true, zoneName: "z1" };
    const body = getRouteInfoByTopicSuccess({ version: 479 }, header, route).body;
    expect(body?.toString()).toContain("{0:");
    const decoded = decodeTopicRouteData(body);
    expect(decoded.brokerDatas.map((b) => b.brokerName)).toEqual(["a", "c"]);
    expect(decoded.queueDatas.map((q) => q.brokerName)).toEqual(["a", "c"]);
    expect(decoded.filterServerTable.size).toBe(0);
  });
  it("requests: buildResponse echoes opaque, sets the response flag and answers as JAVA 479", () => {
    const response = buildResponse(request(105, { topic: "t" }), getRouteInfoByTopicNotExist("t"));
    expect(response).toMatchObject({ code: 17, opaque: 42, flag: 1, language: 0, version: 479, serializeType: 0, extFields: {} });
    expect(decodeCommand(encodeCommand(response).subarray(4))).toEqual(response);
  });
});

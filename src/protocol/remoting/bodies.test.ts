// Goal: route and cluster bodies encode exactly as fastjson does (legacy bare integer keys vs
// standard quoted keys) and decode both; decoders name the bad field. Method: §3 golden texts.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../errors.js";
import {
  type TopicRouteData,
  decodeBrokerMemberGroup,
  decodeClusterInfo,
  decodeDataVersion,
  decodeKVTable,
  decodeTopicList,
  decodeTopicRouteData,
  encodeBrokerMemberGroup,
  encodeClusterInfo,
  encodeDataVersion,
  encodeKVTable,
  encodeTopicList,
  encodeTopicRouteData,
} from "./bodies.js";

function fixtureText(name: string): string {
  return readFileSync(new URL(`../../../test/fixtures/protocol/remoting/${name}`, import.meta.url), "utf8");
}

const route: TopicRouteData = {
  queueDatas: [{ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }],
  brokerDatas: [
    {
      cluster: "DefaultCluster",
      brokerName: "broker-a",
      brokerAddrs: new Map([
        [0, "10.0.0.1:10911"],
        [1, "10.0.0.2:10911"],
      ]),
      enableActingMaster: false,
    },
  ],
  filterServerTable: new Map(),
};

describe("bodies: TopicRouteData", () => {
  it("bodies: legacy route encoding matches the §3.1 example (bare integer keys)", () => {
    expect(encodeTopicRouteData(route, "legacy").toString()).toBe(fixtureText("route_legacy.json"));
  });
  it("bodies: standard route encoding quotes the broker ids", () => {
    expect(encodeTopicRouteData(route, "standard").toString()).toBe(fixtureText("route_standard.json"));
  });
  it("bodies: both encodings decode to the same route", () => {
    expect(decodeTopicRouteData(Buffer.from(fixtureText("route_legacy.json")))).toEqual(route);
    expect(decodeTopicRouteData(Buffer.from(fixtureText("route_standard.json")))).toEqual(route);
  });
  it("bodies: optional route parts round-trip (orderTopicConf, zoneName, filter servers, mappings)", () => {
    const full: TopicRouteData = {
      ...route,
      orderTopicConf: "broker-a:8",
      brokerDatas: [{ ...(route.brokerDatas[0] as TopicRouteData["brokerDatas"][0]), zoneName: "z1", enableActingMaster: true }],
      filterServerTable: new Map([["10.0.0.1:10911", ["10.0.0.9:1"]]]),
      topicQueueMappingByBroker: new Map([
        ["broker-a", { topic: "t", scope: "__global__", totalQueues: 4, bname: "broker-a", epoch: 3, dirty: false, currIdMap: new Map([[0, 1]]) }],
      ]),
    };
    const legacy = encodeTopicRouteData(full, "legacy");
    expect(legacy.toString()).toContain('"currIdMap":{0:1}');
    expect(decodeTopicRouteData(legacy)).toEqual(full);
    expect(decodeTopicRouteData(encodeTopicRouteData(full, "standard"))).toEqual(full);
  });
  it("bodies: accepts the pre-4.9 topicSynFlag spelling", () => {
    const text = '{"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"writeQueueNums":1,"topicSynFlag":2}]}';
    expect(decodeTopicRouteData(Buffer.from(text)).queueDatas[0]?.topicSysFlag).toBe(2);
  });
  it.each([
    ["empty body", "", /'TopicRouteData' must not be empty/],
    ["not an object", "[]", /'TopicRouteData' must be a JSON object/],
    ["perm as string", '{"queueDatas":[{"brokerName":"b","perm":"6"}]}', /'TopicRouteData.queueDatas\[0\].perm' must be an int32, got '6'/],
    ["brokerName missing", '{"brokerDatas":[{"cluster":"c"}]}', /brokerDatas\[0\].brokerName' must be a string/],
    ["broker id not a number", '{"brokerDatas":[{"cluster":"c","brokerName":"b","brokerAddrs":{x:"a"}}]}', /brokerAddrs key' must be an integer, got 'x'/],
    ["address not a string", '{"brokerDatas":[{"cluster":"c","brokerName":"b","brokerAddrs":{0:1}}]}', /brokerAddrs.0' must be a string/],
  ])("bodies: rejects %s with InvalidArgumentError naming the field", (_name, text, message) => {
    expect(() => decodeTopicRouteData(Buffer.from(text))).toThrow(InvalidArgumentError);
    expect(() => decodeTopicRouteData(Buffer.from(text))).toThrow(message);
  });
});

describe("bodies: other bodies", () => {
  it("bodies: ClusterInfo is written legacy with unquoted ids and round-trips", () => {
    const info = {
      brokerAddrTable: new Map([["broker-a", route.brokerDatas[0] as TopicRouteData["brokerDatas"][0]]]),
      clusterAddrTable: new Map([["DefaultCluster", ["broker-a"]]]),
    };
    const text = encodeClusterInfo(info).toString();
    expect(text).toBe(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
        '"cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}',
    );
    expect(decodeClusterInfo(Buffer.from(text))).toEqual(info);
  });
  it("bodies: TopicList leaves brokerAddr out when absent", () => {
    expect(encodeTopicList({ topicList: ["A", "B"] }).toString()).toBe('{"topicList":["A","B"]}');
    expect(encodeTopicList({ topicList: [], brokerAddr: "h:1" }).toString()).toBe('{"brokerAddr":"h:1","topicList":[]}');
    expect(decodeTopicList(Buffer.from('{"brokerAddr":"h:1","topicList":["x"]}'))).toEqual({ topicList: ["x"], brokerAddr: "h:1" });
  });
  it("bodies: KVTable and DataVersion round-trip in fastjson form", () => {
    const table = new Map([["k", "v"]]);
    expect(encodeKVTable(table).toString()).toBe('{"table":{"k":"v"}}');
    expect(decodeKVTable(encodeKVTable(table))).toEqual(table);
    const version = { counter: 3, stateVersion: 1, timestamp: 1_700_000_000_000 };
    expect(encodeDataVersion(version).toString()).toBe('{"counter":3,"stateVersion":1,"timestamp":1700000000000}');
    expect(decodeDataVersion(encodeDataVersion(version))).toEqual(version);
    expect(() => decodeDataVersion(Buffer.from('{"counter":1.5}'))).toThrow(/'dataVersion.counter' must be an integer/);
  });
  it("bodies: GetBrokerMemberGroupResponseBody has unquoted ids", () => {
    const group = { cluster: "c", brokerName: "b", brokerAddrs: new Map([[0, "h:1"]]) };
    const text = encodeBrokerMemberGroup(group).toString();
    expect(text).toBe('{"brokerMemberGroup":{"brokerAddrs":{0:"h:1"},"brokerName":"b","cluster":"c"}}');
    expect(decodeBrokerMemberGroup(Buffer.from(text))).toEqual(group);
  });
});

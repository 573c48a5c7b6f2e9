// Typed JSON bodies of the name server (ROCKETMQ.md §3.1-§3.5): TopicRouteData, QueueData,
// BrokerData, TopicQueueMappingInfo, ClusterInfo, TopicList, KVTable, DataVersion and
// GetBrokerMemberGroupResponseBody. Decoders validate; encoders write fastjson's output.
import { InvalidArgumentError } from "../../errors.js";
import { IntKeyMap, type JsonMode, type JsonOut, type JsonValue, StringKeyMap, parseLenientJson, writeJson } from "./json.js";
import {
  asArray,
  asBool,
  asInt,
  asIntKey,
  asLong,
  asObject,
  asString,
  asStringArray,
  asStringMap,
  optString,
} from "./validate.js";

// ---- Shared helpers ---------------------------------------------------------------------------

/** Parses a UTF-8 JSON body leniently; `name` is the body's type, used in error messages. */
export function parseBody(body: Buffer | undefined, name: string): JsonValue {
  if (body === undefined || body.length === 0) throw InvalidArgumentError.format(name, "must not be empty", "");
  return parseLenientJson(body.toString("utf8"), name);
}

function toBuffer(value: JsonOut, mode: JsonMode): Buffer {
  return Buffer.from(writeJson(value, mode), "utf8");
}

function stringMapOut<T>(map: ReadonlyMap<string, T>, convert: (item: T) => JsonOut): StringKeyMap {
  return new StringKeyMap([...map].map(([key, item]) => [key, convert(item)] as const));
}

function intMapFrom(value: JsonValue | undefined, path: string, bits: 32 | 53): Map<number, JsonValue> {
  const map = new Map<number, JsonValue>();
  for (const [key, item] of Object.entries(asObject(value, path))) map.set(asIntKey(key, path, bits), item);
  return map;
}

// ---- DataVersion ------------------------------------------------------------------------------

/** `{"counter":long,"stateVersion":long,"timestamp":long}`; ordered by stateVersion, counter, timestamp. */
export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

/** DataVersion of an empty registration body (ROCKETMQ.md §2.3). */
export const ZERO_DATA_VERSION: Readonly<DataVersion> = Object.freeze({ counter: 0, stateVersion: 0, timestamp: 0 });

/** Reads a DataVersion from parsed JSON; absent fields are 0. */
export function dataVersionFromJson(value: JsonValue | undefined, path = "dataVersion"): DataVersion {
  const o = asObject(value, path);
  return {
    counter: asLong(o["counter"], `${path}.counter`),
    stateVersion: asLong(o["stateVersion"], `${path}.stateVersion`),
    timestamp: asLong(o["timestamp"], `${path}.timestamp`),
  };
}

/** The JSON writer form of a DataVersion. */
export function dataVersionToJson(v: DataVersion): JsonOut {
  return { counter: v.counter, stateVersion: v.stateVersion, timestamp: v.timestamp };
}

/** Decodes a DataVersion body (QUERY_DATA_VERSION request and response). */
export function decodeDataVersion(body: Buffer | undefined): DataVersion {
  return dataVersionFromJson(parseBody(body, "DataVersion"));
}

/** Encodes a DataVersion body. */
export function encodeDataVersion(v: DataVersion): Buffer {
  return toBuffer(dataVersionToJson(v), "legacy");
}

/** DataVersion.equals: all three fields equal. */
export function dataVersionEquals(a: DataVersion, b: DataVersion): boolean {
  return a.counter === b.counter && a.stateVersion === b.stateVersion && a.timestamp === b.timestamp;
}

// ---- QueueData / BrokerData / TopicQueueMappingInfo --------------------------------------------

/** One broker's queues of a topic (§3.2). */
export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** A broker group: id -> address, id 0 = master (§3.3). */
export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: ReadonlyMap<number, string>;
  enableActingMaster: boolean;
  zoneName?: string;
}

/** Static-topic mapping of one broker (§3.7); `currIdMap` is integer-keyed. */
export interface TopicQueueMappingInfo {
  topic?: string;
  scope?: string;
  totalQueues: number;
  bname?: string;
  epoch: number;
  dirty: boolean;
  currIdMap?: ReadonlyMap<number, number>;
}

/** Reads a QueueData. Pre-4.9 senders wrote `topicSynFlag`; it is accepted as a fallback. */
export function queueDataFromJson(value: JsonValue | undefined, path: string): QueueData {
  const o = asObject(value, path);
  const sysFlag = o["topicSysFlag"] ?? o["topicSynFlag"];
  return {
    brokerName: asString(o["brokerName"], `${path}.brokerName`),
    readQueueNums: asInt(o["readQueueNums"], `${path}.readQueueNums`),
    writeQueueNums: asInt(o["writeQueueNums"], `${path}.writeQueueNums`),
    perm: asInt(o["perm"], `${path}.perm`),
    topicSysFlag: asInt(sysFlag, `${path}.topicSysFlag`),
  };
}

/** The JSON writer form of a QueueData (properties alphabetical, as fastjson). */
export function queueDataToJson(q: QueueData): JsonOut {
  return {
    brokerName: q.brokerName,
    perm: q.perm,
    readQueueNums: q.readQueueNums,
    topicSysFlag: q.topicSysFlag,
    writeQueueNums: q.writeQueueNums,
  };
}

function brokerAddrsFromJson(value: JsonValue | undefined, path: string): Map<number, string> {
  const addrs = new Map<number, string>();
  if (value === undefined || value === null) return addrs;
  for (const [id, addr] of intMapFrom(value, path, 53)) {
    if (addr !== null) addrs.set(id, asString(addr, `${path}.${id}`));
  }
  return addrs;
}

/** Reads a BrokerData; 4.x senders omit enableActingMaster (false) and zoneName. */
export function brokerDataFromJson(value: JsonValue | undefined, path: string): BrokerData {
  const o = asObject(value, path);
  const result: BrokerData = {
    cluster: asString(o["cluster"], `${path}.cluster`),
    brokerName: asString(o["brokerName"], `${path}.brokerName`),
    brokerAddrs: brokerAddrsFromJson(o["brokerAddrs"], `${path}.brokerAddrs`),
    enableActingMaster: asBool(o["enableActingMaster"], `${path}.enableActingMaster`),
  };
  const zoneName = optString(o["zoneName"], `${path}.zoneName`);
  if (zoneName !== undefined) result.zoneName = zoneName;
  return result;
}

/** The JSON writer form of a BrokerData: brokerAddrs integer-keyed. */
export function brokerDataToJson(b: BrokerData): JsonOut {
  return {
    brokerAddrs: new IntKeyMap(b.brokerAddrs),
    brokerName: b.brokerName,
    cluster: b.cluster,
    enableActingMaster: b.enableActingMaster,
    zoneName: b.zoneName,
  };
}

/** Reads a TopicQueueMappingInfo (bare or quoted integer keys in currIdMap). */
export function mappingInfoFromJson(value: JsonValue | undefined, path: string): TopicQueueMappingInfo {
  const o = asObject(value, path);
  const result: TopicQueueMappingInfo = {
    totalQueues: asInt(o["totalQueues"], `${path}.totalQueues`),
    epoch: asLong(o["epoch"], `${path}.epoch`),
    dirty: asBool(o["dirty"], `${path}.dirty`),
  };
  const topic = optString(o["topic"], `${path}.topic`);
  const scope = optString(o["scope"], `${path}.scope`);
  const bname = optString(o["bname"], `${path}.bname`);
  if (topic !== undefined) result.topic = topic;
  if (scope !== undefined) result.scope = scope;
  if (bname !== undefined) result.bname = bname;
  const ids = o["currIdMap"];
  if (ids !== undefined && ids !== null) {
    const map = new Map<number, number>();
    for (const [logic, physical] of intMapFrom(ids, `${path}.currIdMap`, 32)) {
      map.set(logic, asInt(physical, `${path}.currIdMap.${logic}`));
    }
    result.currIdMap = map;
  }
  return result;
}

/** The JSON writer form of a TopicQueueMappingInfo. */
export function mappingInfoToJson(m: TopicQueueMappingInfo): JsonOut {
  return {
    bname: m.bname,
    currIdMap: m.currIdMap === undefined ? undefined : new IntKeyMap(m.currIdMap),
    dirty: m.dirty,
    epoch: m.epoch,
    scope: m.scope,
    topic: m.topic,
    totalQueues: m.totalQueues,
  };
}

// ---- TopicRouteData ---------------------------------------------------------------------------

/** Body of a successful GET_ROUTEINFO_BY_TOPIC (§3.1). */
export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  /** brokerAddr -> filter server addresses; normally empty. */
  filterServerTable: ReadonlyMap<string, string[]>;
  /** brokerName -> mapping, static topics only. */
  topicQueueMappingByBroker?: ReadonlyMap<string, TopicQueueMappingInfo>;
}

/** Reads a TopicRouteData from parsed JSON; missing lists are empty. */
export function topicRouteDataFromJson(value: JsonValue | undefined, path = "TopicRouteData"): TopicRouteData {
  const o = asObject(value, path);
  const queues = o["queueDatas"];
  const brokers = o["brokerDatas"];
  const filters = o["filterServerTable"];
  const route: TopicRouteData = {
    queueDatas: queues == null ? [] : asArray(queues, `${path}.queueDatas`).map((q, i) => queueDataFromJson(q, `${path}.queueDatas[${i}]`)),
    brokerDatas: brokers == null ? [] : asArray(brokers, `${path}.brokerDatas`).map((b, i) => brokerDataFromJson(b, `${path}.brokerDatas[${i}]`)),
    filterServerTable: new Map(),
  };
  if (filters != null) {
    const table = new Map<string, string[]>();
    for (const [addr, list] of Object.entries(asObject(filters, `${path}.filterServerTable`))) {
      table.set(addr, asStringArray(list, `${path}.filterServerTable.${addr}`));
    }
    route.filterServerTable = table;
  }
  const orderTopicConf = optString(o["orderTopicConf"], `${path}.orderTopicConf`);
  if (orderTopicConf !== undefined) route.orderTopicConf = orderTopicConf;
  const mappings = o["topicQueueMappingByBroker"];
  if (mappings != null) {
    const table = new Map<string, TopicQueueMappingInfo>();
    for (const [name, info] of Object.entries(asObject(mappings, `${path}.topicQueueMappingByBroker`))) {
      table.set(name, mappingInfoFromJson(info, `${path}.topicQueueMappingByBroker.${name}`));
    }
    route.topicQueueMappingByBroker = table;
  }
  return route;
}

/** The JSON writer form of a TopicRouteData. */
export function topicRouteDataToJson(r: TopicRouteData): JsonOut {
  return {
    brokerDatas: r.brokerDatas.map(brokerDataToJson),
    filterServerTable: stringMapOut(r.filterServerTable, (list) => list),
    orderTopicConf: r.orderTopicConf,
    queueDatas: r.queueDatas.map(queueDataToJson),
    topicQueueMappingByBroker:
      r.topicQueueMappingByBroker === undefined ? undefined : stringMapOut(r.topicQueueMappingByBroker, mappingInfoToJson),
  };
}

/** Decodes a TopicRouteData body (also REGISTER_TOPIC_IN_NAMESRV's request body). */
export function decodeTopicRouteData(body: Buffer | undefined): TopicRouteData {
  return topicRouteDataFromJson(parseBody(body, "TopicRouteData"));
}

/**
 * Encodes a TopicRouteData. Use routeJsonMode() to choose the mode for a GET_ROUTEINFO_BY_TOPIC
 * answer; every other use (zone re-encode included) is `legacy`.
 */
export function encodeTopicRouteData(route: TopicRouteData, mode: JsonMode): Buffer {
  return toBuffer(topicRouteDataToJson(route), mode);
}

// ---- ClusterInfo ------------------------------------------------------------------------------

/** Body of GET_BROKER_CLUSTER_INFO (§3.4). */
export interface ClusterInfo {
  brokerAddrTable: ReadonlyMap<string, BrokerData>;
  clusterAddrTable: ReadonlyMap<string, string[]>;
}

/** Decodes a ClusterInfo body. */
export function decodeClusterInfo(body: Buffer | undefined): ClusterInfo {
  const o = asObject(parseBody(body, "ClusterInfo"), "ClusterInfo");
  const brokers = new Map<string, BrokerData>();
  for (const [name, data] of Object.entries(asObject(o["brokerAddrTable"] ?? {}, "ClusterInfo.brokerAddrTable"))) {
    brokers.set(name, brokerDataFromJson(data, `ClusterInfo.brokerAddrTable.${name}`));
  }
  const clusters = new Map<string, string[]>();
  for (const [name, list] of Object.entries(asObject(o["clusterAddrTable"] ?? {}, "ClusterInfo.clusterAddrTable"))) {
    clusters.set(name, asStringArray(list, `ClusterInfo.clusterAddrTable.${name}`));
  }
  return { brokerAddrTable: brokers, clusterAddrTable: clusters };
}

/** Encodes a ClusterInfo; Java always uses the legacy form here (unquoted broker ids). */
export function encodeClusterInfo(info: ClusterInfo, mode: JsonMode = "legacy"): Buffer {
  return toBuffer(
    {
      brokerAddrTable: stringMapOut(info.brokerAddrTable, brokerDataToJson),
      clusterAddrTable: stringMapOut(info.clusterAddrTable, (names) => names),
    },
    mode,
  );
}

// ---- TopicList / KVTable / GetBrokerMemberGroupResponseBody ------------------------------------

/** `{"brokerAddr":"ip:port"?,"topicList":[...]}` (§3.5). */
export interface TopicList {
  topicList: string[];
  brokerAddr?: string;
}

/** Decodes a TopicList body. */
export function decodeTopicList(body: Buffer | undefined): TopicList {
  const o = asObject(parseBody(body, "TopicList"), "TopicList");
  const list: TopicList = { topicList: o["topicList"] == null ? [] : asStringArray(o["topicList"], "TopicList.topicList") };
  const brokerAddr = optString(o["brokerAddr"], "TopicList.brokerAddr");
  if (brokerAddr !== undefined) list.brokerAddr = brokerAddr;
  return list;
}

/** Encodes a TopicList (brokerAddr left out when absent). */
export function encodeTopicList(list: TopicList): Buffer {
  return toBuffer({ brokerAddr: list.brokerAddr, topicList: list.topicList }, "legacy");
}

/** `{"table":{"k":"v"}}` (§3.5). */
export type KVTable = ReadonlyMap<string, string>;

/** Decodes a KVTable body into its map. */
export function decodeKVTable(body: Buffer | undefined): KVTable {
  const o = asObject(parseBody(body, "KVTable"), "KVTable");
  return o["table"] == null ? new Map() : asStringMap(o["table"], "KVTable.table");
}

/** Encodes a KVTable body. */
export function encodeKVTable(table: KVTable): Buffer {
  return toBuffer({ table: stringMapOut(table, (v) => v) }, "legacy");
}

/** BrokerMemberGroup inside GetBrokerMemberGroupResponseBody. */
export interface BrokerMemberGroup {
  cluster: string;
  brokerName: string;
  brokerAddrs: ReadonlyMap<number, string>;
}

/** Decodes `{"brokerMemberGroup":{"brokerAddrs":{0:"..."},"brokerName":"...","cluster":"..."}}`. */
export function decodeBrokerMemberGroup(body: Buffer | undefined): BrokerMemberGroup {
  const root = asObject(parseBody(body, "GetBrokerMemberGroupResponseBody"), "GetBrokerMemberGroupResponseBody");
  const path = "GetBrokerMemberGroupResponseBody.brokerMemberGroup";
  const o = asObject(root["brokerMemberGroup"], path);
  return {
    cluster: asString(o["cluster"], `${path}.cluster`),
    brokerName: asString(o["brokerName"], `${path}.brokerName`),
    brokerAddrs: brokerAddrsFromJson(o["brokerAddrs"], `${path}.brokerAddrs`),
  };
}

/** Encodes a GetBrokerMemberGroupResponseBody (legacy: unquoted broker ids). */
export function encodeBrokerMemberGroup(group: BrokerMemberGroup): Buffer {
  return toBuffer(
    {
      brokerMemberGroup: {
        brokerAddrs: new IntKeyMap(group.brokerAddrs),
        brokerName: group.brokerName,
        cluster: group.cluster,
      },
    },
    "legacy",
  );
}

// Pure conversions between the remoting codec's shapes and the core's: a REGISTER_BROKER request
// becomes a validated BrokerRegistration; core routes and cluster info become codec bodies.
// Imports core types, limits, validators and the codec; no I/O.
import { InvalidArgumentError } from "../errors.js";
import {
  BROKER_EXPIRY_MS_MAX,
  BROKER_EXPIRY_MS_MIN,
  ADDR_CHARS_MAX,
  NAME_CHARS_MAX,
  QUEUE_NUMS_MAX,
  TOPICS_PER_BROKER_MAX,
} from "../limits.js";
import type * as core from "../core/types.js";
import { PERM_VALUE_LIMIT } from "../core/types.js";
import type * as wire from "../protocol/remoting/index.js";
import { checkAddr, checkName, checkTopic } from "../protocol/validate.js";

/** Largest broker id we accept: RocketMQ ids are small; int32 keeps them exact everywhere. */
const BROKER_ID_MAX = 0x7fff_ffff;
/** Largest topicSysFlag: an int32 bit set. */
const TOPIC_SYS_FLAG_MAX = 0x7fff_ffff;

function intIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw InvalidArgumentError.format(field, `must be an integer in ${min}..${max}`, value);
  }
  return value;
}

function textUpTo(field: string, value: string, charsMax: number): string {
  if (value.length > charsMax) throw InvalidArgumentError.format(field, `must be at most ${charsMax} chars`, value);
  return value;
}

/** Validates one TopicConfig of a registration body and keeps the fields the core uses. */
export function topicOf(topic: wire.TopicConfig, path: string): core.TopicConfig {
  return {
    topicName: checkTopic(`${path}.topicName`, topic.topicName),
    readQueueNums: intIn(`${path}.readQueueNums`, topic.readQueueNums, 0, QUEUE_NUMS_MAX),
    writeQueueNums: intIn(`${path}.writeQueueNums`, topic.writeQueueNums, 0, QUEUE_NUMS_MAX),
    perm: intIn(`${path}.perm`, topic.perm, 0, PERM_VALUE_LIMIT - 1),
    topicSysFlag: intIn(`${path}.topicSysFlag`, topic.topicSysFlag, 0, TOPIC_SYS_FLAG_MAX),
    order: topic.order,
  };
}

/**
 * Builds the core registration from a decoded REGISTER_BROKER: header fields, the zone from
 * `__ZONE_NAME`, the declared heartbeat timeout (within BROKER_EXPIRY_MS_MIN..MAX) and every
 * topic of topicConfigTable. Static-topic mappings and filter servers are not kept.
 * @throws InvalidArgumentError naming the first field that breaks a rule.
 */
export function registrationOf(request: wire.RegisterBrokerRequest): core.BrokerRegistration {
  const h = request.header;
  const wrapper = request.body.topicConfigSerializeWrapper;
  if (wrapper.topicConfigTable.size > TOPICS_PER_BROKER_MAX) {
    throw InvalidArgumentError.format("topicConfigTable", `must have at most ${TOPICS_PER_BROKER_MAX} topics`, wrapper.topicConfigTable.size);
  }
  const topics: core.TopicConfig[] = [];
  for (const [key, topic] of wrapper.topicConfigTable) topics.push(topicOf(topic, `topicConfigTable.${key}`));
  const timeout = h.heartbeatTimeoutMillis;
  const dv = wrapper.dataVersion;
  return {
    clusterName: checkName("clusterName", h.clusterName),
    brokerAddr: checkAddr("brokerAddr", h.brokerAddr),
    brokerName: checkName("brokerName", h.brokerName),
    brokerId: intIn("brokerId", h.brokerId, 0, BROKER_ID_MAX),
    haServerAddr: textUpTo("haServerAddr", h.haServerAddr, ADDR_CHARS_MAX),
    zoneName: h.zoneName === undefined ? null : textUpTo("__ZONE_NAME", h.zoneName, NAME_CHARS_MAX),
    enableActingMaster: h.enableActingMaster === true,
    heartbeatTimeoutMs:
      timeout === undefined ? null : intIn("heartbeatTimeoutMillis", timeout, BROKER_EXPIRY_MS_MIN, BROKER_EXPIRY_MS_MAX),
    dataVersion: { counter: dv.counter, stateVersion: dv.stateVersion, timestamp: dv.timestamp },
    topics,
  };
}

/** Core BrokerData (ids as decimal strings) -> codec BrokerData (integer-keyed map). */
export function brokerDataToWire(data: core.BrokerData): wire.BrokerData {
  const addrs = new Map<number, string>();
  for (const [id, addr] of Object.entries(data.brokerAddrs)) addrs.set(Number(id), addr);
  const out: wire.BrokerData = {
    cluster: data.cluster,
    brokerName: data.brokerName,
    brokerAddrs: addrs,
    enableActingMaster: data.enableActingMaster,
  };
  if (data.zoneName !== undefined) out.zoneName = data.zoneName;
  return out;
}

/** Core TopicRouteData -> codec TopicRouteData. */
export function routeToWire(route: core.TopicRouteData): wire.TopicRouteData {
  const out: wire.TopicRouteData = {
    queueDatas: route.queueDatas.map((q) => ({ ...q })),
    brokerDatas: route.brokerDatas.map(brokerDataToWire),
    filterServerTable: new Map(Object.entries(route.filterServerTable).map(([addr, list]) => [addr, [...list]])),
  };
  if (route.orderTopicConf !== undefined) out.orderTopicConf = route.orderTopicConf;
  return out;
}

/** Core ClusterInfo -> codec ClusterInfo. */
export function clusterInfoToWire(info: core.ClusterInfo): wire.ClusterInfo {
  return {
    brokerAddrTable: new Map(Object.entries(info.brokerAddrTable).map(([name, data]) => [name, brokerDataToWire(data)])),
    clusterAddrTable: new Map(Object.entries(info.clusterAddrTable).map(([name, list]) => [name, [...list]])),
  };
}

/** Broker ids of a member group as an integer-keyed map. */
export function brokerAddrsToWire(addrs: Readonly<Record<string, string>>): Map<number, string> {
  return new Map(Object.entries(addrs).map(([id, addr]) => [Number(id), addr]));
}

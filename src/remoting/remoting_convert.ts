// Pure conversions between the remoting codec's shapes and the core's: a REGISTER_BROKER request
// becomes a validated BrokerRegistration; core routes and cluster info become codec bodies.
// Imports core types, limits, validators and the codec; no I/O.
import { InvalidArgumentError } from "../errors.js";
import {
  ADDR_CHARS_MAX,
  BROKER_EXPIRY_MS_MAX,
  BROKER_EXPIRY_MS_MIN,
  BROKER_ID_MAX,
  NAME_CHARS_MAX,
  TOPICS_PER_BROKER_MAX,
} from "../limits.js";
import type * as core from "../model/types.js";
import type * as wire from "../protocol/remoting/index.js";
import { decodeRegisteredTopic } from "../protocol/messages/broker.js";
import { checkAddr, checkName } from "../protocol/validate.js";


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

/**
 * Validates one TopicConfig a broker registers (or a 217 queue) with the rule every registered
 * topic meets (decodeRegisteredTopic), and keeps the fields the core uses.
 * @throws InvalidArgumentError naming the field.
 */
export function topicOf(topic: wire.TopicConfig, path: string): core.TopicConfig {
  return decodeRegisteredTopic(topic, path);
}

/** Topics of a registration that were not taken: a reason, how many, and the first one's error. */
export interface SkippedTopics {
  readonly reason: core.TopicSkipReason;
  readonly count: number;
  readonly example: string;
}

/** A registration with the topics that were skipped on the way in. */
export interface ConvertedRegistration {
  readonly registration: core.BrokerRegistration;
  readonly skipped: readonly SkippedTopics[];
}

/**
 * Builds the core registration from a decoded REGISTER_BROKER: header fields, the zone from
 * `__ZONE_NAME`, the declared heartbeat timeout (within BROKER_EXPIRY_MS_MIN..MAX) and the
 * topics of topicConfigTable. A bad topic is skipped (and reported in `skipped`), as are the
 * topics past TOPICS_PER_BROKER_MAX: the rest of the registration applies, as with Java.
 * Static-topic mappings and filter servers are not kept.
 * @throws InvalidArgumentError naming the first header field that breaks a rule.
 */
export function registrationOf(request: wire.RegisterBrokerRequest): ConvertedRegistration {
  const wrapper = request.body.topicConfigSerializeWrapper;
  const topics: core.TopicConfig[] = [];
  let malformed = 0;
  let malformedExample = "";
  let excess = 0;
  for (const [key, topic] of wrapper.topicConfigTable) {
    if (topics.length >= TOPICS_PER_BROKER_MAX) {
      excess += 1;
      continue;
    }
    try {
      topics.push(topicOf(topic, `topicConfigTable.${key}`));
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      malformed += 1;
      malformedExample ||= error.message;
    }
  }
  const skipped: SkippedTopics[] = [];
  if (malformed > 0) skipped.push({ reason: "malformed", count: malformed, example: malformedExample });
  if (excess > 0) skipped.push({ reason: "capacity", count: excess, example: `more than ${TOPICS_PER_BROKER_MAX} topics` });
  return { registration: registrationHeaderOf(request, topics), skipped };
}

function registrationHeaderOf(request: wire.RegisterBrokerRequest, topics: core.TopicConfig[]): core.BrokerRegistration {
  const h = request.header;
  const timeout = h.heartbeatTimeoutMillis;
  const dv = request.body.topicConfigSerializeWrapper.dataVersion;
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

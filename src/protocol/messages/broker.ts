// REGISTER_BROKER (2), HEARTBEAT (3), UNREGISTER_BROKER (4): the broker agent's messages.
// Wire, v1:
//   REGISTER_BROKER {clusterName, brokerAddr, brokerName, brokerId: int>=0, haServerAddr?,
//     zoneName?, enableActingMaster?: bool, heartbeatTimeoutMs?: int,
//     dataVersion: {timestamp: int, counter: int, stateVersion?: int},
//     topics: [{topicName, readQueueNums, writeQueueNums, perm: 0..7, topicSysFlag?, order?}],
//     bootEpoch?: int, seq?: int}
//     -> {haServerAddr: string|null, masterAddr: string|null, orderTopicConfig: {k: v},
//         orderTopicNamespace: bool, contentChanged: bool, refused: bool}
//   HEARTBEAT {clusterName, brokerAddr, bootEpoch: int, seq: int} -> {registered: bool}
//     (registered=false tells the agent to send a full registration now)
//   UNREGISTER_BROKER {clusterName, brokerAddr, brokerName, brokerId, bootEpoch?, seq?} -> {}
import { InvalidArgumentError } from "../../errors.js";
import {
  ADDR_CHARS_MAX,
  BROKER_EXPIRY_MS_MAX,
  BROKER_EXPIRY_MS_MIN,
  BROKER_ID_MAX,
  NAME_CHARS_MAX,
  QUEUE_NUMS_MAX,
  REGISTERED_QUEUE_NUMS_MAX,
  TOPICS_PER_BROKER_MAX,
} from "../../limits.js";
import {
  PERM_BITS_ALL,
  PERM_VALUE_LIMIT,
  type BrokerHeader,
  type BrokerRegistration,
  type DataVersion,
  type Evidence,
  type TopicConfig,
} from "../../model/types.js";
import { arr, bool, checkAddr, checkName, checkTopic, fieldsOf, int, optInt, optStr, type Fields } from "../validate.js";

const INT_MAX = Number.MAX_SAFE_INTEGER;

/** REGISTER_BROKER request: the registration plus the agent's heartbeat evidence. */
export interface RegisterBrokerRequest {
  readonly registration: BrokerRegistration;
  readonly evidence: Evidence | null;
}

/** HEARTBEAT request. */
export interface HeartbeatRequest {
  readonly clusterName: string;
  readonly brokerAddr: string;
  readonly evidence: Evidence;
}

/** UNREGISTER_BROKER request. */
export interface UnregisterBrokerRequest {
  readonly clusterName: string;
  readonly brokerAddr: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly evidence: Evidence | null;
}

/** Validates a REGISTER_BROKER body. */
export function decodeRegisterBroker(body: unknown): RegisterBrokerRequest {
  const fields = fieldsOf(body, "register broker");
  const topicsRaw = arr(fields, "topics", TOPICS_PER_BROKER_MAX);
  const seen = new Set<string>();
  const topics: TopicConfig[] = [];
  topicsRaw.forEach((raw, index) => {
    const topic = decodeTopicConfig(raw, `topics[${index}]`);
    if (seen.has(topic.topicName)) throw InvalidArgumentError.format(`topics[${index}].topicName`, "must be unique", topic.topicName);
    seen.add(topic.topicName);
    topics.push(topic);
  });
  const registration: BrokerRegistration = { ...decodeBrokerHeader(fields), topics };
  return { registration, evidence: optEvidence(fields) };
}

/** Validates the header fields of a registration (everything but topics): REGISTER_BROKER and gossip. */
export function decodeBrokerHeader(fields: Fields): BrokerHeader {
  return {
    clusterName: checkName("clusterName", fields["clusterName"]),
    brokerAddr: checkAddr("brokerAddr", fields["brokerAddr"]),
    brokerName: checkName("brokerName", fields["brokerName"]),
    brokerId: int(fields, "brokerId", 0, BROKER_ID_MAX),
    haServerAddr: optStr(fields, "haServerAddr", ADDR_CHARS_MAX) ?? "",
    zoneName: optStr(fields, "zoneName", NAME_CHARS_MAX),
    enableActingMaster: bool(fields, "enableActingMaster", false),
    heartbeatTimeoutMs: optInt(fields, "heartbeatTimeoutMs", BROKER_EXPIRY_MS_MIN, BROKER_EXPIRY_MS_MAX),
    dataVersion: decodeDataVersion(fields["dataVersion"], "dataVersion"),
  };
}

/**
 * Validates one topic as a broker registered it: from a RocketMQ broker (remoting), or in a
 * topic record from a peer. Looser than what our agent may send (decodeTopicConfig): any name
 * checkTopic takes, non-negative int32 queue numbers, perm bits in 0..15, since the Java
 * NameServer takes anything a broker sends; only what would harm us is refused.
 */
export function decodeRegisteredTopic(raw: unknown, path: string): TopicConfig {
  return decodeTopic(raw, path, REGISTERED_QUEUE_NUMS_MAX, PERM_BITS_ALL);
}

function decodeTopic(raw: unknown, path: string, queueNumsMax: number, permMax: number): TopicConfig {
  const fields = fieldsOf(raw, path);
  const at = (name: string): string => `${path}.${name}`;
  return {
    topicName: checkTopic(at("topicName"), fields["topicName"]),
    readQueueNums: intAt(fields, "readQueueNums", at, 0, queueNumsMax),
    writeQueueNums: intAt(fields, "writeQueueNums", at, 0, queueNumsMax),
    perm: intAt(fields, "perm", at, 0, permMax),
    topicSysFlag: fields["topicSysFlag"] === undefined ? 0 : intAt(fields, "topicSysFlag", at, 0, 0x7fff_ffff),
    order: fields["order"] === undefined ? false : boolAt(fields, "order", at),
  };
}

/** The fields of a REGISTER_BROKER body that say whether its content is already known. */
export interface RegisterBrokerVersion {
  readonly clusterName: string;
  readonly brokerAddr: string;
  readonly dataVersion: DataVersion;
  readonly evidence: Evidence | null;
}

/**
 * Validates only the identity, dataVersion and evidence of a REGISTER_BROKER body: enough
 * for the node to see an unchanged re-registration, without validating 10,000 topics that
 * it would not look at (the full decoder runs when the version is new).
 */
export function decodeRegisterBrokerVersion(body: unknown): RegisterBrokerVersion {
  const fields = fieldsOf(body, "register broker");
  return {
    clusterName: checkName("clusterName", fields["clusterName"]),
    brokerAddr: checkAddr("brokerAddr", fields["brokerAddr"]),
    dataVersion: decodeDataVersion(fields["dataVersion"], "dataVersion"),
    evidence: optEvidence(fields),
  };
}

/** Validates a HEARTBEAT body. */
export function decodeHeartbeat(body: unknown): HeartbeatRequest {
  const fields = fieldsOf(body, "heartbeat");
  const evidence = optEvidence(fields);
  if (!evidence) throw InvalidArgumentError.format("seq", "must be an integer in 0..2^53", fields["seq"]);
  return {
    clusterName: checkName("clusterName", fields["clusterName"]),
    brokerAddr: checkAddr("brokerAddr", fields["brokerAddr"]),
    evidence,
  };
}

/** Validates an UNREGISTER_BROKER body. */
export function decodeUnregisterBroker(body: unknown): UnregisterBrokerRequest {
  const fields = fieldsOf(body, "unregister broker");
  return {
    clusterName: checkName("clusterName", fields["clusterName"]),
    brokerAddr: checkAddr("brokerAddr", fields["brokerAddr"]),
    brokerName: checkName("brokerName", fields["brokerName"]),
    brokerId: int(fields, "brokerId", 0, BROKER_ID_MAX),
    evidence: optEvidence(fields),
  };
}

/** Validates one topic config our agent sends: queue numbers and perm as we create them. */
export function decodeTopicConfig(raw: unknown, path: string): TopicConfig {
  return decodeTopic(raw, path, QUEUE_NUMS_MAX, PERM_VALUE_LIMIT - 1);
}

/** Validates a DataVersion map. */
export function decodeDataVersion(raw: unknown, path: string): DataVersion {
  const fields = fieldsOf(raw, path);
  const at = (name: string): string => `${path}.${name}`;
  return {
    timestamp: intAt(fields, "timestamp", at, 0, INT_MAX),
    counter: intAt(fields, "counter", at, 0, INT_MAX),
    stateVersion: fields["stateVersion"] === undefined ? 0 : intAt(fields, "stateVersion", at, 0, INT_MAX),
  };
}

function optEvidence(fields: Fields): Evidence | null {
  if (fields["seq"] === undefined && fields["bootEpoch"] === undefined) return null;
  return { epoch: int(fields, "bootEpoch", 0, INT_MAX), seq: int(fields, "seq", 0, INT_MAX) };
}

function intAt(fields: Fields, name: string, at: (n: string) => string, min: number, max: number): number {
  const value = fields[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw InvalidArgumentError.format(at(name), `must be an integer in ${min}..${max}`, value);
  }
  return value;
}

function boolAt(fields: Fields, name: string, at: (n: string) => string): boolean {
  const value = fields[name];
  if (typeof value !== "boolean") throw InvalidArgumentError.format(at(name), "must be a boolean", value);
  return value;
}

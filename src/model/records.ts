// Replicated records and their merge rules. Every replicated fact is one record; merge is
// idempotent, commutative and associative, so duplicated, re-ordered or late gossip is
// harmless. Pure.
import { canonicalJson } from "./hash.js";
import type { BrokerHeader, DataVersion, Evidence, OfflineReason, Origin, TopicConfig } from "./types.js";

/** A hybrid-logical-clock stamp with its writer: a total order over admin writes. */
export interface Stamp {
  readonly wallMs: number;
  readonly logical: number;
  readonly nodeId: string;
}

/**
 * One broker instance's header within a session: names, ids, addresses and the dataVersion of
 * its last registration, without topics. Ordered by (session, dataVersion, stamp).
 */
export interface InstanceRecord {
  readonly type: "instance";
  readonly brokerKey: string;
  /** The broker session this header belongs to (see LivenessRecord.session). */
  readonly session: number;
  readonly header: BrokerHeader;
  /** Which port the broker registered through; picks the default expiry everywhere. */
  readonly origin: Origin;
  /** When the node that took the registration wrote this version. */
  readonly stamp: Stamp;
}

/**
 * One topic of one broker instance within a session, as its registrations left it. `config`
 * null: removed by a registration (deleteTopicWithBrokerRegistration). Ordered by
 * (session, dataVersion, stamp); admin overrides newer than `stamp` apply to it.
 */
export interface TopicRecord {
  readonly type: "topic";
  readonly brokerKey: string;
  readonly topicName: string;
  readonly session: number;
  readonly dataVersion: DataVersion;
  readonly config: TopicConfig | null;
  readonly stamp: Stamp;
}

/**
 * Broker liveness within a session: a later session wins; in one session newer evidence wins,
 * and at equal evidence offline wins. Sessions are numbered: a broker no node has heard of
 * starts in session 0, and a registration of a broker held offline in session k starts k + 1,
 * so nodes that take the same (re)start concurrently agree on it. An unregistration of a broker
 * in session k is written as offline in k + 1: evidence of session k cannot outweigh it. A
 * session's topics are those registered in it.
 */
export interface LivenessRecord {
  readonly type: "liveness";
  readonly brokerKey: string;
  /** The broker session: 0 for its first, one more after each time it went offline. */
  readonly session: number;
  readonly alive: boolean;
  readonly reason: OfflineReason | null;
  readonly evidence: Evidence;
}

/** Whether one node holds a live connection to a broker; only that node writes it. */
export interface HolderRecord {
  readonly type: "holder";
  readonly brokerKey: string;
  readonly nodeId: string;
  readonly connected: boolean;
  readonly stamp: Stamp;
}

/** A KV entry; value null is a tombstone. Last writer wins on the stamp. */
export interface KvRecord {
  readonly type: "kv";
  readonly namespace: string;
  readonly key: string;
  readonly value: string | null;
  readonly stamp: Stamp;
}

/** A topic deletion, whole (clusterName null) or for one cluster's brokers. Newest stamp kept. */
export interface TopicDeleteRecord {
  readonly type: "topicDelete";
  readonly topic: string;
  readonly clusterName: string | null;
  readonly stamp: Stamp;
}

/**
 * A write-permission override of one broker name: wipe (writable false) or add. The newest wipe
 * and the newest add are two facts, so that they compose as RocketMQ applies them in turn (an
 * add sets perm 6; a wipe after it leaves 4).
 */
export interface PermRecord {
  readonly type: "perm";
  readonly brokerName: string;
  readonly writable: boolean;
  readonly stamp: Stamp;
}

/** Every replicated record. */
export type ReplicatedRecord =
  | InstanceRecord
  | TopicRecord
  | LivenessRecord
  | HolderRecord
  | KvRecord
  | TopicDeleteRecord
  | PermRecord;

/** Orders stamps: wall time, then logical counter, then node id. */
export function compareStamp(a: Stamp, b: Stamp): number {
  if (a.wallMs !== b.wallMs) return a.wallMs - b.wallMs;
  if (a.logical !== b.logical) return a.logical - b.logical;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

/** Orders evidence lexicographically on (epoch, seq). */
export function compareEvidence(a: Evidence, b: Evidence): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.seq - b.seq;
}

/**
 * Orders data versions by (stateVersion, timestamp, counter). RocketMQ orders by counter
 * before timestamp, but a broker whose store was wiped restarts its counter at 0 with a
 * fresh timestamp; timestamp first keeps its new content winning.
 */
export function compareDataVersion(a: DataVersion, b: DataVersion): number {
  if (a.stateVersion !== b.stateVersion) return a.stateVersion - b.stateVersion;
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  return a.counter - b.counter;
}

/** The identity of a record: two records with the same id are versions of one fact. */
export function recordId(record: ReplicatedRecord): string {
  switch (record.type) {
    case "instance":
      return `i|${record.brokerKey}`;
    case "topic":
      return `c|${record.brokerKey}|${record.topicName}`;
    case "liveness":
      return `l|${record.brokerKey}`;
    case "holder":
      return `h|${record.brokerKey}|${record.nodeId}`;
    case "kv":
      return `k|${record.namespace}|${record.key}`;
    case "topicDelete":
      return `t|${record.topic}|${record.clusterName ?? ""}`;
    case "perm":
      return `p|${record.brokerName}|${record.writable ? "add" : "wipe"}`;
  }
}

const REASON_RANK: Readonly<Record<OfflineReason, number>> = { expired: 1, connectionClosed: 2, unregistered: 3 };

/**
 * Merges two versions of the same fact (same recordId). Returns the joined record; it is
 * `a` itself (the same object) when `a` already includes `b`, so callers can detect "no change".
 */
export function mergeRecords<T extends ReplicatedRecord>(a: T, b: T): T {
  switch (a.type) {
    case "instance":
    case "topic": {
      const other = b as InstanceRecord | TopicRecord;
      const aVersion = a.type === "instance" ? a.header.dataVersion : a.dataVersion;
      const bVersion = other.type === "instance" ? other.header.dataVersion : other.dataVersion;
      const order =
        a.session - other.session || compareDataVersion(aVersion, bVersion) || compareStamp(a.stamp, other.stamp);
      if (order !== 0) return order > 0 ? a : b;
      // One node never issues a stamp twice, so this only guards against a misbehaving peer.
      return canonicalJson(a) >= canonicalJson(other) ? a : b;
    }
    case "liveness":
      return mergeLiveness(a, b as LivenessRecord) as T;
    case "holder":
    case "kv":
    case "topicDelete":
    case "perm": {
      const other = b as HolderRecord | KvRecord | TopicDeleteRecord | PermRecord;
      const order = compareStamp(a.stamp, other.stamp);
      if (order !== 0) return order > 0 ? a : b;
      return tieRank(a) >= tieRank(other) ? a : b;
    }
  }
}

/**
 * Orders two writes with the same stamp. One node never issues a stamp twice, so this
 * only guards against a misbehaving peer; it keeps merge commutative all the same.
 */
function tieRank(record: HolderRecord | KvRecord | TopicDeleteRecord | PermRecord): string {
  switch (record.type) {
    case "holder":
      return record.connected ? "0" : "1";
    case "kv":
      return record.value === null ? "\uffff" : record.value;
    case "topicDelete":
      return record.clusterName ?? "";
    case "perm":
      return record.writable ? "0" : "1";
  }
}

function mergeLiveness(a: LivenessRecord, b: LivenessRecord): LivenessRecord {
  const order = a.session - b.session || compareEvidence(a.evidence, b.evidence);
  if (order !== 0) return order > 0 ? a : b;
  if (a.alive !== b.alive) return a.alive ? b : a;
  if (a.alive) return a;
  return REASON_RANK[a.reason ?? "expired"] >= REASON_RANK[b.reason ?? "expired"] ? a : b;
}

/** The key of a broker instance: RocketMQ keys liveness by (cluster, address). */
export function brokerKeyOf(clusterName: string, brokerAddr: string): string {
  return `${clusterName}@${brokerAddr}`;
}

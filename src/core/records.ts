// Replicated records and their merge rules. Every replicated fact is one record; merge is
// idempotent, commutative and associative, so duplicated, re-ordered or late gossip is
// harmless. Pure: imports types only.
import type { BrokerRegistration, DataVersion, Evidence, OfflineReason, Origin } from "./types.js";

/** A hybrid-logical-clock stamp with its writer: a total order over admin writes. */
export interface Stamp {
  readonly wallMs: number;
  readonly logical: number;
  readonly nodeId: string;
}

/** Broker registration content. The broker is its only writer: higher dataVersion wins. */
export interface ContentRecord {
  readonly type: "content";
  readonly brokerKey: string;
  readonly registration: BrokerRegistration;
  /** Hash of the registration, to compare equal-version contents cheaply. */
  readonly contentHash: string;
  /** Which port the broker registered through; picks the default expiry everywhere. */
  readonly origin: Origin;
  /** Earliest stamp at which any node adopted this content; admin writes newer than it override it. */
  readonly adoptedAt: Stamp;
}

/** Broker liveness: newer evidence wins; at equal evidence offline wins. */
export interface LivenessRecord {
  readonly type: "liveness";
  readonly brokerKey: string;
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

/** A write-permission override of one broker name: wipe (writable false) or add. */
export interface PermRecord {
  readonly type: "perm";
  readonly brokerName: string;
  readonly writable: boolean;
  readonly stamp: Stamp;
}

/** Every replicated record. */
export type ReplicatedRecord = ContentRecord | LivenessRecord | HolderRecord | KvRecord | TopicDeleteRecord | PermRecord;

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
    case "content":
      return `c|${record.brokerKey}`;
    case "liveness":
      return `l|${record.brokerKey}`;
    case "holder":
      return `h|${record.brokerKey}|${record.nodeId}`;
    case "kv":
      return `k|${record.namespace}|${record.key}`;
    case "topicDelete":
      return `t|${record.topic}|${record.clusterName ?? ""}`;
    case "perm":
      return `p|${record.brokerName}`;
  }
}

const REASON_RANK: Readonly<Record<OfflineReason, number>> = { expired: 1, connectionClosed: 2, unregistered: 3 };

/**
 * Merges two versions of the same fact (same recordId). Returns the joined record; it is
 * `a` itself (the same object) when `a` already includes `b`, so callers can detect "no change".
 */
export function mergeRecords<T extends ReplicatedRecord>(a: T, b: T): T {
  switch (a.type) {
    case "content":
      return mergeContent(a, b as ContentRecord) as T;
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

function mergeContent(a: ContentRecord, b: ContentRecord): ContentRecord {
  const order = compareDataVersion(a.registration.dataVersion, b.registration.dataVersion);
  if (order !== 0) return order > 0 ? a : b;
  // Equal versions: the same content unless a broker misbehaved; pick by hash for
  // determinism, and keep the earliest adoption so admin overrides compare alike everywhere.
  const winner = a.contentHash >= b.contentHash ? a : b;
  const adoptedAt = compareStamp(a.adoptedAt, b.adoptedAt) <= 0 ? a.adoptedAt : b.adoptedAt;
  if (winner === a && adoptedAt === a.adoptedAt) return a;
  if (winner === b && adoptedAt === b.adoptedAt) return b;
  return { ...winner, adoptedAt };
}

function mergeLiveness(a: LivenessRecord, b: LivenessRecord): LivenessRecord {
  const order = compareEvidence(a.evidence, b.evidence);
  if (order !== 0) return order > 0 ? a : b;
  if (a.alive !== b.alive) return a.alive ? b : a;
  if (a.alive) return a;
  return REASON_RANK[a.reason ?? "expired"] >= REASON_RANK[b.reason ?? "expired"] ? a : b;
}

/** The key of a broker instance: RocketMQ keys liveness by (cluster, address). */
export function brokerKeyOf(clusterName: string, brokerAddr: string): string {
  return `${clusterName}@${brokerAddr}`;
}

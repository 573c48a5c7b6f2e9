// PEER_DELTAS (17), PEER_DIGEST (18), PEER_PULL (19), PEER_SUMMARY (21), PEER_WANT (22): name
// server to name server. All are one-way requests (envelope id 0, no response).
// Wire, v1:
//   PEER_DELTAS {records: Record[], repair: bool, leaving?: bool}
//     leaving (added for the graceful drain, default false): the sender is shutting down and
//     these are its last records; the receiver marks it departed (not down, no alarm). A node
//     that predates it ignores the unknown field and sees an ordinary (empty) batch.
//   PEER_DIGEST {buckets: [[h1, h2], ...] (DIGEST_BUCKETS pairs of uint32, or none), root: [h1, h2],
//     members: ["host:port"], ready: bool}
//     root: the XOR of every bucket's pair (the hash of every record). A ready node's periodic
//     digest carries the root alone; a receiver whose root differs answers with its full digest.
//   PEER_SUMMARY {buckets: [int], entries: [[idHigh, idLow, versionHigh, versionLow], ...]}
//     Answer to a digest from a ready node: the sender's records of those buckets, as 64-bit
//     hashes of id and of id + version (uint32 halves), at most SUMMARY_ENTRIES_PER_FRAME_MAX;
//     a bucket's entries are never split across frames. The receiver sends the records the
//     summary lacks or holds at another version (PEER_DELTAS, repair) and wants the others.
//   PEER_WANT {buckets: [int], ids: [[idHigh, idLow], ...]}: "send me these records of these
//     buckets" (at most WANT_IDS_PER_FRAME_MAX); answered with PEER_DELTAS (repair).
//   PEER_PULL {buckets: [int], members: ["host:port"], ready: bool}
//     Sent in reply to a digest after the records of the differing buckets: "these buckets
//     differ; here were mine, send me yours". ready tells whether the sender is itself ready,
//     so a starting node may count what it received as a snapshot.
//   Record (by type):
//     {type: "instance", brokerKey, session: int, origin: "native"|"remoting",
//       header: <REGISTER_BROKER body without topics, bootEpoch, seq>, stamp: Stamp}
//     {type: "topic", brokerKey, topicName, session: int, dataVersion, stamp: Stamp,
//       config: {topicName, readQueueNums, writeQueueNums, perm, topicSysFlag, order} | null}
//     {type: "liveness", brokerKey, session: int, alive,
//       reason: null|"unregistered"|"expired"|"connectionClosed", evidence: {epoch, seq}}
//     {type: "holder", brokerKey, nodeId, connected, stamp}
//     {type: "kv", namespace, key, value: string|null, stamp}
//     {type: "topicDelete", topic, clusterName: string|null, stamp}
//     {type: "perm", brokerName, writable, stamp}
//     Stamp = {wallMs, logical, nodeId}
import { InvalidArgumentError } from "../../errors.js";
import { DELTAS_PER_FRAME_MAX, DIGEST_BUCKETS, PEERS_MAX, SUMMARY_ENTRIES_PER_FRAME_MAX, WANT_IDS_PER_FRAME_MAX } from "../../limits.js";
import { brokerKeyOf, type ReplicatedRecord, type Stamp } from "../../model/records.js";
import type { Evidence, OfflineReason } from "../../model/types.js";
import { decodeBrokerHeader, decodeDataVersion, decodeRegisteredTopic } from "./broker.js";
import {
  arr,
  bool,
  checkAddr,
  checkKvKey,
  checkKvValue,
  checkName,
  checkTopic,
  fieldsOf,
  int,
  str,
  type Fields,
} from "../validate.js";

const INT_MAX = Number.MAX_SAFE_INTEGER;
const NODE_ID_CHARS_MAX = 64;
const BROKER_KEY_CHARS_MAX = 400;

/** PEER_DELTAS body. */
export interface PeerDeltas {
  readonly records: readonly ReplicatedRecord[];
  /** True when sent to repair a digest difference rather than as a fresh change. */
  readonly repair: boolean;
  /** True on the last frame of a node that is shutting down (graceful drain). @default false */
  readonly leaving?: boolean;
}

/** PEER_DIGEST body. */
export interface PeerDigest {
  /** Every bucket's hash pair, or empty: the root alone (a ready node's periodic digest). */
  readonly buckets: readonly (readonly [number, number])[];
  /** XOR of every bucket's pair; null from a sender that sends none (then buckets are full). */
  readonly root: readonly [number, number] | null;
  readonly members: readonly string[];
  readonly ready: boolean;
}

/** PEER_PULL body. */
export interface PeerPull {
  readonly buckets: readonly number[];
  readonly members: readonly string[];
  readonly ready: boolean;
  /**
   * A page of a ready node's snapshot: more buckets follow, asked for by the next digest of the
   * starting node (so a snapshot is paced by its receiver). @default false (the snapshot is complete)
   */
  readonly more?: boolean;
}

/** PEER_SUMMARY body: id and version hashes of the sender's records in `buckets`. */
export interface PeerSummary {
  readonly buckets: readonly number[];
  readonly entries: readonly (readonly [number, number, number, number])[];
}

/** PEER_WANT body: id hashes of records wanted from `buckets`. */
export interface PeerWant {
  readonly buckets: readonly number[];
  readonly ids: readonly (readonly [number, number])[];
}

/** Validates a PEER_SUMMARY body. */
export function decodePeerSummary(body: unknown): PeerSummary {
  const fields = fieldsOf(body, "peer summary");
  const entries = arr(fields, "entries", SUMMARY_ENTRIES_PER_FRAME_MAX).map((entry, index) => {
    if (!Array.isArray(entry) || entry.length !== 4 || !entry.every(isU32)) {
      throw InvalidArgumentError.format(`entries[${index}]`, "must be four uint32", entry);
    }
    return entry as unknown as readonly [number, number, number, number];
  });
  return { buckets: decodeBuckets(fields), entries };
}

/** Validates a PEER_WANT body. */
export function decodePeerWant(body: unknown): PeerWant {
  const fields = fieldsOf(body, "peer want");
  const ids = arr(fields, "ids", WANT_IDS_PER_FRAME_MAX).map((id, index) => {
    if (!Array.isArray(id) || id.length !== 2 || !id.every(isU32)) throw InvalidArgumentError.format(`ids[${index}]`, "must be two uint32", id);
    return id as unknown as readonly [number, number];
  });
  return { buckets: decodeBuckets(fields), ids };
}

/** Validates a PEER_DELTAS body, every record in it. */
export function decodePeerDeltas(body: unknown): PeerDeltas {
  const fields = fieldsOf(body, "peer deltas");
  const records = arr(fields, "records", DELTAS_PER_FRAME_MAX).map((raw, index) => decodeRecord(raw, `records[${index}]`));
  return { records, repair: bool(fields, "repair", false), leaving: bool(fields, "leaving", false) };
}

/** Validates a PEER_DIGEST body. */
export function decodePeerDigest(body: unknown): PeerDigest {
  const fields = fieldsOf(body, "peer digest");
  const raw = arr(fields, "buckets", DIGEST_BUCKETS);
  const root = fields["root"] === undefined || fields["root"] === null ? null : decodePair(fields["root"], "root");
  if (raw.length !== DIGEST_BUCKETS && !(raw.length === 0 && root !== null)) {
    throw InvalidArgumentError.format("buckets", `must have ${DIGEST_BUCKETS} items (or none, with a root)`, raw.length);
  }
  const buckets = raw.map((pair, index) => decodePair(pair, `buckets[${index}]`));
  return { buckets, root, members: decodeMembers(fields), ready: bool(fields, "ready", false) };
}

function decodePair(pair: unknown, path: string): readonly [number, number] {
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(isU32)) throw InvalidArgumentError.format(path, "must be a pair of uint32", pair);
  return [pair[0] as number, pair[1] as number];
}

/** Validates a PEER_PULL body. */
export function decodePeerPull(body: unknown): PeerPull {
  const fields = fieldsOf(body, "peer pull");
  return { buckets: decodeBuckets(fields), members: decodeMembers(fields), ready: bool(fields, "ready", false), more: bool(fields, "more", false) };
}

function decodeBuckets(fields: Fields): number[] {
  return arr(fields, "buckets", DIGEST_BUCKETS).map((value, index) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= DIGEST_BUCKETS) {
      throw InvalidArgumentError.format(`buckets[${index}]`, `must be an integer in 0..${DIGEST_BUCKETS - 1}`, value);
    }
    return value;
  });
}

/** Validates one replicated record. */
export function decodeRecord(raw: unknown, path: string): ReplicatedRecord {
  const fields = fieldsOf(raw, path);
  const type = fields["type"];
  switch (type) {
    case "instance": {
      const origin = fields["origin"];
      if (origin !== "native" && origin !== "remoting") throw InvalidArgumentError.format(`${path}.origin`, "must be native or remoting", origin);
      const header = decodeBrokerHeader(fieldsOf(fields["header"], `${path}.header`));
      const brokerKey = brokerKeyOf(header.clusterName, header.brokerAddr);
      if (fields["brokerKey"] !== brokerKey) throw InvalidArgumentError.format(`${path}.brokerKey`, `must be '${brokerKey}'`, fields["brokerKey"]);
      const session = int(fields, "session", 0, INT_MAX);
      return { type, brokerKey, session, origin, header, stamp: decodeStamp(fields["stamp"], `${path}.stamp`) };
    }
    case "topic": {
      const topicName = checkTopic(`${path}.topicName`, fields["topicName"]);
      const config = fields["config"] === null ? null : decodeRegisteredTopic(fields["config"], `${path}.config`);
      if (config !== null && config.topicName !== topicName) {
        throw InvalidArgumentError.format(`${path}.config.topicName`, `must be '${topicName}'`, config.topicName);
      }
      return {
        type,
        brokerKey: decodeBrokerKey(fields, path),
        topicName,
        session: int(fields, "session", 0, INT_MAX),
        dataVersion: decodeDataVersion(fields["dataVersion"], `${path}.dataVersion`),
        config,
        stamp: decodeStamp(fields["stamp"], `${path}.stamp`),
      };
    }
    case "liveness": {
      const alive = bool(fields, "alive", false);
      const reason = fields["reason"] ?? null;
      if (alive ? reason !== null : !isReason(reason)) throw InvalidArgumentError.format(`${path}.reason`, "must match alive", reason);
      return {
        type,
        brokerKey: decodeBrokerKey(fields, path),
        session: int(fields, "session", 0, INT_MAX),
        alive,
        reason: reason as OfflineReason | null,
        evidence: decodeEvidence(fields["evidence"], `${path}.evidence`),
      };
    }
    case "holder":
      return {
        type,
        brokerKey: decodeBrokerKey(fields, path),
        nodeId: str(fields, "nodeId", NODE_ID_CHARS_MAX),
        connected: bool(fields, "connected", false),
        stamp: decodeStamp(fields["stamp"], `${path}.stamp`),
      };
    case "kv":
      return {
        type,
        namespace: checkKvKey(`${path}.namespace`, fields["namespace"]),
        key: checkKvKey(`${path}.key`, fields["key"]),
        value: fields["value"] === null ? null : checkKvValue(`${path}.value`, fields["value"]),
        stamp: decodeStamp(fields["stamp"], `${path}.stamp`),
      };
    case "topicDelete":
      return {
        type,
        topic: checkTopic(`${path}.topic`, fields["topic"]),
        clusterName: fields["clusterName"] === null ? null : checkName(`${path}.clusterName`, fields["clusterName"]),
        stamp: decodeStamp(fields["stamp"], `${path}.stamp`),
      };
    case "perm":
      return {
        type,
        brokerName: checkName(`${path}.brokerName`, fields["brokerName"]),
        writable: bool(fields, "writable", false),
        stamp: decodeStamp(fields["stamp"], `${path}.stamp`),
      };
    default:
      throw InvalidArgumentError.format(`${path}.type`, "must be a known record type", type);
  }
}

function decodeMembers(fields: Fields): string[] {
  return arr(fields, "members", PEERS_MAX).map((value, index) => checkAddr(`members[${index}]`, value));
}

function decodeBrokerKey(fields: Fields, path: string): string {
  return checkBrokerKey(`${path}.brokerKey`, fields["brokerKey"]);
}

/** Validates a broker key (`cluster@host:port`). */
export function checkBrokerKey(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > BROKER_KEY_CHARS_MAX) {
    throw InvalidArgumentError.format(field, `must be a string of 1..${BROKER_KEY_CHARS_MAX} chars`, value);
  }
  const at = value.indexOf("@");
  if (at < 1) throw InvalidArgumentError.format(field, "must be cluster@host:port", value);
  checkName(field, value.slice(0, at));
  checkAddr(field, value.slice(at + 1));
  return value;
}

function decodeStamp(raw: unknown, path: string): Stamp {
  const fields = fieldsOf(raw, path);
  return { wallMs: int(fields, "wallMs", 0, INT_MAX), logical: int(fields, "logical", 0, INT_MAX), nodeId: str(fields, "nodeId", NODE_ID_CHARS_MAX) };
}

function decodeEvidence(raw: unknown, path: string): Evidence {
  const fields = fieldsOf(raw, path);
  return { epoch: int(fields, "epoch", 0, INT_MAX), seq: int(fields, "seq", 0, INT_MAX) };
}

function isReason(value: unknown): boolean {
  return value === "unregistered" || value === "expired" || value === "connectionClosed";
}

/** Whether a value is an integer in 0..2^32-1. */
export function isU32(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

// KV_PUT (8), KV_GET (9), KV_DELETE (10), KV_LIST (11), DELETE_TOPIC (12),
// WIPE_WRITE_PERM (13), ADD_WRITE_PERM (14): admin reads and writes, replicated by gossip.
// Wire, v1:
//   KV_PUT {namespace, key, value} -> {}
//   KV_GET {namespace, key} -> {value}; NOT_FOUND when absent
//   KV_DELETE {namespace, key} -> {} (also when absent)
//   KV_LIST {namespace} -> {table: {key: value}}; NOT_FOUND when the namespace is empty
//   DELETE_TOPIC {topic, clusterName?} -> {}
//   WIPE_WRITE_PERM {brokerName} -> {count}; ADD_WRITE_PERM {brokerName} -> {count}
import { checkKvKey, checkKvValue, checkName, checkTopic, fieldsOf } from "../validate.js";

/** KV_PUT request. */
export interface KvPutRequest {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
}
/** KV_GET and KV_DELETE request. */
export interface KvKeyRequest {
  readonly namespace: string;
  readonly key: string;
}
/** KV_LIST request. */
export interface KvListRequest {
  readonly namespace: string;
}
/** DELETE_TOPIC request; with a cluster, only that cluster's brokers lose the topic. */
export interface DeleteTopicRequest {
  readonly topic: string;
  readonly clusterName: string | null;
}
/** WIPE_WRITE_PERM and ADD_WRITE_PERM request. */
export interface WritePermRequest {
  readonly brokerName: string;
}

/** Validates a KV_PUT body. */
export function decodeKvPut(body: unknown): KvPutRequest {
  const fields = fieldsOf(body, "kv put");
  return {
    namespace: checkKvKey("namespace", fields["namespace"]),
    key: checkKvKey("key", fields["key"]),
    value: checkKvValue("value", fields["value"]),
  };
}

/** Validates a KV_GET or KV_DELETE body. */
export function decodeKvKey(body: unknown): KvKeyRequest {
  const fields = fieldsOf(body, "kv");
  return { namespace: checkKvKey("namespace", fields["namespace"]), key: checkKvKey("key", fields["key"]) };
}

/** Validates a KV_LIST body. */
export function decodeKvList(body: unknown): KvListRequest {
  return { namespace: checkKvKey("namespace", fieldsOf(body, "kv list")["namespace"]) };
}

/** Validates a DELETE_TOPIC body. */
export function decodeDeleteTopic(body: unknown): DeleteTopicRequest {
  const fields = fieldsOf(body, "delete topic");
  const cluster = fields["clusterName"];
  return {
    topic: checkTopic("topic", fields["topic"]),
    clusterName: cluster === undefined || cluster === null || cluster === "" ? null : checkName("clusterName", cluster),
  };
}

/** Validates a WIPE_WRITE_PERM or ADD_WRITE_PERM body. */
export function decodeWritePerm(body: unknown): WritePermRequest {
  return { brokerName: checkName("brokerName", fieldsOf(body, "write perm")["brokerName"]) };
}

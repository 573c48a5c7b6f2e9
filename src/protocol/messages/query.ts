// GET_ROUTE (5), GET_CLUSTER_INFO (6), GET_TOPICS (7): read-only queries.
// Wire, v1:
//   GET_ROUTE {topic} -> TopicRouteData {queueDatas, brokerDatas, filterServerTable,
//     orderTopicConf?}; error NOT_FOUND when the topic has no route.
//   GET_CLUSTER_INFO {} -> ClusterInfo {brokerAddrTable, clusterAddrTable}
//   GET_TOPICS {clusterName?} -> {topics: string[]} (sorted)
import { checkName, checkTopic, fieldsOf } from "../validate.js";

/** GET_ROUTE request. */
export interface GetRouteRequest {
  readonly topic: string;
}

/** GET_TOPICS request; a null cluster lists every topic. */
export interface GetTopicsRequest {
  readonly clusterName: string | null;
}

/** GET_TOPICS response. */
export interface GetTopicsResponse {
  readonly topics: readonly string[];
}

/** Validates a GET_ROUTE body. */
export function decodeGetRoute(body: unknown): GetRouteRequest {
  return { topic: checkTopic("topic", fieldsOf(body, "get route")["topic"]) };
}

/** Validates a GET_CLUSTER_INFO body (an empty map). */
export function decodeGetClusterInfo(body: unknown): Record<string, never> {
  if (body !== undefined && body !== null) fieldsOf(body, "get cluster info");
  return {};
}

/** Validates a GET_TOPICS body. */
export function decodeGetTopics(body: unknown): GetTopicsRequest {
  if (body === undefined || body === null) return { clusterName: null };
  const value = fieldsOf(body, "get topics")["clusterName"];
  return { clusterName: value === undefined || value === null ? null : checkName("clusterName", value) };
}

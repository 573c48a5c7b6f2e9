// Client-side checks of response and push bodies: a node of another build may answer with
// a shape we do not expect, which becomes a ProtocolError rather than a crash later. Pure.
import { ProtocolError } from "../errors.js";
import type { ClusterInfo, RegisterResult, TopicRouteData } from "../model/types.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";

type Fields = Readonly<Record<string, unknown>>;

function mapOf(body: unknown, what: string): Fields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ProtocolError(`${what} response must be a map`);
  }
  return body as Fields;
}

function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** GET_ROUTE answer: a TopicRouteData with queueDatas and brokerDatas arrays. */
export function decodeRouteResponse(body: unknown): TopicRouteData {
  const fields = mapOf(body, "get route");
  if (!Array.isArray(fields["queueDatas"]) || !Array.isArray(fields["brokerDatas"])) {
    throw new ProtocolError("get route response must have arrays 'queueDatas' and 'brokerDatas'");
  }
  if (!fields["queueDatas"].every(isRecord) || !fields["brokerDatas"].every(isRecord)) {
    throw new ProtocolError("get route response entries must be maps");
  }
  const route = { ...fields, filterServerTable: isRecord(fields["filterServerTable"]) ? fields["filterServerTable"] : {} };
  return route as unknown as TopicRouteData;
}

/** GET_CLUSTER_INFO answer. */
export function decodeClusterInfoResponse(body: unknown): ClusterInfo {
  const fields = mapOf(body, "get cluster info");
  if (!isRecord(fields["brokerAddrTable"]) || !isRecord(fields["clusterAddrTable"])) {
    throw new ProtocolError("cluster info response must have maps 'brokerAddrTable' and 'clusterAddrTable'");
  }
  return fields as unknown as ClusterInfo;
}

/** GET_TOPICS answer: the topic names. */
export function decodeTopicsResponse(body: unknown): string[] {
  const topics = mapOf(body, "get topics")["topics"];
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === "string")) {
    throw new ProtocolError("get topics response must have a string array 'topics'");
  }
  return topics as string[];
}

/** KV_GET answer: the value. */
export function decodeKvValueResponse(body: unknown): string {
  const value = mapOf(body, "kv get")["value"];
  if (typeof value !== "string") throw new ProtocolError("kv get response must have a string 'value'");
  return value;
}

/** KV_LIST answer: key -> value. */
export function decodeKvTableResponse(body: unknown): Record<string, string> {
  const table = mapOf(body, "kv list")["table"];
  if (!isRecord(table) || !Object.values(table).every((v) => typeof v === "string")) {
    throw new ProtocolError("kv list response must have a string map 'table'");
  }
  return { ...(table as Record<string, string>) };
}

/** WIPE_WRITE_PERM / ADD_WRITE_PERM / SUBSCRIBE answer: a count. */
export function decodeCountResponse(body: unknown, what: string): number {
  const count = mapOf(body, what)["count"];
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    throw new ProtocolError(`${what} response must have a non-negative integer 'count'`);
  }
  return count;
}

/** REGISTER_BROKER answer. */
export function decodeRegisterResponse(body: unknown): RegisterResult {
  const fields = mapOf(body, "register broker");
  const strOrNull = (name: string): string | null => {
    const value = fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value !== "string") throw new ProtocolError(`register broker response field '${name}' must be a string`);
    return value;
  };
  const order = fields["orderTopicConfig"];
  return {
    haServerAddr: strOrNull("haServerAddr"),
    masterAddr: strOrNull("masterAddr"),
    orderTopicConfig: isRecord(order) ? (order as Record<string, string>) : {},
    orderTopicNamespace: isRecord(order),
    contentChanged: fields["contentChanged"] === true,
    refused: fields["refused"] === true,
  };
}

/** HEARTBEAT answer: whether the node holds this broker's registration. */
export function decodeHeartbeatResponse(body: unknown): { registered: boolean } {
  const registered = mapOf(body, "heartbeat")["registered"];
  if (typeof registered !== "boolean") throw new ProtocolError("heartbeat response must have a boolean 'registered'");
  return { registered };
}

/** ROUTE_CHANGED push. */
export function decodeRouteChangedPush(body: unknown): RouteChangedPush {
  const fields = mapOf(body, "route changed push");
  const { topic, revision, route } = fields;
  if (typeof topic !== "string" || typeof revision !== "string") {
    throw new ProtocolError("route changed push must have strings 'topic' and 'revision'");
  }
  return { topic, revision, route: route === null || route === undefined ? null : decodeRouteResponse(route) };
}

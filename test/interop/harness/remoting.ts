// A tiny RocketMQ remoting client for the interop tests: one request per connection, built
// with our codec (src/protocol/remoting), so a test can ask a Java NameServer and our nodes the
// same question and compare the decoded answers.
import * as net from "node:net";
import * as rm from "../../../src/protocol/remoting/index.js";
import { withDeadline } from "../../integration/helpers/wait.js";

/** Deadline of one remoting request. */
const REQUEST_DEADLINE_MS = 5_000;

/** Splits "host:port". */
function hostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(":");
  return { host: addr.slice(0, at), port: Number(addr.slice(at + 1)) };
}

/** Sends one request (JSON header, version 479 like a 5.3.3 client) and resolves with the reply. */
export async function remotingRequest(
  addr: string,
  code: number,
  extFields: Record<string, string> = {},
  options: { body?: Buffer; version?: number } = {},
): Promise<rm.RemotingCommand> {
  const socket = net.connect(hostPort(addr));
  socket.on("error", () => undefined);
  const decoder = new rm.RemotingFrameDecoder();
  const reply = new Promise<rm.RemotingCommand>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      try {
        const [first] = decoder.push(chunk);
        if (first !== undefined) resolve(first);
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.once("close", () => reject(new Error(`${addr} closed the connection without a reply to code ${code}`)));
    socket.once("error", reject);
  });
  const cmd: rm.RemotingCommand = { code, language: 0, version: options.version ?? 479, opaque: 1, flag: 0, extFields, serializeType: 0 };
  if (options.body !== undefined) cmd.body = options.body;
  socket.write(rm.encodeCommand(cmd));
  try {
    return await withDeadline(`reply to code ${code} from ${addr}`, reply, REQUEST_DEADLINE_MS);
  } finally {
    socket.destroy();
  }
}

/** The route of a topic, or null when the name server answers TOPIC_NOT_EXIST (17). */
export async function topicRoute(addr: string, topic: string): Promise<rm.TopicRouteData | null> {
  const reply = await remotingRequest(addr, 105, { topic });
  if (reply.code === 17) return null;
  if (reply.code !== 0) throw new Error(`GET_ROUTEINFO_BY_TOPIC ${topic} on ${addr}: code ${reply.code} ${reply.remark ?? ""}`);
  return rm.decodeTopicRouteData(reply.body);
}

/** Broker names in a topic's route on a name server ([] when not routed), sorted. */
export async function routedBrokers(addr: string, topic: string): Promise<string[]> {
  const route = await topicRoute(addr, topic);
  return route === null ? [] : route.brokerDatas.map((broker) => broker.brokerName).sort();
}

/** GET_BROKER_CLUSTER_INFO, decoded. */
export async function clusterInfo(addr: string): Promise<rm.ClusterInfo> {
  const reply = await remotingRequest(addr, 106);
  if (reply.code !== 0) throw new Error(`GET_BROKER_CLUSTER_INFO on ${addr}: code ${reply.code} ${reply.remark ?? ""}`);
  return rm.decodeClusterInfo(reply.body);
}

/** Broker names a name server knows (its cluster info), sorted. */
export async function knownBrokers(addr: string): Promise<string[]> {
  return [...(await clusterInfo(addr)).brokerAddrTable.keys()].sort();
}

/** GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic a name server holds, sorted. */
export async function allTopics(addr: string): Promise<string[]> {
  const reply = await remotingRequest(addr, 206);
  if (reply.code !== 0) throw new Error(`GET_ALL_TOPIC_LIST_FROM_NAMESERVER on ${addr}: code ${reply.code} ${reply.remark ?? ""}`);
  return [...rm.decodeTopicList(reply.body).topicList].sort();
}

/** GET_KV_CONFIG (101): the value, or null on QUERY_NOT_FOUND (22). */
export async function kvGet(addr: string, namespace: string, key: string): Promise<string | null> {
  const reply = await remotingRequest(addr, 101, { namespace, key });
  if (reply.code === 22) return null;
  if (reply.code !== 0) throw new Error(`GET_KV_CONFIG ${namespace}/${key} on ${addr}: code ${reply.code} ${reply.remark ?? ""}`);
  return reply.extFields["value"] ?? null;
}

/**
 * A route reduced to what a client acts on, order-free: one "broker perm r/w addrs" string per
 * queue data, sorted. Equal summaries mean a client sends and pulls the same way.
 */
export function routeSummary(route: rm.TopicRouteData | null): string[] {
  if (route === null) return [];
  const addrs = new Map(route.brokerDatas.map((broker) => [broker.brokerName, [...broker.brokerAddrs.entries()].map(([id, addr]) => `${id}=${addr}`).sort().join(",")]));
  return route.queueDatas
    .map((queue) => `${queue.brokerName} perm=${queue.perm} r=${queue.readQueueNums} w=${queue.writeQueueNums} sys=${queue.topicSysFlag} [${addrs.get(queue.brokerName) ?? "no broker data"}]`)
    .sort();
}

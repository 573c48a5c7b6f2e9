// The intended differences between our node and the Java NameServer, each once, each with a
// one-line reason; docs/rocketmq-compatibility.md lists the same. Anything else the
// differential test finds is a failure.
import * as rm from "../../../src/protocol/remoting/index.js";
import { type AllowEntry, FIELD_DIFFERENCES_MAX, type NormalAnswer } from "./compare.js";

function isObject(value: rm.JsonValue | null | undefined): value is rm.JsonObject {
  return value !== null && value !== undefined && typeof value === "object" && !Array.isArray(value);
}

/** Drops `keys` from both GET_NAMESRV_CONFIG bodies; true when one had any of them. */
function dropConfigKeys(reference: NormalAnswer, candidate: NormalAnswer, keys: (key: string) => boolean): boolean {
  let changed = false;
  for (const answer of [reference, candidate]) {
    if (!isObject(answer.body)) continue;
    for (const key of Object.keys(answer.body)) {
      if (!keys(key)) continue;
      delete answer.body[key];
      changed = true;
    }
  }
  return changed;
}

/** The BrokerData objects of a route or cluster-info body, by broker name. */
function brokerDatasByName(body: rm.JsonValue | null): Map<string, rm.JsonObject> {
  const out = new Map<string, rm.JsonObject>();
  if (!isObject(body)) return out;
  const list = body["brokerDatas"];
  if (Array.isArray(list)) {
    for (const data of list) if (isObject(data) && typeof data["brokerName"] === "string") out.set(data["brokerName"], data);
  }
  return out;
}

/** Whether a BrokerData lists no master (broker id 0) among its addresses. */
function hasNoMaster(data: rm.JsonObject | undefined): boolean {
  const addrs = data?.["brokerAddrs"];
  return isObject(addrs) && Object.keys(addrs).length > 0 && !Object.hasOwn(addrs, "0");
}

/** RocketMQ's PermName.PERM_WRITE. */
const PERM_WRITE = 2;

/** A queueDatas[i].perm difference path (group 1: the index). */
const QUEUE_PERM_PATH = /^body\.queueDatas\[(\d+)\]\.perm$/;

/**
 * GET_BROKER_CLUSTER_INFO of Java after a refused first registration: drops the broker names
 * whose BrokerData has no address (and them from their clusters' sets; a cluster left empty
 * only when the candidate does not list it). True when it removed anything. Such a name would
 * also be in Java's GET_SYSTEM_TOPIC_LIST_FROM_NS, but while it lasts the generator asks only
 * for cluster info (registerBeforeFirst), so no rule touches other answers.
 */
function dropEmptyBrokerDatas(reference: NormalAnswer, candidate: NormalAnswer): boolean {
  const body = reference.body;
  if (!isObject(body)) return false;
  const brokers = body["brokerAddrTable"];
  const clusters = body["clusterAddrTable"];
  if (!isObject(brokers)) return false;
  const empty = Object.keys(brokers).filter((name) => {
    const data = brokers[name];
    const addrs = isObject(data) ? data["brokerAddrs"] : undefined;
    return isObject(addrs) && Object.keys(addrs).length === 0;
  });
  if (empty.length === 0) return false;
  for (const name of empty) delete brokers[name];
  if (isObject(clusters)) {
    const candidateClusters = isObject(candidate.body) ? candidate.body["clusterAddrTable"] : undefined;
    for (const cluster of Object.keys(clusters)) {
      const names = clusters[cluster];
      if (!Array.isArray(names)) continue;
      const kept = names.filter((name) => !(typeof name === "string" && empty.includes(name)));
      if (kept.length === names.length) continue;
      if (kept.length === 0 && !(isObject(candidateClusters) && Object.hasOwn(candidateClusters, cluster))) delete clusters[cluster];
      else clusters[cluster] = kept;
    }
  }
  return true;
}

/** GET_NAMESRV_CONFIG values that belong to the process (its port and file paths). */
const PER_PROCESS_CONFIG_KEYS: ReadonlySet<string> = new Set(["listenPort", "kvConfigPath", "configStorePath", "rocketmqHome"]);

/** The allow-list. */
export const ALLOW_LIST: readonly AllowEntry[] = [
  {
    id: "namesrv-config-unsupported-keys",
    reason: "GET_NAMESRV_CONFIG: we report only the options we support, so only keys both servers report are compared",
    normalise: (step, reference, candidate) => {
      if (step.request.code !== rm.RequestCode.GET_NAMESRV_CONFIG || !isObject(reference.body) || !isObject(candidate.body)) return false;
      const ref = reference.body;
      const cand = candidate.body;
      return dropConfigKeys(reference, candidate, (key) => !(Object.hasOwn(ref, key) && Object.hasOwn(cand, key)));
    },
  },
  {
    id: "namesrv-config-per-process",
    reason: "GET_NAMESRV_CONFIG: listenPort, kvConfigPath, configStorePath and rocketmqHome are this process's port and paths",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => PER_PROCESS_CONFIG_KEYS.has(key)),
  },
  {
    id: "namesrv-config-scan-interval",
    reason: "GET_NAMESRV_CONFIG scanNotActiveBrokerInterval: our expiry check runs every tick (50 ms), Java scans every 5000 ms",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => key === "scanNotActiveBrokerInterval"),
  },
  {
    id: "namesrv-config-wait-for-service",
    reason: "GET_NAMESRV_CONFIG needWaitForService: a node with peers answers 'name server not ready' until it has pulled a snapshot; Java's default is off",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_NAMESRV_CONFIG && dropConfigKeys(reference, candidate, (key) => key === "needWaitForService"),
  },
  {
    id: "failover-routes-from-slave",
    reason:
      "after a master leaves, Java keeps the master's last QueueData and we show what the live slave registered (routes are what live brokers registered; the same on every node): the write bit of perm can differ (admin wipe/add, acting-master wipe)",
    accepts: (step, reference, candidate, fields) => {
      if (step.request.code !== rm.RequestCode.GET_ROUTEINFO_BY_TOPIC || reference.code !== rm.ResponseCode.SUCCESS || candidate.code !== rm.ResponseCode.SUCCESS) return false;
      const refQueues = isObject(reference.body) ? reference.body["queueDatas"] : undefined;
      const candQueues = isObject(candidate.body) ? candidate.body["queueDatas"] : undefined;
      // A full list of differences may have cut off others: accept only a complete one.
      if (!Array.isArray(refQueues) || !Array.isArray(candQueues) || fields.length >= FIELD_DIFFERENCES_MAX) return false;
      const refBrokers = brokerDatasByName(reference.body);
      const candBrokers = brokerDatasByName(candidate.body);
      return fields.every((field) => {
        const index = QUEUE_PERM_PATH.exec(field.path)?.[1];
        if (index === undefined) return false;
        const ref = refQueues[Number(index)];
        const cand = candQueues[Number(index)];
        if (!isObject(ref) || !isObject(cand) || ref["brokerName"] !== cand["brokerName"] || typeof ref["brokerName"] !== "string") return false;
        if (typeof ref["perm"] !== "number" || typeof cand["perm"] !== "number" || (ref["perm"] ^ cand["perm"]) !== PERM_WRITE) return false;
        const name = ref["brokerName"];
        return hasNoMaster(refBrokers.get(name)) && hasNoMaster(candBrokers.get(name));
      });
    },
  },
  {
    id: "refused-registration-empty-broker",
    reason:
      "a refused first registration (exactly one topic) leaves an empty BrokerData in Java's cluster info until the broker registers; we leave nothing (a refused registration leaves no trace)",
    normalise: (step, reference, candidate) =>
      step.request.code === rm.RequestCode.GET_BROKER_CLUSTER_INFO && reference.code === rm.ResponseCode.SUCCESS && dropEmptyBrokerDatas(reference, candidate),
  },
  {
    id: "malformed-topic-skipped",
    reason: "a registered topic name with whitespace or over 512 chars: we skip that topic (and keep the rest), Java stores any name, so its route exists only there",
    accepts: (step, reference, candidate) => {
      const topic = step.request.extFields["topic"] ?? "";
      return (
        step.tags.includes("malformed-topic") &&
        step.request.code === rm.RequestCode.GET_ROUTEINFO_BY_TOPIC &&
        (/\s/.test(topic) || topic.length > 512) &&
        reference.code === rm.ResponseCode.SUCCESS &&
        candidate.code === rm.ResponseCode.TOPIC_NOT_EXIST
      );
    },
  },
];

// One handler per request code of the RocketMQ name server (ROCKETMQ.md §2.1), mapped onto the
// core with origin "remoting". A handler gets a decoded request and returns a ResponseSpec; it
// never throws for bad input. Imports the core API, the codec and limits; no sockets or timers.
import { AssertionError } from "../assert.js";
import type { NameServerNode } from "../core/node.js";
import { brokerKeyOf } from "../model/records.js";
import type { ConnectionId, QueueData, TopicConfig } from "../model/types.js";
import { ErrorCode, errorEntry, InvalidArgumentError, NotFoundError, NsError } from "../errors.js";
import * as rm from "../protocol/remoting/index.js";
import { checkKvKey, checkKvValue, checkName } from "../protocol/validate.js";
import type { NamesrvProperties } from "./namesrv_properties.js";
import { brokerAddrsToWire, clusterInfoToWire, registrationOf, routeToWire, topicOf } from "./remoting_convert.js";
import { RouteBodies } from "./route_body.js";

/**
 * What handlers need of the node host: the core, run() to call it with the time, and writeKv()
 * for a KV put or delete answered once durable (NodeHost.writeKv).
 */
export interface CoreAccess {
  readonly node: NameServerNode;
  run<T>(call: (nowMs: number) => T): T;
  writeKv(call: (nowMs: number) => void): Promise<void>;
}

/** The narrow log interface handlers use (pino's Logger satisfies it). */
export interface RemotingLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** Everything one request is handled with. */
export interface RemotingRequestContext {
  readonly core: CoreAccess;
  readonly connId: ConnectionId;
  readonly properties: NamesrvProperties;
  readonly log: RemotingLog;
}

/** TopicSysFlag bits (ROCKETMQ.md §4.2). */
const TOPIC_SYS_FLAG_UNIT = 1;
const TOPIC_SYS_FLAG_UNIT_SUB = 2;

/**
 * Decodes and handles one request command (never a response). Bad headers and bodies get the
 * codec's SYSTEM_ERROR; operating errors from the core get the remoting code of the error table
 * (NOT_READY and limits: SYSTEM_BUSY, bad values and KV_NOT_DURABLE: SYSTEM_ERROR) with their
 * message as the remark, and one log line. Programmer errors (AssertionError) propagate.
 * PUT_KV_CONFIG and DELETE_KV_CONFIG answer with a promise, settled once the write is durable.
 */
export function handleRemotingRequest(context: RemotingRequestContext, cmd: rm.RemotingCommand): rm.ResponseSpec | Promise<rm.ResponseSpec> {
  const decoded = rm.decodeNamesrvRequest(cmd);
  if (!decoded.ok) {
    context.log.warn(
      { connId: context.connId, code: cmd.code, responseCode: decoded.response.code, remark: decoded.response.remark },
      "remoting request refused",
    );
    return decoded.response;
  }
  try {
    const spec = dispatch(context, cmd, decoded.value);
    return spec instanceof Promise ? spec.catch((error: unknown) => failedSpec(context, cmd, error)) : spec;
  } catch (error) {
    return failedSpec(context, cmd, error);
  }
}

/** An operating error's answer and log line; anything else is rethrown. */
function failedSpec(context: RemotingRequestContext, cmd: rm.RemotingCommand, error: unknown): rm.ResponseSpec {
  if (error instanceof AssertionError || !(error instanceof NsError)) throw error;
  // KV_NOT_DURABLE: the KV file logs when its failure starts and ends, not once per request.
  const level = error.code === ErrorCode.KV_NOT_DURABLE ? "debug" : "warn";
  context.log[level]({ connId: context.connId, code: cmd.code, error: error.message }, "remoting request failed");
  return { code: errorEntry(error.code).remotingCode, remark: rm.clipRemark(error.message) };
}

function dispatch(context: RemotingRequestContext, cmd: rm.RemotingCommand, request: rm.NamesrvRequest): rm.ResponseSpec | Promise<rm.ResponseSpec> {
  switch (request.kind) {
    case "registerBroker":
      return onRegisterBroker(context, request);
    case "unregisterBroker":
      return onUnregisterBroker(context, request);
    case "brokerHeartbeat":
      return onBrokerHeartbeat(context, request);
    case "queryDataVersion":
      return onQueryDataVersion(context, request);
    case "getRouteInfoByTopic":
      return onGetRouteInfoByTopic(context, cmd, request);
    case "getBrokerClusterInfo":
      return rm.getBrokerClusterInfoSuccess(clusterInfoToWire(context.core.node.query({ kind: "clusterInfo" })));
    case "getBrokerMemberGroup": {
      const group = context.core.node.query({ kind: "memberGroup", brokerName: request.header.brokerName });
      return rm.getBrokerMemberGroupSuccess(request.header, brokerAddrsToWire(group));
    }
    case "putKvConfig":
    case "getKvConfig":
    case "deleteKvConfig":
    case "getKvListByNamespace":
      return onKv(context, request);
    case "getAllTopicListFromNameserver":
    case "getTopicsByCluster":
    case "getSystemTopicListFromNs":
    case "getUnitTopicList":
    case "getHasUnitSubTopicList":
    case "getHasUnitSubUnunitTopicList":
      return onTopicList(context, request);
    case "wipeWritePermOfBroker":
    case "addWritePermOfBroker":
    case "deleteTopicInNamesrv":
    case "registerTopicInNamesrv":
      return onTopicAdmin(context, request);
    case "getNamesrvConfig":
      return rm.getNamesrvConfigSuccess(context.properties.snapshot());
    case "updateNamesrvConfig":
      return onUpdateNamesrvConfig(context, request);
  }
}

// ---- Brokers ------------------------------------------------------------------------------

function onRegisterBroker(context: RemotingRequestContext, request: rm.RegisterBrokerRequest): rm.ResponseSpec {
  const { registration, skipped } = registrationOf(request);
  const { core, connId } = context;
  const options = {
    refuseSingleTopicFirst: true,
    deleteMissingTopics: context.properties.flag("deleteTopicWithBrokerRegistration", false),
  };
  const result = core.run((nowMs) => {
    const brokerKey = brokerKeyOf(registration.clusterName, registration.brokerAddr);
    for (const { reason, count, example } of skipped) core.node.noteSkippedTopics(brokerKey, reason, count, example);
    return core.node.registerBroker(connId, "remoting", registration, null, nowMs, options);
  });
  if (result.refused) return rm.registerBrokerFailed();
  context.log.debug(
    { connId, brokerName: registration.brokerName, brokerAddr: registration.brokerAddr, topics: registration.topics.length, contentChanged: result.contentChanged },
    "remoting broker registered",
  );
  const reply: rm.RegisterBrokerResult = {};
  if (result.haServerAddr !== null) reply.haServerAddr = result.haServerAddr;
  if (result.masterAddr !== null) reply.masterAddr = result.masterAddr;
  // As RocketMQ, the namespace goes back once it exists, also when all its keys were deleted.
  if (result.orderTopicNamespace && context.properties.flag("returnOrderTopicConfigToBroker", true)) {
    reply.orderTopicConfig = new Map(Object.entries(result.orderTopicConfig));
  }
  return rm.registerBrokerSuccess(reply);
}

function onUnregisterBroker(context: RemotingRequestContext, request: rm.UnregisterBrokerRequest): rm.ResponseSpec {
  const { core, connId } = context;
  const { clusterName, brokerAddr, brokerName } = request.header;
  core.run((nowMs) => core.node.unregisterBroker(connId, clusterName, brokerAddr, null, nowMs));
  context.log.info({ connId, clusterName, brokerAddr, brokerName }, "remoting broker unregistered");
  return rm.unregisterBrokerSuccess();
}

function onBrokerHeartbeat(context: RemotingRequestContext, request: rm.BrokerHeartbeatRequest): rm.ResponseSpec {
  const { core, connId } = context;
  const { clusterName, brokerAddr } = request.header;
  // Refreshes only a broker this node knows; an unknown one is ignored, as Java does.
  core.run((nowMs) => core.node.heartbeat(connId, clusterName, brokerAddr, null, nowMs));
  return rm.brokerHeartbeatSuccess();
}

function onQueryDataVersion(context: RemotingRequestContext, request: rm.QueryDataVersionRequest): rm.ResponseSpec {
  const { core, connId } = context;
  const { clusterName, brokerAddr } = request.header;
  const answer = core.run((nowMs) => core.node.queryDataVersion(connId, clusterName, brokerAddr, request.dataVersion, nowMs));
  return rm.queryDataVersionSuccess(answer.changed, answer.stored === null ? undefined : { ...answer.stored });
}

// ---- Routes -------------------------------------------------------------------------------

function onGetRouteInfoByTopic(
  context: RemotingRequestContext,
  cmd: rm.RemotingCommand,
  request: rm.GetRouteInfoByTopicRequest,
): rm.ResponseSpec {
  const node = context.core.node;
  const topic = request.header.topic;
  let route;
  try {
    // A node that has not pulled a peer snapshot yet answers NOT_READY, never TOPIC_NOT_EXIST.
    route = node.query({ kind: "route", topic });
  } catch (error) {
    if (error instanceof NotFoundError) return rm.getRouteInfoByTopicNotExist(topic);
    throw error;
  }
  if (route.brokerDatas.length === 0) return rm.getRouteInfoByTopicNotExist(topic);
  if (rm.zoneFilterApplies(request.header) || !Object.isFrozen(route)) {
    return rm.getRouteInfoByTopicSuccess(cmd, request.header, routeToWire(route));
  }
  // The core hands out one frozen route until it changes: its body is kept per JSON mode
  // (profiled: JSON writing dominated the remoting route query).
  return rm.successSpec(undefined, routeBodies.bodyOf(route, rm.routeJsonMode(cmd.version, request.header.acceptStandardJsonOnly)));
}

/** Kept route bodies, bounded in bytes (ROUTE_BODY_BYTES_KEPT_MAX). */
const routeBodies = new RouteBodies();

// ---- KV -----------------------------------------------------------------------------------

type KvRequest = rm.PutKvConfigRequest | rm.GetKvConfigRequest | rm.DeleteKvConfigRequest | rm.GetKvListByNamespaceRequest;

function onKv(context: RemotingRequestContext, request: KvRequest): rm.ResponseSpec | Promise<rm.ResponseSpec> {
  const { core } = context;
  switch (request.kind) {
    case "putKvConfig": {
      const { namespace, key, value } = request.header;
      checkKvKey("namespace", namespace);
      checkKvKey("key", key);
      checkKvValue("value", value);
      return core.writeKv((nowMs) => core.node.kvPut(namespace, key, value, nowMs)).then(() => rm.putKvConfigSuccess());
    }
    case "getKvConfig":
      try {
        return rm.getKvConfigSuccess(core.node.query({ kind: "kvGet", namespace: request.header.namespace, key: request.header.key }));
      } catch (error) {
        if (error instanceof NotFoundError) return rm.getKvConfigNotFound(request.header);
        throw error;
      }
    case "deleteKvConfig":
      return core.writeKv((nowMs) => core.node.kvDelete(request.header.namespace, request.header.key, nowMs)).then(() => rm.deleteKvConfigSuccess());
    case "getKvListByNamespace":
      try {
        const table = core.node.query({ kind: "kvList", namespace: request.header.namespace });
        return rm.getKvListByNamespaceSuccess(new Map(Object.entries(table)));
      } catch (error) {
        if (error instanceof NotFoundError) return rm.getKvListByNamespaceNotFound(request.header);
        throw error;
      }
  }
}

// ---- Topic lists --------------------------------------------------------------------------

type TopicListRequest =
  | rm.GetAllTopicListFromNameserverRequest
  | rm.GetTopicsByClusterRequest
  | rm.GetSystemTopicListFromNsRequest
  | rm.GetUnitTopicListRequest
  | rm.GetHasUnitSubTopicListRequest
  | rm.GetHasUnitSubUnunitTopicListRequest;

function onTopicList(context: RemotingRequestContext, request: TopicListRequest): rm.ResponseSpec {
  const node = context.core.node;
  const enabled = context.properties.flag("enableTopicList", true);
  switch (request.kind) {
    case "getAllTopicListFromNameserver":
      if (!context.properties.flag("enableAllTopicList", true)) return rm.getAllTopicListFromNameserverDisabled();
      return allTopicList(node.query({ kind: "topics", clusterName: null }));
    case "getTopicsByCluster":
      if (!enabled) return rm.getTopicsByClusterDisabled();
      return rm.getTopicsByClusterSuccess(node.query({ kind: "topics", clusterName: request.header.cluster }));
    case "getSystemTopicListFromNs":
      return systemTopicList(node);
    case "getUnitTopicList":
      if (!enabled) return rm.getUnitTopicListDisabled();
      return rm.getUnitTopicListSuccess(topicsByFlag(node, (flag) => (flag & TOPIC_SYS_FLAG_UNIT) !== 0));
    case "getHasUnitSubTopicList":
      if (!enabled) return rm.getHasUnitSubTopicListDisabled();
      return rm.getHasUnitSubTopicListSuccess(topicsByFlag(node, (flag) => (flag & TOPIC_SYS_FLAG_UNIT_SUB) !== 0));
    case "getHasUnitSubUnunitTopicList":
      if (!enabled) return rm.getHasUnitSubUnunitTopicListDisabled();
      return rm.getHasUnitSubUnunitTopicListSuccess(
        topicsByFlag(node, (flag) => (flag & TOPIC_SYS_FLAG_UNIT) === 0 && (flag & TOPIC_SYS_FLAG_UNIT_SUB) !== 0),
      );
  }
}

/**
 * GET_ALL_TOPIC_LIST_FROM_NAMESERVER. The core hands out one frozen list until the topic set
 * changes: its encoding (about 100 ms at 100,000 topics) is kept for it.
 */
function allTopicList(topics: readonly string[]): rm.ResponseSpec {
  if (!Object.isFrozen(topics)) return rm.getAllTopicListFromNameserverSuccess(topics);
  let body = encodedTopicLists.get(topics);
  if (!body) encodedTopicLists.set(topics, (body = rm.getAllTopicListFromNameserverSuccess(topics).body as Buffer));
  return rm.successSpec(undefined, body);
}

/** The body of the whole topic list, by the frozen list it encodes; weak, so it goes with the list. */
const encodedTopicLists = new WeakMap<readonly string[], Buffer>();

/** Every cluster name and broker name (Java treats them as system topics) and one broker address. */
function systemTopicList(node: NameServerNode): rm.ResponseSpec {
  const info = node.query({ kind: "clusterInfo" });
  const names = [...Object.keys(info.clusterAddrTable), ...Object.keys(info.brokerAddrTable)];
  const topics = [...new Set(names)];
  const first = Object.values(info.brokerAddrTable)[0];
  const brokerAddr = first === undefined ? undefined : Object.values(first.brokerAddrs)[0];
  return rm.getSystemTopicListFromNsSuccess(topics, brokerAddr);
}

/** Topics whose first QueueData's topicSysFlag passes `test` (Java looks at the first entry only). */
function topicsByFlag(node: NameServerNode, test: (flag: number) => boolean): string[] {
  const topics: string[] = [];
  for (const topic of node.query({ kind: "topics", clusterName: null })) {
    const first = node.findRoute(topic)?.queueDatas[0];
    if (first !== undefined && test(first.topicSysFlag)) topics.push(topic);
  }
  return topics;
}

// ---- Topic and permission admin -------------------------------------------------------------

type TopicAdminRequest =
  | rm.WipeWritePermOfBrokerRequest
  | rm.AddWritePermOfBrokerRequest
  | rm.DeleteTopicInNamesrvRequest
  | rm.RegisterTopicInNamesrvRequest;

function onTopicAdmin(context: RemotingRequestContext, request: TopicAdminRequest): rm.ResponseSpec {
  const { core, log, connId } = context;
  switch (request.kind) {
    case "wipeWritePermOfBroker": {
      const count = core.run((nowMs) => core.node.wipeWritePerm(request.header.brokerName, nowMs));
      log.info({ connId, brokerName: request.header.brokerName, count }, "remoting write perm wiped");
      return rm.wipeWritePermOfBrokerSuccess(count);
    }
    case "addWritePermOfBroker": {
      const count = core.run((nowMs) => core.node.addWritePerm(request.header.brokerName, nowMs));
      log.info({ connId, brokerName: request.header.brokerName, count }, "remoting write perm added");
      return rm.addWritePermOfBrokerSuccess(count);
    }
    case "deleteTopicInNamesrv": {
      const { topic, clusterName } = request.header;
      const cluster = clusterName === undefined || clusterName === "" ? null : clusterName;
      core.run((nowMs) => core.node.deleteTopic(topic, cluster, nowMs));
      log.info({ connId, topic, clusterName: cluster }, "remoting topic deleted");
      return rm.deleteTopicInNamesrvSuccess();
    }
    case "registerTopicInNamesrv":
      return onRegisterTopic(context, request);
  }
}

/**
 * REGISTER_TOPIC_IN_NAMESRV (217): the topic's queues are stored as 5.3.3 does; a malformed queue
 * or one naming an unknown broker name stops the request. SUCCESS in every case, as Java answers.
 */
function onRegisterTopic(context: RemotingRequestContext, request: rm.RegisterTopicInNamesrvRequest): rm.ResponseSpec {
  const { core, log, connId } = context;
  const topic = request.header.topic;
  if (request.queueDatas.length === 0) return rm.registerTopicInNamesrvSuccess();
  const queues: QueueData[] = [];
  for (const [index, queue] of request.queueDatas.entries()) {
    try {
      const config = topicOf({ ...rm.TOPIC_CONFIG_DEFAULTS, ...queue, topicName: topic, order: false, attributes: new Map() }, `queueDatas[${index}]`);
      queues.push({ brokerName: checkName(`queueDatas[${index}].brokerName`, queue.brokerName), ...queueFieldsOf(config) });
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      core.run(() => core.node.noteSkippedTopics(`217@${connId}`, "malformed", 1, error.message));
      break;
    }
  }
  const result = core.run((nowMs) => core.node.registerTopic(topic, queues, nowMs));
  log.info({ connId, topic, queueDatas: request.queueDatas.length, unknownBrokerName: result.unknownBrokerName }, "remoting topic registered");
  return rm.registerTopicInNamesrvSuccess();
}

function queueFieldsOf(config: TopicConfig): Omit<QueueData, "brokerName"> {
  const { readQueueNums, writeQueueNums, perm, topicSysFlag } = config;
  return { readQueueNums, writeQueueNums, perm, topicSysFlag };
}

function onUpdateNamesrvConfig(context: RemotingRequestContext, request: rm.UpdateNamesrvConfigRequest): rm.ResponseSpec {
  const { response, changed } = context.properties.update(request.properties);
  context.log.info(
    { connId: context.connId, keys: [...request.properties.keys()].slice(0, 32), changed, responseCode: response.code },
    "remoting namesrv config update",
  );
  return response;
}

// The native request table: request code -> body decoder + core call. One row per RequestCode
// the node serves; codes missing here are answered with UNSUPPORTED_REQUEST by the session.
import { RequestCode } from "../protocol/codes.js";
import { decodeDeleteTopic, decodeKvKey, decodeKvList, decodeKvPut, decodeWritePerm } from "../protocol/messages/admin.js";
import {
  decodeHeartbeat,
  decodeRegisterBroker,
  decodeRegisterBrokerVersion,
  decodeUnregisterBroker,
} from "../protocol/messages/broker.js";
import { decodeGetClusterInfo, decodeGetRoute, decodeGetTopics } from "../protocol/messages/query.js";
import { decodeSubscribe, decodeUnsubscribe } from "../protocol/messages/subscribe.js";
import type { ConnectionId } from "../model/types.js";
import type { Permission } from "../host/auth.js";
import type { NodeHost } from "../host/node_host.js";

/** What a handler may use: the node host and the connection the request came on. */
export interface RequestContext {
  readonly host: NodeHost;
  readonly connId: ConnectionId;
  /** The connection's hello carried a valid admin token. */
  readonly adminToken: boolean;
}

/**
 * One row of the request table. Readiness is the core's: its reads (node.query) and
 * subscriptions answer NOT_READY until the node is ready (DESIGN §4); writes are always taken.
 */
export interface RequestHandler {
  /** The grant the connection's hello must have earned (issue #7); see auth.ts. */
  readonly permission: Permission;
  /**
   * Decodes the body (InvalidArgumentError on bad input), calls the core, returns the reply
   * body, or a promise of it for a write answered once durable (KV put and delete).
   */
  readonly handle: (context: RequestContext, body: unknown) => unknown;
}

const EMPTY = Object.freeze({});

/** Request code -> handler. HELLO is handled by the session; PEER_* belong to the gossip shell. */
export const REQUEST_HANDLERS: ReadonlyMap<number, RequestHandler> = new Map<number, RequestHandler>([
  [
    RequestCode.REGISTER_BROKER,
    {
      permission: "broker",
      handle: ({ host, connId }, body) => {
        // Big brokers re-register every 30 s with an unchanged version: answer those from
        // the version alone, before validating every topic (profiled: 11% of the time).
        const version = decodeRegisterBrokerVersion(body);
        const unchanged = host.run((nowMs) =>
          host.node.reregisterUnchanged(connId, version.clusterName, version.brokerAddr, version.dataVersion, version.evidence, nowMs),
        );
        if (unchanged) return unchanged;
        const request = decodeRegisterBroker(body);
        // The agent always sends its whole table: a topic it no longer lists is removed.
        const options = { deleteMissingTopics: true };
        return host.run((nowMs) => host.node.registerBroker(connId, "native", request.registration, request.evidence, nowMs, options));
      },
    },
  ],
  [
    RequestCode.HEARTBEAT,
    {
      permission: "broker",
      handle: ({ host, connId }, body) => {
        const request = decodeHeartbeat(body);
        return host.run((nowMs) => host.node.heartbeat(connId, request.clusterName, request.brokerAddr, request.evidence, nowMs));
      },
    },
  ],
  [
    RequestCode.UNREGISTER_BROKER,
    {
      permission: "broker",
      handle: ({ host, connId, adminToken }, body) => {
        // Counts only on the broker's own registering connection, or from an authenticated
        // admin; anyone else's is answered as for an unknown broker and changes nothing.
        const request = decodeUnregisterBroker(body);
        host.run((nowMs) => host.node.unregisterBroker(connId, request.clusterName, request.brokerAddr, request.evidence, nowMs, adminToken));
        return EMPTY;
      },
    },
  ],
  [
    RequestCode.GET_ROUTE,
    { permission: "read", handle: ({ host }, body) => host.node.query({ kind: "route", topic: decodeGetRoute(body).topic }) },
  ],
  [
    RequestCode.GET_CLUSTER_INFO,
    {
      permission: "read",
      handle: ({ host }, body) => {
        decodeGetClusterInfo(body);
        return host.node.query({ kind: "clusterInfo" });
      },
    },
  ],
  [
    RequestCode.GET_TOPICS,
    { permission: "read", handle: ({ host }, body) => ({ topics: host.node.query({ kind: "topics", clusterName: decodeGetTopics(body).clusterName }) }) },
  ],
  [
    RequestCode.KV_PUT,
    {
      permission: "admin",
      handle: ({ host }, body) => {
        const { namespace, key, value } = decodeKvPut(body);
        return host.writeKv((nowMs) => host.node.kvPut(namespace, key, value, nowMs)).then(() => EMPTY);
      },
    },
  ],
  [
    RequestCode.KV_GET,
    {
      permission: "read",
      handle: ({ host }, body) => {
        const { namespace, key } = decodeKvKey(body);
        return { value: host.node.query({ kind: "kvGet", namespace, key }) };
      },
    },
  ],
  [
    RequestCode.KV_DELETE,
    {
      permission: "admin",
      handle: ({ host }, body) => {
        const { namespace, key } = decodeKvKey(body);
        return host.writeKv((nowMs) => host.node.kvDelete(namespace, key, nowMs)).then(() => EMPTY);
      },
    },
  ],
  [
    RequestCode.KV_LIST,
    { permission: "read", handle: ({ host }, body) => ({ table: host.node.query({ kind: "kvList", namespace: decodeKvList(body).namespace }) }) },
  ],
  [
    RequestCode.DELETE_TOPIC,
    {
      permission: "admin",
      handle: ({ host }, body) => {
        const { topic, clusterName } = decodeDeleteTopic(body);
        host.run((nowMs) => host.node.deleteTopic(topic, clusterName, nowMs));
        return EMPTY;
      },
    },
  ],
  [
    RequestCode.WIPE_WRITE_PERM,
    {
      permission: "admin",
      handle: ({ host }, body) => {
        const { brokerName } = decodeWritePerm(body);
        return { count: host.run((nowMs) => host.node.wipeWritePerm(brokerName, nowMs)) };
      },
    },
  ],
  [
    RequestCode.ADD_WRITE_PERM,
    {
      permission: "admin",
      handle: ({ host }, body) => {
        const { brokerName } = decodeWritePerm(body);
        return { count: host.run((nowMs) => host.node.addWritePerm(brokerName, nowMs)) };
      },
    },
  ],
  [
    RequestCode.SUBSCRIBE,
    {
      permission: "read",
      handle: ({ host, connId }, body) => {
        const { topics } = decodeSubscribe(body);
        return { count: host.run(() => host.node.subscribe(connId, topics)) };
      },
    },
  ],
  [
    RequestCode.UNSUBSCRIBE,
    {
      permission: "read",
      handle: ({ host, connId }, body) => {
        const { topics } = decodeUnsubscribe(body);
        return { count: host.run(() => host.node.unsubscribe(connId, topics)) };
      },
    },
  ],
]);

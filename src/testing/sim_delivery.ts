// What a payload does when ClusterSim delivers it to a node: peer frames are cloned and
// re-validated with the protocol decoders (as the wire would), broker requests go to the core
// as the ports send them. Test-only.
import { NsError } from "../errors.js";
import type { PeerMessage } from "../core/effects.js";
import type { NameServerNode } from "../core/node.js";
import type { ConnectionId } from "../model/types.js";
import { decodePeerDeltas, decodePeerDigest, decodePeerPull, decodePeerSummary, decodePeerWant } from "../protocol/messages/gossip.js";
import { decodePeerHeard } from "../protocol/messages/heard.js";
import { registerOptionsOf, type BrokerRequest, type DeltasInterceptor, type LegacyRefusals, type SimBroker, type SimNodeHost } from "./sim_actors.js";

/**
 * A peer frame: cloned (no shared objects between nodes) and validated like the wire. A legacy
 * receiver (`legacy`: its refusal counts) drops PEER_HEARD, as its hub did ("unsupported peer
 * frame"), and a digest without buckets, which its decoder refused ("must have 256 items").
 */
export function applyPeerFrame(
  node: NameServerNode,
  from: string,
  message: PeerMessage,
  interceptor: DeltasInterceptor | undefined,
  nowMs: number,
  legacy: LegacyRefusals | null = null,
): void {
  const body: unknown = structuredClone(message.body);
  if (legacy !== null && message.type === "heard") {
    legacy.heard += 1;
    return;
  }
  if (legacy !== null && message.type === "digest" && message.body.buckets.length === 0) {
    legacy.rootDigests += 1;
    return;
  }
  switch (message.type) {
    case "deltas": {
      let deltas = decodePeerDeltas(body);
      if (interceptor) deltas = interceptor(node, from, deltas);
      node.onPeerDeltas(from, deltas, nowMs);
      return;
    }
    case "digest":
      node.onPeerDigest(from, decodePeerDigest(body), nowMs);
      return;
    case "pull":
      node.onPeerPull(from, decodePeerPull(body), nowMs);
      return;
    case "summary":
      node.onPeerSummary(from, decodePeerSummary(body), nowMs);
      return;
    case "want":
      node.onPeerWant(from, decodePeerWant(body), nowMs);
      return;
    case "heard":
      node.onPeerHeard(from, decodePeerHeard(body), nowMs);
      return;
  }
}

/** What a broker request may do besides changing the node. */
export interface BrokerRequestContext {
  /** The sender, when it is a simulated broker. */
  readonly broker: SimBroker | undefined;
  readonly nowMs: number;
  /** Answers a heartbeat: whether the node knows the broker. */
  reply(registered: boolean): void;
  /** The node refused the request. */
  refused(kind: BrokerRequest["kind"], error: NsError): void;
}

/** A broker request on connection `connId` of `host`. */
export function applyBrokerRequest(host: SimNodeHost, node: NameServerNode, connId: ConnectionId, request: BrokerRequest, context: BrokerRequestContext): void {
  const { broker, nowMs: now } = context;
  const registration = broker?.registration;
  if (request.kind === "close") {
    if (host.openConnections.delete(connId)) node.connectionClosed(connId, now);
    return;
  }
  host.openConnections.add(connId);
  const connection = broker?.connections.get(host.id);
  if (connection?.connId === connId && request.kind !== "subscribe") connection.firstHeardMs ??= now;
  try {
    switch (request.kind) {
      case "register":
        // As the ports do: an agent's registration is its whole table; a remoting broker's
        // merges, and a first one of exactly one topic is refused.
        node.registerBroker(connId, broker?.origin ?? "native", request.registration, request.evidence, now, registerOptionsOf(broker?.origin ?? "native"));
        if (broker) broker.lastHeardMs = now;
        return;
      case "heartbeat": {
        if (!registration) return;
        const reply = node.heartbeat(connId, registration.clusterName, registration.brokerAddr, request.evidence, now);
        if (broker) broker.lastHeardMs = now;
        context.reply(reply.registered);
        return;
      }
      case "unregister":
        if (registration) node.unregisterBroker(connId, registration.clusterName, registration.brokerAddr, request.evidence, now);
        return;
      case "subscribe":
        node.subscribe(connId, request.topics.map((topic) => ({ topic, revision: null })));
        return;
    }
  } catch (error) {
    if (!(error instanceof NsError)) throw error;
    context.refused(request.kind, error);
  }
}

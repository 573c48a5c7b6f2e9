// The actors of a ClusterSim: node hosts, simulated brokers and route subscribers, the
// connections between them and what travels on the simulated network. Test-only.
import type { NameServerNode, NodeOptions } from "../core/node.js";
import type { PeerMessage } from "../core/effects.js";
import type { BrokerRegistration, ConnectionId, Evidence, Origin, RegisterOptions, TopicRouteData } from "../model/types.js";
import type { PeerDeltas } from "../protocol/messages/gossip.js";
import { PEER_FEATURES, type PeerFeature } from "../protocol/messages/hello.js";
import type { SimNetworkOptions } from "./sim_network.js";

/** Options of one simulation. */
export interface ClusterSimOptions {
  readonly seed: number;
  /** Nodes are named n1..nN. @default 3 */
  readonly nodeCount: number;
  readonly network: Partial<SimNetworkOptions>;
  /** Overrides of every node's options (peersConfigured and seeds are set by the sim). */
  readonly node: Partial<NodeOptions>;
  /** Nodes that run as a build from before peer features (SimNodeHost.legacy). @default none */
  readonly legacyNodes?: readonly string[];
}

/** What a legacy node refused: PEER_HEARD frames (unknown to it) and digests without buckets. */
export interface LegacyRefusals {
  heard: number;
  rootDigests: number;
}

/** What a simulated broker looks like. */
export interface BrokerSpec {
  /** Endpoint name; also the broker name unless `brokerName` is given. */
  readonly name: string;
  /** Nodes it keeps a connection to. @default every node */
  readonly nodes?: readonly string[];
  /** native: our agent (heartbeats with (bootEpoch, seq)); remoting: RocketMQ 4.x broker. */
  readonly origin?: Origin;
  readonly topics?: readonly string[];
  /** @default BROKER_HEARTBEAT_MS for native, BROKER_REGISTER_INTERVAL_MS for remoting */
  readonly heartbeatMs?: number;
  readonly heartbeatTimeoutMs?: number | null;
  readonly clusterName?: string;
  readonly brokerName?: string;
  readonly brokerId?: number;
  /**
   * Remoting brokers only: send the table in chunks of this many topics, each with the same
   * DataVersion, as a 5.x broker with enableSplitRegistration. @default null (one registration)
   */
  readonly splitRegistrationSize?: number | null;
}

/** The auto-create template topic every RocketMQ broker registers (and what keeps a first
 * registration from being exactly one topic, which RocketMQ refuses). */
export const TEMPLATE_TOPIC = "TBW102";

/** One connection of a broker or client to a node incarnation. */
export interface SimConnection {
  readonly connId: ConnectionId;
  readonly nodeId: string;
  readonly incarnation: number;
  readonly openedAtMs: number;
  open: boolean;
  /** When a request on it first reached the node (a lost first registration leaves it unset). */
  firstHeardMs?: number;
}

export type BrokerRequest =
  | { readonly kind: "register"; readonly registration: BrokerRegistration; readonly evidence: Evidence | null }
  | { readonly kind: "heartbeat"; readonly evidence: Evidence }
  | { readonly kind: "unregister"; readonly evidence: Evidence | null }
  | { readonly kind: "subscribe"; readonly topics: readonly string[] }
  | { readonly kind: "close" };

export type WirePayload =
  | { readonly type: "peer"; readonly incarnation: number; readonly message: PeerMessage }
  | { readonly type: "request"; readonly incarnation: number; readonly connId: ConnectionId; readonly request: BrokerRequest }
  | { readonly type: "heartbeatReply"; readonly nodeId: string; readonly connId: ConnectionId; readonly registered: boolean }
  | { readonly type: "push"; readonly topic: string; readonly route: TopicRouteData | null };

/** One name server process: its node (null while stopped), pause state and inbox. */
export class SimNodeHost {
  node: NameServerNode | null = null;
  paused = false;
  /** Bumped on every stop and restart; frames and inputs for an older one are dropped. */
  incarnation = 0;
  startedAtMs = 0;
  readonly inbox: (() => void)[] = [];
  /** Connections open on this incarnation, by id. */
  readonly openConnections = new Set<ConnectionId>();
  /** What the hello announces; null: none when legacy, else this build's (tests may lie here). */
  announced: readonly PeerFeature[] | null = null;
  /** What a legacy node refused. */
  readonly refused: LegacyRefusals = { heard: 0, rootDigests: 0 };
  constructor(
    readonly id: string,
    readonly addr: string,
    /**
     * A build from before peer features, as far as its peers can tell: its hello announces none,
     * it sees every peer as one like itself (so it shares liveness records and sends whole digests,
     * as that build did), and it refuses PEER_HEARD and a digest without buckets (`refused`). Its
     * other rules (relaying, digest hashes, taking verdicts) are this build's. Set it before a
     * restart to upgrade or downgrade the node.
     */
    public legacy = false,
  ) {}

  /** The features this node takes a peer to have (what the peer's hello answer announced, as this node reads it). */
  featuresOf(peer: SimNodeHost): readonly PeerFeature[] {
    if (this.legacy) return [];
    return peer.announced ?? (peer.legacy ? [] : PEER_FEATURES);
  }

  /** Running (not stopped); may be paused. */
  get running(): boolean {
    return this.node !== null;
  }

  /** Running, not paused and ready: its answers are what clients see. */
  get serving(): boolean {
    return this.node !== null && !this.paused && this.node.isReady();
  }
}

/** A simulated broker: our agent (native) or a RocketMQ 4.x broker (remoting). */
export class SimBroker {
  state: "running" | "paused" | "dead" | "unregistered" = "running";
  bootEpoch: number;
  seq = 0;
  registration: BrokerRegistration;
  readonly connections = new Map<string, SimConnection>();
  /** Last time the broker sent a register or heartbeat. */
  lastSentMs = -1;
  /** Last time any node processed a register or heartbeat of it: "evidence from the broker". */
  lastHeardMs = -1;
  /** When it was last killed, paused, unregistered or (re)started. */
  lastTransitionMs = 0;
  generation = 0;
  /** Content changed: the next round registers in full instead of heartbeating. */
  contentDirty = false;
  /** Topics per registration for a splitting remoting broker; null sends the table whole. */
  splitSize: number | null = null;
  constructor(
    readonly name: string,
    readonly origin: Origin,
    readonly nodes: readonly string[],
    readonly heartbeatMs: number,
    registration: BrokerRegistration,
    bootEpoch: number,
  ) {
    this.registration = registration;
    this.bootEpoch = bootEpoch;
  }

  /** The broker key the core uses. */
  get key(): string {
    return `${this.registration.clusterName}@${this.registration.brokerAddr}`;
  }

  /** Whether it heartbeats now. */
  get active(): boolean {
    return this.state === "running";
  }

  /** The evidence of its current heartbeat round (null for remoting brokers). */
  evidence(): Evidence | null {
    return this.origin === "native" ? { epoch: this.bootEpoch, seq: this.seq } : null;
  }
}

/** A route subscriber connected to one node. */
export class SimClient {
  readonly pushes: { atMs: number; topic: string; route: TopicRouteData | null }[] = [];
  connection: SimConnection | null = null;
  constructor(
    readonly name: string,
    readonly nodeId: string,
    readonly topics: readonly string[],
  ) {}
}

/** One log line of a node. */
export interface SimLogLine {
  readonly atMs: number;
  readonly nodeId: string;
  readonly level: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Rewrites the deltas a node receives: the hook for breaking a merge rule on purpose in tests. */
export type DeltasInterceptor = (node: NameServerNode, fromPeer: string, deltas: PeerDeltas) => PeerDeltas;

/** The register options each port passes (native_handlers.ts, remoting_handlers.ts). */
export function registerOptionsOf(origin: Origin): RegisterOptions {
  return origin === "native" ? { deleteMissingTopics: true } : { refuseSingleTopicFirst: true };
}

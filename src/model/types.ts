// Data shapes of the core, RocketMQ-shaped so that the remoting port is a thin codec.
// Pure types only: imported by core, protocol and shells alike.

/** Topic permission bits, as RocketMQ's PermName. */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1, READ_WRITE: 6 } as const;
/** Every valid perm value we create is below this (RocketMQ: 0 <= perm < 8). */
export const PERM_VALUE_LIMIT = 8;
/** Every PermName bit set: the largest perm a broker may register (priority included). */
export const PERM_BITS_ALL = 15;
/** Broker id of a master; slaves have ids above it. */
export const MASTER_ID = 0;

/** Broker-authored version of its topic configuration (RocketMQ DataVersion). */
export interface DataVersion {
  readonly timestamp: number;
  readonly counter: number;
  readonly stateVersion: number;
}

/** One topic as a broker hosts it (RocketMQ TopicConfig, the fields a name server uses). */
export interface TopicConfig {
  readonly topicName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
  readonly order: boolean;
}

/** Everything a broker says about itself when it registers. */
export interface BrokerRegistration {
  readonly clusterName: string;
  readonly brokerAddr: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly haServerAddr: string;
  readonly zoneName: string | null;
  readonly enableActingMaster: boolean;
  /** Expiry the broker asks for (RocketMQ heartbeatTimeoutMillis); null = the node's default. */
  readonly heartbeatTimeoutMs: number | null;
  readonly dataVersion: DataVersion;
  readonly topics: readonly TopicConfig[];
}

/** A registration without its topics: what a broker instance says about itself. */
export type BrokerHeader = Omit<BrokerRegistration, "topics">;

/**
 * Evidence that a broker was alive: the broker's own heartbeat sequence (bootEpoch, seq)
 * where it sends one, otherwise a hybrid logical clock reading of the node that heard it
 * (epoch = wall ms, seq = logical counter). Ordered lexicographically.
 */
export interface Evidence {
  readonly epoch: number;
  readonly seq: number;
}

/** How a broker came to be offline. */
export type OfflineReason = "unregistered" | "expired" | "connectionClosed";

/** RocketMQ QueueData: one broker name's queues for one topic. */
export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

/** RocketMQ BrokerData: the live instances of one broker name, keyed by broker id. */
export interface BrokerData {
  readonly cluster: string;
  readonly brokerName: string;
  /** brokerId (decimal string) -> "host:port". */
  readonly brokerAddrs: Readonly<Record<string, string>>;
  readonly enableActingMaster: boolean;
  readonly zoneName?: string;
}

/** RocketMQ TopicRouteData: the answer to "where does this topic live". */
export interface TopicRouteData {
  readonly orderTopicConf?: string;
  readonly queueDatas: readonly QueueData[];
  readonly brokerDatas: readonly BrokerData[];
  readonly filterServerTable: Readonly<Record<string, readonly string[]>>;
}

/** RocketMQ ClusterInfo: broker names with their instances, and clusters with their names. */
export interface ClusterInfo {
  readonly brokerAddrTable: Readonly<Record<string, BrokerData>>;
  readonly clusterAddrTable: Readonly<Record<string, readonly string[]>>;
}

/** Result of a registration, as RocketMQ's RegisterBrokerResult. */
export interface RegisterResult {
  /** For a slave: its master's HA address and address, when that master is alive. */
  readonly haServerAddr: string | null;
  readonly masterAddr: string | null;
  /** KV namespace ORDER_TOPIC_CONFIG, returned to brokers as RocketMQ does. */
  readonly orderTopicConfig: Readonly<Record<string, string>>;
  /** Whether that namespace was ever written: RocketMQ then returns it, empty or not. */
  readonly orderTopicNamespace: boolean;
  /** False when the registration changed nothing (every topic and header field already held). */
  readonly contentChanged: boolean;
  /** True when RocketMQ's one-topic guard refused it (remoting answers "register broker failed"). */
  readonly refused: boolean;
}

/** How a registration is taken; the remoting port asks for RocketMQ's rules. */
export interface RegisterOptions {
  /**
   * Refuse a one-topic registration of a broker id not registered yet (RocketMQ's guard
   * against an incremental registration that overtook the first full one). @default false
   */
  readonly refuseSingleTopicFirst?: boolean;
  /** Remove the broker's topics this registration does not carry (RocketMQ's
   * deleteTopicWithBrokerRegistration). @default false */
  readonly deleteMissingTopics?: boolean;
}

/** Why a topic a broker registered was not taken. */
export type TopicSkipReason = "malformed" | "capacity" | "unknownBroker";

/** Identifies one client connection inside a node; allocated by the shell. */
export type ConnectionId = number;

/** Where a request came from; shapes defaults such as the broker expiry. */
export type Origin = "native" | "remoting";

// BrokerAgent options and settings: what a caller may set, and the one check that validates
// every field (topics with the same validator the node uses) and reports every problem at once.
import type { Clock, Rng } from "../core/clock.js";
import type { TopicConfig } from "../model/types.js";
import { ConfigError } from "../errors.js";
import {
  BROKER_EXPIRY_MS_MAX,
  BROKER_EXPIRY_MS_MIN,
  BROKER_HEARTBEAT_MS,
  BROKER_HEARTBEAT_MS_MIN,
  BROKER_ID_MAX,
  BROKER_REGISTER_INTERVAL_MS,
  REQUEST_TIMEOUT_MS,
  TOPICS_PER_BROKER_MAX,
} from "../limits.js";
import { decodeTopicConfig } from "../protocol/messages/broker.js";
import { checkAddr, checkName } from "../protocol/validate.js";
import { checkNameServers } from "../client/addresses.js";
import type { ClientTls } from "../client/connection.js";
import type { ClientLogger, Scheduler } from "../client/scheduler.js";
import type { Dialer } from "../client/transport.js";
import type { HostResolver } from "../transport/dns.js";

/** A topic as the agent is given it; sysFlag and order default to 0 and false. */
export interface TopicConfigInput {
  readonly topicName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag?: number;
  readonly order?: boolean;
}

/** What the agent reports per name server. */
export type AgentEvent =
  | { readonly kind: "registered"; readonly addr: string; readonly nodeId: string; readonly seq: number }
  | { readonly kind: "registerFailed"; readonly addr: string; readonly error: Error }
  | { readonly kind: "lost"; readonly addr: string; readonly reason: string }
  | { readonly kind: "reconnected"; readonly addr: string; readonly nodeId: string };

/** Options of a BrokerAgent. */
export interface BrokerAgentOptions {
  /** "host:port" of every name server's HTTP + WebSocket port; the agent talks to all. */
  readonly nameServers: readonly string[];
  readonly clusterName: string;
  readonly brokerName: string;
  /** 0 = master. */
  readonly brokerId: number;
  /** "host:port" producers and consumers reach this broker at. */
  readonly brokerAddr: string;
  /** @default "" */
  readonly haServerAddr?: string;
  readonly zoneName?: string;
  readonly topics: readonly TopicConfigInput[];
  /** Light heartbeat period. @default BROKER_HEARTBEAT_MS (min BROKER_HEARTBEAT_MS_MIN) */
  readonly heartbeatMs?: number;
  /** Full re-registration period. @default BROKER_REGISTER_INTERVAL_MS */
  readonly registerIntervalMs?: number;
  /** Expiry declared to the nodes; at least 2 heartbeats. @default none (the node's default) */
  readonly heartbeatTimeoutMs?: number;
  /** Timeout of one request. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  readonly clock: Clock;
  readonly rng: Rng;
  /** @default a RealScheduler */
  readonly scheduler?: Scheduler;
  /** @default NativeConnection.dialer */
  readonly dialer?: Dialer;
  /** @default silentLogger */
  readonly logger?: ClientLogger;
  /** Token sent in every hello (broker, admin or client token). @default none */
  readonly token?: string;
  /** Connect with wss:// (CA, optional client certificate). @default plain ws:// */
  readonly tls?: ClientTls;
  /** Called on every event; must not throw. */
  readonly onEvent?: (event: AgentEvent) => void;
  /**
   * Resolve each name server's host name to all its addresses and register with every one,
   * resolving again every NAME_SERVER_DNS_INTERVAL_MS (RocketMQ's fetchNameSrvAddrByDnsLookup).
   * @default false: one connection per entry, to whichever address the system picks
   */
  readonly dnsLookup?: boolean;
  /** Resolves host names when `dnsLookup` is set. @default the system resolver */
  readonly resolver?: HostResolver;
}

/** Validated agent settings. */
export interface AgentSettings {
  readonly nameServers: readonly string[];
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly haServerAddr: string;
  readonly zoneName: string | null;
  readonly topics: readonly TopicConfig[];
  readonly heartbeatMs: number;
  readonly registerIntervalMs: number;
  readonly heartbeatTimeoutMs: number | null;
  readonly requestTimeoutMs: number;
  readonly dnsLookup: boolean;
}

/** Checks agent options; reports every problem in one ConfigError. */
export function checkBrokerAgentOptions(options: BrokerAgentOptions): AgentSettings {
  const problems: string[] = [];
  const attempt = <T>(fallback: T, check: () => T): T => {
    try {
      return check();
    } catch (error) {
      problems.push((error as Error).message);
      return fallback;
    }
  };
  const nameServers = attempt<string[]>([], () => checkNameServers(options.nameServers));
  const clusterName = attempt("", () => checkName("clusterName", options.clusterName));
  const brokerName = attempt("", () => checkName("brokerName", options.brokerName));
  const brokerAddr = attempt("", () => checkAddr("brokerAddr", options.brokerAddr));
  const haServerAddr = options.haServerAddr === undefined || options.haServerAddr === "" ? "" : attempt("", () => checkAddr("haServerAddr", options.haServerAddr));
  const zoneName = options.zoneName === undefined ? null : attempt(null, () => checkName("zoneName", options.zoneName));
  const topics = attempt<TopicConfig[]>([], () => checkTopics(options.topics));
  const intIn = (field: string, value: number, min: number, max: number): number => {
    if (!Number.isSafeInteger(value) || value < min || value > max) problems.push(`'${field}' must be an integer in ${min}..${max}, got ${value}`);
    return value;
  };
  const brokerId = intIn("brokerId", options.brokerId, 0, BROKER_ID_MAX);
  const heartbeatMs = intIn("heartbeatMs", options.heartbeatMs ?? BROKER_HEARTBEAT_MS, BROKER_HEARTBEAT_MS_MIN, BROKER_EXPIRY_MS_MAX);
  const registerIntervalMs = intIn("registerIntervalMs", options.registerIntervalMs ?? BROKER_REGISTER_INTERVAL_MS, BROKER_HEARTBEAT_MS_MIN, BROKER_EXPIRY_MS_MAX);
  const requestTimeoutMs = intIn("requestTimeoutMs", options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, 1, 60_000);
  let heartbeatTimeoutMs: number | null = null;
  if (options.heartbeatTimeoutMs !== undefined) {
    heartbeatTimeoutMs = intIn("heartbeatTimeoutMs", options.heartbeatTimeoutMs, BROKER_EXPIRY_MS_MIN, BROKER_EXPIRY_MS_MAX);
    // Two missed heartbeats must not expire the broker.
    if (heartbeatTimeoutMs < 2 * heartbeatMs) {
      problems.push(`'heartbeatTimeoutMs' must be at least 2 x heartbeatMs (${2 * heartbeatMs}), got ${heartbeatTimeoutMs}`);
    }
  }
  const dnsLookup = options.dnsLookup ?? false;
  if (typeof dnsLookup !== "boolean") problems.push(`'dnsLookup' must be true or false, got ${String(dnsLookup).slice(0, 64)}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nameServers, clusterName, brokerName, brokerId, brokerAddr, haServerAddr, zoneName, topics,
    heartbeatMs, registerIntervalMs, heartbeatTimeoutMs, requestTimeoutMs, dnsLookup,
  };
}

/** Validates topic configs as the node will (same validator), plus unique names. */
export function checkTopics(topics: readonly TopicConfigInput[]): TopicConfig[] {
  if (topics.length > TOPICS_PER_BROKER_MAX) {
    throw new ConfigError([`'topics' must have at most ${TOPICS_PER_BROKER_MAX} items, got ${topics.length}`]);
  }
  const seen = new Set<string>();
  return topics.map((raw, index) => {
    const topic = decodeTopicConfig(raw, `topics[${index}]`);
    if (seen.has(topic.topicName)) throw new ConfigError([`'topics[${index}].topicName' must be unique, got '${topic.topicName}'`]);
    seen.add(topic.topicName);
    return topic;
  });
}

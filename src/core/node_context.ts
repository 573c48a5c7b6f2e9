// The plumbing every part of a node shares: its options, clock, randomness, counters, admin
// state and the queue of effects for the shell. Pure; imports core and limits only.
import * as limits from "../limits.js";
import { AdminState } from "./admin_state.js";
import type { Rng } from "./clock.js";
import type { Effect, LogLevel } from "./effects.js";
import { HybridClock } from "./hlc.js";
import type { Stamp } from "../model/records.js";
import type { Evidence, TopicSkipReason } from "../model/types.js";

/** Options of one node; the shell builds them from the validated Config. */
export interface NodeOptions {
  readonly nodeId: string;
  /** Expiry for native brokers that declare none. @default BROKER_EXPIRY_MS */
  readonly brokerExpiryMs: number;
  /** Expiry for remoting brokers that declare none. @default REMOTING_BROKER_EXPIRY_MS */
  readonly remotingBrokerExpiryMs: number;
  /** @default SUSPICION_MS */
  readonly suspicionMs: number;
  /** @default STARTUP_GRACE_MS */
  readonly startupGraceMs: number;
  /** Whether peers are configured: then the node waits for a snapshot or the grace. */
  readonly peersConfigured: boolean;
  /** @default TOPICS_MAX */
  readonly topicsMax: number;
  /** @default BROKERS_MAX */
  readonly brokersMax: number;
  /** Put orderTopicConf from KV into routes, as RocketMQ's orderMessageEnable. @default false */
  readonly orderMessageEnable: boolean;
  /** This node's "host:port" as peers should dial it; null when not advertised. @default null */
  readonly advertiseAddr: string | null;
  /** Seed peer addresses from config. @default [] */
  readonly seeds: readonly string[];
  /** @default ANTI_ENTROPY_INTERVAL_MS */
  readonly antiEntropyIntervalMs: number;
  /** @default OUTBOX_RECORDS_PER_PEER_MAX */
  readonly outboxRecordsPerPeerMax: number;
  /** @default SNAPSHOT_PAGE_RECORDS_MAX */
  readonly snapshotPageRecordsMax: number;
  /** Records whose buckets one anti-entropy round between ready nodes summarizes. @default SUMMARY_ENTRIES_PER_FRAME_MAX */
  readonly repairRoundRecordsMax: number;
  /** @default DEFERRED_ROUTE_TOPICS_PER_TICK */
  readonly deferredRouteTopicsPerTick: number;
}

/** Defaults for NodeOptions, from limits.ts. */
export function defaultNodeOptions(nodeId: string): NodeOptions {
  return {
    nodeId,
    brokerExpiryMs: limits.BROKER_EXPIRY_MS,
    remotingBrokerExpiryMs: limits.REMOTING_BROKER_EXPIRY_MS,
    suspicionMs: limits.SUSPICION_MS,
    startupGraceMs: limits.STARTUP_GRACE_MS,
    peersConfigured: false,
    topicsMax: limits.TOPICS_MAX,
    brokersMax: limits.BROKERS_MAX,
    orderMessageEnable: false,
    advertiseAddr: null,
    seeds: [],
    antiEntropyIntervalMs: limits.ANTI_ENTROPY_INTERVAL_MS,
    outboxRecordsPerPeerMax: limits.OUTBOX_RECORDS_PER_PEER_MAX,
    snapshotPageRecordsMax: limits.SNAPSHOT_PAGE_RECORDS_MAX,
    repairRoundRecordsMax: limits.SUMMARY_ENTRIES_PER_FRAME_MAX,
    deferredRouteTopicsPerTick: limits.DEFERRED_ROUTE_TOPICS_PER_TICK,
  };
}

/** Counters a node keeps for metrics. */
export interface NodeCounters {
  registrations: number;
  registrationsUnchanged: number;
  /** Registrations refused by RocketMQ's one-topic guard. */
  registrationsRefused: number;
  /** Topics of registrations (and 217 queues) not taken, by reason. */
  readonly topicsSkipped: Record<TopicSkipReason, number>;
  heartbeats: number;
  unregistrations: number;
  /** Unregistrations refused: not on the broker's registering connection, and not an admin's. */
  unregistrationsRefused: number;
  evictionsExpired: number;
  evictionsConnectionClosed: number;
  suspicionsRaised: number;
  suspicionsCleared: number;
  pushes: number;
  pauseCompensations: number;
  refutations: number;
  /** Peers' expiry verdicts not taken: this node had newer news of the broker (FailureDetector.defersExpiry). */
  expiryVerdictsDeferred: number;
  selfPreservationSkips: number;
}

/** Fresh, zeroed counters. */
export function newCounters(): NodeCounters {
  return {
    registrations: 0,
    registrationsUnchanged: 0,
    registrationsRefused: 0,
    topicsSkipped: { malformed: 0, capacity: 0, unknownBroker: 0 },
    heartbeats: 0,
    unregistrations: 0,
    unregistrationsRefused: 0,
    evictionsExpired: 0,
    evictionsConnectionClosed: 0,
    suspicionsRaised: 0,
    suspicionsCleared: 0,
    pushes: 0,
    pauseCompensations: 0,
    refutations: 0,
    expiryVerdictsDeferred: 0,
    selfPreservationSkips: 0,
  };
}

/** What the parts of one node share. */
export class NodeContext {
  readonly nodeId: string;
  readonly hlc: HybridClock;
  readonly counters: NodeCounters = newCounters();
  readonly admin = new AdminState({
    namespacesMax: limits.KV_NAMESPACES_MAX,
    keysPerNamespaceMax: limits.KV_KEYS_PER_NAMESPACE_MAX,
  });
  /** Effects queued for the shell since it last took them, in order. */
  effects: Effect[] = [];
  /** The time of the last tick (the shell's clock as the core last saw it). */
  lastTickMs: number;
  /** KV records changed since the shell last took effects: one kvChanged effect is owed. */
  kvDirty = false;
  /** Set once by a graceful drain (Replication.leave): not ready, peers told, claims kept. */
  leaving = false;

  constructor(
    readonly options: NodeOptions,
    readonly rng: Rng,
    nowMs: number,
  ) {
    this.nodeId = options.nodeId;
    this.hlc = new HybridClock(options.nodeId);
    this.lastTickMs = nowMs;
  }

  /** Queues a log record for the shell. */
  log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    this.effects.push({ kind: "log", level, msg, fields });
  }

  /** Evidence this node vouches for: a hybrid-logical-clock reading. */
  stampEvidence(nowMs: number): Evidence {
    const stamp: Stamp = this.hlc.now(nowMs);
    return { epoch: stamp.wallMs, seq: stamp.logical };
  }
}

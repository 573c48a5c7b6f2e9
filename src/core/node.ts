// NameServerNode: the deterministic state machine of one name server. Requests and ticks
// go in with the time as an argument; answers come back, and effects (pushes, closes,
// records for peers, logs) queue up for the shell to take. No I/O, timers or clocks.
import { LimitExceededError, NotFoundError } from "../errors.js";
import * as limits from "../limits.js";
import type { PeerDeltas, PeerDigest, PeerPull, PeerSummary, PeerWant } from "../protocol/messages/gossip.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { TopicSubscription } from "../protocol/messages/subscribe.js";
import { AdminState, permOverriddenSince } from "./admin_state.js";
import type { Rng } from "./clock.js";
import type { Effect, LogLevel, PeerMessage } from "./effects.js";
import { GossipState, type GossipCounters } from "./gossip.js";
import { contentHash } from "./hash.js";
import { HybridClock } from "./hlc.js";
import {
  brokerKeyOf,
  compareDataVersion,
  compareEvidence,
  compareStamp,
  mergeRecords,
  type HolderRecord,
  type InstanceRecord,
  type KvRecord,
  type LivenessRecord,
  recordId,
  type ReplicatedRecord,
  type Stamp,
  type TopicRecord,
} from "./records.js";
import { headerOf, sameHeader, sameTopicConfig } from "./registration.js";
import { RouteView, type InstanceView } from "./route_view.js";
import { Subscriptions } from "./subscriptions.js";
import {
  MASTER_ID,
  type BrokerHeader,
  type BrokerRegistration,
  type ClusterInfo,
  type ConnectionId,
  type DataVersion,
  type Evidence,
  type OfflineReason,
  type Origin,
  type QueueData,
  type RegisterOptions,
  type RegisterResult,
  type TopicConfig,
  type TopicRouteData,
  type TopicSkipReason,
} from "./types.js";

/** How often KV tombstones and spent topic deletions are collected: cheap, and TOMBSTONE_MS is a day. */
const TOMBSTONE_SWEEP_MS = 60_000;

/** (broker, reason) pairs whose skipped topics were logged: one line each, then only the metric. */
const SKIP_LOG_KEYS_MAX = 10_000;

/** Propagation delay samples kept between two metric scrapes. */
const PROPAGATION_SAMPLES_MAX = 10_000;

/** KV namespace whose entries RocketMQ returns to registering brokers and uses for order topics. */
export const ORDER_TOPIC_CONFIG_NAMESPACE = "ORDER_TOPIC_CONFIG";

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
  evictionsExpired: number;
  evictionsConnectionClosed: number;
  suspicionsRaised: number;
  suspicionsCleared: number;
  pushes: number;
  pauseCompensations: number;
  refutations: number;
  selfPreservationSkips: number;
}

/** One broker instance (cluster, addr) as this node knows it. */
interface BrokerEntry {
  readonly key: string;
  /** The header of the broker's latest registration. */
  instance: InstanceRecord | null;
  /** Topic records by topic name: the current session's, and at most one per name. */
  readonly topics: Map<string, TopicRecord>;
  liveness: LivenessRecord | null;
  readonly holders: Map<string, HolderRecord>;
  /** Local only: the connection this broker last spoke on here, if still open. */
  connId: ConnectionId | null;
  /** Local only: when this node last learned newer evidence, plus the broker's expiry. */
  expiresAtMs: number;
  /** Local only: since when no node holds a connection to this live broker. */
  suspectSinceMs: number | null;
  /** Local only: when it went offline here (tombstone collection). */
  offlineSinceMs: number | null;
  /** Local only: when evidence heard here was last queued for peers. */
  evidenceSharedAtMs: number;
  /** Local only: when this node last compared a full registration's topics with its records. */
  topicsCheckedAt: Stamp | null;
}

/** The name server state machine. */
export class NameServerNode {
  readonly nodeId: string;
  readonly counters: NodeCounters = {
    registrations: 0,
    registrationsUnchanged: 0,
    registrationsRefused: 0,
    topicsSkipped: { malformed: 0, capacity: 0, unknownBroker: 0 },
    heartbeats: 0,
    unregistrations: 0,
    evictionsExpired: 0,
    evictionsConnectionClosed: 0,
    suspicionsRaised: 0,
    suspicionsCleared: 0,
    pushes: 0,
    pauseCompensations: 0,
    refutations: 0,
    selfPreservationSkips: 0,
  };
  /** Propagation delays (origin stamp to applied here), drained by the shell into a histogram. */
  propagationDelaysMs: number[] = [];

  private readonly options: NodeOptions;
  private readonly hlc: HybridClock;
  private readonly brokers = new Map<string, BrokerEntry>();
  private readonly brokersByName = new Map<string, Set<string>>();
  private readonly brokersByConnection = new Map<ConnectionId, Set<string>>();
  private readonly routes = new RouteView();
  private readonly admin = new AdminState({
    namespacesMax: limits.KV_NAMESPACES_MAX,
    keysPerNamespaceMax: limits.KV_KEYS_PER_NAMESPACE_MAX,
  });
  private readonly subscriptions = new Subscriptions({
    topicsPerConnectionMax: limits.SUBSCRIBED_TOPICS_PER_CONNECTION_MAX,
    subscriptionsMax: limits.SUBSCRIPTIONS_MAX,
  });
  private readonly startedAtMs: number;
  private lastTickMs: number;
  private ready: boolean;
  private effects: Effect[] = [];
  private dirtyTopics = new Set<string>();
  private readonly gossip: GossipState;
  private readonly rng: Rng;
  private nextAntiEntropyMs: number;
  private nextSweepMs: number;
  private degraded = false;
  /** Peers that answered our digest while not ready themselves (cold start detection). */
  private readonly startingPeers = new Set<string>();
  private isolatedEvictions = 0;
  private topicRecordCount = 0;
  private readonly skipLogged = new Set<string>();

  constructor(options: NodeOptions, rng: Rng, nowMs: number) {
    this.options = options;
    this.nodeId = options.nodeId;
    this.rng = rng;
    this.hlc = new HybridClock(options.nodeId);
    this.startedAtMs = nowMs;
    this.lastTickMs = nowMs;
    this.ready = !options.peersConfigured;
    this.gossip = new GossipState(options.nodeId, options.outboxRecordsPerPeerMax);
    this.gossip.learnMembers([...options.seeds, ...(options.advertiseAddr ? [options.advertiseAddr] : [])]);
    this.nextAntiEntropyMs = nowMs + options.antiEntropyIntervalMs;
    this.nextSweepMs = nowMs + TOMBSTONE_SWEEP_MS;
  }

  // ---- Broker requests ------------------------------------------------------------------

  /**
   * A broker registers (or re-registers) over a connection, with the Java NameServer's
   * semantics topic by topic (docs/architecture.md, "Registrations"): the topics it carries are
   * added or updated, none is removed (unless `deleteMissingTopics`); a topic already known in
   * this session is rewritten only when the dataVersion changed and its config differs or an
   * admin override covers it, and re-added whenever it is missing. A registration of a broker
   * this node holds offline or does not know starts a new session, which starts empty.
   */
  registerBroker(
    connId: ConnectionId,
    origin: Origin,
    registration: BrokerRegistration,
    evidence: Evidence | null,
    nowMs: number,
    options: RegisterOptions = {},
  ): RegisterResult {
    const key = brokerKeyOf(registration.clusterName, registration.brokerAddr);
    const known = this.brokers.get(key);
    if (!known && this.brokers.size >= this.options.brokersMax) {
      throw new LimitExceededError("BROKERS_MAX", `this node tracks at most ${this.options.brokersMax} brokers`);
    }
    const continuing = known?.liveness?.alive === true;
    if (!continuing && options.refuseSingleTopicFirst === true && registration.topics.length === 1 && !this.hasLiveId(registration)) {
      // RocketMQ's guard against an incremental registration that overtook the first full one.
      this.counters.registrationsRefused += 1;
      this.log("warn", "one-topic registration of a broker not registered yet refused", { brokerKey: key });
      return { ...this.registerResult(registration), refused: true };
    }
    if (!continuing && known?.liveness && evidence !== null && compareEvidence(evidence, known.liveness.evidence) <= 0) {
      // A registration from before the broker's unregistration or eviction, delivered late.
      this.log("warn", "stale registration ignored", { brokerKey: key, evidence, known: known.liveness.evidence });
      return this.registerResult(registration);
    }
    this.counters.registrations += 1;
    const session = continuing ? (known.liveness as LivenessRecord).session : nextSession(known);
    this.hearDirectly(key, connId, evidence, nowMs, session);
    const entry = this.brokers.get(key) as BrokerEntry;
    const stamp = this.hlc.now(nowMs);
    const before = entry.instance !== null && entry.instance.session === session ? entry.instance : null;
    const dataVersionChanged = before === null || compareDataVersion(before.header.dataVersion, registration.dataVersion) !== 0;
    const header = headerOf(registration);
    let changed = false;
    if (before === null || before.origin !== origin || !sameHeader(before.header, header)) {
      changed = this.apply({ type: "instance", brokerKey: key, session, header, origin, stamp }, nowMs, null) || changed;
    }
    changed = this.writeTopics(entry, session, registration, dataVersionChanged, stamp, options, nowMs) || changed;
    if (!changed) this.counters.registrationsUnchanged += 1;
    entry.topicsCheckedAt = stamp;
    return { ...this.registerResult(registration), contentChanged: changed };
  }

  /**
   * A re-registration whose dataVersion this node already holds for the broker's live session,
   * with no topic deletion since this node last compared its topics: refreshes liveness like
   * registerBroker would and answers the same, or returns null (then the caller decodes the
   * whole registration and calls registerBroker, which re-adds deleted topics).
   */
  reregisterUnchanged(
    connId: ConnectionId,
    clusterName: string,
    brokerAddr: string,
    dataVersion: DataVersion,
    evidence: Evidence | null,
    nowMs: number,
  ): RegisterResult | null {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.brokers.get(key);
    if (!entry || !this.isLive(entry)) return null;
    const instance = entry.instance as InstanceRecord;
    if (compareDataVersion(instance.header.dataVersion, dataVersion) !== 0) return null;
    const deleted = this.admin.newestTopicDelete;
    if (deleted !== null && (entry.topicsCheckedAt === null || compareStamp(deleted, entry.topicsCheckedAt) > 0)) return null;
    this.counters.registrations += 1;
    this.counters.registrationsUnchanged += 1;
    this.hearDirectly(key, connId, evidence, nowMs, (entry.liveness as LivenessRecord).session);
    return this.registerResult(instance.header);
  }

  /**
   * RocketMQ REGISTER_TOPIC_IN_NAMESRV (217): stores the given queues of a topic on the broker
   * names they name, as the instance each name shows its topics from. As in RocketMQ, a queue
   * naming an unknown broker name stops the request: nothing is stored for a new topic, and
   * the queues before it are kept for a known one. Returns the broker name that stopped it.
   */
  registerTopic(topicName: string, queues: readonly QueueData[], nowMs: number): { unknownBrokerName: string | null } {
    const known = this.routes.hasTopic(topicName);
    const unknown = queues.find((queue) => this.routes.sourceOf(queue.brokerName) === undefined);
    if (unknown !== undefined && !known) return this.topicRefused(topicName, unknown.brokerName);
    const stamp = this.hlc.now(nowMs);
    for (const queue of queues) {
      const sourceKey = this.routes.sourceOf(queue.brokerName);
      if (sourceKey === undefined) return this.topicRefused(topicName, queue.brokerName);
      const entry = this.brokers.get(sourceKey) as BrokerEntry;
      const instance = entry.instance as InstanceRecord;
      const config: TopicConfig = {
        topicName,
        readQueueNums: queue.readQueueNums,
        writeQueueNums: queue.writeQueueNums,
        perm: queue.perm,
        topicSysFlag: queue.topicSysFlag,
        order: false,
      };
      if (!entry.topics.has(topicName) && !this.topicFits(topicName)) continue;
      const session = instance.session;
      this.apply({ type: "topic", brokerKey: sourceKey, topicName, session, dataVersion: instance.header.dataVersion, config, stamp }, nowMs, null);
    }
    return { unknownBrokerName: null };
  }

  /** Counts topics a registration carried that were not taken, by reason; logs once per broker and reason. */
  noteSkippedTopics(brokerKey: string, reason: TopicSkipReason, count: number, example: string): void {
    if (count === 0) return;
    this.counters.topicsSkipped[reason] += count;
    const logKey = `${brokerKey}|${reason}`;
    if (this.skipLogged.has(logKey) || this.skipLogged.size >= SKIP_LOG_KEYS_MAX) return;
    this.skipLogged.add(logKey);
    this.log("warn", "registration topics skipped", { brokerKey, reason, count, example: example.slice(0, 64) });
  }

  /** A broker heartbeat; `registered: false` asks the broker to register in full. */
  heartbeat(
    connId: ConnectionId,
    clusterName: string,
    brokerAddr: string,
    evidence: Evidence | null,
    nowMs: number,
  ): { registered: boolean } {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.brokers.get(key);
    // As RocketMQ's BROKER_HEARTBEAT, only a registered (live) broker is refreshed: one held
    // offline comes back through a registration, which starts a new session.
    if (!entry || !this.isLive(entry)) return { registered: false };
    this.counters.heartbeats += 1;
    this.hearDirectly(key, connId, evidence, nowMs, (entry.liveness as LivenessRecord).session);
    return { registered: this.isLive(entry) };
  }

  /** RocketMQ QUERY_DATA_VERSION: refreshes a live broker's liveness, tells whether the version differs. */
  queryDataVersion(
    connId: ConnectionId,
    clusterName: string,
    brokerAddr: string,
    dataVersion: DataVersion,
    nowMs: number,
  ): { changed: boolean; stored: DataVersion | null } {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.brokers.get(key);
    if (!entry || !this.isLive(entry)) return { changed: true, stored: null };
    this.hearDirectly(key, connId, null, nowMs, (entry.liveness as LivenessRecord).session);
    const stored = (entry.instance as InstanceRecord).header.dataVersion;
    return { changed: compareDataVersion(stored, dataVersion) !== 0, stored };
  }

  /** A broker leaves gracefully: offline everywhere at once. */
  unregisterBroker(
    _connId: ConnectionId,
    clusterName: string,
    brokerAddr: string,
    evidence: Evidence | null,
    nowMs: number,
  ): void {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.brokers.get(key);
    if (!entry?.liveness) return;
    const current = entry.liveness.evidence;
    if (evidence !== null && compareEvidence(evidence, current) < 0) {
      // A late unregister from an earlier run of the broker must not take down the new one.
      this.log("warn", "stale unregister ignored", { brokerKey: key, evidence, known: current });
      return;
    }
    this.counters.unregistrations += 1;
    const proof = evidence ?? this.stampEvidence(nowMs);
    // The broker itself ended its session: the verdict belongs to the next one, so that no
    // evidence of the ended session (a registration it sent before, taken late elsewhere) can
    // outweigh it; a registration after it starts the session after that.
    const session = entry.liveness.session + 1;
    this.apply({ type: "liveness", brokerKey: key, session, alive: false, reason: "unregistered", evidence: proof }, nowMs, null);
    if (entry.connId !== null) this.unbindConnection(entry, nowMs);
  }

  /** A connection closed: brokers bound to it lose this node as a holder. */
  connectionClosed(connId: ConnectionId, nowMs: number): void {
    this.subscriptions.removeConnection(connId);
    const keys = this.brokersByConnection.get(connId);
    if (!keys) return;
    for (const key of [...keys]) {
      const entry = this.brokers.get(key);
      if (entry) this.unbindConnection(entry, nowMs);
    }
    this.brokersByConnection.delete(connId);
  }

  // ---- Queries -----------------------------------------------------------------------------

  /** Whether the node serves routes (see DESIGN §4: snapshot pulled or grace passed). */
  isReady(): boolean {
    return this.ready;
  }

  /** The route of a topic; NotFoundError when it has none. */
  getRoute(topic: string): TopicRouteData {
    const route = this.routes.route(topic);
    if (!route) throw new NotFoundError(`no route for topic '${topic}'`);
    if (!this.options.orderMessageEnable) return route;
    const conf = this.admin.kvGet(ORDER_TOPIC_CONFIG_NAMESPACE, topic);
    return conf === undefined ? route : { ...route, orderTopicConf: conf };
  }

  /** The route of a topic or null, without the NotFoundError. */
  findRoute(topic: string): TopicRouteData | null {
    return this.routes.route(topic);
  }

  /** brokerAddrTable and clusterAddrTable. */
  getClusterInfo(): ClusterInfo {
    return this.routes.clusterInfo();
  }

  /** Topic names, sorted; restricted to a cluster when given. */
  getTopics(clusterName: string | null): string[] {
    return this.routes.topics(clusterName);
  }

  /** RocketMQ GET_BROKER_MEMBER_GROUP: the instances of one broker name. */
  getBrokerMemberGroup(brokerName: string): Readonly<Record<string, string>> {
    return this.routes.brokerData(brokerName)?.brokerAddrs ?? {};
  }

  /** Live brokers, and all entries including tombstones. */
  brokerCounts(): { live: number; tracked: number } {
    let live = 0;
    for (const entry of this.brokers.values()) if (this.isLive(entry)) live += 1;
    return { live, tracked: this.brokers.size };
  }

  /** Number of routed topics. */
  topicCount(): number {
    return this.routes.topicCount;
  }

  /** Number of (connection, topic) subscriptions. */
  subscriptionCount(): number {
    return this.subscriptions.size;
  }

  // ---- Admin --------------------------------------------------------------------------------

  /** Puts a KV entry. */
  kvPut(namespace: string, key: string, value: string, nowMs: number): void {
    this.admin.checkPut(namespace, key);
    this.apply({ type: "kv", namespace, key, value, stamp: this.hlc.now(nowMs) }, nowMs, null);
  }

  /** A KV value; NotFoundError when absent. */
  kvGet(namespace: string, key: string): string {
    const value = this.admin.kvGet(namespace, key);
    if (value === undefined) throw new NotFoundError(`no kv entry '${key}' in namespace '${namespace}'`);
    return value;
  }

  /** Deletes a KV entry (a tombstone replicates the deletion). */
  kvDelete(namespace: string, key: string, nowMs: number): void {
    if (this.admin.kvGet(namespace, key) === undefined) return;
    this.apply({ type: "kv", namespace, key, value: null, stamp: this.hlc.now(nowMs) }, nowMs, null);
  }

  /** The entries of a namespace; NotFoundError when it has none. */
  kvList(namespace: string): Record<string, string> {
    // As RocketMQ keeps a namespace once written, one whose keys were all deleted lists empty.
    if (!this.admin.hasNamespace(namespace)) throw new NotFoundError(`no kv entries in namespace '${namespace}'`);
    return this.admin.kvList(namespace);
  }

  /** Every KV record, tombstones included: what --data-dir persists. */
  kvRecords(): KvRecord[] {
    return this.admin.kvRecords();
  }

  /** Loads persisted KV records at start (merged like gossip, so order does not matter). */
  loadKvRecords(records: readonly KvRecord[], nowMs: number): void {
    for (const record of records) {
      this.hlc.observe(record.stamp);
      this.apply(record, nowMs, null);
    }
  }

  /** Deletes a topic, or only its queues on one cluster's brokers. */
  deleteTopic(topic: string, clusterName: string | null, nowMs: number): void {
    if (!this.admin.hasTopicDelete(topic, clusterName) && this.admin.topicDeleteCount >= this.options.topicsMax) {
      throw new LimitExceededError("TOPICS_MAX", `this node keeps at most ${this.options.topicsMax} topic deletions`);
    }
    this.apply({ type: "topicDelete", topic, clusterName, stamp: this.hlc.now(nowMs) }, nowMs, null);
  }

  /** Clears the write bit on every queue of a broker name; returns the queues touched. */
  wipeWritePerm(brokerName: string, nowMs: number): number {
    this.apply({ type: "perm", brokerName, writable: false, stamp: this.hlc.now(nowMs) }, nowMs, null);
    return this.routes.topicsOf(brokerName).length;
  }

  /** Sets perm to read-write on every queue of a broker name; returns the queues touched. */
  addWritePerm(brokerName: string, nowMs: number): number {
    this.apply({ type: "perm", brokerName, writable: true, stamp: this.hlc.now(nowMs) }, nowMs, null);
    return this.routes.topicsOf(brokerName).length;
  }

  // ---- Subscriptions ----------------------------------------------------------------------

  /** Follows topics; pushes at once every topic whose revision differs from the client's. */
  subscribe(connId: ConnectionId, topics: readonly TopicSubscription[]): number {
    this.subscriptions.add(
      connId,
      topics.map((t) => t.topic),
    );
    for (const { topic, revision } of topics) {
      const push = this.routePush(topic);
      if (push.revision !== revision) this.pushTo(connId, push);
      else this.subscriptions.setRevision(connId, topic, push.revision);
    }
    return topics.length;
  }

  /** Stops following topics. */
  unsubscribe(connId: ConnectionId, topics: readonly string[]): number {
    return this.subscriptions.remove(connId, topics);
  }

  // ---- Time and effects -------------------------------------------------------------------

  /**
   * Advances time: readiness grace, suspicion and expiry deadlines (with self-preservation),
   * anti-entropy, evidence sharing and tombstone collection.
   */
  tick(nowMs: number): void {
    const gapMs = nowMs - this.lastTickMs;
    this.lastTickMs = nowMs;
    if (gapMs > limits.TICK_GAP_MS) this.compensatePause(gapMs, nowMs);
    if (!this.ready && nowMs - this.startedAtMs >= this.options.startupGraceMs) {
      this.markReady("startup grace passed");
    }
    this.checkAllDeadlines(nowMs);
    if (nowMs >= this.nextSweepMs) {
      this.nextSweepMs = nowMs + TOMBSTONE_SWEEP_MS;
      this.sweepTombstones(nowMs);
    }
    if (nowMs >= this.nextAntiEntropyMs) {
      this.nextAntiEntropyMs = nowMs + this.options.antiEntropyIntervalMs;
      const peerId = this.gossip.randomUpPeer(this.rng);
      if (peerId !== null) this.sendDigest(peerId);
    }
    this.flushGossip(nowMs);
  }

  /** Marks the node ready because a peer snapshot was applied or the grace passed. */
  markReady(reason: string): void {
    if (this.ready) return;
    this.ready = true;
    this.log("info", "node ready", { reason });
  }

  /** True while self-preservation holds back expiry evictions (cut off from every peer). */
  isDegraded(): boolean {
    return this.degraded;
  }

  /** Takes the effects queued since the last call, in order. */
  takeEffects(): Effect[] {
    this.flushPushes();
    this.flushGossip(this.lastTickMs, true);
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  // ---- Peers --------------------------------------------------------------------------------

  /** A link to a peer node came up: exchange digests at once (a starting node pulls a snapshot). */
  peerConnected(peerId: string, peerAddr: string | null, nowMs: number): void {
    if (peerId === this.nodeId) return;
    this.gossip.peerUp(peerId, nowMs);
    if (peerAddr !== null) this.gossip.learnMembers([peerAddr]);
    this.isolatedEvictions = 0;
    this.log("info", "peer up", { peerId });
    this.shareHeldEvidence(peerId);
    this.sendDigest(peerId);
    this.recheckSuspicions(nowMs);
  }

  /**
   * A peer (re)connected: give it our freshest evidence for the brokers we hold at once.
   * Digests leave out heartbeat sequence numbers (see GossipState), so anti-entropy would
   * not, and the peer's deadlines may have run on while the link was down.
   */
  private shareHeldEvidence(peerId: string): void {
    const records: ReplicatedRecord[] = [];
    for (const entry of this.brokers.values()) {
      if (entry.connId !== null && entry.liveness?.alive === true) records.push(entry.liveness);
    }
    this.sendRecords(peerId, records, false);
  }

  /** The last link to a peer went down: its connection claims stop counting. */
  peerDisconnected(peerId: string, nowMs: number): void {
    if (!this.gossip.isUp(peerId)) return;
    this.gossip.peerDown(peerId);
    this.log("warn", "peer down", { peerId });
    this.recheckSuspicions(nowMs);
  }

  /** Records pushed by a peer. */
  onPeerDeltas(peerId: string, deltas: PeerDeltas, nowMs: number): void {
    this.gossip.counters.deltasReceived += deltas.records.length;
    for (const record of deltas.records) {
      if (this.mergeRemote(record, nowMs, peerId) && deltas.repair) this.gossip.counters.recordsRepaired += 1;
    }
  }

  /**
   * A peer's digest. A starting peer gets our records of the differing buckets, then a pull
   * for theirs (its snapshot). A ready peer gets a summary of those buckets instead: it sends
   * what we lack and wants what it lacks, so records already on both sides do not travel
   * (with deltas in flight, most buckets differ for a moment while nearly every record agrees).
   */
  onPeerDigest(peerId: string, digest: PeerDigest, _nowMs: number): void {
    this.gossip.counters.digestsReceived += 1;
    this.learn(digest.members);
    const buckets = this.gossip.diff(digest.buckets);
    if (!digest.ready) {
      this.sendRecords(peerId, this.gossip.recordsIn(buckets), true);
      this.sendPeer(peerId, { type: "pull", body: { buckets, members: this.memberList(), ready: this.ready } });
      return;
    }
    if (buckets.length === 0) return;
    for (const frame of this.gossip.summarize(buckets)) this.sendPeer(peerId, { type: "summary", body: frame });
  }

  /** A ready peer's summary of buckets that differ: send ours it lacks, want those we lack. */
  onPeerSummary(peerId: string, summary: PeerSummary, _nowMs: number): void {
    const { send, want } = this.gossip.compareSummary(summary.buckets, summary.entries);
    this.sendRecords(peerId, send, true);
    for (let start = 0; start < want.length; start += limits.WANT_IDS_PER_FRAME_MAX) {
      this.sendPeer(peerId, { type: "want", body: { buckets: summary.buckets, ids: want.slice(start, start + limits.WANT_IDS_PER_FRAME_MAX) } });
    }
  }

  /** A peer wants some of our records (after a summary). */
  onPeerWant(peerId: string, want: PeerWant, _nowMs: number): void {
    this.sendRecords(peerId, this.gossip.recordsWanted(want.buckets, want.ids), true);
  }

  /** A peer sent its records of differing buckets and asks for ours. */
  onPeerPull(peerId: string, pull: PeerPull, _nowMs: number): void {
    this.learn(pull.members);
    // Everything the peer had in these buckets arrived before this pull (one ordered link).
    if (pull.ready) this.markReady(`snapshot from ${peerId}`);
    else {
      // A cold start of the whole cluster: once every seed peer has shown us its (starting)
      // state, nobody holds more than we do now, so waiting out the grace gains nothing.
      this.startingPeers.add(peerId);
      if (this.startingPeers.size >= this.options.seeds.length) this.markReady("every peer is starting too");
    }
    this.sendRecords(peerId, this.gossip.recordsIn(pull.buckets), true);
  }

  /** Counters of the replication side. */
  gossipCounters(): Readonly<GossipCounters> {
    return this.gossip.counters;
  }

  /** Peers and whether each has a live link. */
  peerStates(): { peerId: string; up: boolean; outboxDepth: number }[] {
    return [...this.gossip.peers.values()].map((peer) => ({ peerId: peer.nodeId, up: peer.up, outboxDepth: peer.outbox.size }));
  }

  /** Known member addresses. */
  memberList(): string[] {
    return [...this.gossip.members].sort();
  }

  /** Bucket hashes of every record: equal digests mean equal replicated state. */
  digest(): [number, number][] {
    return this.gossip.digest();
  }

  // ---- Merging ------------------------------------------------------------------------------

  /** Merges a record from a peer; returns true when it changed this node's state. */
  mergeRemote(record: ReplicatedRecord, nowMs: number, fromPeer: string | null = null): boolean {
    // A KV tombstone past its lifetime was collected here already (or is about to be):
    // taking it back from a slower peer would only bring it back for another sweep.
    if (record.type === "kv" && record.value === null && record.stamp.wallMs < nowMs - limits.TOMBSTONE_MS) return false;
    if ("stamp" in record) this.hlc.observe(record.stamp);
    const changed = this.apply(record, nowMs, fromPeer);
    if (changed && "stamp" in record && record.stamp.nodeId !== this.nodeId) {
      this.recordDelay(nowMs - record.stamp.wallMs);
    }
    return changed;
  }

  /** Every record this node holds: a full snapshot for a peer. */
  snapshot(): ReplicatedRecord[] {
    return this.gossip.recordsIn([...Array(limits.DIGEST_BUCKETS).keys()]);
  }

  /** Applies a record (local or remote). Returns true, indexes it and queues it for peers when it changed state. */
  private apply(record: ReplicatedRecord, nowMs: number, fromPeer: string | null): boolean {
    let stored: ReplicatedRecord | null;
    let urgent = true;
    switch (record.type) {
      case "instance":
      case "topic":
      case "holder":
        stored = this.applyBrokerRecord(record, nowMs);
        break;
      case "liveness": {
        const wasAlive = this.brokers.get(record.brokerKey)?.liveness?.alive === true;
        stored = this.applyBrokerRecord(record, nowMs);
        // Fresher evidence for a broker already alive is shared in batches, not at once.
        urgent = !(wasAlive && record.alive);
        break;
      }
      case "kv":
        stored = this.admin.mergeKv(record);
        break;
      case "topicDelete":
        stored = this.admin.mergeTopicDelete(record);
        if (stored) this.refreshTopic(record.topic);
        break;
      case "perm":
        stored = this.admin.mergePerm(record);
        if (stored) this.rebuildGroup(record.brokerName);
        break;
    }
    if (!stored) return false;
    this.gossip.indexRecord(stored);
    if (urgent) this.gossip.enqueue(stored, fromPeer, true);
    else if (fromPeer !== null || this.evidenceShareDue(stored, nowMs)) {
      const fanout = fromPeer === null ? null : { count: limits.EVIDENCE_RELAY_FANOUT, rng: this.rng };
      this.gossip.enqueue(stored, fromPeer, false, fanout);
    }
    if (fromPeer !== null) this.answerRemote(stored, nowMs);
    return true;
  }

  /**
   * Whether fresh evidence heard here should go out now. Peers only need it to keep their
   * expiry deadline ahead, so it goes EVIDENCE_SHARES_PER_EXPIRY times per expiry (at most
   * every EVIDENCE_SHARE_MS), not with every heartbeat.
   */
  private evidenceShareDue(record: ReplicatedRecord, nowMs: number): boolean {
    if (record.type !== "liveness") return true;
    const entry = this.brokers.get(record.brokerKey);
    if (!entry) return true;
    const intervalMs = Math.max(limits.EVIDENCE_SHARE_MS, this.expiryOf(entry) / limits.EVIDENCE_SHARES_PER_EXPIRY);
    if (nowMs - entry.evidenceSharedAtMs < intervalMs) return false;
    entry.evidenceSharedAtMs = nowMs;
    return true;
  }

  /**
   * Corrects remote claims this node knows to be wrong: its own stale "connected" claim
   * from before a restart, and a crash verdict on a broker it still holds a connection to
   * (SWIM-style refutation with evidence newer than the verdict's).
   */
  private answerRemote(stored: ReplicatedRecord, nowMs: number): void {
    if (stored.type !== "holder" && stored.type !== "liveness") return;
    const entry = this.brokers.get(stored.brokerKey);
    if (!entry) return;
    if (stored.type === "holder") {
      if (stored.nodeId === this.nodeId && stored.connected && entry.connId === null) {
        this.apply({ type: "holder", brokerKey: entry.key, nodeId: this.nodeId, connected: false, stamp: this.hlc.now(nowMs) }, nowMs, null);
      }
      return;
    }
    if (stored.alive || stored.reason !== "connectionClosed" || entry.connId === null || !entry.instance) return;
    const next = { epoch: stored.evidence.epoch, seq: stored.evidence.seq + 1 };
    const fresh = this.stampEvidence(nowMs);
    const evidence = entry.instance.origin === "remoting" && compareEvidence(fresh, next) > 0 ? fresh : next;
    this.counters.refutations += 1;
    this.log("info", "crash verdict refuted", { brokerKey: entry.key });
    const session = stored.session;
    this.apply({ type: "liveness", brokerKey: entry.key, session, alive: true, reason: null, evidence }, nowMs, null);
  }

  private applyBrokerRecord(
    record: InstanceRecord | TopicRecord | LivenessRecord | HolderRecord,
    nowMs: number,
  ): ReplicatedRecord | null {
    const entry = this.entryFor(record.brokerKey, nowMs);
    switch (record.type) {
      case "holder": {
        const current = entry.holders.get(record.nodeId);
        const merged = current ? mergeRecords(current, record) : record;
        if (merged === current) return null;
        entry.holders.set(record.nodeId, merged);
        this.updateSuspicion(entry, nowMs);
        return merged;
      }
      case "instance":
        return this.applyInstance(entry, record, nowMs);
      case "topic":
        return this.applyTopic(entry, record);
      case "liveness":
        return this.applyLiveness(entry, record, nowMs);
    }
  }

  private applyInstance(entry: BrokerEntry, record: InstanceRecord, nowMs: number): InstanceRecord | null {
    const current = entry.instance;
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    const oldName = current?.header.brokerName;
    entry.instance = merged;
    this.indexName(entry.key, oldName, merged.header.brokerName);
    if (oldName !== undefined && oldName !== merged.header.brokerName) this.rebuildGroup(oldName);
    this.rebuildGroup(merged.header.brokerName);
    if (!current) this.refreshExpiry(entry, nowMs);
    this.log("info", "broker instance changed", { brokerKey: entry.key, dataVersion: merged.header.dataVersion });
    return merged;
  }

  /** Stores a topic record unless it belongs to a session the broker has left (such records are dead). */
  private applyTopic(entry: BrokerEntry, record: TopicRecord): TopicRecord | null {
    const session = entry.liveness?.session;
    if (session !== undefined && record.session < session) return null;
    const current = entry.topics.get(record.topicName);
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    if (!current && this.topicRecordCount >= limits.TOPIC_RECORDS_MAX) {
      this.counters.topicsSkipped.capacity += 1;
      return null;
    }
    if (!current) this.topicRecordCount += 1;
    entry.topics.set(record.topicName, merged);
    const name = entry.instance?.header.brokerName;
    if (name !== undefined && this.routes.sourceOf(name) === entry.key) {
      const changed = this.routes.updateTopics(name, [record.topicName], this.viewOf(entry), this.admin);
      this.markDirty(changed);
    }
    return merged;
  }

  private applyLiveness(entry: BrokerEntry, record: LivenessRecord, nowMs: number): LivenessRecord | null {
    const current = entry.liveness;
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    const wasLive = this.isLive(entry);
    entry.liveness = merged;
    if (current && merged.session > current.session) this.dropDeadTopics(entry, merged.session);
    if (!current || merged.session > current.session || compareEvidence(merged.evidence, current.evidence) > 0) {
      this.refreshExpiry(entry, nowMs);
    }
    if (merged.alive) {
      entry.offlineSinceMs = null;
      this.updateSuspicion(entry, nowMs);
    } else {
      entry.offlineSinceMs = nowMs;
      entry.suspectSinceMs = null;
    }
    const live = this.isLive(entry);
    if (wasLive !== live && entry.instance) {
      this.rebuildGroup(entry.instance.header.brokerName);
      this.log(live ? "info" : "warn", live ? "broker alive" : "broker offline", { brokerKey: entry.key, reason: merged.reason });
    }
    return merged;
  }

  /** A broker entered a later session: its topic records of earlier sessions can never show again. */
  private dropDeadTopics(entry: BrokerEntry, session: number): void {
    for (const [name, record] of entry.topics) {
      if (record.session >= session) continue;
      entry.topics.delete(name);
      this.topicRecordCount -= 1;
      this.gossip.unindexRecord(recordId(record));
    }
  }

  // ---- Broker internals -------------------------------------------------------------------

  private hearDirectly(key: string, connId: ConnectionId, evidence: Evidence | null, nowMs: number, session: number): void {
    const entry = this.entryFor(key, nowMs);
    if (entry.connId !== connId) {
      if (entry.connId !== null) this.brokersByConnection.get(entry.connId)?.delete(key);
      entry.connId = connId;
      let keys = this.brokersByConnection.get(connId);
      if (!keys) this.brokersByConnection.set(connId, (keys = new Set()));
      keys.add(key);
    }
    if (entry.holders.get(this.nodeId)?.connected !== true) {
      this.apply({ type: "holder", brokerKey: key, nodeId: this.nodeId, connected: true, stamp: this.hlc.now(nowMs) }, nowMs, null);
    }
    const proof = evidence ?? this.stampEvidence(nowMs);
    const accepted = this.apply({ type: "liveness", brokerKey: key, session, alive: true, reason: null, evidence: proof }, nowMs, null);
    if (!accepted && entry.liveness && !entry.liveness.alive) {
      this.log("warn", "stale broker evidence ignored", { brokerKey: key, evidence: proof, known: entry.liveness.evidence });
    }
  }

  private unbindConnection(entry: BrokerEntry, nowMs: number): void {
    if (entry.connId !== null) this.brokersByConnection.get(entry.connId)?.delete(entry.key);
    entry.connId = null;
    if (entry.holders.get(this.nodeId)?.connected === true) {
      this.apply(
        { type: "holder", brokerKey: entry.key, nodeId: this.nodeId, connected: false, stamp: this.hlc.now(nowMs) },
        nowMs,
        null,
      );
    }
  }

  /** Suspect a live broker that no node holds a connection to any more. */
  private updateSuspicion(entry: BrokerEntry, nowMs: number): void {
    // Every connection claim vouches, also one of a peer our own link to is down: the claim
    // may have reached us through a relay while that peer still hears the broker. A stale
    // claim (the holder died) is caught by expiry, as the broker's evidence stops with it.
    const held = [...entry.holders.values()].some((holder) => holder.connected);
    const live = this.isLive(entry);
    if (live && !held && entry.holders.size > 0) {
      if (entry.suspectSinceMs === null) {
        entry.suspectSinceMs = nowMs;
        this.counters.suspicionsRaised += 1;
        this.log("info", "broker suspected", { brokerKey: entry.key });
      }
    } else if (entry.suspectSinceMs !== null) {
      entry.suspectSinceMs = null;
      if (held) this.counters.suspicionsCleared += 1;
    }
  }

  private evict(entry: BrokerEntry, reason: OfflineReason, nowMs: number): void {
    const { evidence, session } = entry.liveness as LivenessRecord;
    if (reason === "expired") this.counters.evictionsExpired += 1;
    else this.counters.evictionsConnectionClosed += 1;
    this.apply({ type: "liveness", brokerKey: entry.key, session, alive: false, reason, evidence }, nowMs, null);
  }

  private forget(entry: BrokerEntry): void {
    const name = entry.instance?.header.brokerName;
    if (entry.instance) this.gossip.unindexRecord(recordId(entry.instance));
    for (const record of entry.topics.values()) this.gossip.unindexRecord(recordId(record));
    this.topicRecordCount -= entry.topics.size;
    if (entry.liveness) this.gossip.unindexRecord(recordId(entry.liveness));
    for (const holder of entry.holders.values()) this.gossip.unindexRecord(recordId(holder));
    this.brokers.delete(entry.key);
    if (name !== undefined) this.indexName(entry.key, name, undefined);
    if (entry.connId !== null) this.brokersByConnection.get(entry.connId)?.delete(entry.key);
  }

  private compensatePause(gapMs: number, nowMs: number): void {
    const shiftMs = gapMs - limits.TICK_MS;
    this.counters.pauseCompensations += 1;
    for (const entry of this.brokers.values()) {
      entry.expiresAtMs += shiftMs;
      if (entry.suspectSinceMs !== null) entry.suspectSinceMs += shiftMs;
    }
    this.log("warn", "tick loop paused; deadlines shifted", { gapMs, nowMs });
  }

  private refreshExpiry(entry: BrokerEntry, nowMs: number): void {
    entry.expiresAtMs = nowMs + this.expiryOf(entry);
  }

  private expiryOf(entry: BrokerEntry): number {
    const instance = entry.instance;
    if (!instance) return this.options.brokerExpiryMs;
    if (instance.header.heartbeatTimeoutMs !== null) return instance.header.heartbeatTimeoutMs;
    return instance.origin === "remoting" ? this.options.remotingBrokerExpiryMs : this.options.brokerExpiryMs;
  }

  /** Routed: alive, with a header of the session it is alive in. */
  private isLive(entry: BrokerEntry): boolean {
    const { instance, liveness } = entry;
    return instance !== null && liveness !== null && liveness.alive && instance.session === liveness.session;
  }

  /** What a route rebuild reads of a live entry. */
  private viewOf(entry: BrokerEntry): InstanceView {
    return { instance: entry.instance as InstanceRecord, session: (entry.liveness as LivenessRecord).session, topics: entry.topics };
  }

  /** Whether a broker name has a live instance with this broker id (RocketMQ's step-7 test). */
  private hasLiveId(registration: BrokerRegistration): boolean {
    for (const key of this.brokersByName.get(registration.brokerName) ?? []) {
      const entry = this.brokers.get(key);
      if (entry && this.isLive(entry) && entry.instance?.header.brokerId === registration.brokerId) return true;
    }
    return false;
  }

  /**
   * Writes the topic records a registration changes (see registerBroker). Topics beyond the
   * node's capacity are skipped and counted; with `deleteMissingTopics`, the broker's topics
   * this registration does not carry are removed, as RocketMQ's deleteTopicWithBrokerRegistration.
   */
  private writeTopics(
    entry: BrokerEntry,
    session: number,
    registration: BrokerRegistration,
    dataVersionChanged: boolean,
    stamp: Stamp,
    options: RegisterOptions,
    nowMs: number,
  ): boolean {
    const { brokerName, clusterName, dataVersion } = registration;
    const perm = this.admin.perm(brokerName);
    const carried = options.deleteMissingTopics === true ? new Set<string>() : null;
    let changed = false;
    let skipped = 0;
    let example = "";
    for (const config of registration.topics) {
      const topicName = config.topicName;
      carried?.add(topicName);
      const current = entry.topics.get(topicName);
      if (current !== undefined && this.visibleIn(current, session, clusterName)) {
        if (!dataVersionChanged) continue;
        const overridden = permOverriddenSince(current.stamp, perm);
        if (!overridden && sameTopicConfig(current.config as TopicConfig, config)) continue;
      } else if (current === undefined && !this.topicFits(topicName)) {
        skipped += 1;
        example ||= topicName;
        continue;
      }
      this.apply({ type: "topic", brokerKey: entry.key, topicName, session, dataVersion, config, stamp }, nowMs, null);
      changed = true;
    }
    if (carried !== null) {
      for (const record of [...entry.topics.values()]) {
        if (carried.has(record.topicName) || record.config === null || record.session !== session) continue;
        this.apply({ ...record, dataVersion, config: null, stamp }, nowMs, null);
        changed = true;
      }
    }
    this.noteSkippedTopics(entry.key, "capacity", skipped, example);
    return changed;
  }

  /** Whether a topic record shows for its broker: this session, not removed, not deleted by an admin since. */
  private visibleIn(record: TopicRecord, session: number, clusterName: string): boolean {
    if (record.config === null || record.session !== session) return false;
    const deletedAt = this.admin.topicDeletedAt(record.topicName, clusterName);
    return deletedAt === undefined || compareStamp(deletedAt, record.stamp) < 0;
  }

  /** Whether one more topic record fits: the node's topic and record bounds. */
  private topicFits(topicName: string): boolean {
    if (this.topicRecordCount >= limits.TOPIC_RECORDS_MAX) return false;
    return this.routes.hasTopic(topicName) || this.routes.topicCount < this.options.topicsMax;
  }

  private topicRefused(topicName: string, brokerName: string): { unknownBrokerName: string } {
    this.counters.topicsSkipped.unknownBroker += 1;
    this.log("warn", "topic registration names an unknown broker", { topic: topicName.slice(0, 64), brokerName });
    return { unknownBrokerName: brokerName };
  }

  private entryFor(key: string, nowMs: number): BrokerEntry {
    let entry = this.brokers.get(key);
    if (!entry) {
      entry = {
        key,
        instance: null,
        topics: new Map(),
        liveness: null,
        holders: new Map(),
        connId: null,
        expiresAtMs: nowMs + this.options.brokerExpiryMs,
        suspectSinceMs: null,
        offlineSinceMs: null,
        evidenceSharedAtMs: Number.NEGATIVE_INFINITY,
        topicsCheckedAt: null,
      };
      this.brokers.set(key, entry);
    }
    return entry;
  }

  private indexName(key: string, oldName: string | undefined, newName: string | undefined): void {
    if (oldName === newName) return;
    if (oldName !== undefined) {
      const keys = this.brokersByName.get(oldName);
      keys?.delete(key);
      if (keys?.size === 0) this.brokersByName.delete(oldName);
    }
    if (newName !== undefined) {
      let keys = this.brokersByName.get(newName);
      if (!keys) this.brokersByName.set(newName, (keys = new Set()));
      keys.add(key);
    }
  }

  private rebuildGroup(brokerName: string): void {
    const live: InstanceView[] = [];
    for (const key of this.brokersByName.get(brokerName) ?? []) {
      const entry = this.brokers.get(key);
      if (entry && this.isLive(entry)) live.push(this.viewOf(entry));
    }
    this.markDirty(this.routes.rebuild(brokerName, live, this.admin));
  }

  /** Re-derives one topic on every broker name showing it (an admin deletion touched it). */
  private refreshTopic(topic: string): void {
    for (const name of this.routes.brokerNamesOf(topic)) {
      const entry = this.brokers.get(this.routes.sourceOf(name) ?? "");
      if (entry && this.isLive(entry)) this.markDirty(this.routes.updateTopics(name, [topic], this.viewOf(entry), this.admin));
    }
  }

  private markDirty(topics: Iterable<string>): void {
    for (const topic of topics) if (this.subscriptions.hasSubscribers(topic)) this.dirtyTopics.add(topic);
  }

  private registerResult(registration: BrokerHeader): RegisterResult {
    let haServerAddr: string | null = null;
    let masterAddr: string | null = null;
    if (registration.brokerId !== MASTER_ID) {
      for (const key of this.brokersByName.get(registration.brokerName) ?? []) {
        const entry = this.brokers.get(key);
        const header = entry?.instance?.header;
        if (entry && header && this.isLive(entry) && header.brokerId === MASTER_ID) {
          haServerAddr = header.haServerAddr;
          masterAddr = header.brokerAddr;
        }
      }
    }
    return {
      haServerAddr,
      masterAddr,
      orderTopicConfig: this.admin.kvList(ORDER_TOPIC_CONFIG_NAMESPACE),
      contentChanged: false,
      refused: false,
    };
  }

  private stampEvidence(nowMs: number): Evidence {
    const stamp: Stamp = this.hlc.now(nowMs);
    return { epoch: stamp.wallMs, seq: stamp.logical };
  }

  // ---- Gossip internals ---------------------------------------------------------------------

  private sendDigest(peerId: string): void {
    this.gossip.counters.digestsSent += 1;
    this.sendPeer(peerId, { type: "digest", body: { buckets: this.gossip.digest(), members: this.memberList(), ready: this.ready } });
  }

  private sendRecords(peerId: string, records: readonly ReplicatedRecord[], repair: boolean): void {
    for (let start = 0; start < records.length; start += limits.DELTAS_PER_FRAME_MAX) {
      this.sendPeer(peerId, { type: "deltas", body: { records: records.slice(start, start + limits.DELTAS_PER_FRAME_MAX), repair } });
    }
    if (repair) this.gossip.counters.deltasSent += records.length;
  }

  private sendPeer(peerId: string, message: PeerMessage): void {
    // Queued deltas go first so that a pull never overtakes the records it accounts for.
    this.flushGossip(this.lastTickMs, true, peerId);
    this.effects.push({ kind: "peerSend", peerId, message });
  }

  /** Sends queued deltas: urgent ones always, evidence-only ones every EVIDENCE_SHARE_MS. */
  private flushGossip(nowMs: number, urgentOnly = false, onlyPeer: string | null = null): void {
    for (const batch of this.gossip.flush(nowMs, urgentOnly ? Number.POSITIVE_INFINITY : limits.EVIDENCE_SHARE_MS, onlyPeer)) {
      this.effects.push({ kind: "peerSend", peerId: batch.peerId, message: { type: "deltas", body: { records: batch.records, repair: false } } });
    }
  }

  private learn(members: readonly string[]): void {
    for (const addr of this.gossip.learnMembers(members)) {
      if (addr !== this.options.advertiseAddr) this.effects.push({ kind: "dialPeer", addr });
    }
  }

  private recheckSuspicions(nowMs: number): void {
    for (const entry of this.brokers.values()) this.updateSuspicion(entry, nowMs);
  }

  private recordDelay(delayMs: number): void {
    if (this.propagationDelaysMs.length < PROPAGATION_SAMPLES_MAX) this.propagationDelaysMs.push(Math.max(0, delayMs));
  }

  /**
   * Checks every broker's deadlines. Self-preservation: a node cut off from every peer that
   * would expire a large share of its brokers assumes it is the one partitioned, and waits.
   */
  private checkAllDeadlines(nowMs: number): void {
    const isolated = this.options.peersConfigured && this.gossip.upPeers().length === 0;
    if (!isolated) {
      this.isolatedEvictions = 0;
      this.setDegraded(false);
    }
    let live = 0;
    const overdue: BrokerEntry[] = [];
    for (const entry of this.brokers.values()) {
      if (this.isLive(entry)) {
        live += 1;
        if (entry.suspectSinceMs !== null && nowMs - entry.suspectSinceMs >= this.options.suspicionMs) {
          this.evict(entry, "connectionClosed", nowMs);
        } else if (nowMs >= entry.expiresAtMs) overdue.push(entry);
      } else if (entry.offlineSinceMs !== null && nowMs - entry.offlineSinceMs >= limits.TOMBSTONE_MS) {
        this.forget(entry);
      }
    }
    if (overdue.length === 0) return;
    // Count what this isolation already evicted too, or each eviction would shrink the
    // population until the guard no longer applies and the rest go as well.
    if (isolated && live + this.isolatedEvictions >= limits.SELF_PRESERVATION_BROKERS_MIN) {
      const share = (this.isolatedEvictions + overdue.length) / (live + this.isolatedEvictions);
      if (share > limits.SELF_PRESERVATION_RATIO) {
        this.counters.selfPreservationSkips += 1;
        this.setDegraded(true);
        return;
      }
    }
    if (isolated) this.isolatedEvictions += overdue.length;
    for (const entry of overdue) this.evict(entry, "expired", nowMs);
  }

  /**
   * Collects KV tombstones and topic deletions older than TOMBSTONE_MS. A deletion stays
   * while some broker's content adopted before it still lists the topic.
   */
  private sweepTombstones(nowMs: number): void {
    const beforeWallMs = nowMs - limits.TOMBSTONE_MS;
    const collected: ReplicatedRecord[] = this.admin.collectKvTombstones(beforeWallMs);
    collected.push(
      ...this.admin.collectTopicDeletes(beforeWallMs, (record) => this.deletionStillHides(record)),
    );
    for (const record of collected) this.gossip.unindexRecord(recordId(record));
    if (collected.length > 0) this.log("info", "tombstones collected", { count: collected.length });
  }

  private deletionStillHides(record: { topic: string; clusterName: string | null; stamp: Stamp }): boolean {
    for (const entry of this.brokers.values()) {
      const topic = entry.topics.get(record.topic);
      if (!topic || topic.config === null || compareStamp(topic.stamp, record.stamp) >= 0) continue;
      if (record.clusterName !== null && entry.instance?.header.clusterName !== record.clusterName) continue;
      return true;
    }
    return false;
  }

  private setDegraded(degraded: boolean): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.log("warn", degraded ? "self-preservation on: cut off from peers, evictions held" : "self-preservation off", {});
  }

  // ---- Pushes and logs ----------------------------------------------------------------------

  private routePush(topic: string): RouteChangedPush {
    const route = this.routes.route(topic);
    return { topic, revision: contentHash(route), route };
  }

  private flushPushes(): void {
    if (this.dirtyTopics.size === 0) return;
    const topics = this.dirtyTopics;
    this.dirtyTopics = new Set();
    for (const topic of topics) {
      const push = this.routePush(topic);
      for (const connId of this.subscriptions.subscribers(topic)) {
        if (this.subscriptions.revisionOf(connId, topic) !== push.revision) this.pushTo(connId, push);
      }
    }
  }

  private pushTo(connId: ConnectionId, push: RouteChangedPush): void {
    this.subscriptions.setRevision(connId, push.topic, push.revision);
    this.counters.pushes += 1;
    this.effects.push({ kind: "push", connId, body: push });
  }

  private log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    this.effects.push({ kind: "log", level, msg, fields });
  }
}

/**
 * The session a registration of a broker not alive here starts: 0 for a broker this node has
 * never heard of, else one more than the session it went offline in. Nodes that take the same
 * start concurrently (a broker registers with every node at once) pick the same number.
 */
function nextSession(known: BrokerEntry | undefined): number {
  if (!known?.liveness) return 0;
  return known.liveness.session + 1;
}

// NameServerNode: the deterministic state machine of one name server, a facade over its parts
// (broker registry and requests, failure detector, replication, pushes). Requests and ticks go
// in with the time as an argument; answers come back, and effects (pushes, closes, records for
// peers, logs) queue up for the shell to take. No I/O, timers or clocks.
import { NotFoundError, NotReadyError } from "../errors.js";
import { AdminWrites } from "./admin_writes.js";
import * as limits from "../limits.js";
import type { PeerDeltas, PeerDigest, PeerPull, PeerSummary, PeerWant } from "../protocol/messages/gossip.js";
import type { PeerHeard } from "../protocol/messages/heard.js";
import { PEER_FEATURES, type PeerFeature } from "../protocol/messages/hello.js";
import type { TopicSubscription } from "../protocol/messages/subscribe.js";
import { BrokerRegistry } from "./broker_registry.js";
import { BrokerRequests, ORDER_TOPIC_CONFIG_NAMESPACE } from "./broker_requests.js";
import type { Rng } from "./clock.js";
import type { Effect } from "./effects.js";
import { FailureDetector } from "./failure_detector.js";
import type { GossipCounters } from "./gossip.js";
import { brokerDetails, type BrokerDetail } from "./inspect.js";
import { NodeContext, type NodeCounters, type NodeOptions } from "./node_context.js";
import { Pushes } from "./pushes.js";
import { NOT_READY_MESSAGE, type NodeQuery, type QueryAnswers } from "./queries.js";
import type { KvRecord, ReplicatedRecord } from "../model/records.js";
import { Replication, type PeerState } from "./replication.js";
import type {
  BrokerRegistration,
  ClusterInfo,
  ConnectionId,
  DataVersion,
  Evidence,
  Origin,
  QueueData,
  RegisterOptions,
  RegisterResult,
  TopicRouteData,
  TopicSkipReason,
} from "../model/types.js";

export { ORDER_TOPIC_CONFIG_NAMESPACE } from "./broker_requests.js";
export type { BrokerDetail, BrokerState } from "./inspect.js";
export { defaultNodeOptions, type NodeCounters, type NodeOptions } from "./node_context.js";

/** The name server state machine. */
export class NameServerNode {
  readonly nodeId: string;
  private readonly ctx: NodeContext;
  private readonly registry: BrokerRegistry;
  private readonly requests: BrokerRequests;
  private readonly detector: FailureDetector;
  private readonly replication: Replication;
  private readonly pushes: Pushes;
  private readonly admin: AdminWrites;

  constructor(options: NodeOptions, rng: Rng, nowMs: number) {
    this.ctx = new NodeContext(options, rng, nowMs);
    this.nodeId = options.nodeId;
    this.registry = new BrokerRegistry(this.ctx);
    this.detector = new FailureDetector(this.ctx, this.registry);
    this.replication = new Replication(this.ctx, this.registry, this.detector, nowMs);
    this.pushes = new Pushes(this.ctx, this.registry.routes);
    this.registry.link({ records: this.replication, detector: this.detector, pushes: this.pushes });
    this.detector.link(this.replication);
    this.requests = new BrokerRequests(this.ctx, this.registry, this.replication);
    this.admin = new AdminWrites(this.ctx, this.registry, this.replication);
  }

  /** Counters for metrics, read-only: the parts count, the shell reads. */
  get counters(): Readonly<NodeCounters> {
    return this.ctx.counters;
  }

  /** Propagation delays (origin stamp to applied here), drained by the shell into a histogram. */
  get propagationDelaysMs(): number[] {
    return this.replication.propagationDelaysMs;
  }

  // ---- Broker requests ------------------------------------------------------------------

  /**
   * A broker registers (or re-registers) over a connection, with the Java NameServer's
   * semantics topic by topic (docs/architecture.md, "Registrations, topic by topic").
   */
  registerBroker(connId: ConnectionId, origin: Origin, registration: BrokerRegistration, evidence: Evidence | null, nowMs: number, options: RegisterOptions = {}): RegisterResult {
    return this.requests.register(connId, origin, registration, evidence, nowMs, options);
  }

  /** An unchanged re-registration answered from its version alone, or null (then registerBroker). */
  reregisterUnchanged(connId: ConnectionId, clusterName: string, brokerAddr: string, dataVersion: DataVersion, evidence: Evidence | null, nowMs: number): RegisterResult | null {
    return this.requests.reregisterUnchanged(connId, clusterName, brokerAddr, dataVersion, evidence, nowMs);
  }

  /** RocketMQ REGISTER_TOPIC_IN_NAMESRV (217); returns the unknown broker name that stopped it. */
  registerTopic(topicName: string, queues: readonly QueueData[], nowMs: number): { unknownBrokerName: string | null } {
    return this.requests.registerTopic(topicName, queues, nowMs);
  }

  /** Counts topics a registration carried that were not taken; logs once per broker and reason. */
  noteSkippedTopics(brokerKey: string, reason: TopicSkipReason, count: number, example: string): void {
    this.requests.noteSkippedTopics(brokerKey, reason, count, example);
  }

  /** A broker heartbeat; `registered: false` asks the broker to register in full. */
  heartbeat(connId: ConnectionId, clusterName: string, brokerAddr: string, evidence: Evidence | null, nowMs: number): { registered: boolean } {
    return this.requests.heartbeat(connId, clusterName, brokerAddr, evidence, nowMs);
  }

  /** RocketMQ QUERY_DATA_VERSION: refreshes a live broker's liveness, tells whether the version differs. */
  queryDataVersion(connId: ConnectionId, clusterName: string, brokerAddr: string, dataVersion: DataVersion, nowMs: number): { changed: boolean; stored: DataVersion | null } {
    return this.requests.queryDataVersion(connId, clusterName, brokerAddr, dataVersion, nowMs);
  }

  /**
   * A broker leaves gracefully: offline everywhere at once. Counts only on the connection the
   * broker registered on here, or with `byAdmin` (an authenticated admin); returns whether it did.
   */
  unregisterBroker(connId: ConnectionId, clusterName: string, brokerAddr: string, evidence: Evidence | null, nowMs: number, byAdmin = false): boolean {
    return this.requests.unregister(connId, clusterName, brokerAddr, evidence, nowMs, byAdmin);
  }

  /** A connection closed: its subscriptions go, and brokers bound to it lose this node as a holder. */
  connectionClosed(connId: ConnectionId, nowMs: number): void {
    this.pushes.removeConnection(connId);
    this.registry.connectionClosed(connId, nowMs);
  }

  // ---- Queries -----------------------------------------------------------------------------

  /** Whether the node serves routes (DESIGN §4: snapshot pulled or grace passed; not leaving). */
  isReady(): boolean {
    return this.replication.isReady();
  }

  /**
   * A read request from any port: NotReadyError while the node is not ready, else the answer
   * (NotFoundError where there is none). The accessors below answer without the readiness gate
   * (for the node's own checks, the simulator and tests).
   */
  query<Q extends NodeQuery>(query: Q): QueryAnswers[Q["kind"]] {
    if (!this.isReady()) throw new NotReadyError(NOT_READY_MESSAGE);
    return this.answer(query) as QueryAnswers[Q["kind"]];
  }

  private answer(query: NodeQuery): QueryAnswers[NodeQuery["kind"]] {
    switch (query.kind) {
      case "route":
        return this.getRoute(query.topic);
      case "clusterInfo":
        return this.getClusterInfo();
      case "topics":
        return this.getTopics(query.clusterName);
      case "memberGroup":
        return this.getBrokerMemberGroup(query.brokerName);
      case "kvGet":
        return this.kvGet(query.namespace, query.key);
      case "kvList":
        return this.kvList(query.namespace);
      case "brokers":
        return this.brokerDetails(query.nowMs, query.limit);
      case "topicSearch":
        return this.registry.routes.searchTopics(query.text, query.limit);
      case "kvNamespaces":
        return this.kvNamespaces(query.limit);
    }
  }

  /** The route of a topic; NotFoundError when it has none. */
  getRoute(topic: string): TopicRouteData {
    const route = this.registry.routes.route(topic);
    if (!route) throw new NotFoundError(`no route for topic '${topic}'`);
    if (!this.ctx.options.orderMessageEnable) return route;
    const conf = this.ctx.admin.kvGet(ORDER_TOPIC_CONFIG_NAMESPACE, topic);
    return conf === undefined ? route : { ...route, orderTopicConf: conf };
  }

  /** The route of a topic or null, without the NotFoundError. */
  findRoute(topic: string): TopicRouteData | null {
    return this.registry.routes.route(topic);
  }

  /** brokerAddrTable and clusterAddrTable. */
  getClusterInfo(): ClusterInfo {
    return this.registry.routes.clusterInfo();
  }

  /** Topic names, sorted; restricted to a cluster when given. */
  getTopics(clusterName: string | null): readonly string[] {
    return this.registry.routes.topics(clusterName);
  }

  /** RocketMQ GET_BROKER_MEMBER_GROUP: the instances of one broker name. */
  getBrokerMemberGroup(brokerName: string): Readonly<Record<string, string>> {
    return this.registry.routes.brokerData(brokerName)?.brokerAddrs ?? {};
  }

  /** Live brokers, and all entries including tombstones. */
  brokerCounts(): { live: number; tracked: number } {
    return this.registry.counts();
  }

  /** Number of routed topics. */
  topicCount(): number {
    return this.registry.routes.topicCount;
  }

  /** Number of (connection, topic) subscriptions. */
  subscriptionCount(): number {
    return this.pushes.size;
  }

  // ---- Inspection (read-only, for operators; no readiness gate) ----------------------------

  /** Broker instances with liveness, evidence age, expiry and holders: live first, at most `limit`. */
  brokerDetails(nowMs: number, limit: number): { brokers: BrokerDetail[]; total: number } {
    return brokerDetails(this.registry, this.detector, nowMs, limit);
  }

  /** Identity and version hash of the records in some digest buckets, at most `limit`. */
  digestEntries(buckets: readonly number[], limit: number): { bucket: number; id: string; version: string }[] {
    return this.replication.gossip.describeBuckets(buckets, limit);
  }

  /** KV namespaces ever written with their live key counts, at most `limit`; `total` counts all. */
  kvNamespaces(limit: number): { namespaces: { namespace: string; keys: number }[]; total: number } {
    return { namespaces: this.ctx.admin.namespaces(limit), total: this.ctx.admin.namespaceCount };
  }

  // ---- Admin --------------------------------------------------------------------------------

  /** Puts a KV entry. */
  kvPut(namespace: string, key: string, value: string, nowMs: number): void {
    this.admin.kvPut(namespace, key, value, nowMs);
  }

  /** A KV value; NotFoundError when absent. */
  kvGet(namespace: string, key: string): string {
    return this.admin.kvGet(namespace, key);
  }

  /** Deletes a KV entry (a tombstone replicates the deletion). */
  kvDelete(namespace: string, key: string, nowMs: number): void {
    this.admin.kvDelete(namespace, key, nowMs);
  }

  /** The entries of a namespace; NotFoundError when it was never written (emptied ones list {}). */
  kvList(namespace: string): Record<string, string> {
    return this.admin.kvList(namespace);
  }

  /** Every KV record, tombstones included: what --data-dir persists. */
  kvRecords(): KvRecord[] {
    return this.ctx.admin.kvRecords();
  }

  /** Loads persisted KV records at start (merged like gossip, so order does not matter). */
  loadKvRecords(records: readonly KvRecord[], nowMs: number): void {
    this.admin.loadKvRecords(records, nowMs);
  }

  /** Deletes a topic, or only its queues on one cluster's brokers. */
  deleteTopic(topic: string, clusterName: string | null, nowMs: number): void {
    this.admin.deleteTopic(topic, clusterName, nowMs);
  }

  /** Clears the write bit on every queue of a broker name; returns the topics touched. */
  wipeWritePerm(brokerName: string, nowMs: number): number {
    return this.admin.setWritePerm(brokerName, false, nowMs);
  }

  /** Sets perm to read-write on every queue of a broker name; returns the topics touched. */
  addWritePerm(brokerName: string, nowMs: number): number {
    return this.admin.setWritePerm(brokerName, true, nowMs);
  }

  // ---- Subscriptions ----------------------------------------------------------------------

  /**
   * Follows topics; pushes at once every topic whose revision differs from the client's.
   * NotReadyError while the node is not ready: a first push must not be an empty route.
   */
  subscribe(connId: ConnectionId, topics: readonly TopicSubscription[]): number {
    if (!this.isReady()) throw new NotReadyError(NOT_READY_MESSAGE);
    return this.pushes.subscribe(connId, topics);
  }

  /** Stops following topics. */
  unsubscribe(connId: ConnectionId, topics: readonly string[]): number {
    return this.pushes.unsubscribe(connId, topics);
  }

  // ---- Time and effects -------------------------------------------------------------------

  /** Advances time: pause compensation, readiness grace, deadlines (self-preservation), tombstones, anti-entropy, evidence. */
  tick(nowMs: number): void {
    const gapMs = nowMs - this.ctx.lastTickMs;
    this.ctx.lastTickMs = nowMs;
    if (gapMs > limits.TICK_GAP_MS) this.detector.compensatePause(gapMs, nowMs);
    this.detector.checkDeadlines(nowMs, this.replication.isolated());
    this.replication.tick(nowMs);
  }

  /** Marks the node ready because a peer snapshot was applied or the grace passed. */
  markReady(reason: string): void {
    this.replication.markReady(reason);
  }

  /** Graceful drain: not ready from now on; peers (and `linkedPeerIds`) get a leaving notice. */
  leave(nowMs: number, linkedPeerIds: readonly string[] = []): void {
    this.replication.leave(nowMs, linkedPeerIds);
  }

  /** True while self-preservation holds back expiry evictions (cut off from every peer). */
  isDegraded(): boolean {
    return this.detector.isDegraded();
  }

  /** Takes the effects queued since the last call, in order. */
  takeEffects(): Effect[] {
    this.pushes.flush();
    this.replication.flush();
    if (this.ctx.kvDirty) {
      this.ctx.kvDirty = false;
      this.ctx.effects.push({ kind: "kvChanged" });
    }
    const effects = this.ctx.effects;
    this.ctx.effects = [];
    return effects;
  }

  // ---- Peers --------------------------------------------------------------------------------

  /** A link to a peer came up, its hello answer announcing `features` (@default this build's: tests wiring nodes by hand). */
  peerConnected(peerId: string, peerAddr: string | null, nowMs: number, features: readonly PeerFeature[] = PEER_FEATURES): void {
    this.replication.peerConnected(peerId, peerAddr, nowMs, features);
  }

  /** The last link to a peer went down: its connection claims stop counting. */
  peerDisconnected(peerId: string, nowMs: number): void {
    this.replication.peerDisconnected(peerId, nowMs);
  }

  /** Records pushed by a peer; with `leaving`, the peer is departing (down, without alarm). */
  onPeerDeltas(peerId: string, deltas: PeerDeltas, nowMs: number): void {
    this.replication.onPeerDeltas(peerId, deltas, nowMs);
  }

  /** A peer's compact liveness evidence (PEER_HEARD). */
  onPeerHeard(peerId: string, heard: PeerHeard, nowMs: number): void {
    this.replication.onPeerHeard(peerId, heard, nowMs);
  }

  /** A peer's digest: a snapshot for a starting peer, a summary of what differs for a ready one. */
  onPeerDigest(peerId: string, digest: PeerDigest, _nowMs: number): void {
    this.replication.onPeerDigest(peerId, digest);
  }

  /** A ready peer's summary of buckets that differ. */
  onPeerSummary(peerId: string, summary: PeerSummary, _nowMs: number): void {
    this.replication.onPeerSummary(peerId, summary);
  }

  /** A peer wants some of our records (after a summary). */
  onPeerWant(peerId: string, want: PeerWant, _nowMs: number): void {
    this.replication.onPeerWant(peerId, want);
  }

  /** A peer sent its records of differing buckets and asks for ours. */
  onPeerPull(peerId: string, pull: PeerPull, nowMs: number): void {
    this.replication.onPeerPull(peerId, pull, nowMs);
  }

  /** Counters of the replication side. */
  gossipCounters(): Readonly<GossipCounters> {
    return this.replication.counters();
  }

  /** Peers and whether each has a live link. */
  peerStates(): PeerState[] {
    return this.replication.peerStates();
  }

  /** Known member addresses. */
  memberList(): string[] {
    return this.replication.memberList();
  }

  /** Bucket hashes of every record: equal digests mean equal replicated state. */
  digest(): [number, number][] {
    return this.replication.gossip.digest();
  }

  /** Merges a record from a peer; returns true when it changed this node's state. */
  mergeRemote(record: ReplicatedRecord, nowMs: number, fromPeer: string | null = null): boolean {
    return this.replication.mergeRemote(record, nowMs, fromPeer);
  }

  /** Every record this node holds: a full snapshot for a peer. */
  snapshot(): ReplicatedRecord[] {
    return this.replication.snapshot();
  }
}

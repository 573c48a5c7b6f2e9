// Replication of a node: applying records (local writes and peers' deltas) and queueing
// them for peers, peer links coming and going (and what each peer's hello announced: a node
// from before PEER_HEARD and the root-only digest gets neither), digests, summaries, wants and
// pulls of anti-entropy, readiness from a (paged) peer snapshot, membership, tombstone
// collection, and the graceful drain (this node leaving, a peer leaving).
// Pure; the shell carries out the peer frames it queues as effects.
import * as limits from "../limits.js";
import type { PeerDeltas, PeerDigest, PeerPull, PeerSummary, PeerWant } from "../protocol/messages/gossip.js";
import type { PeerHeard } from "../protocol/messages/heard.js";
import { PeerFeature } from "../protocol/messages/hello.js";
import type { RecordSink } from "./broker_entry.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { PeerMessage } from "./effects.js";
import { EvidenceShares } from "./evidence.js";
import { SnapshotPages } from "./snapshot_pages.js";
import type { FailureDetector } from "./failure_detector.js";
import { GossipState, type GossipCounters, type OutboundBatch } from "./gossip.js";
import type { NodeContext } from "./node_context.js";
import { compareStamp, type LivenessRecord, type ReplicatedRecord, type Stamp } from "../model/records.js";

/** How often KV tombstones and spent topic deletions are collected: cheap, and TOMBSTONE_MS is a day. */
const TOMBSTONE_SWEEP_MS = 60_000;

/** Propagation delay samples kept between two metric scrapes. */
const PROPAGATION_SAMPLES_MAX = 10_000;

/** One peer as `peerStates` shows it. */
export interface PeerState {
  readonly peerId: string;
  readonly up: boolean;
  readonly outboxDepth: number;
  /** Its features (none: a node from before them, sent liveness records and whole digests). */
  readonly features: readonly PeerFeature[];
}

/** Records, peers, anti-entropy and readiness. */
export class Replication implements RecordSink {
  readonly gossip: GossipState;
  readonly evidence: EvidenceShares;
  /** Propagation delays (origin stamp to applied here), drained by the shell into a histogram. */
  readonly propagationDelaysMs: number[] = [];
  private ready: boolean;
  private readonly startedAtMs: number;
  /** Peers that answered our digest while not ready themselves (cold start detection). */
  private readonly startingPeers = new Set<string>();
  private nextAntiEntropyMs: number;
  private nextSweepMs: number;
  private readonly pages: SnapshotPages;
  /** Why the node became ready, logged once its routes are built. */
  private readyReason = "";

  constructor(
    private readonly ctx: NodeContext,
    private readonly registry: BrokerRegistry,
    private readonly detector: FailureDetector,
    nowMs: number,
  ) {
    const { options } = ctx;
    this.ready = !options.peersConfigured;
    if (!this.ready) registry.deferRoutes();
    this.startedAtMs = nowMs;
    this.gossip = new GossipState(options.nodeId, options.outboxRecordsPerPeerMax);
    this.gossip.learnMembers([...options.seeds, ...(options.advertiseAddr ? [options.advertiseAddr] : [])]);
    this.evidence = new EvidenceShares(ctx, registry, detector, this.gossip, nowMs);
    this.pages = new SnapshotPages(ctx, this.gossip);
    this.nextAntiEntropyMs = nowMs + options.antiEntropyIntervalMs;
    this.nextSweepMs = nowMs + TOMBSTONE_SWEEP_MS;
  }

  // ---- Records --------------------------------------------------------------------------------

  /** Applies a record (local or remote). Returns true, indexes it and queues it for peers when it changed state. */
  apply(record: ReplicatedRecord, nowMs: number, fromPeer: string | null, persist = true): boolean {
    const { admin } = this.ctx;
    let stored: ReplicatedRecord | null;
    let shared = true;
    switch (record.type) {
      case "instance":
      case "topic":
      case "holder":
        stored = this.registry.applyBrokerRecord(record, nowMs);
        break;
      case "liveness": {
        if (fromPeer !== null && this.detector.refuteVerdict(record, nowMs, this.gossip.peerLacks(fromPeer, PeerFeature.HEARD))) return false;
        const before = this.registry.get(record.brokerKey)?.liveness;
        stored = this.registry.applyBrokerRecord(record, nowMs);
        // Fresher evidence for a broker already alive in the same session travels as PEER_HEARD
        // freshness, not as a record; a native broker's new boot epoch still goes as one.
        shared = !(before?.alive === true && record.alive && record.session === before.session) || this.newBootEpoch(before, record);
        break;
      }
      case "kv":
        stored = admin.mergeKv(record);
        if (stored && persist) this.ctx.kvDirty = true;
        break;
      case "topicDelete":
        stored = admin.mergeTopicDelete(record);
        if (stored) this.registry.refreshTopic(record.topic);
        break;
      case "perm":
        stored = admin.mergePerm(record);
        if (stored) this.registry.rebuildGroup(record.brokerName);
        break;
    }
    if (!stored) return false;
    this.gossip.indexRecord(stored);
    if (shared) this.gossip.enqueue(stored, fromPeer);
    if (fromPeer !== null) this.detector.answerRemote(stored, nowMs);
    return true;
  }

  /** A native broker's heartbeat sequence from a new boot (a remoting broker's epoch is a node's clock). */
  private newBootEpoch(before: LivenessRecord | null | undefined, record: LivenessRecord): boolean {
    const origin = this.registry.get(record.brokerKey)?.instance?.origin;
    return origin === "native" && before !== null && before !== undefined && before.evidence.epoch !== record.evidence.epoch;
  }

  /** A record collected or made dead here leaves the digest. */
  unindex(record: ReplicatedRecord): void {
    this.gossip.unindexRecord(record);
  }

  /** Merges a record from a peer; returns true when it changed this node's state. */
  mergeRemote(record: ReplicatedRecord, nowMs: number, fromPeer: string | null = null): boolean {
    // A KV tombstone past its lifetime was collected here already (or is about to be):
    // taking it back from a slower peer would only bring it back for another sweep.
    if (record.type === "kv" && record.value === null && record.stamp.wallMs < nowMs - limits.TOMBSTONE_MS) return false;
    if ("stamp" in record) this.ctx.hlc.observe(record.stamp);
    const changed = this.apply(record, nowMs, fromPeer);
    if (changed && "stamp" in record && record.stamp.nodeId !== this.ctx.nodeId) {
      this.recordDelay(nowMs - record.stamp.wallMs);
    }
    return changed;
  }

  /** Every record this node holds: a full snapshot for a peer. */
  snapshot(): ReplicatedRecord[] {
    return this.gossip.recordsIn([...Array(limits.DIGEST_BUCKETS).keys()]);
  }

  // ---- Readiness and time -----------------------------------------------------------------

  /**
   * Whether the node serves routes (DESIGN §4: snapshot pulled or grace passed, and its routes
   * built from it), and is not leaving.
   */
  isReady(): boolean {
    return this.ready && !this.registry.routesDeferred && !this.ctx.leaving;
  }

  /**
   * Graceful drain: from now on this node answers not ready, and every up peer gets what is
   * queued for it, then a last PEER_DELTAS with `leaving`, so that it marks this node departed
   * instead of down; so does every other peer the shell holds a link with (`linkedPeerIds`: one
   * that dialed us while we never reached it still counts us as up). The connection claims this
   * node made stay (BrokerRegistry.unbindConnection).
   */
  leave(nowMs: number, linkedPeerIds: readonly string[]): void {
    if (this.ctx.leaving) return;
    this.ctx.leaving = true;
    const peerIds = new Set([...this.gossip.upPeers().map((peer) => peer.nodeId), ...linkedPeerIds]);
    peerIds.delete(this.ctx.nodeId);
    this.ctx.log("info", "node leaving", { peers: peerIds.size });
    this.ship(this.gossip.flush());
    for (const peerId of peerIds) {
      this.ctx.effects.push({ kind: "peerSend", peerId, message: { type: "deltas", body: { records: [], repair: false, leaving: true } } });
    }
  }

  /**
   * Marks the node ready because a peer snapshot was applied or the grace passed: it holds what
   * its peers hold, and serves once the routes it deferred are built (DEFERRED_ROUTE_TOPICS_PER_TICK,
   * `deferredRouteTopicsPerTick`, at a time, in this call and the next ticks).
   */
  markReady(reason: string): void {
    if (this.ready) return;
    this.ready = true;
    this.readyReason = reason;
    this.buildRoutes();
  }

  private buildRoutes(): void {
    if (!this.registry.buildDeferredRoutes(this.ctx.options.deferredRouteTopicsPerTick)) return;
    this.ctx.log("info", "node ready", { reason: this.readyReason });
  }

  /** Whether peers are configured but none is up: the node is cut off. */
  isolated(): boolean {
    return this.ctx.options.peersConfigured && this.gossip.upPeers().length === 0;
  }

  /** The replication part of a tick: readiness grace, tombstone sweep, anti-entropy (the root alone once ready), evidence shares. */
  tick(nowMs: number): void {
    if (this.ready && this.registry.routesDeferred) this.buildRoutes();
    if (!this.ready && nowMs - this.startedAtMs >= this.ctx.options.startupGraceMs && !this.pages.arriving(nowMs)) this.markReady("startup grace passed");
    if (nowMs >= this.nextSweepMs) {
      this.nextSweepMs = nowMs + TOMBSTONE_SWEEP_MS;
      this.sweepTombstones(nowMs);
    }
    if (nowMs >= this.nextAntiEntropyMs) {
      this.nextAntiEntropyMs = nowMs + this.ctx.options.antiEntropyIntervalMs;
      const peerId = this.gossip.randomUpPeer(this.ctx.rng);
      // A starting node's digest asks for a snapshot page: not while one is on its way.
      if (peerId !== null && (this.ready || !this.pages.arriving(nowMs))) this.sendDigest(peerId, this.ready && this.gossip.peerHas(peerId, PeerFeature.ROOT_DIGEST));
    }
    this.flush();
    this.evidence.tick(nowMs);
  }

  /** Sends queued deltas (of one peer, or of all). */
  flush(onlyPeer: string | null = null): void {
    this.ship(this.gossip.flush(onlyPeer));
  }

  // ---- Peers ----------------------------------------------------------------------------------

  /**
   * A link to a peer node came up: exchange digests at once (a starting node pulls a snapshot).
   * `features` are what its hello answer announced: a peer without `heard` gets liveness records
   * instead of PEER_HEARD, one without `rootDigest` every digest whole (a node from before them).
   */
  peerConnected(peerId: string, peerAddr: string | null, nowMs: number, features: readonly PeerFeature[]): void {
    if (peerId === this.ctx.nodeId) return;
    this.gossip.peerUp(peerId, features);
    if (peerAddr !== null) this.gossip.learnMembers([peerAddr]);
    this.detector.peerContact();
    this.ctx.log("info", "peer up", { peerId, features: [...features] });
    this.evidence.peerUp(peerId, nowMs);
    this.pages.endStream(peerId);
    if (!this.ready) this.askPage(peerId, nowMs);
    else this.sendDigest(peerId, false);
    this.detector.recheckSuspicions(nowMs);
  }

  /** The last link to a peer went down (a peer that said it was leaving is down already). */
  peerDisconnected(peerId: string, nowMs: number): void {
    if (!this.gossip.isUp(peerId)) return;
    this.gossip.peerDown(peerId);
    this.pages.peerGone(peerId);
    // A leaving node closes its own links: no alarm in its last lines.
    this.ctx.log(this.ctx.leaving ? "info" : "warn", "peer down", { peerId });
    this.detector.recheckSuspicions(nowMs);
  }

  /** Records pushed by a peer. */
  onPeerDeltas(peerId: string, deltas: PeerDeltas, nowMs: number): void {
    this.gossip.counters.deltasReceived += deltas.records.length;
    // A peer without PEER_HEARD shares heartbeats as pushed liveness records: their freshness goes
    // on to this node's peers as relayed bits (not that of a repair, whose evidence may be old).
    const relay = !deltas.repair && this.gossip.peerLacks(peerId, PeerFeature.HEARD);
    for (const record of deltas.records) {
      const changed = this.mergeRemote(record, nowMs, peerId);
      if (changed && deltas.repair) this.gossip.counters.recordsRepaired += 1;
      if (changed && relay && record.type === "liveness" && record.alive) this.evidence.recordEvidence(record.brokerKey, nowMs);
    }
    if (deltas.leaving === true) this.peerLeft(peerId);
  }

  /**
   * A peer said it is leaving (graceful drain): it is down from now on, without the "peer down"
   * warning its links closing would bring. Its records and connection claims stay (brokers it
   * heard expire by the usual rules only if no one hears them), and the shell keeps redialing
   * it, so a restarted node rejoins with "peer up".
   */
  private peerLeft(peerId: string): void {
    if (!this.gossip.isUp(peerId)) return;
    this.gossip.peerDown(peerId);
    this.pages.peerGone(peerId);
    this.ctx.log("info", "peer left", { peerId });
  }

  /** A peer's compact liveness evidence. */
  onPeerHeard(peerId: string, heard: PeerHeard, nowMs: number): void {
    this.evidence.onHeard(peerId, heard, nowMs);
  }

  /**
   * A peer's digest. The root alone (a ready peer's periodic digest): nothing to do when ours is
   * equal, else our whole digest goes back, and the peer answers it as below. A starting peer
   * gets its snapshot: our records of the differing buckets, then a pull for theirs; from a ready
   * node in pages (sendSnapshotPage) if it takes them (`snapshotPages`), else whole. A ready peer
   * gets a summary of those buckets instead (a round's worth, SnapshotPages.repairRound): it
   * sends what we lack and wants what it lacks, so records already on both sides do not travel
   * (with deltas in flight, most buckets differ for a moment while nearly every record agrees).
   * A starting node takes a ready peer's state from the snapshot it asked for when the link came
   * up, so it leaves a ready peer's digest unanswered: answering would ship the snapshot twice.
   */
  onPeerDigest(peerId: string, digest: PeerDigest): void {
    this.gossip.counters.digestsReceived += 1;
    this.learn(digest.members);
    if (!this.ready && digest.ready) return;
    if (digest.buckets.length === 0) {
      const [low, high] = this.gossip.root();
      if (digest.root === null || digest.root[0] !== low || digest.root[1] !== high) this.sendDigest(peerId, false);
      return;
    }
    if (!digest.ready && this.ready && this.gossip.peerHas(peerId, PeerFeature.SNAPSHOT_PAGES)) {
      this.sendSnapshotPage(peerId, digest.buckets);
      return;
    }
    this.pages.endStream(peerId);
    const buckets = this.gossip.diff(digest.buckets);
    if (!digest.ready) {
      this.sendRecords(peerId, this.gossip.recordsIn(buckets), true);
      this.sendPeer(peerId, { type: "pull", body: { buckets, members: this.memberList(), ready: this.ready } });
      return;
    }
    if (buckets.length === 0) return;
    for (const frame of this.gossip.summarize(this.pages.repairRound(buckets))) this.sendPeer(peerId, { type: "summary", body: frame });
  }

  /** A ready peer's summary of buckets that differ: send ours it lacks, want those we lack. */
  onPeerSummary(peerId: string, summary: PeerSummary): void {
    const { send, want } = this.gossip.compareSummary(summary.buckets, summary.entries);
    this.sendRecords(peerId, send, true);
    for (let start = 0; start < want.length; start += limits.WANT_IDS_PER_FRAME_MAX) {
      const ids = want.slice(start, start + limits.WANT_IDS_PER_FRAME_MAX);
      this.sendPeer(peerId, { type: "want", body: { buckets: summary.buckets, ids } });
    }
  }

  /** A peer wants some of our records (after a summary). */
  onPeerWant(peerId: string, want: PeerWant): void {
    this.sendRecords(peerId, this.gossip.recordsWanted(want.buckets, want.ids), true);
  }

  /**
   * The end of a snapshot page (the peer sent its records of those buckets, one ordered link, so
   * they arrived before this). From a ready peer: with more to come, ask for the next page; at
   * the end, ready, and a digest back: what this node holds that the peer lacks (brokers that
   * registered here while it started) is repaired by summaries, not by sending the peer its own
   * snapshot back. From a starting peer (a cold start of both): its records, and ours back.
   */
  onPeerPull(peerId: string, pull: PeerPull, nowMs: number): void {
    this.learn(pull.members);
    this.pages.answered(peerId);
    if (pull.ready) {
      if (pull.more === true && !this.ready) {
        this.askPage(peerId, nowMs);
        return;
      }
      this.markReady(`snapshot from ${peerId}`);
      this.sendDigest(peerId, false);
      return;
    }
    // A cold start of the whole cluster: once every seed peer has shown us its (starting)
    // state, nobody holds more than we do now, so waiting out the grace gains nothing. A node
    // without seeds (it finds its peers by DNS) knows no count to wait for: a ready peer's
    // snapshot or the grace decides.
    this.startingPeers.add(peerId);
    const seeds = this.ctx.options.seeds.length;
    if (seeds > 0 && this.startingPeers.size >= seeds) this.markReady("every peer is starting too");
    this.sendRecords(peerId, this.gossip.recordsIn(pull.buckets), true);
  }

  /** Counters of the replication side. */
  counters(): Readonly<GossipCounters> {
    return this.gossip.counters;
  }

  /** Peers, whether each has a live link, and what its hello answer announced. */
  peerStates(): PeerState[] {
    return [...this.gossip.peers.values()].map((peer) => ({ peerId: peer.nodeId, up: peer.up, outboxDepth: peer.outbox.size, features: [...peer.features] }));
  }

  /** Known member addresses. */
  memberList(): string[] {
    return [...this.gossip.members].sort();
  }

  // ---- Internals ------------------------------------------------------------------------------

  private ship(batches: readonly OutboundBatch[]): void {
    for (const batch of batches) {
      const message: PeerMessage = { type: "deltas", body: { records: batch.records, repair: false } };
      this.ctx.effects.push({ kind: "peerSend", peerId: batch.peerId, message });
    }
  }

  /** A starting node asks a peer for (the next page of) its snapshot: a digest saying not ready. */
  private askPage(peerId: string, nowMs: number): void {
    this.pages.asked(peerId, nowMs);
    this.sendDigest(peerId, false);
  }

  /** The next page of a starting peer's snapshot (SnapshotPages.nextPage), then a pull saying whether more follow. */
  private sendSnapshotPage(peerId: string, remote: PeerDigest["buckets"]): void {
    const page = this.pages.nextPage(peerId, remote);
    this.sendRecords(peerId, this.gossip.recordsIn(page.buckets), true);
    this.sendPeer(peerId, { type: "pull", body: { buckets: page.buckets, members: this.memberList(), ready: true, more: page.more } });
  }

  /** A digest for a peer: the root alone (`rootOnly`, a ready node's periodic one to a peer that takes it) or every bucket too. */
  private sendDigest(peerId: string, rootOnly: boolean): void {
    this.gossip.counters.digestsSent += 1;
    const body: PeerDigest = { buckets: rootOnly ? [] : this.gossip.digest(), root: this.gossip.root(), members: this.memberList(), ready: this.ready };
    this.sendPeer(peerId, { type: "digest", body });
  }

  private sendRecords(peerId: string, records: readonly ReplicatedRecord[], repair: boolean): void {
    for (let start = 0; start < records.length; start += limits.DELTAS_PER_FRAME_MAX) {
      this.sendPeer(peerId, { type: "deltas", body: { records: records.slice(start, start + limits.DELTAS_PER_FRAME_MAX), repair } });
    }
    if (repair) this.gossip.counters.deltasSent += records.length;
  }

  private sendPeer(peerId: string, message: PeerMessage): void {
    // Queued deltas go first so that a pull never overtakes the records it accounts for.
    this.flush(peerId);
    this.ctx.effects.push({ kind: "peerSend", peerId, message });
  }

  private learn(members: readonly string[]): void {
    for (const addr of this.gossip.learnMembers(members)) {
      if (addr !== this.ctx.options.advertiseAddr) this.ctx.effects.push({ kind: "dialPeer", addr });
    }
  }

  private recordDelay(delayMs: number): void {
    if (this.propagationDelaysMs.length < PROPAGATION_SAMPLES_MAX) this.propagationDelaysMs.push(Math.max(0, delayMs));
  }

  /**
   * Collects KV tombstones and topic deletions older than TOMBSTONE_MS. A deletion stays
   * while a topic record written before it still lists the topic.
   */
  private sweepTombstones(nowMs: number): void {
    const { admin } = this.ctx;
    const beforeWallMs = nowMs - limits.TOMBSTONE_MS;
    const collected: ReplicatedRecord[] = admin.collectKvTombstones(beforeWallMs);
    collected.push(...admin.collectTopicDeletes(beforeWallMs, (record) => this.deletionStillHides(record)));
    for (const record of collected) this.gossip.unindexRecord(record);
    if (collected.length > 0) this.ctx.log("info", "tombstones collected", { count: collected.length });
  }

  private deletionStillHides(record: { topic: string; clusterName: string | null; stamp: Stamp }): boolean {
    for (const entry of this.registry.brokers.values()) {
      const topic = entry.topics.get(record.topic);
      if (!topic || topic.config === null || compareStamp(topic.stamp, record.stamp) >= 0) continue;
      if (record.clusterName !== null && entry.instance?.header.clusterName !== record.clusterName) continue;
      return true;
    }
    return false;
  }
}

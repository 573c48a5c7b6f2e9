// The broker side of a node's state: one entry per broker instance (cluster, addr) with its
// header, topic records, liveness and connection claims; the indexes by broker name and by
// connection; and the route view rebuilt from them. Applies broker records (local or from
// peers) and keeps routes in step. Pure; the failure detector, replication and pushes are
// linked in by the node.
import { assert } from "../assert.js";
import type { BrokerEntry, RecordSink, RouteChanges, SuspicionHooks } from "./broker_entry.js";
import type { NodeContext } from "./node_context.js";
import {
  compareEvidence,
  mergeRecords,
  type HolderRecord,
  type InstanceRecord,
  type LivenessRecord,
  type ReplicatedRecord,
  type TopicRecord,
} from "../model/records.js";
import { RouteView, type InstanceView } from "./route_view.js";
import { TopicNames } from "./topic_names.js";
import { TOPIC_RECORDS_MAX } from "../limits.js";
import { MASTER_ID, type BrokerHeader, type ConnectionId, type Evidence } from "../model/types.js";

/** The other parts of the node a registry calls. */
export interface RegistryLinks {
  readonly records: RecordSink;
  readonly detector: SuspicionHooks;
  readonly pushes: RouteChanges;
}

/** Broker entries, their indexes and the route view. */
export class BrokerRegistry {
  readonly brokers = new Map<string, BrokerEntry>();
  readonly routes = new RouteView();
  private readonly byName = new Map<string, Set<string>>();
  private readonly byConnection = new Map<ConnectionId, Set<string>>();
  private topicRecords = 0;
  /** The names, configs, dataVersions and stamps stored topic records share. */
  private readonly topicNames = new TopicNames();
  private links: RegistryLinks | null = null;
  /**
   * Broker names whose group waits to be built, or null when groups are kept up to date. A
   * starting node serves no routes until its snapshot is in, so it builds each group once when
   * it is ready instead of once per topic record as the snapshot arrives (a third of the cost of
   * taking a 1.6-million-record snapshot was route upkeep). At most one per broker name.
   */
  private deferredGroups: Set<string> | null = null;

  constructor(private readonly ctx: NodeContext) {}

  /** Connects the parts this registry calls (once, by the node). */
  link(links: RegistryLinks): void {
    this.links = links;
  }

  /** Topic records held, every broker and session together. */
  get topicRecordCount(): number {
    return this.topicRecords;
  }

  /** The entry of a broker key, if any. */
  get(key: string): BrokerEntry | undefined {
    return this.brokers.get(key);
  }

  /** The entry of a broker key, created empty when absent. */
  entryFor(key: string, nowMs: number): BrokerEntry {
    let entry = this.brokers.get(key);
    if (!entry) {
      entry = {
        key,
        instance: null,
        topics: new Map(),
        liveness: null,
        holders: new Map(),
        connId: null,
        expiresAtMs: nowMs + this.ctx.options.brokerExpiryMs,
        suspectSinceMs: null,
        offlineSinceMs: null,
        headerPending: false,
        heardAtMs: Number.NEGATIVE_INFINITY,
        vouchedAtMs: Number.NEGATIVE_INFINITY,
        topicsCheckedAt: null,
      };
      this.brokers.set(key, entry);
    }
    return entry;
  }

  /**
   * Routed: alive, with a header of the session it is alive in. Peers send a session's header
   * and liveness apart, so either may arrive first: a header of a later session (its liveness
   * on the way) still routes, and so does the previous session's header while a later
   * session's liveness waits for its own (headerPending).
   */
  isLive(entry: BrokerEntry): boolean {
    const { instance, liveness } = entry;
    return instance !== null && liveness !== null && liveness.alive && (instance.session >= liveness.session || entry.headerPending);
  }

  /** What a route rebuild reads of a live entry: topics of the earlier of its header's and liveness's sessions, and later. */
  viewOf(entry: BrokerEntry): InstanceView {
    const instance = entry.instance as InstanceRecord;
    return { instance, session: Math.min(instance.session, (entry.liveness as LivenessRecord).session), topics: entry.topics };
  }

  /** Live entries of a broker name. */
  liveOf(brokerName: string): BrokerEntry[] {
    const live: BrokerEntry[] = [];
    for (const key of this.byName.get(brokerName) ?? []) {
      const entry = this.brokers.get(key);
      if (entry && this.isLive(entry)) live.push(entry);
    }
    return live;
  }

  /** Whether a broker name has a live instance with this broker id (RocketMQ's step-7 test). */
  hasLiveId(brokerName: string, brokerId: number): boolean {
    return this.liveOf(brokerName).some((entry) => entry.instance?.header.brokerId === brokerId);
  }

  /** The live master of a broker name, if any: what a registering slave is told. */
  masterOf(brokerName: string): BrokerHeader | null {
    for (const entry of this.liveOf(brokerName)) if (entry.instance?.header.brokerId === MASTER_ID) return entry.instance.header;
    return null;
  }

  /** Whether one more topic record fits: the node's topic and record bounds. */
  topicFits(topicName: string): boolean {
    if (this.topicRecords >= TOPIC_RECORDS_MAX) return false;
    return this.routes.hasTopic(topicName) || this.routes.topicCount < this.ctx.options.topicsMax;
  }

  // ---- Connections and liveness heard here ------------------------------------------------

  /** This node heard the broker on `connId`: bind the connection, claim it, refresh liveness. */
  hearDirectly(key: string, connId: ConnectionId, evidence: Evidence | null, nowMs: number, session: number): void {
    const { ctx } = this;
    const entry = this.entryFor(key, nowMs);
    if (entry.connId !== connId) {
      if (entry.connId !== null) this.byConnection.get(entry.connId)?.delete(key);
      entry.connId = connId;
      let keys = this.byConnection.get(connId);
      if (!keys) this.byConnection.set(connId, (keys = new Set()));
      keys.add(key);
    }
    entry.heardAtMs = nowMs;
    const apply = this.wired().records;
    if (entry.holders.get(ctx.nodeId)?.connected !== true) {
      apply.apply({ type: "holder", brokerKey: key, nodeId: ctx.nodeId, connected: true, stamp: ctx.hlc.now(nowMs) }, nowMs, null);
    }
    const proof = evidence ?? ctx.stampEvidence(nowMs);
    const accepted = apply.apply({ type: "liveness", brokerKey: key, session, alive: true, reason: null, evidence: proof }, nowMs, null);
    if (!accepted && entry.liveness && !entry.liveness.alive) {
      ctx.log("warn", "stale broker evidence ignored", { brokerKey: key, evidence: proof, known: entry.liveness.evidence });
    }
  }

  /** The broker's connection here is gone: this node stops claiming it. */
  unbindConnection(entry: BrokerEntry, nowMs: number): void {
    const { ctx } = this;
    if (entry.connId !== null) this.byConnection.get(entry.connId)?.delete(entry.key);
    entry.connId = null;
    // A draining node closes every broker connection because it leaves, not because the
    // brokers went: its "connected" claims stay, so that peers do not suspect the brokers it
    // heard; they expire by the usual rules if no one else hears them.
    if (!ctx.leaving && entry.holders.get(ctx.nodeId)?.connected === true) {
      const holder: HolderRecord = { type: "holder", brokerKey: entry.key, nodeId: ctx.nodeId, connected: false, stamp: ctx.hlc.now(nowMs) };
      this.wired().records.apply(holder, nowMs, null);
    }
  }

  /** Live brokers, and all entries including tombstones. */
  counts(): { live: number; tracked: number } {
    let live = 0;
    for (const entry of this.brokers.values()) if (this.isLive(entry)) live += 1;
    return { live, tracked: this.brokers.size };
  }

  /** A connection closed: brokers bound to it lose this node as a holder. */
  connectionClosed(connId: ConnectionId, nowMs: number): void {
    const keys = this.byConnection.get(connId);
    if (!keys) return;
    for (const key of [...keys]) {
      const entry = this.brokers.get(key);
      if (entry) this.unbindConnection(entry, nowMs);
    }
    this.byConnection.delete(connId);
  }

  /** Drops a broker's entry and every record of it (tombstone collection). */
  forget(entry: BrokerEntry): void {
    const { records } = this.wired();
    const name = entry.instance?.header.brokerName;
    if (entry.instance) records.unindex(entry.instance);
    for (const record of entry.topics.values()) {
      records.unindex(record);
      this.topicNames.release(record.topicName);
    }
    this.topicRecords -= entry.topics.size;
    if (entry.liveness) records.unindex(entry.liveness);
    for (const holder of entry.holders.values()) records.unindex(holder);
    this.brokers.delete(entry.key);
    if (name !== undefined) this.indexName(entry.key, name, undefined);
    if (entry.connId !== null) this.byConnection.get(entry.connId)?.delete(entry.key);
  }

  // ---- Applying broker records --------------------------------------------------------------

  /** Merges a broker record into its entry; returns the stored record when state changed. */
  applyBrokerRecord(record: InstanceRecord | TopicRecord | LivenessRecord | HolderRecord, nowMs: number): ReplicatedRecord | null {
    const entry = this.entryFor(record.brokerKey, nowMs);
    switch (record.type) {
      case "holder": {
        const current = entry.holders.get(record.nodeId);
        const merged = current ? mergeRecords(current, record) : record;
        if (merged === current) return null;
        entry.holders.set(record.nodeId, merged);
        this.wired().detector.updateSuspicion(entry, nowMs);
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
    if (entry.headerPending && merged.session >= (entry.liveness?.session ?? 0)) {
      entry.headerPending = false;
      this.dropDeadTopics(entry, merged.session);
    }
    this.indexName(entry.key, oldName, merged.header.brokerName);
    if (oldName !== undefined && oldName !== merged.header.brokerName) this.rebuildGroup(oldName);
    this.rebuildGroup(merged.header.brokerName);
    if (!current) this.wired().detector.refreshExpiry(entry, nowMs);
    this.ctx.log("info", "broker instance changed", { brokerKey: entry.key, dataVersion: merged.header.dataVersion });
    return merged;
  }

  /** Stores a topic record unless it belongs to a session the broker has left (such records are dead). */
  private applyTopic(entry: BrokerEntry, record: TopicRecord): TopicRecord | null {
    const session = entry.liveness?.session;
    if (session !== undefined && record.session < session) return null;
    const current = entry.topics.get(record.topicName);
    if (current && mergeRecords(current, record) === current) return null;
    if (!current && this.topicRecords >= TOPIC_RECORDS_MAX) {
      this.ctx.counters.topicsSkipped.capacity += 1;
      return null;
    }
    if (!current) this.topicRecords += 1;
    const merged = this.topicNames.share(record, entry.key, !current);
    entry.topics.set(merged.topicName, merged);
    const name = entry.instance?.header.brokerName;
    if (name !== undefined && this.routes.sourceOf(name) === entry.key) {
      this.wired().pushes.markDirty(this.routes.updateTopics(name, [merged.topicName], this.viewOf(entry), this.ctx.admin));
    }
    return merged;
  }

  private applyLiveness(entry: BrokerEntry, record: LivenessRecord, nowMs: number): LivenessRecord | null {
    const { detector } = this.wired();
    const current = entry.liveness;
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    const wasLive = this.isLive(entry);
    entry.liveness = merged;
    if (current && merged.session > current.session) {
      // Alive on to a later session whose header is not here yet: keep routing the one before.
      entry.headerPending = wasLive && merged.alive && entry.instance?.session !== merged.session;
      if (!entry.headerPending) this.dropDeadTopics(entry, merged.session);
    } else if (!merged.alive) entry.headerPending = false;
    if (!current || merged.session > current.session || compareEvidence(merged.evidence, current.evidence) > 0) {
      detector.refreshExpiry(entry, nowMs);
    }
    if (merged.alive) {
      entry.offlineSinceMs = null;
      detector.updateSuspicion(entry, nowMs);
    } else {
      entry.offlineSinceMs = nowMs;
      entry.suspectSinceMs = null;
    }
    const live = this.isLive(entry);
    if (wasLive !== live && entry.instance) {
      this.rebuildGroup(entry.instance.header.brokerName);
      this.ctx.log(live ? "info" : "warn", live ? "broker alive" : "broker offline", { brokerKey: entry.key, reason: merged.reason });
    }
    return merged;
  }

  /** A broker entered a later session: its topic records of earlier sessions can never show again. */
  private dropDeadTopics(entry: BrokerEntry, session: number): void {
    const { records } = this.wired();
    for (const [name, record] of entry.topics) {
      if (record.session >= session) continue;
      entry.topics.delete(name);
      this.topicRecords -= 1;
      records.unindex(record);
      this.topicNames.release(name);
    }
  }

  // ---- Routes ---------------------------------------------------------------------------------

  /** Rebuilds a broker name's group from its live instances. */
  rebuildGroup(brokerName: string): void {
    if (this.deferredGroups !== null) {
      this.deferredGroups.add(brokerName);
      return;
    }
    this.buildGroup(brokerName);
  }

  private buildGroup(brokerName: string): void {
    const live = this.liveOf(brokerName).map((entry) => this.viewOf(entry));
    this.wired().pushes.markDirty(this.routes.rebuild(brokerName, live, this.ctx.admin));
  }

  /** From now on groups wait to be built until buildDeferredRoutes (a starting node). */
  deferRoutes(): void {
    this.deferredGroups ??= new Set();
  }

  /** Whether groups wait to be built. */
  get routesDeferred(): boolean {
    return this.deferredGroups !== null;
  }

  /**
   * Builds groups that waited: whole groups until about `topicsMax` topic records went into them
   * (at least one group), so that a node of 1.6 million records does not hold its event loop for
   * seconds in one go (its peers would take it for silent). Records that arrive meanwhile update
   * a built group as usual, and a group they rebuild waits again. Returns true once none waits:
   * groups are kept up to date from then on.
   */
  buildDeferredRoutes(topicsMax = Number.POSITIVE_INFINITY): boolean {
    const names = this.deferredGroups;
    if (names === null) return true;
    let topics = 0;
    for (const name of names) {
      if (topics >= topicsMax) break;
      names.delete(name);
      this.buildGroup(name);
      for (const entry of this.liveOf(name)) topics += entry.topics.size;
    }
    if (names.size > 0) return false;
    this.deferredGroups = null;
    return true;
  }

  /** Re-derives one topic on every broker name showing it (an admin deletion touched it). */
  refreshTopic(topic: string): void {
    for (const name of this.routes.brokerNamesOf(topic)) {
      const entry = this.brokers.get(this.routes.sourceOf(name) ?? "");
      if (entry && this.isLive(entry)) {
        this.wired().pushes.markDirty(this.routes.updateTopics(name, [topic], this.viewOf(entry), this.ctx.admin));
      }
    }
  }

  private indexName(key: string, oldName: string | undefined, newName: string | undefined): void {
    if (oldName === newName) return;
    if (oldName !== undefined) {
      const keys = this.byName.get(oldName);
      keys?.delete(key);
      if (keys?.size === 0) this.byName.delete(oldName);
    }
    if (newName !== undefined) {
      let keys = this.byName.get(newName);
      if (!keys) this.byName.set(newName, (keys = new Set()));
      keys.add(key);
    }
  }

  private wired(): RegistryLinks {
    assert(this.links !== null, "broker registry used before the node linked it");
    return this.links;
  }
}

// What brokers ask of a node: registrations with the Java NameServer's semantics topic by
// topic (docs/architecture.md, "Registrations, topic by topic"), REGISTER_TOPIC (217),
// heartbeats, QUERY_DATA_VERSION and unregistration. Turns each into records for the
// replication part to apply. Pure.
import { LimitExceededError } from "../errors.js";
import { permOverriddenSince } from "./admin_state.js";
import type { BrokerEntry } from "./broker_entry.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { NodeContext } from "./node_context.js";
import { brokerKeyOf, compareDataVersion, compareEvidence, compareStamp, type InstanceRecord, type LivenessRecord, type Stamp, type TopicRecord } from "../model/records.js";
import { headerOf, sameHeader, sameTopicConfig } from "./registration.js";
import type { Replication } from "./replication.js";
import {
  MASTER_ID,
  type BrokerHeader,
  type BrokerRegistration,
  type ConnectionId,
  type DataVersion,
  type Evidence,
  type Origin,
  type QueueData,
  type RegisterOptions,
  type RegisterResult,
  type TopicConfig,
  type TopicSkipReason,
} from "../model/types.js";

/** (broker, reason) pairs whose skipped topics were logged: one line each, then only the metric. */
const SKIP_LOG_KEYS_MAX = 10_000;

/** KV namespace whose entries RocketMQ returns to registering brokers and uses for order topics. */
export const ORDER_TOPIC_CONFIG_NAMESPACE = "ORDER_TOPIC_CONFIG";

/** Broker requests, on the registry and through replication. */
export class BrokerRequests {
  private readonly skipLogged = new Set<string>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly registry: BrokerRegistry,
    private readonly replication: Replication,
  ) {}

  /**
   * A broker registers (or re-registers) over a connection: the topics it carries are added or
   * updated, none is removed (unless `deleteMissingTopics`); a topic already known in this
   * session is rewritten only when the dataVersion changed and its config differs or an admin
   * override covers it, and re-added whenever it is missing. A registration of a broker this
   * node holds offline or does not know starts a new session, which starts empty.
   */
  register(
    connId: ConnectionId,
    origin: Origin,
    registration: BrokerRegistration,
    evidence: Evidence | null,
    nowMs: number,
    options: RegisterOptions,
  ): RegisterResult {
    const { ctx, registry } = this;
    const key = brokerKeyOf(registration.clusterName, registration.brokerAddr);
    const known = registry.get(key);
    if (!known && registry.brokers.size >= ctx.options.brokersMax) {
      throw new LimitExceededError("BROKERS_MAX", `this node tracks at most ${ctx.options.brokersMax} brokers`);
    }
    const continuing = known?.liveness?.alive === true;
    const { brokerName, brokerId } = registration;
    if (!continuing && options.refuseSingleTopicFirst === true && registration.topics.length === 1 && !registry.hasLiveId(brokerName, brokerId)) {
      // RocketMQ's guard against an incremental registration that overtook the first full one.
      ctx.counters.registrationsRefused += 1;
      ctx.log("warn", "one-topic registration of a broker not registered yet refused", { brokerKey: key });
      return { ...this.result(registration), refused: true };
    }
    if (!continuing && known?.liveness && evidence !== null && compareEvidence(evidence, known.liveness.evidence) <= 0) {
      // A registration from before the broker's unregistration or eviction, delivered late.
      ctx.log("warn", "stale registration ignored", { brokerKey: key, evidence, known: known.liveness.evidence });
      return this.result(registration);
    }
    ctx.counters.registrations += 1;
    const session = continuing ? (known.liveness as LivenessRecord).session : nextSession(known);
    registry.hearDirectly(key, connId, evidence, nowMs, session);
    const entry = registry.get(key) as BrokerEntry;
    const stamp = ctx.hlc.now(nowMs);
    const before = entry.instance !== null && entry.instance.session === session ? entry.instance : null;
    const dataVersionChanged = before === null || compareDataVersion(before.header.dataVersion, registration.dataVersion) !== 0;
    const header = headerOf(registration);
    let changed = false;
    if (before === null || before.origin !== origin || !sameHeader(before.header, header)) {
      changed = this.replication.apply({ type: "instance", brokerKey: key, session, header, origin, stamp }, nowMs, null) || changed;
    }
    changed = this.writeTopics(entry, session, registration, dataVersionChanged, stamp, options, nowMs) || changed;
    if (!changed) ctx.counters.registrationsUnchanged += 1;
    entry.topicsCheckedAt = stamp;
    return { ...this.result(registration), contentChanged: changed };
  }

  /**
   * A re-registration whose dataVersion this node already holds for the broker's live session,
   * with no topic deletion since this node last compared its topics: refreshes liveness like
   * register would and answers the same, or returns null (then the caller decodes the whole
   * registration and calls register, which re-adds deleted topics).
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
    const entry = this.registry.get(key);
    if (!entry || !this.registry.isLive(entry)) return null;
    const instance = entry.instance as InstanceRecord;
    if (compareDataVersion(instance.header.dataVersion, dataVersion) !== 0) return null;
    const deleted = this.ctx.admin.newestTopicDelete;
    if (deleted !== null && (entry.topicsCheckedAt === null || compareStamp(deleted, entry.topicsCheckedAt) > 0)) return null;
    this.ctx.counters.registrations += 1;
    this.ctx.counters.registrationsUnchanged += 1;
    this.registry.hearDirectly(key, connId, evidence, nowMs, (entry.liveness as LivenessRecord).session);
    return this.result(instance.header);
  }

  /**
   * RocketMQ REGISTER_TOPIC_IN_NAMESRV (217): stores the given queues of a topic on the broker
   * names they name, as the instance each name shows its topics from. As in RocketMQ, a queue
   * naming an unknown broker name stops the request: nothing is stored for a new topic, and
   * the queues before it are kept for a known one. Returns the broker name that stopped it.
   */
  registerTopic(topicName: string, queues: readonly QueueData[], nowMs: number): { unknownBrokerName: string | null } {
    const { routes } = this.registry;
    const known = routes.hasTopic(topicName);
    const unknown = queues.find((queue) => routes.sourceOf(queue.brokerName) === undefined);
    if (unknown !== undefined && !known) return this.topicRefused(topicName, unknown.brokerName);
    const stamp = this.ctx.hlc.now(nowMs);
    for (const queue of queues) {
      const sourceKey = routes.sourceOf(queue.brokerName);
      if (sourceKey === undefined) return this.topicRefused(topicName, queue.brokerName);
      const entry = this.registry.get(sourceKey) as BrokerEntry;
      const instance = entry.instance as InstanceRecord;
      const { readQueueNums, writeQueueNums, perm, topicSysFlag } = queue;
      const config: TopicConfig = { topicName, readQueueNums, writeQueueNums, perm, topicSysFlag, order: false };
      if (!entry.topics.has(topicName) && !this.registry.topicFits(topicName)) continue;
      const record: TopicRecord = {
        type: "topic",
        brokerKey: sourceKey,
        topicName,
        session: instance.session,
        dataVersion: instance.header.dataVersion,
        config,
        stamp,
      };
      this.replication.apply(record, nowMs, null);
    }
    return { unknownBrokerName: null };
  }

  /** Counts topics a registration carried that were not taken, by reason; logs once per broker and reason. */
  noteSkippedTopics(brokerKey: string, reason: TopicSkipReason, count: number, example: string): void {
    if (count === 0) return;
    this.ctx.counters.topicsSkipped[reason] += count;
    const logKey = `${brokerKey}|${reason}`;
    if (this.skipLogged.has(logKey) || this.skipLogged.size >= SKIP_LOG_KEYS_MAX) return;
    this.skipLogged.add(logKey);
    this.ctx.log("warn", "registration topics skipped", { brokerKey, reason, count, example: example.slice(0, 64) });
  }

  /**
   * A broker heartbeat; `registered: false` asks the broker to register in full. As RocketMQ's
   * BROKER_HEARTBEAT, only a registered (live) broker is refreshed: one held offline comes back
   * through a registration, which starts a new session.
   */
  heartbeat(connId: ConnectionId, clusterName: string, brokerAddr: string, evidence: Evidence | null, nowMs: number): { registered: boolean } {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.registry.get(key);
    // Liveness follows the registering connection: on any other one the broker is unknown here.
    if (!entry || !this.registry.isLive(entry) || entry.connId !== connId) return { registered: false };
    this.ctx.counters.heartbeats += 1;
    this.registry.hearDirectly(key, connId, evidence, nowMs, (entry.liveness as LivenessRecord).session);
    return { registered: this.registry.isLive(entry) };
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
    const entry = this.registry.get(key);
    if (!entry || !this.registry.isLive(entry) || entry.connId !== connId) return { changed: true, stored: null };
    this.registry.hearDirectly(key, connId, null, nowMs, (entry.liveness as LivenessRecord).session);
    const stored = (entry.instance as InstanceRecord).header.dataVersion;
    return { changed: compareDataVersion(stored, dataVersion) !== 0, stored };
  }

  /**
   * A broker leaves gracefully: offline everywhere at once. It counts only on the connection
   * the broker registered on here, or from an authenticated admin (`byAdmin`): anyone else's
   * is answered as for an unknown broker and changes nothing (a spoofed unregistration would
   * otherwise take the broker off every node through gossip).
   */
  unregister(connId: ConnectionId, clusterName: string, brokerAddr: string, evidence: Evidence | null, nowMs: number, byAdmin: boolean): boolean {
    const key = brokerKeyOf(clusterName, brokerAddr);
    const entry = this.registry.get(key);
    if (!entry?.liveness) return false;
    if (entry.connId !== connId && !byAdmin) {
      this.ctx.counters.unregistrationsRefused += 1;
      this.ctx.log("warn", "unregistration from a connection the broker did not register on ignored", { brokerKey: key, connId });
      return false;
    }
    const current = entry.liveness.evidence;
    if (evidence !== null && compareEvidence(evidence, current) < 0) {
      // A late unregister from an earlier run of the broker must not take down the new one.
      this.ctx.log("warn", "stale unregister ignored", { brokerKey: key, evidence, known: current });
      return false;
    }
    this.ctx.counters.unregistrations += 1;
    const proof = evidence ?? this.ctx.stampEvidence(nowMs);
    // The broker itself ended its session: the verdict belongs to the next one, so that no
    // evidence of the ended session (a registration it sent before, taken late elsewhere) can
    // outweigh it; a registration after it starts the session after that.
    const session = entry.liveness.session + 1;
    this.replication.apply({ type: "liveness", brokerKey: key, session, alive: false, reason: "unregistered", evidence: proof }, nowMs, null);
    if (entry.connId !== null) this.registry.unbindConnection(entry, nowMs);
    return true;
  }

  /**
   * Writes the topic records a registration changes (see register). Topics beyond the node's
   * capacity are skipped and counted; with `deleteMissingTopics`, the broker's topics this
   * registration does not carry are removed, as RocketMQ's deleteTopicWithBrokerRegistration.
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
    const perm = this.ctx.admin.perm(brokerName);
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
        if (!permOverriddenSince(current.stamp, perm) && sameTopicConfig(current.config as TopicConfig, config)) continue;
      } else if (current === undefined && !this.registry.topicFits(topicName)) {
        skipped += 1;
        example ||= topicName;
        continue;
      }
      this.replication.apply({ type: "topic", brokerKey: entry.key, topicName, session, dataVersion, config, stamp }, nowMs, null);
      changed = true;
    }
    if (carried !== null) {
      for (const record of [...entry.topics.values()]) {
        if (carried.has(record.topicName) || record.config === null || record.session !== session) continue;
        this.replication.apply({ ...record, dataVersion, config: null, stamp }, nowMs, null);
        changed = true;
      }
    }
    this.noteSkippedTopics(entry.key, "capacity", skipped, example);
    return changed;
  }

  /** Whether a topic record shows for its broker: this session, not removed, not deleted by an admin since. */
  private visibleIn(record: TopicRecord, session: number, clusterName: string): boolean {
    if (record.config === null || record.session !== session) return false;
    const deletedAt = this.ctx.admin.topicDeletedAt(record.topicName, clusterName);
    return deletedAt === undefined || compareStamp(deletedAt, record.stamp) < 0;
  }

  private topicRefused(topicName: string, brokerName: string): { unknownBrokerName: string } {
    this.ctx.counters.topicsSkipped.unknownBroker += 1;
    this.ctx.log("warn", "topic registration names an unknown broker", { topic: topicName.slice(0, 64), brokerName });
    return { unknownBrokerName: brokerName };
  }

  /** What a registration is answered: a slave learns its live master's addresses; order-topic KV. */
  private result(registration: BrokerHeader): RegisterResult {
    const master = registration.brokerId === MASTER_ID ? null : this.registry.masterOf(registration.brokerName);
    return {
      haServerAddr: master?.haServerAddr ?? null,
      masterAddr: master?.brokerAddr ?? null,
      orderTopicConfig: this.ctx.admin.kvList(ORDER_TOPIC_CONFIG_NAMESPACE),
      orderTopicNamespace: this.ctx.admin.hasNamespace(ORDER_TOPIC_CONFIG_NAMESPACE),
      contentChanged: false,
      refused: false,
    };
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

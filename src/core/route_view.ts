// The query side of the registry: broker-name groups derived from live instances, their
// topic records and admin overrides, a topic index, and the RocketMQ-shaped answers built
// from them. Pure; rebuilt one broker name (or one topic of it) at a time, when inputs change.
import { permAfter, type PermOverrides } from "./admin_state.js";
import { compareStamp, type InstanceRecord, type Stamp, type TopicRecord } from "../model/records.js";
import {
  MASTER_ID,
  Perm,
  type BrokerData,
  type ClusterInfo,
  type QueueData,
  type TopicRouteData,
} from "../model/types.js";

/** What a group rebuild needs to know about admin overrides. */
export interface Overrides {
  /** The newest wipe and add of a broker name's write permission. */
  perm(brokerName: string): PermOverrides;
  /** The newest deletion of a topic, whole or for one cluster, if any. */
  topicDeletedAt(topic: string, clusterName: string): Stamp | undefined;
}

/** A live broker instance with its topic records, as a group rebuild reads it. */
export interface InstanceView {
  readonly instance: InstanceRecord;
  /** The instance's session: records of earlier sessions are dead and skipped. */
  readonly session: number;
  /** Topic records by topic name (earlier sessions' records are skipped). */
  readonly topics: ReadonlyMap<string, TopicRecord>;
}

/** One broker name as routes show it. */
interface GroupView {
  readonly brokerData: BrokerData;
  /** The instance whose topics the group shows: the live one with the smallest broker id. */
  readonly sourceKey: string;
  readonly queues: Map<string, QueueData>;
  /** The group's QueueData by shape: its topics share a handful of frozen ones (see QUEUE_SHAPES_MAX). */
  readonly shapes: Map<string, QueueData>;
}

/**
 * Shapes (queue numbers, perm, flag) one group keeps to share; past it the pool starts over.
 * Brokers run a few shapes over thousands of topics, so one QueueData per topic was most of a
 * group's memory.
 */
const QUEUE_SHAPES_MAX = 256;

/** A routed topic: the broker names that show it, and its built route once asked. */
interface TopicEntry {
  /** Sorted (as a route lists them); a few per topic, so an array beats a Set's table. */
  readonly names: string[];
  /**
   * The built route, frozen, until a rebuild changes the topic. Queries far outnumber changes,
   * and a stable frozen object lets the codecs cache its encoding too.
   */
  route: TopicRouteData | null;
}

/** Broker-name groups and the topic index. */
export class RouteView {
  private readonly groups = new Map<string, GroupView>();
  private readonly topicIndex = new Map<string, TopicEntry>();
  /** Every routed topic, sorted and frozen, until a topic is routed or no longer is. */
  private sortedTopics: readonly string[] | null = null;

  /** Number of topics with at least one visible queue. */
  get topicCount(): number {
    return this.topicIndex.size;
  }

  /** Whether a topic is currently routed. */
  hasTopic(topic: string): boolean {
    return this.topicIndex.has(topic);
  }

  /** Topics a broker name currently shows. */
  topicsOf(brokerName: string): readonly string[] {
    return [...(this.groups.get(brokerName)?.queues.keys() ?? [])];
  }

  /** Broker names currently routed for a topic. */
  brokerNamesOf(topic: string): readonly string[] {
    return [...(this.topicIndex.get(topic)?.names ?? [])];
  }

  /**
   * Rebuilds one broker name from its live instances. Returns the topics whose route
   * changed (queues, addresses or flags), so subscribers can be told.
   */
  rebuild(brokerName: string, live: readonly InstanceView[], overrides: Overrides): Set<string> {
    const before = this.groups.get(brokerName);
    const after = live.length === 0 ? undefined : buildGroup(brokerName, live, overrides);
    const changed = new Set<string>();
    const addressesChanged = !sameBrokerData(before?.brokerData, after?.brokerData);
    for (const [topic, queue] of before?.queues ?? []) {
      const next = after?.queues.get(topic);
      if (!next) this.unindex(topic, brokerName);
      if (!next || addressesChanged || !sameQueue(queue, next)) changed.add(topic);
    }
    for (const topic of after?.queues.keys() ?? []) {
      if (!before?.queues.has(topic)) {
        this.index(topic, brokerName);
        changed.add(topic);
      } else if (addressesChanged) changed.add(topic);
    }
    if (after) this.groups.set(brokerName, after);
    else this.groups.delete(brokerName);
    for (const topic of changed) this.forgetRoute(topic);
    return changed;
  }

  /** The key of the instance whose topics a broker name shows, if it has live instances. */
  sourceOf(brokerName: string): string | undefined {
    return this.groups.get(brokerName)?.sourceKey;
  }

  /**
   * Rebuilds only some topics of a broker name whose instances and addresses did not change
   * (a registration that added or changed a few topics of a big broker). `source` must be the
   * group's current source instance. Returns the topics whose route changed.
   */
  updateTopics(brokerName: string, topics: Iterable<string>, source: InstanceView, overrides: Overrides): Set<string> {
    const group = this.groups.get(brokerName);
    const changed = new Set<string>();
    if (!group || group.sourceKey !== source.instance.brokerKey) return changed;
    for (const topic of topics) {
      const before = group.queues.get(topic);
      const record = source.topics.get(topic);
      const after = record === undefined ? null : queueOf(group, source, record, overrides);
      if (after === null) {
        if (!before) continue;
        group.queues.delete(topic);
        this.unindex(topic, brokerName);
      } else {
        if (before && sameQueue(before, after)) continue;
        // Keyed by the stored record's name: the caller's string may be a view into a request.
        const name = (record as TopicRecord).topicName;
        group.queues.set(name, after);
        if (!before) this.index(name, brokerName);
      }
      changed.add(topic);
      this.forgetRoute(topic);
    }
    return changed;
  }

  /** The route of a topic, or null when no live broker serves it. The result is frozen and shared. */
  route(topic: string): TopicRouteData | null {
    const entry = this.topicIndex.get(topic);
    if (!entry) return null;
    entry.route ??= this.buildRoute(topic, entry.names);
    return entry.route;
  }

  private buildRoute(topic: string, names: readonly string[]): TopicRouteData {
    const queueDatas: QueueData[] = [];
    const brokerDatas: BrokerData[] = [];
    for (const name of names) {
      const group = this.groups.get(name);
      const queue = group?.queues.get(topic);
      if (!group || !queue) continue;
      queueDatas.push(queue);
      brokerDatas.push(group.brokerData);
    }
    return deepFreeze({ queueDatas, brokerDatas, filterServerTable: {} });
  }

  /** Broker names with their instances, and clusters with their broker names. */
  clusterInfo(): ClusterInfo {
    const brokerAddrTable: Record<string, BrokerData> = {};
    const clusters = new Map<string, string[]>();
    for (const name of [...this.groups.keys()].sort()) {
      const data = (this.groups.get(name) as GroupView).brokerData;
      brokerAddrTable[name] = data;
      const names = clusters.get(data.cluster) ?? [];
      names.push(name);
      clusters.set(data.cluster, names);
    }
    const clusterAddrTable: Record<string, string[]> = {};
    for (const cluster of [...clusters.keys()].sort()) clusterAddrTable[cluster] = clusters.get(cluster) as string[];
    return { brokerAddrTable, clusterAddrTable };
  }

  /** Topics, sorted; only those with a queue on a broker of `clusterName` when given. */
  topics(clusterName: string | null): readonly string[] {
    // The whole list is asked far more often than the set changes, and a stable frozen array
    // lets the codecs cache its encoding (GET_ALL_TOPIC_LIST at 100,000 topics).
    if (clusterName === null) return (this.sortedTopics ??= Object.freeze([...this.topicIndex.keys()].sort()));
    const result = new Set<string>();
    for (const group of this.groups.values()) {
      if (group.brokerData.cluster !== clusterName) continue;
      for (const topic of group.queues.keys()) result.add(topic);
    }
    return [...result].sort();
  }

  /**
   * Routed topic names containing `text` (case-insensitive), sorted, the first `limit` of them;
   * `matches` counts every match and `total` every routed topic.
   */
  searchTopics(text: string, limit: number): { topics: string[]; matches: number; total: number } {
    const needle = text.toLowerCase();
    const found: string[] = [];
    for (const topic of this.topicIndex.keys()) if (needle === "" || topic.toLowerCase().includes(needle)) found.push(topic);
    found.sort();
    return { topics: found.slice(0, Math.max(0, limit)), matches: found.length, total: this.topicIndex.size };
  }

  /** The BrokerData of a broker name, if it has live instances. */
  brokerData(brokerName: string): BrokerData | undefined {
    return this.groups.get(brokerName)?.brokerData;
  }

  private index(topic: string, brokerName: string): void {
    let entry = this.topicIndex.get(topic);
    if (!entry) {
      this.topicIndex.set(topic, (entry = { names: [], route: null }));
      this.sortedTopics = null;
    }
    const at = sortedIndex(entry.names, brokerName);
    if (entry.names[at] !== brokerName) entry.names.splice(at, 0, brokerName);
  }

  private unindex(topic: string, brokerName: string): void {
    const entry = this.topicIndex.get(topic);
    if (!entry) return;
    const at = sortedIndex(entry.names, brokerName);
    if (entry.names[at] === brokerName) entry.names.splice(at, 1);
    if (entry.names.length === 0) {
      this.topicIndex.delete(topic);
      this.sortedTopics = null;
    }
  }

  private forgetRoute(topic: string): void {
    const entry = this.topicIndex.get(topic);
    if (entry) entry.route = null;
  }
}

/**
 * Builds a group. Topics come from the live instance with the smallest broker id (the
 * master, else RocketMQ's "prime slave"); admin overrides newer than a topic record apply.
 */
function buildGroup(brokerName: string, live: readonly InstanceView[], overrides: Overrides): GroupView {
  const sorted = [...live].sort((a, b) => a.instance.header.brokerId - b.instance.header.brokerId);
  const source = sorted[0] as InstanceView;
  const header = source.instance.header;
  const brokerAddrs: Record<string, string> = {};
  for (const view of sorted) brokerAddrs[String(view.instance.header.brokerId)] = view.instance.header.brokerAddr;
  const brokerData: BrokerData = {
    cluster: header.clusterName,
    brokerName,
    brokerAddrs,
    enableActingMaster: header.enableActingMaster,
    ...(header.zoneName === null ? {} : { zoneName: header.zoneName }),
  };
  const group: GroupView = { brokerData, sourceKey: source.instance.brokerKey, queues: new Map(), shapes: new Map() };
  for (const record of source.topics.values()) {
    const queue = queueOf(group, source, record, overrides);
    if (queue !== null) group.queues.set(record.topicName, queue);
  }
  return group;
}

/**
 * The QueueData one topic record of the source instance shows, or null: a record of an earlier
 * session, a removed topic, or one deleted by an admin after it was registered. A write-perm
 * override newer than the record applies; an acting-master slave never shows the write bit.
 */
function queueOf(group: GroupView, source: InstanceView, record: TopicRecord, overrides: Overrides): QueueData | null {
  const config = record.config;
  const brokerName = group.brokerData.brokerName;
  // A later session's record is the broker's next registration, arrived ahead of its header.
  if (config === null || record.session < source.session) return null;
  const header = source.instance.header;
  const deletedAt = overrides.topicDeletedAt(record.topicName, header.clusterName);
  if (deletedAt && compareStamp(deletedAt, record.stamp) > 0) return null;
  let bits = permAfter(config.perm, record.stamp, overrides.perm(brokerName));
  if (header.brokerId !== MASTER_ID && header.enableActingMaster) bits &= ~Perm.WRITE;
  const { readQueueNums, writeQueueNums, topicSysFlag } = config;
  const shape = `${readQueueNums}/${writeQueueNums}/${bits}/${topicSysFlag}`;
  const shared = group.shapes.get(shape);
  if (shared) return shared;
  if (group.shapes.size >= QUEUE_SHAPES_MAX) group.shapes.clear();
  const queue: QueueData = Object.freeze({ brokerName, readQueueNums, writeQueueNums, perm: bits, topicSysFlag });
  group.shapes.set(shape, queue);
  return queue;
}

function sameQueue(a: QueueData, b: QueueData): boolean {
  return (
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.topicSysFlag === b.topicSysFlag
  );
}

function sameBrokerData(a: BrokerData | undefined, b: BrokerData | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.cluster !== b.cluster || a.enableActingMaster !== b.enableActingMaster || a.zoneName !== b.zoneName) return false;
  const aKeys = Object.keys(a.brokerAddrs);
  const bKeys = Object.keys(b.brokerAddrs);
  return aKeys.length === bKeys.length && aKeys.every((key) => a.brokerAddrs[key] === b.brokerAddrs[key]);
}

/** Where `name` is or would go in the sorted `names` (the order of Array.prototype.sort). */
function sortedIndex(names: readonly string[], name: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((names[middle] as string) < name) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Freezes a plain data tree, so that a cached answer can be shared safely. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

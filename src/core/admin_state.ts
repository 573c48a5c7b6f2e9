// Admin-written replicated state: KV config, topic deletions and write-permission
// overrides, each last-writer-wins on its stamp, with tombstones for deleted KV entries.
import { LimitExceededError } from "../errors.js";
import { compareStamp, mergeRecords, type KvRecord, type PermRecord, type Stamp, type TopicDeleteRecord } from "../model/records.js";
import { Perm } from "../model/types.js";

/** Bounds of the KV table. */
export interface KvLimits {
  readonly namespacesMax: number;
  readonly keysPerNamespaceMax: number;
}

/** The newest wipe and add of one broker name's write permission, as stamps. */
export interface PermOverrides {
  readonly wipe: Stamp | undefined;
  readonly add: Stamp | undefined;
}

/**
 * The perm a topic registered as `perm` at `stamp` shows after the overrides newer than it, as
 * RocketMQ applies them in turn: an add sets 6 (a wipe after it then clears the write bit), a
 * wipe alone clears the write bit.
 */
export function permAfter(perm: number, stamp: Stamp, overrides: PermOverrides): number {
  const { wipe, add } = overrides;
  const wipedSince = wipe !== undefined && compareStamp(wipe, stamp) > 0;
  if (add !== undefined && compareStamp(add, stamp) > 0) {
    return wipe !== undefined && compareStamp(wipe, add) > 0 ? Perm.READ_WRITE & ~Perm.WRITE : Perm.READ_WRITE;
  }
  return wipedSince ? perm & ~Perm.WRITE : perm;
}

/** Whether any perm override is newer than `stamp`. */
export function permOverriddenSince(stamp: Stamp, overrides: PermOverrides): boolean {
  return [overrides.wipe, overrides.add].some((at) => at !== undefined && compareStamp(at, stamp) > 0);
}

/** KV entries (tombstones included), topic deletions and perm overrides. */
export class AdminState {
  private readonly kv = new Map<string, Map<string, KvRecord>>();
  private readonly topicDeletes = new Map<string, TopicDeleteRecord>();
  private readonly perms = new Map<string, PermRecord>();
  /** The newest topic deletion stamp ever merged: a registration fast path is valid only before it. */
  private latestTopicDelete: Stamp | null = null;

  constructor(private readonly limits: KvLimits) {}

  /** Checks that a local put fits: throws LimitExceededError otherwise. */
  checkPut(namespace: string, key: string): void {
    const table = this.kv.get(namespace);
    if (!table && this.kv.size >= this.limits.namespacesMax) {
      throw new LimitExceededError("KV_NAMESPACES_MAX", `at most ${this.limits.namespacesMax} kv namespaces, got one more: '${namespace}'`);
    }
    if (table && !table.has(key) && table.size >= this.limits.keysPerNamespaceMax) {
      throw new LimitExceededError(
        "KV_KEYS_PER_NAMESPACE_MAX",
        `at most ${this.limits.keysPerNamespaceMax} keys in kv namespace '${namespace}'`,
      );
    }
  }

  /** Merges a KV record; returns the stored record when it changed, else null. */
  mergeKv(record: KvRecord): KvRecord | null {
    let table = this.kv.get(record.namespace);
    const current = table?.get(record.key);
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    if (!table) this.kv.set(record.namespace, (table = new Map()));
    table.set(record.key, merged);
    return merged;
  }

  /** A live KV value, or undefined. */
  kvGet(namespace: string, key: string): string | undefined {
    return this.kv.get(namespace)?.get(key)?.value ?? undefined;
  }

  /** Whether a namespace was ever written (its deleted keys' tombstones count until collected). */
  hasNamespace(namespace: string): boolean {
    return this.kv.has(namespace);
  }

  /** The live entries of a namespace, keys sorted. */
  kvList(namespace: string): Record<string, string> {
    const result: Record<string, string> = {};
    const table = this.kv.get(namespace);
    if (!table) return result;
    for (const key of [...table.keys()].sort()) {
      const value = table.get(key)?.value;
      if (value !== null && value !== undefined) result[key] = value;
    }
    return result;
  }

  /** Namespaces ever written, sorted, each with its number of live keys, at most `limit`. */
  namespaces(limit: number): { namespace: string; keys: number }[] {
    const result: { namespace: string; keys: number }[] = [];
    for (const namespace of [...this.kv.keys()].sort().slice(0, Math.max(0, limit))) {
      let keys = 0;
      for (const record of this.kv.get(namespace)?.values() ?? []) if (record.value !== null) keys += 1;
      result.push({ namespace, keys });
    }
    return result;
  }

  /** Number of namespaces ever written. */
  get namespaceCount(): number {
    return this.kv.size;
  }

  /** Every KV record, tombstones included (for snapshots and persistence). */
  kvRecords(): KvRecord[] {
    const result: KvRecord[] = [];
    for (const table of this.kv.values()) result.push(...table.values());
    return result;
  }

  /** Drops KV tombstones written before `beforeWallMs`; returns what it dropped. */
  collectKvTombstones(beforeWallMs: number): KvRecord[] {
    const collected: KvRecord[] = [];
    for (const [namespace, table] of this.kv) {
      for (const [key, record] of table) {
        if (record.value === null && record.stamp.wallMs < beforeWallMs) {
          table.delete(key);
          collected.push(record);
        }
      }
      if (table.size === 0) this.kv.delete(namespace);
    }
    return collected;
  }

  /**
   * Drops topic deletions written before `beforeWallMs` that no longer hide anything
   * (`stillHides` false); returns what it dropped. A deletion that still hides a topic of
   * content adopted before it must stay, or that topic would come back.
   */
  collectTopicDeletes(beforeWallMs: number, stillHides: (record: TopicDeleteRecord) => boolean): TopicDeleteRecord[] {
    const collected: TopicDeleteRecord[] = [];
    for (const [id, record] of this.topicDeletes) {
      if (record.stamp.wallMs < beforeWallMs && !stillHides(record)) {
        this.topicDeletes.delete(id);
        collected.push(record);
      }
    }
    return collected;
  }

  /** The newest topic deletion stamp merged so far, or null. */
  get newestTopicDelete(): Stamp | null {
    return this.latestTopicDelete;
  }

  /** Whether a deletion record exists for this topic (and cluster). */
  hasTopicDelete(topic: string, clusterName: string | null): boolean {
    return this.topicDeletes.has(`${topic}|${clusterName ?? ""}`);
  }

  /** Number of topic deletion records held. */
  get topicDeleteCount(): number {
    return this.topicDeletes.size;
  }

  /** Merges a topic deletion; returns it when it changed state, else null. */
  mergeTopicDelete(record: TopicDeleteRecord): TopicDeleteRecord | null {
    const id = `${record.topic}|${record.clusterName ?? ""}`;
    const current = this.topicDeletes.get(id);
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    this.topicDeletes.set(id, merged);
    if (this.latestTopicDelete === null || compareStamp(merged.stamp, this.latestTopicDelete) > 0) this.latestTopicDelete = merged.stamp;
    return merged;
  }

  /** The newest deletion stamp covering a topic on a cluster's brokers. */
  topicDeletedAt(topic: string, clusterName: string): Stamp | undefined {
    const whole = this.topicDeletes.get(`${topic}|`)?.stamp;
    const scoped = this.topicDeletes.get(`${topic}|${clusterName}`)?.stamp;
    if (!whole) return scoped;
    if (!scoped) return whole;
    return compareStamp(whole, scoped) >= 0 ? whole : scoped;
  }

  /** Merges a perm override; returns it when it changed state, else null. */
  mergePerm(record: PermRecord): PermRecord | null {
    const id = `${record.brokerName}|${record.writable}`;
    const current = this.perms.get(id);
    const merged = current ? mergeRecords(current, record) : record;
    if (merged === current) return null;
    this.perms.set(id, merged);
    return merged;
  }

  /** The newest wipe and the newest add of a broker name's write permission. */
  perm(brokerName: string): PermOverrides {
    return { wipe: this.perms.get(`${brokerName}|false`)?.stamp, add: this.perms.get(`${brokerName}|true`)?.stamp };
  }

  /** Every topic-delete and perm record (for snapshots). */
  overrideRecords(): (TopicDeleteRecord | PermRecord)[] {
    return [...this.topicDeletes.values(), ...this.perms.values()];
  }
}

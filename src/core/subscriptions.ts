// Route subscriptions: which connection follows which topic, bounded per connection and in
// total, and the revision each was last told. Pure.
import { LimitExceededError } from "../errors.js";
import type { ConnectionId } from "../model/types.js";

/** Bounds of the subscription table. */
export interface SubscriptionLimits {
  readonly topicsPerConnectionMax: number;
  readonly subscriptionsMax: number;
}

/** Subscriptions by connection and by topic. */
export class Subscriptions {
  private readonly byConnection = new Map<ConnectionId, Map<string, string | null>>();
  private readonly byTopic = new Map<string, Set<ConnectionId>>();
  private total = 0;

  constructor(private readonly limits: SubscriptionLimits) {}

  /** Number of (connection, topic) pairs. */
  get size(): number {
    return this.total;
  }

  /** Adds topics for a connection; refuses the whole request if a bound would be passed. */
  add(connId: ConnectionId, topics: readonly string[]): void {
    const current = this.byConnection.get(connId) ?? new Map<string, string | null>();
    const fresh = [...new Set(topics)].filter((topic) => !current.has(topic));
    if (current.size + fresh.length > this.limits.topicsPerConnectionMax) {
      throw new LimitExceededError(
        "SUBSCRIBED_TOPICS_PER_CONNECTION_MAX",
        `a connection may subscribe to at most ${this.limits.topicsPerConnectionMax} topics, got ${current.size + fresh.length}`,
      );
    }
    if (this.total + fresh.length > this.limits.subscriptionsMax) {
      throw new LimitExceededError("SUBSCRIPTIONS_MAX", `the node serves at most ${this.limits.subscriptionsMax} subscriptions`);
    }
    for (const topic of fresh) {
      current.set(topic, null);
      let conns = this.byTopic.get(topic);
      if (!conns) this.byTopic.set(topic, (conns = new Set()));
      conns.add(connId);
    }
    this.total += fresh.length;
    this.byConnection.set(connId, current);
  }

  /** Removes topics of a connection; returns how many were removed. */
  remove(connId: ConnectionId, topics: readonly string[]): number {
    const current = this.byConnection.get(connId);
    if (!current) return 0;
    let removed = 0;
    for (const topic of new Set(topics)) {
      if (!current.delete(topic)) continue;
      removed += 1;
      const conns = this.byTopic.get(topic);
      conns?.delete(connId);
      if (conns?.size === 0) this.byTopic.delete(topic);
    }
    this.total -= removed;
    if (current.size === 0) this.byConnection.delete(connId);
    return removed;
  }

  /** Drops every subscription of a connection. */
  removeConnection(connId: ConnectionId): void {
    const current = this.byConnection.get(connId);
    if (current) this.remove(connId, [...current.keys()]);
  }

  /** Whether anyone follows a topic. */
  hasSubscribers(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** Connections following a topic. */
  subscribers(topic: string): readonly ConnectionId[] {
    return [...(this.byTopic.get(topic) ?? [])];
  }

  /** The revision a connection was last told for a topic (null: never told). */
  revisionOf(connId: ConnectionId, topic: string): string | null {
    return this.byConnection.get(connId)?.get(topic) ?? null;
  }

  /** Records that a connection now holds a revision. */
  setRevision(connId: ConnectionId, topic: string, revision: string): void {
    const current = this.byConnection.get(connId);
    if (current?.has(topic)) current.set(topic, revision);
  }
}

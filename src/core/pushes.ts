// Route-change pushes to subscribers: which connections follow which topics, the topics
// whose route changed since the last flush, and one coalesced push per subscriber and change.
// Pure; reads routes from the route view.
import * as limits from "../limits.js";
import type { RouteChangedPush, TopicSubscription } from "../protocol/messages/subscribe.js";
import { contentHash } from "../model/hash.js";
import type { NodeContext } from "./node_context.js";
import type { RouteView } from "./route_view.js";
import { Subscriptions } from "./subscriptions.js";
import type { ConnectionId } from "../model/types.js";

/** Subscriptions and the pushes they are owed. */
export class Pushes {
  private readonly subscriptions = new Subscriptions({
    topicsPerConnectionMax: limits.SUBSCRIBED_TOPICS_PER_CONNECTION_MAX,
    subscriptionsMax: limits.SUBSCRIPTIONS_MAX,
  });
  private dirtyTopics = new Set<string>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly routes: RouteView,
  ) {}

  /** Number of (connection, topic) subscriptions. */
  get size(): number {
    return this.subscriptions.size;
  }

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

  /** A connection closed: its subscriptions go. */
  removeConnection(connId: ConnectionId): void {
    this.subscriptions.removeConnection(connId);
  }

  /** Topics whose route changed: their subscribers get a push at the next flush. */
  markDirty(topics: Iterable<string>): void {
    for (const topic of topics) if (this.subscriptions.hasSubscribers(topic)) this.dirtyTopics.add(topic);
  }

  /** Pushes every changed route to the subscribers that hold another revision. */
  flush(): void {
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

  private routePush(topic: string): RouteChangedPush {
    const route = this.routes.route(topic);
    return { topic, revision: contentHash(route), route };
  }

  private pushTo(connId: ConnectionId, push: RouteChangedPush): void {
    this.subscriptions.setRevision(connId, push.topic, push.revision);
    this.ctx.counters.pushes += 1;
    this.ctx.effects.push({ kind: "push", connId, body: push });
  }
}

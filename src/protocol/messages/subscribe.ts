// SUBSCRIBE (15), UNSUBSCRIBE (16) and the ROUTE_CHANGED push (push code 1).
// Wire, v1:
//   SUBSCRIBE {topics: [{topic, revision?: string}]} -> {count}
//     For every topic whose current revision differs from the one given (or none given),
//     the node pushes ROUTE_CHANGED at once; afterwards on every change.
//   UNSUBSCRIBE {topics: [string]} -> {count}
//   push ROUTE_CHANGED {topic, revision: string, route: TopicRouteData | null}
//     (route null: the topic has no route now). Revisions are content hashes, equal on
//     every node that holds the same route, so a client may resume on any node.
import type { TopicRouteData } from "../../model/types.js";
import { SUBSCRIBED_TOPICS_PER_CONNECTION_MAX } from "../../limits.js";
import { arr, checkTopic, fieldsOf, optStr } from "../validate.js";

/** One topic of a SUBSCRIBE request. */
export interface TopicSubscription {
  readonly topic: string;
  /** The revision the client holds, or null when it holds none. */
  readonly revision: string | null;
}

/** SUBSCRIBE request. */
export interface SubscribeRequest {
  readonly topics: readonly TopicSubscription[];
}

/** UNSUBSCRIBE request. */
export interface UnsubscribeRequest {
  readonly topics: readonly string[];
}

/** ROUTE_CHANGED push body. */
export interface RouteChangedPush {
  readonly topic: string;
  readonly revision: string;
  readonly route: TopicRouteData | null;
}

/** Validates a SUBSCRIBE body. */
export function decodeSubscribe(body: unknown): SubscribeRequest {
  const items = arr(fieldsOf(body, "subscribe"), "topics", SUBSCRIBED_TOPICS_PER_CONNECTION_MAX);
  return {
    topics: items.map((item, index) => {
      const fields = fieldsOf(item, `topics[${index}]`);
      return { topic: checkTopic(`topics[${index}].topic`, fields["topic"]), revision: optStr(fields, "revision", 64) };
    }),
  };
}

/** Validates an UNSUBSCRIBE body. */
export function decodeUnsubscribe(body: unknown): UnsubscribeRequest {
  const items = arr(fieldsOf(body, "unsubscribe"), "topics", SUBSCRIBED_TOPICS_PER_CONNECTION_MAX);
  return { topics: items.map((item, index) => checkTopic(`topics[${index}]`, item)) };
}

// What the core asks its shell to do: push to subscribers, close connections, send records
// to peers, log. The shell carries effects out in order; the core never does I/O.
import type { PeerDeltas, PeerDigest, PeerPull, PeerSummary, PeerWant } from "../protocol/messages/gossip.js";
import type { PeerHeard } from "../protocol/messages/heard.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { ConnectionId } from "../model/types.js";

/** Log levels the core uses. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One effect. */
export type Effect =
  | { readonly kind: "push"; readonly connId: ConnectionId; readonly body: RouteChangedPush }
  | { readonly kind: "closeConnection"; readonly connId: ConnectionId; readonly reason: string }
  | { readonly kind: "peerSend"; readonly peerId: string; readonly message: PeerMessage }
  /** A member address learned through gossip: the shell should keep a link to it. */
  | { readonly kind: "dialPeer"; readonly addr: string }
  /** KV records changed (a local write or a peer's): the shell persists them where configured. */
  | { readonly kind: "kvChanged" }
  | {
      readonly kind: "log";
      readonly level: LogLevel;
      readonly msg: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

/** A one-way message to a peer. */
export type PeerMessage =
  | { readonly type: "deltas"; readonly body: PeerDeltas }
  | { readonly type: "digest"; readonly body: PeerDigest }
  | { readonly type: "pull"; readonly body: PeerPull }
  | { readonly type: "summary"; readonly body: PeerSummary }
  | { readonly type: "want"; readonly body: PeerWant }
  | { readonly type: "heard"; readonly body: PeerHeard };

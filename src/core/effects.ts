// What the core asks its shell to do: push to subscribers, close connections, send records
// to peers, log. The shell carries effects out in order; the core never does I/O.
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { ReplicatedRecord } from "./records.js";
import type { ConnectionId } from "./types.js";

/** Log levels the core uses. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One effect. */
export type Effect =
  | { readonly kind: "push"; readonly connId: ConnectionId; readonly body: RouteChangedPush }
  | { readonly kind: "closeConnection"; readonly connId: ConnectionId; readonly reason: string }
  | { readonly kind: "gossip"; readonly records: readonly ReplicatedRecord[] }
  | {
      readonly kind: "log";
      readonly level: LogLevel;
      readonly msg: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

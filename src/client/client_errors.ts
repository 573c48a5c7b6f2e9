// Errors the client raises itself (no wire code of their own): every name server failed, a
// node left.
// Imports only errors.ts.
import { ConnectionClosedError, ErrorCode, NsError } from "../errors.js";

/** One failed attempt of a call, for the message and for callers that want details. */
export interface AttemptFailure {
  readonly addr: string;
  readonly error: Error;
}

/**
 * Every name server was tried within one call and none answered (connection refused,
 * timeout, not ready). Retriable: a later call may succeed. `cause` is the last failure.
 */
export class NameServersUnavailableError extends NsError {
  readonly attempts: readonly AttemptFailure[];
  constructor(attempts: readonly AttemptFailure[]) {
    const detail = attempts.map((a) => `${a.addr}: ${a.error.message}`).join("; ");
    super(ErrorCode.CONNECTION_CLOSED, `no name server answered (${attempts.length} tried): ${detail}`, true, {
      cause: attempts.at(-1)?.error,
    });
    this.name = "NameServersUnavailableError";
    this.attempts = attempts;
  }
}

/**
 * The node closed the connection because it is shutting down (WebSocket close code 1001,
 * "going away", sent by a draining node): not a failure of that node, so the route client moves
 * to the next node at once and the broker agent redials it later without raising an alarm.
 */
export class NodeLeavingError extends ConnectionClosedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NodeLeavingError";
  }
}

// Errors the client raises itself (no wire code of their own): every name server failed.
// Imports only errors.ts.
import { ErrorCode, NsError } from "../errors.js";

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

// The connection interface the route client and broker agent are written against, so that
// unit tests and the simulator can supply an in-memory twin. Imports no I/O.
import type { Role } from "../protocol/messages/hello.js";

/** What one connection reports to its owner. */
export interface ConnectionEvents {
  /** An unsolicited push (frame kind 2); must not throw. */
  onPush(code: number, body: unknown): void;
  /** The connection closed; `error` says why when it was not closed by its owner. Called once. */
  onClose(error: Error | null): void;
}

/** An open, hello-completed connection to one name server. */
export interface ClientConnection {
  /** The "host:port" dialled. */
  readonly addr: string;
  /** The node's id from the hello response. */
  readonly nodeId: string;
  /** Whether the node said it serves routes (DESIGN §4). */
  readonly ready: boolean;
  /** True once closed by either side. */
  readonly closed: boolean;
  /**
   * Sends a request; resolves with the response body (code 0), rejects with the typed error
   * of the response code, TimeoutError, LimitExceededError (too many in flight) or
   * ConnectionClosedError.
   */
  request(code: number, body: unknown, timeoutMs?: number): Promise<unknown>;
  /** Closes the connection and rejects pending requests; idempotent. */
  close(reason?: string): void;
}

/**
 * Opens and hellos a connection to `addr` as `role`; rejects when that fails. `tlsServerName`:
 * the name the node's certificate must carry when `addr` is an IP a DNS name resolved to.
 */
export type Dialer = (addr: string, role: Role, events: ConnectionEvents, tlsServerName?: string) => Promise<ClientConnection>;

// The transport seam: what the server shell needs from a connection and a listener.
// ws_transport.ts implements it over WebSocket; tests use an in-memory twin. No imports.

/** Callbacks a connection delivers to its owner; set once, right after accepting it. */
export interface ConnectionHandlers {
  /** One whole message; `binary` is false for text messages (a protocol violation). */
  message(data: Uint8Array, binary: boolean): void;
  /** The connection is closed (either side); called exactly once. */
  close(code: number, reason: string): void;
  /** A transport-level failure (bad framing, payload over the limit); close follows. */
  error(error: TransportError): void;
}

/** One accepted connection. */
export interface Connection {
  /** "ip:port" of the remote end, for logs. */
  readonly remoteAddr: string;
  /** IP address of the remote end, for per-address limits. @default parsed from remoteAddr */
  readonly remoteIp?: string;
  /** TLS only: true when the client presented a certificate the configured CA verified. */
  readonly tlsAuthorized?: boolean | undefined;
  /** Installs the handlers; messages arriving before this are buffered by the implementation. */
  setHandlers(handlers: ConnectionHandlers): void;
  /** Queues a binary message. */
  send(bytes: Uint8Array): void;
  /** Bytes queued for sending but not yet written to the socket. */
  bufferedBytes(): number;
  /**
   * Stops reading the socket (backpressure: the sender waits in its TCP window); messages of a
   * read already under way may still arrive. @default absent: in-memory twins deliver everything
   */
  pauseReading?(): void;
  /** Reads the socket again after pauseReading. */
  resumeReading?(): void;
  /** Holds writes until uncork, so many small replies leave in one system call. @default absent: every send is written at once */
  cork?(): void;
  /** Writes what cork held. */
  uncork?(): void;
  /** Starts a clean close with a WebSocket close code and a reason (at most 123 bytes). */
  close(code: number, reason: string): void;
  /** Destroys the socket at once, without the close handshake. */
  terminate(): void;
}

/** A listening socket. */
export interface Listener {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting and closes the socket; open connections are the owner's to close. */
  close(): Promise<void>;
}

/** Why the transport gave up on a connection. */
export type TransportErrorKind = "frameTooLarge" | "protocol" | "socket" | "tls";

/** A transport failure with a classification the shell can log and count. */
export class TransportError extends Error {
  readonly kind: TransportErrorKind;
  constructor(kind: TransportErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
    this.kind = kind;
  }
}

/** WebSocket close codes this project uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The node is shutting down. */
  GOING_AWAY: 1001,
  /** Malformed frame, non-binary message, missing or unsupported hello. */
  PROTOCOL_ERROR: 1002,
  /** Policy: slow reader (send buffer over the limit), or closed by the core. */
  POLICY_VIOLATION: 1008,
  /** A message longer than the frame limit. */
  MESSAGE_TOO_BIG: 1009,
  /** An unexpected server failure. */
  INTERNAL_ERROR: 1011,
  /** Too many connections: try again later (or another node). */
  TRY_AGAIN_LATER: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Longest close reason a WebSocket close frame carries, in bytes. */
export const CLOSE_REASON_BYTES_MAX = 123;

/** Cuts a close reason to what fits in a close frame. */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason, "utf8");
  if (bytes.length <= CLOSE_REASON_BYTES_MAX) return reason;
  return bytes.subarray(0, CLOSE_REASON_BYTES_MAX - 3).toString("utf8").replace(/\uFFFD+$/, "") + "...";
}

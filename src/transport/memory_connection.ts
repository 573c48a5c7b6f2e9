// In-memory twin of a WebSocket connection for tests: frames in by call, frames out into
// arrays, close recorded. Synchronous and deterministic; no sockets, no timers.
import type { Connection, ConnectionHandlers, TransportError } from "./connection.js";

/** A Connection whose far end is the test. */
export class MemoryConnection implements Connection {
  readonly remoteAddr: string;
  /** Every message the server sent, in order. */
  readonly sent: Uint8Array[] = [];
  /** The close the server started, if any. */
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  /** What bufferedBytes() reports (to simulate a slow reader). */
  buffered = 0;
  private handlers: ConnectionHandlers | null = null;

  constructor(remoteAddr = "127.0.0.1:50000") {
    this.remoteAddr = remoteAddr;
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  /** Whether the server stopped reading (backpressure); the test may still call receive(). */
  readingPaused = false;

  pauseReading(): void {
    this.readingPaused = true;
  }

  resumeReading(): void {
    this.readingPaused = false;
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
  }

  terminate(): void {
    this.terminated = true;
  }

  /** The far end sends a message. */
  receive(data: Uint8Array, binary = true): void {
    this.handlersOrThrow().message(data, binary);
  }

  /** The transport reports a failure. */
  fail(error: TransportError): void {
    this.handlersOrThrow().error(error);
  }

  /** The socket closes (completing a close the server started, or from the far end). */
  finishClose(code = this.closedWith?.code ?? 1006, reason = this.closedWith?.reason ?? ""): void {
    this.handlersOrThrow().close(code, reason);
  }

  private handlersOrThrow(): ConnectionHandlers {
    if (!this.handlers) throw new Error("setHandlers was not called");
    return this.handlers;
  }
}

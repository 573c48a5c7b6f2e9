// NativeConnection: one WebSocket to one name server's HTTP port, with the hello, request /
// response correlation, per-request timeouts, a bound on requests in flight, and pushes.
// The socket comes from transport's dialer; every transport callback ends in a handler.
import {
  ConnectionClosedError,
  LimitExceededError,
  ProtocolError,
  TimeoutError,
  UnsupportedVersionError,
  errorFromCode,
} from "../errors.js";
import {
  FRAME_BYTES_MAX,
  INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  REQUEST_TIMEOUT_MS,
  SEND_BUFFER_BYTES_MAX,
} from "../limits.js";
import { FrameKind, RequestCode, requestCodeName } from "../protocol/codes.js";
import { FRAME_ID_MAX, decodeFrame, encodeFrame, type Frame } from "../protocol/frame.js";
import { decodeHelloResponse, type Role } from "../protocol/messages/hello.js";
import { NodeLeavingError } from "./client_errors.js";
import { CONNECT_TIMEOUT_MS } from "./client_limits.js";
import { RealScheduler, silentLogger, type ClientLogger, type Scheduler, type TimerHandle } from "./scheduler.js";
import type { ClientConnection, ConnectionEvents, Dialer } from "./transport.js";
import { CloseCode, type TransportError } from "../transport/connection.js";
import { dialWebSocket, type DialedConnection, type DialOptions } from "../transport/ws_dialer.js";

/** TLS of a client connection: wss://, the node's certificate checked against `ca`. */
export interface ClientTls {
  /** CA bundle (PEM) that signed the nodes' certificates. @default the system CAs */
  readonly ca?: string;
  /** Client certificate and key (PEM), for nodes that require mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** The name the node's certificate must carry. @default the host dialled */
  readonly servername?: string;
}

/** Options of one connection. */
export interface NativeConnectionOptions {
  /** "host:port" of the node's HTTP + WebSocket port. */
  readonly addr: string;
  /** Role announced in the hello. */
  readonly role: Role;
  /** Push and close notifications; only delivered once the hello succeeded. */
  readonly events: ConnectionEvents;
  /** Timer source for request timeouts. @default a RealScheduler */
  readonly scheduler?: Scheduler;
  /** Default timeout of one request, the hello included. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Timeout of the TCP connect and WebSocket upgrade. @default CONNECT_TIMEOUT_MS */
  readonly connectTimeoutMs?: number;
  /** Requests in flight before request() refuses. @default INFLIGHT_REQUESTS_PER_CONNECTION_MAX */
  readonly inflightMax?: number;
  /** @default silentLogger */
  readonly logger?: ClientLogger;
  /** Broker, admin or client token sent in the hello; never logged. @default none */
  readonly token?: string;
  /** Dial wss:// with these. @default plain ws:// */
  readonly tls?: ClientTls;
  /** Opens the socket. @default transport's dialWebSocket; the simulator passes its network's */
  readonly dial?: (options: DialOptions) => DialedConnection;
}

interface Pending {
  readonly code: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle;
}

/** A hello-completed WebSocket connection to one name server. Open it with `open()`. */
export class NativeConnection implements ClientConnection {
  readonly addr: string;
  private helloNodeId = "";
  private helloReady = false;
  private readonly ws: DialedConnection;
  private readonly options: NativeConnectionOptions;
  private readonly scheduler: Scheduler;
  private readonly logger: ClientLogger;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;
  private established = false;
  private closeError: Error | null = null;

  private constructor(options: NativeConnectionOptions) {
    this.options = options;
    this.addr = options.addr;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger ?? silentLogger;
    this.ws = (options.dial ?? dialWebSocket)({
      addr: options.addr,
      maxPayloadBytes: FRAME_BYTES_MAX,
      handshakeTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      tls: options.tls,
    });
  }

  /** Dials `addr`, does the hello, and resolves once the node answered it. */
  static open(options: NativeConnectionOptions): Promise<NativeConnection> {
    const conn = new NativeConnection(options);
    return conn.start();
  }

  /** A Dialer that opens NativeConnections with fixed timeouts, scheduler and logger. */
  static dialer(defaults: Omit<NativeConnectionOptions, "addr" | "role" | "events">): Dialer {
    return (addr, role, events, tlsServerName) => {
      const tls = defaults.tls === undefined || tlsServerName === undefined ? defaults.tls : { ...defaults.tls, servername: tlsServerName };
      return NativeConnection.open({ ...defaults, addr, role, events, ...(tls === undefined ? {} : { tls }) });
    };
  }

  get nodeId(): string {
    return this.helloNodeId;
  }
  get ready(): boolean {
    return this.helloReady;
  }
  get closed(): boolean {
    return this.isClosed;
  }
  /** Requests awaiting an answer. */
  get inflightCount(): number {
    return this.pending.size;
  }

  request(code: number, body: unknown, timeoutMs?: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.isClosed) {
        reject(new ConnectionClosedError(`connection to ${this.addr} is closed`, { cause: this.closeError }));
        return;
      }
      const inflightMax = this.options.inflightMax ?? INFLIGHT_REQUESTS_PER_CONNECTION_MAX;
      if (this.pending.size >= inflightMax) {
        reject(new LimitExceededError("INFLIGHT_REQUESTS_PER_CONNECTION_MAX", `at most ${inflightMax} requests may be in flight on one connection`));
        return;
      }
      let bytes: Uint8Array;
      const id = this.allocateId();
      try {
        bytes = encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code, id, body });
      } catch (error) {
        reject(error as Error);
        return;
      }
      const delayMs = timeoutMs ?? this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      const timer = this.scheduler.setTimer(delayMs, () => this.onTimeout(id, delayMs));
      this.pending.set(id, { code, resolve, reject, timer });
      this.send(bytes);
    });
  }

  close(reason = "closed by client"): void {
    if (this.isClosed) return;
    this.finish(null);
    this.shutdownSocket(reason);
  }

  // ---- Internals -------------------------------------------------------------------------

  private start(): Promise<NativeConnection> {
    return new Promise<NativeConnection>((resolve, reject) => {
      this.ws.setHandlers({
        message: (data, isBinary) => this.onMessage(data, isBinary),
        error: (error: TransportError) => {
          // Every transport error is followed by a close; remember why for the close handler.
          this.closeError ??= new ConnectionClosedError(`connection to ${this.addr} failed: ${error.message}`, { cause: error });
        },
        close: (code, reason) => {
          const message = `connection to ${this.addr} closed by the node (code ${code}${reason.length > 0 ? `, ${reason}` : ""})`;
          // 1001: the node is draining; its owner moves on instead of treating it as a failure.
          const error = this.closeError ?? (code === CloseCode.GOING_AWAY ? new NodeLeavingError(message) : new ConnectionClosedError(message));
          if (!this.established) reject(error);
          this.finish(error);
        },
      });
      this.ws.opened.then(
        () =>
          this.hello().then(
            () => {
              this.established = true;
              resolve(this);
            },
            (error: unknown) => {
              this.fail(asError(error));
              reject(asError(error));
            },
          ),
        // The close handler rejects with the reason.
        () => undefined,
      );
    });
  }

  private async hello(): Promise<void> {
    const body = await this.request(RequestCode.HELLO, {
      versionMin: PROTOCOL_VERSION_MIN,
      versionMax: PROTOCOL_VERSION_MAX,
      role: this.options.role,
      ...(this.options.token === undefined ? {} : { token: this.options.token }),
    });
    const hello = decodeHelloResponse(body);
    if (hello.version < PROTOCOL_VERSION_MIN || hello.version > PROTOCOL_VERSION_MAX) {
      throw new UnsupportedVersionError(`node ${this.addr} chose protocol version ${hello.version}, we speak ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION_MAX}`);
    }
    this.helloNodeId = hello.nodeId;
    this.helloReady = hello.ready;
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= FRAME_ID_MAX ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private send(bytes: Uint8Array): void {
    if (this.ws.bufferedBytes() + bytes.length > SEND_BUFFER_BYTES_MAX) {
      this.fail(new LimitExceededError("SEND_BUFFER_BYTES_MAX", `send buffer to ${this.addr} exceeds ${SEND_BUFFER_BYTES_MAX} bytes`));
      return;
    }
    this.ws.send(bytes);
  }

  private onMessage(data: Uint8Array, isBinary: boolean): void {
    if (this.isClosed) return;
    let frame: Frame;
    try {
      if (!isBinary) throw new ProtocolError("text frames are not part of the native protocol");
      frame = decodeFrame(data);
    } catch (error) {
      this.logger.warn({ addr: this.addr, err: asError(error).message }, "malformed frame from node");
      this.fail(asError(error));
      return;
    }
    if (frame.kind === FrameKind.RESPONSE) this.onResponse(frame);
    else if (frame.kind === FrameKind.PUSH) this.onPushFrame(frame);
    else this.logger.warn({ addr: this.addr, code: frame.code }, "request frame from node ignored");
  }

  private onResponse(frame: Frame): void {
    const pending = this.pending.get(frame.id);
    if (!pending) {
      this.logger.debug({ addr: this.addr, id: frame.id }, "late or unknown response ignored");
      return;
    }
    this.pending.delete(frame.id);
    this.scheduler.clearTimer(pending.timer);
    if (frame.code === 0) pending.resolve(frame.body);
    else pending.reject(errorFromCode(frame.code, messageOf(frame.body)));
  }

  private onPushFrame(frame: Frame): void {
    if (!this.established) return;
    try {
      this.options.events.onPush(frame.code, frame.body);
    } catch (error) {
      this.logger.error({ addr: this.addr, err: asError(error).message }, "push handler threw");
    }
  }

  private onTimeout(id: number, delayMs: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.reject(new TimeoutError(`${requestCodeName(pending.code).toLowerCase()} to ${this.addr} got no answer within ${delayMs} ms`));
  }

  /** Closes because of an error: pending requests are rejected with it as the cause. */
  private fail(error: Error): void {
    if (this.isClosed) return;
    this.closeError = error;
    this.finish(error);
    this.shutdownSocket(error.message.slice(0, 120));
  }

  private finish(error: Error | null): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const closedError =
      error instanceof ConnectionClosedError
        ? error
        : new ConnectionClosedError(`connection to ${this.addr} closed before the answer`, { cause: error ?? undefined });
    for (const pending of this.pending.values()) {
      this.scheduler.clearTimer(pending.timer);
      pending.reject(closedError);
    }
    this.pending.clear();
    if (!this.established) return;
    try {
      this.options.events.onClose(error);
    } catch (handlerError) {
      this.logger.error({ addr: this.addr, err: asError(handlerError).message }, "close handler threw");
    }
  }

  private shutdownSocket(reason: string): void {
    this.ws.close(1000, reason);
  }
}

function messageOf(body: unknown): string {
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return "error response without a message";
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

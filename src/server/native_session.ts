// One native (WebSocket + MessagePack) connection: HELLO first, then requests dispatched to
// the core through REQUEST_HANDLERS, with bounded queueing and a bounded send buffer.
// Bad request bodies get an error reply; malformed frames close the connection with a log line.
import { AssertionError } from "../assert.js";
import {
  ERROR_TABLE,
  ErrorCode,
  FrameTooLargeError,
  InternalError,
  InvalidArgumentError,
  LimitExceededError,
  NsError,
  ProtocolError,
  UnsupportedRequestError,
  UnsupportedVersionError,
} from "../errors.js";
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from "../limits.js";
import { FrameKind, PushCode, RequestCode, requestCodeName } from "../protocol/codes.js";
import { decodeFrame, encodeFrame, negotiateVersion, type Frame } from "../protocol/frame.js";
import { decodeHello, type HelloResponse, type Role } from "../protocol/messages/hello.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { ConnectionId } from "../core/types.js";
import { CloseCode, type Connection, type TransportError } from "../transport/connection.js";
import type { Logger } from "./logger.js";
import { REQUEST_HANDLERS, checkReady } from "./native_handlers.js";
import type { EffectTarget, NodeHost } from "./node_host.js";

/** Role of a session: "pending" until the HELLO is accepted. */
export type SessionRole = "pending" | Role;

/** Why a connection was closed by this side, as counted in metrics. */
export type CloseCause =
  | "notBinary"
  | "malformedFrame"
  | "frameTooLarge"
  | "notRequest"
  | "helloMissing"
  | "unsupportedVersion"
  | "versionMismatch"
  | "slowReader"
  | "core"
  | "shutdown";

/** Limits a session enforces (from Config). */
export interface SessionLimits {
  readonly frameBytesMax: number;
  readonly sendBufferBytesMax: number;
  readonly inflightRequestsPerConnectionMax: number;
}

/** Counts what sessions do; implemented by the metrics of the server. */
export interface SessionObserver {
  /** One request answered: `type` a RequestCode name, `outcome` "ok" or an ErrorCode name. */
  request(type: string, outcome: string): void;
  /** This side closed a connection. */
  closed(cause: CloseCause | TransportError["kind"]): void;
}

/** An inbound peer connection as the gossip shell sees it. */
export interface InboundPeerLink {
  readonly peerId: string;
  /** The address the peer advertised in its HELLO, for dialing back. */
  readonly peerAddr: string | null;
  /** Sends one encoded frame. */
  send(bytes: Uint8Array): void;
  /** Closes the connection. */
  close(reason: string): void;
}

/** What the gossip shell does with one inbound peer link. */
export interface InboundPeerHandler {
  /** A PEER_* request frame (one-way: no reply is sent). */
  onFrame(frame: Frame): void;
  /** The link closed. */
  onClose(): void;
}

/** Takes inbound peer links (the gossip shell); without it PEER_* get UNSUPPORTED_REQUEST. */
export type InboundPeerAcceptor = (link: InboundPeerLink) => InboundPeerHandler;

/** Peer request codes, forwarded to the gossip shell on peer sessions. */
const PEER_CODES: ReadonlySet<number> = new Set([RequestCode.PEER_DELTAS, RequestCode.PEER_DIGEST, RequestCode.PEER_PULL]);

/** What a session needs from the server. */
export interface SessionDeps {
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  /** Runs a task soon (setImmediate in the server; manual in tests). Queued requests drain in it. */
  readonly schedule: (task: () => void) => void;
  readonly observer: SessionObserver;
  /** Called once when the connection is closed and detached from the core. */
  readonly onClosed: (session: NativeSession) => void;
  /** Inbound peer links go here after a HELLO with role "peer". @default none */
  readonly acceptPeer?: InboundPeerAcceptor;
}

/** The native protocol on one connection. */
export class NativeSession implements EffectTarget {
  readonly connId: ConnectionId;
  role: SessionRole = "pending";
  /** Negotiated protocol version; null until the HELLO is accepted. */
  version: number | null = null;
  /** A peer's node id and advertised address from its HELLO (for the gossip shell). */
  peerNodeId: string | null = null;
  peerAdvertiseAddr: string | null = null;

  private peerHandler: InboundPeerHandler | null = null;
  private queue: Frame[] = [];
  private drainScheduled = false;
  private closing = false;
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly deps: SessionDeps,
  ) {
    this.connId = deps.host.attach(this);
    connection.setHandlers({
      message: (data, binary) => this.onMessage(data, binary),
      error: (error) => this.onTransportError(error),
      close: (code, reason) => this.onClose(code, reason),
    });
  }

  /** Whether this side has started closing or the connection is gone. */
  get isClosing(): boolean {
    return this.closing || this.closed;
  }

  /** Sends a ROUTE_CHANGED push (effect of the core). */
  push(body: RouteChangedPush): void {
    const frame = { v: this.version ?? PROTOCOL_VERSION_MAX, kind: FrameKind.PUSH, code: PushCode.ROUTE_CHANGED, id: 0, body };
    this.sendFrame(frame);
  }

  /** Closes because the core asked to (e.g. too slow a subscriber). */
  closeByCore(reason: string): void {
    this.shut(CloseCode.POLICY_VIOLATION, reason, "core");
  }

  /** Closes because the node is shutting down. */
  closeForShutdown(): void {
    this.shut(CloseCode.GOING_AWAY, "name server shutting down", "shutdown", "debug");
  }

  /** Destroys the socket without the close handshake (shutdown deadline passed). */
  terminate(): void {
    this.connection.terminate();
  }

  // ---- Inbound -----------------------------------------------------------------------------

  private onMessage(data: Uint8Array, binary: boolean): void {
    if (this.isClosing) return;
    if (!binary) return this.shut(CloseCode.PROTOCOL_ERROR, "frames must be binary msgpack, got a text message", "notBinary");
    let frame: Frame;
    try {
      frame = decodeFrame(data, this.deps.limits.frameBytesMax);
    } catch (error) {
      if (error instanceof FrameTooLargeError) return this.shut(CloseCode.MESSAGE_TOO_BIG, error.message, "frameTooLarge");
      if (error instanceof ProtocolError) return this.shut(CloseCode.PROTOCOL_ERROR, error.message, "malformedFrame");
      throw error;
    }
    if (frame.kind !== FrameKind.REQUEST) {
      return this.shut(CloseCode.PROTOCOL_ERROR, `expected a request frame (kind 0), got kind ${frame.kind}`, "notRequest");
    }
    if (this.queue.length >= this.deps.limits.inflightRequestsPerConnectionMax) {
      const limit = this.deps.limits.inflightRequestsPerConnectionMax;
      this.replyError(frame, new LimitExceededError("INFLIGHT_REQUESTS_PER_CONNECTION_MAX", `at most ${limit} requests in flight per connection`));
      return;
    }
    this.queue.push(frame);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.deps.schedule(() => this.drainQueue());
    }
  }

  private drainQueue(): void {
    this.drainScheduled = false;
    const frames = this.queue;
    this.queue = [];
    for (const frame of frames) {
      if (this.isClosing) return;
      if (this.version === null) this.onHello(frame);
      else this.onRequest(frame, this.version);
    }
  }

  private onHello(frame: Frame): void {
    if (frame.code !== RequestCode.HELLO) {
      const message = `the first request must be HELLO (code ${RequestCode.HELLO}), got code ${frame.code}`;
      this.replyError(frame, new ProtocolError(message));
      return this.shut(CloseCode.PROTOCOL_ERROR, message, "helloMissing");
    }
    let hello;
    try {
      hello = decodeHello(frame.body);
    } catch (error) {
      return this.replyError(frame, asNsError(error));
    }
    if (hello.role === "peer" && hello.nodeId === null) {
      return this.replyError(frame, InvalidArgumentError.format("nodeId", "is required for role 'peer'", null));
    }
    const version = negotiateVersion(hello.versionMin, hello.versionMax);
    if (version === null) {
      const message = `no shared protocol version: node speaks ${PROTOCOL_VERSION_MIN}..${PROTOCOL_VERSION_MAX}, got ${hello.versionMin}..${hello.versionMax}`;
      this.replyError(frame, new UnsupportedVersionError(message));
      return this.shut(CloseCode.PROTOCOL_ERROR, message, "unsupportedVersion");
    }
    this.version = version;
    this.role = hello.role;
    this.peerNodeId = hello.nodeId;
    this.peerAdvertiseAddr = hello.advertiseAddr;
    const body: HelloResponse = { version, nodeId: this.deps.host.node.nodeId, ready: this.deps.host.node.isReady() };
    this.deps.observer.request("HELLO", "ok");
    this.deps.logger.debug({ connId: this.connId, role: hello.role, version, peerNodeId: hello.nodeId }, "hello accepted");
    this.reply(frame, ErrorCode.OK, body);
    if (hello.role === "peer" && this.deps.acceptPeer) this.peerHandler = this.deps.acceptPeer(this.peerLink(hello.nodeId as string));
  }

  private peerLink(peerId: string): InboundPeerLink {
    return {
      peerId,
      peerAddr: this.peerAdvertiseAddr,
      send: (bytes) => this.sendBytes(bytes),
      close: (reason) => this.shut(CloseCode.GOING_AWAY, reason, "shutdown", "debug"),
    };
  }

  private onRequest(frame: Frame, version: number): void {
    if (frame.v !== version) {
      return this.shut(CloseCode.PROTOCOL_ERROR, `frame version ${frame.v} differs from the negotiated ${version}`, "versionMismatch");
    }
    if (PEER_CODES.has(frame.code) && this.peerHandler) {
      this.deps.observer.request(requestCodeName(frame.code), "ok");
      return this.peerHandler.onFrame(frame);
    }
    const handler = REQUEST_HANDLERS.get(frame.code);
    if (frame.code === RequestCode.HELLO) {
      return this.replyError(frame, InvalidArgumentError.format("code", "HELLO was already exchanged on this connection", frame.code));
    }
    if (!handler) return this.replyError(frame, new UnsupportedRequestError(`unsupported request code ${frame.code}`));
    let result: unknown;
    try {
      if (handler.needsReady) checkReady(this.deps.host);
      result = handler.handle({ host: this.deps.host, connId: this.connId }, frame.body);
    } catch (error) {
      return this.replyError(frame, asNsError(error));
    }
    this.deps.observer.request(requestCodeName(frame.code), "ok");
    this.reply(frame, ErrorCode.OK, result);
  }

  private onTransportError(error: TransportError): void {
    if (this.closed) return;
    this.closing = true;
    this.queue = [];
    this.deps.observer.closed(error.kind);
    this.deps.logger.warn(
      { connId: this.connId, remoteAddr: this.connection.remoteAddr, cause: error.kind, error: error.message },
      "connection failed",
    );
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.deps.logger.debug({ connId: this.connId, closeCode: code, reason, role: this.role }, "connection closed");
    this.deps.host.detach(this.connId);
    this.peerHandler?.onClose();
    this.peerHandler = null;
    this.deps.onClosed(this);
  }

  // ---- Outbound ----------------------------------------------------------------------------

  private reply(request: Frame, code: ErrorCode, body: unknown): void {
    const v = this.version ?? PROTOCOL_VERSION_MIN;
    this.sendFrame({ v, kind: FrameKind.RESPONSE, code, id: request.id, body });
  }

  private replyError(request: Frame, error: NsError): void {
    const type = request.code === RequestCode.HELLO ? "HELLO" : requestCodeName(request.code);
    const name = ERROR_TABLE.find((entry) => entry.code === error.code)?.name ?? "INTERNAL";
    this.deps.observer.request(type, name);
    const level = error.code === ErrorCode.NOT_FOUND || error.code === ErrorCode.NOT_READY ? "debug" : "info";
    this.deps.logger[level]({ connId: this.connId, type, code: name, error: error.message }, "request refused");
    this.reply(request, error.code, { message: error.message });
  }

  private sendFrame(frame: Frame): void {
    if (this.isClosing) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame, this.deps.limits.frameBytesMax);
    } catch (error) {
      if (!(error instanceof FrameTooLargeError)) throw error;
      if (frame.kind !== FrameKind.RESPONSE) {
        this.deps.logger.warn({ connId: this.connId, code: frame.code, error: error.message }, "push too large; dropped");
        return;
      }
      const message = `reply too large: ${error.message}`;
      bytes = encodeFrame({ ...frame, code: ErrorCode.FRAME_TOO_LARGE, body: { message } }, this.deps.limits.frameBytesMax);
    }
    this.sendBytes(bytes);
  }

  /** Sends encoded bytes unless the socket already holds more than the send buffer limit. */
  private sendBytes(bytes: Uint8Array): void {
    if (this.isClosing) return;
    const bufferedMax = this.deps.limits.sendBufferBytesMax;
    if (this.connection.bufferedBytes() + bytes.length > bufferedMax) {
      return this.shut(CloseCode.POLICY_VIOLATION, `slow reader: more than ${bufferedMax} bytes waiting to be sent`, "slowReader");
    }
    this.connection.send(bytes);
  }

  /** Closes from this side with a reason and one log line. */
  private shut(code: CloseCode, reason: string, cause: CloseCause, level: "warn" | "debug" = "warn"): void {
    if (this.isClosing) return;
    this.closing = true;
    this.queue = [];
    this.deps.observer.closed(cause);
    this.deps.logger[level](
      { connId: this.connId, remoteAddr: this.connection.remoteAddr, closeCode: code, cause, reason },
      "closing connection",
    );
    this.connection.close(code, reason);
  }
}

/** Operating errors pass through; assertion failures crash; anything else becomes INTERNAL. */
function asNsError(error: unknown): NsError {
  if (error instanceof NsError) return error;
  if (error instanceof AssertionError) throw error;
  return new InternalError(`unexpected failure: ${(error as Error).message ?? String(error)}`, { cause: error });
}

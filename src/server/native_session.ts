// One native (WebSocket + MessagePack) connection: HELLO first (tokens and the peer challenge
// decide what it may do), then requests dispatched to the core through REQUEST_HANDLERS, queued
// in the connection's lane of the port's RequestScheduler (served round-robin with every other
// connection; reading stops while the lane is full), with a per-role frame bound and a bounded
// send buffer.
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
  UnauthorizedError,
  UnsupportedRequestError,
  UnsupportedVersionError,
} from "../errors.js";
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from "../limits.js";
import { FrameKind, PushCode, RequestCode, requestCodeName } from "../protocol/codes.js";
import { decodeFrame, encodeFrame, negotiateVersion, type Frame } from "../protocol/frame.js";
import { decodeHello, PEER_FEATURES, type HelloRequest, type HelloResponse } from "../protocol/messages/hello.js";
import { decodePeerAuth, type PeerChallenge } from "../protocol/messages/peer_auth.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { ConnectionId } from "../model/types.js";
import { CloseCode, type Connection, type TransportError } from "../transport/connection.js";
import type { Logger } from "../host/logger.js";
import { ALL_GRANTS, Authenticator, type AuthRefusalReason, type Grants, type Permission } from "../host/auth.js";
import { REQUEST_HANDLERS } from "./native_handlers.js";
import type { EffectTarget, NodeHost } from "../host/node_host.js";
import type { RequestLane, RequestScheduler } from "../host/request_scheduler.js";

import type { CloseCause, InboundPeerAcceptor, InboundPeerHandler, InboundPeerLink, SessionLimits, SessionObserver, SessionRole } from "./native_session_types.js";

export type { CloseCause, InboundPeerAcceptor, InboundPeerHandler, InboundPeerLink, SessionLimits, SessionObserver, SessionRole } from "./native_session_types.js";

/** What a session needs from the server. */
export interface SessionDeps {
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly limits: SessionLimits;
  /** Serves queued requests fairly across connections (the port's, shared with the remoting port in the server). */
  readonly requests: RequestScheduler;
  readonly observer: SessionObserver;
  /** Called once when the connection is closed and detached from the core. */
  readonly onClosed: (session: NativeSession) => void;
  /** Traffic on the connection (requests handled, pushes sent): for the port's admission. @default none */
  readonly onActivity?: (session: NativeSession) => void;
  /** Inbound peer links go here after a HELLO with role "peer". @default none */
  readonly acceptPeer?: InboundPeerAcceptor;
  /** Tokens and cluster secrets. @default none configured: everything is open, as before issue #7 */
  readonly auth?: Authenticator;
  /** Peers must present a TLS client certificate the cluster CA verified (mutual TLS). @default false */
  readonly requirePeerCertificate?: boolean;
}


/** Peer request codes, forwarded to the gossip shell on peer sessions. */
const PEER_CODES: ReadonlySet<number> = new Set([
  RequestCode.PEER_DELTAS,
  RequestCode.PEER_DIGEST,
  RequestCode.PEER_PULL,
  RequestCode.PEER_SUMMARY,
  RequestCode.PEER_WANT,
  RequestCode.PEER_HEARD,
]);

/** What a request refused for a missing grant is counted as and what its message asks for. */
const PERMISSION_REFUSALS: Readonly<Record<Permission, { reason: AuthRefusalReason; token: string }>> = {
  read: { reason: "tokenRequired", token: "a client token" },
  broker: { reason: "brokerRequired", token: "a broker token" },
  admin: { reason: "adminRequired", token: "an admin token" },
};

/** A peer hello that answered the challenge and waits for the dialer's PEER_AUTH. */
interface PendingPeer {
  readonly hello: HelloRequest;
  readonly challenge: PeerChallenge;
}

const OPEN_AUTH = new Authenticator({ clusterSecrets: [], brokerTokens: [], adminTokens: [], clientTokens: [], requireClientToken: false });

/** The native protocol on one connection. */
export class NativeSession implements EffectTarget {
  readonly connId: ConnectionId;
  role: SessionRole = "pending";
  /** Negotiated protocol version; null until the HELLO is accepted. */
  version: number | null = null;
  /** A peer's node id and advertised address from its HELLO (for the gossip shell). */
  peerNodeId: string | null = null;
  peerAdvertiseAddr: string | null = null;

  /** What this connection may do; decided at the hello. */
  grants: Grants = ALL_GRANTS;
  /** The hello carried a valid admin token: this connection may act for any broker (unregister). */
  private adminToken = false;

  private peerHandler: InboundPeerHandler | null = null;
  private pendingPeer: PendingPeer | null = null;
  private readonly lane: RequestLane<Frame>;
  private refusalLogged = false;
  /** Requests taken whose answer waits (a KV write waiting for the disk): in flight too. */
  private awaiting = 0;
  private closing = false;
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly deps: SessionDeps,
  ) {
    this.connId = deps.host.attach(this);
    this.lane = deps.requests.lane<Frame>({
      run: (frame) => this.serve(frame),
      beforeVisit: () => connection.cork?.(),
      afterVisit: () => {
        connection.uncork?.();
        this.deps.onActivity?.(this);
      },
      pause: () => connection.pauseReading?.(),
      resume: () => connection.resumeReading?.(),
      inflightMax: deps.limits.inflightRequestsPerConnectionMax,
    });
    connection.setHandlers({
      message: (data, binary) => this.onMessage(data, binary),
      error: (error) => this.onTransportError(error),
      close: (code, reason) => this.onClose(code, reason),
    });
  }

  /**
   * Whether the connection authenticated as a peer, a broker or an admin (or claimed the role
   * where no token is configured): a full port never closes it to make room.
   */
  get trusted(): boolean {
    return this.role === "peer" || (this.role === "broker" && this.grants.broker) || this.adminToken;
  }

  /** Whether this side has started closing or the connection is gone. */
  get isClosing(): boolean {
    return this.closing || this.closed;
  }

  /** Sends a ROUTE_CHANGED push (effect of the core). */
  push(body: RouteChangedPush): void {
    const frame = { v: this.version ?? PROTOCOL_VERSION_MAX, kind: FrameKind.PUSH, code: PushCode.ROUTE_CHANGED, id: 0, body };
    this.sendFrame(frame);
    this.deps.onActivity?.(this);
  }

  /** Closes because the core asked to (e.g. too slow a subscriber). */
  closeByCore(reason: string): void {
    this.shut(CloseCode.POLICY_VIOLATION, reason, "core");
  }

  /** Closes to make room on a full port (admission chose this unauthenticated connection). */
  closeForCapacity(reason: string): void {
    this.shut(CloseCode.TRY_AGAIN_LATER, reason, "capacity", "debug");
  }

  /** Closes because the node is shutting down. */
  closeForShutdown(): void {
    this.shut(CloseCode.GOING_AWAY, "name server shutting down", "shutdown", "debug");
  }

  /** Closes a connection that has not finished its hello in time (slowloris). */
  expireHello(timeoutMs: number): void {
    if (this.role !== "pending") return;
    this.deps.observer.limitHit?.("HELLO_TIMEOUT_MS");
    this.shut(CloseCode.POLICY_VIOLATION, `hello not completed within ${timeoutMs} ms`, "helloTimeout");
  }

  /** Destroys the socket without the close handshake (shutdown deadline passed). */
  terminate(): void {
    this.connection.terminate();
  }

  // ---- Inbound -----------------------------------------------------------------------------

  private onMessage(data: Uint8Array, binary: boolean): void {
    if (this.isClosing) return;
    if (!binary) return this.shut(CloseCode.PROTOCOL_ERROR, "frames must be binary msgpack, got a text message", "notBinary");
    const privileged = this.role === "peer" || (this.role === "broker" && this.grants.broker);
    const bytesMax = privileged ? this.deps.limits.frameBytesMax : this.deps.limits.clientFrameBytesMax;
    if (!privileged && data.length > bytesMax) {
      this.deps.observer.limitHit?.("CLIENT_FRAME_BYTES_MAX");
      const reason = `frame of ${data.length} bytes exceeds the limit of ${bytesMax} bytes for role ${this.role}`;
      return this.shut(CloseCode.MESSAGE_TOO_BIG, reason, "frameTooLarge");
    }
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
    const max = this.deps.limits.inflightRequestsPerConnectionMax;
    if (this.awaiting > 0 && this.lane.size + this.awaiting >= max) return this.refuseBusy(frame, "INFLIGHT_REQUESTS_PER_CONNECTION_MAX", max);
    const refusal = this.lane.offer(frame, data.length);
    if (refusal !== null) this.refuseBusy(frame, refusal.limit, refusal.max);
  }

  /**
   * A request past an in-flight bound (a client that kept sending although reading stopped):
   * an error reply now, out of order (logged once per connection at warn, then at debug).
   */
  private refuseBusy(frame: Frame, limit: string, max: number): void {
    const scope = limit === "QUEUED_REQUESTS_MAX" ? "on this node" : "on one connection";
    const error = new LimitExceededError(limit, `busy: at most ${max} requests may wait for an answer ${scope} (${limit}); wait for answers before sending more`);
    if (!this.refusalLogged) {
      this.refusalLogged = true;
      this.deps.logger.warn({ connId: this.connId, remoteAddr: this.connection.remoteAddr, role: this.role, limit, max }, "in-flight bound hit");
    }
    this.replyError(frame, error, "debug");
  }

  /** Serves one queued frame (the scheduler's turn). */
  private serve(frame: Frame): void {
    if (this.isClosing) return;
    if (this.version === null) this.onHello(frame);
    else this.onRequest(frame, this.version);
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
    if (hello.role === "peer") return this.onPeerHello(frame, hello, version);
    const decision = this.auth.grantsFor(hello.role, hello.token);
    if (!decision.ok) return this.refuseAuth(frame, hello.role, decision.reason, decision.message);
    this.grants = decision.grants;
    this.adminToken = decision.adminToken === true;
    this.accept(frame, hello, version, {});
  }

  private get auth(): Authenticator {
    return this.deps.auth ?? OPEN_AUTH;
  }

  /** A peer hello: open when no secret is set; else answer the challenge and await PEER_AUTH. */
  private onPeerHello(frame: Frame, hello: HelloRequest, version: number): void {
    const auth = this.auth;
    if (!auth.peerAuthRequired) return this.accept(frame, hello, version, {});
    if (this.deps.requirePeerCertificate && this.connection.tlsAuthorized !== true) {
      const message = "peer refused: no TLS client certificate signed by the cluster CA";
      return this.refuseAuth(frame, "peer", "peerCertificateMissing", message);
    }
    if (hello.nonce === null) {
      const message = "peer refused: this node has a cluster secret and the hello carries no challenge nonce";
      return this.refuseAuth(frame, "peer", "peerNonceMissing", message);
    }
    const challenge: PeerChallenge = {
      dialerNonce: hello.nonce,
      acceptorNonce: auth.newNonce(),
      dialerId: hello.nodeId as string,
      acceptorId: this.deps.host.node.nodeId,
    };
    this.version = version;
    this.pendingPeer = { hello, challenge };
    const body: HelloResponse = {
      version,
      nodeId: challenge.acceptorId,
      ready: this.deps.host.node.isReady(),
      nonce: challenge.acceptorNonce,
      proof: auth.prove("acceptor", challenge),
      features: PEER_FEATURES,
    };
    this.deps.logger.debug({ connId: this.connId, peerNodeId: hello.nodeId }, "peer challenge sent");
    this.reply(frame, ErrorCode.OK, body);
  }

  /** The dialer's PEER_AUTH: its proof must match a cluster secret, or the link is closed. */
  private onPeerAuth(frame: Frame, pending: PendingPeer): void {
    if (frame.code !== RequestCode.PEER_AUTH) {
      const message = `peer refused: PEER_AUTH (code ${RequestCode.PEER_AUTH}) must follow the hello, got code ${frame.code}`;
      return this.refuseAuth(frame, "peer", "peerAuthMissing", message);
    }
    let proof: Uint8Array;
    try {
      proof = decodePeerAuth(frame.body).proof;
    } catch (error) {
      return this.refuseAuth(frame, "peer", "peerProofMissing", `peer refused: ${asNsError(error).message}`);
    }
    if (!this.auth.verify("dialer", pending.challenge, proof)) {
      return this.refuseAuth(frame, "peer", "peerProofInvalid", "peer refused: the proof matches no cluster secret of this node");
    }
    this.pendingPeer = null;
    this.deps.observer.request("PEER_AUTH", "ok");
    this.enter(pending.hello, frame.v);
    this.deps.logger.info({ connId: this.connId, peerNodeId: pending.hello.nodeId }, "peer authenticated");
    this.reply(frame, ErrorCode.OK, {});
    this.linkPeer(pending.hello);
  }

  /** Answers the hello with OK and enters the role. */
  private accept(frame: Frame, hello: HelloRequest, version: number, extra: Partial<HelloResponse>): void {
    this.enter(hello, version);
    // A peer learns what this node takes (PEER_HEARD, the root-only digest) from the answer.
    const features = hello.role === "peer" ? { features: PEER_FEATURES } : {};
    const body: HelloResponse = { version, nodeId: this.deps.host.node.nodeId, ready: this.deps.host.node.isReady(), ...features, ...extra };
    this.deps.observer.request("HELLO", "ok");
    this.deps.logger.debug({ connId: this.connId, role: hello.role, version, peerNodeId: hello.nodeId }, "hello accepted");
    this.reply(frame, ErrorCode.OK, body);
    if (hello.role === "peer") this.linkPeer(hello);
  }

  private enter(hello: HelloRequest, version: number): void {
    this.version = version;
    this.role = hello.role;
    this.peerNodeId = hello.nodeId;
    this.peerAdvertiseAddr = hello.advertiseAddr;
  }

  private linkPeer(hello: HelloRequest): void {
    if (this.deps.acceptPeer) this.peerHandler = this.deps.acceptPeer(this.peerLink(hello.nodeId as string));
  }

  /** Refuses a hello or peer challenge: UNAUTHORIZED reply, one log line, a metric, close. */
  private refuseAuth(frame: Frame, role: string, reason: AuthRefusalReason, message: string): void {
    this.deps.observer.authRefused?.(role, reason);
    this.replyError(frame, new UnauthorizedError(message), "warn", { role, reason, remoteAddr: this.connection.remoteAddr });
    this.shut(CloseCode.POLICY_VIOLATION, message, "unauthorized", "debug");
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
    if (this.pendingPeer) return this.onPeerAuth(frame, this.pendingPeer);
    if (PEER_CODES.has(frame.code) && this.peerHandler) {
      this.deps.observer.request(requestCodeName(frame.code), "ok");
      return this.peerHandler.onFrame(frame);
    }
    const handler = REQUEST_HANDLERS.get(frame.code);
    if (frame.code === RequestCode.HELLO) {
      return this.replyError(frame, InvalidArgumentError.format("code", "HELLO was already exchanged on this connection", frame.code));
    }
    if (!handler) return this.replyError(frame, new UnsupportedRequestError(`unsupported request code ${frame.code}`));
    if (!this.grants[handler.permission]) {
      const name = requestCodeName(frame.code);
      const { reason, token } = PERMISSION_REFUSALS[handler.permission];
      this.deps.observer.authRefused?.(this.role, reason);
      const message = `${name} needs ${token} in the hello (--token-file)`;
      return this.replyError(frame, new UnauthorizedError(message), "warn", { role: this.role, reason });
    }
    let result: unknown;
    try {
      result = handler.handle({ host: this.deps.host, connId: this.connId, adminToken: this.adminToken }, frame.body);
    } catch (error) {
      return this.replyError(frame, asNsError(error));
    }
    if (result instanceof Promise) return this.replyWhenSettled(frame, result);
    this.deps.observer.request(requestCodeName(frame.code), "ok");
    this.reply(frame, ErrorCode.OK, result);
  }

  /** A write answered once durable: it counts as in flight until then; replies may overtake it. */
  private replyWhenSettled(frame: Frame, result: Promise<unknown>): void {
    this.awaiting += 1;
    void result
      .then(
        (body) => {
          this.deps.observer.request(requestCodeName(frame.code), "ok");
          this.reply(frame, ErrorCode.OK, body);
        },
        // asNsError rethrows an assertion failure: an unhandled rejection ends the process.
        (error: unknown) => this.replyError(frame, asNsError(error)),
      )
      .finally(() => {
        this.awaiting -= 1;
      });
  }

  private onTransportError(error: TransportError): void {
    if (this.closed) return;
    this.closing = true;
    this.lane.close();
    this.deps.observer.closed(error.kind);
    this.deps.logger.warn(
      { connId: this.connId, remoteAddr: this.connection.remoteAddr, cause: error.kind, error: error.message },
      "connection failed",
    );
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.lane.close();
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

  private replyError(request: Frame, error: NsError, levelOverride?: "debug" | "info" | "warn", fields: object = {}): void {
    const type = request.code === RequestCode.HELLO ? "HELLO" : requestCodeName(request.code);
    const name = ERROR_TABLE.find((entry) => entry.code === error.code)?.name ?? "INTERNAL";
    this.deps.observer.request(type, name);
    if (error instanceof LimitExceededError) this.deps.observer.limitHit?.(error.limit);
    // KV_NOT_DURABLE: the KV file logs when its failure starts and ends, not once per request.
    const quiet: readonly number[] = [ErrorCode.NOT_FOUND, ErrorCode.NOT_READY, ErrorCode.KV_NOT_DURABLE];
    const level = levelOverride ?? (quiet.includes(error.code) ? "debug" : "info");
    this.deps.logger[level]({ connId: this.connId, type, code: name, error: error.message, ...fields }, "request refused");
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
      this.deps.observer.limitHit?.("SEND_BUFFER_BYTES_MAX");
      return this.shut(CloseCode.POLICY_VIOLATION, `slow reader: more than ${bufferedMax} bytes waiting to be sent`, "slowReader");
    }
    this.connection.send(bytes);
  }

  /** Closes from this side with a reason and one log line. */
  private shut(code: CloseCode, reason: string, cause: CloseCause, level: "warn" | "debug" = "warn"): void {
    if (this.isClosing) return;
    this.closing = true;
    this.lane.close();
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

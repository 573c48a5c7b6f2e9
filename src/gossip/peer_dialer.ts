// PeerDialer: keeps one outbound WebSocket link to each known peer address. It says hello
// as a peer (with the challenge-response when the cluster has a secret, over wss:// when the
// node has TLS), watches the link with pings, and redials with exponential backoff and jitter.
// Shell code: sockets (through transport's dialer) and timers; cluster state stays in the core.
import { backoffMs, type Clock, type Rng, type Scheduler, type TimerHandle } from "../core/clock.js";
import { ErrorCode, NsError } from "../errors.js";
import {
  FRAME_BYTES_MAX,
  PEER_DOWN_MS,
  PEER_PING_MS,
  PEER_SUSPECT_MS,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  REDIAL_BACKOFF_MS_MAX,
  REDIAL_BACKOFF_MS_MIN,
  REDIAL_JITTER_RATIO,
  REQUEST_TIMEOUT_MS,
  SHUTDOWN_GRACE_MS,
} from "../limits.js";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame } from "../protocol/frame.js";
import { decodeHelloResponse, PEER_FEATURES, type HelloResponse, type PeerFeature } from "../protocol/messages/hello.js";
import type { PeerChallenge } from "../protocol/messages/peer_auth.js";
import type { AuthRefusalReason, Authenticator } from "../host/auth.js";
import type { Logger } from "../host/logger.js";
import { CloseCode, type TransportError } from "../transport/connection.js";
import { RealScheduler } from "../transport/timers.js";
import { dialWebSocket, type DialedConnection, type DialOptions, type DialTls as TransportDialTls } from "../transport/ws_dialer.js";
import type { Dialer, PeerHub, PeerLink } from "./peer_hub.js";

/** Correlation id of the hello on an outbound peer link. */
const HELLO_ID = 1;
/** Correlation id of PEER_AUTH on an outbound peer link. */
const PEER_AUTH_ID = 2;

/** TLS of outbound peer links: wss://, the peer's certificate checked against `ca`. */
export interface DialTls {
  /** CA bundle for peers' certificates; null uses the system CAs. */
  readonly ca: string | null;
  /** Our certificate and key, presented as the client certificate (mutual TLS). */
  readonly cert: string;
  readonly key: string;
}

/** What the dialer needs to know about this node. */
export interface PeerDialerOptions {
  readonly selfId: string;
  readonly advertiseAddr: string | null;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Cluster secrets for the challenge-response; without it (or without secrets) hellos are open. */
  readonly auth?: Authenticator;
  /** Dial wss:// with these. @default null: ws:// */
  readonly tls?: DialTls | null;
  /** Called when a peer fails authentication (for metrics). */
  readonly onAuthFailure?: (reason: AuthRefusalReason) => void;
  /** Timers (hello timeout, pings, redial). @default a RealScheduler; the simulator passes its own */
  readonly scheduler?: Scheduler;
  /** Opens a connection. @default transport's dialWebSocket; the simulator passes its network's */
  readonly dial?: (options: DialOptions) => DialedConnection;
}

/** Why an address is dialed: a member or seed (the core's dialPeer), or a `--peer-dns` answer. */
export type DialSource = "member" | "dns";

/** How `ensure` was asked for an address. */
export interface DialVia {
  readonly source: DialSource;
  /** The name the peer's TLS certificate must carry, when `addr` is an IP a DNS name resolved to. */
  readonly tlsServerName?: string;
}

const AS_MEMBER: DialVia = { source: "member" };

/** Per-address dial state. */
interface Target {
  readonly addr: string;
  /** Why the address is dialed; a target nobody wants any more is forgotten once its link is down. */
  readonly sources: Set<DialSource>;
  /** TLS name to check instead of the host of `addr` (DNS-discovered addresses). */
  tlsServerName: string | null;
  attempt: number;
  ws: DialedConnection | null;
  link: PeerLink | null;
  timer: TimerHandle | null;
  /** True once a hello answered with our own node id: never dial it again. */
  isSelf: boolean;
  /** Our hello nonce on the current connection (null without a secret). */
  nonce: Uint8Array | null;
  /** The acceptor's node id and announced features while we wait for the PEER_AUTH answer. */
  authPeerId: string | null;
  authFeatures: readonly PeerFeature[];
  /** When the current connection last brought a frame or pong. */
  lastHeardMs: number;
  /** Called once the current connection closed (stop() waits on it). */
  onClosed: (() => void) | null;
}

/** One dialed peer address as the dialer sees it now (for operators: the dashboard, status). */
export interface PeerLinkState {
  readonly addr: string;
  /** The peer's node id once its link is up (null while dialing). */
  readonly peerId: string | null;
  /** Whether an authenticated link is up. */
  readonly linked: boolean;
  /** Since the link last brought a frame or pong (null without a link). */
  readonly silentMs: number | null;
  /** Dial attempts since the last link came up. */
  readonly attempt: number;
  /** The name the peer's certificate is checked against when it is not the host of `addr` (DNS). */
  readonly tlsServerName?: string | null;
}

/** Dials and redials peers. */
export class PeerDialer implements Dialer {
  private readonly targets = new Map<string, Target>();
  private stopped = false;
  private readonly scheduler: Scheduler;
  private readonly dialConnection: (options: DialOptions) => DialedConnection;

  constructor(
    private readonly hub: PeerHub,
    private readonly options: PeerDialerOptions,
  ) {
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.dialConnection = options.dial ?? dialWebSocket;
  }

  /**
   * Keeps a link to `addr` (idempotent). A `dns` address is reported to the hub without its
   * address, so that the core does not gossip pod IPs as members: every node that should find
   * peers by DNS is given the name itself.
   */
  ensure(addr: string, via: DialVia = AS_MEMBER): void {
    if (this.stopped || addr === this.options.advertiseAddr) return;
    const existing = this.targets.get(addr);
    if (existing) {
      existing.sources.add(via.source);
      existing.tlsServerName ??= via.tlsServerName ?? null;
      return;
    }
    const target: Target = {
      addr,
      sources: new Set([via.source]),
      tlsServerName: via.tlsServerName ?? null,
      attempt: 0,
      ws: null,
      link: null,
      timer: null,
      isSelf: false,
      nonce: null,
      authPeerId: null,
      authFeatures: [],
      lastHeardMs: 0,
      onClosed: null,
    };
    this.targets.set(addr, target);
    this.dial(target);
  }

  /**
   * `source` no longer wants `addr` (it vanished from DNS). A link that is up stays until the
   * usual peer-down rules close it; an address nobody wants is then not dialed again.
   */
  release(addr: string, source: DialSource): void {
    const target = this.targets.get(addr);
    if (!target?.sources.delete(source) || target.sources.size > 0 || target.link !== null) return;
    this.forget(target);
  }

  /** Addresses dialed now, with why (for tests and operators). */
  dialedAddrs(): { addr: string; sources: DialSource[]; isSelf: boolean }[] {
    return [...this.targets.values()].map((t) => ({ addr: t.addr, sources: [...t.sources].sort(), isSelf: t.isSelf }));
  }

  /**
   * Stops dialing. A linked peer gets a close frame after what was sent on the link (a drain's
   * leaving notice) and the close handshake is awaited, at most SHUTDOWN_GRACE_MS, so that the
   * peer sees a clean close rather than a reset when this process exits; a dial in progress is
   * dropped at once.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing: { ws: DialedConnection; closed: Promise<void> }[] = [];
    for (const target of this.targets.values()) {
      if (target.timer) this.scheduler.clearTimer(target.timer);
      const ws = target.ws;
      if (ws && target.link) {
        closing.push({ ws, closed: new Promise<void>((resolve) => (target.onClosed = resolve)) });
        ws.close(CloseCode.GOING_AWAY, "node shutting down");
      } else ws?.terminate();
    }
    this.targets.clear();
    if (closing.length === 0) return;
    let timer: TimerHandle | null = null;
    const graceOver = new Promise<void>((resolve) => (timer = this.scheduler.setTimer(SHUTDOWN_GRACE_MS, resolve)));
    await Promise.race([Promise.all(closing.map((item) => item.closed)), graceOver]);
    if (timer !== null) this.scheduler.clearTimer(timer);
    // Past the grace (a peer that never answered the close frame) the rest are cut.
    for (const { ws } of closing) ws.terminate();
  }

  /** Every address dialed (but our own), with its link state, sorted by address. */
  linkStates(): PeerLinkState[] {
    const nowMs = this.options.clock.nowMs();
    return [...this.targets.values()]
      .filter((target) => !target.isSelf)
      .map((target) => ({
        addr: target.addr,
        peerId: target.link?.peerId ?? null,
        linked: target.link !== null,
        silentMs: target.link === null ? null : Math.max(0, nowMs - target.lastHeardMs),
        attempt: target.attempt,
        tlsServerName: target.tlsServerName,
      }))
      .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }

  /** Addresses with a link that finished its hello. */
  connectedAddrs(): string[] {
    return [...this.targets.values()].filter((t) => t.link !== null).map((t) => t.addr);
  }

  private dial(target: Target): void {
    target.timer = null;
    if (this.stopped) return;
    const tls = this.options.tls ?? null;
    const ws = this.dialConnection({
      addr: target.addr,
      maxPayloadBytes: FRAME_BYTES_MAX,
      handshakeTimeoutMs: REQUEST_TIMEOUT_MS,
      tls: tls === null ? undefined : dialTlsOf(tls, target.tlsServerName),
    });
    target.ws = ws;
    target.lastHeardMs = this.options.clock.nowMs();
    let pinger: TimerHandle | null = null;
    // Silent past PEER_SUSPECT_MS: logged; past PEER_DOWN_MS: the link is closed and redialled.
    let suspect = false;
    const helloTimer = this.scheduler.setTimer(REQUEST_TIMEOUT_MS, () => ws.terminate());
    const onOpen = (): void => {
      const auth = this.options.auth;
      target.nonce = auth?.peerAuthRequired ? auth.newNonce() : null;
      target.authPeerId = null;
      const hello = {
        versionMin: PROTOCOL_VERSION_MIN,
        versionMax: PROTOCOL_VERSION_MAX,
        role: "peer",
        nodeId: this.options.selfId,
        advertiseAddr: this.options.advertiseAddr,
        features: PEER_FEATURES,
        ...(target.nonce === null ? {} : { nonce: target.nonce }),
      };
      ws.send(encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: HELLO_ID, body: hello }));
      let lastPingMs = this.options.clock.nowMs();
      const ping = (): void => {
        pinger = this.scheduler.setTimer(PEER_PING_MS, ping);
        const nowMs = this.options.clock.nowMs();
        // A timer this late means this node's own event loop was held (a long synchronous step):
        // the peer's pongs may sit unread in the socket, so that time does not count as its silence.
        const pausedMs = nowMs - lastPingMs - PEER_PING_MS;
        lastPingMs = nowMs;
        if (pausedMs > PEER_PING_MS) target.lastHeardMs += pausedMs;
        const silentMs = nowMs - target.lastHeardMs;
        if (silentMs > PEER_DOWN_MS) {
          this.options.logger.warn({ addr: target.addr, silentMs }, "peer silent; link closed");
          ws.terminate();
          return;
        }
        if (silentMs > PEER_SUSPECT_MS && !suspect) {
          suspect = true;
          this.options.logger.info({ addr: target.addr, silentMs }, "peer suspect");
        } else if (silentMs <= PEER_SUSPECT_MS && suspect) {
          suspect = false;
          this.options.logger.info({ addr: target.addr }, "peer answering again");
        }
        ws.ping();
      };
      pinger = this.scheduler.setTimer(PEER_PING_MS, ping);
    };
    ws.opened.then(onOpen, () => undefined);
    ws.onPong(() => {
      target.lastHeardMs = this.options.clock.nowMs();
    });
    ws.setHandlers({
      message: (bytes) => {
        target.lastHeardMs = this.options.clock.nowMs();
        this.onMessage(target, ws, bytes, helloTimer);
      },
      error: (error: TransportError) => {
        // A TLS verification failure is worth a warning: the peer is not who the CA vouches for.
        this.options.logger[error.kind === "tls" ? "warn" : "debug"]({ addr: target.addr, err: error.message, kind: error.kind }, "peer dial error");
      },
      close: () => {
        this.scheduler.clearTimer(helloTimer);
        if (pinger) this.scheduler.clearTimer(pinger);
        const link = target.link;
        target.link = null;
        target.ws = null;
        if (link) this.hub.linkDown(link);
        target.onClosed?.();
        this.scheduleRedial(target);
      },
    });
  }

  private onMessage(target: Target, ws: DialedConnection, bytes: Uint8Array, helloTimer: TimerHandle): void {
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      this.options.logger.warn({ addr: target.addr, err: error.message }, "bad frame from peer; link closed");
      ws.close(1002, "bad frame");
      return;
    }
    if (target.link) {
      if (frame.kind === FrameKind.REQUEST) this.hub.onFrame(target.link, frame);
      return;
    }
    if (frame.kind !== FrameKind.RESPONSE) return;
    if (frame.id === PEER_AUTH_ID && target.authPeerId !== null) {
      this.scheduler.clearTimer(helloTimer);
      if (frame.code !== ErrorCode.OK) {
        this.options.logger.warn({ addr: target.addr, code: frame.code, body: frame.body }, "peer refused our proof");
        ws.close(1000, "peer auth refused");
        return;
      }
      return this.linkUp(target, ws, target.authPeerId, target.authFeatures);
    }
    if (frame.id !== HELLO_ID) return;
    if (frame.code !== ErrorCode.OK) {
      this.scheduler.clearTimer(helloTimer);
      this.options.logger.warn({ addr: target.addr, code: frame.code, body: frame.body }, "peer refused hello");
      ws.close(1000, "hello refused");
      return;
    }
    let hello: HelloResponse;
    try {
      hello = decodeHelloResponse(frame.body);
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      this.scheduler.clearTimer(helloTimer);
      ws.close(1002, "bad hello response");
      return;
    }
    if (hello.nodeId === this.options.selfId) {
      this.scheduler.clearTimer(helloTimer);
      target.isSelf = true;
      ws.close(1000, "dialed self");
      return;
    }
    if (target.nonce === null) {
      this.scheduler.clearTimer(helloTimer);
      return this.linkUp(target, ws, hello.nodeId, hello.features ?? []);
    }
    this.answerChallenge(target, ws, hello, target.nonce);
  }

  /** Checks the acceptor's proof, then proves ourselves with PEER_AUTH; the link waits for its answer. */
  private answerChallenge(target: Target, ws: DialedConnection, hello: HelloResponse, nonce: Uint8Array): void {
    const auth = this.options.auth as Authenticator;
    const refuse = (reason: AuthRefusalReason, message: string): void => {
      this.options.onAuthFailure?.(reason);
      this.options.logger.warn({ addr: target.addr, peerNodeId: hello.nodeId, reason }, message);
      ws.close(1008, "peer authentication failed");
    };
    if (hello.nonce === undefined || hello.proof === undefined) {
      return refuse("peerProofMissing", "peer refused: it answered without a proof (no cluster secret there?)");
    }
    const challenge: PeerChallenge = { dialerNonce: nonce, acceptorNonce: hello.nonce, dialerId: this.options.selfId, acceptorId: hello.nodeId };
    if (!auth.verify("acceptor", challenge, hello.proof)) {
      return refuse("peerProofInvalid", "peer refused: its proof matches no cluster secret of this node");
    }
    target.authPeerId = hello.nodeId;
    target.authFeatures = hello.features ?? [];
    const body = { proof: auth.prove("dialer", challenge) };
    ws.send(encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code: RequestCode.PEER_AUTH, id: PEER_AUTH_ID, body }));
  }

  /** The hello is done: the peer counts as up, with what its answer announced (none from a node before features). */
  private linkUp(target: Target, ws: DialedConnection, peerId: string, features: readonly PeerFeature[]): void {
    target.authPeerId = null;
    target.attempt = 0;
    const link: PeerLink = {
      peerId,
      direction: "outbound",
      send: (out) => ws.send(out),
      close: (reason) => ws.close(1001, reason),
    };
    target.link = link;
    this.hub.linkUp(link, target.sources.has("member") ? target.addr : null, features);
  }

  private forget(target: Target): void {
    if (target.timer) this.scheduler.clearTimer(target.timer);
    target.timer = null;
    this.targets.delete(target.addr);
    target.ws?.terminate();
  }

  private scheduleRedial(target: Target): void {
    if (this.stopped || target.isSelf || this.targets.get(target.addr) !== target) return;
    if (target.sources.size === 0) return this.forget(target);
    const delayMs = backoffMs(this.options.rng, target.attempt, REDIAL_BACKOFF_MS_MIN, REDIAL_BACKOFF_MS_MAX, REDIAL_JITTER_RATIO);
    target.attempt += 1;
    target.timer = this.scheduler.setTimer(delayMs, () => this.dial(target));
  }
}

/** The transport's TLS options of one dial: our certificate, the CA, and the name to check. */
function dialTlsOf(tls: DialTls, servername: string | null): TransportDialTls {
  return { cert: tls.cert, key: tls.key, ...(tls.ca === null ? {} : { ca: tls.ca }), ...(servername === null ? {} : { servername }) };
}

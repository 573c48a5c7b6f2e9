// The shell of the RocketMQ remoting port (default 9876): admits connections from the TCP
// listener (transport/tcp_listener.ts) within the port's bounds, splits frames with the codec,
// queues requests in the connection's lane of a RequestScheduler (served round-robin with every
// other connection; reading stops while the lane is full; past the in-flight bound a request gets
// SYSTEM_BUSY with a remark), checks access, hands requests to remoting_handlers and writes the
// replies. Owns the idle timer, write bounds and admission; every decision about cluster state is
// the core's.
import { AssertionError } from "../assert.js";
import type { Config } from "../config/config.js";
import type { ConnectionId } from "../model/types.js";
import { CONNECTION_PRESSURE_RATIO, REMOTING_FRAME_BYTES_MAX, TLS_HANDSHAKE_TIMEOUT_MS, UNTRUSTED_IDLE_UNDER_PRESSURE_MS } from "../limits.js";
import * as rm from "../protocol/remoting/index.js";
import type { Logger } from "../host/logger.js";
import { RequestScheduler, type OfferRefusal, type RequestLane } from "../host/request_scheduler.js";
import { ErrorCode, errorEntry } from "../errors.js";
import type { NodeHost } from "../host/node_host.js";
import type { Listener } from "../transport/connection.js";
import { ConnectionSlots } from "../transport/connection_slots.js";
import { listenTcp, type TcpConnection } from "../transport/tcp_listener.js";
import { NamesrvProperties, initialNamesrvProperties } from "./namesrv_properties.js";
import { checkRemotingAccess, type RemotingAccessPolicy } from "./remoting_access.js";
import { type RemotingLog, handleRemotingRequest } from "./remoting_handlers.js";

/** RocketMQ closes a channel after 120 s with no traffic either way (ROCKETMQ.md §1.9). */
export const REMOTING_IDLE_MS = 120_000;
/**
 * Bytes queued for one socket before it is closed as a slow reader: a route or cluster-info
 * reply is at most one frame (16 MiB), so two full frames may wait.
 */
export const REMOTING_SEND_BUFFER_BYTES_MAX = 2 * REMOTING_FRAME_BYTES_MAX;

/** What a queued command's header and fields hold, roughly: its body is counted exactly. */
const COMMAND_HEADER_BYTES_ESTIMATE = 128;

/** Bytes a queued command counts against the lanes' byte bounds. */
function queuedBytesOf(cmd: rm.RemotingCommand): number {
  return COMMAND_HEADER_BYTES_ESTIMATE + (cmd.body?.length ?? 0);
}

/** Why admission closed a connection, as logged. */
const EVICTION_REASONS = {
  idle: "idle and unauthenticated while the port is under pressure",
  full: "least recently active unauthenticated connection of a full port",
} as const;

/** Options of startRemotingListener; the first four are server.ts's RemotingListenerContext. */
export interface RemotingListenerOptions {
  readonly config: Config;
  readonly host: NodeHost;
  readonly logger: Logger;
  /** The port to bind; 0 picks a free one. */
  readonly port: number;
  /** Interface to bind. @default config.host */
  readonly bindHost?: string;
  /** Close a connection after this long with no traffic. @default REMOTING_IDLE_MS */
  readonly idleMs?: number;
  /** Close a connection whose unsent bytes exceed this. @default REMOTING_SEND_BUFFER_BYTES_MAX */
  readonly sendBufferBytesMax?: number;
  /** Open remoting connections. @default config.connectionsMax */
  readonly connectionsMax?: number;
  /** Counts refusals by a named limit and for access (metrics). @default none */
  readonly onLimitHit?: (limit: string) => void;
  readonly onAuthRefused?: (reason: string) => void;
  /** Counts a request handled (by its request code), for the node's series. @default none */
  readonly onRequest?: (code: number) => void;
  /** Serves requests round-robin across connections (the server shares one with the native port). @default one of its own on setImmediate */
  readonly requests?: RequestScheduler;
}

/** A started remoting listener. */
export interface RemotingListener extends Listener {
  /** Open remoting connections. */
  readonly connectionCount: number;
  /** The per-node properties GET/UPDATE_NAMESRV_CONFIG read and write. */
  readonly properties: NamesrvProperties;
}

/** Starts the remoting listener; resolves once bound. */
export async function startRemotingListener(options: RemotingListenerOptions): Promise<RemotingListener> {
  const { config, host, logger } = options;
  const connectionsMax = options.connectionsMax ?? config.connectionsMax;
  const pressureConnections = Math.ceil(connectionsMax * CONNECTION_PRESSURE_RATIO);
  const slots = new ConnectionSlots<TcpConnection>({
    connectionsMax,
    perAddressMax: config.connectionsPerAddressMax,
    pressureConnections,
    idleUnderPressureMs: UNTRUSTED_IDLE_UNDER_PRESSURE_MS,
  });
  const policy: RemotingAccessPolicy = {
    secured: config.clusterSecrets.length > 0,
    adminAllow: config.remotingAdminAllow,
    brokerAllow: config.remotingBrokerAllow,
    aclAccounts: config.remotingAclAccounts,
  };
  const onLimitHit = options.onLimitHit ?? (() => undefined);
  const requests = options.requests ?? new RequestScheduler({ schedule: (task) => void setImmediate(task) });
  const onAuthRefused = options.onAuthRefused ?? (() => undefined);
  const connections = new Map<TcpConnection, RemotingConnection>();
  let properties: NamesrvProperties | null = null;
  let pressureLogged = false;

  const admit = (tcp: TcpConnection, bound: NamesrvProperties): void => {
    const admission = slots.admit(tcp, tcp.remoteIp, host.clock.nowMs());
    if (!admission.admitted) {
      const limit = admission.reason === "perAddress" ? "CONNECTIONS_PER_ADDRESS_MAX" : "CONNECTIONS_MAX";
      onLimitHit(limit);
      logger.warn({ remoteAddr: tcp.remoteAddr, limit, connectionsMax, perAddressMax: config.connectionsPerAddressMax }, "remoting connection refused");
      tcp.destroy();
      return;
    }
    for (const { connection: victim, reason } of admission.evicted) {
      onLimitHit(reason === "idle" ? "UNTRUSTED_IDLE_UNDER_PRESSURE_MS" : "CONNECTIONS_MAX");
      connections.get(victim)?.destroy(EVICTION_REASONS[reason], "debug");
    }
    if (admission.evicted.length > 0 && !pressureLogged) {
      pressureLogged = true;
      logger.warn({ connections: slots.size, trusted: slots.trustedCount, connectionsMax }, "remoting port under pressure: closing idle unauthenticated connections");
    }
    if (slots.size < pressureConnections / 2) pressureLogged = false;
    const connection = new RemotingConnection(tcp, {
      host,
      logger,
      properties: bound,
      policy,
      idleMs: options.idleMs ?? REMOTING_IDLE_MS,
      sendBufferBytesMax: options.sendBufferBytesMax ?? REMOTING_SEND_BUFFER_BYTES_MAX,
      onLimitHit,
      onAuthRefused,
      onRequest: options.onRequest ?? (() => undefined),
      requests,
      inflightMax: config.inflightRequestsPerConnectionMax,
      onActive: (trusted) => {
        slots.touch(tcp, host.clock.nowMs());
        if (trusted) slots.trust(tcp);
      },
      onClosed: () => {
        slots.release(tcp);
        connections.delete(tcp);
      },
    });
    connections.set(tcp, connection);
  };

  const listener = await listenTcp({
    host: options.bindHost ?? config.host,
    port: options.port,
    tlsMode: config.remotingTlsMode,
    tls: config.tls === null ? null : { cert: config.tls.cert, key: config.tls.key, handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS },
    onConnection: (tcp) => {
      if (properties === null) tcp.destroy();
      else admit(tcp, properties);
    },
    onRefused: (tcp, refusal, detail) => {
      onAuthRefused(refusal);
      logger.warn({ remoteAddr: tcp.remoteAddr, reason: refusal, detail }, "remoting connection refused");
    },
    onError: (error) => logger.warn({ error: error.message }, "remoting listener error"),
  });
  const port = listener.port;
  properties = new NamesrvProperties(initialNamesrvProperties(config, port));
  const bound = properties;
  logger.debug({ host: options.bindHost ?? config.host, remotingPort: port, tlsMode: config.remotingTlsMode }, "remoting listener bound");

  let closing: Promise<void> | null = null;
  return {
    port,
    properties: bound,
    get connectionCount() {
      return slots.size;
    },
    close: () =>
      (closing ??= (async () => {
        const done = listener.close();
        for (const connection of [...connections.values()]) connection.destroy("listener closing", "debug");
        await done;
      })()),
  };
}

interface ConnectionOptions {
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly properties: NamesrvProperties;
  readonly policy: RemotingAccessPolicy;
  readonly idleMs: number;
  readonly sendBufferBytesMax: number;
  readonly onLimitHit: (limit: string) => void;
  readonly onAuthRefused: (reason: string) => void;
  readonly onRequest: (code: number) => void;
  readonly requests: RequestScheduler;
  /** Requests queued and unanswered past which one gets SYSTEM_BUSY. */
  readonly inflightMax: number;
  /** Traffic in; `trusted` once the connection made an accepted (authenticated) write. */
  readonly onActive: (trusted: boolean) => void;
  readonly onClosed: () => void;
}

/** One remoting connection: frames in, replies out, detach from the node host on close. */
class RemotingConnection {
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly connId: ConnectionId;
  private readonly log: RemotingLog;
  /** Refusal reasons already logged at warn on this connection (one line per reason). */
  private readonly refusalsLogged = new Set<string>();
  private readonly lane: RequestLane<rm.RemotingCommand>;
  private trusted = false;
  private closed = false;

  constructor(
    private readonly tcp: TcpConnection,
    private readonly options: ConnectionOptions,
  ) {
    this.log = options.logger;
    this.connId = options.host.attach({
      // Remoting clients poll; they never subscribe, so no push reaches them.
      push: () => undefined,
      closeByCore: (reason) => this.destroy(reason),
    });
    this.lane = options.requests.lane<rm.RemotingCommand>({
      run: (cmd) => this.onCommand(cmd),
      beforeVisit: () => tcp.cork(),
      afterVisit: () => tcp.uncork(),
      pause: () => tcp.pauseReading(),
      resume: () => tcp.resumeReading(),
      inflightMax: options.inflightMax,
    });
    tcp.setIdleTimeout(options.idleMs, () => this.destroy(`idle for ${options.idleMs} ms`));
    tcp.setHandlers({ data: (chunk) => this.onData(chunk), close: () => this.onClose() });
    this.log.debug({ connId: this.connId, remoteAddr: tcp.remoteAddr }, "remoting connection accepted");
  }

  /** Destroys the socket at once; the close event detaches it. */
  destroy(reason: string, level: "info" | "debug" = "info"): void {
    if (this.closed) return;
    this.log[level]({ connId: this.connId, remoteAddr: this.tcp.remoteAddr, reason }, "remoting connection closed");
    this.tcp.destroy();
  }

  private onData(chunk: Buffer): void {
    let commands: rm.RemotingCommand[];
    try {
      commands = this.decoder.push(chunk);
    } catch (error) {
      // Java closes the channel on any decode error without a reply (ROCKETMQ.md §1.1).
      this.log.warn({ connId: this.connId, remoteAddr: this.tcp.remoteAddr, error: (error as Error).message }, "remoting framing error");
      this.tcp.destroy();
      return;
    }
    for (const cmd of commands) {
      if (this.closed) return;
      // We send no requests (no NOTIFY_MIN_BROKER_ID_CHANGE), so a response matches nothing.
      if (rm.isResponse(cmd)) {
        this.log.debug({ connId: this.connId, code: cmd.code, opaque: cmd.opaque }, "remoting response ignored");
        continue;
      }
      const refusal = this.lane.offer(cmd, queuedBytesOf(cmd));
      if (refusal !== null) this.refuseBusy(cmd, refusal);
    }
    this.options.onActive(this.trusted);
  }

  /**
   * A request past an in-flight bound (the client kept sending although reading stopped): the
   * error table's answer to a limit, SYSTEM_BUSY, at once, with a remark naming the limit; a
   * oneway request is dropped, counted and logged, as nothing can be answered.
   */
  private refuseBusy(cmd: rm.RemotingCommand, refusal: OfferRefusal): void {
    this.options.onLimitHit(refusal.limit);
    const scope = refusal.limit === "QUEUED_REQUESTS_MAX" ? "on this name server" : "on one connection";
    const remark = `[OVERLOAD]system busy: at most ${refusal.max} requests may wait for a reply ${scope} (${refusal.limit}); wait for replies before sending more`;
    const level = this.refusalsLogged.has(refusal.limit) ? "debug" : "warn";
    this.refusalsLogged.add(refusal.limit);
    this.log[level]({ connId: this.connId, remoteAddr: this.tcp.remoteAddr, code: cmd.code, limit: refusal.limit, oneway: rm.isOneway(cmd) }, "remoting request refused");
    if (!rm.isOneway(cmd)) this.reply(cmd, { code: errorEntry(ErrorCode.LIMIT_EXCEEDED).remotingCode, remark });
  }

  private onCommand(cmd: rm.RemotingCommand): void {
    if (this.closed) return;
    const access = checkRemotingAccess(this.options.policy, this.tcp.remoteIp, cmd);
    if (!access.ok) {
      this.options.onAuthRefused(access.reason);
      const level = this.refusalsLogged.has(access.reason) ? "debug" : "warn";
      this.refusalsLogged.add(access.reason);
      this.log[level]({ connId: this.connId, remoteAddr: this.tcp.remoteAddr, code: cmd.code, reason: access.reason }, "remoting request refused");
      if (!rm.isOneway(cmd)) this.reply(cmd, access.spec);
      return;
    }
    // An accepted write authenticated the connection (or the port is open to writes anyway).
    if (access.writeClass !== null) this.trusted = true;
    let spec: rm.ResponseSpec | Promise<rm.ResponseSpec>;
    try {
      spec = handleRemotingRequest({ core: this.options.host, connId: this.connId, properties: this.options.properties, log: this.log }, cmd);
    } catch (error) {
      spec = this.unexpected(cmd, error);
    }
    this.options.onRequest(cmd.code);
    if (!(spec instanceof Promise)) return this.answer(cmd, spec);
    // A KV write answered once durable (bounded by KV_WRITES_WAITING_MAX); replies may overtake it.
    void spec.then(
      (settled) => this.answer(cmd, settled),
      (error: unknown) => this.answer(cmd, this.unexpected(cmd, error)),
    );
  }

  /** An unexpected failure answers like Java's catch-all, and the connection stays open. */
  private unexpected(cmd: rm.RemotingCommand, error: unknown): rm.ResponseSpec {
    if (error instanceof AssertionError) throw error;
    this.options.logger.error({ connId: this.connId, code: cmd.code, error: (error as Error).stack }, "remoting handler failed");
    return rm.systemErrorSpec(rm.clipRemark(String(error)));
  }

  private answer(cmd: rm.RemotingCommand, spec: rm.ResponseSpec): void {
    if (rm.isOneway(cmd) || this.closed) return;
    this.reply(cmd, spec);
  }

  private reply(cmd: rm.RemotingCommand, spec: rm.ResponseSpec): void {
    let frame: Buffer;
    try {
      frame = rm.encodeCommand(rm.buildResponse(cmd, spec));
    } catch (error) {
      // A reply too large for one frame (a huge topic list): say so instead of hanging the caller.
      this.log.warn({ connId: this.connId, code: cmd.code, error: (error as Error).message }, "remoting reply too large");
      frame = rm.encodeCommand(rm.buildResponse(cmd, rm.systemErrorSpec(rm.clipRemark((error as Error).message))));
    }
    this.tcp.write(frame);
    if (this.tcp.writableLength() > this.options.sendBufferBytesMax) {
      this.options.onLimitHit("REMOTING_SEND_BUFFER_BYTES_MAX");
      this.destroy(`slow reader: ${this.tcp.writableLength()} bytes unsent, at most ${this.options.sendBufferBytesMax}`);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.lane.close();
    this.options.host.detach(this.connId);
    this.options.onClosed();
  }
}

// NativeAcceptor: admits WebSocket connections as native sessions within the port's connection
// bounds (in total and per address; a full port closes its least recently active unauthenticated
// session for a new one), tracks them, and closes them all at shutdown.
import type { Config } from "../config/config.js";
import { CONNECTION_PRESSURE_RATIO, UNTRUSTED_IDLE_UNDER_PRESSURE_MS } from "../limits.js";
import { CloseCode, type Connection } from "../transport/connection.js";
import { ConnectionSlots } from "../transport/connection_slots.js";
import type { Authenticator } from "../host/auth.js";
import type { Logger } from "../host/logger.js";
import type { ServerMetrics } from "./metrics.js";
import { NativeSession, type InboundPeerAcceptor, type SessionRole } from "./native_session.js";
import type { NodeHost } from "../host/node_host.js";
import type { Scheduler } from "../model/time.js";
import { RealScheduler } from "../transport/timers.js";
import { RequestScheduler } from "../host/request_scheduler.js";

/** What the acceptor hands every session. */
export interface NativeAcceptorDeps {
  readonly config: Config;
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly auth: Authenticator;
  readonly acceptPeer: InboundPeerAcceptor;
  /** Hello timers and deferred session work; the simulator's runs in simulated time. @default real timers */
  readonly scheduler?: Scheduler;
  /**
   * Serves the sessions' requests round-robin (the server shares one with the remoting port).
   * @default one of its own, turning on `scheduler` (setImmediate without one)
   */
  readonly requests?: RequestScheduler;
}

/** Why admission closed a session, as its close reason. */
const EVICTION_REASONS = {
  idle: "closed: idle and unauthenticated while the name server is near its connection bound",
  full: "closed: the name server is at its connection bound and this connection is unauthenticated",
} as const;

/** Open native sessions, bounded in total (CONNECTIONS_MAX) and per address. */
export class NativeAcceptor {
  private readonly sessions = new Set<NativeSession>();
  private readonly byConnection = new Map<Connection, NativeSession>();
  private readonly slots: ConnectionSlots<Connection>;
  private closing = false;
  private pressureLogged = false;
  private onAllClosed: (() => void) | null = null;
  private readonly scheduler: Scheduler;
  private readonly requests: RequestScheduler;

  constructor(private readonly deps: NativeAcceptorDeps) {
    const scheduler = deps.scheduler;
    this.scheduler = scheduler ?? new RealScheduler(true);
    this.requests = deps.requests ?? new RequestScheduler({ schedule: scheduler ? (task) => void scheduler.setTimer(0, task) : (task) => void setImmediate(task) });
    const { connectionsMax, connectionsPerAddressMax } = deps.config;
    this.slots = new ConnectionSlots({
      connectionsMax,
      perAddressMax: connectionsPerAddressMax,
      pressureConnections: Math.ceil(connectionsMax * CONNECTION_PRESSURE_RATIO),
      idleUnderPressureMs: UNTRUSTED_IDLE_UNDER_PRESSURE_MS,
    });
  }

  /** Takes a new connection as a native session, or refuses it with a close code and a reason. */
  accept(connection: Connection): void {
    const { config, logger, metrics, host } = this.deps;
    if (this.closing) {
      metrics.closed("shutdown");
      return refuse(connection, CloseCode.GOING_AWAY, "name server shutting down", logger);
    }
    const ip = connection.remoteIp ?? ipOf(connection.remoteAddr);
    const admission = this.slots.admit(connection, ip, host.clock.nowMs());
    if (!admission.admitted && admission.reason === "perAddress") {
      metrics.closed("tooManyConnectionsPerAddress");
      metrics.limitHit("CONNECTIONS_PER_ADDRESS_MAX");
      const reason = `too many connections from one address: at most ${config.connectionsPerAddressMax}`;
      return refuse(connection, CloseCode.TRY_AGAIN_LATER, reason, logger);
    }
    if (!admission.admitted) {
      metrics.closed("tooManyConnections");
      metrics.limitHit("CONNECTIONS_MAX");
      return refuse(connection, CloseCode.TRY_AGAIN_LATER, `too many connections: at most ${config.connectionsMax}`, logger);
    }
    this.evict(admission.evicted);
    const helloTimer = this.scheduler.setTimer(config.helloTimeoutMs, () => session.expireHello(config.helloTimeoutMs));
    const session: NativeSession = new NativeSession(connection, {
      host,
      logger,
      limits: config,
      requests: this.requests,
      observer: metrics,
      auth: this.deps.auth,
      requirePeerCertificate: config.tls !== null && config.tls.ca !== null,
      acceptPeer: this.deps.acceptPeer,
      onActivity: (active) => {
        this.slots.touch(connection, host.clock.nowMs());
        if (active.trusted) this.slots.trust(connection);
      },
      onClosed: (closed) => {
        this.scheduler.clearTimer(helloTimer);
        this.slots.release(connection);
        this.byConnection.delete(connection);
        this.sessions.delete(closed);
        if (this.sessions.size === 0) this.onAllClosed?.();
      },
    });
    this.sessions.add(session);
    this.byConnection.set(connection, session);
    logger.debug({ connId: session.connId, remoteAddr: connection.remoteAddr }, "connection accepted");
  }

  /** Closes the sessions admission chose to make room; one warn line per episode of pressure. */
  private evict(evicted: readonly { connection: Connection; reason: "idle" | "full" }[]): void {
    const { metrics, logger, config } = this.deps;
    for (const { connection, reason } of evicted) {
      metrics.limitHit(reason === "idle" ? "UNTRUSTED_IDLE_UNDER_PRESSURE_MS" : "CONNECTIONS_MAX");
      this.byConnection.get(connection)?.closeForCapacity(EVICTION_REASONS[reason]);
    }
    if (evicted.length > 0 && !this.pressureLogged) {
      this.pressureLogged = true;
      const fields = { connections: this.slots.size, trusted: this.slots.trustedCount, connectionsMax: config.connectionsMax };
      logger.warn(fields, "native port under pressure: closing idle unauthenticated connections");
    }
    if (this.slots.size < (config.connectionsMax * CONNECTION_PRESSURE_RATIO) / 2) this.pressureLogged = false;
  }

  /** Refuses new connections, asks every session to close, and destroys those still open after `graceMs`. */
  async closeAll(graceMs: number): Promise<void> {
    this.closing = true;
    const allClosed = new Promise<void>((resolve) => {
      this.onAllClosed = resolve;
      if (this.sessions.size === 0) resolve();
    });
    for (const session of this.sessions) session.closeForShutdown();
    const graceTimer = setTimeout(() => {
      for (const session of this.sessions) session.terminate();
    }, graceMs);
    await allClosed;
    clearTimeout(graceTimer);
  }

  /** Open sessions per role ("pending" before the HELLO). */
  countRoles(): Record<SessionRole, number> {
    const counts: Record<SessionRole, number> = { pending: 0, client: 0, broker: 0, peer: 0 };
    for (const session of this.sessions) counts[session.role] += 1;
    return counts;
  }
}

/** The IP of "ip:port" or "[v6]:port". */
export function ipOf(remoteAddr: string): string {
  const colon = remoteAddr.lastIndexOf(":");
  const host = colon < 0 ? remoteAddr : remoteAddr.slice(0, colon);
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function refuse(connection: Connection, code: CloseCode, reason: string, logger: Logger): void {
  connection.setHandlers({ message: () => undefined, error: () => undefined, close: () => undefined });
  logger.warn({ remoteAddr: connection.remoteAddr, reason }, "connection refused");
  connection.close(code, reason);
}

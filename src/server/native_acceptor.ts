// NativeAcceptor: admits WebSocket connections as native sessions within the connection
// bounds (in total and per address), tracks them, and closes them all at shutdown.
import type { Config } from "../config/config.js";
import { CloseCode, type Connection } from "../transport/connection.js";
import type { Authenticator } from "../host/auth.js";
import type { Logger } from "../host/logger.js";
import type { ServerMetrics } from "./metrics.js";
import { NativeSession, type InboundPeerAcceptor, type SessionRole } from "./native_session.js";
import type { NodeHost } from "../host/node_host.js";

/** What the acceptor hands every session. */
export interface NativeAcceptorDeps {
  readonly config: Config;
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly auth: Authenticator;
  readonly acceptPeer: InboundPeerAcceptor;
}

/** Open native sessions, bounded in total (CONNECTIONS_MAX) and per address. */
export class NativeAcceptor {
  private readonly sessions = new Set<NativeSession>();
  private readonly perAddress: AddressCounter;
  private closing = false;
  private onAllClosed: (() => void) | null = null;

  constructor(private readonly deps: NativeAcceptorDeps) {
    this.perAddress = new AddressCounter(deps.config.connectionsPerAddressMax);
  }

  /** Takes a new connection as a native session, or refuses it with a close code and a reason. */
  accept(connection: Connection): void {
    const { config, logger, metrics } = this.deps;
    if (this.closing || this.sessions.size >= config.connectionsMax) {
      const reason = this.closing ? "name server shutting down" : `too many connections: at most ${config.connectionsMax}`;
      metrics.closed(this.closing ? "shutdown" : "tooManyConnections");
      refuse(connection, this.closing ? CloseCode.GOING_AWAY : CloseCode.TRY_AGAIN_LATER, reason, logger);
      return;
    }
    const ip = connection.remoteIp ?? ipOf(connection.remoteAddr);
    if (!this.perAddress.take(ip)) {
      metrics.closed("tooManyConnectionsPerAddress");
      metrics.limitHit("CONNECTIONS_PER_ADDRESS_MAX");
      const reason = `too many connections from one address: at most ${config.connectionsPerAddressMax}`;
      refuse(connection, CloseCode.TRY_AGAIN_LATER, reason, logger);
      return;
    }
    const helloTimer = setTimeout(() => session.expireHello(config.helloTimeoutMs), config.helloTimeoutMs);
    helloTimer.unref();
    const session: NativeSession = new NativeSession(connection, {
      host: this.deps.host,
      logger,
      limits: config,
      schedule: (task) => setImmediate(task),
      observer: metrics,
      auth: this.deps.auth,
      requirePeerCertificate: config.tls !== null && config.tls.ca !== null,
      acceptPeer: this.deps.acceptPeer,
      onClosed: (closed) => {
        clearTimeout(helloTimer);
        this.perAddress.release(ip);
        this.sessions.delete(closed);
        if (this.sessions.size === 0) this.onAllClosed?.();
      },
    });
    this.sessions.add(session);
    logger.debug({ connId: session.connId, remoteAddr: connection.remoteAddr }, "connection accepted");
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

/** Open connections per remote IP, bounded (CONNECTIONS_PER_ADDRESS_MAX). */
export class AddressCounter {
  private readonly counts = new Map<string, number>();
  constructor(private readonly perAddressMax: number) {}

  /** Counts one more connection from `ip`; false (and nothing counted) when at the bound. */
  take(ip: string): boolean {
    const count = this.counts.get(ip) ?? 0;
    if (count >= this.perAddressMax) return false;
    this.counts.set(ip, count + 1);
    return true;
  }

  /** Forgets one connection from `ip`. */
  release(ip: string): void {
    const count = (this.counts.get(ip) ?? 0) - 1;
    if (count <= 0) this.counts.delete(ip);
    else this.counts.set(ip, count);
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

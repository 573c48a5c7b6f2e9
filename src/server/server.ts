// startServer: wires a NameServerNode to the HTTP + WebSocket listener, the tick loop, pino,
// metrics and KV persistence. The shell is thin: every decision about cluster state is the core's.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Clock, Rng } from "../core/clock.js";
import { NameServerNode, defaultNodeOptions, type NodeOptions } from "../core/node.js";
import type { Config } from "../config/config.js";
import { HTTP_PENDING_SOCKETS_MAX, HTTP_SOCKET_IDLE_MS, SERIES_SAMPLE_MS, SHUTDOWN_GRACE_MS, TICK_GAP_MS, TICK_MS, TLS_HANDSHAKE_TIMEOUT_MS } from "../limits.js";
import type { Connection, Listener } from "../transport/connection.js";
import { listenHttpWs } from "../transport/ws_transport.js";
import { startRemotingListener } from "../remoting/remoting_server.js";
import { PeerDialer, type PeerLinkState } from "../gossip/peer_dialer.js";
import { PeerHub, type PeerLink } from "../gossip/peer_hub.js";
import { PeerDns } from "../gossip/peer_dns.js";
import { RealScheduler } from "../transport/timers.js";
import { systemResolver, type HostResolver } from "../transport/dns.js";
import { Authenticator } from "../host/auth.js";
import { randomRng, systemClock } from "./clock.js";
import { createHttpHandler } from "./http.js";
import { DashboardAssets } from "./dashboard_assets.js";
import { EventLog } from "./event_log.js";
import { SeriesRecorder } from "./series.js";
import { ClusterStatusService, digestHash, linkStateOf } from "./cluster_status.js";
import type { NodeReport } from "./dashboard_types.js";
import type { AdminRefusal, DashboardDeps } from "./http_dashboard.js";
import { KvFile } from "./kv_file.js";
import { createLogger, type Logger } from "../host/logger.js";
import { ServerMetrics } from "./metrics.js";
import { NativeAcceptor } from "./native_acceptor.js";
import type { InboundPeerAcceptor, InboundPeerHandler, InboundPeerLink } from "./native_session.js";
import { NodeHost, type PeerEffect } from "../host/node_host.js";
import { RequestScheduler } from "../host/request_scheduler.js";
import type { Frame } from "../protocol/frame.js";

export { SHUTDOWN_GRACE_MS } from "../limits.js";

/** What a remoting listener gets to work with (the RocketMQ port is another module's). */
export interface RemotingListenerContext {
  readonly config: Config;
  readonly host: NodeHost;
  readonly logger: Logger;
  /** The port to bind (0 = a free port). */
  readonly port: number;
  /** Counts refusals by a named limit. */
  readonly onLimitHit?: (limit: string) => void;
  /** Counts refusals by the access policy. */
  readonly onAuthRefused?: (reason: string) => void;
  /** Counts a handled request by its RocketMQ request code (the dashboard's series). */
  readonly onRequest?: (code: number) => void;
  /** Serves requests round-robin across the connections of both request ports. */
  readonly requests?: RequestScheduler;
}

/** Starts the RocketMQ remoting listener; injected so the server does not depend on it. */
export type RemotingListenerFactory = (context: RemotingListenerContext) => Promise<Listener>;

/** Optional collaborators of startServer; each has a production default. */
export interface ServerDeps {
  /** @default a pino JSON logger on stdout at config.logLevel */
  readonly logger?: Logger;
  /** @default the wall clock */
  readonly clock?: Clock;
  /** @default an Rng seeded from the OS (the seed is logged) */
  readonly rng?: Rng;
  /** Peer effects (messages to send, peers to dial) for the gossip shell. @default dropped */
  readonly onGossip?: (effect: PeerEffect, host: NodeHost) => void;
  /** Takes inbound peer links (the gossip shell). @default none: PEER_* get UNSUPPORTED_REQUEST */
  readonly acceptPeer?: InboundPeerAcceptor;
  /** The RocketMQ remoting listener (port config.remotingPort). @default startRemotingListener */
  readonly startRemotingListener?: RemotingListenerFactory;
  /** Directory of the built dashboard; null serves none. @default dist/dashboard beside this module */
  readonly dashboardDir?: string | null;
  /** Resolves the `peerDns` names. @default the system resolver (node:dns lookup) */
  readonly resolver?: HostResolver;
}

/** A started server. */
export interface RunningServer {
  readonly config: Config;
  /** The bound HTTP + WebSocket port. */
  readonly httpPort: number;
  /** The bound remoting port, or null when remoting is disabled or not provided. */
  readonly remotingPort: number | null;
  readonly node: NameServerNode;
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** Accepts a connection from another listener (e.g. the gossip shell's own dials) as native. */
  readonly acceptNative: (connection: Connection) => void;
  /**
   * Drains and stops (docs/operations.md, "Stopping a node"): not ready at once, the peers told
   * this node is leaving, every connection closed with "going away" (1001), listeners closed,
   * KV flushed. Idempotent; the caller bounds it (DRAIN_TIMEOUT_MS).
   */
  close(): Promise<void>;
}

/** Node options from config, over the core's defaults. */
export function nodeOptionsOf(config: Config): NodeOptions {
  return {
    ...defaultNodeOptions(config.id),
    brokerExpiryMs: config.brokerExpiryMs,
    remotingBrokerExpiryMs: config.remotingBrokerExpiryMs,
    suspicionMs: config.suspicionMs,
    startupGraceMs: config.startupGraceMs,
    peersConfigured: config.peers.length > 0 || config.peerDns.length > 0,
    topicsMax: config.topicsMax,
    brokersMax: config.brokersMax,
    orderMessageEnable: config.orderMessageEnable,
    advertiseAddr: config.advertiseAddr,
    seeds: config.peers,
  };
}

/** Starts one name server; resolves when its listeners are bound. */
export async function startServer(config: Config, deps: ServerDeps = {}): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger(config.logLevel, config.id);
  const clock = deps.clock ?? systemClock;
  const rng = deps.rng ?? seededRng(logger);
  const startedAtMs = clock.nowMs();
  const node = new NameServerNode(nodeOptionsOf(config), rng, startedAtMs);
  let kvFile: KvFile | null = null;
  let hub: PeerHub | null = null;
  const events = new EventLog(clock);
  const host: NodeHost = new NodeHost(node, clock, logger, {
    onGossip: (effect) => (deps.onGossip ? deps.onGossip(effect, host) : hub?.carryOut(effect)),
    onKvChanged: () => kvFile?.markDirty(),
    // Without --data-dir there is no disk: a KV write is acknowledged once applied.
    kvDurable: () => kvFile?.whenDurable() ?? Promise.resolve(),
    onCoreLog: (msg, fields) => events.recordLog(msg, fields),
  });
  hub = new PeerHub(host, logger);
  if (config.dataDir !== null) {
    kvFile = new KvFile(config.dataDir, () => node.kvRecords(), logger, () => clock.nowMs());
    const records = await kvFile.load();
    host.run((nowMs) => node.loadKvRecords(records, nowMs));
  }
  warnOpenAccess(config, logger);
  const auth = new Authenticator(config);
  const peerHub = hub;
  const acceptPeer = deps.acceptPeer ?? ((link: InboundPeerLink) => acceptInboundPeer(peerHub, link));
  // The metrics read the sessions at scrape time, after both exist.
  const metrics: ServerMetrics = new ServerMetrics({ node, connectionsByRole: () => sessions.countRoles(), kvDisk: () => kvFile?.status() ?? null, peerBytesOut: () => peerHub.counters.bytesOut });
  // One round-robin over the connections of both request ports: a flooder on either waits its turn.
  const requests = new RequestScheduler({ schedule: (task) => void setImmediate(task) });
  const sessions: NativeAcceptor = new NativeAcceptor({ config, host, logger, metrics, auth, acceptPeer, requests });
  let lastTickAtMs = clock.nowMs();
  const series = new SeriesRecorder(startedAtMs);
  const tickLate = (): boolean => clock.nowMs() - lastTickAtMs > TICK_GAP_MS;
  const dashboardDeps = makeDashboard(config, deps, { host, clock, auth, metrics, events, series, tickLate, startedAtMs });

  const listener = await listenHttpWs({
    host: config.host,
    port: config.port,
    frameBytesMax: config.frameBytesMax,
    onHttpRequest: createHttpHandler({
      host,
      metrics,
      logger,
      tickLate,
      checkToken: config.requireClientToken ? (token) => auth.acceptsToken(token) : null,
      dashboard: dashboardDeps.deps,
    }),
    onConnection: (connection) => sessions.accept(connection),
    onError: (error, context) => logger.warn({ context, error: error.message }, "listener error"),
    tls: config.tls === null ? null : { ...config.tls, handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS },
    pendingSockets: { max: HTTP_PENDING_SOCKETS_MAX, perAddressMax: config.connectionsPerAddressMax, idleMs: HTTP_SOCKET_IDLE_MS },
    onLimitHit: (limit) => metrics.limitHit(limit),
  });
  const remoting = await startRemoting(config, deps, host, logger, listener, metrics, requests);
  const dialer = startDialing(config, hub, { listenerPort: listener.port, clock, rng, logger, auth, metrics });
  const peerDns = startPeerDns(config, dialer, deps.resolver ?? systemResolver, logger, metrics);
  dashboardDeps.links = () => dialer.linkStates();
  dashboardDeps.selfAddr = config.advertiseAddr ?? defaultAdvertiseAddr(config.host, listener.port);

  const tick = setInterval(() => {
    lastTickAtMs = clock.nowMs();
    host.run((nowMs) => node.tick(nowMs));
  }, TICK_MS);
  const sampler = setInterval(() => {
    const reading = {
      requestsTotal: metrics.requestTotals(),
      evictionsExpiredTotal: node.counters.evictionsExpired,
      evictionsConnectionClosedTotal: node.counters.evictionsConnectionClosed,
      propagationDelaysMs: metrics.takePropagationDelays(),
      connections: sessions.countRoles(),
    };
    series.sample({ ...reading, requestsTotal: new Map(reading.requestsTotal) }, clock.nowMs());
  }, SERIES_SAMPLE_MS);
  logger.info(
    { host: config.host, httpPort: listener.port, remotingPort: remoting?.port ?? null, tls: config.tls !== null },
    "listening",
  );

  const shutdown = async (): Promise<void> => {
    const startedMs = clock.nowMs();
    clearInterval(tick);
    clearInterval(sampler);
    // Not ready from here on (every port answers NOT_READY); each peer gets this node's last
    // records and a leaving notice on every link, ahead of the closes below.
    host.run((nowMs) => node.leave(nowMs, peerHub.linkedPeerIds()));
    events.wakeAll();
    peerDns?.stop();
    // Brokers, clients and inbound peer links: close frames with GOING_AWAY, so agents and
    // route clients move on without backing off; then our own peer links and the listeners.
    await sessions.closeAll(SHUTDOWN_GRACE_MS);
    await peerHub.stop();
    await Promise.all([remoting?.close(), listener.close()]);
    if (kvFile) await kvFile.flush();
    logger.info({ drainMs: clock.nowMs() - startedMs }, "stopped");
  };
  let closing: Promise<void> | null = null;
  return {
    config,
    httpPort: listener.port,
    remotingPort: remoting?.port ?? null,
    node,
    host,
    logger,
    metrics,
    acceptNative: (connection) => sessions.accept(connection),
    close: () => (closing ??= shutdown()),
  };
}

/** An Rng seeded from the OS; the seed is logged so that a run can be replayed. */
function seededRng(logger: Logger): Rng {
  const seeded = randomRng();
  logger.debug({ seed: seeded.seed }, "rng seeded");
  return seeded.rng;
}

/** Installs the peer dialer and dials the configured seed peers. */
function startDialing(
  config: Config,
  hub: PeerHub,
  context: { listenerPort: number; clock: Clock; rng: Rng; logger: Logger; auth: Authenticator; metrics: ServerMetrics },
): PeerDialer {
  const { clock, rng, logger, auth, metrics } = context;
  const advertiseAddr = config.advertiseAddr ?? defaultAdvertiseAddr(config.host, context.listenerPort);
  const tls = config.tls === null ? null : { ca: config.tls.ca, cert: config.tls.cert, key: config.tls.key };
  const onAuthFailure = (reason: string): void => metrics.authRefused("peer", reason);
  const dialer = new PeerDialer(hub, { selfId: config.id, advertiseAddr, clock, rng, logger, auth, tls, onAuthFailure });
  hub.setDialer(dialer);
  for (const peer of config.peers) hub.carryOut({ kind: "dialPeer", addr: peer });
  return dialer;
}

/** Resolves the `peerDns` names and dials what they resolve to (none configured: null). */
function startPeerDns(config: Config, dialer: PeerDialer, resolver: HostResolver, logger: Logger, metrics: ServerMetrics): PeerDns | null {
  if (config.peerDns.length === 0) return null;
  const onLookupFailed = (name: string): void => metrics.peerDnsLookupFailed(name);
  const peerDns = new PeerDns({ names: config.peerDns, resolver, scheduler: new RealScheduler(), dialer, logger, onLookupFailed });
  peerDns.start();
  return peerDns;
}

async function startRemoting(
  config: Config,
  deps: ServerDeps,
  host: NodeHost,
  logger: Logger,
  httpListener: Listener,
  metrics: ServerMetrics,
  requests: RequestScheduler,
): Promise<Listener | null> {
  if (config.remotingPort === null) {
    logger.info({}, "remoting listener disabled");
    return null;
  }
  const start = deps.startRemotingListener ?? startRemotingListener;
  try {
    return await start({
      config,
      host,
      logger,
      port: config.remotingPort,
      onLimitHit: (limit) => metrics.limitHit(limit),
      onAuthRefused: (reason) => metrics.authRefused("remoting", reason),
      onRequest: (code) => metrics.remotingRequest(code),
      requests,
    });
  } catch (error) {
    await httpListener.close();
    throw error;
  }
}

/** Says at start what is open to anyone who reaches the ports (issue #7). */
function warnOpenAccess(config: Config, logger: Logger): void {
  if (config.clusterSecrets.length === 0) {
    logger.warn({}, "no cluster secret: anyone who reaches the HTTP port can join as a peer (set --cluster-secret-file)");
  }
  if (config.brokerTokens.length === 0) logger.info({}, "no broker tokens: any client may register brokers on the native port");
  if (config.adminTokens.length === 0) logger.info({}, "no admin tokens: any client may make admin writes on the native port");
  if (config.tls === null) logger.info({}, "no TLS: the HTTP + WebSocket port is plain text");
  if (config.remotingPort === null) return;
  const lists = config.remotingAdminAllow !== null || config.remotingBrokerAllow !== null;
  const accounts = config.remotingAclAccounts.length > 0;
  if (config.clusterSecrets.length > 0 && !lists && !accounts) {
    logger.warn({}, "cluster secret without remoting ACL accounts or allow lists: every remoting write is refused (set --remoting-acl-file)");
  } else if (config.clusterSecrets.length === 0 && !lists && !accounts) {
    logger.info({}, "remoting port open: anyone may register brokers and make admin writes on it (set --remoting-acl-file)");
  }
  if (config.remotingTlsMode === "disabled") logger.info({}, "no remoting TLS: the remoting port is plain text (--remoting-tls-mode)");
}

/** The inbound half of a peer link: frames and close go to the PeerHub. */
function acceptInboundPeer(hub: PeerHub, inbound: InboundPeerLink): InboundPeerHandler {
  const link: PeerLink = { peerId: inbound.peerId, direction: "inbound", send: (bytes) => inbound.send(bytes), close: (reason) => inbound.close(reason) };
  hub.linkUp(link, inbound.peerAddr);
  return { onFrame: (frame: Frame) => hub.onFrame(link, frame), onClose: () => hub.linkDown(link) };
}

/** What makeDashboard wires together. */
interface DashboardParts {
  readonly host: NodeHost;
  readonly clock: Clock;
  readonly auth: Authenticator;
  readonly metrics: ServerMetrics;
  readonly events: EventLog;
  readonly series: SeriesRecorder;
  readonly tickLate: () => boolean;
  readonly startedAtMs: number;
}

/** The dashboard's deps, and what is known only once the listener and the dialer exist. */
interface DashboardWiring {
  deps: DashboardDeps;
  links: () => PeerLinkState[];
  selfAddr: string | null;
}

/**
 * The dashboard's parts: the page, this node's report, the cluster status through the peer
 * dialer's links (set once the dialer exists) and the admin-token decision of a native hello.
 */
function makeDashboard(config: Config, deps: ServerDeps, parts: DashboardParts): DashboardWiring {
  const { host, clock, auth, metrics, events, series, tickLate, startedAtMs } = parts;
  const node = host.node;
  const wiring: DashboardWiring = { deps: null as unknown as DashboardDeps, links: () => [], selfAddr: config.advertiseAddr };
  const version = packageVersion();
  const report = (): NodeReport => {
    const buckets = node.digest().map(([low, high]) => hex32(high) + hex32(low));
    const counts = node.brokerCounts();
    const nowMs = clock.nowMs();
    return {
      nodeId: node.nodeId,
      version,
      advertiseAddr: wiring.selfAddr,
      ready: node.isReady(),
      degraded: node.isDegraded() || tickLate(),
      nowMs,
      uptimeMs: nowMs - startedAtMs,
      digest: digestHash(buckets),
      buckets,
      brokersLive: counts.live,
      brokersTracked: counts.tracked,
      topics: node.topicCount(),
      peers: wiring.links().map((link) => ({ addr: link.addr, peerId: link.peerId, state: linkStateOf(link.linked, link.silentMs), silentMs: link.silentMs })),
    };
  };
  const tls = config.tls === null ? undefined : { cert: config.tls.cert, key: config.tls.key, ...(config.tls.ca === null ? {} : { ca: config.tls.ca }) };
  const status = new ClusterStatusService({ host, clock, report, links: () => wiring.links(), tls });
  const dir = deps.dashboardDir === undefined ? fileURLToPath(new URL("../dashboard/", import.meta.url)) : deps.dashboardDir;
  wiring.deps = {
    events,
    series,
    status,
    report,
    assets: dir === null ? null : DashboardAssets.load(dir),
    adminRefusal: (token) => adminRefusal(auth, token),
    onAdminRefused: (reason) => metrics.authRefused("http", reason),
  };
  return wiring;
}

/** An admin write's token decided as a native hello's would be: refused, or without the admin grant. */
function adminRefusal(auth: Authenticator, token: string | null): AdminRefusal {
  const decision = auth.grantsFor("client", token);
  if (!decision.ok) {
    const message = decision.reason === "tokenInvalid" ? "the bearer token is not accepted by this node" : "this node requires a token (Authorization: Bearer <token>)";
    return { reason: decision.reason, message };
  }
  if (!decision.grants.admin) return { reason: "adminRequired", message: "admin writes need an admin token (Authorization: Bearer <admin token>)" };
  return null;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** This package's version, from package.json two folders up (dist/server or src/server). */
function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch (error) {
    return `unknown (${(error as Error).message.slice(0, 64)})`;
  }
}

/** Peers can dial us at host:port when we listen on one specific address; else advertise nothing. */
function defaultAdvertiseAddr(host: string, port: number): string | null {
  if (host === "0.0.0.0" || host === "::" || host === "") return null;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

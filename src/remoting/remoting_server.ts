// The TCP shell of the RocketMQ remoting port (default 9876): accepts sockets, splits frames with
// the codec, hands requests to remoting_handlers and writes the replies. Owns sockets, the idle
// timer and write bounds; every decision about cluster state is the core's.
import * as net from "node:net";
import { AssertionError } from "../assert.js";
import type { Config } from "../config/config.js";
import type { ConnectionId } from "../model/types.js";
import { REMOTING_FRAME_BYTES_MAX } from "../limits.js";
import * as rm from "../protocol/remoting/index.js";
import type { Logger } from "../host/logger.js";
import type { NodeHost } from "../host/node_host.js";
import type { Listener } from "../transport/connection.js";
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
  const { host, logger } = options;
  const bindHost = options.bindHost ?? options.config.host;
  const connectionsMax = options.connectionsMax ?? options.config.connectionsMax;
  const perAddressMax = options.config.connectionsPerAddressMax;
  const perAddress = new Map<string, number>();
  const policy: RemotingAccessPolicy = {
    adminAllow: options.config.remotingAdminAllow,
    brokerAllow: options.config.remotingBrokerAllow,
    aclAccounts: options.config.remotingAclAccounts,
  };
  const connections = new Set<RemotingConnection>();
  const server = net.createServer({ noDelay: true });
  let properties: NamesrvProperties | null = null;

  server.on("connection", (socket) => {
    if (connections.size >= connectionsMax || properties === null) {
      logger.warn({ remoteAddr: remoteAddrOf(socket), connectionsMax }, "remoting connection refused");
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? "unknown";
    const fromIp = perAddress.get(ip) ?? 0;
    if (fromIp >= perAddressMax) {
      options.onLimitHit?.("CONNECTIONS_PER_ADDRESS_MAX");
      logger.warn({ remoteAddr: remoteAddrOf(socket), perAddressMax }, "remoting connection refused: too many from one address");
      socket.destroy();
      return;
    }
    perAddress.set(ip, fromIp + 1);
    const connection = new RemotingConnection(socket, {
      host,
      logger,
      properties,
      policy,
      ip,
      idleMs: options.idleMs ?? REMOTING_IDLE_MS,
      sendBufferBytesMax: options.sendBufferBytesMax ?? REMOTING_SEND_BUFFER_BYTES_MAX,
      onLimitHit: options.onLimitHit ?? (() => undefined),
      onAuthRefused: options.onAuthRefused ?? (() => undefined),
      onClosed: (closed) => {
        connections.delete(closed);
        const left = (perAddress.get(ip) ?? 1) - 1;
        if (left <= 0) perAddress.delete(ip);
        else perAddress.set(ip, left);
      },
    });
    connections.add(connection);
  });
  server.on("error", (error) => logger.warn({ error: error.message }, "remoting listener error"));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen(options.port, bindHost, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  properties = new NamesrvProperties(initialNamesrvProperties(options.config, port));
  const bound = properties;
  logger.debug({ host: bindHost, remotingPort: port }, "remoting listener bound");

  let closing: Promise<void> | null = null;
  return {
    port,
    properties: bound,
    get connectionCount() {
      return connections.size;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of [...connections]) connection.destroy("listener closing");
      })),
  };
}

function remoteAddrOf(socket: net.Socket): string {
  return `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
}

interface ConnectionOptions {
  readonly host: NodeHost;
  readonly logger: Logger;
  readonly properties: NamesrvProperties;
  readonly policy: RemotingAccessPolicy;
  readonly ip: string;
  readonly idleMs: number;
  readonly sendBufferBytesMax: number;
  readonly onLimitHit: (limit: string) => void;
  readonly onAuthRefused: (reason: string) => void;
  readonly onClosed: (connection: RemotingConnection) => void;
}

/** One remoting socket: frames in, replies out, detach from the node host on close. */
class RemotingConnection {
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly connId: ConnectionId;
  private readonly remoteAddr: string;
  private readonly log: RemotingLog;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.remoteAddr = remoteAddrOf(socket);
    this.log = options.logger;
    this.connId = options.host.attach({
      // Remoting clients poll; they never subscribe, so no push reaches them.
      push: () => undefined,
      closeByCore: (reason) => this.destroy(reason),
    });
    socket.setTimeout(options.idleMs);
    socket.on("timeout", () => this.destroy(`idle for ${options.idleMs} ms`));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error: Error) => this.log.debug({ connId: this.connId, error: error.message }, "remoting socket error"));
    socket.on("close", () => this.onClose());
    this.log.debug({ connId: this.connId, remoteAddr: this.remoteAddr }, "remoting connection accepted");
  }

  /** Destroys the socket at once; the close event detaches it. */
  destroy(reason: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.log.info({ connId: this.connId, remoteAddr: this.remoteAddr, reason }, "remoting connection closed");
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let commands: rm.RemotingCommand[];
    try {
      commands = this.decoder.push(chunk);
    } catch (error) {
      // Java closes the channel on any decode error without a reply (ROCKETMQ.md §1.1).
      this.log.warn({ connId: this.connId, remoteAddr: this.remoteAddr, error: (error as Error).message }, "remoting framing error");
      this.socket.destroy();
      return;
    }
    for (const cmd of commands) {
      if (this.socket.destroyed) return;
      this.onCommand(cmd);
    }
  }

  private onCommand(cmd: rm.RemotingCommand): void {
    // We send no requests (no NOTIFY_MIN_BROKER_ID_CHANGE), so a response matches nothing.
    if (rm.isResponse(cmd)) {
      this.log.debug({ connId: this.connId, code: cmd.code, opaque: cmd.opaque }, "remoting response ignored");
      return;
    }
    const refusal = checkRemotingAccess(this.options.policy, this.options.ip, cmd);
    if (refusal) {
      this.options.onAuthRefused(refusal.reason);
      this.log.warn({ connId: this.connId, remoteAddr: this.remoteAddr, code: cmd.code, reason: refusal.reason }, "remoting request refused");
      if (!rm.isOneway(cmd)) this.reply(cmd, refusal.spec);
      return;
    }
    let spec: rm.ResponseSpec;
    try {
      spec = handleRemotingRequest(
        { core: this.options.host, connId: this.connId, properties: this.options.properties, log: this.log },
        cmd,
      );
    } catch (error) {
      if (error instanceof AssertionError) throw error;
      // An unexpected failure answers like Java's catch-all, and the connection stays open.
      this.options.logger.error({ connId: this.connId, code: cmd.code, error: (error as Error).stack }, "remoting handler failed");
      spec = rm.systemErrorSpec(rm.clipRemark(String(error)));
    }
    if (rm.isOneway(cmd)) return;
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
    this.socket.write(frame);
    if (this.socket.writableLength > this.options.sendBufferBytesMax) {
      this.options.onLimitHit("REMOTING_SEND_BUFFER_BYTES_MAX");
      this.destroy(`slow reader: ${this.socket.writableLength} bytes unsent, at most ${this.options.sendBufferBytesMax}`);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.host.detach(this.connId);
    this.options.onClosed(this);
  }
}

// One port serving HTTP and WebSocket upgrade: node:http (or node:https with TLS) + ws in
// noServer mode. The only server-side file importing 'ws'; every ws and http option is explicit.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { closeReason, TransportError, type Connection, type ConnectionHandlers, type Listener } from "./connection.js";
import { ConnectionSlots } from "./connection_slots.js";

/** A whole HTTP request must arrive within this: slowloris protection. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** Request headers must arrive within this. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** Idle keep-alive HTTP connections are closed after this. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Largest HTTP header block: routes and admin paths are short. */
export const HTTP_HEADER_BYTES_MAX = 16 * 1024;
/** A peer that does not answer our close frame is destroyed after this. */
export const WS_CLOSE_TIMEOUT_MS = 5_000;

/** TLS material and policy of the listener (PEM text). */
export interface ListenerTls {
  readonly cert: string;
  readonly key: string;
  /** CA that verifies client certificates; when set, clients are asked for one. */
  readonly ca: string | null;
  /** Refuse the TLS handshake of clients without a verified certificate. */
  readonly requireClientCert: boolean;
  /** A TLS handshake must finish within this. */
  readonly handshakeTimeoutMs: number;
}

/** What the listener needs from its owner. */
export interface HttpWsListenerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest WebSocket message; ws closes with 1009 beyond it. */
  readonly frameBytesMax: number;
  /** Plain HTTP requests (everything that is not an upgrade). */
  readonly onHttpRequest: (request: IncomingMessage, response: ServerResponse) => void;
  /** A new WebSocket connection. */
  readonly onConnection: (connection: Connection) => void;
  /** A failure outside any connection (bad HTTP from a client, failed upgrade). */
  readonly onError: (error: Error, context: string) => void;
  /** Serve HTTPS and wss:// instead of plain HTTP. @default null */
  readonly tls?: ListenerTls | null;
  /**
   * Sockets not (yet) upgraded to WebSocket: at most this many (a new one closes the oldest) and
   * `perAddressMax` from one IP, each closed after `idleMs` without traffic. Node's HTTP server
   * would keep a socket that never sends a byte open forever. @default no bound
   */
  readonly pendingSockets?: { readonly max: number; readonly perAddressMax: number; readonly idleMs: number } | null;
  /** Counts refusals by a named limit (metrics). @default none */
  readonly onLimitHit?: (limit: string) => void;
}

/** Starts the HTTP + WebSocket listener; resolves once bound. */
export async function listenHttpWs(options: HttpWsListenerOptions): Promise<Listener> {
  const httpOptions = {
    requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
    headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
    keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxHeaderSize: HTTP_HEADER_BYTES_MAX,
  };
  const tls = options.tls ?? null;
  const server: Server = tls
    ? createHttpsServer({
        ...httpOptions,
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca === null ? {} : { ca: tls.ca }),
        requestCert: tls.ca !== null,
        rejectUnauthorized: tls.requireClientCert,
        handshakeTimeout: tls.handshakeTimeoutMs,
        minVersion: "TLSv1.2",
      })
    : createServer(httpOptions);
  if (tls) {
    server.on("tlsClientError", (error: Error, socket: Duplex) => {
      options.onError(error, "tls handshake failed");
      socket.destroy();
    });
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.frameBytesMax,
    perMessageDeflate: false,
    clientTracking: false,
    skipUTF8Validation: false,
    allowSynchronousEvents: true,
  });
  if (options.pendingSockets) boundPendingSockets(server, tls !== null, options.pendingSockets, options.onLimitHit ?? (() => undefined));
  server.on("request", options.onHttpRequest);
  server.on("clientError", (error: Error, socket: Duplex) => {
    options.onError(error, "http client error");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", (error: Error) => options.onError(error, "upgrade socket error"));
    wss.handleUpgrade(request, socket, head, (ws) => {
      const tlsSocket = tls ? (request.socket as TLSSocket) : null;
      const remoteIp = request.socket.remoteAddress ?? "unknown";
      options.onConnection(new WsConnection(ws, remoteAddrOf(request), remoteIp, tlsSocket ? tlsSocket.authorized : undefined));
    });
  });
  wss.on("error", (error: Error) => options.onError(error, "websocket server error"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error: Error) => options.onError(error, "http server error"));
  return new HttpWsListener(server, wss);
}

/**
 * Bounds the sockets of `server` that are not WebSocket connections yet (for TLS: counted from the
 * end of the handshake, which TLS_HANDSHAKE_TIMEOUT_MS bounds before it): an idle timeout for
 * each (ws clears it at the upgrade), at most `perAddressMax` per IP, and the oldest closed when
 * `max` are open, so sockets held open without a request cannot fill the process's descriptors.
 */
function boundPendingSockets(server: Server, tls: boolean, bounds: { max: number; perAddressMax: number; idleMs: number }, onLimitHit: (limit: string) => void): void {
  const pending = new ConnectionSlots<Duplex>({
    connectionsMax: bounds.max,
    perAddressMax: bounds.perAddressMax,
    pressureConnections: bounds.max + 1,
    idleUnderPressureMs: bounds.idleMs,
  });
  server.timeout = bounds.idleMs;
  server.on(tls ? "secureConnection" : "connection", (socket: Duplex & { remoteAddress?: string }) => {
    const admission = pending.admit(socket, socket.remoteAddress ?? "unknown", 0);
    if (!admission.admitted) {
      onLimitHit("CONNECTIONS_PER_ADDRESS_MAX");
      socket.destroy();
      return;
    }
    for (const { connection } of admission.evicted) {
      onLimitHit("HTTP_PENDING_SOCKETS_MAX");
      connection.destroy();
    }
    socket.once("close", () => pending.release(socket));
  });
  // The upgraded socket belongs to the WebSocket connection (and the native connection bounds) now.
  server.prependListener("upgrade", (_request: IncomingMessage, socket: Duplex) => pending.release(socket));
}

class HttpWsListener implements Listener {
  readonly port: number;
  constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
  ) {
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
  }
}

function remoteAddrOf(request: IncomingMessage): string {
  const { remoteAddress, remotePort } = request.socket;
  return `${remoteAddress ?? "unknown"}:${remotePort ?? 0}`;
}

/** A ws WebSocket behind the Connection interface. */
class WsConnection implements Connection {
  private handlers: ConnectionHandlers | null = null;
  /** Events that arrived before setHandlers, replayed in order. */
  private early: Array<(handlers: ConnectionHandlers) => void> = [];
  private closeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddr: string,
    readonly remoteIp: string,
    readonly tlsAuthorized: boolean | undefined,
  ) {
    ws.binaryType = "nodebuffer";
    ws.on("message", (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      this.deliver((h) => h.message(bytes, isBinary));
    });
    ws.on("error", (error: Error & { code?: string }) => {
      this.deliver((h) => h.error(classify(error)));
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (this.closeTimer) clearTimeout(this.closeTimer);
      this.deliver((h) => h.close(code, reason.toString("utf8")));
    });
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const event of early) event(handlers);
  }

  send(bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(bytes, { binary: true, compress: false, fin: true });
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }

  // ws offers no batching of its own; its socket is the node:net one underneath.
  cork(): void {
    socketOf(this.ws)?.cork();
  }

  uncork(): void {
    socketOf(this.ws)?.uncork();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING) return;
    this.ws.close(code, closeReason(reason));
    this.closeTimer = setTimeout(() => this.ws.terminate(), WS_CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  terminate(): void {
    this.ws.terminate();
  }

  private deliver(event: (handlers: ConnectionHandlers) => void): void {
    if (this.handlers) event(this.handlers);
    else this.early.push(event);
  }
}

/** The TCP (or TLS) socket under a ws WebSocket; null once ws let go of it. */
function socketOf(ws: WebSocket): Duplex | null {
  return (ws as unknown as { _socket?: Duplex | null })._socket ?? null;
}

function classify(error: Error & { code?: string }): TransportError {
  if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
    return new TransportError("frameTooLarge", error.message, { cause: error });
  }
  if (typeof error.code === "string" && error.code.startsWith("WS_ERR_")) {
    return new TransportError("protocol", error.message, { cause: error });
  }
  return new TransportError("socket", error.message, { cause: error });
}

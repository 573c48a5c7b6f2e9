// The TCP listener of the RocketMQ remoting port: accepts sockets and, as RocketMQ's
// tls.server.mode does, tells TLS from plain text by the first byte (0x16, a TLS handshake
// record): "permissive" serves both on one port, "enforcing" refuses plain text, "disabled"
// refuses TLS. Hands every connection to its owner at accept time, before the first byte, so
// the owner's connection bounds cover sockets that never send anything.
import * as net from "node:net";
import * as tls from "node:tls";
import type { Listener } from "./connection.js";

/** First byte of a TLS record carrying a handshake (RFC 8446 §5.1, content type 22). */
export const TLS_HANDSHAKE_RECORD_BYTE = 0x16;

/** TLS on the remoting port, as RocketMQ's tls.server.mode. */
export type TcpTlsMode = "disabled" | "permissive" | "enforcing";

/** Why the listener closed a connection on its own. */
export type TcpRefusal = "plainTextRefused" | "tlsNotEnabled" | "tlsHandshakeFailed";

/** The node's certificate for TLS connections. */
export interface TcpListenerTls {
  readonly cert: string;
  readonly key: string;
  /** A TLS handshake must finish within this. */
  readonly handshakeTimeoutMs: number;
}

/** Callbacks a TCP connection delivers to its owner. */
export interface TcpConnectionHandlers {
  /** Bytes in (decrypted, for TLS). */
  data(chunk: Buffer): void;
  /** The connection is closed (either side); called exactly once. */
  close(): void;
}

/** One accepted TCP connection, plain or TLS (decided by its first byte). */
export interface TcpConnection {
  /** IP address of the remote end. */
  readonly remoteIp: string;
  /** "ip:port" of the remote end, for logs. */
  readonly remoteAddr: string;
  /** "pending" until the first byte arrived (and the TLS handshake finished). */
  readonly security: "pending" | "plain" | "tls";
  /** Installs the handlers; data arriving before this is kept. */
  setHandlers(handlers: TcpConnectionHandlers): void;
  /** Queues bytes for sending. */
  write(bytes: Buffer): void;
  /** Bytes queued but not yet written to the socket. */
  writableLength(): number;
  /** Stops reading (backpressure: the sender waits in its TCP window); bytes of a read under way may still arrive. */
  pauseReading(): void;
  /** Reads again after pauseReading. */
  resumeReading(): void;
  /** Holds writes until uncork, so many small replies leave in one system call. */
  cork(): void;
  /** Writes what cork held. */
  uncork(): void;
  /** Calls `onIdle` after `ms` with no traffic either way. */
  setIdleTimeout(ms: number, onIdle: () => void): void;
  /** Destroys the socket at once. */
  destroy(): void;
}

/** What the listener needs from its owner. */
export interface TcpListenerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tlsMode: TcpTlsMode;
  /** Required unless `tlsMode` is "disabled". */
  readonly tls: TcpListenerTls | null;
  /** A new connection, at accept time. */
  readonly onConnection: (connection: TcpConnection) => void;
  /** The listener closed `connection`: plain text on "enforcing", TLS on "disabled", a failed handshake. */
  readonly onRefused: (connection: TcpConnection, refusal: TcpRefusal, detail: string) => void;
  /** A failure of the listening socket. */
  readonly onError: (error: Error) => void;
}

/** Starts the listener; resolves once bound. */
export async function listenTcp(options: TcpListenerOptions): Promise<Listener> {
  if (options.tlsMode !== "disabled" && options.tls === null) throw new Error(`tls mode ${options.tlsMode} needs a certificate`);
  const context = options.tls === null ? null : tls.createSecureContext({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" });
  const server = net.createServer({ noDelay: true });
  server.on("connection", (socket) => {
    const connection = new SniffingConnection(socket, options, context);
    options.onConnection(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.onError(error));
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    port,
    close: () => (closing ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** A socket whose first byte decides between plain text and TLS. */
class SniffingConnection implements TcpConnection {
  readonly remoteIp: string;
  readonly remoteAddr: string;
  security: "pending" | "plain" | "tls" = "pending";
  private handlers: TcpConnectionHandlers | null = null;
  private early: Buffer[] = [];
  /** The stream the owner reads and writes: the socket, or the TLS socket over it. */
  private stream: net.Socket;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: TcpListenerOptions,
    private readonly context: tls.SecureContext | null,
  ) {
    this.stream = socket;
    this.remoteIp = socket.remoteAddress ?? "unknown";
    this.remoteAddr = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    // Errors end in close; the owner hears the close.
    socket.on("error", () => undefined);
    socket.on("close", () => this.onClose());
    socket.once("data", (first: Buffer) => this.onFirstBytes(first));
  }

  setHandlers(handlers: TcpConnectionHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const chunk of early) handlers.data(chunk);
    if (this.closed) handlers.close();
  }

  write(bytes: Buffer): void {
    if (!this.stream.destroyed) this.stream.write(bytes);
  }

  writableLength(): number {
    return this.stream.writableLength;
  }

  // The owner only pauses after bytes reached it, so `stream` is final by then (TLS or plain).
  pauseReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    if (!this.stream.destroyed) this.stream.resume();
  }

  cork(): void {
    this.stream.cork();
  }

  uncork(): void {
    this.stream.uncork();
  }

  setIdleTimeout(ms: number, onIdle: () => void): void {
    this.socket.setTimeout(ms);
    this.socket.on("timeout", onIdle);
  }

  destroy(): void {
    this.stream.destroy();
    this.socket.destroy();
  }

  private onFirstBytes(first: Buffer): void {
    const { tlsMode } = this.options;
    const isTls = first[0] === TLS_HANDSHAKE_RECORD_BYTE;
    if (isTls && (tlsMode === "disabled" || this.context === null)) {
      return this.refuse("tlsNotEnabled", "a TLS handshake on a port with TLS disabled (--remoting-tls-mode)");
    }
    if (!isTls && tlsMode === "enforcing") {
      return this.refuse("plainTextRefused", "plain text on a port that requires TLS (--remoting-tls-mode enforcing)");
    }
    if (!isTls) {
      this.security = "plain";
      this.deliver(first);
      this.socket.on("data", (chunk: Buffer) => this.deliver(chunk));
      return;
    }
    this.socket.pause();
    this.socket.unshift(first);
    this.startTls(this.context as tls.SecureContext);
  }

  private startTls(context: tls.SecureContext): void {
    const secure = new tls.TLSSocket(this.socket, { isServer: true, secureContext: context, requestCert: false });
    this.stream = secure;
    const deadlineMs = this.options.tls?.handshakeTimeoutMs ?? 0;
    const timer = setTimeout(() => this.refuse("tlsHandshakeFailed", `TLS handshake not finished within ${deadlineMs} ms`), deadlineMs);
    timer.unref();
    secure.once("secure", () => {
      clearTimeout(timer);
      this.security = "tls";
    });
    secure.on("data", (chunk: Buffer) => this.deliver(chunk));
    secure.on("error", (error: Error) => {
      clearTimeout(timer);
      if (this.security === "tls") this.destroy();
      else this.refuse("tlsHandshakeFailed", error.message);
    });
    secure.on("close", () => this.onClose());
  }

  private refuse(refusal: TcpRefusal, detail: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.options.onRefused(this, refusal, detail);
    this.destroy();
  }

  private deliver(chunk: Buffer): void {
    if (this.handlers) this.handlers.data(chunk);
    else this.early.push(chunk);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.close();
  }
}

// The client side of the transport seam: dials a node's WebSocket port and hands back a
// Connection (the same interface the server side accepts), plus ping/pong for peer links.
// With ws_transport.ts the only files that import 'ws'; every ws callback ends in a handler.
import { WebSocket, type RawData } from "ws";
import { TransportError, type Connection, type ConnectionHandlers } from "./connection.js";

/** TLS settings of a dialed connection; the server's certificate is always verified. */
export interface DialTls {
  /** CA bundle (PEM) that verifies the server; absent: the system CAs. */
  readonly ca?: string | Buffer | undefined;
  /** Client certificate chain and key (PEM), for peers that require one. */
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  /** Name to verify the server's certificate against, when it differs from the host. */
  readonly servername?: string | undefined;
}

/** How to dial. */
export interface DialOptions {
  /** "host:port" of the node's HTTP + WebSocket port. */
  readonly addr: string;
  /** Largest message accepted from the node. */
  readonly maxPayloadBytes: number;
  /** TCP connect + TLS + WebSocket upgrade must finish within this. */
  readonly handshakeTimeoutMs: number;
  /** Dial wss:// with these; absent: plain ws://. */
  readonly tls?: DialTls | undefined;
}

/** A dialed connection: a Connection that can also ping and hear pongs. */
export interface DialedConnection extends Connection {
  /** Resolves once the WebSocket is open; rejects (with a TransportError) if it never opens. */
  readonly opened: Promise<void>;
  /** Sends a WebSocket ping. */
  ping(): void;
  /** Called on every pong (link liveness). */
  onPong(handler: () => void): void;
}

/** Dials `addr`. Handlers may be set at once; events before setHandlers are buffered. */
export function dialWebSocket(options: DialOptions): DialedConnection {
  return new WsDialedConnection(options);
}

class WsDialedConnection implements DialedConnection {
  readonly remoteAddr: string;
  readonly opened: Promise<void>;
  private readonly ws: WebSocket;
  private handlers: ConnectionHandlers | null = null;
  private early: Array<(handlers: ConnectionHandlers) => void> = [];
  private pongHandler: (() => void) | null = null;

  constructor(options: DialOptions) {
    this.remoteAddr = options.addr;
    const tls = options.tls;
    // Explicit options (STYLE §5): bounded payload, no compression, bounded handshake.
    this.ws = new WebSocket(`${tls ? "wss" : "ws"}://${options.addr}/`, {
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      handshakeTimeout: options.handshakeTimeoutMs,
      followRedirects: false,
      ...(tls ? tlsOptions(tls) : {}),
    });
    this.ws.binaryType = "nodebuffer";
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("close", () => reject(new TransportError("socket", `connection to ${options.addr} closed before it opened`)));
    });
    // A dial that never opens is reported through the close handler too; nobody need await it.
    this.opened.catch(() => undefined);
    this.ws.on("message", (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.deliver((h) => h.message(bytes, isBinary));
    });
    this.ws.on("error", (error: Error & { code?: string }) => this.deliver((h) => h.error(classify(error))));
    this.ws.on("close", (code: number, reason: Buffer) => this.deliver((h) => h.close(code, reason.toString("utf8"))));
    this.ws.on("pong", () => this.pongHandler?.());
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const event of early) event(handlers);
  }

  send(bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(bytes, { binary: true, compress: false, fin: true }, (error) => {
      if (error) this.deliver((h) => h.error(new TransportError("socket", `send to ${this.remoteAddr} failed: ${error.message}`, { cause: error })));
    });
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, asciiReason(reason));
    else if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  onPong(handler: () => void): void {
    this.pongHandler = handler;
  }

  private deliver(event: (handlers: ConnectionHandlers) => void): void {
    if (this.handlers) event(this.handlers);
    else this.early.push(event);
  }
}

function tlsOptions(tls: DialTls): Record<string, unknown> {
  return {
    rejectUnauthorized: true,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  };
}

/** A close reason is at most 123 bytes; keep it printable ASCII so slicing is safe. */
function asciiReason(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
}

function classify(error: Error & { code?: string }): TransportError {
  if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") return new TransportError("frameTooLarge", error.message, { cause: error });
  if (typeof error.code === "string" && error.code.startsWith("WS_ERR_")) return new TransportError("protocol", error.message, { cause: error });
  if (typeof error.code === "string" && /CERT|SELF_SIGNED|TLS|SSL/.test(error.code)) return new TransportError("tls", error.message, { cause: error });
  return new TransportError("socket", error.message, { cause: error });
}

// A bounded JSON GET over HTTP or HTTPS: how a node asks its peers for their status (the
// dashboard's cluster view) and how `namesrv status` asks a node. Every option explicit: a
// deadline for the whole exchange, a cap on the answer, the server's certificate verified.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { ConnectionClosedError, LimitExceededError, ProtocolError, TimeoutError } from "../errors.js";
import type { DialTls } from "./ws_dialer.js";

/** One GET. */
export interface JsonGetOptions {
  /** "host:port" of a node's HTTP port. */
  readonly addr: string;
  /** Path and query, starting with "/". */
  readonly path: string;
  /** HTTPS with these (the server's certificate is verified); absent: plain HTTP. */
  readonly tls?: DialTls | undefined;
  /** Sent as `Authorization: Bearer <token>` (never logged). */
  readonly token?: string | undefined;
  /** The whole exchange (connect, TLS, answer) must finish within this. */
  readonly timeoutMs: number;
  /** Largest answer body taken. */
  readonly bytesMax: number;
}

/** An answer: its status and parsed JSON body. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * GETs JSON. Rejects with TimeoutError past the deadline, ConnectionClosedError when the
 * connection fails, LimitExceededError for a body over `bytesMax`, ProtocolError for one that
 * is not JSON. Any status resolves: the caller reads error bodies too.
 */
export function getJson(options: JsonGetOptions): Promise<JsonAnswer> {
  const { host, port } = splitAddr(options.addr);
  const tls = options.tls;
  const send = tls ? httpsRequest : httpRequest;
  return new Promise<JsonAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, answer?: JsonAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(answer as JsonAnswer);
    };
    const request = send({
      host,
      port,
      path: options.path,
      method: "GET",
      headers: { accept: "application/json", ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) },
      agent: false,
      ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername ?? (isIp(host) ? undefined : host) } : {}),
    });
    const timer = setTimeout(
      () => finish(new TimeoutError(`GET ${options.path.slice(0, 64)} on ${options.addr} got no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on("error", (error) => finish(new ConnectionClosedError(`GET on ${options.addr} failed: ${error.message}`, { cause: error })));
    request.on("response", (response: IncomingMessage) => readBody(response, options, finish));
    request.end();
  });
}

function readBody(response: IncomingMessage, options: JsonGetOptions, finish: (error: Error | null, answer?: JsonAnswer) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  response.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > options.bytesMax) {
      finish(new LimitExceededError("STATUS_ANSWER_BYTES_MAX", `answer from ${options.addr} exceeds ${options.bytesMax} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  response.on("error", (error) => finish(new ConnectionClosedError(`answer from ${options.addr} failed: ${error.message}`, { cause: error })));
  response.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      finish(null, { status: response.statusCode ?? 0, body: text === "" ? null : (JSON.parse(text) as unknown) });
    } catch (error) {
      finish(new ProtocolError(`answer from ${options.addr} is not JSON (status ${response.statusCode})`, { cause: error }));
    }
  });
}

/** "host:port" or "[v6]:port" -> host and port. */
function splitAddr(addr: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr);
  if (!match) throw new ProtocolError(`address must be host:port, got '${addr.slice(0, 64)}'`);
  return { host: match[1] as string, port: Number(match[2]) };
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(":");
}

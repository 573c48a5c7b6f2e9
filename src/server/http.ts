// HTTP admin and health endpoints on the native port: /healthz, /readyz, /metrics and the
// read-only JSON API under /v1. routeHttp is plain request -> response, testable without sockets.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AssertionError } from "../assert.js";
import { errorEntry, InternalError, InvalidArgumentError, NotFoundError, NsError, UnauthorizedError } from "../errors.js";
import { decodeKvKey, decodeKvList } from "../protocol/messages/admin.js";
import { decodeGetRoute, decodeGetTopics } from "../protocol/messages/query.js";
import type { Logger } from "../host/logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { NodeHost } from "../host/node_host.js";

/** An HTTP answer before it is written. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the HTTP handlers read. */
export interface HttpDeps {
  readonly host: NodeHost;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** True when the tick loop has not run for longer than it should (the node is stalled). */
  readonly tickLate: () => boolean;
  /**
   * With `requireClientToken`: checks the bearer token of /v1 reads (health, readiness and
   * metrics stay open for probes and scrapers). @default null: /v1 is open
   */
  readonly checkToken?: ((token: string) => boolean) | null;
}

const JSON_TYPE = "application/json; charset=utf-8";

type Route = (deps: HttpDeps, params: readonly string[], query: URLSearchParams) => HttpAnswer | Promise<HttpAnswer>;

/** Path pattern (segments, "*" = one parameter) -> handler, with a metrics label. */
const ROUTES: ReadonlyArray<{ readonly label: string; readonly pattern: readonly string[]; readonly handle: Route }> = [
  { label: "/healthz", pattern: ["healthz"], handle: healthz },
  { label: "/readyz", pattern: ["readyz"], handle: readyz },
  { label: "/metrics", pattern: ["metrics"], handle: metrics },
  { label: "/v1/routes", pattern: ["v1", "routes", "*"], handle: route },
  { label: "/v1/cluster", pattern: ["v1", "cluster"], handle: cluster },
  { label: "/v1/topics", pattern: ["v1", "topics"], handle: topics },
  { label: "/v1/kv/namespace", pattern: ["v1", "kv", "*"], handle: kvNamespace },
  { label: "/v1/kv/key", pattern: ["v1", "kv", "*", "*"], handle: kvKey },
];

/** Answers one request; never throws for bad input (it becomes a 4xx JSON error). */
export async function routeHttp(
  method: string,
  rawUrl: string,
  deps: HttpDeps,
  authorization: string | null = null,
): Promise<{ label: string; answer: HttpAnswer }> {
  let label = "unknown";
  try {
    const url = new URL(rawUrl, "http://localhost");
    const segments = splitPath(url.pathname);
    const match = matchRoute(segments);
    if (!match) throw new NotFoundError(`no such path '${url.pathname}'`);
    label = match.label;
    if (method !== "GET" && method !== "HEAD") {
      return { label, answer: { ...errorAnswer(405, "METHOD_NOT_ALLOWED", `method ${method} not allowed`), headers: { allow: "GET, HEAD" } } };
    }
    if (label.startsWith("/v1/") && deps.checkToken) checkBearer(authorization, deps.checkToken);
    return { label, answer: await match.handle(deps, match.params, url.searchParams) };
  } catch (error) {
    const nsError = asNsError(error);
    const status = errorEntry(nsError.code).httpStatus;
    const level = status >= 500 ? "error" : "info";
    deps.logger[level]({ method, url: rawUrl.slice(0, 256), status, error: nsError.message }, "http request refused");
    return { label, answer: errorAnswer(status, nameOf(nsError.code), nsError.message, nsError.code) };
  }
}

/** The node:http request listener. */
export function createHttpHandler(deps: HttpDeps): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const method = request.method ?? "GET";
    routeHttp(method, request.url ?? "/", deps, request.headers.authorization ?? null)
      .then(({ label, answer }) => {
        deps.metrics.http(label, answer.status);
        const body = Buffer.from(answer.body, "utf8");
        response.writeHead(answer.status, {
          "content-type": answer.contentType,
          "content-length": body.length,
          "cache-control": "no-store",
          ...answer.headers,
        });
        response.end(method === "HEAD" ? undefined : body);
      })
      .catch((error: unknown) => {
        deps.logger.error({ error: (error as Error).message }, "http response failed");
        response.destroy();
      });
  };
}

// ---- Handlers ------------------------------------------------------------------------------

function healthz({ host, tickLate }: HttpDeps): HttpAnswer {
  const degraded = host.node.isDegraded() || tickLate();
  return json(200, { status: degraded ? "degraded" : "ok", nodeId: host.node.nodeId });
}

function readyz({ host }: HttpDeps): HttpAnswer {
  const ready = host.node.isReady();
  return json(ready ? 200 : 503, { ready, nodeId: host.node.nodeId });
}

async function metrics({ metrics: registry }: HttpDeps): Promise<HttpAnswer> {
  return { status: 200, contentType: registry.contentType, body: await registry.text() };
}

function route({ host }: HttpDeps, [topic]: readonly string[]): HttpAnswer {
  const request = decodeGetRoute({ topic });
  return json(200, host.node.query({ kind: "route", topic: request.topic }));
}

function cluster({ host }: HttpDeps): HttpAnswer {
  return json(200, host.node.query({ kind: "clusterInfo" }));
}

function topics({ host }: HttpDeps, _params: readonly string[], query: URLSearchParams): HttpAnswer {
  const request = decodeGetTopics({ clusterName: query.get("cluster") ?? undefined });
  return json(200, { topics: host.node.query({ kind: "topics", clusterName: request.clusterName }) });
}

function kvNamespace({ host }: HttpDeps, [namespace]: readonly string[]): HttpAnswer {
  const request = decodeKvList({ namespace });
  return json(200, { namespace: request.namespace, table: host.node.query({ kind: "kvList", namespace: request.namespace }) });
}

function kvKey({ host }: HttpDeps, [namespace, key]: readonly string[]): HttpAnswer {
  const { namespace: ns, key: k } = decodeKvKey({ namespace, key });
  return json(200, { namespace: ns, key: k, value: host.node.query({ kind: "kvGet", namespace: ns, key: k }) });
}

// ---- Helpers -------------------------------------------------------------------------------

/** `Authorization: Bearer <token>` must carry a token the node accepts (never quoted back). */
function checkBearer(authorization: string | null, checkToken: (token: string) => boolean): void {
  const match = authorization === null ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new UnauthorizedError("this node requires 'Authorization: Bearer <token>' on /v1");
  if (!checkToken(match[1] as string)) throw new UnauthorizedError("the bearer token is not accepted by this node");
}

function splitPath(pathname: string): string[] {
  const parts = pathname.split("/").filter((part, index, all) => !(part === "" && (index === 0 || index === all.length - 1)));
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch (error) {
      throw new InvalidArgumentError(`'path' segment must be valid percent-encoding, got '${part.slice(0, 64)}'`, { cause: error });
    }
  });
}

function matchRoute(segments: readonly string[]): { label: string; handle: Route; params: string[] } | null {
  for (const candidate of ROUTES) {
    if (candidate.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const fits = candidate.pattern.every((part, index) => {
      const segment = segments[index] as string;
      if (part === "*") params.push(segment);
      return part === "*" || part === segment;
    });
    if (fits) return { label: candidate.label, handle: candidate.handle, params };
  }
  return null;
}

function json(status: number, value: unknown): HttpAnswer {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) };
}

function errorAnswer(status: number, name: string, message: string, code: number | null = null): HttpAnswer {
  return json(status, { error: { code, name, message } });
}

function nameOf(code: number): string {
  return errorEntry(code).name;
}

function asNsError(error: unknown): NsError {
  if (error instanceof NsError) return error;
  if (error instanceof AssertionError) throw error;
  return new InternalError(`unexpected failure: ${(error as Error).message ?? String(error)}`, { cause: error });
}

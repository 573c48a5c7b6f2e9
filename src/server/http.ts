// HTTP on the native port: /healthz, /readyz, /metrics, the read-only JSON API under /v1, the
// operator APIs and admin writes of the dashboard, and the dashboard page itself at /.
// routeHttp is plain request -> response, testable without sockets.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AssertionError } from "../assert.js";
import { ErrorCode, errorEntry, InternalError, InvalidArgumentError, NotFoundError, NsError, UnauthorizedError } from "../errors.js";
import { ADMIN_BODY_BYTES_MAX } from "../limits.js";
import { decodeKvKey, decodeKvList } from "../protocol/messages/admin.js";
import { decodeGetRoute, decodeGetTopics } from "../protocol/messages/query.js";
import type { Logger } from "../host/logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { NodeHost } from "../host/node_host.js";
import { adminWrite } from "./http_admin.js";
import { EMPTY_REQUEST, errorAnswer, json, type HttpAnswer, type HttpRequestInfo } from "./http_answer.js";
import * as dashboardRoutes from "./http_dashboard.js";
import type { DashboardDeps, ReadContext } from "./http_dashboard.js";

export type { HttpAnswer, HttpRequestInfo } from "./http_answer.js";

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
  /** The dashboard's page, operator APIs and admin writes. @default absent: those paths answer 404 */
  readonly dashboard?: DashboardDeps | null;
}

type Route = (deps: HttpDeps, params: readonly string[], query: URLSearchParams, request: HttpRequestInfo) => HttpAnswer | Promise<HttpAnswer>;

/** A dashboard read: needs the dashboard deps. */
function viaDashboard(handle: (context: ReadContext) => HttpAnswer | Promise<HttpAnswer>): Route {
  return (deps, params, query, request) => {
    if (!deps.dashboard) throw new NotFoundError("this node serves no dashboard");
    return handle({ host: deps.host, dashboard: deps.dashboard, params, query, request });
  };
}

const adminRoute: Route = (deps, [name], _query, request) => {
  if (!deps.dashboard) throw new NotFoundError("this node serves no dashboard");
  return adminWrite(deps.host, deps.dashboard, name as string, request);
};

/** One route: path pattern (segments, "*" = one parameter), method, handler, metrics label. */
interface RouteEntry {
  readonly label: string;
  readonly pattern: readonly string[];
  /** GET routes also answer HEAD. */
  readonly method: "GET" | "POST";
  readonly handle: Route;
}

const d = dashboardRoutes;
const ROUTES: readonly RouteEntry[] = [
  { label: "/", pattern: [], method: "GET", handle: viaDashboard(d.asset) },
  { label: "/assets", pattern: ["assets", "*"], method: "GET", handle: viaDashboard(d.asset) },
  { label: "/healthz", pattern: ["healthz"], method: "GET", handle: healthz },
  { label: "/readyz", pattern: ["readyz"], method: "GET", handle: readyz },
  { label: "/metrics", pattern: ["metrics"], method: "GET", handle: metrics },
  { label: "/v1/routes", pattern: ["v1", "routes", "*"], method: "GET", handle: route },
  { label: "/v1/cluster", pattern: ["v1", "cluster"], method: "GET", handle: cluster },
  { label: "/v1/topics", pattern: ["v1", "topics"], method: "GET", handle: topics },
  { label: "/v1/topics/search", pattern: ["v1", "topics", "search"], method: "GET", handle: viaDashboard(d.topicSearch) },
  { label: "/v1/kv", pattern: ["v1", "kv"], method: "GET", handle: viaDashboard(d.kvNamespaces) },
  { label: "/v1/kv/namespace", pattern: ["v1", "kv", "*"], method: "GET", handle: kvNamespace },
  { label: "/v1/kv/key", pattern: ["v1", "kv", "*", "*"], method: "GET", handle: kvKey },
  { label: "/v1/node", pattern: ["v1", "node"], method: "GET", handle: viaDashboard(d.nodeReport) },
  { label: "/v1/node/records", pattern: ["v1", "node", "records"], method: "GET", handle: viaDashboard(d.nodeRecords) },
  { label: "/v1/status", pattern: ["v1", "status"], method: "GET", handle: viaDashboard(d.clusterStatus) },
  { label: "/v1/status/routes", pattern: ["v1", "status", "routes", "*"], method: "GET", handle: viaDashboard(d.routesAcross) },
  { label: "/v1/brokers", pattern: ["v1", "brokers"], method: "GET", handle: viaDashboard(d.brokers) },
  { label: "/v1/events", pattern: ["v1", "events"], method: "GET", handle: viaDashboard(d.events) },
  { label: "/v1/series", pattern: ["v1", "series"], method: "GET", handle: viaDashboard(d.series) },
  { label: "/v1/admin", pattern: ["v1", "admin", "*"], method: "POST", handle: adminRoute },
];

/** Answers one request; never throws for bad input (it becomes a 4xx JSON error). */
export async function routeHttp(
  method: string,
  rawUrl: string,
  deps: HttpDeps,
  authorization: string | null = null,
  info: Partial<HttpRequestInfo> = {},
): Promise<{ label: string; answer: HttpAnswer }> {
  let label = "unknown";
  const request: HttpRequestInfo = { ...EMPTY_REQUEST, authorization, ...info };
  try {
    const url = new URL(rawUrl, "http://localhost");
    const segments = splitPath(url.pathname);
    const match = matchRoute(segments);
    if (!match) throw new NotFoundError(`no such path '${url.pathname}'`);
    label = match.route.label;
    const allowed = match.route.method === "GET" ? ["GET", "HEAD"] : [match.route.method];
    if (!allowed.includes(method)) {
      return { label, answer: { ...errorAnswer(405, "METHOD_NOT_ALLOWED", `method ${method} not allowed`), headers: { allow: allowed.join(", ") } } };
    }
    if (label.startsWith("/v1/") && deps.checkToken) checkBearer(request.authorization, deps.checkToken);
    return { label, answer: await match.route.handle(deps, match.params, url.searchParams, request) };
  } catch (error) {
    const nsError = asNsError(error);
    const status = errorEntry(nsError.code).httpStatus;
    // KV_NOT_DURABLE: the KV file logs when its failure starts and ends, not once per request.
    const level = nsError.code === ErrorCode.KV_NOT_DURABLE ? "debug" : status >= 500 ? "error" : "info";
    deps.logger[level]({ method, url: rawUrl.slice(0, 256), status, error: nsError.message }, "http request refused");
    return { label, answer: errorAnswer(status, nameOf(nsError.code), nsError.message, nsError.code) };
  }
}

/** The node:http request listener. */
export function createHttpHandler(deps: HttpDeps): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const method = request.method ?? "GET";
    readBody(request, method === "POST" ? ADMIN_BODY_BYTES_MAX : 0)
      .then((body) => {
        if (body === TOO_LARGE) {
          return { label: "unknown", answer: errorAnswer(413, "FRAME_TOO_LARGE", `request body exceeds ${ADMIN_BODY_BYTES_MAX} bytes`) };
        }
        const info: HttpRequestInfo = {
          authorization: request.headers.authorization ?? null,
          body,
          contentType: request.headers["content-type"] ?? null,
          origin: request.headers.origin ?? null,
          hostHeader: request.headers.host ?? null,
        };
        return routeHttp(method, request.url ?? "/", deps, info.authorization, info);
      })
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

const TOO_LARGE = Symbol("too large");

/** The body as UTF-8 (null when empty), or TOO_LARGE past `bytesMax` (0: any body is too large). */
function readBody(request: IncomingMessage, bytesMax: number): Promise<string | null | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bytesMax) over = true;
      else chunks.push(chunk);
    });
    request.on("end", () => resolve(over ? TOO_LARGE : bytes === 0 ? null : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
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

function matchRoute(segments: readonly string[]): { route: RouteEntry; params: string[] } | null {
  for (const candidate of ROUTES) {
    if (candidate.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const fits = candidate.pattern.every((part, index) => {
      const segment = segments[index] as string;
      if (part === "*") params.push(segment);
      return part === "*" || part === segment;
    });
    if (fits) return { route: candidate, params };
  }
  return null;
}

function nameOf(code: number): string {
  return errorEntry(code).name;
}

function asNsError(error: unknown): NsError {
  if (error instanceof NsError) return error;
  if (error instanceof AssertionError) throw error;
  return new InternalError(`unexpected failure: ${(error as Error).message ?? String(error)}`, { cause: error });
}

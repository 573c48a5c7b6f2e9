// Admin writes over HTTP for the dashboard: wipe and add a broker name's write permission, put
// and delete KV entries. Each calls the same core method the native admin request does, after
// the same token decision a native hello gets (an admin token where the node has admin tokens),
// with the body checked by the native decoders. Browser forgery is refused: a write must be a
// JSON POST, and a browser's Origin must be this node's own.
import { InvalidArgumentError, UnauthorizedError, quote } from "../errors.js";
import { decodeKvKey, decodeKvPut, decodeWritePerm } from "../protocol/messages/admin.js";
import type { NodeHost } from "../host/node_host.js";
import type { DashboardDeps } from "./http_dashboard.js";
import { bearerToken, json, type HttpAnswer, type HttpRequestInfo } from "./http_answer.js";

/** One admin write: decode the body, call the core, answer (KV writes once durable). */
type Write = (host: NodeHost, body: unknown) => unknown;

/** Admin write paths (under /v1/admin/) -> what they do. */
export const ADMIN_WRITES: Readonly<Record<string, Write>> = {
  "wipe-write-perm": (host, body) => {
    const { brokerName } = decodeWritePerm(body);
    return { count: host.run((nowMs) => host.node.wipeWritePerm(brokerName, nowMs)) };
  },
  "add-write-perm": (host, body) => {
    const { brokerName } = decodeWritePerm(body);
    return { count: host.run((nowMs) => host.node.addWritePerm(brokerName, nowMs)) };
  },
  "kv-put": (host, body) => {
    const { namespace, key, value } = decodeKvPut(body);
    return host.writeKv((nowMs) => host.node.kvPut(namespace, key, value, nowMs)).then(() => ({}));
  },
  "kv-delete": (host, body) => {
    const { namespace, key } = decodeKvKey(body);
    return host.writeKv((nowMs) => host.node.kvDelete(namespace, key, nowMs)).then(() => ({}));
  },
};

/** POST /v1/admin/<write>: checks origin, content type and token, then writes. */
export async function adminWrite(host: NodeHost, dashboard: DashboardDeps, name: string, request: HttpRequestInfo): Promise<HttpAnswer> {
  const write = ADMIN_WRITES[name];
  if (!write) throw InvalidArgumentError.format("path", `must name an admin write (${Object.keys(ADMIN_WRITES).join("|")})`, name);
  checkSameOrigin(request);
  const refusal = dashboard.adminRefusal(bearerToken(request.authorization));
  if (refusal !== null) {
    dashboard.onAdminRefused?.(refusal.reason);
    throw new UnauthorizedError(refusal.message);
  }
  if (!/^application\/json\b/i.test(request.contentType ?? "")) {
    throw InvalidArgumentError.format("content-type", "must be application/json", request.contentType ?? "");
  }
  return json(200, await write(host, parseBody(request.body)));
}

/**
 * A browser names the page's origin in `Origin`; it must be this node (same host and port),
 * or another site's page could make the operator's browser write. Tools send no Origin.
 */
export function checkSameOrigin(request: HttpRequestInfo): void {
  if (request.origin === null) return;
  let host: string | null = null;
  try {
    host = new URL(request.origin).host;
  } catch {
    host = null;
  }
  if (host === null || request.hostHeader === null || host !== request.hostHeader.toLowerCase()) {
    throw new UnauthorizedError(`admin writes from another origin are refused, got origin ${JSON.stringify(request.origin.slice(0, 64))}`);
  }
}

function parseBody(text: string | null): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text ?? "");
  } catch (error) {
    throw new InvalidArgumentError(`'body' must be a JSON object, got ${quote(text ?? "")}`, { cause: error });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw InvalidArgumentError.format("body", "must be a JSON object", text ?? "");
  return body;
}

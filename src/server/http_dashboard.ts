// The read-only operator APIs under /v1 the dashboard is built on (usable without it): this
// node's report and digest records, the cluster status through this node, broker details,
// topic search, KV namespaces, the events long poll, the series of the last 15 minutes, and a
// topic's route as each node answers it. Query parameters are validated, every list bounded.
import { InvalidArgumentError, NotFoundError } from "../errors.js";
import {
  BROKER_DETAILS_MAX,
  DIFF_BUCKETS_MAX,
  DIGEST_BUCKETS,
  DIGEST_ENTRIES_MAX,
  EVENTS_PER_ANSWER_MAX,
  EVENTS_WAIT_MS_MAX,
  KV_NAMESPACES_LISTED_MAX,
  SERIES_SAMPLE_MS,
  TOPIC_NAME_CHARS_MAX,
  TOPIC_SEARCH_RESULTS_MAX,
} from "../limits.js";
import { decodeGetRoute } from "../protocol/messages/query.js";
import type { NodeHost } from "../host/node_host.js";
import type { ClusterStatusService } from "./cluster_status.js";
import type { BrokersAnswer, EventsAnswerBody, NodeRecords, NodeReport, SeriesAnswer } from "./dashboard_types.js";
import type { DashboardAssets } from "./dashboard_assets.js";
import { EVENT_KINDS, type EventKind, type EventLog } from "./event_log.js";
import { bearerToken, json, type HttpAnswer, type HttpRequestInfo } from "./http_answer.js";
import type { SeriesRecorder } from "./series.js";

/** Why an admin write is refused, or null when the token may write. */
export type AdminRefusal = { readonly reason: string; readonly message: string } | null;

/** What the operator APIs and the page need from the server. */
export interface DashboardDeps {
  readonly events: EventLog;
  readonly series: SeriesRecorder;
  readonly status: ClusterStatusService;
  /** This node's report (GET /v1/node). */
  readonly report: () => NodeReport;
  /** The built page, or null when `npm run build` did not build it. */
  readonly assets: DashboardAssets | null;
  /** Decides an admin write's bearer token as a native hello's would be (docs/security.md). */
  readonly adminRefusal: (token: string | null) => AdminRefusal;
  /** Counts a refused admin write (metrics). */
  readonly onAdminRefused?: (reason: string) => void;
}

/** A read handler's inputs. */
export interface ReadContext {
  readonly host: NodeHost;
  readonly dashboard: DashboardDeps;
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly request: HttpRequestInfo;
}

/** GET /v1/node */
export function nodeReport({ dashboard }: ReadContext): HttpAnswer {
  return json(200, dashboard.report());
}

/** GET /v1/node/records?buckets=1,2,3 */
export function nodeRecords({ host, query }: ReadContext): HttpAnswer {
  const buckets = bucketsParam(query.get("buckets"));
  const entries = host.node.digestEntries(buckets, DIGEST_ENTRIES_MAX + 1);
  const answer: NodeRecords = { nodeId: host.node.nodeId, entries: entries.slice(0, DIGEST_ENTRIES_MAX), truncated: entries.length > DIGEST_ENTRIES_MAX };
  return json(200, answer);
}

/** GET /v1/status */
export async function clusterStatus({ dashboard, request }: ReadContext): Promise<HttpAnswer> {
  return json(200, await dashboard.status.status(bearerToken(request.authorization) ?? undefined));
}

/** GET /v1/status/routes/<topic> */
export async function routesAcross({ dashboard, params, request }: ReadContext): Promise<HttpAnswer> {
  const { topic } = decodeGetRoute({ topic: params[0] });
  return json(200, await dashboard.status.routes(topic, bearerToken(request.authorization) ?? undefined));
}

/** GET /v1/brokers[?limit=n] */
export function brokers({ host, query }: ReadContext): HttpAnswer {
  const limit = intParam(query, "limit", 1, BROKER_DETAILS_MAX, BROKER_DETAILS_MAX);
  const nowMs = host.clock.nowMs();
  const found = host.node.query({ kind: "brokers", nowMs, limit });
  const answer: BrokersAnswer = { nodeId: host.node.nodeId, ...found, truncated: found.total > found.brokers.length };
  return json(200, answer);
}

/** GET /v1/topics/search?q=text[&limit=n] */
export function topicSearch({ host, query }: ReadContext): HttpAnswer {
  const text = query.get("q") ?? "";
  if (text.length > TOPIC_NAME_CHARS_MAX) throw InvalidArgumentError.format("q", `must be at most ${TOPIC_NAME_CHARS_MAX} chars`, text);
  const limit = intParam(query, "limit", 1, TOPIC_SEARCH_RESULTS_MAX, TOPIC_SEARCH_RESULTS_MAX);
  return json(200, host.node.query({ kind: "topicSearch", text, limit }));
}

/** GET /v1/kv */
export function kvNamespaces({ host }: ReadContext): HttpAnswer {
  return json(200, host.node.query({ kind: "kvNamespaces", limit: KV_NAMESPACES_LISTED_MAX }));
}

/** GET /v1/events[?after=seq][&waitMs=n][&kinds=a,b][&limit=n]: a long poll when waitMs > 0. */
export async function events({ host, dashboard, query }: ReadContext): Promise<HttpAnswer> {
  const after = intParam(query, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const waitMs = intParam(query, "waitMs", 0, EVENTS_WAIT_MS_MAX, 0);
  const limit = intParam(query, "limit", 1, EVENTS_PER_ANSWER_MAX, EVENTS_PER_ANSWER_MAX);
  const kinds = kindsParam(query.get("kinds"));
  let answer = dashboard.events.since(after, kinds, limit);
  if (answer.events.length === 0 && waitMs > 0) {
    // Wake on any new event; a filtered poll that got none of its kinds answers empty and is asked again.
    await dashboard.events.wait(answer.lastSeq > after ? answer.lastSeq : after, waitMs);
    answer = dashboard.events.since(after, kinds, limit);
  }
  const body: EventsAnswerBody = { nodeId: host.node.nodeId, ...answer };
  return json(200, body);
}

/** GET /v1/series[?since=ms] */
export function series({ host, dashboard, query }: ReadContext): HttpAnswer {
  const since = query.get("since") === null ? null : intParam(query, "since", 0, Number.MAX_SAFE_INTEGER, 0);
  const answer: SeriesAnswer = { nodeId: host.node.nodeId, sampleMs: SERIES_SAMPLE_MS, samples: dashboard.series.samples(since) };
  return json(200, answer);
}

/** GET / and GET /assets/<file>: the built page (open: it holds no data; its API calls carry the tokens). */
export function asset({ dashboard, params }: ReadContext): HttpAnswer {
  const assets = dashboard.assets;
  if (assets === null) throw new NotFoundError("the dashboard is not built on this node (npm run build builds it into dist/dashboard)");
  return assets.answer(params.length === 0 ? "index.html" : `assets/${params[0] as string}`);
}

// ---- Parameters ------------------------------------------------------------------------------

/** An integer query parameter in [min, max], or `fallback` when absent. */
export function intParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw InvalidArgumentError.format(name, `must be an integer in ${min}..${max}`, text);
  }
  return value;
}

/** `kinds=a,b`: event kinds, or null (all). */
export function kindsParam(text: string | null): ReadonlySet<EventKind> | null {
  if (text === null || text === "") return null;
  const kinds = new Set<EventKind>();
  for (const part of text.split(",")) {
    const kind = EVENT_KINDS.find((candidate) => candidate === part);
    if (!kind) throw InvalidArgumentError.format("kinds", `must be a comma-separated list of ${EVENT_KINDS.join("|")}`, text);
    kinds.add(kind);
  }
  return kinds;
}

/** `buckets=1,2,3`: 1..DIFF_BUCKETS_MAX distinct bucket numbers below DIGEST_BUCKETS. */
export function bucketsParam(text: string | null): number[] {
  const rule = `must be 1..${DIFF_BUCKETS_MAX} comma-separated integers in 0..${DIGEST_BUCKETS - 1}`;
  if (text === null || text === "") throw InvalidArgumentError.format("buckets", rule, text ?? "");
  const parts = text.split(",");
  const buckets = [...new Set(parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : -1)))];
  if (parts.length > DIFF_BUCKETS_MAX || buckets.some((bucket) => bucket < 0 || bucket >= DIGEST_BUCKETS)) {
    throw InvalidArgumentError.format("buckets", rule, text);
  }
  return buckets;
}

// The JSON shapes of the operator APIs under /v1 (node report, cluster status, brokers, events,
// series, routes across nodes), shared by the server, `namesrv status` and the dashboard page
// (which imports these types only). Types only; documented in docs/protocol.md.
import type { BrokerDetail } from "../core/inspect.js";
import type { TopicRouteData } from "../model/types.js";
import type { NodeEvent } from "./event_log.js";
import type { SeriesSample } from "./series.js";

export type { BrokerDetail, BrokerState } from "../core/inspect.js";
export type { EventKind, NodeEvent } from "./event_log.js";
export type { SeriesSample } from "./series.js";

/** A link's state as the node that holds it judges it: silent past PEER_SUSPECT_MS is suspect, past PEER_DOWN_MS down. */
export type LinkState = "up" | "suspect" | "down";

/** One of a node's peer links. */
export interface PeerLinkView {
  readonly addr: string;
  readonly peerId: string | null;
  readonly state: LinkState;
  readonly silentMs: number | null;
}

/** GET /v1/node: what one node says about itself. */
export interface NodeReport {
  readonly nodeId: string;
  readonly version: string;
  readonly advertiseAddr: string | null;
  readonly ready: boolean;
  readonly degraded: boolean;
  readonly nowMs: number;
  readonly uptimeMs: number;
  /** One hash over every digest bucket: equal digests mean equal replicated state. */
  readonly digest: string;
  /** The DIGEST_BUCKETS bucket hashes (hex). */
  readonly buckets: readonly string[];
  readonly brokersLive: number;
  readonly brokersTracked: number;
  readonly topics: number;
  readonly peers: readonly PeerLinkView[];
}

/** GET /v1/node/records: this node's records of some digest buckets. */
export interface NodeRecords {
  readonly nodeId: string;
  readonly entries: readonly { readonly bucket: number; readonly id: string; readonly version: string }[];
  readonly truncated: boolean;
}

/** One member of the cluster as the answering node sees it. */
export interface MemberStatus {
  readonly nodeId: string | null;
  readonly addr: string | null;
  /** The answering node itself. */
  readonly self: boolean;
  /** Its link from the answering node ("up" for itself). */
  readonly state: LinkState;
  readonly silentMs: number | null;
  /** Its own report, fetched through the link (null when down or it did not answer). */
  readonly report: NodeReport | null;
  /** Why there is no report. */
  readonly error: string | null;
}

/** A record two nodes hold at different versions (or one lacks). */
export interface DiffRecord {
  readonly id: string;
  /** Record type from its id: instance, topic, liveness, holder, kv, topicDelete, perm. */
  readonly type: string;
  /** Node id -> version hash, null where the node lacks the record. */
  readonly versions: Readonly<Record<string, string | null>>;
}

/** Whether the reporting nodes hold the same records. */
export interface Agreement {
  /** Every node that reported has the same digest. */
  readonly agree: boolean;
  /** Every known member reported. */
  readonly complete: boolean;
  /** Nodes grouped by digest, largest group first. */
  readonly groups: readonly { readonly digest: string; readonly nodes: readonly string[] }[];
  /** Buckets where reports differ (at most DIFF_BUCKETS_MAX compared). */
  readonly differingBuckets: readonly number[];
  /** Records that differ in the compared buckets (at most DIFF_RECORDS_MAX). */
  readonly records: readonly DiffRecord[];
  readonly recordsTruncated: boolean;
}

/** GET /v1/status: the cluster through one node. */
export interface ClusterStatus {
  readonly nodeId: string;
  readonly atMs: number;
  readonly members: readonly MemberStatus[];
  readonly agreement: Agreement;
  /** Every member up and reporting, and all agree. */
  readonly healthy: boolean;
}

/** GET /v1/brokers. */
export interface BrokersAnswer {
  readonly nodeId: string;
  readonly brokers: readonly BrokerDetail[];
  readonly total: number;
  readonly truncated: boolean;
}

/** GET /v1/events. */
export interface EventsAnswerBody {
  readonly nodeId: string;
  readonly events: readonly NodeEvent[];
  readonly lastSeq: number;
  readonly gap: boolean;
}

/** GET /v1/series. */
export interface SeriesAnswer {
  readonly nodeId: string;
  readonly sampleMs: number;
  readonly samples: readonly SeriesSample[];
}

/** GET /v1/topics/search. */
export interface TopicSearchAnswer {
  readonly topics: readonly string[];
  /** Matches in total (the answer lists at most TOPIC_SEARCH_RESULTS_MAX). */
  readonly matches: number;
  readonly total: number;
}

/** GET /v1/kv: namespaces. */
export interface KvNamespacesAnswer {
  readonly namespaces: readonly { readonly namespace: string; readonly keys: number }[];
  readonly total: number;
}

/** One node's answer to a route, in GET /v1/status/routes/<topic>. */
export interface RouteAnswer {
  readonly nodeId: string | null;
  readonly addr: string | null;
  /** The HTTP status the node answered (0 when it did not answer). */
  readonly status: number;
  readonly route: TopicRouteData | null;
  readonly error: string | null;
}

/** GET /v1/status/routes/<topic>. */
export interface RoutesAcross {
  readonly topic: string;
  readonly answers: readonly RouteAnswer[];
  /** Every answering node gave the same answer. */
  readonly agree: boolean;
}

// The read requests every port serves, as one typed input: the readiness policy is decided
// here once (a node that has not pulled a peer snapshot answers NOT_READY to every read,
// never an empty table as truth; DESIGN §4), and each port only decodes and encodes.
import type { ClusterInfo, TopicRouteData } from "../model/types.js";
import type { BrokerDetail } from "./inspect.js";

/** A read request, whichever port it came on. */
export type NodeQuery =
  | { readonly kind: "route"; readonly topic: string }
  | { readonly kind: "clusterInfo" }
  | { readonly kind: "topics"; readonly clusterName: string | null }
  | { readonly kind: "memberGroup"; readonly brokerName: string }
  | { readonly kind: "kvGet"; readonly namespace: string; readonly key: string }
  | { readonly kind: "kvList"; readonly namespace: string }
  /** Operator views (the dashboard): broker instances with liveness detail, live first. */
  | { readonly kind: "brokers"; readonly nowMs: number; readonly limit: number }
  /** Topic names containing `text` (case-insensitive), sorted, at most `limit`. */
  | { readonly kind: "topicSearch"; readonly text: string; readonly limit: number }
  | { readonly kind: "kvNamespaces"; readonly limit: number };

/** What each read answers. */
export interface QueryAnswers {
  readonly route: TopicRouteData;
  readonly clusterInfo: ClusterInfo;
  readonly topics: readonly string[];
  readonly memberGroup: Readonly<Record<string, string>>;
  readonly kvGet: string;
  readonly kvList: Record<string, string>;
  readonly brokers: { brokers: BrokerDetail[]; total: number };
  readonly topicSearch: { topics: string[]; matches: number; total: number };
  readonly kvNamespaces: { namespaces: { namespace: string; keys: number }[]; total: number };
}

/** The message of every NOT_READY answer. */
export const NOT_READY_MESSAGE = "name server not ready: waiting for a peer snapshot or the startup grace";

// The cluster as one node sees it, for the dashboard and `namesrv status`: its own report, each
// peer's report fetched over that peer's HTTP port (only through an authenticated peer link, with
// the caller's token), who agrees by digest, and which records differ where they do not; and a
// topic's route as each node answers it. Shell code (sockets through transport's getJson).
import { canonicalJson, fnv1a64 } from "../model/hash.js";
import { NsError, ProtocolError, errorEntry } from "../errors.js";
import {
  DIFF_BUCKETS_MAX,
  DIFF_RECORDS_MAX,
  DIGEST_BUCKETS,
  DIGEST_ENTRIES_MAX,
  PEER_DOWN_MS,
  PEER_SUSPECT_MS,
  PEERS_MAX,
  STATUS_ANSWER_BYTES_MAX,
  STATUS_CACHE_MS,
  STATUS_PEER_TIMEOUT_MS,
} from "../limits.js";
import type { Clock } from "../core/clock.js";
import type { NodeHost } from "../host/node_host.js";
import type { PeerLinkState } from "../gossip/peer_dialer.js";
import { getJson, type JsonAnswer } from "../transport/http_client.js";
import type { DialTls } from "../transport/ws_dialer.js";
import type { TopicRouteData } from "../model/types.js";
import type { Agreement, ClusterStatus, DiffRecord, LinkState, MemberStatus, NodeRecords, NodeReport, RouteAnswer, RoutesAcross } from "./dashboard_types.js";

/** What the status service reads. */
export interface ClusterStatusDeps {
  readonly host: NodeHost;
  readonly clock: Clock;
  /** This node's report. */
  readonly report: () => NodeReport;
  /** The peer dialer's links. */
  readonly links: () => PeerLinkState[];
  /** TLS of the node's own peer links (its CA verifies the peers), or undefined for plain HTTP. */
  readonly tls: DialTls | undefined;
  /** Fetches JSON from a peer. @default transport's getJson */
  readonly fetch?: typeof getJson;
}

/** A link's state from its silence. */
export function linkStateOf(linked: boolean, silentMs: number | null): LinkState {
  if (!linked || silentMs === null || silentMs > PEER_DOWN_MS) return "down";
  return silentMs > PEER_SUSPECT_MS ? "suspect" : "up";
}

/** One hash over the bucket hashes (hex). */
export function digestHash(buckets: readonly string[]): string {
  return fnv1a64(buckets.join(","));
}

/** Groups reports by digest and lists the buckets where any two differ (the first DIFF_BUCKETS_MAX). */
export function compareReports(reports: readonly NodeReport[]): Pick<Agreement, "agree" | "groups" | "differingBuckets"> {
  const byDigest = new Map<string, string[]>();
  for (const report of reports) byDigest.set(report.digest, [...(byDigest.get(report.digest) ?? []), report.nodeId]);
  const groups = [...byDigest.entries()]
    .map(([digest, nodes]) => ({ digest, nodes: nodes.sort() }))
    .sort((a, b) => b.nodes.length - a.nodes.length || (a.digest < b.digest ? -1 : 1));
  const differingBuckets: number[] = [];
  if (groups.length > 1) {
    for (let bucket = 0; bucket < DIGEST_BUCKETS && differingBuckets.length < DIFF_BUCKETS_MAX; bucket++) {
      const values = new Set(reports.map((report) => report.buckets[bucket]));
      if (values.size > 1) differingBuckets.push(bucket);
    }
  }
  return { agree: groups.length <= 1, groups, differingBuckets };
}

/** Records whose version is not the same on every node (missing counts as a version), at most DIFF_RECORDS_MAX. */
export function diffRecords(recordsByNode: readonly NodeRecords[]): { records: DiffRecord[]; truncated: boolean } {
  const versions = new Map<string, Map<string, string>>();
  for (const { nodeId, entries } of recordsByNode) {
    for (const entry of entries) {
      let byNode = versions.get(entry.id);
      if (!byNode) versions.set(entry.id, (byNode = new Map()));
      byNode.set(nodeId, entry.version);
    }
  }
  const records: DiffRecord[] = [];
  let truncated = recordsByNode.some((answer) => answer.truncated);
  for (const id of [...versions.keys()].sort()) {
    const byNode = versions.get(id) as Map<string, string>;
    const seen = new Set(recordsByNode.map(({ nodeId }) => byNode.get(nodeId) ?? null));
    if (seen.size <= 1) continue;
    if (records.length >= DIFF_RECORDS_MAX) {
      truncated = true;
      break;
    }
    const row: Record<string, string | null> = {};
    for (const { nodeId } of recordsByNode) row[nodeId] = byNode.get(nodeId) ?? null;
    records.push({ id, type: recordType(id), versions: row });
  }
  return { records, truncated };
}

const RECORD_TYPES: Readonly<Record<string, string>> = { i: "instance", c: "topic", l: "liveness", h: "holder", k: "kv", t: "topicDelete", p: "perm" };

function recordType(id: string): string {
  return RECORD_TYPES[id.slice(0, 1)] ?? "unknown";
}

/** Checks the shape of a peer's /v1/node answer. */
export function decodeNodeReport(body: unknown): NodeReport {
  const report = body as Partial<NodeReport> | null;
  const ok =
    typeof report === "object" &&
    report !== null &&
    typeof report.nodeId === "string" &&
    typeof report.digest === "string" &&
    Array.isArray(report.buckets) &&
    report.buckets.length === DIGEST_BUCKETS &&
    report.buckets.every((bucket) => typeof bucket === "string") &&
    Array.isArray(report.peers);
  if (!ok) throw new ProtocolError("a peer's /v1/node answer has not the shape of a node report");
  return report as NodeReport;
}

function decodeNodeRecords(body: unknown): NodeRecords {
  const records = body as Partial<NodeRecords> | null;
  if (typeof records !== "object" || records === null || typeof records.nodeId !== "string" || !Array.isArray(records.entries)) {
    throw new ProtocolError("a peer's /v1/node/records answer has not the expected shape");
  }
  return records as NodeRecords;
}

/** A peer this node holds a link to, and where to reach its HTTP port. */
interface LinkedPeer {
  readonly link: PeerLinkState;
  readonly state: LinkState;
}

/** Builds cluster statuses and routes across nodes. */
export class ClusterStatusService {
  private cached: { atMs: number; token: string | undefined; status: Promise<ClusterStatus> } | null = null;
  /** Node id last seen at each peer address (as many as the dialer has addresses, PEERS_MAX). */
  private readonly knownIds = new Map<string, string>();
  private readonly fetchJson: typeof getJson;

  constructor(private readonly deps: ClusterStatusDeps) {
    this.fetchJson = deps.fetch ?? getJson;
  }

  /** The cluster through this node; peers are asked with `token`. Reused for STATUS_CACHE_MS. */
  status(token: string | undefined): Promise<ClusterStatus> {
    const nowMs = this.deps.clock.nowMs();
    if (this.cached && this.cached.token === token && nowMs - this.cached.atMs < STATUS_CACHE_MS) return this.cached.status;
    const status = this.build(token);
    this.cached = { atMs: nowMs, token, status };
    return status;
  }

  /** A topic's route as this node and each linked peer answer it. */
  async routes(topic: string, token: string | undefined): Promise<RoutesAcross> {
    const self = this.deps.report();
    const answers: RouteAnswer[] = [this.ownRoute(topic, self)];
    const path = `/v1/routes/${encodeURIComponent(topic)}`;
    const peers = this.peers();
    const fetched = await Promise.all(
      peers.map(async ({ link, state }): Promise<RouteAnswer> => {
        const base = { nodeId: link.peerId, addr: link.addr };
        if (state === "down") return { ...base, status: 0, route: null, error: "link down" };
        try {
          const answer = await this.get(link.addr, path, token);
          return { ...base, status: answer.status, route: answer.status === 200 ? (answer.body as TopicRouteData) : null, error: errorText(answer) };
        } catch (error) {
          return { ...base, status: 0, route: null, error: (error as Error).message };
        }
      }),
    );
    answers.push(...fetched);
    const answered = answers.filter((answer) => answer.status !== 0);
    const shapes = new Set(answered.map((answer) => `${answer.status}|${answer.route === null ? "" : canonicalJson(answer.route)}`));
    return { topic, answers, agree: shapes.size <= 1 };
  }

  private async build(token: string | undefined): Promise<ClusterStatus> {
    const self = this.deps.report();
    const members: MemberStatus[] = [
      { nodeId: self.nodeId, addr: self.advertiseAddr, self: true, state: "up", silentMs: 0, report: self, error: null },
    ];
    const fetched = await Promise.all(this.peers().map((peer) => this.member(peer, token)));
    // Link states as of now, not as of the fetches' start: a frozen peer's fetch takes its whole
    // timeout, and the answer must still show the link going down as soon as it does.
    const latest = new Map(this.peers().map((peer) => [peer.link.addr, peer]));
    for (const member of fetched) {
      const now = latest.get(member.addr as string);
      members.push(now ? { ...member, state: now.state, silentMs: now.link.silentMs } : member);
    }
    const reports = members.flatMap((member) => (member.report ? [member.report] : []));
    const compared = compareReports(reports);
    let diff: { records: DiffRecord[]; truncated: boolean } = { records: [], truncated: false };
    if (!compared.agree && compared.differingBuckets.length > 0) diff = await this.diff(members, compared.differingBuckets, token);
    const complete = members.every((member) => member.report !== null && member.state !== "down");
    const agreement: Agreement = { ...compared, complete, records: diff.records, recordsTruncated: diff.truncated };
    return { nodeId: self.nodeId, atMs: this.deps.clock.nowMs(), members, agreement, healthy: complete && compared.agree };
  }

  /** The dialer's links; a link that is down keeps the node id it last had (remembered per address). */
  private peers(): LinkedPeer[] {
    return this.deps.links().map((link) => {
      if (link.peerId !== null) {
        if (this.knownIds.size < PEERS_MAX || this.knownIds.has(link.addr)) this.knownIds.set(link.addr, link.peerId);
        return { link, state: linkStateOf(link.linked, link.silentMs) };
      }
      return { link: { ...link, peerId: this.knownIds.get(link.addr) ?? null }, state: linkStateOf(link.linked, link.silentMs) };
    });
  }

  /** A peer's member entry: its report through its link (never to an address without an authenticated link). */
  private async member({ link, state }: LinkedPeer, token: string | undefined): Promise<MemberStatus> {
    const base = { nodeId: link.peerId, addr: link.addr, self: false, state, silentMs: link.silentMs };
    if (state === "down") return { ...base, report: null, error: link.linked ? "silent past PEER_DOWN_MS" : "no link" };
    try {
      const answer = await this.get(link.addr, "/v1/node", token);
      if (answer.status !== 200) return { ...base, report: null, error: errorText(answer) ?? `status ${answer.status}` };
      return { ...base, report: decodeNodeReport(answer.body), error: null };
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      return { ...base, report: null, error: error.message };
    }
  }

  private async diff(members: readonly MemberStatus[], buckets: readonly number[], token: string | undefined): Promise<{ records: DiffRecord[]; truncated: boolean }> {
    const node = this.deps.host.node;
    const query = `/v1/node/records?buckets=${buckets.join(",")}`;
    const answers = await Promise.all(
      members.map(async (member): Promise<NodeRecords | null> => {
        if (!member.report) return null;
        if (member.self) {
          const entries = node.digestEntries(buckets, DIGEST_ENTRIES_MAX + 1);
          return { nodeId: node.nodeId, entries: entries.slice(0, DIGEST_ENTRIES_MAX), truncated: entries.length > DIGEST_ENTRIES_MAX };
        }
        try {
          const answer = await this.get(member.addr as string, query, token);
          return answer.status === 200 ? decodeNodeRecords(answer.body) : null;
        } catch (error) {
          if (!(error instanceof NsError)) throw error;
          return null;
        }
      }),
    );
    return diffRecords(answers.flatMap((answer) => (answer ? [answer] : [])));
  }

  private ownRoute(topic: string, self: NodeReport): RouteAnswer {
    const base = { nodeId: self.nodeId, addr: self.advertiseAddr };
    try {
      return { ...base, status: 200, route: this.deps.host.node.query({ kind: "route", topic }), error: null };
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      return { ...base, status: errorEntry(error.code).httpStatus, route: null, error: error.message };
    }
  }

  private get(addr: string, path: string, token: string | undefined): Promise<JsonAnswer> {
    // A peer found through DNS is dialed at an IP; its certificate names the DNS name.
    const servername = this.deps.links().find((link) => link.addr === addr)?.tlsServerName ?? null;
    const tls = this.deps.tls === undefined || servername === null ? this.deps.tls : { ...this.deps.tls, servername };
    return this.fetchJson({ addr, path, tls, token, timeoutMs: STATUS_PEER_TIMEOUT_MS, bytesMax: STATUS_ANSWER_BYTES_MAX });
  }
}

/** The message of a JSON error answer, or null for a success. */
function errorText(answer: JsonAnswer): string | null {
  if (answer.status >= 200 && answer.status < 300) return null;
  const message = (answer.body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === "string" ? message.slice(0, 256) : `status ${answer.status}`;
}

// Prometheus metrics of one server: a Registry per instance (never the global one), filled
// from the node's counters at scrape time and from session events as they happen.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { NameServerNode } from "../core/node.js";
import type { AuthRefusalReason } from "../host/auth.js";
import type { KvDiskStatus } from "./kv_file.js";
import type { CloseCause, SessionObserver, SessionRole } from "./native_session.js";
import { RequestCode as RemotingRequestCode } from "../protocol/remoting/codes.js";

/** RocketMQ request code -> name; a code not in the table counts as "unknown" (a client picks codes: they must not grow the map). */
const REMOTING_CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RemotingRequestCode).map(([name, code]) => [code as number, name]));

/** What the metrics read at scrape time. */
export interface MetricsSource {
  readonly node: NameServerNode;
  /** Open native connections per role ("pending" before the HELLO). */
  connectionsByRole(): Readonly<Record<SessionRole, number>>;
  /** The KV file's disk (--data-dir); absent or null without one. */
  readonly kvDisk?: () => KvDiskStatus | null;
  /** Encoded bytes this node sent to peers, by "peer/frame type" (the peer hub's counters). */
  peerBytesOut?(): ReadonlyMap<string, number>;
}

/** Every role a connection can be counted under. */
const ROLES: readonly SessionRole[] = ["pending", "client", "broker", "peer"];

/** The metrics of one server instance. */
export class ServerMetrics implements SessionObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<"type" | "outcome">;
  private readonly closes: Counter<"cause">;
  private readonly httpRequests: Counter<"route" | "status">;
  private readonly limitHits: Counter<"limit">;
  private readonly authRefusals: Counter<"role" | "reason">;
  private readonly peerDnsFailures: Counter<"name">;
  private readonly propagation: Histogram;
  private readonly node: NameServerNode;
  /** Requests answered by type (native codes and "http <route>"), for the dashboard's series. */
  private readonly requestsByType = new Map<string, number>();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    const node = source.node;
    this.node = node;
    this.requests = new Counter({
      name: "namesrv_requests_total",
      help: "Native requests answered, by request type and outcome (ok or an error code name)",
      labelNames: ["type", "outcome"],
      registers,
    });
    this.closes = new Counter({
      name: "namesrv_connections_closed_total",
      help: "Connections this node closed or lost to a transport error, by cause",
      labelNames: ["cause"],
      registers,
    });
    this.httpRequests = new Counter({
      name: "namesrv_http_requests_total",
      help: "HTTP requests, by route and status",
      labelNames: ["route", "status"],
      registers,
    });
    this.limitHits = new Counter({
      name: "namesrv_limit_hits_total",
      help: "Requests, frames or connections refused or closed by a named abuse limit (label: the limits.ts constant)",
      labelNames: ["limit"],
      registers,
    });
    this.authRefusals = new Counter({
      name: "namesrv_auth_refusals_total",
      help: "Hellos, peer challenges and requests refused for missing or wrong credentials, by role and reason",
      labelNames: ["role", "reason"],
      registers,
    });
    this.peerDnsFailures = new Counter({
      name: "namesrv_peer_dns_lookup_failures_total",
      help: "Failed lookups of a --peer-dns name (the peers known stay), by name",
      labelNames: ["name"],
      registers,
    });
    new Gauge({
      name: "namesrv_connections",
      help: "Open native connections by role",
      labelNames: ["role"],
      registers,
      collect() {
        const counts = source.connectionsByRole();
        for (const role of ROLES) this.set({ role }, counts[role]);
      },
    });
    gauge(registers, "namesrv_brokers_live", "Brokers currently routed", () => node.brokerCounts().live);
    gauge(registers, "namesrv_brokers_tracked", "Broker entries held, tombstones included", () => node.brokerCounts().tracked);
    gauge(registers, "namesrv_topics", "Topics with a route", () => node.topicCount());
    gauge(registers, "namesrv_subscriptions", "Topic subscriptions (connection, topic)", () => node.subscriptionCount());
    gauge(registers, "namesrv_ready", "1 when the node serves routes", () => (node.isReady() ? 1 : 0));
    gauge(registers, "namesrv_degraded", "1 while self-preservation holds back evictions", () => (node.isDegraded() ? 1 : 0));
    gauge(
      registers,
      "namesrv_state_digest",
      "32-bit fold of the replicated-state digest: equal on nodes that hold the same records (compare across nodes; the value orders nothing)",
      () => stateDigestFold(node.digest()),
    );
    new Counter({
      name: "namesrv_evictions_total",
      help: "Brokers evicted by this node, by reason",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        this.inc({ reason: "expired" }, node.counters.evictionsExpired);
        this.inc({ reason: "connectionClosed" }, node.counters.evictionsConnectionClosed);
      },
    });
    new Counter({
      name: "namesrv_suspicions_total",
      help: "Crash suspicions raised and cleared by this node",
      labelNames: ["event"],
      registers,
      collect() {
        this.reset();
        this.inc({ event: "raised" }, node.counters.suspicionsRaised);
        this.inc({ event: "cleared" }, node.counters.suspicionsCleared);
      },
    });
    new Counter({
      name: "namesrv_registration_topics_skipped_total",
      help: "Topics of registrations (and REGISTER_TOPIC queues) not taken, by reason",
      labelNames: ["reason"],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(node.counters.topicsSkipped)) this.inc({ reason }, count);
      },
    });
    coreCounter(registers, "namesrv_unregistrations_refused_total", "Unregistrations not on the broker's registering connection, ignored", () => node.counters.unregistrationsRefused);
    coreCounter(registers, "namesrv_registrations_refused_total", "One-topic first registrations refused as RocketMQ does", () => node.counters.registrationsRefused);
    coreCounter(registers, "namesrv_pushes_total", "Route-change pushes sent to subscribers", () => node.counters.pushes);
    coreCounter(registers, "namesrv_registrations_total", "Broker registrations accepted", () => node.counters.registrations);
    coreCounter(registers, "namesrv_heartbeats_total", "Broker heartbeats accepted", () => node.counters.heartbeats);
    coreCounter(registers, "namesrv_pause_compensations_total", "Tick-loop pauses compensated", () => node.counters.pauseCompensations);
    coreCounter(registers, "namesrv_unregistrations_total", "Broker unregistrations", () => node.counters.unregistrations);
    coreCounter(registers, "namesrv_refutations_total", "Crash verdicts this node refuted", () => node.counters.refutations);
    coreCounter(registers, "namesrv_self_preservation_skips_total", "Ticks whose evictions self-preservation held", () => node.counters.selfPreservationSkips);
    const kvDisk = (): KvDiskStatus | null => source.kvDisk?.() ?? null;
    gauge(
      registers,
      "namesrv_kv_disk_ok",
      "0 while writes of kv.json fail (full or read-only disk: KV writes answer KV_NOT_DURABLE), else 1; 1 without --data-dir",
      () => (kvDisk()?.ok === false ? 0 : 1),
    );
    coreCounter(registers, "namesrv_kv_write_failures_total", "Writes of kv.json that failed (retried every KV_WRITE_RETRY_MS)", () => kvDisk()?.writeFailuresTotal ?? 0);
    this.propagation = this.addGossipMetrics(registers, node);
    const peerBytesOut = source.peerBytesOut;
    new Counter({
      name: "namesrv_peer_bytes_sent_total",
      help: "Encoded bytes of frames sent to each peer, by frame type (deltas, digest, pull, summary, want, heard)",
      labelNames: ["peer", "type"],
      registers,
      collect() {
        this.reset();
        for (const [key, bytes] of peerBytesOut?.() ?? []) {
          const slash = key.lastIndexOf("/");
          this.inc({ peer: key.slice(0, slash), type: key.slice(slash + 1) }, bytes);
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  private addGossipMetrics(registers: Registry[], node: NameServerNode): Histogram {
    const gossip = (read: (c: ReturnType<NameServerNode["gossipCounters"]>) => number) => () => read(node.gossipCounters());
    coreCounter(registers, "namesrv_gossip_deltas_sent_total", "Records sent to peers", gossip((c) => c.deltasSent));
    coreCounter(registers, "namesrv_gossip_deltas_received_total", "Records received from peers", gossip((c) => c.deltasReceived));
    coreCounter(registers, "namesrv_gossip_deltas_relayed_total", "Records learned from a peer and queued for the others", gossip((c) => c.deltasRelayed));
    coreCounter(registers, "namesrv_gossip_digests_sent_total", "Anti-entropy digests sent", gossip((c) => c.digestsSent));
    coreCounter(registers, "namesrv_gossip_digests_received_total", "Anti-entropy digests received", gossip((c) => c.digestsReceived));
    coreCounter(registers, "namesrv_gossip_digest_buckets_mismatched_total", "Digest buckets that differed from a peer's", gossip((c) => c.digestBucketsMismatched));
    coreCounter(registers, "namesrv_gossip_records_repaired_total", "Records changed by anti-entropy repair", gossip((c) => c.recordsRepaired));
    coreCounter(registers, "namesrv_gossip_outbox_dropped_total", "Records dropped from a full peer outbox (anti-entropy repairs them)", gossip((c) => c.outboxDropped));
    coreCounter(registers, "namesrv_gossip_heard_frames_sent_total", "PEER_HEARD frames sent (compact liveness evidence)", gossip((c) => c.heardFramesSent));
    coreCounter(registers, "namesrv_gossip_heard_vouches_sent_total", "Brokers vouched for in PEER_HEARD shares (once per share, whatever the peers)", gossip((c) => c.heardVouchesSent));
    coreCounter(registers, "namesrv_gossip_heard_vouches_received_total", "Brokers vouched for in PEER_HEARD frames received", gossip((c) => c.heardVouchesReceived));
    coreCounter(registers, "namesrv_gossip_heard_vouches_unknown_total", "PEER_HEARD vouches naming an index whose key this node lacks (ignored; the key is asked for again)", gossip((c) => c.heardVouchesUnknown));
    new Gauge({
      name: "namesrv_peer_up",
      help: "1 when this node has a live link to the peer",
      labelNames: ["peer"],
      registers,
      collect() {
        this.reset();
        for (const peer of node.peerStates()) this.set({ peer: peer.peerId }, peer.up ? 1 : 0);
      },
    });
    new Gauge({
      name: "namesrv_peer_outbox_depth",
      help: "Records waiting in the outbox of each peer",
      labelNames: ["peer"],
      registers,
      collect() {
        this.reset();
        for (const peer of node.peerStates()) this.set({ peer: peer.peerId }, peer.outboxDepth);
      },
    });
    const takeDelays = (): number[] => this.takePropagationDelays();
    return new Histogram({
      name: "namesrv_gossip_propagation_delay_seconds",
      help: "Time from a record's origin stamp (the writer's clock) to its application here",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
      collect() {
        takeDelays();
      },
    });
  }

  /**
   * Drains the node's propagation delays into the histogram and returns them: the scrape and
   * the dashboard's series both read them, and neither takes samples from the other.
   */
  takePropagationDelays(): number[] {
    const delaysMs = this.node.propagationDelaysMs.splice(0);
    for (const delayMs of delaysMs) this.propagation.observe(delayMs / 1_000);
    return delaysMs;
  }

  /** Requests answered since start by type: native request types, and HTTP routes as "http <route>". */
  requestTotals(): ReadonlyMap<string, number> {
    return this.requestsByType;
  }

  /** Counts one answered native request. */
  request(type: string, outcome: string): void {
    this.requests.inc({ type, outcome });
    this.countType(type);
  }

  /** Counts one handled RocketMQ remoting request (for the dashboard's series only: "remoting <name>"). */
  remotingRequest(code: number): void {
    this.countType(`remoting ${REMOTING_CODE_NAMES.get(code) ?? "unknown"}`);
  }

  /** Counts one connection closed by this side. */
  closed(cause: CloseCause | string): void {
    this.closes.inc({ cause });
  }

  /** Counts one refusal by a named limit. */
  limitHit(limit: string): void {
    this.limitHits.inc({ limit });
  }

  /** Counts one refusal for credentials. */
  authRefused(role: string, reason: AuthRefusalReason | string): void {
    this.authRefusals.inc({ role, reason });
  }

  /** Counts one failed lookup of a `--peer-dns` name (names come from config: bounded). */
  peerDnsLookupFailed(name: string): void {
    this.peerDnsFailures.inc({ name });
  }

  /** Counts one HTTP request. */
  http(route: string, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
    this.countType(`http ${route}`);
  }

  private countType(type: string): void {
    this.requestsByType.set(type, (this.requestsByType.get(type) ?? 0) + 1);
  }

  /** The text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of the text exposition. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** FNV-1a's 32-bit offset basis and prime. */
const FNV_OFFSET_BASIS_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

/**
 * Folds a digest (bucket hash pairs, as NameServerNode.digest() gives them) into one unsigned
 * 32-bit number: FNV-1a over the bytes of every bucket's low then high word, buckets in order.
 * Equal replicated state gives equal digests and so equal folds on every node, which lets an
 * alert compare nodes through a single gauge (a float64 holds any 32-bit integer exactly).
 * Two different states collide with probability about 2^-32 per comparison.
 */
export function stateDigestFold(buckets: readonly (readonly [number, number])[]): number {
  let hash = FNV_OFFSET_BASIS_32;
  for (const [low, high] of buckets) {
    for (const word of [low, high]) {
      for (let shift = 0; shift < 32; shift += 8) hash = Math.imul(hash ^ ((word >>> shift) & 0xff), FNV_PRIME_32);
    }
  }
  return hash >>> 0;
}

function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

function coreCounter(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

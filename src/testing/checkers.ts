// Invariant checkers of DESIGN §7 (1-5) for ClusterSim runs: convergence after heal, no
// resurrection, no false eviction, fast eviction, bounded queues. The continuous ones sample
// every TICK_MS; each violation names the invariant, and reports print the seed and log tail.
// Test-only: never exported from src/index.ts.
import * as limits from "../limits.js";
import { canonicalJson, fnv1a64 } from "../model/hash.js";
import type { NameServerNode } from "../core/node.js";
import { compareEvidence } from "../model/records.js";
import type { ClusterInfo, Evidence } from "../model/types.js";
import { SIM_INBOX_MAX, type ClusterSim, type SimBroker, type SimNodeHost } from "./cluster_sim.js";

/** The invariants, by the names DESIGN §7 gives them. */
export type Invariant = "convergence" | "noResurrection" | "noFalseEviction" | "fastEviction" | "boundedQueues";

/** One broken invariant. */
export interface Violation {
  readonly atMs: number;
  readonly invariant: Invariant;
  readonly message: string;
}

/** An offline verdict a node held: its session and evidence. */
interface Verdict {
  readonly session: number;
  readonly evidence: Evidence;
}

/** Violations kept per run; more are counted, not stored. */
const VIOLATIONS_MAX = 200;

/** Timing bounds the checkers hold the cluster to. */
export interface CheckerOptions {
  /**
   * No false eviction is enforced once a broker has heartbeated for this long to a node that
   * has been connected to every other node for this long (two anti-entropy rounds).
   */
  readonly protectionWindowMs: number;
  /** Crash or unregister: gone from every node within this (DESIGN §7.4: 1 s). */
  readonly crashEvictionMs: number;
  /** Silent death: gone within the broker's expiry plus this (DESIGN §7.4: 1 s). */
  readonly silentEvictionSlackMs: number;
}

/** Defaults from DESIGN §7. */
export function defaultCheckerOptions(): CheckerOptions {
  return {
    protectionWindowMs: 2 * limits.ANTI_ENTROPY_INTERVAL_MS,
    crashEvictionMs: 1_000,
    silentEvictionSlackMs: 1_000,
  };
}

/** A measured eviction: how long after the trigger a node stopped routing the broker. */
export interface EvictionSample {
  readonly broker: string;
  readonly kind: "crash" | "unregister" | "silent";
  readonly nodeId: string;
  /** From the kill/unregister, or (silent) from the last heartbeat sent. */
  readonly tookMs: number;
}

interface Expectation {
  readonly kind: EvictionSample["kind"];
  readonly fromMs: number;
  readonly deadlineMs: number;
  readonly evicted: Map<string, number>;
}

interface BrokerTrack {
  seenTransitionMs: number;
  everSeen: boolean;
  goneSinceMs: number | null;
  heardBeforeGoneMs: number;
  protectedSinceMs: number | null;
  expectation: Expectation | null;
}

/** Whether a node routes a broker instance: its address is in brokerAddrTable. */
export function routesBroker(info: ClusterInfo, broker: SimBroker): boolean {
  const { brokerName, brokerId, brokerAddr } = broker.registration;
  return info.brokerAddrTable[brokerName]?.brokerAddrs[String(brokerId)] === brokerAddr;
}

/** Samples the continuous invariants (2-5) every tick; convergence (1) is checked on demand. */
export class InvariantChecker {
  readonly violations: Violation[] = [];
  readonly evictions: EvictionSample[] = [];
  violationCount = 0;
  readonly options: CheckerOptions;
  private readonly tracks = new Map<string, BrokerTrack>();
  private infos = new Map<string, ClusterInfo>();
  private readonly offlineSeen = new Map<string, { incarnation: number; verdicts: Map<string, Verdict> }>();

  constructor(
    private readonly sim: ClusterSim,
    options: Partial<CheckerOptions> = {},
  ) {
    this.options = { ...defaultCheckerOptions(), ...options };
    sim.onSample((nowMs) => this.sample(nowMs));
  }

  /** Records a violation (kept up to VIOLATIONS_MAX). */
  report(invariant: Invariant, message: string): void {
    this.violationCount += 1;
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push({ atMs: this.sim.nowMs, invariant, message });
  }

  /** Violations of one invariant. */
  of(invariant: Invariant): Violation[] {
    return this.violations.filter((violation) => violation.invariant === invariant);
  }

  /** The slowest measured eviction of a kind, or null when none was measured. */
  maxEvictionMs(kind: EvictionSample["kind"]): number | null {
    const samples = this.evictions.filter((sample) => sample.kind === kind).map((sample) => sample.tookMs);
    return samples.length === 0 ? null : Math.max(...samples);
  }

  /** One sample of every continuous invariant. */
  sample(nowMs: number): void {
    this.infos = new Map();
    const healthy = this.sim.fullyHealthy();
    for (const broker of this.sim.brokers.values()) {
      const track = this.track(broker);
      this.checkResurrection(broker, track, nowMs);
      this.checkFalseEviction(broker, track, nowMs);
      this.checkFastEviction(broker, track, nowMs, healthy);
    }
    for (const host of this.sim.hosts) this.checkMergeMonotonic(host);
    this.checkBounds();
  }

  // ---- 2. No resurrection ------------------------------------------------------------------

  /**
   * Cluster-wide: once no node routes a broker, it may come back only after some node heard
   * the broker again. "Gone" is only declared while no node is paused and nothing is
   * partitioned: a paused node's queued input or a held frame may still carry a record that
   * is stale for the cluster but news to its receiver, which is convergence, not resurrection.
   */
  private checkResurrection(broker: SimBroker, track: BrokerTrack, nowMs: number): void {
    const running = this.sim.hosts.filter((host) => host.running);
    const showing = running.filter((host) => routesBroker(this.info(host), broker));
    if (showing.length > 0) track.everSeen = true;
    if (!track.everSeen) return;
    if (showing.length === 0) {
      const settled = !this.sim.network.partitioned && running.every((host) => !host.paused);
      if (track.goneSinceMs === null && settled) {
        track.goneSinceMs = nowMs;
        track.heardBeforeGoneMs = broker.lastHeardMs;
      }
      return;
    }
    if (track.goneSinceMs === null) return;
    const goneSince = track.goneSinceMs;
    track.goneSinceMs = null;
    if (broker.lastHeardMs > track.heardBeforeGoneMs) return;
    this.report(
      "noResurrection",
      `broker ${broker.name} (${broker.key}) was gone everywhere since ${goneSince} ms and is routed again by ` +
        `${showing.map((host) => host.id).join(",")} with no message from it since ${track.heardBeforeGoneMs} ms`,
    );
  }

  /**
   * Per node: a node that held an offline verdict at (session S, evidence T) never again holds
   * the broker alive at (S, T) or below (a later session wins; in one session newer evidence
   * wins; at equal evidence offline wins).
   */
  private checkMergeMonotonic(host: SimNodeHost): void {
    const node = host.node;
    if (!node) return;
    let seen = this.offlineSeen.get(host.id);
    if (!seen || seen.incarnation !== host.incarnation) {
      seen = { incarnation: host.incarnation, verdicts: new Map() };
      this.offlineSeen.set(host.id, seen);
    }
    for (const record of node.snapshot()) {
      if (record.type !== "liveness") continue;
      const verdict = seen.verdicts.get(record.brokerKey);
      const order = verdict ? record.session - verdict.session || compareEvidence(record.evidence, verdict.evidence) : 1;
      if (!record.alive) {
        if (order > 0) seen.verdicts.set(record.brokerKey, { session: record.session, evidence: record.evidence });
      } else if (verdict && order <= 0) {
        this.report(
          "noResurrection",
          `${host.id} holds ${record.brokerKey} alive with evidence ${JSON.stringify(record.evidence)} after an offline ` +
            `verdict with evidence ${JSON.stringify(verdict.evidence)} in the same session`,
        );
        seen.verdicts.delete(record.brokerKey);
      }
    }
  }

  // ---- 3. No false eviction ------------------------------------------------------------------

  /**
   * A broker heartbeating to a node that is connected to every other node must be routed by
   * every ready node, once both have held for the protection window.
   */
  private checkFalseEviction(broker: SimBroker, track: BrokerTrack, nowMs: number): void {
    const since = this.protectedSince(broker);
    if (since === null) {
      track.protectedSinceMs = null;
      return;
    }
    track.protectedSinceMs = Math.max(track.protectedSinceMs ?? nowMs, since);
    if (nowMs - track.protectedSinceMs < this.options.protectionWindowMs) return;
    const missing = this.sim.hosts.filter((host) => host.serving && !routesBroker(this.info(host), broker));
    if (missing.length === 0) return;
    this.report(
      "noFalseEviction",
      `broker ${broker.name} heartbeats to a fully connected node since ${track.protectedSinceMs} ms but ` +
        `${missing.map((host) => host.id).join(",")} do not route it`,
    );
    track.protectedSinceMs = nowMs; // report again only after another window
  }

  /** Since when the broker heartbeats to some node connected to all others, or null. */
  private protectedSince(broker: SimBroker): number | null {
    if (!broker.active) return null;
    let best: number | null = null;
    for (const nodeId of broker.nodes) {
      const host = this.sim.host(nodeId);
      const connection = broker.connections.get(nodeId);
      if (!host.serving || !connection?.open || connection.incarnation !== host.incarnation) continue;
      const open = this.sim.network.openSinceMs(broker.name, nodeId);
      // A broker is heard once a request of it reached the node: a remoting broker whose first
      // registration was lost registers again only on its next 30 s round.
      if (open === null || connection.firstHeardMs === undefined) continue;
      let since = Math.max(open, connection.openedAtMs, connection.firstHeardMs);
      let connected = true;
      for (const other of this.sim.hosts) {
        if (other === host || !other.running) continue;
        // Up and not blocked: a session inside its detection window is up but carries nothing.
        const up = this.sim.network.sessionUpSinceMs(host.id, other.id);
        const unblocked = this.sim.network.openSinceMs(host.id, other.id);
        if (other.paused || up === null || unblocked === null) {
          connected = false;
          break;
        }
        since = Math.max(since, up, unblocked);
      }
      if (connected) best = best === null ? since : Math.min(best, since);
    }
    return best;
  }

  // ---- 4. Fast eviction ----------------------------------------------------------------------

  private checkFastEviction(broker: SimBroker, track: BrokerTrack, nowMs: number, healthy: boolean): void {
    if (broker.lastTransitionMs !== track.seenTransitionMs) {
      track.seenTransitionMs = broker.lastTransitionMs;
      track.expectation = healthy && track.everSeen ? this.expectationFor(broker) : null;
    }
    const expectation = track.expectation;
    if (!expectation) return;
    if (!healthy) {
      track.expectation = null; // faults during the window: convergence covers it instead
      return;
    }
    for (const host of this.sim.hosts) {
      if (!expectation.evicted.has(host.id) && !routesBroker(this.info(host), broker)) {
        expectation.evicted.set(host.id, nowMs - expectation.fromMs);
      }
    }
    if (expectation.evicted.size < this.sim.hosts.length && nowMs < expectation.deadlineMs) return;
    track.expectation = null;
    for (const host of this.sim.hosts) {
      const tookMs = expectation.evicted.get(host.id);
      if (tookMs !== undefined) {
        this.evictions.push({ broker: broker.name, kind: expectation.kind, nodeId: host.id, tookMs });
      } else {
        this.report(
          "fastEviction",
          `broker ${broker.name} (${expectation.kind} at ${expectation.fromMs} ms) still routed by ${host.id} ` +
            `after ${nowMs - expectation.fromMs} ms (bound ${expectation.deadlineMs - expectation.fromMs} ms)`,
        );
      }
    }
  }

  private expectationFor(broker: SimBroker): Expectation | null {
    const at = broker.lastTransitionMs;
    const evicted = new Map<string, number>();
    if (broker.state === "dead" || broker.state === "unregistered") {
      const kind = broker.state === "dead" ? "crash" : "unregister";
      return { kind, fromMs: at, deadlineMs: at + this.options.crashEvictionMs, evicted };
    }
    if (broker.state === "paused") {
      const from = broker.lastSentMs;
      return { kind: "silent", fromMs: from, deadlineMs: from + this.sim.brokerExpiryMs(broker) + this.options.silentEvictionSlackMs, evicted };
    }
    return null;
  }

  // ---- 5. Bounded queues ---------------------------------------------------------------------

  private checkBounds(): void {
    const network = this.sim.network;
    if (network.inflightCount > network.options.inflightMessagesMax) {
      this.report("boundedQueues", `network in flight ${network.inflightCount} > ${network.options.inflightMessagesMax}`);
    }
    for (const host of this.sim.hosts) {
      if (host.inbox.length > SIM_INBOX_MAX) this.report("boundedQueues", `${host.id} inbox ${host.inbox.length} > ${SIM_INBOX_MAX}`);
      const node = host.node;
      if (!node) continue;
      const max = this.outboxMax();
      for (const peer of node.peerStates()) {
        if (peer.outboxDepth > max) this.report("boundedQueues", `${host.id} outbox to ${peer.peerId} holds ${peer.outboxDepth} > ${max}`);
      }
    }
  }

  private outboxMax(): number {
    return limits.OUTBOX_RECORDS_PER_PEER_MAX;
  }

  // ---- Helpers -------------------------------------------------------------------------------

  private track(broker: SimBroker): BrokerTrack {
    let track = this.tracks.get(broker.name);
    if (!track) {
      track = {
        seenTransitionMs: broker.lastTransitionMs,
        everSeen: false,
        goneSinceMs: null,
        heardBeforeGoneMs: -1,
        protectedSinceMs: null,
        expectation: null,
      };
      this.tracks.set(broker.name, track);
    }
    return track;
  }

  private info(host: SimNodeHost): ClusterInfo {
    let info = this.infos.get(host.id);
    if (!info) {
      info = host.node ? host.node.getClusterInfo() : { brokerAddrTable: {}, clusterAddrTable: {} };
      this.infos.set(host.id, info);
    }
    return info;
  }
}

// ---- 1. Convergence ----------------------------------------------------------------------------

/** What a node answers: routes of every topic, cluster info, KV namespaces; and its digest. */
function answersOf(node: NameServerNode, topics: readonly string[], namespaces: readonly string[]): Record<string, string> {
  const kv: Record<string, Record<string, string>> = {};
  for (const namespace of namespaces) {
    const records = node.kvRecords().filter((record) => record.namespace === namespace && record.value !== null);
    kv[namespace] = Object.fromEntries(records.map((record) => [record.key, record.value as string]).sort());
  }
  const routes: Record<string, unknown> = {};
  for (const topic of topics) routes[topic] = node.findRoute(topic);
  return {
    routes: canonicalJson(routes),
    cluster: canonicalJson(node.getClusterInfo()),
    kv: canonicalJson(kv),
    digest: fnv1a64(canonicalJson(node.digest())),
  };
}

/**
 * Differences between the running, unpaused nodes' answers (routes for every topic any of
 * them knows, cluster info, KV lists; the digest too when `includeDigest`). Empty: converged.
 */
export function convergenceDiff(sim: ClusterSim, includeDigest: boolean): string[] {
  const hosts = sim.hosts.filter((host) => host.node !== null && !host.paused);
  const nodes = hosts.map((host) => host.node as NameServerNode);
  const topics = [...new Set(nodes.flatMap((node) => node.getTopics(null)))].sort();
  const namespaces = [...sim.kvNamespaces].sort();
  const answers = nodes.map((node) => answersOf(node, topics, namespaces));
  const first = answers[0];
  const diffs: string[] = [];
  if (!first) return diffs;
  answers.forEach((answer, index) => {
    for (const section of Object.keys(first)) {
      if (section === "digest" && !includeDigest) continue;
      if (answer[section] !== first[section]) {
        const a = (first[section] ?? "").slice(0, 400);
        const b = (answer[section] ?? "").slice(0, 400);
        diffs.push(`${section}: ${hosts[0]?.id} ${a}\n   vs ${hosts[index]?.id} ${b}`);
      }
    }
  });
  return diffs;
}

/** Advances until converged; reports a convergence violation after `withinMs`. Returns the ms taken. */
export function awaitConvergence(sim: ClusterSim, checker: InvariantChecker, withinMs: number, includeDigest = false): number | null {
  const took = sim.advanceUntil(() => convergenceDiff(sim, includeDigest).length === 0, withinMs);
  if (took === null) {
    checker.report("convergence", `not converged within ${withinMs} ms:\n${convergenceDiff(sim, includeDigest).slice(0, 6).join("\n")}`);
  }
  return took;
}

/** A failure message: seed, violations and the log tail. Empty string when all held. */
export function failureReport(sim: ClusterSim, checker: InvariantChecker, logLines = 80): string {
  if (checker.violationCount === 0) return "";
  const shown = checker.violations.slice(0, 20).map((v) => `  [${v.atMs} ms] ${v.invariant}: ${v.message}`);
  return [
    `sim seed ${sim.seed} (rerun with SIM_SEED=${sim.seed}): ${checker.violationCount} violation(s)`,
    ...shown,
    `--- last ${logLines} log lines up to the first violation ---`,
    sim.logTail(logLines, checker.violations[0]?.atMs),
  ].join("\n");
}

/** Throws with the failure report when any invariant was broken. */
export function assertInvariants(sim: ClusterSim, checker: InvariantChecker): void {
  const report = failureReport(sim, checker);
  if (report !== "") throw new Error(report);
}

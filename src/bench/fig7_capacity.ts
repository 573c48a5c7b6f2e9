// Figure 7, the capacity workloads of issue #13 (20,000 topics x 1,000 brokers, width 4;
// 100,000 x 1,000, width 16), our node and the Java NameServer one at a time over remoting:
// load time, RSS, route latency at 256 connections, GET_ALL_TOPIC_LIST_FROM_NAMESERVER and
// GET_BROKER_CLUSTER_INFO. Then ours alone as a three-node cluster: gossip bytes per node while
// the 1,000 brokers heartbeat once a second to all three nodes and to one, and the catch-up time
// of a node restarted empty.
import * as rm from "../protocol/remoting/index.js";
import type { BenchContext } from "./context.js";
import { isReady, respawnNode, startCluster, stopCluster, type NodeProc } from "./cluster.js";
import { NO_EXPIRY_MS } from "./fig6_java.js";
import type { ProfileSummary } from "./profile.js";
import { RawRemoting, type SplitFrame } from "./remoting_client.js";
import { memoryOf, metricSum, openRegistrationConnections, runQueryLoad, startJava, startOurs, tableCounts, timeRequests, type QueryRun, type ServerUnderTest, type Side } from "./sides.js";
import {
  CAPACITY_100K_WORKLOAD,
  CAPACITY_20K_WORKLOAD,
  REGISTRATION_CONNECTIONS,
  connectionOf,
  heartbeatFrame,
  queryFrames,
  registerAll,
  seededRandom,
  topicName,
  workloadFrames,
  type Workload,
} from "./workloads.js";
import { ioBytes, nowMs, round3, sleep, summarize, waitFor, type Summary } from "./util.js";

/** Connections of the capacity route runs (issue #13: "route latency under 256 connections"). */
const CAPACITY_CONNECTIONS = 256;
/** Distinct topics the route runs ask (random, seeded, the same for both servers). */
const QUERY_TOPICS = 8_192;
/** Routes decoded after the load to check that every server routes each topic on `width` brokers. */
const ROUTE_SAMPLES = 64;
/** Java's heap per workload (100k topics x width 16 is 1.6M queue entries). */
const JAVA_HEAP: Record<string, string> = { "20k": "1g", "100k": "2g" };
/** What 5.x brokers declare by default (brokerNotActiveTimeoutMillis); the cluster run heartbeats at 1 s. */
const CLUSTER_BROKER_EXPIRY_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1_000;
/** Heartbeats go out in slices this often, as 1,000 independent brokers would spread them. */
const HEARTBEAT_SLICE_MS = 100;
/** A node restarted empty must be complete within this, or the run records a failure. */
const CATCH_UP_TIMEOUT_MS = 60_000;
/** The cluster load (three nodes, 1,000 brokers each) is given this long to settle (quick: a third). */
const CLUSTER_SETTLE_TIMEOUT_MS = 180_000;
/** Counts unchanged for this many polls, SETTLE_POLL_MS apart, count as settled (unequal). */
const SETTLE_STABLE_POLLS = 5;
const SETTLE_POLL_MS = 2_000;

/** Routes checked after the load. */
export interface RouteCheck {
  readonly checked: number;
  /** Answered with `width` brokers. */
  readonly complete: number;
  readonly notFound: number;
  readonly meanBrokers: number;
}

/** One server on one capacity workload. */
export interface CapacitySide {
  readonly side: Side;
  readonly loadMs: number;
  readonly loadFailures: number;
  readonly loadError: string | null;
  readonly rssAfterLoadBytes: number;
  /** VmHWM at the end (load, lists, route runs). */
  readonly peakRssBytes: number;
  /** Topic registrations our node skipped (namesrv_registration_topics_skipped_total); null for Java. */
  readonly topicsSkipped: number | null;
  readonly routes: RouteCheck;
  readonly topicList: { readonly ms: Summary; readonly bytes: number; readonly topics: number; readonly failures: number };
  readonly clusterInfo: { readonly ms: Summary; readonly bytes: number; readonly failures: number };
  readonly query: QueryRun;
  /** Our node's CPU profile per phase (--profile only). */
  readonly profile?: ProfileSummary[];
}

/** Ours as three nodes on one capacity workload. */
export interface ClusterRun {
  /** All 1,000 brokers registered with all three nodes (concurrently), until every answer came. */
  readonly loadMs: number;
  /** Until every node had the same topic and broker counts, or counts that stopped changing. */
  readonly settledMs: number;
  /** Whether the three nodes ended with the same counts. */
  readonly countsEqual: boolean;
  /** Topics routed and brokers live per node when settled. */
  readonly nodeCounts: { topics: number; brokers: number }[];
  /** Peer (gossip) bytes per node per second: rchar + wchar less the bench's own broker traffic. */
  readonly gossipAllBytesPerNodePerSecond: number[];
  readonly gossipOneBytesPerNodePerSecond: number[];
  readonly heartbeatsPerSecond: number;
  /** Node 3 restarted empty: spawn -> /readyz 200, and spawn -> same topic and broker counts as node 1. */
  readonly restartReadyMs: number | null;
  readonly restartCompleteMs: number | null;
  readonly restartRoutesMatching: number;
  readonly restartRoutesChecked: number;
  /** Evictions on the three nodes before the restart, by reason (none is expected: every broker heartbeats). */
  readonly evictions: { expired: number; connectionClosed: number };
  /**
   * "broker offline" records the nodes logged before the restart (a node logs one for its own
   * eviction and for each peer verdict it takes), counted by phase of the run, and the first
   * EVICTION_EVENTS_KEPT of them with the node, reason and time since the nodes were started.
   */
  readonly offlineByPhase: Record<string, number>;
  readonly offlineFirst: { node: string; reason: string; phase: string; atMs: number }[];
  readonly error: string | null;
}

export interface CapacityWorkloadResult {
  readonly workload: Workload;
  readonly ours: CapacitySide | null;
  readonly java: CapacitySide | null;
  readonly javaHeapMax: string | null;
  readonly cluster: ClusterRun | null;
  readonly errors: string[];
}

export interface CapacityResult {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly gossipWindowMs: number;
  readonly workloads: CapacityWorkloadResult[];
}

export async function runCapacity(ctx: BenchContext): Promise<CapacityResult> {
  const durationMs = ctx.quick ? 2_000 : 8_000;
  const warmupMs = ctx.quick ? 2_000 : 5_000;
  const gossipWindowMs = ctx.quick ? 5_000 : 10_000;
  const workloads: CapacityWorkloadResult[] = [];
  for (const workload of [CAPACITY_20K_WORKLOAD, CAPACITY_100K_WORKLOAD]) {
    const errors: string[] = [];
    const attempt = async <T>(what: string, body: () => Promise<T>): Promise<T | null> => {
      try {
        return await body();
      } catch (error) {
        errors.push(`${what}: ${(error as Error).message}`);
        ctx.log(`figure 7: ${workload.name} ${what} failed: ${(error as Error).message}`);
        return null;
      }
    };
    const frames = workloadFrames(workload, NO_EXPIRY_MS);
    const ours = await attempt("ours", () => measureSide(ctx, workload, frames, "ours", durationMs, warmupMs));
    const java = ctx.java?.classpath ? await attempt("java", () => measureSide(ctx, workload, frames, "java", durationMs, warmupMs)) : null;
    frames.length = 0;
    const cluster = await attempt("cluster", () => clusterRun(ctx, workload, gossipWindowMs));
    workloads.push({ workload, ours, java, javaHeapMax: ctx.java?.classpath ? (JAVA_HEAP[workload.name] ?? null) : null, cluster, errors });
  }
  return { durationMs, warmupMs, gossipWindowMs, workloads };
}

async function measureSide(ctx: BenchContext, workload: Workload, frames: readonly SplitFrame[], side: Side, durationMs: number, warmupMs: number): Promise<CapacitySide> {
  const server: ServerUnderTest = side === "ours" ? await startOurs(ctx) : await startJava(ctx, JAVA_HEAP[workload.name] ?? "1g", workload.name);
  let measured: CapacitySide;
  try {
    measured = await measure(ctx, workload, frames, server, durationMs, warmupMs);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const profile = await server.stop();
  return profile.length > 0 ? { ...measured, profile } : measured;
}

async function measure(ctx: BenchContext, workload: Workload, frames: readonly SplitFrame[], server: ServerUnderTest, durationMs: number, warmupMs: number): Promise<CapacitySide> {
  const side = server.side;
  const conns = await openRegistrationConnections(server.port, REGISTRATION_CONNECTIONS);
  const loaded = await server.phase(`${workload.name} load`, () => registerAll(conns, frames));
  const rssAfterLoadBytes = memoryOf(server).rssBytes;
  ctx.log(`figure 7: ${workload.name} ${side} loaded in ${loaded.ms} ms (${loaded.failures} failures), RSS ${Math.round(rssAfterLoadBytes / 2 ** 20)} MiB`);
  const probe = await RawRemoting.open(server.port);
  const repeats = ctx.quick ? 3 : 10;
  const list = await server.phase(`${workload.name} topic list`, () => timeRequests(probe, rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {}, repeats));
  const topics = list.body ? rm.decodeTopicList(list.body).topicList.length : 0;
  const info = await timeRequests(probe, rm.RequestCode.GET_BROKER_CLUSTER_INFO, {}, repeats);
  const routes = await checkRoutes(probe, workload, 17);
  probe.close();
  const topicsSkipped = server.httpPort === null ? null : await metricSum(server.httpPort, "namesrv_registration_topics_skipped_total");
  ctx.log(`figure 7: ${workload.name} ${side} topic list ${topics} topics p50 ${summarize(list.samplesMs).p50} ms; cluster info p50 ${summarize(info.samplesMs).p50} ms; routes ${routes.complete}/${routes.checked} complete; skipped ${topicsSkipped}`);
  const queries = queryFrames(workload, QUERY_TOPICS, 29);
  const query = await server.phase(`${workload.name} routes, ${CAPACITY_CONNECTIONS} connections`, () => runQueryLoad(server, queries, CAPACITY_CONNECTIONS, durationMs, warmupMs));
  ctx.log(`figure 7: ${workload.name} ${side} ${CAPACITY_CONNECTIONS} connections ${query.throughput}/s p50 ${query.latencyMs.p50} p99 ${query.latencyMs.p99} ms (${query.failures} failures)`);
  const memory = memoryOf(server);
  for (const conn of conns) conn.close();
  return {
    side,
    loadMs: loaded.ms,
    loadFailures: loaded.failures,
    loadError: loaded.firstError,
    rssAfterLoadBytes,
    peakRssBytes: memory.peakRssBytes,
    topicsSkipped,
    routes,
    topicList: { ms: summarize(list.samplesMs), bytes: list.bodyBytes, topics, failures: list.codes.filter((code) => code !== 0).length },
    clusterInfo: { ms: summarize(info.samplesMs), bytes: info.bodyBytes, failures: info.codes.filter((code) => code !== 0).length },
    query,
  };
}

/** Asks ROUTE_SAMPLES random topics and counts routes on the workload's full width. */
async function checkRoutes(conn: RawRemoting, workload: Workload, seed: number): Promise<RouteCheck> {
  const random = seededRandom(seed);
  let complete = 0;
  let notFound = 0;
  let brokers = 0;
  for (let sample = 0; sample < ROUTE_SAMPLES; sample++) {
    const width = await routeWidth(conn, topicName(workload, Math.floor(random() * workload.topics)));
    if (width === null) notFound += 1;
    else {
      brokers += width;
      if (width === workload.width) complete += 1;
    }
  }
  return { checked: ROUTE_SAMPLES, complete, notFound, meanBrokers: round3(brokers / Math.max(1, ROUTE_SAMPLES - notFound)) };
}

/** Brokers in the route of `topic`, or null when the server has none. */
async function routeWidth(conn: RawRemoting, topic: string): Promise<number | null> {
  const reply = await conn.request(rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
  if (reply.code !== 0) return null;
  return rm.decodeTopicRouteData(reply.body).brokerDatas.length;
}

/** Sends every broker's heartbeat once per HEARTBEAT_INTERVAL_MS, in slices, to the chosen nodes. */
class Heartbeats {
  private timer: NodeJS.Timeout | null = null;
  private slice = 0;
  targets: RawRemoting[][] = [];
  sent = 0;

  constructor(private readonly brokers: number) {}

  start(): void {
    const frames = Array.from({ length: this.brokers }, (_, index) => heartbeatFrame(index));
    const slices = HEARTBEAT_INTERVAL_MS / HEARTBEAT_SLICE_MS;
    const perSlice = Math.ceil(this.brokers / slices);
    this.timer = setInterval(() => {
      const from = (this.slice % slices) * perSlice;
      this.slice += 1;
      for (const conns of this.targets) {
        for (let index = from; index < Math.min(this.brokers, from + perSlice); index++) {
          connectionOf(conns, index).oneway(frames[index] as SplitFrame);
          this.sent += 1;
        }
      }
    }, HEARTBEAT_SLICE_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** "broker offline" records listed one by one in a cluster run. */
const EVICTION_EVENTS_KEPT = 20;

/** The phases of a cluster run, each from its start (epoch ms) until the next one's. */
type Phases = { name: string; fromMs: number }[];

/** Counts the nodes' "broker offline" records by phase, and keeps the first few. */
function offlineTimeline(nodes: readonly NodeProc[], phases: Phases, untilMs: number): Pick<ClusterRun, "offlineByPhase" | "offlineFirst"> {
  const startMs = phases[0]?.fromMs ?? 0;
  const byPhase: Record<string, number> = Object.fromEntries(phases.map((phase) => [phase.name, 0]));
  const events: ClusterRun["offlineFirst"] = [];
  for (const node of nodes) {
    for (const event of node.events) {
      if (event.msg !== "broker offline" || event.time < startMs || event.time >= untilMs) continue;
      const phase = [...phases].reverse().find((p) => p.fromMs <= event.time)?.name ?? "start";
      byPhase[phase] = (byPhase[phase] ?? 0) + 1;
      events.push({ node: node.id, reason: String(event.fields["reason"] ?? ""), phase, atMs: event.time - startMs });
    }
  }
  events.sort((a, b) => a.atMs - b.atMs);
  return { offlineByPhase: byPhase, offlineFirst: events.slice(0, EVICTION_EVENTS_KEPT) };
}

async function clusterRun(ctx: BenchContext, workload: Workload, windowMs: number): Promise<ClusterRun> {
  const phases: Phases = [{ name: "start", fromMs: Date.now() }];
  const nodes = await startCluster(ctx.procs, { count: 3, remoting: true });
  const conns: RawRemoting[][] = [];
  const heartbeats = new Heartbeats(workload.brokers);
  try {
    for (const node of nodes) conns.push(await openRegistrationConnections(node.remotingPort ?? 0, REGISTRATION_CONNECTIONS));
    heartbeats.targets = conns;
    heartbeats.start();
    const frames = workloadFrames(workload, CLUSTER_BROKER_EXPIRY_MS);
    phases.push({ name: "load", fromMs: Date.now() });
    const t0 = nowMs();
    const loads = await Promise.all(conns.map((nodeConns) => registerAll(nodeConns, frames)));
    const loadMs = round3(nowMs() - t0);
    frames.length = 0;
    const failed = loads.find((load) => load.failures > 0);
    if (failed) throw new Error(`cluster registrations failed: ${failed.failures}, ${failed.firstError ?? ""}`);
    phases.push({ name: "settle", fromMs: Date.now() });
    const settled = await settle(nodes, ctx.quick ? CLUSTER_SETTLE_TIMEOUT_MS / 3 : CLUSTER_SETTLE_TIMEOUT_MS);
    const settledMs = round3(nowMs() - t0);
    ctx.log(`figure 7: ${workload.name} cluster loaded in ${loadMs} ms, settled in ${settledMs} ms: ${settled.counts.map((c) => `${c.topics} topics, ${c.brokers} brokers`).join("; ")}`);
    phases.push({ name: "gossip, heartbeats to all", fromMs: Date.now() });
    await sleep(3_000);
    const sent0 = heartbeats.sent;
    const h0 = nowMs();
    const gossipAll = await gossipBytes(nodes, conns, windowMs);
    const heartbeatsPerSecond = Math.round((heartbeats.sent - sent0) / ((nowMs() - h0) / 1000));
    heartbeats.targets = [conns[0] as RawRemoting[]];
    phases.push({ name: "gossip, heartbeats to one", fromMs: Date.now() });
    await sleep(3_000);
    const gossipOne = await gossipBytes(nodes, conns, windowMs);
    ctx.log(`figure 7: ${workload.name} gossip B/node/s: heartbeats to all ${gossipAll.join(", ")}; to one ${gossipOne.join(", ")}`);
    const evictions = { expired: 0, connectionClosed: 0 };
    for (const node of nodes) {
      evictions.expired += (await metricSum(node.port, 'namesrv_evictions_total{reason="expired"}')) ?? 0;
      evictions.connectionClosed += (await metricSum(node.port, 'namesrv_evictions_total{reason="connectionClosed"}')) ?? 0;
    }
    const offline = offlineTimeline(nodes, phases, Date.now());
    if (offline.offlineFirst.length > 0) {
      ctx.log(`figure 7: ${workload.name} "broker offline" records by phase: ${JSON.stringify(offline.offlineByPhase)}; first at ${offline.offlineFirst[0]?.atMs} ms`);
    }
    const restart = await restartEmpty(ctx, nodes, workload);
    return {
      loadMs,
      settledMs,
      countsEqual: settled.equal,
      nodeCounts: settled.counts,
      gossipAllBytesPerNodePerSecond: gossipAll,
      gossipOneBytesPerNodePerSecond: gossipOne,
      heartbeatsPerSecond,
      ...restart,
      evictions,
      ...offline,
    };
  } finally {
    heartbeats.stop();
    for (const nodeConns of conns) for (const conn of nodeConns) conn.close();
    await stopCluster(ctx.procs, nodes);
  }
}

/**
 * Polls the nodes' counts and state digests until they agree (equal counts come well before
 * equal records: each node stamps the registrations it took itself, and the stamps converge by
 * anti-entropy, megabytes a second for a while, which a gossip window must not measure), stop
 * changing for SETTLE_STABLE_POLLS polls, or `timeoutMs` passed (the run goes on and reports
 * the counts it saw).
 */
async function settle(nodes: readonly NodeProc[], timeoutMs: number): Promise<{ equal: boolean; counts: { topics: number; brokers: number }[] }> {
  let previous = "";
  let stable = 0;
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(nodes.map((node) => tableCounts(node)));
    const first = counts[0] as { topics: number; brokers: number; digest: number };
    if (first.topics > 0 && counts.every((c) => c.topics === first.topics && c.brokers === first.brokers && c.digest === first.digest)) {
      return { equal: true, counts: counts.map(({ topics, brokers }) => ({ topics, brokers })) };
    }
    const key = JSON.stringify(counts);
    stable = key === previous ? stable + 1 : 0;
    previous = key;
    if (stable >= SETTLE_STABLE_POLLS || nowMs() > deadline) return { equal: false, counts: counts.map(({ topics, brokers }) => ({ topics, brokers })) };
    await sleep(SETTLE_POLL_MS);
  }
}


/**
 * Peer bytes per node per second over the window: the node's rchar + wchar (socket reads and
 * writes) less what the bench's own connections to it carried (registrations, heartbeats).
 * Nothing else talks to the nodes during the window (no metrics scrape).
 */
async function gossipBytes(nodes: readonly NodeProc[], conns: readonly RawRemoting[][], windowMs: number): Promise<number[]> {
  const clientBytes = (index: number): number => (conns[index] ?? []).reduce((sum, conn) => sum + conn.bytes.written + conn.bytes.read, 0);
  const io = (node: NodeProc): number => {
    const bytes = ioBytes(node.process.pid);
    return bytes.read + bytes.written;
  };
  const io0 = nodes.map(io);
  const client0 = nodes.map((_, index) => clientBytes(index));
  const t0 = nowMs();
  await sleep(windowMs);
  const seconds = (nowMs() - t0) / 1000;
  return nodes.map((node, index) => Math.round((io(node) - (io0[index] as number) - (clientBytes(index) - (client0[index] as number))) / seconds));
}

/** Kills node 3 and starts it again empty; times readiness and completeness (node 1's counts) from the spawn. */
async function restartEmpty(ctx: BenchContext, nodes: NodeProc[], workload: Workload): Promise<Pick<ClusterRun, "restartReadyMs" | "restartCompleteMs" | "restartRoutesMatching" | "restartRoutesChecked" | "error">> {
  const victim = nodes[2] as NodeProc;
  const counts = await tableCounts(nodes[0] as NodeProc);
  await ctx.procs.kill(victim.process);
  await sleep(1_000);
  const t0 = nowMs();
  const peers = nodes.slice(0, 2).map((node) => node.addr);
  const fresh = respawnNode(ctx.procs, victim, peers, { remoting: true, logLevel: "info" });
  nodes[2] = fresh;
  let readyMs: number | null = null;
  let completeMs: number | null = null;
  try {
    await waitFor("restarted node complete", CATCH_UP_TIMEOUT_MS, async () => {
      if (fresh.process.exited) throw new Error("restarted node exited");
      if (readyMs === null && (await isReady(fresh))) readyMs = round3(nowMs() - t0);
      if (readyMs === null) return false;
      const now = await tableCounts(fresh);
      if (now.topics === counts.topics && now.brokers === counts.brokers) {
        completeMs = round3(nowMs() - t0);
        return true;
      }
      return false;
    });
  } catch (error) {
    const now = fresh.process.exited ? null : await tableCounts(fresh);
    const what = now ? `; it had ${now.topics} topics and ${now.brokers} brokers, node 1 ${counts.topics} and ${counts.brokers}` : "";
    const ready = fresh.events.find((event) => event.msg === "node ready");
    const peerTrouble = fresh.events.filter((event) => event.msg.startsWith("peer ") && event.msg !== "peer up").map((event) => event.msg);
    ctx.log(`figure 7: restarted node: ${ready ? `ready (${String(ready.fields["reason"])})` : "never ready"}; peer events: ${peerTrouble.join(", ") || "none"}`);
    return { restartReadyMs: readyMs, restartCompleteMs: null, restartRoutesMatching: 0, restartRoutesChecked: 0, error: `${(error as Error).message}${what}` };
  }
  ctx.log(`figure 7: ${workload.name} node restarted empty: ready in ${readyMs} ms, complete in ${completeMs} ms`);
  // The same sampled routes on the restarted node and on node 1.
  const a = await RawRemoting.open(nodes[0]?.remotingPort ?? 0);
  const b = await RawRemoting.open(fresh.remotingPort ?? 0);
  const random = seededRandom(41);
  let matching = 0;
  for (let sample = 0; sample < ROUTE_SAMPLES; sample++) {
    const topic = topicName(workload, Math.floor(random() * workload.topics));
    if ((await routeWidth(a, topic)) === (await routeWidth(b, topic))) matching += 1;
  }
  a.close();
  b.close();
  return { restartReadyMs: readyMs, restartCompleteMs: completeMs, restartRoutesMatching: matching, restartRoutesChecked: ROUTE_SAMPLES, error: null };
}

// The two servers of figures 6 and 7 behind one face: our node (one process, remoting port on)
// and the Java NameServer, each started fresh, driven by the same remoting load generator and
// read the same way (/proc/<pid>/stat CPU, /proc/<pid>/status VmRSS and VmHWM).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchContext } from "./context.js";
import { httpGet, startCluster, stopCluster, stopGracefully, type NodeProc } from "./cluster.js";
import { startJavaNamesrv, stopJavaNamesrv } from "./java_namesrv.js";
import { closedLoop, type LoadClient, type LoadResult } from "./loadgen.js";
import { RawRemoting, remotingLoadClient } from "./remoting_client.js";
import { monotonicUs, summarizeProfile, type ProfileSummary, type ProfileWindow } from "./profile.js";
import { cpuSeconds, nowMs, peakRssBytes, round3, rssBytes } from "./util.js";

/** Which server. */
export type Side = "ours" | "java";

/** One server under test. */
export interface ServerUnderTest {
  readonly side: Side;
  /** Remoting port on 127.0.0.1. */
  readonly port: number;
  readonly pid: number;
  /** Our node's HTTP port (metrics), null for Java. */
  readonly httpPort: number | null;
  /** ms from spawn until it accepted connections (ours: until /readyz said 200). */
  readonly startMs: number;
  /** Runs `body` as a named window of the CPU profile (ours under --profile; else just runs it). */
  phase<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** Stops the server; resolves with the profile of each phase (ours under --profile) or []. */
  stop(): Promise<ProfileSummary[]>;
}

/** A node busy with a big table may take seconds to answer /metrics. */
const METRICS_TIMEOUT_MS = 15_000;
/** A profiled node gets this long to write its profile after SIGTERM. */
const PROFILE_EXIT_TIMEOUT_MS = 60_000;

/**
 * Load connections per source address. Our node accepts at most CONNECTIONS_PER_ADDRESS_MAX
 * (512) from one address, as a real deployment's clients come from many hosts; the load
 * generator spreads its connections over 127.0.0.1, 127.0.0.2, ... (all loopback), 256 each.
 */
const LOAD_CONNECTIONS_PER_SOURCE = 256;
/** Connections opened at once (the listen backlog of a node is 511). */
const CONNECT_BATCH = 64;
/** Requests one closed-loop run may make, whatever its duration. */
const LOAD_REQUESTS_MAX = 5_000_000;

/** One closed-loop run against a server, with its CPU cost. */
export interface QueryRun extends LoadResult {
  readonly connections: number;
  readonly cpuSecondsPer100k: number;
  /** Server CPU over the window as a share of one core. */
  readonly cpuCores: number;
}

/** Starts one of our nodes with the remoting port on (under `node --cpu-prof` with --profile). */
export async function startOurs(ctx: BenchContext, nodeArgs: readonly string[] = []): Promise<ServerUnderTest> {
  const t0 = nowMs();
  const profileDir = ctx.profile ? mkdtempSync(join(tmpdir(), "bench-prof-")) : null;
  if (profileDir !== null) ctx.procs.addCleanup(() => rmSync(profileDir, { recursive: true, force: true }));
  const nodeFlags = profileDir === null ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
  const [node] = await startCluster(ctx.procs, { count: 1, remoting: true, nodeArgs, nodeFlags });
  if (!node || node.remotingPort === null) throw new Error("no node");
  const startMs = round3(nowMs() - t0);
  const windows: ProfileWindow[] = [];
  return {
    side: "ours",
    port: node.remotingPort,
    pid: node.process.pid,
    httpPort: node.port,
    startMs,
    phase: async (name, body) => {
      const fromUs = monotonicUs();
      try {
        return await body();
      } finally {
        windows.push({ name, fromUs, toUs: monotonicUs() });
      }
    },
    stop: async () => {
      if (profileDir === null) {
        await stopCluster(ctx.procs, [node]);
        return [];
      }
      // The profile is written when the node exits on its own (SIGTERM), not on SIGKILL.
      await stopGracefully(ctx.procs, node, PROFILE_EXIT_TIMEOUT_MS);
      try {
        return summarizeProfile(profileDir, windows);
      } catch (error) {
        ctx.log(`profile of our node not read: ${(error as Error).message}`);
        return [];
      }
    },
  };
}

/** Starts a Java NameServer with `-Xmx<heapMax>`. */
export async function startJava(ctx: BenchContext, heapMax: string, label: string): Promise<ServerUnderTest> {
  if (!ctx.java?.classpath) throw new Error("no Java NameServer classpath");
  const t0 = nowMs();
  const java = await startJavaNamesrv(ctx.procs, ctx.java.classpath, { heapMax, name: label });
  const startMs = round3(nowMs() - t0);
  return {
    side: "java",
    port: java.port,
    pid: java.process.pid,
    httpPort: null,
    startMs,
    phase: (_name, body) => body(),
    stop: async () => {
      await stopJavaNamesrv(ctx.procs, java);
      return [];
    },
  };
}

/** The loopback source address of load connection `index`. */
function sourceAddress(index: number): string {
  return `127.0.0.${1 + Math.floor(index / LOAD_CONNECTIONS_PER_SOURCE)}`;
}

/** Opens `count` load clients over the request frames (each starting at its own offset). */
export async function openLoadClients(port: number, frames: readonly Buffer[], count: number): Promise<LoadClient[]> {
  const clients: LoadClient[] = [];
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, (_, i) => start + i);
    clients.push(...(await Promise.all(batch.map((index) => remotingLoadClient(port, frames, index * 7919, sourceAddress(index))))));
  }
  return clients;
}

/** A closed loop of `connections` clients for `durationMs` (after `warmupMs`), with server CPU. */
export async function runQueryLoad(server: ServerUnderTest, frames: readonly Buffer[], connections: number, durationMs: number, warmupMs: number): Promise<QueryRun> {
  const clients = await openLoadClients(server.port, frames, connections);
  try {
    const result = await closedLoopWithCpu(server.pid, clients, durationMs, warmupMs);
    return { ...result, connections };
  } finally {
    for (const client of clients) client.close();
  }
}

async function closedLoopWithCpu(pid: number, clients: readonly LoadClient[], durationMs: number, warmupMs: number): Promise<Omit<QueryRun, "connections">> {
  // The warm-up runs inside closedLoop; CPU is read around the measured window only.
  if (warmupMs > 0) await closedLoop(clients, warmupMs, LOAD_REQUESTS_MAX, 0);
  const cpu0 = cpuSeconds(pid);
  const t0 = nowMs();
  const result = await closedLoop(clients, durationMs, LOAD_REQUESTS_MAX, 0);
  const cpu = cpuSeconds(pid) - cpu0;
  const seconds = (nowMs() - t0) / 1000;
  return { ...result, cpuSecondsPer100k: round3((cpu / Math.max(1, result.requests)) * 100_000), cpuCores: round3(cpu / seconds) };
}

/** VmRSS and VmHWM of the server now. */
export function memoryOf(server: ServerUnderTest): { rssBytes: number; peakRssBytes: number } {
  return { rssBytes: rssBytes(server.pid), peakRssBytes: peakRssBytes(server.pid) };
}

/** A node's routed topics, live brokers and state digest fold (-1 where a metric cannot be read). */
export async function tableCounts(node: NodeProc): Promise<{ topics: number; brokers: number; digest: number }> {
  return {
    topics: (await metricSum(node.port, "namesrv_topics")) ?? -1,
    brokers: (await metricSum(node.port, "namesrv_brokers_live")) ?? -1,
    digest: (await metricSum(node.port, "namesrv_state_digest")) ?? -1,
  };
}

/**
 * Sum of a metric's samples on our node (all label sets, or the one given as `name{labels}`),
 * or null when it cannot be read.
 */
export async function metricSum(httpPort: number, name: string, timeoutMs = METRICS_TIMEOUT_MS): Promise<number | null> {
  const metrics = await httpGet(httpPort, "/metrics", timeoutMs).catch(() => null);
  if (!metrics) return null;
  let sum = 0;
  let found = false;
  const exact = name.endsWith("}");
  for (const line of metrics.body.split("\n")) {
    if (exact ? line.startsWith(`${name} `) : line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      found = true;
    }
  }
  return found ? sum : null;
}

/** Opens `count` connections for registrations (kept open: closing one unregisters its brokers). */
export function openRegistrationConnections(port: number, count: number): Promise<RawRemoting[]> {
  return Promise.all(Array.from({ length: count }, () => RawRemoting.open(port)));
}

/** Times `repeats` round trips of one request; returns the samples in ms and the reply body size. */
export async function timeRequests(conn: RawRemoting, code: number, ext: Record<string, string>, repeats: number): Promise<{ samplesMs: number[]; bodyBytes: number; codes: number[]; body: Buffer | null }> {
  const samplesMs: number[] = [];
  const codes: number[] = [];
  let bodyBytes = 0;
  let body: Buffer | null = null;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const t0 = nowMs();
    const reply = await conn.request(code, ext);
    samplesMs.push(round3(nowMs() - t0));
    codes.push(reply.code);
    bodyBytes = reply.body?.length ?? 0;
    body = reply.body ?? null;
  }
  return { samplesMs, bodyBytes, codes, body };
}

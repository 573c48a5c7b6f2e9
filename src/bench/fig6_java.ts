// Figure 6, our node beside the Java NameServer over remoting, one server at a time, each fresh:
// route queries on the smoke shape (100 topics x 10 brokers, width 4) at 16, 256 and 1,024
// connections (QPS, p50/p99/p99.9, server CPU per 100k, peak RSS), then the registration of a
// 10,000-topic broker as a 5.x broker sends it: full (first), unchanged (same DataVersion) and
// incremental (one topic with the next DataVersion, as on topic creation).
import * as rm from "../protocol/remoting/index.js";
import type { BenchContext } from "./context.js";
import type { ProfileSummary } from "./profile.js";
import { RawRemoting, type SplitFrame } from "./remoting_client.js";
import { memoryOf, openRegistrationConnections, runQueryLoad, startJava, startOurs, type QueryRun, type ServerUnderTest, type Side } from "./sides.js";
import { SMOKE_WORKLOAD, brokerAddr, queryFrames, registerAll, registrationFrame, workloadFrames, type Workload } from "./workloads.js";
import { cpuSeconds, nowMs, round3, summarize, type Summary } from "./util.js";

/** Connection counts of the route runs (issue #13). */
export const QUERY_CONNECTION_COUNTS = [16, 256, 1_024] as const;
/** Topics of the big broker (issue #13: "registration of a 10,000-topic broker"). */
const BIG_BROKER_TOPICS = 10_000;
/** Brokers never expire during the bench: they declare an hour (both servers honour it). */
export const NO_EXPIRY_MS = 3_600_000;
/** Java's heap for the smoke shape and the big-broker registrations. */
const JAVA_HEAP_SMOKE = "1g";

/** Server CPU and round trip of one kind of registration. */
export interface RegistrationKind {
  readonly roundTripMs: Summary;
  /** Server CPU ms per registration (over the batch). */
  readonly cpuMsPerRegistration: number;
  readonly failures: number;
}

/** One server's figure 6. */
export interface VersusSide {
  readonly side: Side;
  readonly startMs: number;
  /** Keyed by connection count. */
  readonly queries: Record<string, QueryRun>;
  /** VmHWM after the route runs (the smoke data). */
  readonly peakRssBytes: number;
  readonly rssBytes: number;
  readonly registration: { readonly full: RegistrationKind; readonly unchanged: RegistrationKind; readonly incremental: RegistrationKind; readonly bodyBytes: number };
  /** Our node's CPU profile per phase (--profile only). */
  readonly profile?: ProfileSummary[];
}

export interface VersusJavaResult {
  readonly workload: Workload;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly ours: VersusSide;
  readonly java: VersusSide | null;
  readonly javaVersion: string | null;
  readonly javaFlags: string | null;
  readonly notes: string[];
}

export async function runVersusJava(ctx: BenchContext): Promise<VersusJavaResult> {
  const durationMs = ctx.quick ? 2_000 : 8_000;
  // Java's JIT needs a few seconds; both get the same warm-up at 256 connections first.
  const warmupMs = ctx.quick ? 2_000 : 6_000;
  const notes: string[] = [];
  const ours = await measureSide(ctx, "ours", durationMs, warmupMs);
  let java: VersusSide | null = null;
  if (ctx.java?.classpath) {
    java = await measureSide(ctx, "java", durationMs, warmupMs);
  } else {
    notes.push(...(ctx.java?.notes ?? ["Java NameServer not looked for"]));
  }
  return {
    workload: SMOKE_WORKLOAD,
    durationMs,
    warmupMs,
    ours,
    java,
    javaVersion: ctx.java?.classpath ? `RocketMQ ${ctx.java.rocketmq ?? "?"} NameServer on ${ctx.java.java ?? "java"}` : null,
    javaFlags: ctx.java?.classpath ? `-Xmx${JAVA_HEAP_SMOKE} -Xms64m -XX:+UseSerialGC` : null,
    notes,
  };
}

async function measureSide(ctx: BenchContext, side: Side, durationMs: number, warmupMs: number): Promise<VersusSide> {
  const server = side === "ours" ? await startOurs(ctx) : await startJava(ctx, JAVA_HEAP_SMOKE, "smoke");
  let measured: VersusSide;
  try {
    measured = await measure(ctx, server, durationMs, warmupMs);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const profile = await server.stop();
  return profile.length > 0 ? { ...measured, profile } : measured;
}

async function measure(ctx: BenchContext, server: ServerUnderTest, durationMs: number, warmupMs: number): Promise<VersusSide> {
  const side = server.side;
  const conns = await openRegistrationConnections(server.port, 2);
  const loaded = await registerAll(conns, workloadFrames(SMOKE_WORKLOAD, NO_EXPIRY_MS));
  if (loaded.failures > 0) throw new Error(`${side}: ${loaded.failures} smoke registrations failed: ${loaded.firstError ?? ""}`);
  const frames = queryFrames(SMOKE_WORKLOAD, SMOKE_WORKLOAD.topics, 13);
  await runQueryLoad(server, frames, 256, warmupMs, 0);
  const queries: Record<string, QueryRun> = {};
  for (const connections of QUERY_CONNECTION_COUNTS) {
    const run = await server.phase(`smoke routes, ${connections} connections`, () => runQueryLoad(server, frames, connections, durationMs, Math.min(1_000, warmupMs)));
    queries[String(connections)] = run;
    ctx.log(`figure 6: ${side} ${connections} connections ${run.throughput}/s p50 ${run.latencyMs.p50} p99 ${run.latencyMs.p99} p99.9 ${run.latencyMs.p999} ms, ${run.cpuSecondsPer100k} s CPU/100k (${run.failures} failures)`);
  }
  const memory = memoryOf(server);
  const registration = await bigBroker(ctx, server);
  ctx.log(`figure 6: ${side} 10k-topic registration full p50 ${registration.full.roundTripMs.p50} ms, unchanged ${registration.unchanged.roundTripMs.p50} ms, incremental ${registration.incremental.roundTripMs.p50} ms`);
  for (const conn of conns) conn.close();
  return { side, startMs: server.startMs, queries, peakRssBytes: memory.peakRssBytes, rssBytes: memory.rssBytes, registration };
}

/** Registrations of a 10,000-topic broker: full (fresh brokers), unchanged, incremental. */
async function bigBroker(ctx: BenchContext, server: ServerUnderTest): Promise<VersusSide["registration"]> {
  const fullRepeats = ctx.quick ? 3 : 8;
  const repeats = ctx.quick ? 10 : 30;
  const topics = Array.from({ length: BIG_BROKER_TOPICS }, (_, index) => `big_topic_${index}`);
  const name = (index: number): string => `big-broker-${index}`;
  const addr = (index: number): string => brokerAddr(5_000 + index);
  const full = Array.from({ length: fullRepeats }, (_, index) => registrationFrame({ name: name(index), addr: addr(index), topics, counter: 1, heartbeatTimeoutMs: NO_EXPIRY_MS }));
  const unchanged = Array.from({ length: repeats }, () => registrationFrame({ name: name(0), addr: addr(0), topics, counter: 1, heartbeatTimeoutMs: NO_EXPIRY_MS }));
  const incremental = Array.from({ length: repeats }, (_, index) =>
    registrationFrame({ name: name(0), addr: addr(0), topics: [`big_new_topic_${index}`], counter: 2 + index, heartbeatTimeoutMs: NO_EXPIRY_MS }),
  );
  const conn = await RawRemoting.open(server.port);
  try {
    return {
      full: await server.phase("10k-topic registration, full", () => timeBatch(server, conn, full)),
      unchanged: await server.phase("10k-topic registration, unchanged", () => timeBatch(server, conn, unchanged)),
      incremental: await server.phase("10k-topic registration, incremental", () => timeBatch(server, conn, incremental)),
      bodyBytes: full[0]?.body?.length ?? 0,
    };
  } finally {
    conn.close();
  }
}

async function timeBatch(server: ServerUnderTest, conn: RawRemoting, frames: readonly SplitFrame[]): Promise<RegistrationKind> {
  const samples: number[] = [];
  let failures = 0;
  const cpu0 = cpuSeconds(server.pid);
  for (const frame of frames) {
    const t0 = nowMs();
    const reply = await conn.send(frame);
    samples.push(nowMs() - t0);
    if (reply.code !== rm.ResponseCode.SUCCESS) failures += 1;
  }
  const cpuMs = (cpuSeconds(server.pid) - cpu0) * 1000;
  return { roundTripMs: summarize(samples), cpuMsPerRegistration: round3(cpuMs / Math.max(1, frames.length)), failures };
}

// The goals table of issue #13: every row with the measured value, Java's beside ours where
// Java has the figure, and met / not met. Built from a run's results (figures 1, 3, 6 and 7),
// after --base merged in the figures not re-run; a row whose figure is missing says so.
import type { GoalRow } from "./context.js";
import type { CapacitySide, CapacityWorkloadResult } from "./fig7_capacity.js";
import type { VersusSide } from "./fig6_java.js";
import type { BenchResults } from "./results.js";
import { QUERY_CONNECTION_COUNTS } from "./fig6_java.js";
import { round3 } from "./util.js";

const MIB = 2 ** 20;
const mib = (bytes: number): string => `${Math.round(bytes / MIB)} MiB`;
const ratio = (a: number, b: number): number => round3(a / b);
const NOT_MEASURED = "not measured";

function missing(goal: string, source: string, why: string): GoalRow {
  return { goal, source, ours: `${NOT_MEASURED} (${why})`, java: "", met: null };
}

/** The rows of the issue's table, in its order. */
export function goalRows(results: BenchResults): GoalRow[] {
  const v = results.versusJava;
  const c = results.capacity;
  const w20 = c?.workloads.find((w) => w.workload.name === "20k") ?? null;
  const w100 = c?.workloads.find((w) => w.workload.name === "100k") ?? null;
  return [
    cpuRow(v?.ours ?? null, v?.java ?? null),
    throughputRow(v?.ours ?? null, v?.java ?? null, [w20, w100]),
    p99Row(v?.ours ?? null, v?.java ?? null),
    rssRow(v?.ours ?? null, v?.java ?? null, [w20, w100]),
    ...capacityRows(v?.ours ?? null, w100),
    topicListRow(w100),
    gossipRow(results, [w20, w100]),
    propagationRow(results),
    echoRow(results),
  ];
}

function cpuRow(ours: VersusSide | null, java: VersusSide | null): GoalRow {
  const goal = "server CPU per route query <= 1/4 of the Java NameServer's";
  if (!ours || !java) return missing(goal, "6", ours ? "no Java NameServer" : "figure 6 not run");
  const parts = QUERY_CONNECTION_COUNTS.map((n) => {
    const a = ours.queries[String(n)]?.cpuSecondsPer100k ?? Number.NaN;
    const b = java.queries[String(n)]?.cpuSecondsPer100k ?? Number.NaN;
    return { n, a, b, r: ratio(a, b) };
  });
  return {
    goal,
    source: "6",
    ours: parts.map((p) => `${p.n} conns: ${p.a} s/100k (${p.r}x Java)`).join("; "),
    java: parts.map((p) => `${p.b} s`).join(" / "),
    met: parts.every((p) => p.r <= 0.25),
  };
}

function capacityQuery(w: CapacityWorkloadResult | null): { ours: CapacitySide; java: CapacitySide } | null {
  return w?.ours && w.java ? { ours: w.ours, java: w.java } : null;
}

function throughputRow(ours: VersusSide | null, java: VersusSide | null, capacity: (CapacityWorkloadResult | null)[]): GoalRow {
  const goal = "route throughput at 256 connections >= 2x Java's (every shape)";
  if (!ours || !java) return missing(goal, "6, 7", ours ? "no Java NameServer" : "figure 6 not run");
  const a = ours.queries["256"]?.throughput ?? Number.NaN;
  const b = java.queries["256"]?.throughput ?? Number.NaN;
  const rows = [{ shape: "smoke", a, b }];
  for (const w of capacity) {
    const pair = capacityQuery(w);
    if (pair && w) rows.push({ shape: w.workload.name, a: pair.ours.query.throughput, b: pair.java.query.throughput });
  }
  return {
    goal,
    source: "6, 7",
    ours: rows.map((r) => `${r.shape}: ${r.a}/s (${ratio(r.a, r.b)}x)`).join("; "),
    java: rows.map((r) => `${r.shape}: ${r.b}/s`).join("; "),
    met: rows.every((r) => r.a >= 2 * r.b),
  };
}

function p99Row(ours: VersusSide | null, java: VersusSide | null): GoalRow {
  const goal = "route p99 <= Java's at 16, 256 and 1,024 connections";
  if (!ours || !java) return missing(goal, "6", ours ? "no Java NameServer" : "figure 6 not run");
  const parts = QUERY_CONNECTION_COUNTS.map((n) => ({ n, a: ours.queries[String(n)]?.latencyMs.p99 ?? Number.NaN, b: java.queries[String(n)]?.latencyMs.p99 ?? Number.NaN }));
  return {
    goal,
    source: "6",
    ours: parts.map((p) => `${p.n}: ${p.a} ms`).join("; "),
    java: parts.map((p) => `${p.n}: ${p.b} ms`).join("; "),
    met: parts.every((p) => p.a <= p.b),
  };
}

function rssRow(ours: VersusSide | null, java: VersusSide | null, capacity: (CapacityWorkloadResult | null)[]): GoalRow {
  const goal = "peak RSS, same data <= 1/4 of Java's (VmHWM)";
  if (!ours || !java) return missing(goal, "6, 7", ours ? "no Java NameServer" : "figure 6 not run");
  const rows = [{ shape: "smoke", a: ours.peakRssBytes, b: java.peakRssBytes, same: true }];
  for (const w of capacity) {
    const pair = capacityQuery(w);
    if (pair && w) rows.push({ shape: w.workload.name, a: pair.ours.peakRssBytes, b: pair.java.peakRssBytes, same: (pair.ours.topicsSkipped ?? 0) === 0 });
  }
  return {
    goal,
    source: "6, 7",
    ours: rows.map((r) => `${r.shape}: ${mib(r.a)} (${ratio(r.a, r.b)}x)${r.same ? "" : ", not all data held"}`).join("; "),
    java: rows.map((r) => `${r.shape}: ${mib(r.b)}`).join("; "),
    met: rows.every((r) => r.same && r.a <= r.b / 4),
  };
}

function capacityRows(smoke: VersusSide | null, w100: CapacityWorkloadResult | null): GoalRow[] {
  const prefix = "100k topics x 1,000 brokers (width 16): ";
  const ours = w100?.ours ?? null;
  const java = w100?.java ?? null;
  if (!ours) {
    const why = w100 ? "ours failed" : "figure 7 not run";
    return ["loads under 2 GB RSS", "route throughput at 256 connections >= 0.8x the smoke shape's", "route p99 <= 2x the smoke shape's", "a restarted node complete from peers <= 5 s"].map((goal) => missing(prefix + goal, "7", why));
  }
  const skipped = ours.topicsSkipped ?? 0;
  const load: GoalRow = {
    goal: `${prefix}loads under 2 GB RSS`,
    source: "7",
    ours: `${mib(ours.peakRssBytes)} peak, loaded in ${round3(ours.loadMs / 1000)} s; ${ours.topicList.topics} topics listed, ${ours.routes.complete}/${ours.routes.checked} sampled routes on 16 brokers${skipped > 0 ? `; ${skipped} topic registrations skipped` : ""}`,
    java: java ? `${mib(java.peakRssBytes)} peak, loaded in ${round3(java.loadMs / 1000)} s; ${java.topicList.topics} topics, ${java.routes.complete}/${java.routes.checked} routes on 16` : "",
    met: skipped === 0 && ours.routes.complete === ours.routes.checked && ours.peakRssBytes < 2 * 1e9,
  };
  const smokeRun = smoke?.queries["256"] ?? null;
  const q = ours.query;
  const throughput: GoalRow = smokeRun
    ? { goal: `${prefix}route throughput at 256 connections >= 0.8x the smoke shape's`, source: "6, 7", ours: `${q.throughput}/s vs ${smokeRun.throughput}/s = ${ratio(q.throughput, smokeRun.throughput)}x (${q.failures} error replies)`, java: java ? `${java.query.throughput}/s` : "", met: q.throughput >= 0.8 * smokeRun.throughput }
    : missing(`${prefix}route throughput at 256 connections >= 0.8x the smoke shape's`, "6, 7", "figure 6 not run");
  const p99: GoalRow = smokeRun
    ? { goal: `${prefix}route p99 <= 2x the smoke shape's`, source: "6, 7", ours: `${q.latencyMs.p99} ms vs ${smokeRun.latencyMs.p99} ms = ${ratio(q.latencyMs.p99, smokeRun.latencyMs.p99)}x`, java: java ? `${java.query.latencyMs.p99} ms` : "", met: q.latencyMs.p99 <= 2 * smokeRun.latencyMs.p99 }
    : missing(`${prefix}route p99 <= 2x the smoke shape's`, "6, 7", "figure 6 not run");
  const cluster = w100?.cluster ?? null;
  const restart: GoalRow = cluster
    ? {
        goal: `${prefix}a restarted node complete from peers <= 5 s`,
        source: "7",
        ours: cluster.restartCompleteMs !== null ? `${round3(cluster.restartCompleteMs / 1000)} s (ready after ${round3((cluster.restartReadyMs ?? Number.NaN) / 1000)} s)` : `not complete: ${cluster.error ?? "unknown"}`,
        java: "no peers to catch up from",
        met: cluster.restartCompleteMs !== null && cluster.restartCompleteMs <= 5_000,
      }
    : missing(`${prefix}a restarted node complete from peers <= 5 s`, "7", w100?.errors.find((e) => e.startsWith("cluster")) ?? "cluster run failed");
  return [load, throughput, p99, restart];
}

function topicListRow(w100: CapacityWorkloadResult | null): GoalRow {
  const goal = "GET_ALL_TOPIC_LIST_FROM_NAMESERVER at 100k topics <= 50 ms";
  const ours = w100?.ours ?? null;
  if (!ours) return missing(goal, "7", w100 ? "ours failed" : "figure 7 not run");
  const java = w100?.java ?? null;
  const text = (side: CapacitySide): string => `p50 ${side.topicList.ms.p50} ms, max ${side.topicList.ms.max} ms (${side.topicList.topics} topics, ${Math.round(side.topicList.bytes / 1024)} KiB)`;
  return { goal, source: "7", ours: text(ours), java: java ? text(java) : "", met: ours.topicList.topics === w100?.workload.topics && ours.topicList.ms.p50 <= 50 };
}

function gossipRow(results: BenchResults, capacity: (CapacityWorkloadResult | null)[]): GoalRow {
  const goal = "gossip, 1,000 brokers heartbeating to all three nodes <= 5 KB/s per node";
  const runs = capacity.filter((w): w is CapacityWorkloadResult => w?.cluster !== null && w?.cluster !== undefined);
  const fig5 = results.scale?.real.find((row) => row.nodes === 3)?.bytesPerNodePerSecond ?? null;
  const fig5Text = fig5 === null ? "" : `; figure 5 (native agents, heartbeats to one node): ${round3(fig5 / 1000)} KB/s`;
  if (runs.length === 0) return missing(goal, "7", `figure 7 not run${fig5Text}`);
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const parts = runs.map((w) => {
    const cluster = w.cluster as NonNullable<CapacityWorkloadResult["cluster"]>;
    return { name: w.workload.name, all: mean(cluster.gossipAllBytesPerNodePerSecond), one: mean(cluster.gossipOneBytesPerNodePerSecond) };
  });
  return {
    goal,
    source: "7 (5)",
    ours: parts.map((p) => `${p.name}: ${round3(p.all / 1000)} KB/s (heartbeats to one node: ${round3(p.one / 1000)} KB/s)`).join("; ") + fig5Text,
    java: "0 (Java NameServers do not replicate: every broker registers with each)",
    met: parts.every((p) => p.all <= 5_000),
  };
}

function propagationRow(results: BenchResults): GoalRow {
  const goal = "propagation, registration sent on n1 -> answered by n2 and n3: p50 <= 1 ms, p99 <= 3 ms";
  const p = results.propagation;
  if (!p) return missing(goal, "1", "figure 1 not run");
  return {
    goal,
    source: "1",
    ours: `poll p50 ${p.pollBothMs.p50} ms, p99 ${p.pollBothMs.p99} ms (push p50 ${p.pushBothMs.p50}, p99 ${p.pushBothMs.p99} ms)`,
    java: "no replication",
    met: p.pollBothMs.p50 <= 1 && p.pollBothMs.p99 <= 3,
  };
}

function echoRow(results: BenchResults): GoalRow {
  const goal = "remoting route throughput >= 0.8x bare TCP echo";
  const q = results.queries;
  const ours = q?.runs["remoting"];
  const echo = q?.runs["tcpEcho"];
  if (!ours || !echo) return missing(goal, "3", "figure 3 not run");
  return { goal, source: "3", ours: `${ours.throughput}/s vs ${echo.throughput}/s = ${ratio(ours.throughput, echo.throughput)}x`, java: "", met: ours.throughput >= 0.8 * echo.throughput };
}

// The summary sections and SVG charts of figures 6 and 7 (our node beside the Java NameServer):
// route runs by connection count, big-broker registrations, the capacity workloads and the
// three-node cluster run. report.ts places them in bench/results/latest.md and docs/perf/.
import type { CapacitySide } from "./fig7_capacity.js";
import { QUERY_CONNECTION_COUNTS, type VersusSide } from "./fig6_java.js";
import type { ProfileSummary } from "./profile.js";
import type { BenchResults } from "./results.js";
import { cdf, renderChart, type Series } from "./svg.js";
import { round3 } from "./util.js";

const MIB = 2 ** 20;
/** Functions and files of each profile window shown in the summary (the JSON keeps more). */
const PROFILE_FUNCTIONS_SHOWN = 10;
const PROFILE_FILES_SHOWN = 6;
const mib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined || Number.isNaN(bytes) ? "-" : String(Math.round(bytes / MIB)));

/** Markdown sections of figures 6 and 7. */
export function javaSections(results: BenchResults): string[] {
  return [...versusSection(results), ...capacitySection(results), ...profileSection(results)];
}

/** Top self-time functions of our node per phase (runs with --profile). */
function profileSection(results: BenchResults): string[] {
  const profiles: { where: string; summary: ProfileSummary }[] = [];
  for (const summary of results.versusJava?.ours.profile ?? []) profiles.push({ where: "figure 6", summary });
  for (const w of results.capacity?.workloads ?? []) for (const summary of w.ours?.profile ?? []) profiles.push({ where: "figure 7", summary });
  if (profiles.length === 0) return [];
  const lines = ["## Profiles of our node (--profile: self time per phase, top functions and files)", ""];
  for (const { where, summary } of profiles) {
    lines.push(`- ${where}, ${summary.window} (${summary.samples} samples): ${summary.functions.slice(0, PROFILE_FUNCTIONS_SHOWN).map((f) => `${f.name} ${f.percent}%`).join("; ")}`);
    lines.push(`  - by file: ${summary.files.slice(0, PROFILE_FILES_SHOWN).map((f) => `${f.name} ${f.percent}%`).join("; ")}`);
  }
  lines.push("");
  return lines;
}

function versusSection(results: BenchResults): string[] {
  const v = results.versusJava;
  if (!v) return [];
  const w = v.workload;
  const lines = [
    `## 6. Ours beside the Java NameServer (remoting; ${w.topics} topics x ${w.brokers} brokers, width ${w.width}; ${v.durationMs} ms per run after a ${v.warmupMs} ms warm-up)`,
    "",
    `Java: ${v.javaVersion ?? "not measured"}${v.javaFlags ? `, ${v.javaFlags}` : ""}.${v.notes.map((note) => ` ${note}.`).join("")}`,
    "",
    "| server | connections | routes/s | p50 ms | p99 ms | p99.9 ms | server CPU s / 100k | CPU cores | error replies |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const sides = [v.ours, ...(v.java ? [v.java] : [])];
  for (const side of sides) {
    for (const n of QUERY_CONNECTION_COUNTS) {
      const run = side.queries[String(n)];
      if (run) lines.push(`| ${side.side} | ${n} | ${run.throughput} | ${run.latencyMs.p50} | ${run.latencyMs.p99} | ${run.latencyMs.p999} | ${run.cpuSecondsPer100k} | ${run.cpuCores} | ${run.failures} |`);
    }
  }
  lines.push("", "| server | peak RSS MiB (smoke) | start ms | 10k-topic registration: full p50 / max ms | unchanged p50 / p99 ms | incremental p50 / p99 ms | server CPU ms: full / unchanged / incremental |", "| --- | --- | --- | --- | --- | --- | --- |");
  for (const side of sides) lines.push(registrationRow(side));
  lines.push("", `Registration body: ${v.ours.registration.bodyBytes} bytes of JSON (uncompressed, as 5.x brokers send).`, "");
  return lines;
}

function registrationRow(side: VersusSide): string {
  const r = side.registration;
  return `| ${side.side} | ${mib(side.peakRssBytes)} | ${side.startMs} | ${r.full.roundTripMs.p50} / ${r.full.roundTripMs.max} | ${r.unchanged.roundTripMs.p50} / ${r.unchanged.roundTripMs.p99} | ${r.incremental.roundTripMs.p50} / ${r.incremental.roundTripMs.p99} | ${r.full.cpuMsPerRegistration} / ${r.unchanged.cpuMsPerRegistration} / ${r.incremental.cpuMsPerRegistration} |`;
}

function capacitySection(results: BenchResults): string[] {
  const c = results.capacity;
  if (!c) return [];
  const lines = [
    `## 7. Capacity workloads (remoting, 1,000 brokers registered over 20 connections; route runs at 256 connections, ${c.durationMs} ms after a ${c.warmupMs} ms warm-up)`,
    "",
    "| workload | server | load s | RSS after load MiB | peak RSS MiB | topics listed | routes on full width | topics skipped | topic list p50 / max ms | cluster info p50 ms (KiB) | routes/s | p50 ms | p99 ms | p99.9 ms | CPU s / 100k | error replies |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const w of c.workloads) {
    const name = `${w.workload.topics} x ${w.workload.brokers}, width ${w.workload.width}`;
    for (const side of [w.ours, w.java]) if (side) lines.push(capacityRow(name, side, side.side === "java" ? w.javaHeapMax : null));
  }
  lines.push("", `Three of our nodes (brokers register with all three, declare a 10 s expiry and send BROKER_HEARTBEAT every second; gossip bytes are each node's rchar + wchar less the bench's own broker traffic, over ${c.gossipWindowMs} ms):`, "");
  lines.push("| workload | load s (3 nodes) | settled s | counts per node (topics / brokers) | gossip B/s per node, heartbeats to all | to one | heartbeats/s sent | restarted node ready s | complete s | routes matching node 1 | evictions | error |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const w of c.workloads) {
    const k = w.cluster;
    const name = `${w.workload.topics} x ${w.workload.brokers}`;
    if (!k) {
      lines.push(`| ${name} | failed: ${w.errors.join("; ").replace(/\|/g, "/")} | | | | | | | | | | |`);
      continue;
    }
    const seconds = (ms: number | null): string => (ms === null ? "-" : String(round3(ms / 1000)));
    lines.push(`| ${name} | ${seconds(k.loadMs)} | ${seconds(k.settledMs)} | ${k.nodeCounts.map((n) => `${n.topics} / ${n.brokers}`).join(", ")}${k.countsEqual ? "" : " (differ)"} | ${k.gossipAllBytesPerNodePerSecond.join(", ")} | ${k.gossipOneBytesPerNodePerSecond.join(", ")} | ${k.heartbeatsPerSecond} | ${seconds(k.restartReadyMs)} | ${seconds(k.restartCompleteMs)} | ${k.restartRoutesMatching}/${k.restartRoutesChecked} | ${k.evictions.expired} expired, ${k.evictions.connectionClosed} connection closed | ${(k.error ?? "").replace(/\|/g, "/")} |`);
  }
  for (const w of c.workloads) {
    const k = w.cluster;
    if (!k?.offlineByPhase) continue;
    const total = Object.values(k.offlineByPhase).reduce((sum, n) => sum + n, 0);
    const phases = Object.entries(k.offlineByPhase).map(([phase, n]) => `${phase} ${n}`).join(", ");
    const first = (k.offlineFirst ?? []).slice(0, 5).map((e) => `${e.node} ${e.reason} at ${round3(e.atMs / 1000)} s`).join("; ");
    lines.push("", `"broker offline" records logged by the three nodes before the restart, ${w.workload.name}: ${total} (${phases})${first === "" ? "" : `; first: ${first}`}.`);
  }
  const errors = c.workloads.flatMap((w) => w.errors.map((e) => `${w.workload.name}: ${e}`));
  if (errors.length > 0) lines.push("", ...errors.map((e) => `- ${e}`));
  lines.push("");
  return lines;
}

function capacityRow(name: string, side: CapacitySide, heap: string | null): string {
  const q = side.query;
  const list = side.topicList.ms;
  return `| ${name} | ${side.side}${heap ? ` (-Xmx${heap})` : ""} | ${round3(side.loadMs / 1000)}${side.loadFailures > 0 ? ` (${side.loadFailures} failed)` : ""} | ${mib(side.rssAfterLoadBytes)} | ${mib(side.peakRssBytes)} | ${side.topicList.topics} | ${side.routes.complete}/${side.routes.checked} | ${side.topicsSkipped ?? "-"} | ${list.p50} / ${list.max} | ${side.clusterInfo.ms.p50} (${Math.round(side.clusterInfo.bytes / 1024)}) | ${q.throughput} | ${q.latencyMs.p50} | ${q.latencyMs.p99} | ${q.latencyMs.p999} | ${q.cpuSecondsPer100k} | ${q.failures} |`;
}

/** The charts of figures 6 and 7: [file name, SVG]. */
export function javaCharts(results: BenchResults): [string, string][] {
  const charts: [string, string][] = [];
  const v = results.versusJava;
  if (v) {
    const sides = [v.ours, ...(v.java ? [v.java] : [])];
    const cdfSeries: Series[] = [];
    for (const side of sides) for (const n of QUERY_CONNECTION_COUNTS) {
      const run = side.queries[String(n)];
      if (run) cdfSeries.push({ name: `${side.side}, ${n} conns`, points: cdf(run.cdfSample) });
    }
    charts.push(["java_route_latency_cdf.svg", renderChart({ title: "Route latency CDF, ours vs Java NameServer (remoting)", xLabel: "latency ms (log)", yLabel: "fraction", logX: true, series: cdfSeries })]);
    const throughput = sides.map((side) => ({ name: side.side, points: QUERY_CONNECTION_COUNTS.filter((n) => side.queries[String(n)]).map((n) => [n, side.queries[String(n)]?.throughput ?? 0] as [number, number]) }));
    charts.push(["java_route_throughput.svg", renderChart({ title: "Routes per second by connections (smoke shape)", xLabel: "connections (log)", yLabel: "routes/s", logX: true, series: throughput })]);
  }
  const c = results.capacity;
  if (v && c) {
    const bySide = (which: "ours" | "java", read: (side: CapacitySide) => number, smoke: (side: VersusSide) => number): [number, number][] => {
      const points: [number, number][] = [];
      const first = which === "ours" ? v.ours : v.java;
      if (first) points.push([v.workload.topics, smoke(first)]);
      for (const w of c.workloads) {
        const side = which === "ours" ? w.ours : w.java;
        if (side) points.push([w.workload.topics, read(side)]);
      }
      return points;
    };
    const series = (read: (side: CapacitySide) => number, smoke: (side: VersusSide) => number): Series[] => [
      { name: "ours", points: bySide("ours", read, smoke) },
      { name: "Java NameServer", points: bySide("java", read, smoke) },
    ];
    charts.push(["java_throughput_vs_topics.svg", renderChart({ title: "Routes/s at 256 connections vs table size", xLabel: "topics (log; 10, then 1,000 brokers)", yLabel: "routes/s", logX: true, series: series((s) => s.query.throughput, (s) => s.queries["256"]?.throughput ?? Number.NaN) })]);
    charts.push(["java_p99_vs_topics.svg", renderChart({ title: "Route p99 at 256 connections vs table size", xLabel: "topics (log)", yLabel: "p99 ms (log)", logX: true, logY: true, series: series((s) => s.query.latencyMs.p99, (s) => s.queries["256"]?.latencyMs.p99 ?? Number.NaN) })]);
    charts.push(["java_rss_vs_topics.svg", renderChart({ title: "Peak RSS vs table size", xLabel: "topics (log)", yLabel: "MiB", logX: true, series: series((s) => s.peakRssBytes / MIB, (s) => s.peakRssBytes / MIB) })]);
  }
  return charts;
}

// Writes the results: bench/results/<timestamp>.json (samples trimmed), bench/results/latest.md
// (machine, versions, each figure, ratios, targets met or missed) and docs/perf/*.svg.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import type { BenchResults } from "./results.js";
import { javaCharts, javaSections } from "./report_java.js";
import { cdf, renderChart, type Series } from "./svg.js";

/** Machine facts for the summary. */
export function machineInfo(): Record<string, unknown> {
  const git = (args: string): string => {
    try {
      return execSync(`git ${args}`, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    commit: git("rev-parse --short HEAD"),
    // The bench's own outputs (results, charts) do not make the measured code dirty.
    dirtyFiles: git("status --porcelain --untracked-files=no -- . :!bench/results :!docs/perf").split("\n").filter((line) => line.trim() !== "").length,
  };
}

const fmt = (value: number | null | undefined, unit = ""): string => (value === null || value === undefined || Number.isNaN(value) ? "not measured" : `${value}${unit}`);

/** The markdown summary. */
export function summaryMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(`# Benchmark results (${results.mode}, ${results.startedAt})`, "");
  lines.push(`Machine: ${String(m["cpu"])}, ${String(m["cores"])} cores, ${String(m["memoryGiB"])} GiB, Linux ${String(m["kernel"])}, Node ${String(m["node"])}; commit ${String(m["commit"])} (${String(m["dirtyFiles"])} tracked files modified in the work tree).`);
  if (results.mergedFrom) lines.push(`Figures not re-run in this run are taken from the run of ${results.mergedFrom}.`);
  lines.push(`Peers: Serf ${results.peers?.serf ?? "missing"}, ${results.peers?.etcd ?? "etcd missing"}.${(results.peers?.notes ?? []).map((note) => ` Note: ${note}.`).join("")}`);
  const load = results.load;
  if (load) {
    const verdict = load.quiet ? "a quiet run" : "**not a quiet run**: other work shared the cores, so the figures are not clean";
    lines.push(`Machine load: 1-minute load average ${load.loadAtStart} before the run, ${load.loadAtEnd} at its end; CPU used by processes other than the bench's: ${load.otherCoresMean} cores on average, ${load.otherCoresMax} at most (${load.samples} samples of 5 s, of ${String(m["cores"])} cores): ${verdict}.`);
    const figures = Object.entries(load.figures ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (figures.length > 0) {
      lines.push(`Other work per figure (mean / highest 5 s, cores): ${figures.map(([figure, f]) => `${figure}: ${f.otherCoresMean} / ${f.otherCoresMax}${f.quiet ? " quiet" : " **loaded**"} (${f.startedAt.slice(0, 19)}Z, ${Math.round(f.seconds)} s)`).join("; ")}.`);
    }
  }
  lines.push("");
  lines.push(...goalsTable(results));
  lines.push("## Targets (issue #6)", "", "| fig | target | measured | met |", "| --- | --- | --- | --- |");
  for (const target of results.targets) lines.push(`| ${target.figure} | ${target.target} | ${target.measured} | ${target.met === null ? "not measured" : target.met ? "yes" : "**no**"} |`);
  lines.push("");
  const p = results.propagation;
  if (p) {
    lines.push("## 1. Propagation (3 nodes, loopback)", "", "| measure | p50 ms | p99 ms | max ms | n |", "| --- | --- | --- | --- | --- |");
    lines.push(`| register on n1 -> GET_ROUTE answers on n2 and n3 (poll) | ${p.pollBothMs.p50} | ${p.pollBothMs.p99} | ${p.pollBothMs.max} | ${p.pollBothMs.count} |`);
    lines.push(`| register on n1 -> pushes from n2 and n3 | ${p.pushBothMs.p50} | ${p.pushBothMs.p99} | ${p.pushBothMs.max} | ${p.pushBothMs.count} |`);
    lines.push(`| register round trip to n1 alone | ${p.registerAckMs.p50} | ${p.registerAckMs.p99} | ${p.registerAckMs.max} | ${p.registerAckMs.count} |`);
    if (p.serf) lines.push(`| Serf user event -> agents 2 and 3 (RPC stream) | ${p.serf.twoAndThreeMs.p50} | ${p.serf.twoAndThreeMs.p99} | ${p.serf.twoAndThreeMs.max} | ${p.serf.twoAndThreeMs.count} |`);
    lines.push("", `Lost trials: ours ${p.lost}, Serf ${p.serf?.lost ?? "n/a"}.`, "");
  }
  const e = results.eviction;
  if (e) {
    lines.push(`## 2. Eviction (3 nodes; SUSPICION_MS ${e.suspicionMs} ms; silent broker: heartbeat ${e.silent.heartbeatMs} ms, declared expiry ${e.silent.expiryMs} ms)`, "");
    lines.push("| measure | p50 ms | p99 ms | max ms | n |", "| --- | --- | --- | --- | --- |");
    for (const [label, kind] of [["crash (SIGKILL)", e.crash], ["silent (SIGSTOP)", e.silent]] as const) {
      lines.push(`| ${label}: removed on all nodes | ${kind.removedAllMs.p50} | ${kind.removedAllMs.p99} | ${kind.removedAllMs.max} | ${kind.removedAllMs.count} |`);
      lines.push(`| ${label}: subscriber on every node notified | ${kind.notifiedAllMs.p50} | ${kind.notifiedAllMs.p99} | ${kind.notifiedAllMs.max} | ${kind.notifiedAllMs.count} |`);
      lines.push(`| ${label}: notification after the node's eviction | ${kind.notifyAfterEvictionMs.p50} | ${kind.notifyAfterEvictionMs.p99} | ${kind.notifyAfterEvictionMs.max} | ${kind.notifyAfterEvictionMs.count} |`);
    }
    if (e.serf) {
      lines.push(`| Serf SIGKILL: member-failed on all 3 agents | ${e.serf.crashAllMs.p50} | ${e.serf.crashAllMs.p99} | ${e.serf.crashAllMs.max} | ${e.serf.crashAllMs.count} |`);
      lines.push(`| Serf SIGSTOP: member-failed on all 3 agents | ${e.serf.silentAllMs.p50} | ${e.serf.silentAllMs.p99} | ${e.serf.silentAllMs.max} | ${e.serf.silentAllMs.count} |`);
    }
    lines.push("");
  }
  const q = results.queries;
  if (q) {
    lines.push(`## 3. Route queries (1 node, ${q.connections} connections x 1 in flight, ${q.durationMs} ms x ${q.repeats}; reply bytes: native ${q.replyBytes.native}, remoting ${q.replyBytes.remoting}, http ${q.replyBytes.http})`, "");
    lines.push("| server | req/s (median) | all repeats | p50 ms | p99 ms | server CPU s / 100k | error replies |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const [name, run] of Object.entries(q.runs)) {
      lines.push(`| ${name} | ${run.throughput} | ${(q.throughputs[name] ?? []).join(", ")} | ${run.latencyMs.p50} | ${run.latencyMs.p99} | ${run.cpuSecondsPer100k} | ${run.failures} |`);
    }
    lines.push("");
  }
  const r = results.registration;
  if (r) {
    lines.push("## 4. Registration cost (10,000 topics)", "", "| measure | core (in-process) | over the wire (round trip) |", "| --- | --- | --- |");
    lines.push(`| first registration | ${r.inProcess.firstMs} ms | ${r.wire.firstMs} ms |`);
    lines.push(`| unchanged re-registration p50 / p99 | ${r.inProcess.unchangedMs.p50} / ${r.inProcess.unchangedMs.p99} ms | ${r.wire.unchangedMs.p50} / ${r.wire.unchangedMs.p99} ms |`);
    lines.push(`| changed re-registration p50 / p99 | ${r.inProcess.changedMs.p50} / ${r.inProcess.changedMs.p99} ms | ${r.wire.changedMs.p50} / ${r.wire.changedMs.p99} ms |`);
    lines.push(`| bytes per (topic, broker) entry | ${r.inProcess.heapBytesPerEntry} B heap, ${r.inProcess.rssBytesPerEntry} B RSS (${r.inProcess.brokers} brokers) | ${r.wire.rssBytesPerEntry} B RSS (${r.wire.brokers} brokers) |`);
    lines.push(`| registration frame | | ${r.wire.frameBytes} B |`, "");
  }
  const s = results.scale;
  if (s) {
    lines.push(`## 5. Scale (real processes; ${s.brokers} brokers heartbeating every second on node 1)`, "");
    lines.push("| nodes | to 99.9% p50 ms (push) | max ms | B/node/s idle | B/node/s with brokers | Serf to 99.9% p50 ms | Serf B/node/s | note |", "| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of s.real) lines.push(`| ${row.nodes} | ${fmt(row.convergeP50Ms)} | ${fmt(row.convergeMaxMs)} | ${fmt(row.idleBytesPerNodePerSecond)} | ${fmt(row.bytesPerNodePerSecond)} | ${fmt(row.serfConvergeP50Ms)} | ${fmt(row.serfBytesPerNodePerSecond)} | ${row.note} |`);
    lines.push("", "Simulator (src/testing ClusterSim, full mesh, one-way delay 1-5 ms, 1 ms steps):", "", "| nodes | to 99.9% p50 ms | samples | peer frames/node/s | wall s | note |", "| --- | --- | --- | --- | --- | --- |");
    for (const row of s.sim) lines.push(`| ${row.nodes} | ${fmt(row.convergeP50Ms)} | ${row.convergeMs.join(", ")} | ${fmt(row.peerFramesPerNodePerSecond)} | ${row.wallSeconds} | ${row.note} |`);
    lines.push("");
  }
  lines.push(...javaSections(results));
  if (results.errors.length > 0) lines.push("## Errors", "", ...results.errors.map((error) => `- ${error.split("\n")[0] ?? ""}`), "");
  return `${lines.join("\n")}\n`;
}

/** Writes the charts; returns the paths written. */
export function writeCharts(results: BenchResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, svg: string): void => {
    writeFileSync(join(dir, name), svg);
    written.push(join(dir, name));
  };
  const e = results.eviction;
  if (e) {
    const series: Series[] = [];
    const categories: string[] = [];
    const evicted: [number, number][] = [];
    const notified: [number, number][] = [];
    for (const [label, kind] of [["kill", e.crash], ["stop", e.silent]] as const) {
      kind.timelines.forEach((timeline, trial) => {
        for (const entry of timeline) {
          const row = categories.length;
          categories.push(`${label}#${trial} ${entry.node}`);
          evicted.push([entry.evictedMs, row]);
          notified.push([entry.notifiedMs, row]);
        }
      });
    }
    series.push({ name: "evicted on node", points: evicted, style: "dots" }, { name: "subscriber notified", points: notified, style: "dots" });
    const markers = [{ x: e.suspicionMs, label: "SUSPICION_MS" }, { x: e.silent.expiryMs, label: "declared expiry" }];
    if (e.serf) markers.push({ x: e.serf.crashAllMs.p50, label: "Serf SIGKILL p50" });
    write("eviction_timeline.svg", renderChart({ title: "Eviction timeline (ms after the signal)", xLabel: "ms after SIGKILL / SIGSTOP", yLabel: "trial, node", series, markers, yCategories: categories }));
  }
  const q = results.queries;
  if (q) {
    const series = Object.entries(q.runs).map(([name, run]) => ({ name, points: cdf(run.cdfSample) }));
    write("query_latency_cdf.svg", renderChart({ title: `Route query latency CDF (${q.connections} connections)`, xLabel: "latency ms (log)", yLabel: "fraction", logX: true, series }));
  }
  const p = results.propagation;
  if (p) {
    const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
    const series: Series[] = [
      { name: "ours: poll n2+n3", points: cdf(sorted(p.samples.pollBothMs)) },
      { name: "ours: push n2+n3", points: cdf(sorted(p.samples.pushBothMs)) },
    ];
    if (p.samples.serfAllThreeMs.length > 0) series.push({ name: "Serf user event", points: cdf(sorted(p.samples.serfAllThreeMs)) });
    write("propagation_cdf.svg", renderChart({ title: "Propagation CDF, 3 nodes", xLabel: "ms (log)", yLabel: "fraction", logX: true, series }));
  }
  const s = results.scale;
  if (s) {
    const real = s.real.filter((row) => row.convergeP50Ms !== null).map((row) => [row.nodes, row.convergeP50Ms as number] as [number, number]);
    const serf = s.real.filter((row) => row.serfConvergeP50Ms !== null).map((row) => [row.nodes, row.serfConvergeP50Ms as number] as [number, number]);
    const sim = s.sim.filter((row) => row.convergeP50Ms !== null).map((row) => [row.nodes, Math.max(row.convergeP50Ms as number, 0.5)] as [number, number]);
    write("convergence_vs_size.svg", renderChart({
      title: "Time to 99.9% of nodes vs cluster size",
      xLabel: "nodes (log)",
      yLabel: "ms, p50 (log)",
      logX: true,
      logY: true,
      series: [{ name: "ours (processes, push)", points: real }, { name: "Serf (processes)", points: serf }, { name: "ours (simulator)", points: sim }],
    }));
  }
  for (const [name, svg] of javaCharts(results)) write(name, svg);
  return written;
}

/** The goals table of issue #13 (empty when no goal was computed). */
export function goalsTable(results: BenchResults): string[] {
  if (results.goals.length === 0) return [];
  const lines = ["## Goals (issue #13)", "", "| goal | ours | Java NameServer | met | fig |", "| --- | --- | --- | --- | --- |"];
  for (const row of results.goals) {
    lines.push(`| ${row.goal} | ${row.ours} | ${row.java} | ${row.met === null ? "not measured" : row.met ? "yes" : "**no**"} | ${row.source} |`);
  }
  lines.push("");
  return lines;
}

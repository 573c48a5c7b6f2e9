// The bench driver: finds or installs the peers (Serf, etcd, the Java NameServer), runs the
// figures in priority order, stops every process it started (by pid), computes the goals
// table of issue #13, and writes results and the summary.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { BenchContext } from "./context.js";
import { startCluster, stopCluster } from "./cluster.js";
import { ensurePeers } from "./peers.js";
import { propagationTargets, runPropagation } from "./fig1_propagation.js";
import { evictionTargets, runEviction } from "./fig2_eviction.js";
import { registrationTargets, runRegistration } from "./fig4_registration.js";
import { queryTargets, runQueries } from "./fig3_queries.js";
import { runScale, scaleTargets } from "./fig5_scale.js";
import { runVersusJava } from "./fig6_java.js";
import { runCapacity } from "./fig7_capacity.js";
import { goalRows } from "./goals.js";
import { findJavaNamesrv } from "./java_namesrv.js";
import { LoadMonitor, type FigureLoad, type LoadSummary } from "./load_monitor.js";
import { machineInfo, summaryMarkdown, writeCharts } from "./report.js";
import type { BenchResults } from "./results.js";
import { ProcessTracker } from "./util.js";

export type { BenchResults } from "./results.js";


export async function runBench(argv: readonly string[]): Promise<BenchResults> {
  const quick = argv.includes("--quick");
  const onlyArg = argv.find((arg) => arg.startsWith("--only="));
  const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",")) : null;
  const wants = (figure: string): boolean => only === null || only.has(figure);
  const log = (line: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const procs = new ProcessTracker();
  const monitor = new LoadMonitor();
  const stop = (): void => {
    void procs.killAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const baseArg = argv.find((arg) => arg.startsWith("--base="));
  const base = baseArg ? (JSON.parse(readFileSync(baseArg.slice("--base=".length), "utf8")) as BenchResults) : null;
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    finishedAt: "",
    mode: quick ? "quick" : "full",
    machine: machineInfo(),
    peers: null,
    propagation: null,
    eviction: null,
    registration: null,
    queries: null,
    scale: null,
    versusJava: null,
    capacity: null,
    targets: [],
    goals: [],
    errors: [],
  };
  try {
    const peers = await ensurePeers(log);
    results.peers = peers.status;
    for (const note of peers.status.notes) log(note);
    const java = wants("6") || wants("7") ? await findJavaNamesrv(log) : null;
    for (const note of java?.notes ?? []) log(note);
    const ctx: BenchContext = { procs, quick, serfBin: peers.serfBin, etcdBin: peers.etcdBin, java, profile: argv.includes("--profile"), log };
    if (wants("1") || wants("2")) {
      const nodes = await startCluster(procs, { count: 3 });
      try {
        if (wants("1")) {
          log("figure 1: propagation");
          await guard(results, monitor, "1", async () => {
            results.propagation = await runPropagation(ctx, nodes);
            results.targets.push(...propagationTargets(results.propagation));
          });
        }
        if (wants("2")) {
          log("figure 2: eviction");
          await guard(results, monitor, "2", async () => {
            results.eviction = await runEviction(ctx, nodes);
            results.targets.push(...evictionTargets(results.eviction));
          });
        }
      } finally {
        await stopCluster(procs, nodes);
      }
    }
    if (wants("4")) {
      log("figure 4: registration cost");
      await guard(results, monitor, "4", async () => {
        results.registration = await runRegistration(ctx);
        results.targets.push(...registrationTargets(results.registration));
      });
    }
    if (wants("3")) {
      log("figure 3: route queries");
      await guard(results, monitor, "3", async () => {
        results.queries = await runQueries(ctx);
        results.targets.push(...queryTargets(results.queries));
      });
    }
    if (wants("6")) {
      log("figure 6: ours beside the Java NameServer");
      await guard(results, monitor, "6", async () => {
        results.versusJava = await runVersusJava(ctx);
      });
    }
    if (wants("7")) {
      log("figure 7: capacity workloads");
      await guard(results, monitor, "7", async () => {
        results.capacity = await runCapacity(ctx);
      });
    }
    if (wants("5")) {
      log("figure 5: scale");
      await guard(results, monitor, "5", async () => {
        results.scale = await runScale(ctx);
        results.targets.push(...scaleTargets(results.scale));
      });
    }
  } finally {
    await procs.killAll();
  }
  results.finishedAt = new Date().toISOString();
  results.load = monitor.stop();
  if (base) mergeBase(results, base, wants);
  if (base && results.load) results.load = mergeFigureLoads(results.load, base, wants);
  results.goals = goalRows(results);
  if (!argv.includes("--no-write")) {
    const dir = "bench/results";
    mkdirSync(dir, { recursive: true });
    const stamp = results.startedAt.replace(/[:.]/g, "-");
    writeFileSync(`${dir}/${stamp}.json`, `${JSON.stringify(results, null, 1)}\n`);
    const summary = summaryMarkdown(results);
    writeFileSync(`${dir}/latest.md`, summary);
    const charts = writeCharts(results, "docs/perf");
    log(`wrote ${dir}/${stamp}.json, ${dir}/latest.md, ${charts.join(", ")}`);
    process.stdout.write(summary);
  } else {
    process.stdout.write(summaryMarkdown(results));
  }
  return results;
}

/** Where each figure's results live. */
const FIGURE_KEYS: Record<string, "propagation" | "eviction" | "queries" | "registration" | "scale" | "versusJava" | "capacity"> = {
  "1": "propagation",
  "2": "eviction",
  "3": "queries",
  "4": "registration",
  "5": "scale",
  "6": "versusJava",
  "7": "capacity",
};

/** --base=<json>: figures not re-run in this run are taken from an earlier results file. */
function mergeBase(results: BenchResults, base: BenchResults, wants: (figure: string) => boolean): void {
  for (const [figure, key] of Object.entries(FIGURE_KEYS)) {
    if (wants(figure)) continue;
    (results as unknown as Record<string, unknown>)[key] = base[key] ?? null;
    results.targets.push(...base.targets.filter((target) => target.figure === figure));
    results.errors.push(...base.errors.filter((error) => error.startsWith(`figure ${figure}:`)));
  }
  results.targets.sort((a, b) => a.figure.localeCompare(b.figure));
  results.mergedFrom = base.startedAt;
}

/** Figures taken from --base keep the load seen when they ran; the run is quiet only if all were. */
function mergeFigureLoads(load: LoadSummary, base: BenchResults, wants: (figure: string) => boolean): LoadSummary {
  const figures: Record<string, FigureLoad> = { ...load.figures };
  let quiet = load.quiet;
  for (const figure of ["1", "2", "3", "4", "5", "6", "7"]) {
    if (wants(figure)) continue;
    const taken = base.load?.figures?.[figure];
    if (taken) figures[figure] = taken;
    // A base without a record of its load cannot be called quiet.
    if (!taken?.quiet && (base[FIGURE_KEYS[figure] as keyof BenchResults] ?? null) !== null) quiet = false;
  }
  return { ...load, figures, quiet };
}

/** Runs one figure (its share of other work noted); a failure is recorded and the run goes on. */
async function guard(results: BenchResults, monitor: LoadMonitor, figure: string, body: () => Promise<void>): Promise<void> {
  try {
    await monitor.figure(figure, body);
  } catch (error) {
    results.errors.push(`figure ${figure}: ${(error as Error).stack ?? String(error)}`);
  }
}




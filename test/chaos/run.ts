// One chaos run: set up the cluster, wait until it is steady, run the seeded nemesis while the
// workload records every answer, heal everything, wait until the cluster settles, tear down,
// check the history and write it out. Teardown runs on every path, Ctrl-C included.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { check, type Violation } from "./checker.js";
import { Cluster } from "./cluster.js";
import type { FaultKind, History, RunMeta } from "./history.js";
import { AddressPlan } from "./net.js";
import { Nemesis } from "./nemesis.js";
import { summarize, type Summary } from "./report.js";
import { makeSchedule } from "./schedule.js";
import { renderTimeline } from "./timeline_svg.js";

/** The cluster must be steady (every node routes every broker, agreeing) within this of start. */
export const STEADY_DEADLINE_MS = 60_000;
/** After the final heal the cluster must settle within this (else the run still ends, and the checker judges). */
export const SETTLE_DEADLINE_MS = 30_000;
/** Answers recorded after the cluster settled, so the final state is seen by every node. */
export const FINAL_QUIET_MS = 3_000;
/** Poll period of the condition waits. */
const WAIT_POLL_MS = 100;
/** Poll round of the clients: every node is asked this often. */
export const POLL_MS = 200;
/** Timeout of one client query: a paused node must not hold a round for long. */
export const QUERY_TIMEOUT_MS = 1_000;
/** KV keys the writers use: three, so writes to one key interleave with the others'. */
export const KV_KEYS = ["k1", "k2", "k3"] as const;
/** Pause of a KV writer between two writes, ms: a few writes per second across the keys. */
export const KV_PAUSE_MS: readonly [number, number] = [200, 900];
/** Timeout of one KV read or write: twice a query's, since a write waits for its node's answer. */
export const KV_TIMEOUT_MS = 2 * QUERY_TIMEOUT_MS;
/**
 * Suspicion of the broken-build proof's "slowSuspicion" sabotage: legal configuration, but a
 * crashed broker then stays routed three times longer than the 1 s crash bound.
 */
export const SABOTAGE_SUSPICION_MS = 3_000;

/** Ways to break the cluster from outside, for the proof that the checker catches it. */
export type Sabotage = "slowSuspicion" | "noGossip";

/** Options of one run. */
export interface ChaosOptions {
  readonly seed: number;
  /** Length of the nemesis phase. */
  readonly durationMs: number;
  readonly nodes: number;
  readonly brokers: number;
  readonly lanes: number;
  readonly brokerExpiryMs: number;
  readonly heartbeatMs: number;
  readonly outDir: string;
  readonly sabotage: Sabotage | null;
  readonly kinds?: readonly FaultKind[];
  /** The command line that reproduces the run (for the outputs). */
  readonly command: string;
  readonly log: (message: string) => void;
}

/** What a run produced. */
export interface ChaosResult {
  readonly history: History;
  readonly violations: Violation[];
  readonly summary: Summary;
}

/** Runs the whole thing. Rejects only when the cluster could not be set up. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const runId = randomBytes(2).toString("hex");
  const plan = new AddressPlan(runId, options.nodes, options.brokers);
  const origin = process.hrtime.bigint();
  const history: History = {
    meta: null as unknown as RunMeta,
    faults: [], processes: [], agentLinks: [], routes: [], kvReads: [], kvOps: [], nodeLogs: {},
  };
  mkdirSync(options.outDir, { recursive: true });
  const cluster = new Cluster({
    plan,
    runDir: options.outDir,
    brokerExpiryMs: options.brokerExpiryMs,
    heartbeatMs: options.heartbeatMs,
    nodeOverrides: options.sabotage === "slowSuspicion" ? { suspicionMs: SABOTAGE_SUSPICION_MS } : {},
    blackholePeers: options.sabotage === "noGossip",
    workload: {
      pollMs: POLL_MS, queryTimeoutMs: QUERY_TIMEOUT_MS, kvTimeoutMs: KV_TIMEOUT_MS, kvKeys: KV_KEYS,
      kvPauseMsMin: KV_PAUSE_MS[0], kvPauseMsMax: KV_PAUSE_MS[1], seed: options.seed,
    },
    origin,
    history,
    log: options.log,
  });
  const nemesis = new Nemesis(cluster, history.faults, options.log);
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    options.log("interrupted: healing and tearing down");
    nemesis.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const startedAtIso = new Date().toISOString();
  let nemesisStartMs = 0;
  let finalHealMs = 0;
  try {
    await cluster.start();
    options.log(`cluster up (run ${runId}): ${plan.nodes.join(" ")} + ${plan.brokers.join(" ")}`);
    // Nodes that cannot gossip never agree; they are only asked to route every broker.
    const agreeing = options.sabotage !== "noGossip";
    await waitFor("a steady cluster", STEADY_DEADLINE_MS, () => interrupted || steadyRound(history, plan.nodes, plan.brokers, 0, agreeing) !== null);
    nemesisStartMs = cluster.nowMs();
    const schedule = makeSchedule({
      seed: options.seed, nodes: plan.nodes, brokers: plan.brokers, lanes: options.lanes,
      startMs: nemesisStartMs, endMs: nemesisStartMs + options.durationMs, ...(options.kinds ? { kinds: options.kinds } : {}),
    });
    options.log(`nemesis: ${schedule.length} faults over ${Math.round(options.durationMs / 1000)} s in ${options.lanes} lanes`);
    if (!interrupted) await nemesis.run(schedule);
    finalHealMs = cluster.nowMs();
    cluster.stopWrites();
    const settled = await waitFor("the cluster to settle", SETTLE_DEADLINE_MS, () => interrupted || steadyRound(history, plan.nodes, plan.brokers, finalHealMs, true) !== null, false);
    options.log(settled ? `settled ${Math.round(cluster.nowMs() - finalHealMs)} ms after the final heal` : "did not settle");
    const quietUntil = cluster.nowMs() + FINAL_QUIET_MS;
    await waitFor("the final answers", FINAL_QUIET_MS * 2, () => interrupted || cluster.nowMs() >= quietUntil);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    const problems = interrupted ? (await cluster.abort(), []) : await cluster.tearDown();
    for (const problem of problems) options.log(`teardown: ${problem}`);
  }
  history.meta = {
    seed: options.seed, nodes: plan.nodes, brokers: plan.brokers, startedAtIso,
    nemesisStartMs, nemesisEndMs: nemesisStartMs + options.durationMs, finalHealMs, endMs: cluster.nowMs(),
    brokerExpiryMs: options.brokerExpiryMs, heartbeatMs: options.heartbeatMs, command: options.command, sabotage: options.sabotage,
  };
  const { violations, coverage, observations } = check(history, { brokerExpiryMs: options.brokerExpiryMs, heartbeatMs: options.heartbeatMs });
  const summary = summarize(history, violations, coverage, observations);
  writeOutputs(options.outDir, history, violations, summary);
  if (interrupted) throw new Error("interrupted");
  return { history, violations, summary };
}

/** The latest round after `afterMs` in which every node routed every broker (and, if `agreeing`, alike). */
export function steadyRound(history: History, nodes: readonly string[], brokers: readonly string[], afterMs: number, agreeing: boolean): number | null {
  const rounds = new Map<number, { route: Map<string, string>; kv: Map<string, string> }>();
  for (const sample of history.routes.slice(-nodes.length * 20)) {
    if (sample.status !== "ok" || sample.sendMs < afterMs || !brokers.every((broker) => sample.brokers?.includes(broker))) continue;
    const round = rounds.get(sample.round) ?? { route: new Map(), kv: new Map() };
    round.route.set(sample.node, sample.hash ?? "");
    rounds.set(sample.round, round);
  }
  for (const sample of history.kvReads.slice(-nodes.length * 20)) {
    if (sample.status === "ok" && sample.sendMs >= afterMs) rounds.get(sample.round)?.kv.set(sample.node, JSON.stringify(Object.entries(sample.table ?? {}).sort()));
  }
  const alike = (values: Map<string, string>): boolean => !agreeing || new Set(values.values()).size === 1;
  const steady = [...rounds].filter(([, round]) => round.route.size === nodes.length && round.kv.size === nodes.length && alike(round.route) && alike(round.kv));
  return steady.length === 0 ? null : Math.max(...steady.map(([round]) => round));
}

/** Waits on a condition with a deadline; throws at the deadline unless `required` is false. */
async function waitFor(what: string, deadlineMs: number, condition: () => boolean, required = true): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      if (required) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
  return true;
}

/** Writes history.json, summary.json and timeline.svg into `dir`. */
export function writeOutputs(dir: string, history: History, violations: readonly Violation[], summary: Summary): void {
  writeFileSync(join(dir, "history.json"), `${JSON.stringify(history)}\n`);
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify({ ...summary, violations }, null, 2)}\n`);
  writeFileSync(join(dir, "timeline.svg"), renderTimeline(history, violations));
}

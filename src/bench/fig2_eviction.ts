// Figure 2, eviction: a broker process (our agent, `namesrv broker`) registered with all three
// nodes is SIGKILLed (crash) or SIGSTOPped (silent death); we time its removal on every node
// (the node's "broker offline" log record) and the ROUTE_CHANGED push to a subscriber on each
// node; vs Serf's member-failed events on three agents for the same kills of a fourth agent.
import { RequestCode } from "../protocol/codes.js";
import type { BenchContext, TargetResult } from "./context.js";
import { CLI_PATH, type NodeProc } from "./cluster.js";
import { RawNative } from "./native.js";
import { startSerfAgent, startSerfCluster, stopSerf, type SerfAgent } from "./serf.js";
import { SUSPICION_MS } from "../limits.js";
import { round3, sleep, summarize, waitFor, type Summary } from "./util.js";

/** Heartbeat and declared expiry of the silent-death broker: expiry well above 3 heartbeats. */
const SILENT_HEARTBEAT_MS = 500;
const SILENT_EXPIRY_MS = 3_000;
/** Serf's LAN profile detects failures in seconds; a trial may take up to this. */
const SERF_FAIL_TIMEOUT_MS = 40_000;

export interface EvictionKind {
  readonly trials: number;
  /** ms from the signal until the last node logged the broker offline. */
  readonly removedAllMs: Summary;
  /** ms from the signal until the last subscriber got the push without the broker. */
  readonly notifiedAllMs: Summary;
  /** ms from a node's eviction to its subscriber's push, every node of every trial. */
  readonly notifyAfterEvictionMs: Summary;
  readonly lost: number;
  readonly timelines: { node: string; evictedMs: number; notifiedMs: number }[][];
}

export interface EvictionResult {
  readonly crash: EvictionKind;
  readonly silent: EvictionKind & { readonly expiryMs: number; readonly heartbeatMs: number };
  readonly suspicionMs: number;
  readonly serf: { readonly crashAllMs: Summary; readonly silentAllMs: Summary; readonly lost: number } | null;
}

export async function runEviction(ctx: BenchContext, nodes: readonly NodeProc[]): Promise<EvictionResult> {
  const crash = await evictTrials(ctx, nodes, "SIGKILL", ctx.quick ? 3 : 10);
  const silent = await evictTrials(ctx, nodes, "SIGSTOP", ctx.quick ? 1 : 3);
  const serf = ctx.serfBin ? await serfEviction(ctx, ctx.serfBin) : null;
  return { crash, silent: { ...silent, expiryMs: SILENT_EXPIRY_MS, heartbeatMs: SILENT_HEARTBEAT_MS }, suspicionMs: SUSPICION_MS, serf };
}

export function evictionTargets(result: EvictionResult): TargetResult[] {
  const serfRatio = (ours: Summary, serf: Summary | undefined): string =>
    serf ? ` (Serf p50 ${serf.p50} ms, ours ${round3(serf.p50 / ours.p50)}x faster)` : "";
  const silentBudget = result.silent.expiryMs + 1_000;
  return [
    {
      figure: "2",
      target: "crash: removed on all nodes p99 <= 500 ms",
      measured: `p50 ${result.crash.removedAllMs.p50} ms, p99 ${result.crash.removedAllMs.p99} ms${serfRatio(result.crash.removedAllMs, result.serf?.crashAllMs)}`,
      met: result.crash.removedAllMs.p99 <= 500,
    },
    {
      figure: "2",
      target: `silent: removed on all nodes <= expiry + 1 s (${silentBudget} ms)`,
      measured: `max ${result.silent.removedAllMs.max} ms${serfRatio(result.silent.removedAllMs, result.serf?.silentAllMs)}`,
      met: result.silent.removedAllMs.max <= silentBudget,
    },
    {
      figure: "2",
      target: "subscriber notified <= 100 ms after eviction",
      measured: `crash p99 ${result.crash.notifyAfterEvictionMs.p99} ms, silent max ${result.silent.notifyAfterEvictionMs.max} ms`,
      met: result.crash.notifyAfterEvictionMs.p99 <= 100 && result.silent.notifyAfterEvictionMs.max <= 100,
    },
  ];
}

async function evictTrials(ctx: BenchContext, nodes: readonly NodeProc[], signal: "SIGKILL" | "SIGSTOP", trials: number): Promise<EvictionKind> {
  const removed: number[] = [];
  const notified: number[] = [];
  const after: number[] = [];
  const timelines: EvictionKind["timelines"] = [];
  let lost = 0;
  const namesrv = nodes.map((node) => node.addr).join(",");
  for (let trial = 0; trial < trials; trial++) {
    const name = `evict-${signal === "SIGKILL" ? "k" : "s"}${trial}`;
    const topic = `Evict_${signal}_${trial}`;
    const brokerAddr = `127.0.0.1:${21000 + trial + (signal === "SIGKILL" ? 0 : 500)}`;
    const subscribers = await Promise.all(nodes.map((node) => RawNative.open(node.addr, "client")));
    const routed = subscribers.map(() => false);
    const goneAt = subscribers.map(() => Number.NaN);
    subscribers.forEach((sub, index) => {
      sub.onPush = (push) => {
        if (push.topic !== topic) return;
        if (push.route !== null) routed[index] = true;
        else if (routed[index] && Number.isNaN(goneAt[index])) goneAt[index] = Date.now();
      };
    });
    await Promise.all(subscribers.map((sub) => sub.request(RequestCode.SUBSCRIBE, { topics: [{ topic }] })));
    const broker = ctx.procs.start(name, process.execPath, [
      CLI_PATH, "broker", "--namesrv", namesrv, "--cluster", "BenchCluster", "--broker-name", name, "--broker-id", "0",
      "--addr", brokerAddr, "--topic", `${topic}:4`, "--log-level", "warn",
      ...(signal === "SIGSTOP" ? ["--heartbeat-ms", String(SILENT_HEARTBEAT_MS), "--heartbeat-timeout-ms", String(SILENT_EXPIRY_MS)] : []),
    ]);
    try {
      await waitFor(`${name} routed on every node`, 15_000, () => routed.every(Boolean));
      await sleep(signal === "SIGKILL" ? 300 : 2 * SILENT_HEARTBEAT_MS);
      const eventStart = nodes.map((node) => node.events.length);
      const t0 = Date.now();
      ctx.procs.signal(broker, signal);
      await waitFor(`${name} gone on every node`, signal === "SIGKILL" ? 10_000 : SILENT_EXPIRY_MS + 10_000, () => goneAt.every((at) => !Number.isNaN(at)));
      // The nodes' own "broker offline" log records may arrive just after the pushes.
      const offlineRecord = (index: number) =>
        nodes[index]?.events.slice(eventStart[index]).find((event) => event.msg === "broker offline" && JSON.stringify(event.fields).includes(brokerAddr));
      await waitFor(`${name} offline records from every node`, 5_000, () => nodes.every((_, index) => offlineRecord(index) !== undefined));
      const evictedAt = nodes.map((_, index) => offlineRecord(index)?.time ?? Number.NaN);
      const timeline = nodes.map((node, index) => ({ node: node.id, evictedMs: (evictedAt[index] as number) - t0, notifiedMs: (goneAt[index] as number) - t0 }));
      timelines.push(timeline);
      removed.push(Math.max(...timeline.map((entry) => entry.evictedMs)));
      notified.push(Math.max(...timeline.map((entry) => entry.notifiedMs)));
      for (const entry of timeline) after.push(entry.notifiedMs - entry.evictedMs);
    } catch (error) {
      lost += 1;
      ctx.log(`eviction trial ${name} lost: ${(error as Error).message}`);
    } finally {
      await ctx.procs.kill(broker);
      for (const sub of subscribers) sub.close();
    }
  }
  return {
    trials,
    removedAllMs: summarize(removed.filter((value) => !Number.isNaN(value))),
    notifiedAllMs: summarize(notified),
    notifyAfterEvictionMs: summarize(after.filter((value) => !Number.isNaN(value))),
    lost,
    timelines,
  };
}

async function serfEviction(ctx: BenchContext, serfBin: string): Promise<{ crashAllMs: Summary; silentAllMs: Summary; lost: number }> {
  const agents = await startSerfCluster(ctx.procs, serfBin, 3, "e");
  const failedAt = new Map<string, number[]>();
  let lost = 0;
  const crash: number[] = [];
  const silent: number[] = [];
  try {
    for (const [index, agent] of agents.entries()) {
      await agent.rpc?.stream("member-failed", (event) => {
        for (const member of event.Members ?? []) {
          const list = failedAt.get(member.Name) ?? [Number.NaN, Number.NaN, Number.NaN];
          list[index] = Date.now();
          failedAt.set(member.Name, list);
        }
      });
    }
    const trials = ctx.quick ? 1 : 3;
    for (const signal of ["SIGKILL", "SIGSTOP"] as const) {
      for (let trial = 0; trial < trials; trial++) {
        const name = `victim-${signal === "SIGKILL" ? "k" : "s"}${trial}`;
        let victim: SerfAgent | null = null;
        try {
          victim = await startSerfAgent(ctx.procs, serfBin, name, agents[0]?.bindPort ?? null);
          await waitFor(`${name} alive on all agents`, 20_000, async () => {
            for (const agent of agents) {
              const members = await agent.rpc?.members();
              if (!members?.some((member) => member.Name === name && member.Status === "alive")) return false;
            }
            return true;
          });
          await sleep(1_000);
          const t0 = Date.now();
          ctx.procs.signal(victim.process, signal);
          await waitFor(`${name} failed on all agents`, SERF_FAIL_TIMEOUT_MS, () => {
            const list = failedAt.get(name);
            return list !== undefined && list.every((at) => !Number.isNaN(at));
          });
          const took = Math.max(...(failedAt.get(name) as number[])) - t0;
          (signal === "SIGKILL" ? crash : silent).push(took);
        } catch (error) {
          lost += 1;
          ctx.log(`serf eviction ${name} lost: ${(error as Error).message}`);
        } finally {
          if (victim) await stopSerf(ctx.procs, [victim]);
        }
      }
    }
    return { crashAllMs: summarize(crash), silentAllMs: summarize(silent), lost };
  } finally {
    await stopSerf(ctx.procs, agents);
  }
}

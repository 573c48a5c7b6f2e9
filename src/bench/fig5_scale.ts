// Figure 5, scale: 3..50 real node processes on loopback, and 100..1000 nodes in the
// deterministic simulator (src/testing) with modelled 1-5 ms one-way latency. Time until
// 99.9% of nodes have a delta; bytes per node per second at steady state with 1,000
// heartbeating brokers; vs Serf agents at the same sizes (user event to 99.9% of agents,
// loopback bytes while only Serf runs).
import { RequestCode } from "../protocol/codes.js";
import { ClusterSim } from "../testing/cluster_sim.js";
import type { BenchContext, TargetResult } from "./context.js";
import { startCluster, stopCluster } from "./cluster.js";
import { RawNative, registerBody } from "./native.js";
import { startSerfCluster, stopSerf } from "./serf.js";
import { ioBytes, loopbackCounters, median, nowMs, round3, sleep, waitFor } from "./util.js";

const BROKERS = 1_000;
const SWARM_CONNECTIONS = 20;
/** Estimated loopback header bytes per packet (Ethernet 14 + IPv4 20 + UDP 8) removed from Serf's count. */
const SERF_HEADER_BYTES_PER_PACKET = 42;

export interface ScaleRow {
  readonly nodes: number;
  readonly convergeP50Ms: number | null;
  readonly convergeMaxMs: number | null;
  readonly bytesPerNodePerSecond: number | null;
  readonly idleBytesPerNodePerSecond: number | null;
  readonly serfConvergeP50Ms: number | null;
  readonly serfBytesPerNodePerSecond: number | null;
  readonly note: string;
}

export interface SimRow {
  readonly nodes: number;
  readonly convergeMs: number[];
  readonly convergeP50Ms: number | null;
  readonly peerFramesPerNodePerSecond: number;
  readonly wallSeconds: number;
  readonly note: string;
}

export interface ScaleResult {
  readonly brokers: number;
  readonly real: ScaleRow[];
  readonly sim: SimRow[];
}

export async function runScale(ctx: BenchContext): Promise<ScaleResult> {
  const sizes = ctx.quick ? [3, 10] : [3, 10, 30, 50];
  const real: ScaleRow[] = [];
  for (const size of sizes) {
    try {
      real.push(await realSize(ctx, size));
    } catch (error) {
      ctx.log(`scale ${size}: ${(error as Error).message}`);
      real.push({ nodes: size, convergeP50Ms: null, convergeMaxMs: null, bytesPerNodePerSecond: null, idleBytesPerNodePerSecond: null, serfConvergeP50Ms: null, serfBytesPerNodePerSecond: null, note: `failed: ${(error as Error).message}` });
    }
  }
  const sim: SimRow[] = [];
  const simBudgetS = ctx.quick ? 30 : 120;
  let previous: SimRow | null = null;
  for (const size of ctx.quick ? [100] : [100, 300, 1000]) {
    // Full mesh: cost grows with the square of the size; skip a size that cannot fit the budget.
    if (previous && previous.wallSeconds * (size / previous.nodes) ** 2 > simBudgetS * 2) {
      sim.push({ nodes: size, convergeMs: [], convergeP50Ms: null, peerFramesPerNodePerSecond: Number.NaN, wallSeconds: 0, note: `not measured: estimated ${Math.round(previous.wallSeconds * (size / previous.nodes) ** 2)} s of wall time (full-mesh simulator)` });
      break;
    }
    const row = simSize(size, ctx.quick ? 3 : 5, simBudgetS);
    ctx.log(`scale sim ${size}: p50 ${row.convergeP50Ms} ms (${row.wallSeconds} s wall) ${row.note}`);
    sim.push(row);
    previous = row;
    if (row.note !== "") break;
  }
  return { brokers: BROKERS, real, sim };
}

export function scaleTargets(result: ScaleResult): TargetResult[] {
  const measured = result.real.filter((row) => row.convergeP50Ms !== null && row.serfConvergeP50Ms !== null);
  const faster = measured.every((row) => (row.convergeP50Ms as number) < (row.serfConvergeP50Ms as number));
  const withBandwidth = result.real.filter((row) => row.bytesPerNodePerSecond !== null && row.serfBytesPerNodePerSecond !== null);
  const lighter = withBandwidth.every((row) => (row.bytesPerNodePerSecond as number) < (row.serfBytesPerNodePerSecond as number));
  return [
    {
      figure: "5",
      target: "faster than Serf to 99.9% of nodes at every size",
      measured: measured.map((row) => `${row.nodes}: ${row.convergeP50Ms} vs ${row.serfConvergeP50Ms} ms`).join("; ") || "not measured",
      met: measured.length > 0 ? faster : null,
    },
    {
      figure: "5",
      target: "less bandwidth per node than Serf at every size",
      measured: withBandwidth.map((row) => `${row.nodes}: ${row.bytesPerNodePerSecond} vs ${row.serfBytesPerNodePerSecond} B/s`).join("; ") || "not measured",
      met: withBandwidth.length > 0 ? lighter : null,
    },
  ];
}

async function realSize(ctx: BenchContext, size: number): Promise<ScaleRow> {
  const trials = ctx.quick ? 3 : 8;
  const windowMs = ctx.quick ? 3_000 : 5_000;
  const nodes = await startCluster(ctx.procs, { count: size, seedCount: Math.min(size, 2) });
  const conns: RawNative[] = [];
  let convergeMs: number[] = [];
  let bytesPerNode: number | null = null;
  let idleBytes: number | null = null;
  try {
    await sleep(1_000);
    idleBytes = await bytesPerNodePerSecond(nodes.slice(1).map((node) => node.process.pid), windowMs);
    // Convergence: a changed registration on node 1, pushes from subscribers on every node.
    const subs = await Promise.all(nodes.map((node) => RawNative.open(node.addr, "client")));
    conns.push(...subs);
    const probe = await RawNative.open(nodes[0]?.addr ?? "", "broker");
    conns.push(probe);
    const needed = Math.ceil(0.999 * size);
    for (let trial = 0; trial < trials; trial++) {
      const topic = `Scale${size}_${trial}`;
      const arrivals: number[] = [];
      for (const sub of subs) {
        sub.onPush = (push, atMs) => {
          if (push.topic === topic && push.route !== null) arrivals.push(atMs);
        };
      }
      await Promise.all(subs.map((sub) => sub.request(RequestCode.SUBSCRIBE, { topics: [{ topic }] })));
      await sleep(30);
      const t0 = nowMs();
      await probe.request(RequestCode.REGISTER_BROKER, registerBody({ brokerName: "scale-probe", brokerAddr: "127.0.0.3:10911", topics: [topic], counter: trial + 2, seq: trial + 2 }));
      await waitFor(`delta on ${needed}/${size} nodes`, 10_000, () => arrivals.length >= needed);
      const sorted = [...arrivals].sort((a, b) => a - b);
      convergeMs.push((sorted[needed - 1] as number) - t0);
      await Promise.all(subs.map((sub) => sub.request(RequestCode.UNSUBSCRIBE, { topics: [topic] })));
    }
    // Steady state: 1,000 brokers heartbeating every second on node 1; measured on the others.
    // 20 connections of 50 brokers each: 50 heartbeats/s per connection, under the rate limit.
    const swarms = await Promise.all(Array.from({ length: SWARM_CONNECTIONS }, () => RawNative.open(nodes[0]?.addr ?? "", "broker")));
    conns.push(...swarms);
    const swarmOf = (index: number): RawNative => swarms[index % SWARM_CONNECTIONS] as RawNative;
    for (let index = 0; index < BROKERS; index++) {
      await swarmOf(index).request(RequestCode.REGISTER_BROKER, registerBody({ brokerName: `swarm-${index}`, brokerAddr: `127.0.1.${index % 250}:${11000 + index}`, topics: [`Swarm_${index}`], counter: 1, seq: 1 }));
    }
    let seq = 2;
    let beating = true;
    const beat = async (): Promise<void> => {
      while (beating) {
        const started = nowMs();
        seq += 1;
        await Promise.all(
          Array.from({ length: BROKERS }, (_, index) =>
            swarmOf(index).request(RequestCode.HEARTBEAT, { clusterName: "BenchCluster", brokerAddr: `127.0.1.${index % 250}:${11000 + index}`, bootEpoch: 1, seq }).catch(() => undefined),
          ),
        );
        await sleep(Math.max(0, 1_000 - (nowMs() - started)));
      }
    };
    const beats = beat();
    await sleep(3_000);
    bytesPerNode = await bytesPerNodePerSecond(nodes.slice(1).map((node) => node.process.pid), windowMs);
    beating = false;
    await beats;
  } finally {
    for (const conn of conns) conn.close();
    await stopCluster(ctx.procs, nodes);
  }
  let serfConverge: number | null = null;
  let serfBytes: number | null = null;
  if (ctx.serfBin) {
    const serf = await serfSize(ctx, ctx.serfBin, size, trials, windowMs).catch((error: Error) => {
      ctx.log(`serf scale ${size}: ${error.message}`);
      return null;
    });
    serfConverge = serf?.convergeP50Ms ?? null;
    serfBytes = serf?.bytesPerNodePerSecond ?? null;
  }
  convergeMs = convergeMs.map(round3);
  ctx.log(`scale ${size}: converge p50 ${median(convergeMs)} ms, ${bytesPerNode} B/node/s; serf ${serfConverge} ms, ${serfBytes} B/node/s`);
  return {
    nodes: size,
    convergeP50Ms: round3(median(convergeMs)),
    convergeMaxMs: round3(Math.max(...convergeMs)),
    bytesPerNodePerSecond: bytesPerNode,
    idleBytesPerNodePerSecond: idleBytes,
    serfConvergeP50Ms: serfConverge,
    serfBytesPerNodePerSecond: serfBytes,
    note: "",
  };
}

/** Mean (rchar + wchar) per second of the given processes over the window. */
async function bytesPerNodePerSecond(pids: readonly number[], windowMs: number): Promise<number> {
  const before = pids.map((pid) => ioBytes(pid));
  const t0 = nowMs();
  await sleep(windowMs);
  const seconds = (nowMs() - t0) / 1000;
  const after = pids.map((pid) => ioBytes(pid));
  let total = 0;
  for (let index = 0; index < pids.length; index++) {
    const a = after[index] as { read: number; written: number };
    const b = before[index] as { read: number; written: number };
    total += a.read - b.read + (a.written - b.written);
  }
  return Math.round(total / pids.length / seconds);
}

async function serfSize(ctx: BenchContext, serfBin: string, size: number, trials: number, windowMs: number): Promise<{ convergeP50Ms: number; bytesPerNodePerSecond: number }> {
  const agents = await startSerfCluster(ctx.procs, serfBin, size, `z${size}-`);
  try {
    await sleep(1_000);
    const lo0 = loopbackCounters();
    const t0 = nowMs();
    await sleep(windowMs);
    const lo1 = loopbackCounters();
    const seconds = (nowMs() - t0) / 1000;
    const payload = lo1.bytes - lo0.bytes - SERF_HEADER_BYTES_PER_PACKET * (lo1.packets - lo0.packets);
    // Each loopback byte was sent by one agent and received by another: count it for both.
    const bytesPerNode = Math.round((2 * payload) / size / seconds);
    const arrivals = new Map<string, number[]>();
    for (const agent of agents) {
      await agent.rpc?.stream("user", (event, atMs) => {
        const list = arrivals.get(event.Name ?? "") ?? [];
        list.push(atMs);
        arrivals.set(event.Name ?? "", list);
      });
    }
    const needed = Math.ceil(0.999 * size);
    const converge: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const name = `scale${trial}`;
      const start = nowMs();
      await agents[0]?.rpc?.userEvent(name, new Uint8Array(16), false);
      await waitFor(`serf event on ${needed}/${size}`, 15_000, () => (arrivals.get(name)?.length ?? 0) >= needed);
      const sorted = [...(arrivals.get(name) ?? [])].sort((a, b) => a - b);
      converge.push((sorted[needed - 1] as number) - start);
      await sleep(100);
    }
    return { convergeP50Ms: round3(median(converge)), bytesPerNodePerSecond: bytesPerNode };
  } finally {
    await stopSerf(ctx.procs, agents);
  }
}

/** The simulator: a broker on n1 changes its topics; time until 99.9% of nodes route the new topic. */
function simSize(size: number, trials: number, wallSecondsMax: number): SimRow {
  const wallStart = nowMs();
  const sim = new ClusterSim({ seed: 6, nodeCount: size, network: { delayMsMin: 1, delayMsMax: 5 } });
  const overBudget = (): boolean => (nowMs() - wallStart) / 1000 > wallSecondsMax;
  sim.boot();
  sim.addBroker({ name: "simb", nodes: ["n1"], topics: ["Sim_0"] });
  const needed = Math.ceil(0.999 * size);
  const countRouted = (topic: string): number => sim.nodeIds.filter((id) => sim.node(id).findRoute(topic) !== null).length;
  const converge: number[] = [];
  sim.advanceUntil(() => countRouted("Sim_0") >= needed, 10_000);
  const frames0 = sim.counters.peerFrames;
  const simStart = sim.nowMs;
  let note = "";
  for (let trial = 1; trial <= trials; trial++) {
    if (overBudget()) {
      note = `stopped after ${trial - 1} trials: over the ${wallSecondsMax} s wall budget`;
      break;
    }
    const topic = `Sim_${trial}`;
    sim.setBrokerTopics("simb", [topic]);
    // The change is sent on the broker's next round; time from when node 1 has it.
    for (let step = 0; step < 5_000 && sim.node("n1").findRoute(topic) === null; step++) sim.advanceMs(1);
    const start = sim.nowMs;
    for (let step = 0; step < 5_000 && countRouted(topic) < needed; step++) sim.advanceMs(1);
    converge.push(sim.nowMs - start);
  }
  const simSeconds = (sim.nowMs - simStart) / 1000;
  return {
    nodes: size,
    convergeMs: converge,
    convergeP50Ms: converge.length > 0 ? median(converge) : null,
    peerFramesPerNodePerSecond: round3((sim.counters.peerFrames - frames0) / size / Math.max(simSeconds, 0.001)),
    wallSeconds: round3((nowMs() - wallStart) / 1000),
    note,
  };
}

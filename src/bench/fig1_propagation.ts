// Figure 1, propagation: a registration applied on node 1 -> visible on nodes 2 and 3,
// timed by polling GET_ROUTE on nodes 2 and 3 and by ROUTE_CHANGED pushes to subscribers
// there; vs a Serf user event reaching all three agents (RPC event stream).
import { RequestCode } from "../protocol/codes.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import type { BenchContext, TargetResult } from "./context.js";
import type { NodeProc } from "./cluster.js";
import { RawNative, registerBody } from "./native.js";
import { startSerfCluster, stopSerf } from "./serf.js";
import { nowMs, round3, sleep, summarize, type Summary } from "./util.js";

/** One trial may take this long before it counts as lost. */
const TRIAL_TIMEOUT_MS = 5_000;

export interface PropagationResult {
  readonly trials: number;
  /** ms from sending the registration to node 1 until GET_ROUTE answers on both nodes 2 and 3. */
  readonly pollBothMs: Summary;
  /** ms until a ROUTE_CHANGED push arrived from both nodes 2 and 3 (pushes go out at the end of the request that changed the route). */
  readonly pushBothMs: Summary;
  /** ms of the registration round trip to node 1 itself. */
  readonly registerAckMs: Summary;
  readonly lost: number;
  readonly serf: { readonly trials: number; readonly allThreeMs: Summary; readonly twoAndThreeMs: Summary; readonly lost: number } | null;
  readonly samples: { readonly pollBothMs: number[]; readonly pushBothMs: number[]; readonly serfAllThreeMs: number[] };
}

/** Runs figure 1 on a running 3-node cluster. */
export async function runPropagation(ctx: BenchContext, nodes: readonly NodeProc[]): Promise<PropagationResult> {
  const trials = ctx.quick ? 30 : 200;
  const [n1, n2, n3] = nodes as [NodeProc, NodeProc, NodeProc];
  const broker = await RawNative.open(n1.addr, "broker");
  const subscribers = [await RawNative.open(n2.addr, "client"), await RawNative.open(n3.addr, "client")];
  const poll: number[] = [];
  const push: number[] = [];
  const ack: number[] = [];
  let lost = 0;
  let counter = 1;
  const brokerAddr = "127.0.0.1:30911";
  for (let trial = 0; trial < trials; trial++) {
    const usePush = trial % 2 === 1;
    const topic = `Prop${trial}`;
    counter += 1;
    const body = registerBody({ brokerName: "prop-broker", brokerAddr, topics: [topic], counter, seq: counter });
    try {
      if (usePush) {
        const waits = subscribers.map((sub) => pushFor(sub, topic));
        await Promise.all(subscribers.map((sub) => sub.request(RequestCode.SUBSCRIBE, { topics: [{ topic }] })));
        await sleep(5);
        const t0 = nowMs();
        const sent = broker.request(RequestCode.REGISTER_BROKER, body).then(() => ack.push(nowMs() - t0));
        const arrivals = await withTimeout(Promise.all(waits.map((wait) => wait.promise)), TRIAL_TIMEOUT_MS);
        await sent;
        push.push(Math.max(...arrivals) - t0);
        await Promise.all(subscribers.map((sub) => sub.request(RequestCode.UNSUBSCRIBE, { topics: [topic] })));
        for (const wait of waits) wait.cancel();
      } else {
        // Fresh connections per trial: the per-connection request rate limit never throttles a poll.
        const pollers = [await RawNative.open(n2.addr, "client"), await RawNative.open(n3.addr, "client")];
        const t0 = nowMs();
        const sent = broker.request(RequestCode.REGISTER_BROKER, body).then(() => ack.push(nowMs() - t0));
        const seen = await withTimeout(Promise.all(pollers.map((poller) => pollUntilRouted(poller, topic, t0 + TRIAL_TIMEOUT_MS))), TRIAL_TIMEOUT_MS + 100);
        await sent;
        poll.push(Math.max(...seen) - t0);
        for (const poller of pollers) poller.close();
      }
    } catch (error) {
      lost += 1;
      ctx.log(`propagation trial ${trial} lost: ${(error as Error).message}`);
    }
    await sleep(10);
  }
  await broker.request(RequestCode.UNREGISTER_BROKER, { clusterName: "BenchCluster", brokerAddr, brokerName: "prop-broker", brokerId: 0 }).catch(() => undefined);
  for (const conn of [broker, ...subscribers]) conn.close();
  const serf = ctx.serfBin ? await serfPropagation(ctx, ctx.serfBin) : null;
  return {
    trials,
    pollBothMs: summarize(poll),
    pushBothMs: summarize(push),
    registerAckMs: summarize(ack),
    lost,
    serf: serf ? { trials: serf.trials, allThreeMs: summarize(serf.all), twoAndThreeMs: summarize(serf.others), lost: serf.lost } : null,
    samples: { pollBothMs: poll.map(round3), pushBothMs: push.map(round3), serfAllThreeMs: (serf?.all ?? []).map(round3) },
  };
}

/** Targets of figure 1. */
export function propagationTargets(result: PropagationResult): TargetResult[] {
  const ours = result.pollBothMs;
  const serfP50 = result.serf?.twoAndThreeMs.p50 ?? Number.NaN;
  const speedup = serfP50 / ours.p50;
  return [
    { figure: "1", target: "propagation p50 <= 1 ms (poll, nodes 2 and 3)", measured: `${ours.p50} ms`, met: ours.p50 <= 1 },
    { figure: "1", target: "propagation p99 <= 5 ms (poll, nodes 2 and 3)", measured: `${ours.p99} ms`, met: ours.p99 <= 5 },
    {
      figure: "1",
      target: ">= 100x faster than Serf (p50)",
      measured: result.serf ? `${round3(speedup)}x (Serf p50 ${serfP50} ms)` : "not measured (no serf)",
      met: result.serf ? speedup >= 100 : null,
    },
  ];
}

function pushFor(conn: RawNative, topic: string): { promise: Promise<number>; cancel: () => void } {
  let cancel = (): void => undefined;
  const promise = new Promise<number>((resolve) => {
    const previous = conn.onPush;
    const handler = (pushed: RouteChangedPush, atMs: number): void => {
      if (pushed.topic === topic && pushed.route !== null) {
        conn.onPush = previous;
        resolve(atMs);
      }
    };
    conn.onPush = handler;
    cancel = () => {
      if (conn.onPush === handler) conn.onPush = previous;
    };
  });
  return { promise, cancel };
}

async function pollUntilRouted(conn: RawNative, topic: string, deadlineMs: number): Promise<number> {
  for (;;) {
    const ok = await conn.request(RequestCode.GET_ROUTE, { topic }).then(
      () => true,
      () => false,
    );
    const at = nowMs();
    if (ok) return at;
    if (at > deadlineMs) throw new Error(`topic ${topic} not routed in time`);
  }
}

/** Rejects after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function serfPropagation(ctx: BenchContext, serfBin: string): Promise<{ trials: number; all: number[]; others: number[]; lost: number }> {
  const trials = ctx.quick ? 15 : 50;
  const agents = await startSerfCluster(ctx.procs, serfBin, 3, "p");
  const arrivals = new Map<string, number[]>();
  try {
    for (const agent of agents) {
      const index = agents.indexOf(agent);
      await agent.rpc?.stream("user", (event, atMs) => {
        const name = event.Name ?? "";
        const list = arrivals.get(name) ?? [Number.NaN, Number.NaN, Number.NaN];
        list[index] = atMs;
        arrivals.set(name, list);
      });
    }
    const all: number[] = [];
    const others: number[] = [];
    let lost = 0;
    for (let trial = 0; trial < trials; trial++) {
      const name = `ev${trial}`;
      const t0 = nowMs();
      await agents[0]?.rpc?.userEvent(name, new Uint8Array(16), false);
      const deadline = t0 + TRIAL_TIMEOUT_MS;
      while (nowMs() < deadline && (arrivals.get(name) ?? [Number.NaN]).some((at) => Number.isNaN(at))) await sleep(1);
      const list = arrivals.get(name) ?? [];
      if (list.length < 3 || list.some((at) => Number.isNaN(at))) {
        lost += 1;
        continue;
      }
      all.push(Math.max(...list) - t0);
      others.push(Math.max(list[1] as number, list[2] as number) - t0);
      await sleep(50);
    }
    return { trials, all, others, lost };
  } finally {
    await stopSerf(ctx.procs, agents);
  }
}

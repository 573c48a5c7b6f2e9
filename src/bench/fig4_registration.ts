// Figure 4, registration cost: the core in-process (fig4_probe.ts under --expose-gc) and over
// the wire (REGISTER_BROKER round trips to one node process; its RSS for the memory figure).
import { fileURLToPath } from "node:url";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { encodeFrame } from "../protocol/frame.js";
import type { BenchContext, TargetResult } from "./context.js";
import { startCluster, stopCluster } from "./cluster.js";
import { RawNative, registerBody } from "./native.js";
import { nowMs, round3, rssBytes, runCommand, sleep, summarize, type Summary } from "./util.js";

const PROBE_PATH = fileURLToPath(new URL("./fig4_probe.js", import.meta.url));
const TOPICS = 10_000;

export interface RegistrationResult {
  readonly inProcess: {
    readonly topics: number;
    readonly firstMs: number;
    readonly unchangedMs: Summary;
    readonly changedMs: Summary;
    readonly brokers: number;
    readonly heapBytesPerEntry: number;
    readonly rssBytesPerEntry: number;
  };
  readonly wire: {
    readonly firstMs: number;
    readonly unchangedMs: Summary;
    readonly changedMs: Summary;
    readonly brokers: number;
    readonly rssBytesPerEntry: number;
    readonly frameBytes: number;
  };
}

export async function runRegistration(ctx: BenchContext): Promise<RegistrationResult> {
  const brokers = 100;
  const probe = await runCommand(process.execPath, ["--expose-gc", PROBE_PATH, String(brokers)], 300_000);
  if (probe.code !== 0) throw new Error(`fig4 probe failed: ${probe.output.slice(-500)}`);
  const parsed = JSON.parse(probe.output.trim().split("\n").pop() ?? "{}") as {
    topics: number; firstMs: number; unchangedMs: number[]; changedMs: number[]; brokers: number; heapBytesPerEntry: number; rssBytesPerEntry: number;
  };
  const wire = await overTheWire(ctx, ctx.quick ? 20 : brokers);
  return {
    inProcess: {
      topics: parsed.topics,
      firstMs: round3(parsed.firstMs),
      unchangedMs: summarize(parsed.unchangedMs),
      changedMs: summarize(parsed.changedMs),
      brokers: parsed.brokers,
      heapBytesPerEntry: round3(parsed.heapBytesPerEntry),
      rssBytesPerEntry: round3(parsed.rssBytesPerEntry),
    },
    wire,
  };
}

export function registrationTargets(result: RegistrationResult): TargetResult[] {
  return [
    {
      figure: "4",
      target: "unchanged re-registration (10k topics) <= 5 ms server time",
      measured: `core p50 ${result.inProcess.unchangedMs.p50} ms, p99 ${result.inProcess.unchangedMs.p99} ms; wire round trip p50 ${result.wire.unchangedMs.p50} ms`,
      met: result.inProcess.unchangedMs.p99 <= 5,
    },
    {
      figure: "4",
      target: "memory per (topic, broker) entry at 100 x 10k <= 300 B",
      measured: `${result.inProcess.heapBytesPerEntry} B heap (core); ${result.wire.rssBytesPerEntry} B RSS over the wire (${result.wire.brokers} brokers)`,
      met: result.inProcess.heapBytesPerEntry <= 300,
    },
  ];
}

async function overTheWire(ctx: BenchContext, brokers: number): Promise<RegistrationResult["wire"]> {
  const [node] = await startCluster(ctx.procs, { count: 1 });
  if (!node) throw new Error("no node");
  try {
    const topics = Array.from({ length: TOPICS }, (_, index) => `BenchTopic_${index}`);
    const conn = await RawNative.open(node.addr, "broker");
    const body = (index: number, counter: number, names: string[]): Record<string, unknown> =>
      registerBody({ brokerName: `wire-${index}`, brokerAddr: `127.0.0.2:${20000 + index}`, topics: names, counter, seq: counter });
    const frameBytes = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.REGISTER_BROKER, id: 1, body: body(0, 1, topics) }).length;
    let t0 = nowMs();
    await conn.request(RequestCode.REGISTER_BROKER, body(0, 1, topics));
    const firstMs = nowMs() - t0;
    const unchanged: number[] = [];
    for (let repeat = 0; repeat < (ctx.quick ? 10 : 30); repeat++) {
      t0 = nowMs();
      await conn.request(RequestCode.REGISTER_BROKER, { ...body(0, 1, topics), seq: 10 + repeat });
      unchanged.push(nowMs() - t0);
    }
    const changed: number[] = [];
    const renamed = topics.map((name) => `${name}x`);
    for (let repeat = 0; repeat < (ctx.quick ? 4 : 10); repeat++) {
      t0 = nowMs();
      await conn.request(RequestCode.REGISTER_BROKER, body(0, 2 + repeat, repeat % 2 === 0 ? renamed : topics));
      changed.push(nowMs() - t0);
    }
    await sleep(500);
    const rssBefore = rssBytes(node.process.pid);
    for (let index = 1; index <= brokers; index++) {
      await conn.request(RequestCode.REGISTER_BROKER, body(index, 1, topics));
    }
    await sleep(2_000);
    const rssAfter = rssBytes(node.process.pid);
    conn.close();
    return {
      firstMs: round3(firstMs),
      unchangedMs: summarize(unchanged),
      changedMs: summarize(changed),
      brokers,
      rssBytesPerEntry: round3((rssAfter - rssBefore) / (brokers * TOPICS)),
      frameBytes,
    };
  } finally {
    await stopCluster(ctx.procs, [node]);
  }
}

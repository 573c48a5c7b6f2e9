// Figure 3, route queries on one node over loopback: native WebSocket, remoting and HTTP,
// each under the same closed-loop load generator as a bare echo server of the same protocol
// and reply size; server CPU seconds per 100k reads (from /proc/<pid>/stat) vs etcd
// serializable reads of a same-sized value through etcd's v3 JSON gateway.
import { fileURLToPath } from "node:url";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame } from "../protocol/frame.js";
import { PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from "../limits.js";
import { encodeCommand, SerializeType } from "../protocol/remoting/index.js";
import type { BenchContext, TargetResult } from "./context.js";
import { httpGet, startCluster, stopCluster, type NodeProc } from "./cluster.js";
import { b64, etcdPost, startEtcd, stopEtcd } from "./etcd.js";
import { closedLoop, httpClient, tcpClient, wsClient, type LoadClient, type LoadResult } from "./loadgen.js";
import { RawNative, registerBody } from "./native.js";
import { cpuSeconds, freePort, median, round3, sleep, waitFor } from "./util.js";

const ECHO_PATH = fileURLToPath(new URL("./echo_server.js", import.meta.url));
/**
 * Connections of the load generator, one request in flight each (chosen when the node still had a
 * per-connection rate limit; kept so that figures stay comparable across runs).
 */
export const QUERY_CONNECTIONS = 200;
const REQUESTS_MAX = 2_000_000;
const TOPIC = "BenchQueryTopic";

export interface ServerRun extends LoadResult {
  readonly cpuSecondsPer100k: number;
}

export interface QueryResult {
  readonly connections: number;
  readonly repeats: number;
  readonly durationMs: number;
  readonly replyBytes: { native: number; remoting: number; http: number };
  /** Median run (by throughput) of each server. */
  readonly runs: Record<string, ServerRun>;
  /** Throughput of every repeat, per server. */
  readonly throughputs: Record<string, number[]>;
}

export async function runQueries(ctx: BenchContext): Promise<QueryResult> {
  const durationMs = ctx.quick ? 1_500 : 5_000;
  const repeats = ctx.quick ? 1 : 3;
  const all: Record<string, ServerRun[]> = {};
  const [node] = await startCluster(ctx.procs, { count: 1, remoting: true });
  if (!node) throw new Error("no node");
  let replyBytes = { native: 0, remoting: 0, http: 0 };
  try {
    const broker = await RawNative.open(node.addr, "broker");
    await broker.request(RequestCode.REGISTER_BROKER, {
      ...registerBody({ brokerName: "query-broker-a", brokerAddr: "127.0.0.1:10911", topics: [TOPIC], counter: 1, seq: 1 }),
      heartbeatTimeoutMs: 3_600_000,
    });
    await broker.request(RequestCode.REGISTER_BROKER, {
      ...registerBody({ brokerName: "query-broker-b", brokerAddr: "127.0.0.1:10921", topics: [TOPIC], counter: 1, seq: 1 }),
      heartbeatTimeoutMs: 3_600_000,
    });
    const nativeReq = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_ROUTE, id: 7, body: { topic: TOPIC } });
    const hello = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: PROTOCOL_VERSION_MIN, versionMax: PROTOCOL_VERSION_MAX, role: "client" } });
    const remotingReq = encodeCommand({ code: 105, language: 0, version: 479, opaque: 1, flag: 0, extFields: { topic: TOPIC }, serializeType: SerializeType.JSON });
    replyBytes = await measureReplies(node, nativeReq, hello, remotingReq);
    const httpBody = (await httpGet(node.port, `/v1/routes/${TOPIC}`)).body;
    const etcd = ctx.etcdBin ? await startEtcd(ctx.procs, ctx.etcdBin) : null;
    try {
      if (etcd) await etcdPost(etcd.members[0]?.clientPort ?? 0, "/v3/kv/put", { key: b64(TOPIC), value: b64(httpBody) });
      for (let repeat = 0; repeat < repeats; repeat++) {
        const measure = async (name: string, pid: number, open: () => Promise<LoadClient>): Promise<void> => {
          const clients = await Promise.all(Array.from({ length: QUERY_CONNECTIONS }, () => open()));
          const cpu0 = cpuSeconds(pid);
          const result = await closedLoop(clients, durationMs, REQUESTS_MAX, ctx.quick ? 300 : 1_000);
          const cpu1 = cpuSeconds(pid);
          for (const client of clients) client.close();
          (all[name] ??= []).push({ ...result, cpuSecondsPer100k: round3(((cpu1 - cpu0) / Math.max(1, result.requests)) * 100_000) });
          ctx.log(`figure 3: ${name} ${result.throughput}/s (${result.failures} error replies) p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms`);
        };
        await measure("native", node.process.pid, () => wsClient(node.port, nativeReq, hello, (data) => decodeFrame(data).code === 0));
        await measure("remoting", node.process.pid, () => tcpClient(node.remotingPort ?? 0, remotingReq));
        await measure("http", node.process.pid, async () => httpClient(node.port, "GET", `/v1/routes/${TOPIC}`, null));
        const wsEcho = await startEcho(ctx, "ws", replyBytes.native);
        await measure("wsEcho", wsEcho.pid, () => wsClient(wsEcho.port, nativeReq, hello));
        await ctx.procs.kill(wsEcho.proc);
        const tcpEcho = await startEcho(ctx, "tcp", replyBytes.remoting);
        await measure("tcpEcho", tcpEcho.pid, () => tcpClient(tcpEcho.port, remotingReq));
        await ctx.procs.kill(tcpEcho.proc);
        const httpEcho = await startEcho(ctx, "http", replyBytes.http);
        await measure("httpEcho", httpEcho.pid, async () => httpClient(httpEcho.port, "GET", `/v1/routes/${TOPIC}`, null));
        await ctx.procs.kill(httpEcho.proc);
        if (etcd) {
          const member = etcd.members[0];
          if (member) {
            const body = JSON.stringify({ key: b64(TOPIC), serializable: true });
            await measure("etcd", member.process.pid, async () => httpClient(member.clientPort, "POST", "/v3/kv/range", body));
          }
        }
      }
    } finally {
      if (etcd) await stopEtcd(ctx.procs, etcd);
      broker.close();
    }
  } finally {
    await stopCluster(ctx.procs, [node]);
  }
  const runs: Record<string, ServerRun> = {};
  const throughputs: Record<string, number[]> = {};
  for (const [name, list] of Object.entries(all)) {
    throughputs[name] = list.map((run) => run.throughput);
    const mid = median(list.map((run) => run.throughput));
    runs[name] = list.find((run) => run.throughput === mid) ?? (list[0] as ServerRun);
  }
  return { connections: QUERY_CONNECTIONS, repeats, durationMs, replyBytes, runs, throughputs };
}

export function queryTargets(result: QueryResult): TargetResult[] {
  const targets: TargetResult[] = [];
  const pairs: [string, string][] = [["native", "wsEcho"], ["remoting", "tcpEcho"], ["http", "httpEcho"]];
  for (const [ours, echo] of pairs) {
    const a = result.runs[ours];
    const b = result.runs[echo];
    if (!a || !b) continue;
    const ratio = round3(a.throughput / b.throughput);
    targets.push({ figure: "3", target: `${ours} throughput >= 0.7 x bare ${echo}`, measured: `${a.throughput}/s vs ${b.throughput}/s = ${ratio}`, met: ratio >= 0.7 });
  }
  const etcd = result.runs["etcd"];
  for (const ours of ["native", "remoting", "http"]) {
    const run = result.runs[ours];
    if (!run) continue;
    targets.push({
      figure: "3",
      target: `${ours}: server CPU s per 100k reads <= etcd serializable reads`,
      measured: etcd ? `${run.cpuSecondsPer100k} s vs etcd ${etcd.cpuSecondsPer100k} s (${round3(run.cpuSecondsPer100k / etcd.cpuSecondsPer100k)}x)` : "not measured (no etcd)",
      met: etcd ? run.cpuSecondsPer100k <= etcd.cpuSecondsPer100k : null,
    });
  }
  return targets;
}

async function startEcho(ctx: BenchContext, kind: "ws" | "tcp" | "http", bytes: number): Promise<{ port: number; pid: number; proc: ReturnType<BenchContext["procs"]["start"]> }> {
  const port = await freePort();
  let listening = false;
  const proc = ctx.procs.start(`echo-${kind}`, process.execPath, [ECHO_PATH, kind, String(port), String(bytes)], {
    onLine: (line) => {
      if (line === "listening") listening = true;
    },
  });
  await waitFor(`${kind} echo server`, 10_000, () => listening);
  return { port, pid: proc.pid, proc };
}

async function measureReplies(node: NodeProc, nativeReq: Uint8Array, hello: Uint8Array, remotingReq: Uint8Array): Promise<{ native: number; remoting: number; http: number }> {
  let nativeBytes = 0;
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://${node.addr}/`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const next = (bytes: Uint8Array): Promise<number> =>
    new Promise((resolve) => {
      ws.once("message", (data: Buffer) => resolve(data.length));
      ws.send(bytes);
    });
  await next(hello);
  nativeBytes = await next(nativeReq);
  ws.terminate();
  const { Socket } = await import("node:net");
  const socket = new Socket();
  const remotingBytes = await new Promise<number>((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) resolve(buffered.readUInt32BE(0));
    });
    socket.once("error", reject);
    socket.connect(node.remotingPort ?? 0, "127.0.0.1", () => socket.write(remotingReq));
  });
  socket.destroy();
  const httpBytes = Buffer.byteLength((await httpGet(node.port, `/v1/routes/${TOPIC}`)).body);
  await sleep(10);
  return { native: nativeBytes, remoting: remotingBytes, http: httpBytes };
}

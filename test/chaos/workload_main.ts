// The clients of a chaos run, in their own namespace: every node is asked for the shared
// topic's route and the chaos KV namespace every poll round (HTTP /v1), and a few KV keys are
// written through the native client, each write preceded by a read of the same key at the same
// node. Every answer goes to stdout as one JSON line with CLOCK_MONOTONIC times since the run's
// origin. Stdin: {"op":"stopWrites"} ends the writers, closing stdin ends the program.
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { RouteClient } from "../../src/index.js";
import { Prng } from "./prng.js";

/** Workload configuration, passed as the first argument (JSON). */
export interface WorkloadConfig {
  /** Node id -> "host:port" of its HTTP + WebSocket port. */
  readonly nodes: Readonly<Record<string, string>>;
  readonly topic: string;
  readonly kvNamespace: string;
  readonly kvKeys: readonly string[];
  readonly pollMs: number;
  readonly queryTimeoutMs: number;
  readonly kvTimeoutMs: number;
  readonly kvPauseMsMin: number;
  readonly kvPauseMsMax: number;
  readonly seed: number;
  /** CLOCK_MONOTONIC nanoseconds of the run's origin (a bigint as a string). */
  readonly originNs: string;
}

/** Share of KV writes that delete the key (when the read saw a value). */
const KV_DELETE_SHARE = 0.25;

let origin = 0n;
const nowMs = (): number => Number(process.hrtime.bigint() - origin) / 1e6;
const emit = (record: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(record)}\n`);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? "{}") as WorkloadConfig;
  origin = BigInt(config.originNs);
  let stopped = false;
  let writing = true;
  const input = createInterface({ input: process.stdin });
  input.on("line", (line) => {
    if ((JSON.parse(line) as { op?: string }).op === "stopWrites") writing = false;
  });
  input.on("close", () => {
    stopped = true;
    writing = false;
  });
  const pollers = Object.entries(config.nodes).map(([node, addr]) => poll(config, node, addr, () => stopped));
  const prng = new Prng(config.seed);
  const clients = new Map(
    Object.entries(config.nodes).map(([node, addr]) => [
      node,
      new RouteClient({ nameServers: [addr], clock: { nowMs: () => Date.now() }, rng: prng.fork(), requestTimeoutMs: config.kvTimeoutMs }),
    ]),
  );
  const writers = config.kvKeys.map((key) => write(config, key, clients, prng.fork(), () => writing));
  await Promise.all([...pollers, ...writers]);
  for (const client of clients.values()) client.close();
  process.exit(0);
}

/** Asks one node every round until stopped; rounds are aligned across nodes by the origin. */
async function poll(config: WorkloadConfig, node: string, addr: string, stopped: () => boolean): Promise<void> {
  let round = Math.ceil(nowMs() / config.pollMs);
  while (!stopped()) {
    const waitMs = round * config.pollMs - nowMs();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const thisRound = round;
    await Promise.all([routeOnce(config, node, addr, thisRound), kvOnce(config, node, addr, thisRound)]);
    // A slow answer (a paused node) skips the rounds it overran instead of queueing them.
    round = Math.max(thisRound + 1, Math.ceil(nowMs() / config.pollMs));
  }
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

async function routeOnce(config: WorkloadConfig, node: string, addr: string, round: number): Promise<void> {
  const sendMs = nowMs();
  const base = { t: "route", node, round, sendMs };
  try {
    const { status, body } = await getJson(`http://${addr}/v1/routes/${encodeURIComponent(config.topic)}`, config.queryTimeoutMs);
    const recvMs = nowMs();
    if (status === 200) {
      const route = JSON.parse(body) as { brokerDatas?: { brokerName: string; brokerAddrs: Record<string, string> }[] };
      const brokers = (route.brokerDatas ?? []).filter((data) => Object.keys(data.brokerAddrs).length > 0).map((data) => data.brokerName).sort();
      emit({ ...base, recvMs, status: "ok", brokers, hash: hashOf(body) });
    } else if (status === 404 && errorName(body) === "NOT_FOUND") {
      emit({ ...base, recvMs, status: "ok", brokers: [], hash: "none" });
    } else if (status === 503) {
      emit({ ...base, recvMs, status: "notReady" });
    } else {
      emit({ ...base, recvMs, status: "error", error: `http ${status}: ${body.slice(0, 200)}` });
    }
  } catch (error) {
    emit({ ...base, recvMs: nowMs(), ...failure(error) });
  }
}

async function kvOnce(config: WorkloadConfig, node: string, addr: string, round: number): Promise<void> {
  const sendMs = nowMs();
  const base = { t: "kv", node, round, sendMs };
  try {
    const { status, body } = await getJson(`http://${addr}/v1/kv/${encodeURIComponent(config.kvNamespace)}`, config.queryTimeoutMs);
    const recvMs = nowMs();
    if (status === 200) emit({ ...base, recvMs, status: "ok", table: (JSON.parse(body) as { table: Record<string, string> }).table });
    else if (status === 404 && errorName(body) === "NOT_FOUND") emit({ ...base, recvMs, status: "ok", table: {} });
    else if (status === 503) emit({ ...base, recvMs, status: "notReady" });
    else emit({ ...base, recvMs, status: "error", error: `http ${status}: ${body.slice(0, 200)}` });
  } catch (error) {
    emit({ ...base, recvMs: nowMs(), ...failure(error) });
  }
}

/** Writes one key until told to stop: read at a random node, then put or delete there. */
async function write(config: WorkloadConfig, key: string, clients: Map<string, RouteClient>, prng: Prng, writing: () => boolean): Promise<void> {
  const nodes = [...clients.keys()];
  let seq = 0;
  while (writing()) {
    await new Promise((resolve) => setTimeout(resolve, prng.between(config.kvPauseMsMin, config.kvPauseMsMax)));
    if (!writing()) break;
    const node = nodes[prng.below(nodes.length)] as string;
    const client = clients.get(node) as RouteClient;
    let seen: string | null;
    try {
      seen = await client.kvGet(config.kvNamespace, key);
    } catch {
      continue; // No read, no write: the write's causal predecessor would be unknown.
    }
    const readRecvMs = nowMs();
    seq += 1;
    const remove = seen !== null && prng.unit() < KV_DELETE_SHARE;
    const value = remove ? null : `${key}.${seq}`;
    const sendMs = nowMs();
    const base = { t: "kvop", key, seq, op: remove ? "delete" : "put", value, node, seen, readRecvMs, sendMs };
    try {
      if (value === null) await client.kvDelete(config.kvNamespace, key);
      else await client.kvPut(config.kvNamespace, key, value);
      emit({ ...base, recvMs: nowMs(), outcome: "ok" });
    } catch (error) {
      // A timeout or a closed connection may or may not have applied the write.
      emit({ ...base, recvMs: nowMs(), outcome: "unknown", error: String((error as Error).message).slice(0, 200) });
    }
  }
}

function errorName(body: string): string | null {
  try {
    return (JSON.parse(body) as { error?: { name?: string } }).error?.name ?? null;
  } catch {
    return null;
  }
}

function failure(error: unknown): { status: "timeout" | "error"; error: string } {
  const name = (error as Error).name;
  const status = name === "TimeoutError" || name === "AbortError" ? "timeout" : "error";
  return { status, error: String((error as Error).message).slice(0, 200) };
}

function hashOf(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 16);
}

main().catch((error: unknown) => {
  process.stderr.write(`workload failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});

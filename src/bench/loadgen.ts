// One closed-loop load generator for every server of figure 3: C connections, one request in
// flight each, bounded by time and by count. The same client code drives the name server
// and the echo server of each protocol; only the bytes differ.
import { Agent, request } from "node:http";
import { Socket } from "node:net";
import WebSocket from "ws";
import { nowMs, round3, summarize, type Summary } from "./util.js";

/** A connection that performs one request at a time. */
export interface LoadClient {
  call(): Promise<void>;
  /** Replies that were errors (only counted where the client checks replies). */
  readonly failures: () => number;
  close(): void;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: Summary;
  /** Error replies among `requests` (native only: replies are decoded and checked). */
  readonly failures: number;
  /** Up to 1,000 latency samples, for the CDF chart. */
  readonly cdfSample: number[];
}

/** Latency samples kept per run (the count bound of the loop is separate). */
const SAMPLES_MAX = 2_000_000;

/** Runs every client in a closed loop for `durationMs` or until `requestsMax` requests. */
export async function closedLoop(clients: readonly LoadClient[], durationMs: number, requestsMax: number, warmupMs: number): Promise<LoadResult> {
  const run = async (ms: number, record: boolean): Promise<{ count: number; seconds: number; latencies: number[] }> => {
    const latencies: number[] = [];
    let count = 0;
    const start = nowMs();
    const end = start + ms;
    await Promise.all(
      clients.map(async (client) => {
        while (nowMs() < end && count < requestsMax) {
          const t0 = nowMs();
          await client.call();
          count += 1;
          if (record && latencies.length < SAMPLES_MAX) latencies.push(nowMs() - t0);
        }
      }),
    );
    return { count, seconds: (nowMs() - start) / 1000, latencies };
  };
  await run(warmupMs, false);
  const failures0 = clients.reduce((sum, client) => sum + client.failures(), 0);
  const measured = await run(durationMs, true);
  const sorted = [...measured.latencies].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(sorted.length / 1000));
  const failures = clients.reduce((sum, client) => sum + client.failures(), 0) - failures0;
  return {
    requests: measured.count,
    seconds: round3(measured.seconds),
    // Only successful replies count: an error reply (e.g. a rate-limit refusal) is not a route.
    throughput: Math.round((measured.count - failures) / measured.seconds),
    latencyMs: summarize(sorted),
    failures,
    cdfSample: sorted.filter((_, index) => index % step === 0).map(round3),
  };
}

/** A ws client: sends `bytes`, waits for the next message. `hello` is sent once first. */
export async function wsClient(port: number, bytes: Uint8Array, hello: Uint8Array | null, check: ((data: Buffer) => boolean) | null = null): Promise<LoadClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  let waiting: (() => void) | null = null;
  let failures = 0;
  let checking = false;
  ws.on("message", (data: Buffer) => {
    if (checking && check && !check(data)) failures += 1;
    const resolve = waiting;
    waiting = null;
    resolve?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const call = (payload: Uint8Array): Promise<void> =>
    new Promise((resolve) => {
      waiting = resolve;
      ws.send(payload);
    });
  if (hello) await call(hello);
  checking = true;
  return { call: () => call(bytes), close: () => ws.terminate(), failures: () => failures };
}

/** A TCP client of length-prefixed frames: sends `bytes`, waits for one whole frame back. */
export async function tcpClient(port: number, bytes: Uint8Array): Promise<LoadClient> {
  const socket = new Socket();
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.connect(port, "127.0.0.1", () => resolve());
  });
  let buffered: Buffer = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) break;
      buffered = buffered.subarray(4 + length);
      const resolve = waiting;
      waiting = null;
      resolve?.();
    }
  });
  return {
    call: () =>
      new Promise((resolve) => {
        waiting = resolve;
        socket.write(bytes);
      }),
    close: () => socket.destroy(),
    failures: () => 0,
  };
}

/** An HTTP/1.1 keep-alive client: one request at a time on its own agent. */
export function httpClient(port: number, method: "GET" | "POST", path: string, body: string | null): LoadClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers: Record<string, string> = body === null ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) };
  return {
    call: () =>
      new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
          res.on("data", () => undefined);
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        req.end(body ?? undefined);
      }),
    close: () => agent.destroy(),
    failures: () => 0,
  };
}

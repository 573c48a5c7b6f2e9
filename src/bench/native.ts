// A minimal native-protocol client for the load generator and the timing probes: one ws,
// pre-built frames, responses matched by id, pushes handed to a callback with their arrival
// time. No per-request timers, so the client costs the same as the echo load generator.
import WebSocket from "ws";
import { FrameKind, PushCode, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame } from "../protocol/frame.js";
import { FRAME_BYTES_MAX, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from "../limits.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import { nowMs } from "./util.js";

/** A response that does not come within this is an error (bench requests are tiny). */
const RESPONSE_TIMEOUT_MS = 30_000;

/** One native connection. */
export class RawNative {
  private readonly ws: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (body: unknown) => void; reject: (error: Error) => void }>();
  onPush: ((push: RouteChangedPush, atMs: number) => void) | null = null;
  closed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data: Buffer) => this.onMessage(data));
    ws.on("close", () => this.fail(new Error("connection closed")));
    ws.on("error", (error) => this.fail(error));
  }

  /** Opens a connection to "host:port" and says hello with `role`. */
  static async open(addr: string, role: "client" | "broker"): Promise<RawNative> {
    const ws = new WebSocket(`ws://${addr}/`, { maxPayload: FRAME_BYTES_MAX, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const conn = new RawNative(ws);
    await conn.request(RequestCode.HELLO, { versionMin: PROTOCOL_VERSION_MIN, versionMax: PROTOCOL_VERSION_MAX, role });
    return conn;
  }

  /** Sends a request; resolves with the body of an OK response, rejects on an error code. */
  request(code: number, body: unknown): Promise<unknown> {
    const id = this.nextId++;
    const bytes = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code, id, body });
    return this.sendRaw(id, bytes);
  }

  /** Sends pre-encoded request bytes with a known id. */
  sendRaw(id: number, bytes: Uint8Array): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error("connection closed"));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.ws.send(bytes);
    });
  }

  /** A fresh id for sendRaw. */
  allocateId(): number {
    return this.nextId++;
  }

  close(): void {
    this.closed = true;
    this.ws.terminate();
  }

  private onMessage(data: Buffer): void {
    const atMs = nowMs();
    const frame = decodeFrame(data);
    if (frame.kind === FrameKind.PUSH) {
      if (frame.code === PushCode.ROUTE_CHANGED) this.onPush?.(frame.body as RouteChangedPush, atMs);
      return;
    }
    const call = this.pending.get(frame.id);
    if (!call) return;
    this.pending.delete(frame.id);
    if (frame.code === 0) call.resolve(frame.body);
    else call.reject(new Error(`error ${frame.code}: ${JSON.stringify(frame.body).slice(0, 200)}`));
  }

  private fail(error: Error): void {
    this.closed = true;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/** A topic config as REGISTER_BROKER carries it. */
export function topicsNamed(names: readonly string[], queues = 8): { topicName: string; readQueueNums: number; writeQueueNums: number; perm: number }[] {
  return names.map((topicName) => ({ topicName, readQueueNums: queues, writeQueueNums: queues, perm: 6 }));
}

/** A REGISTER_BROKER body. */
export function registerBody(options: {
  brokerName: string;
  brokerAddr: string;
  topics: readonly string[];
  counter: number;
  seq: number;
  heartbeatTimeoutMs?: number;
}): Record<string, unknown> {
  return {
    clusterName: "BenchCluster",
    brokerAddr: options.brokerAddr,
    brokerName: options.brokerName,
    brokerId: 0,
    haServerAddr: "",
    dataVersion: { timestamp: 1_700_000_000_000, counter: options.counter, stateVersion: 0 },
    topics: topicsNamed(options.topics),
    bootEpoch: 1,
    seq: options.seq,
    ...(options.heartbeatTimeoutMs !== undefined ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs } : {}),
  };
}

/** Wait timeout default for requests awaited by the bench. */
export const BENCH_RESPONSE_TIMEOUT_MS = RESPONSE_TIMEOUT_MS;

// A minimal RocketMQ remoting client for the bench, the same bytes to our node and to the Java
// NameServer: requests matched by opaque, oneway sends, pre-encoded frames written without a
// copy of their body, and byte counts per connection (to take the bench's own traffic out of a
// node's /proc/<pid>/io). Also a closed-loop load client that checks each reply's code.
import { Socket } from "node:net";
import * as rm from "../protocol/remoting/index.js";
import type { LoadClient } from "./loadgen.js";
import { nowMs } from "./util.js";

/** The version bench requests claim: a 5.x client or broker (>= 413, answers in standard JSON). */
export const BENCH_REMOTING_VERSION = rm.MQVersion.V5_3_3;
/** A request not answered within this fails (a 100,000-topic list on a loaded machine fits). */
const REQUEST_TIMEOUT_MS = 60_000;
/** A load-client call not answered within this counts as a failure and the loop goes on. */
const LOAD_CALL_TIMEOUT_MS = 10_000;
/** How often load clients are checked for calls past LOAD_CALL_TIMEOUT_MS. */
const LOAD_SWEEP_MS = 1_000;
/** A JSON response header with code 0 starts with these bytes (fastjson and ours write keys in order). */
const SUCCESS_HEADER_PREFIX = Buffer.from('{"code":0,', "utf8");

/** True if 127.0.0.1:port accepts a TCP connection now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** Opens a TCP connection to 127.0.0.1:port, from `localAddress` (a loopback address) if given. */
export function connectTcp(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.once("error", reject);
    socket.connect({ port, host: "127.0.0.1", ...(localAddress !== undefined ? { localAddress } : {}) }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** A request command as a 5.x Java client sends it (JSON header). */
export function requestCommand(code: number, extFields: Record<string, string>, opaque: number, body?: Buffer, oneway = false): rm.RemotingCommand {
  return {
    code,
    language: rm.LanguageCode.JAVA,
    version: BENCH_REMOTING_VERSION,
    opaque,
    flag: oneway ? rm.RemotingFlag.ONEWAY : 0,
    extFields,
    serializeType: rm.SerializeType.JSON,
    ...(body !== undefined ? { body } : {}),
  };
}

/**
 * A frame in two parts, length prefix and header first and the body after, so a big body is
 * written as it is (no copy). `opaque` is patched into the header for every send.
 */
export interface SplitFrame {
  readonly head: Buffer;
  readonly body: Buffer | null;
}

/** Encodes `cmd` with its body left out of the buffer: the length prefix counts it all the same. */
export function splitFrame(cmd: rm.RemotingCommand): SplitFrame {
  const { body, ...headerOnly } = cmd;
  const head = rm.encodeCommand(headerOnly);
  if (body !== undefined) head.writeInt32BE(head.readInt32BE(0) + body.length, 0);
  return { head, body: body ?? null };
}

/** One remoting connection: requests matched by opaque. */
export class RawRemoting {
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly pending = new Map<number, { resolve: (cmd: rm.RemotingCommand) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private nextOpaque = 1;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      let commands: rm.RemotingCommand[];
      try {
        commands = this.decoder.push(chunk);
      } catch (error) {
        this.fail(error as Error);
        socket.destroy();
        return;
      }
      for (const cmd of commands) this.onCommand(cmd);
    });
    socket.on("close", () => this.fail(new Error("connection closed")));
    socket.on("error", (error) => this.fail(error));
  }

  /** Connects to 127.0.0.1:port (from `localAddress` if given). */
  static async open(port: number, localAddress?: string): Promise<RawRemoting> {
    return new RawRemoting(await connectTcp(port, localAddress));
  }

  /** Bytes this connection wrote to and read from the server so far. */
  get bytes(): { written: number; read: number } {
    return { written: this.socket.bytesWritten, read: this.socket.bytesRead };
  }

  /** Sends a request and resolves with the response, whatever its code. */
  request(code: number, extFields: Record<string, string>, body?: Buffer): Promise<rm.RemotingCommand> {
    return this.send(splitFrame(requestCommand(code, extFields, 0, body)));
  }

  /** Sends a pre-encoded request (its opaque is replaced) and resolves with the response. */
  send(frame: SplitFrame): Promise<rm.RemotingCommand> {
    const opaque = this.nextOpaque++;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error("connection closed"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(opaque);
        reject(new Error(`no response in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(opaque, { resolve, reject, timer });
      this.write(frame, opaque);
    });
  }

  /** Writes a oneway frame as it is (no response comes). */
  oneway(frame: SplitFrame): void {
    if (!this.closed) this.write(frame, 0);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private write(frame: SplitFrame, opaque: number): void {
    // The opaque sits in the JSON header: re-encoding it per request is cheap next to the body.
    const head = opaque === 0 ? frame.head : withOpaque(frame.head, opaque);
    if (frame.body === null) {
      this.socket.write(head);
      return;
    }
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(frame.body);
    this.socket.uncork();
  }

  private onCommand(cmd: rm.RemotingCommand): void {
    if (!rm.isResponse(cmd)) return;
    const call = this.pending.get(cmd.opaque);
    if (!call) return;
    this.pending.delete(cmd.opaque);
    clearTimeout(call.timer);
    call.resolve(cmd);
  }

  private fail(error: Error): void {
    this.closed = true;
    for (const call of this.pending.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    this.pending.clear();
  }
}

/** The head of a frame with the header's `"opaque":N` replaced (header length fixed up). */
function withOpaque(head: Buffer, opaque: number): Buffer {
  const headerLength = head.readUInt32BE(4) & 0xffffff;
  const headerText = head.toString("utf8", 8, 8 + headerLength);
  const replaced = headerText.replace(/"opaque":-?\d+/, `"opaque":${opaque}`);
  const header = Buffer.from(replaced, "utf8");
  const out = Buffer.allocUnsafe(8 + header.length);
  const serializeType = head.readUInt32BE(4) >>> 24;
  out.writeInt32BE(head.readInt32BE(0) - headerLength + header.length, 0);
  out.writeUInt32BE(((serializeType << 24) | header.length) >>> 0, 4);
  header.copy(out, 8);
  return out;
}

/**
 * A closed-loop load client: one request in flight, cycling through `requests` (whole frames,
 * from `offset`), each reply checked for code 0 by its first header bytes. A call unanswered
 * for LOAD_CALL_TIMEOUT_MS counts as a failure (so a stalled server cannot hang the bench).
 */
export async function remotingLoadClient(port: number, requests: readonly Buffer[], offset: number, localAddress?: string): Promise<LoadClient> {
  const socket = await connectTcp(port, localAddress);
  let buffered: Buffer = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  let sentAtMs = 0;
  let failures = 0;
  let next = offset % requests.length;
  socket.on("data", (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) break;
      if (buffered.compare(SUCCESS_HEADER_PREFIX, 0, SUCCESS_HEADER_PREFIX.length, 8, 8 + SUCCESS_HEADER_PREFIX.length) !== 0) failures += 1;
      buffered = buffered.subarray(4 + length);
      const resolve = waiting;
      waiting = null;
      resolve?.();
    }
  });
  socket.on("error", () => undefined);
  const sweeper = setInterval(() => {
    if (waiting !== null && nowMs() - sentAtMs > LOAD_CALL_TIMEOUT_MS) {
      failures += 1;
      const resolve = waiting;
      waiting = null;
      resolve();
    }
  }, LOAD_SWEEP_MS);
  sweeper.unref();
  return {
    call: () =>
      new Promise((resolve) => {
        waiting = resolve;
        sentAtMs = nowMs();
        socket.write(requests[next] as Buffer);
        next = (next + 1) % requests.length;
      }),
    close: () => {
      clearInterval(sweeper);
      socket.destroy();
    },
    failures: () => failures,
  };
}

/** A GET_ROUTEINFO_BY_TOPIC frame for `topic`, as a 5.x client sends it. */
export function routeRequestFrame(topic: string, opaque: number): Buffer {
  return rm.encodeCommand(requestCommand(rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }, opaque));
}

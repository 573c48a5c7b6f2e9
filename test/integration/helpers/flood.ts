// Load for fairness tests: flooders that pipeline route queries as fast as their sockets take
// them (native WebSocket or remoting TCP, pre-encoded batches, one write each), run in a child
// process (flood_process.mjs) so their work never delays the test's probes; and percentiles.
import { fork, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { FrameKind, RequestCode } from "../../../src/protocol/codes.js";
import { encodeFrame } from "../../../src/protocol/frame.js";
import * as rm from "../../../src/protocol/remoting/index.js";
import { buildCommand } from "./remoting_client.js";
import { withDeadline } from "./wait.js";

/** Requests one flooder write carries. */
const FLOOD_BATCH_REQUESTS = 256;
const FLOOD_PROCESS_PATH = fileURLToPath(new URL("./flood_process.mjs", import.meta.url));

/** Flooding connections on one port, in their own process. */
export interface Flooders {
  /** Replies each connection got so far (the hello's not counted). */
  answered(): Promise<number[]>;
  /** Closes the connections and ends the process. */
  stop(): Promise<void>;
}

/** The p-th percentile (0..1) of `samples`, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

/** Nice value of the flooder process (19: runs when nothing else wants the CPU). */
const FLOODER_NICE = 19;

/** `connections` flooders of GET_ROUTEINFO_BY_TOPIC (remoting) or GET_ROUTE (native) over `topics`. */
export function startFlooders(kind: "native" | "remoting", port: number, connections: number, topics: readonly string[]): Flooders {
  const topic = (index: number): string => topics[(index * 7) % topics.length] as string;
  const batch =
    kind === "remoting"
      ? Buffer.concat(Array.from({ length: FLOOD_BATCH_REQUESTS }, (_, index) => rm.encodeCommand(buildCommand(rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: topic(index) }, {}, index + 1))))
      : Buffer.concat(Array.from({ length: FLOOD_BATCH_REQUESTS }, (_, index) => maskedFrame(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_ROUTE, id: index + 2, body: { topic: topic(index) } }))));
  const opening = kind === "remoting" ? Buffer.alloc(0) : nativeOpening(port);
  const child: ChildProcess = fork(FLOOD_PROCESS_PATH, [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  // The flooders' own process runs at the lowest CPU priority: what the test measures is how the
  // node shares its work between connections, not how the kernel shares two cores between the
  // load generator and everything else (the flooders still run flat out whenever a core is free).
  if (child.pid !== undefined) setPriority(child.pid, FLOODER_NICE);
  child.send({ kind: "start", port, connections, framing: kind, opening: opening.toString("base64"), batch: batch.toString("base64") });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    answered: () =>
      withDeadline(
        "flooder counts",
        new Promise<number[]>((resolve) => {
          child.once("message", (message: { answered: number[] }) => resolve(message.answered.map((count) => (kind === "native" ? Math.max(0, count - 1) : count))));
          child.send({ kind: "count" });
        }),
      ),
    stop: async () => {
      child.send({ kind: "stop" });
      await withDeadline("flooder process exit", exited);
    },
  };
}

/** The WebSocket upgrade request and a HELLO frame, written at once. */
function nativeOpening(port: number): Buffer {
  const key = Buffer.from("fairness-flooder").toString("base64");
  const upgrade = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const hello = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: 1, versionMax: 1, role: "client" } });
  return Buffer.concat([Buffer.from(upgrade, "latin1"), maskedFrame(hello)]);
}

/** A client WebSocket binary frame around `payload`, masked with the zero key (RFC 6455 allows any key). */
function maskedFrame(payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new Error("flood frames are small");
  const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

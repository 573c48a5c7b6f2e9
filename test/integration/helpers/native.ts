// A raw native-protocol client for tests: frames by hand over a real WebSocket, so tests see
// exactly what the server sends (responses, pushes, close codes).
import { WebSocket } from "ws";
import { FrameKind, RequestCode } from "../../../src/protocol/codes.js";
import { decodeFrame, encodeFrame, type Frame } from "../../../src/protocol/frame.js";
import { withDeadline } from "./wait.js";

/** A raw connection. */
export interface RawNative {
  readonly ws: WebSocket;
  /** Every frame received, in order. */
  readonly frames: Frame[];
  /** Sends a request and waits for the response with the same id. */
  request(code: number, body: unknown, v?: number): Promise<Frame>;
  /** Sends HELLO v1 with a role and expects OK. */
  hello(role?: "client" | "broker" | "peer"): Promise<Frame>;
  /** Sends bytes as they are (binary unless a string). */
  sendRaw(data: Uint8Array | string): void;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Opens a raw native connection to 127.0.0.1:port. */
export async function openNative(port: number): Promise<RawNative> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const frames: Frame[] = [];
  const waiters = new Map<number, (frame: Frame) => void>();
  let nextId = 1;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") }));
  });
  ws.on("error", () => undefined);
  ws.on("message", (data: Buffer) => {
    const frame = decodeFrame(new Uint8Array(data));
    frames.push(frame);
    if (frame.kind === FrameKind.RESPONSE) waiters.get(frame.id)?.(frame);
  });
  await withDeadline("websocket open", new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  }));
  const request = (code: number, body: unknown, v = 1): Promise<Frame> => {
    const id = nextId++;
    const answer = new Promise<Frame>((resolve) => waiters.set(id, resolve));
    ws.send(encodeFrame({ v, kind: FrameKind.REQUEST, code, id, body }));
    return withDeadline(`response to request ${code} id ${id}`, answer);
  };
  return {
    ws,
    frames,
    request,
    hello: (role = "client") => request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role }),
    sendRaw: (data) => ws.send(data, { binary: typeof data !== "string" }),
    closed,
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close(1000, "test done");
      await withDeadline("websocket close", closed);
    },
  };
}

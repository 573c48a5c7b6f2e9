// Goal: sockets of the HTTP + WebSocket port that never upgrade cannot pile up (node's HTTP
// server keeps a silent socket open forever): each is closed after the idle bound, at most
// `perAddressMax` come from one address, a full table closes the oldest for a new one, and a
// WebSocket, once upgraded, is no longer bound by any of it.
// Method: listenHttpWs on 127.0.0.1:0 with small bounds; raw TCP sockets from 127.0.0.2..4 that
// send nothing; a real WebSocket client; closes observed with deadlines.
import * as net from "node:net";
import { WebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import type { Connection, Listener } from "../../src/transport/connection.js";
import { listenHttpWs } from "../../src/transport/ws_transport.js";
import { withDeadline } from "./helpers/wait.js";

const IDLE_MS = 400;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listener(limits: string[]): Promise<{ port: number; accepted: Connection[] }> {
  const accepted: Connection[] = [];
  const bound: Listener = await listenHttpWs({
    host: "127.0.0.1",
    port: 0,
    frameBytesMax: 64 * 1024,
    onHttpRequest: (_request, response) => response.end("ok"),
    onConnection: (connection) => {
      connection.setHandlers({ message: () => undefined, error: () => undefined, close: () => undefined });
      accepted.push(connection);
    },
    onError: () => undefined,
    pendingSockets: { max: 3, perAddressMax: 2, idleMs: IDLE_MS },
    onLimitHit: (limit) => limits.push(limit),
  });
  cleanups.push(() => bound.close());
  return { port: bound.port, accepted };
}

async function raw(port: number, localAddress: string): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => undefined);
  cleanups.push(() => void socket.destroy());
  await withDeadline("raw connect", new Promise<void>((resolve) => socket.once("connect", () => resolve())));
  const opened = Date.now();
  return { socket, closed: new Promise((resolve) => socket.once("close", () => resolve(Date.now() - opened))) };
}

describe("http pending sockets", () => {
  it("pending sockets: silent ones are closed after the idle bound; a WebSocket is not", async () => {
    const { port, accepted } = await listener([]);
    const silent = await raw(port, "127.0.0.2");
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    cleanups.push(() => ws.terminate());
    await withDeadline("ws open", new Promise<void>((resolve) => ws.once("open", () => resolve())));
    const closedAfter = await withDeadline("silent socket closed", silent.closed);
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50);
    await new Promise((resolve) => setTimeout(resolve, 2 * IDLE_MS));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(accepted).toHaveLength(1);
  });

  it("pending sockets: bounded per address, and a full table closes the oldest for a new one", async () => {
    const limits: string[] = [];
    const { port } = await listener(limits);
    const first = await raw(port, "127.0.0.2");
    await raw(port, "127.0.0.2");
    const third = await raw(port, "127.0.0.2");
    expect(await withDeadline("third from one address closed", third.closed)).toBeLessThan(IDLE_MS);
    await raw(port, "127.0.0.3");
    await raw(port, "127.0.0.4");
    expect(await withDeadline("the oldest closed for a new one", first.closed)).toBeLessThan(IDLE_MS);
    expect(limits).toEqual(["CONNECTIONS_PER_ADDRESS_MAX", "HTTP_PENDING_SOCKETS_MAX"]);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await answer.text()).toBe("ok");
  });
});

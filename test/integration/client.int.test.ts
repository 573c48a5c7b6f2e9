// Goal: RouteClient, BrokerAgent and the client CLI commands against a real in-process name
// server over WebSocket. Method: startServer(localConfig()) on 127.0.0.1:0; waits poll a
// condition until a deadline (no fixed sleeps); every client, agent and server is closed.
import { createServer } from "node:net";
import { Command } from "commander";
import pino from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerAgent } from "../../src/broker_agent/agent.js";
import { NameServersUnavailableError } from "../../src/client/client_errors.js";
import { NativeConnection } from "../../src/client/connection.js";
import { RouteClient } from "../../src/client/route_client.js";
import { systemClock } from "../../src/client/scheduler.js";
import { registerClientCommands } from "../../src/cli/client_commands.js";
import { localConfig } from "../../src/config/config.js";
import { SeededRng } from "../../src/core/clock.js";
import type { TopicRouteData } from "../../src/model/types.js";
import { ConnectionClosedError, LimitExceededError, NotFoundError, TimeoutError } from "../../src/errors.js";
import { FRAME_BYTES_MAX } from "../../src/limits.js";
import { FrameKind, PushCode, RequestCode } from "../../src/protocol/codes.js";
import { decodeFrame, encodeFrame } from "../../src/protocol/frame.js";
import type { RouteChangedPush } from "../../src/protocol/messages/subscribe.js";
import { startServer, type RunningServer } from "../../src/server/server.js";

const WAIT_DEADLINE_MS = 10_000;
const POLL_MS = 20;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(lastError ?? "")}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function server(): Promise<{ running: RunningServer; addr: string }> {
  const running = await startServer(localConfig({ remotingPort: null }), { logger: pino({ level: "silent" }) });
  cleanups.push(() => running.close());
  return { running, addr: `127.0.0.1:${running.httpPort}` };
}

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function client(nameServers: string[], seed = 1, cacheMs = 0): RouteClient {
  const c = new RouteClient({ nameServers, clock: systemClock, rng: new SeededRng(seed), cacheMs, requestTimeoutMs: 2_000 });
  cleanups.push(() => c.close());
  return c;
}

function agent(nameServers: string[], topics = [{ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 }]): BrokerAgent {
  const a = new BrokerAgent({
    nameServers,
    clusterName: "DefaultCluster",
    brokerName: "broker-a",
    brokerId: 0,
    brokerAddr: "127.0.0.1:10911",
    topics,
    heartbeatMs: 100,
    clock: systemClock,
    rng: new SeededRng(5),
  });
  cleanups.push(() => a.stop());
  return a;
}

async function routeOrUndefined(c: RouteClient, topic: string): Promise<TopicRouteData | undefined> {
  try {
    return await c.getRoute(topic);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

describe("client (integration)", () => {
  it("client: a connection does the hello and rejects pending requests on close", async () => {
    const { addr } = await server();
    const conn = await NativeConnection.open({ addr, role: "client", events: { onPush: () => undefined, onClose: () => undefined } });
    expect(conn.nodeId.length).toBeGreaterThan(0);
    expect(conn.ready).toBe(true);
    const topics = await conn.request(RequestCode.GET_TOPICS, {});
    expect(topics).toEqual({ topics: [] });
    const pending = conn.request(RequestCode.GET_CLUSTER_INFO, {});
    conn.close();
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(conn.request(RequestCode.GET_TOPICS, {})).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("client: dialing a closed port rejects with ConnectionClosedError", async () => {
    const port = await closedPort();
    const error = await NativeConnection.open({
      addr: `127.0.0.1:${port}`,
      role: "client",
      events: { onPush: () => undefined, onClose: () => undefined },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
  });

  it("client: a request times out, in-flight requests are bounded, pushes reach the handler", async () => {
    // A mute node: answers the hello, then never answers; pushes on demand.
    const mute = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: FRAME_BYTES_MAX });
    cleanups.push(() => new Promise<void>((resolve) => mute.close(() => resolve())));
    await new Promise<void>((resolve) => mute.once("listening", resolve));
    const sockets: WebSocket[] = [];
    mute.on("connection", (socket) => {
      sockets.push(socket);
      socket.on("message", (data: Buffer) => {
        const frame = decodeFrame(data);
        if (frame.code !== RequestCode.HELLO) return;
        const body = { version: 1, nodeId: "mute", ready: true };
        socket.send(encodeFrame({ v: 1, kind: FrameKind.RESPONSE, code: 0, id: frame.id, body }));
      });
    });
    const pushes: unknown[] = [];
    let closed: Error | null | undefined;
    const conn = await NativeConnection.open({
      addr: `127.0.0.1:${(mute.address() as { port: number }).port}`,
      role: "client",
      inflightMax: 2,
      events: { onPush: (_code, body) => pushes.push(body), onClose: (error) => (closed = error) },
    });
    cleanups.push(() => conn.close());
    expect(conn.nodeId).toBe("mute");
    await expect(conn.request(RequestCode.GET_TOPICS, {}, 100)).rejects.toBeInstanceOf(TimeoutError);
    const hanging = [conn.request(RequestCode.GET_TOPICS, {}), conn.request(RequestCode.GET_TOPICS, {})];
    await expect(conn.request(RequestCode.GET_TOPICS, {})).rejects.toBeInstanceOf(LimitExceededError);
    sockets[0]?.send(encodeFrame({ v: 1, kind: FrameKind.PUSH, code: PushCode.ROUTE_CHANGED, id: 0, body: { topic: "T" } }));
    await waitFor("push", () => pushes[0]);
    expect(pushes).toEqual([{ topic: "T" }]);
    sockets[0]?.close();
    for (const request of hanging) await expect(request).rejects.toBeInstanceOf(ConnectionClosedError);
    await waitFor("close event", () => (closed === undefined ? undefined : true));
    expect(closed).toBeInstanceOf(ConnectionClosedError);
  });

  it("client: unknown topic is NotFoundError; an agent's topic gets a route", async () => {
    const { addr } = await server();
    const c = client([addr]);
    await expect(c.getRoute("TopicA")).rejects.toBeInstanceOf(NotFoundError);
    agent([addr]).start();
    const route = await waitFor("route of TopicA", () => routeOrUndefined(c, "TopicA"));
    expect(route.queueDatas).toEqual([expect.objectContaining({ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 8, perm: 6 })]);
    expect(route.brokerDatas[0]?.brokerAddrs).toEqual({ "0": "127.0.0.1:10911" });
    expect(await c.getTopics()).toContain("TopicA");
    const info = await c.getClusterInfo();
    expect(info.clusterAddrTable["DefaultCluster"]).toEqual(["broker-a"]);
  });

  it("client: fails over from a dead address to a live one whatever node the rng picks", async () => {
    const { addr } = await server();
    const dead = `127.0.0.1:${await closedPort()}`;
    for (const seed of [1, 2, 3, 4]) {
      const c = client([dead, addr], seed);
      expect(await c.getTopics()).toEqual([]);
      expect(c.connectedAddr).toBe(addr);
    }
    const none = client([dead]);
    await expect(none.getTopics()).rejects.toBeInstanceOf(NameServersUnavailableError);
  });

  it("client: kv put, get, list, delete", async () => {
    const { addr } = await server();
    const c = client([addr]);
    expect(await c.kvGet("ns1", "k1")).toBeNull();
    await c.kvPut("ns1", "k1", "v1");
    await c.kvPut("ns1", "k2", "v2");
    expect(await c.kvGet("ns1", "k1")).toBe("v1");
    expect(await c.kvList("ns1")).toEqual({ k1: "v1", k2: "v2" });
    await c.kvDelete("ns1", "k1");
    expect(await c.kvGet("ns1", "k1")).toBeNull();
  });

  it("client: a subscription gets the route, its removal on unregister, and survives a node restart", async () => {
    const first = await server();
    const c = client([first.addr], 1, 30_000);
    const changes: RouteChangedPush[] = [];
    await c.subscribe(["TopicA"], (change) => changes.push(change));
    const a = agent([first.addr]);
    a.start();
    await waitFor("pushed route", () => changes.find((change) => change.route !== null));
    // The pushed route also fills the cache.
    expect((await c.getRoute("TopicA")).queueDatas[0]?.brokerName).toBe("broker-a");
    await a.stop();
    await waitFor("pushed removal", () => (changes.at(-1)?.route === null ? true : undefined));

    // Restart the node on the same port: the client redials and resubscribes.
    const port = first.running.httpPort;
    await first.running.close();
    await waitFor("client noticed the loss", () => (c.connectedAddr === null ? true : undefined));
    const second = await startServer(localConfig({ remotingPort: null, port }), { logger: pino({ level: "silent" }) });
    cleanups.push(() => second.close());
    await waitFor("client reconnected", () => (c.connectedAddr !== null ? true : undefined));
    const b = agent([first.addr]);
    const seen = changes.length;
    b.start();
    await waitFor("route pushed after restart", () => changes.slice(seen).find((change) => change.route !== null));
  });

  it("client: CLI route/cluster/topics/kv print results and use the documented exit codes", async () => {
    const { addr } = await server();
    agent([addr], [{ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 }]).start();
    await waitFor("route of TopicA", () => routeOrUndefined(client([addr]), "TopicA"));
    const dead = `127.0.0.1:${await closedPort()}`;

    const json = await runCli(["route", "TopicA", "--namesrv", `${dead};${addr}`, "--json"]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as TopicRouteData).queueDatas[0]?.brokerName).toBe("broker-a");
    const table = await runCli(["route", "TopicA", "--namesrv", addr]);
    expect(table.stdout).toMatch(/broker-a\s+8\s+8\s+RW \(6\)/);
    const missing = await runCli(["route", "NoSuchTopic", "--namesrv", addr]);
    expect([missing.code, missing.stdout]).toEqual([1, ""]);
    expect(missing.stderr).toContain("'NoSuchTopic'");
    const unreachable = await runCli(["route", "TopicA", "--namesrv", dead]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain("no name server reachable");

    expect((await runCli(["cluster", "--namesrv", addr])).stdout).toMatch(/DefaultCluster\s+broker-a\s+0\s+127\.0\.0\.1:10911/);
    expect(JSON.parse((await runCli(["topics", "--namesrv", addr, "--json"])).stdout)).toEqual(["TopicA"]);
    expect((await runCli(["topics", "--namesrv", addr, "--cluster", "DefaultCluster"])).stdout).toBe("TopicA\n");

    expect((await runCli(["kv", "put", "ns", "k", "v", "--namesrv", addr])).code).toBe(0);
    expect((await runCli(["kv", "get", "ns", "k", "--namesrv", addr])).stdout).toBe("v\n");
    expect((await runCli(["kv", "list", "ns", "--namesrv", addr])).stdout).toBe("k=v\n");
    expect((await runCli(["kv", "delete", "ns", "k", "--namesrv", addr])).code).toBe(0);
    expect((await runCli(["kv", "get", "ns", "k", "--namesrv", addr])).code).toBe(1);
  });
});

async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = { code: null as number | null, stdout: "", stderr: "" };
  const program = new Command("namesrv").exitOverride();
  registerClientCommands(program, {
    stdout: (s) => (out.stdout += s),
    stderr: (s) => (out.stderr += s),
    exit: (code) => (out.code = code),
  });
  await program.parseAsync(["node", "namesrv", ...args]);
  return out;
}

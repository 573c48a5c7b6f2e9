// Goal: nobody locks brokers, clients or admins out by holding idle connections (the
// remoting-port issue, item 6). With 12,000 idle connections from 60 loopback addresses held
// open on a port, a broker registers and a client reads its route within 1 s, on the remoting
// port and on the native port; also on a node whose bound (10,000) the idle connections
// overflow, where the port closes its least recently active unauthenticated connections to make
// room. The node's memory per idle connection is measured and printed.
// Method: built CLI nodes with security on (cluster secret, broker token, ACL accounts); idle
// connections from this process, 200 per address from 127.0.0.2..127.0.0.61 (under the
// 512-per-address bound): plain TCP sockets that never send a byte on the remoting port,
// WebSockets that said HELLO as clients on the native port (what an unauthenticated client may
// hold forever). One port at a time, so neither process passes its descriptor limit (20,000 on
// the CI machine; every socket here is one descriptor on each side).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/errors.js";
import { FrameKind, RequestCode } from "../../src/protocol/codes.js";
import { encodeFrame } from "../../src/protocol/frame.js";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { openNative } from "./helpers/native.js";
import { freePort } from "./helpers/ports.js";
import { connectRemoting, registration } from "./helpers/remoting_client.js";
import { waitFor } from "./helpers/wait.js";

/** Idle connections held open against one port. */
const IDLE_CONNECTIONS = 12_000;
/** Loopback addresses they come from (127.0.0.2 ...). */
const ADDRESSES = 60;
/** Connections opened at once while filling (the listen backlog is 511). */
const OPEN_BATCH = 250;
/** The bound of the second node: the idle connections overflow it. */
const SMALL_BOUND = 10_000;
/** The budget for a broker to register and a client to read its route. */
const SERVE_BUDGET_MS = 1_000;
const BROKER_ACCOUNT = { accessKey: "rocketmq-broker", secretKey: "broker-secret-for-tests", role: "broker" };
const BROKER_TOKEN = "broker-token-for-tests-0123456789";

interface TestNode {
  readonly cli: CliProcess;
  readonly http: number;
  readonly remoting: number;
}

let dir: string;
const nodes: TestNode[] = [];

async function startNode(id: string, extra: readonly string[]): Promise<TestNode> {
  const http = await freePort();
  const remoting = await freePort();
  const cli = spawnCli([
    "start", "--id", id, "--host", "127.0.0.1", "--port", String(http), "--remoting-port", String(remoting), "--log-level", "warn",
    "--cluster-secret-file", join(dir, "cluster.secret"), "--broker-token-file", join(dir, "broker.token"), "--remoting-acl-file", join(dir, "acl.json"), ...extra,
  ]);
  const node = { cli, http, remoting };
  nodes.push(node);
  await waitFor(`${id} ready`, async () => ((await fetch(`http://127.0.0.1:${http}/readyz`).catch(() => null))?.status === 200 ? true : undefined));
  return node;
}

async function metric(node: TestNode, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${node.http}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Idle sockets held open; `closedByNode` counts those the node closed. */
interface Held {
  readonly open: () => number;
  readonly closedByNode: () => number;
  release(): Promise<void>;
}

/** Opens `count` connections with `open`, OPEN_BATCH at a time, from ADDRESSES loopback addresses. */
async function hold<T>(count: number, open: (localAddress: string) => Promise<T>, onClose: (item: T, listener: () => void) => void, destroy: (item: T) => void): Promise<Held> {
  const items: T[] = [];
  let closed = 0;
  let releasing = false;
  try {
    for (let start = 0; start < count; start += OPEN_BATCH) {
      const batch = Array.from({ length: Math.min(OPEN_BATCH, count - start) }, (_, index) => open(`127.0.0.${2 + ((start + index) % ADDRESSES)}`));
      const results = await Promise.allSettled(batch);
      for (const result of results) {
        if (result.status === "rejected") continue;
        items.push(result.value);
        onClose(result.value, () => {
          if (!releasing) closed += 1;
        });
      }
      const failed = results.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    }
  } catch (error) {
    for (const item of items) destroy(item);
    throw error;
  }
  return {
    open: () => items.length - closed,
    closedByNode: () => closed,
    release: async () => {
      releasing = true;
      for (const item of items) destroy(item);
      // Give the node a moment to see the closes before the next port fills up.
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
  };
}

function holdRemoting(port: number, count: number): Promise<Held> {
  return hold(
    count,
    (localAddress) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress });
        socket.once("connect", () => resolve(socket));
        socket.once("error", reject);
      }),
    (socket, listener) => {
      socket.on("error", () => undefined);
      socket.once("close", listener);
    },
    (socket) => socket.destroy(),
  );
}

const HELLO = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: 1, versionMax: 1, role: "client" } });

function holdNative(port: number, count: number): Promise<Held> {
  return hold(
    count,
    (localAddress) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress, perMessageDeflate: false });
        ws.once("open", () => {
          ws.send(HELLO);
          ws.once("message", () => resolve(ws));
        });
        ws.once("error", reject);
      }),
    (ws, listener) => {
      ws.on("error", () => undefined);
      ws.once("close", listener);
    },
    (ws) => ws.terminate(),
  );
}

/** A signed remoting broker registers on a fresh connection, then a fresh client reads the route: ms. */
async function serveRemoting(node: TestNode, name: string): Promise<number> {
  const started = performance.now();
  const broker = await connectRemoting(node.remoting);
  const { extFields, body } = registration({ clusterName: "C", brokerName: name, brokerAddr: `127.0.0.1:${20_000 + name.length}` }, [`Topic-${name}`, "TBW102"]);
  expect((await broker.ask(103, extFields, { body, sign: BROKER_ACCOUNT })).code).toBe(0);
  const client = await connectRemoting(node.remoting);
  const route = await client.ask(105, { topic: `Topic-${name}` });
  const ms = performance.now() - started;
  expect(route.code).toBe(0);
  client.close();
  broker.close();
  return ms;
}

/** A native broker (broker token) registers on a fresh connection, then a fresh client reads the route: ms. */
async function serveNative(node: TestNode, name: string): Promise<number> {
  const started = performance.now();
  const broker = await openNative(node.http);
  expect((await broker.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "broker", token: BROKER_TOKEN })).code).toBe(ErrorCode.OK);
  const registered = await broker.request(RequestCode.REGISTER_BROKER, {
    clusterName: "C",
    brokerAddr: `10.0.0.${name.length}:10911`,
    brokerName: name,
    brokerId: 0,
    dataVersion: { timestamp: 1, counter: 1 },
    topics: [{ topicName: `Topic-${name}`, readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
    bootEpoch: 1,
    seq: 1,
  });
  expect(registered.code).toBe(ErrorCode.OK);
  const client = await openNative(node.http);
  await client.hello();
  const route = await client.request(RequestCode.GET_ROUTE, { topic: `Topic-${name}` });
  const ms = performance.now() - started;
  expect(route.code).toBe(ErrorCode.OK);
  await client.close();
  await broker.close();
  return ms;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "connection-exhaustion-"));
  writeFileSync(join(dir, "cluster.secret"), "cluster-secret-for-tests-0123456789\n", { mode: 0o600 });
  writeFileSync(join(dir, "broker.token"), `${BROKER_TOKEN}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "acl.json"), JSON.stringify([BROKER_ACCOUNT]), { mode: 0o600 });
  writeFileSync(join(dir, "small.json"), JSON.stringify({ connectionsMax: SMALL_BOUND }));
});

afterAll(async () => {
  for (const node of nodes) {
    node.cli.child.kill("SIGKILL");
    await node.cli.exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("connection exhaustion", () => {
  it("exhaustion: with 12,000 idle connections held on each port, a broker registers and a client reads its route within 1 s", async () => {
    const node = await startNode("x1", []);
    const rssBefore = await metric(node, "process_resident_memory_bytes");
    const remoting = await holdRemoting(node.remoting, IDLE_CONNECTIONS);
    let remotingRss: number;
    let remotingMs: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      remotingRss = (await metric(node, "process_resident_memory_bytes")) - rssBefore;
      remotingMs = await serveRemoting(node, "held-remoting");
      expect(remoting.open()).toBe(IDLE_CONNECTIONS);
    } finally {
      await remoting.release();
    }
    // A fresh node for the native port: RSS does not shrink after the remoting sockets are gone.
    const nativeNode = await startNode("x1-native", []);
    const rssNative = await metric(nativeNode, "process_resident_memory_bytes");
    const native = await holdNative(nativeNode.http, IDLE_CONNECTIONS);
    let nativeRss: number;
    let nativeMs: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      nativeRss = (await metric(nativeNode, "process_resident_memory_bytes")) - rssNative;
      nativeMs = await serveNative(nativeNode, "held-native");
      expect(native.open()).toBe(IDLE_CONNECTIONS);
    } finally {
      await native.release();
    }
    console.log(
      `exhaustion: ${IDLE_CONNECTIONS} idle connections from ${ADDRESSES} addresses held; broker registered and route read in ` +
        `${remotingMs.toFixed(0)} ms (remoting), ${nativeMs.toFixed(0)} ms (native); node RSS per idle connection ` +
        `~${Math.round(remotingRss / IDLE_CONNECTIONS)} B (remoting TCP), ~${Math.round(nativeRss / IDLE_CONNECTIONS)} B (native ws + HELLO)`,
    );
    expect(remotingMs).toBeLessThan(SERVE_BUDGET_MS);
    expect(nativeMs).toBeLessThan(SERVE_BUDGET_MS);
  }, 240_000);

  it("exhaustion: a node whose bound the idle connections overflow closes the oldest unauthenticated ones and still serves within 1 s", async () => {
    const node = await startNode("x2", ["--config", join(dir, "small.json")]);
    const remoting = await holdRemoting(node.remoting, IDLE_CONNECTIONS);
    let remotingMs: number;
    let remotingOpen: number;
    try {
      await waitFor("the node closed the overflow", () => (remoting.closedByNode() >= IDLE_CONNECTIONS - SMALL_BOUND ? true : undefined));
      remotingMs = await serveRemoting(node, "full-remoting");
      remotingOpen = remoting.open();
    } finally {
      await remoting.release();
    }
    const native = await holdNative(node.http, IDLE_CONNECTIONS);
    let nativeMs: number;
    let nativeOpen: number;
    try {
      await waitFor("the node closed the native overflow", () => (native.closedByNode() >= IDLE_CONNECTIONS - SMALL_BOUND ? true : undefined));
      nativeMs = await serveNative(node, "full-native");
      nativeOpen = native.open();
    } finally {
      await native.release();
    }
    const evictions = await metric(node, 'namesrv_limit_hits_total{limit="CONNECTIONS_MAX"}');
    console.log(
      `exhaustion: bound ${SMALL_BOUND}, ${IDLE_CONNECTIONS} idle connections tried: ${remotingOpen} stayed open on remoting, ${nativeOpen} on native; ` +
        `broker registered and route read in ${remotingMs.toFixed(0)} ms (remoting), ${nativeMs.toFixed(0)} ms (native); ${evictions} closed to make room`,
    );
    expect(remotingOpen).toBeLessThanOrEqual(SMALL_BOUND);
    expect(nativeOpen).toBeLessThanOrEqual(SMALL_BOUND);
    expect(remotingMs).toBeLessThan(SERVE_BUDGET_MS);
    expect(nativeMs).toBeLessThan(SERVE_BUDGET_MS);
    expect(evictions).toBeGreaterThanOrEqual(2 * (IDLE_CONNECTIONS - SMALL_BOUND));
    expect(node.cli.child.exitCode).toBeNull();
  }, 240_000);
});

// Goal: a real name server on 127.0.0.1:0 speaks the native protocol and HTTP as documented,
// survives bad input, enforces its limits, and the built CLI starts, logs "listening", exits 0
// on SIGTERM and 2 on bad flags. Method: startServer in-process with localConfig() and raw
// WebSocket frames; the CLI spawned from dist/. Every wait has a deadline; no fixed sleeps.
import { afterEach, describe, expect, it } from "vitest";
import { localConfig, testMinConfig, type Config } from "../../src/config/config.js";
import { ErrorCode } from "../../src/errors.js";
import { RequestCode } from "../../src/protocol/codes.js";
import { encodeFrame } from "../../src/protocol/frame.js";
import { FrameKind } from "../../src/protocol/codes.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { runCli, spawnCli } from "./helpers/cli.js";
import { captureLogger, linesWith, type LogLine } from "./helpers/logs.js";
import { openNative, type RawNative } from "./helpers/native.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const REGISTRATION = {
  clusterName: "DefaultCluster",
  brokerAddr: "127.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  dataVersion: { timestamp: 1, counter: 1 },
  topics: [{ topicName: "orders", readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
  bootEpoch: 1,
  seq: 1,
};

async function server(config: Config = localConfig()): Promise<{ running: RunningServer; lines: LogLine[] }> {
  const { logger, lines } = captureLogger("debug");
  const running = await startServer(config, { logger });
  cleanups.push(() => running.close());
  return { running, lines };
}

async function native(port: number): Promise<RawNative> {
  const connection = await openNative(port);
  cleanups.push(() => connection.close());
  return connection;
}

async function http(port: number, path: string, method = "GET"): Promise<{ status: number; body: string; json: () => unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const body = await response.text();
  return { status: response.status, body, json: () => JSON.parse(body) as unknown };
}

describe("server (in-process)", () => {
  it("server: hello, register over raw frames, route over WebSocket and HTTP", async () => {
    const { running } = await server(localConfig({ id: "it-1", remotingPort: null }));
    expect(running.remotingPort).toBeNull();
    const broker = await native(running.httpPort);
    const hello = await broker.hello("broker");
    expect(hello).toMatchObject({ kind: FrameKind.RESPONSE, code: ErrorCode.OK, body: { version: 1, nodeId: "it-1", ready: true } });
    const registered = await broker.request(RequestCode.REGISTER_BROKER, REGISTRATION);
    expect(registered).toMatchObject({ code: ErrorCode.OK, body: { contentChanged: true } });

    const client = await native(running.httpPort);
    await client.hello();
    const route = await client.request(RequestCode.GET_ROUTE, { topic: "orders" });
    expect(route.code).toBe(ErrorCode.OK);
    expect(route.body).toMatchObject({ brokerDatas: [{ brokerName: "broker-a", brokerAddrs: { "0": "127.0.0.1:10911" } }] });

    const viaHttp = await http(running.httpPort, "/v1/routes/orders");
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.json()).toEqual(route.body);
    expect((await http(running.httpPort, "/v1/cluster")).json()).toMatchObject({ clusterAddrTable: { DefaultCluster: ["broker-a"] } });
    expect((await http(running.httpPort, "/v1/topics")).json()).toEqual({ topics: ["orders"] });
  });

  it("server: /healthz, /readyz and /metrics with the request counters", async () => {
    const { running } = await server();
    const broker = await native(running.httpPort);
    await broker.hello("broker");
    await broker.request(RequestCode.REGISTER_BROKER, REGISTRATION);
    await broker.request(RequestCode.GET_ROUTE, { topic: "a b" });
    expect((await http(running.httpPort, "/healthz")).json()).toEqual({ status: "ok", nodeId: running.config.id });
    const ready = await http(running.httpPort, "/readyz");
    expect(ready.status).toBe(200);
    const metrics = await http(running.httpPort, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('namesrv_requests_total{type="REGISTER_BROKER",outcome="ok"} 1');
    expect(metrics.body).toContain('namesrv_requests_total{type="GET_ROUTE",outcome="INVALID_ARGUMENT"} 1');
    expect(metrics.body).toContain('namesrv_connections{role="broker"} 1');
    expect(metrics.body).toContain("namesrv_brokers_live 1");
    expect(metrics.body).toContain("namesrv_topics 1");
    expect(metrics.body).toContain("namesrv_evictions_total");
    expect(metrics.body).toContain("namesrv_pushes_total");
    expect(metrics.body).toContain("namesrv_subscriptions");
    expect(metrics.body).toContain("nodejs_heap_size_total_bytes");
  });

  it("server: /readyz is 503 while a node with peers waits for a snapshot", async () => {
    const { running } = await server(localConfig({ peers: ["127.0.0.1:1"], startupGraceMs: 60_000 }));
    const ready = await http(running.httpPort, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false });
  });

  it("server: garbage bytes close that connection with a log line; others are still served", async () => {
    const { running, lines } = await server();
    const good = await native(running.httpPort);
    await good.hello();
    const bad = await native(running.httpPort);
    bad.sendRaw(new Uint8Array([0xc1, 0xc1, 0xc1, 0x00, 0xff]));
    const closed = await withDeadline("garbage close", bad.closed);
    expect(closed.code).toBe(1002);
    const logged = await waitFor("closing log line", () => linesWith(lines, "closing connection")[0]);
    expect(logged).toMatchObject({ cause: "malformedFrame", closeCode: 1002 });
    expect(linesWith(lines, "closing connection")).toHaveLength(1);
    const topics = await good.request(RequestCode.GET_TOPICS, {});
    expect(topics).toMatchObject({ code: ErrorCode.OK, body: { topics: [] } });
  });

  it("server: a text message closes the connection with 1002", async () => {
    const { running } = await server();
    const conn = await native(running.httpPort);
    conn.sendRaw("hello");
    expect((await withDeadline("text close", conn.closed)).code).toBe(1002);
  });

  it("server: an oversized frame is refused with close 1009 and a log line", async () => {
    const { running, lines } = await server(localConfig({ frameBytesMax: 4096 }));
    const conn = await native(running.httpPort);
    await conn.hello();
    conn.sendRaw(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.KV_PUT, id: 9, body: { namespace: "n", key: "k", value: "x".repeat(5000) } }));
    const closed = await withDeadline("oversize close", conn.closed);
    expect(closed.code).toBe(1009);
    const logged = await waitFor("connection failed line", () => linesWith(lines, "connection failed")[0]);
    expect(logged).toMatchObject({ cause: "frameTooLarge" });
    const other = await native(running.httpPort);
    expect((await other.hello()).code).toBe(ErrorCode.OK);
  });

  it("server: an unknown request code gets UNSUPPORTED_REQUEST and the connection stays open", async () => {
    const { running } = await server();
    const conn = await native(running.httpPort);
    await conn.hello();
    const answer = await conn.request(4242, {});
    expect(answer).toMatchObject({ code: ErrorCode.UNSUPPORTED_REQUEST, body: { message: "unsupported request code 4242" } });
    expect((await conn.request(RequestCode.GET_TOPICS, {})).code).toBe(ErrorCode.OK);
  });

  it("server: an invalid topic name gets INVALID_ARGUMENT naming the field", async () => {
    const { running } = await server();
    const conn = await native(running.httpPort);
    await conn.hello();
    const answer = await conn.request(RequestCode.GET_ROUTE, { topic: "bad topic!" });
    expect(answer.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((answer.body as { message: string }).message).toBe("'topic' must be 1..512 chars, no whitespace or control characters, got 'bad topic!'");
    const viaHttp = await http(running.httpPort, "/v1/routes/bad%20topic!");
    expect(viaHttp.status).toBe(400);
    expect(viaHttp.json()).toMatchObject({ error: { code: ErrorCode.INVALID_ARGUMENT, name: "INVALID_ARGUMENT" } });
    expect((await http(running.httpPort, "/v1/routes/unknown")).status).toBe(404);
    expect((await http(running.httpPort, "/nowhere")).status).toBe(404);
    expect((await http(running.httpPort, "/healthz", "POST")).status).toBe(405);
  });

  it("server: an unsupported version is answered, then the connection closes", async () => {
    const { running } = await server();
    const conn = await native(running.httpPort);
    const answer = await conn.request(RequestCode.HELLO, { versionMin: 7, versionMax: 9, role: "client" });
    expect(answer.code).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await withDeadline("version close", conn.closed)).code).toBe(1002);
  });

  it("server: connections beyond connectionsMax are refused with 1013 when every open one is trusted", async () => {
    const { running, lines } = await server(testMinConfig());
    const first = await native(running.httpPort);
    await first.hello("broker");
    const second = await native(running.httpPort);
    const closed = await withDeadline("refusal", second.closed);
    expect(closed).toMatchObject({ code: 1013, reason: "too many connections: at most 1" });
    expect(linesWith(lines, "connection refused")).toHaveLength(1);
  });

  it("server: a full port closes its least recently active unauthenticated connection for a new one", async () => {
    const { running, lines } = await server(testMinConfig({ connectionsMax: 2 }));
    const idle = await native(running.httpPort);
    await idle.hello();
    const busy = await native(running.httpPort);
    await busy.hello();
    await busy.request(RequestCode.GET_ROUTE, { topic: "orders" });
    const broker = await native(running.httpPort);
    expect((await broker.hello("broker")).code).toBe(ErrorCode.OK);
    expect(await withDeadline("idle closed", idle.closed)).toMatchObject({ code: 1013 });
    expect((await broker.request(RequestCode.REGISTER_BROKER, REGISTRATION)).code).toBe(ErrorCode.OK);
    expect(linesWith(lines, "native port under pressure: closing idle unauthenticated connections")).toHaveLength(1);
    expect(await running.metrics.text()).toContain('namesrv_limit_hits_total{limit="CONNECTIONS_MAX"} 1');
  });

  it("server: subscribers get a push when a broker registers", async () => {
    const { running } = await server();
    const client = await native(running.httpPort);
    await client.hello();
    await client.request(RequestCode.SUBSCRIBE, { topics: [{ topic: "orders" }] });
    const broker = await native(running.httpPort);
    await broker.hello("broker");
    await broker.request(RequestCode.REGISTER_BROKER, REGISTRATION);
    const push = await waitFor("route push", () =>
      client.frames.find((f) => f.kind === FrameKind.PUSH && (f.body as { route: unknown }).route !== null),
    );
    expect(push.body).toMatchObject({ topic: "orders", route: { brokerDatas: [{ brokerName: "broker-a" }] } });
  });

  it("server: a broker whose connection closes is evicted after the suspicion window", async () => {
    const { running } = await server();
    const broker = await native(running.httpPort);
    await broker.hello("broker");
    await broker.request(RequestCode.REGISTER_BROKER, REGISTRATION);
    expect(running.node.brokerCounts().live).toBe(1);
    await broker.close();
    await waitFor("eviction", () => (running.node.brokerCounts().live === 0 ? true : undefined));
  });

  it("server: close() closes clients with 1001 and stops the listener", async () => {
    const { running } = await server();
    const conn = await native(running.httpPort);
    await conn.hello();
    await running.close();
    expect((await withDeadline("shutdown close", conn.closed)).code).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${running.httpPort}/healthz`)).rejects.toThrow();
  });
});

describe("server (CLI)", () => {
  it("server: the CLI starts, logs listening, serves, and exits 0 on SIGTERM", async () => {
    const cli = spawnCli(["start", "--port", "0", "--remoting-port", "0", "--host", "127.0.0.1", "--log-level", "info"]);
    cleanups.push(() => {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    });
    const listening = await cli.waitForLog("listening");
    const port = listening["httpPort"] as number;
    expect(port).toBeGreaterThan(0);
    expect(listening).toMatchObject({ level: "info" });
    expect(listening["remotingPort"]).toBeGreaterThan(0);
    expect((await http(port, "/healthz")).status).toBe(200);
    const conn = await native(port);
    expect((await conn.hello()).code).toBe(ErrorCode.OK);
    cli.child.kill("SIGTERM");
    const exit = await withDeadline("CLI exit", cli.exited);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(linesWith(cli.lines(), "stopped")).toHaveLength(1);
  });

  it("server: bad flags exit 2 listing every problem on stderr", async () => {
    const result = await runCli(["start", "--port", "abc", "--log-level", "loud", "--peer", "nohost", "--broker-expiry-ms", "5", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid configuration");
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(result.stderr).toContain("'port' must be an integer in 0..65535, got 'abc'");
    expect(result.stderr).toContain("'logLevel' must be one of");
    expect(result.stderr).toContain("'peers[0]' must be host:port");
    expect(result.stderr).toContain("'brokerExpiryMs' must be an integer in 500..3600000, got 5");
    expect(result.stdout).toBe("");
  });

  it("server: a config file is read and flags override it; comma-separated peers are split", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "namesrv-cfg-"));
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ id: "from-file", port: 1, logLevel: "fatal", peers: ["bad"] }));
    const result = await runCli(["start", "--config", file, "--peer", "a:1,b:2;c:3", "--peer", "x", "--remoting-port", "off"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'peers[3]' must be host:port with a port in 1..65535, got 'x'");
    expect(result.stderr).not.toContain("peers[0]");
    const unreadable = await runCli(["start", "--config", join(dir, "missing.json")]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain("could not be read");
  });
});

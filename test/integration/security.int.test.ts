// Goal (issue #7): who may talk to the cluster, over real sockets. Peers with the cluster secret
// link and replicate; a rogue node without it (or with another, or with a certificate from
// another CA) fails to join and injects nothing; forged and replayed peer frames are refused;
// broker and admin tokens gate writes for the agent and the route client; TLS serves wss and
// https; and under a flood, a slowloris and a client that never reads, the node stays up, other
// clients keep their latency, and nothing it holds changes.
// Method: startServer in-process on 127.0.0.1:0 (attackers from 127.0.0.2 where a separate
// address matters), raw WebSocket frames for forgeries, the real agent and route client for
// the honest side; every wait has a deadline, no fixed sleeps decide an outcome.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get as httpsGet } from "node:https";
import { connect } from "node:net";
import { WebSocket } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerAgent, type AgentEvent } from "../../src/broker_agent/agent.js";
import { DEV_FILES, writeDevCredentials } from "../../src/cli/dev_credentials.js";
import { RouteClient } from "../../src/client/route_client.js";
import { systemClock } from "../../src/client/scheduler.js";
import { localConfig, parseConfig, type Config } from "../../src/config/config.js";
import { SeededRng } from "../../src/core/clock.js";
import { ErrorCode, UnauthorizedError } from "../../src/errors.js";
import { FrameKind, RequestCode } from "../../src/protocol/codes.js";
import { decodeFrame, encodeFrame, type Frame } from "../../src/protocol/frame.js";
import * as rm from "../../src/protocol/remoting/index.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { runCli } from "./helpers/cli.js";
import { captureLogger, type LogLine } from "./helpers/logs.js";
import { openNative } from "./helpers/native.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const SECRET = "cluster-secret-for-tests-0123456789";
const OTHER_SECRET = "another-secret-for-tests-0123456789";
const BROKER_TOKEN = "broker-token-for-tests-0123456789";
const ADMIN_TOKEN = "admin-token-for-tests-0123456789";
const tlsFile = (name: string): string => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
const TLS = { cert: tlsFile("node.pem"), key: tlsFile("node-key.pem"), ca: tlsFile("ca.pem") };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(overrides: Parameters<typeof localConfig>[0] = {}): Promise<{ running: RunningServer; lines: LogLine[] }> {
  const { logger, lines } = captureLogger("debug");
  const running = await startServer(localConfig({ remotingPort: null, ...overrides }), { logger });
  cleanups.push(() => running.close());
  return { running, lines };
}

const addrOf = (running: RunningServer): string => `127.0.0.1:${running.httpPort}`;
const routed = (running: RunningServer, topic: string): true | undefined => (running.node.findRoute(topic) ? true : undefined);

async function metricsOf(running: RunningServer): Promise<string> {
  return running.metrics.text();
}

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

function agent(nameServers: string[], brokerName: string, topic: string, extra: Partial<ConstructorParameters<typeof BrokerAgent>[0]> = {}, events: AgentEvent[] = []): BrokerAgent {
  const a = new BrokerAgent({
    nameServers,
    clusterName: "DefaultCluster",
    brokerName,
    brokerId: 0,
    brokerAddr: `10.1.1.${brokerName.length}:10911`,
    topics: [{ topicName: topic, readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
    heartbeatMs: 100,
    clock: systemClock,
    rng: new SeededRng(11),
    onEvent: (event) => events.push(event),
    ...extra,
  });
  cleanups.push(() => a.stop());
  a.start();
  return a;
}

function routeClient(nameServers: string[], extra: Partial<ConstructorParameters<typeof RouteClient>[0]> = {}): RouteClient {
  const client = new RouteClient({ nameServers, clock: systemClock, rng: new SeededRng(5), ...extra });
  cleanups.push(() => client.close());
  return client;
}

describe("security: peers", () => {
  it("security: peers with the secret replicate; a rogue without it or with another fails to join and injects nothing", async () => {
    const n1 = await node({ id: "n1", clusterSecrets: [SECRET] });
    const n2 = await node({ id: "n2", clusterSecrets: [SECRET], peers: [addrOf(n1.running)] });
    agent([addrOf(n1.running)], "broker-good", "GoodTopic");
    await waitFor("GoodTopic routed on n2 through gossip", () => routed(n2.running, "GoodTopic"));

    const noSecret = await node({ id: "rogue1", peers: [addrOf(n1.running)] });
    const otherSecret = await node({ id: "rogue2", clusterSecrets: [OTHER_SECRET], peers: [addrOf(n1.running)] });
    agent([addrOf(noSecret.running)], "broker-evil", "EvilTopic");
    agent([addrOf(otherSecret.running)], "broker-evil2", "EvilTopic2");
    await waitFor("n1 refused the rogue without a secret twice", async () => {
      const value = metricValue(await metricsOf(n1.running), "namesrv_auth_refusals_total", 'reason="peerNonceMissing"');
      return value >= 2 ? true : undefined;
    });
    await waitFor("the rogue with another secret refused n1's proof twice", async () => {
      const value = metricValue(await metricsOf(otherSecret.running), "namesrv_auth_refusals_total", 'reason="peerProofInvalid"');
      return value >= 2 ? true : undefined;
    });
    expect(routed(otherSecret.running, "EvilTopic2")).toBe(true);
    for (const honest of [n1.running, n2.running]) {
      expect(honest.node.findRoute("EvilTopic")).toBeFalsy();
      expect(honest.node.findRoute("EvilTopic2")).toBeFalsy();
      expect(honest.node.peerStates().map((peer) => peer.peerId)).not.toContain("rogue1");
      expect(honest.node.peerStates().map((peer) => peer.peerId)).not.toContain("rogue2");
    }
    expect(noSecret.running.node.findRoute("GoodTopic")).toBeFalsy();
    expect(n1.lines.some((line) => line.msg === "request refused" && line["reason"] === "peerNonceMissing")).toBe(true);
    expect(otherSecret.lines.some((line) => line.msg === "peer refused: its proof matches no cluster secret of this node")).toBe(true);
    expect(JSON.stringify([...n1.lines, ...otherSecret.lines])).not.toContain(SECRET);
  });

  it("security: a forged peer hello and a replayed PEER_AUTH over raw sockets are refused; no record is taken", async () => {
    const { running } = await node({ id: "n1", clusterSecrets: [SECRET] });
    const forged = await openNative(running.httpPort);
    const hello = await forged.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "peer", nodeId: "fake" });
    expect(hello.code).toBe(ErrorCode.UNAUTHORIZED);
    expect((await withDeadline("forged closed", forged.closed)).code).toBe(1008);

    const replay = await openNative(running.httpPort);
    const challenged = await replay.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "peer", nodeId: "fake", nonce: new Uint8Array(32) });
    expect(challenged.code).toBe(ErrorCode.OK);
    const refused = await replay.request(RequestCode.PEER_AUTH, { proof: new Uint8Array(32).fill(0xab) });
    expect(refused).toMatchObject({ code: ErrorCode.UNAUTHORIZED, body: { message: "peer refused: the proof matches no cluster secret of this node" } });
    expect((await withDeadline("replay closed", replay.closed)).code).toBe(1008);

    const sneaky = await openNative(running.httpPort);
    await sneaky.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "peer", nodeId: "fake", nonce: new Uint8Array(32) });
    const deltas = await sneaky.request(RequestCode.PEER_DELTAS, { records: [], repair: false });
    expect(deltas.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(running.node.peerStates()).toEqual([]);
    expect(running.node.getTopics(null)).toEqual([]);
  });
});

describe("security: tokens", () => {
  it("security: broker token gates registration, admin token gates topic deletion; reads stay open", async () => {
    const { running, lines } = await node({ brokerTokens: [BROKER_TOKEN], adminTokens: [ADMIN_TOKEN] });
    const addr = addrOf(running);
    const refusedEvents: AgentEvent[] = [];
    agent([addr], "broker-x", "NoTokenTopic", {}, refusedEvents);
    agent([addr], "broker-a", "TopicA", { token: BROKER_TOKEN });
    await waitFor("TopicA routed", () => routed(running, "TopicA"));
    await waitFor("the tokenless agent refused", () => (lines.some((line) => line["reason"] === "brokerTokenRequired") ? true : undefined));
    expect(running.node.findRoute("NoTokenTopic")).toBeFalsy();

    const reader = routeClient([addr]);
    expect((await reader.getRoute("TopicA")).brokerDatas[0]?.brokerName).toBe("broker-a");
    await expect(reader.deleteTopic("TopicA")).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(reader.kvPut("ns", "k", "v")).rejects.toThrow("KV_PUT needs an admin token in the hello (--token-file)");
    expect(routed(running, "TopicA")).toBe(true);

    const admin = routeClient([addr], { token: ADMIN_TOKEN });
    await admin.deleteTopic("TopicA");
    await waitFor("TopicA deleted by the admin", () => (running.node.findRoute("TopicA") ? undefined : true));
    const text = await metricsOf(running);
    expect(metricValue(text, "namesrv_auth_refusals_total", 'reason="adminRequired"')).toBeGreaterThanOrEqual(2);
  });

  it("security: the CLI's delete-topic fails without the admin token and succeeds with --token-file", async () => {
    const { running } = await node({ adminTokens: [ADMIN_TOKEN] });
    agent([addrOf(running)], "broker-c", "CliTopic");
    await waitFor("CliTopic routed", () => routed(running, "CliTopic"));
    const denied = await runCli(["delete-topic", "CliTopic", "--namesrv", addrOf(running)]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("DELETE_TOPIC needs an admin token in the hello (--token-file)");
    expect(routed(running, "CliTopic")).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "namesrv-token-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = join(dir, "admin.token");
    writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const allowed = await runCli(["delete-topic", "CliTopic", "--namesrv", addrOf(running), "--token-file", tokenFile]);
    expect(allowed.code).toBe(0);
  });

  it("security: with requireClientToken, /v1 needs a bearer token while probes stay open", async () => {
    const clientToken = "client-token-for-tests-0123456789";
    const { running } = await node({ clientTokens: [clientToken], requireClientToken: true });
    const base = `http://127.0.0.1:${running.httpPort}`;
    expect((await fetch(`${base}/v1/topics`)).status).toBe(401);
    expect((await fetch(`${base}/v1/topics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    expect((await fetch(`${base}/v1/topics`, { headers: { authorization: `Bearer ${clientToken}` } })).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await expect(routeClient([addrOf(running)]).getTopics()).rejects.toThrow();
    expect(await routeClient([addrOf(running)], { token: clientToken }).getTopics()).toEqual([]);
  });
});

describe("security: TLS", () => {
  const tlsConfig = { ...TLS, requireClientCert: false };

  it("security: peers link over wss with mutual TLS; clients use wss and https with the CA; plain ws fails", async () => {
    const n1 = await node({ id: "t1", host: "127.0.0.1", clusterSecrets: [SECRET], tls: tlsConfig });
    const n2 = await node({ id: "t2", clusterSecrets: [SECRET], tls: tlsConfig, peers: [`localhost:${n1.running.httpPort}`] });
    agent([`localhost:${n1.running.httpPort}`], "broker-t", "TlsTopic", { tls: { ca: TLS.ca } });
    await waitFor("TlsTopic routed on t2 over wss", () => routed(n2.running, "TlsTopic"));
    const client = routeClient([`localhost:${n2.running.httpPort}`], { tls: { ca: TLS.ca } });
    expect((await client.getRoute("TlsTopic")).brokerDatas).toHaveLength(1);
    const status = await new Promise<number>((resolve, reject) => {
      httpsGet({ host: "localhost", port: n1.running.httpPort, path: "/readyz", ca: TLS.ca }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(200);
    await expect(routeClient([addrOf(n1.running)], { requestTimeoutMs: 1_000 }).getTopics()).rejects.toThrow();
  });

  it("security: a peer with the secret but a certificate from another CA is refused", async () => {
    const n1 = await node({ id: "t1", clusterSecrets: [SECRET], tls: tlsConfig });
    const rogueTls = { cert: tlsFile("rogue.pem"), key: tlsFile("rogue-key.pem"), ca: TLS.ca, requireClientCert: false };
    await node({ id: "rogue", clusterSecrets: [SECRET], tls: rogueTls, peers: [`localhost:${n1.running.httpPort}`] });
    await waitFor("n1 refused the rogue certificate", async () => {
      const value = metricValue(await metricsOf(n1.running), "namesrv_auth_refusals_total", 'reason="peerCertificateMissing"');
      return value >= 1 ? true : undefined;
    });
    expect(n1.running.node.peerStates()).toEqual([]);
  });
});

describe("security: development credentials", () => {
  it("security: dev-credentials writes a CA, a node certificate and secrets that link two nodes over wss", async () => {
    const dir = mkdtempSync(join(tmpdir(), "namesrv-dev-credentials-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(writeDevCredentials(dir, ["ns1"])).toHaveLength(10);
    expect(writeDevCredentials(dir, ["ns1"])).toEqual([]);
    expect(statSync(join(dir, DEV_FILES.key)).mode & 0o077).toBe(0);
    const read = (file: string): string => readFileSync(join(dir, file), "utf8");
    // The remoting ACL accounts: one per role, and the broker.conf line and tools.yml made from them.
    const [brokerAccount, adminAccount] = parseConfig({ remotingAclAccounts: JSON.parse(read(DEV_FILES.remotingAcl)) as unknown }).remotingAclAccounts;
    expect([brokerAccount?.role, adminAccount?.role]).toEqual(["broker", "admin"]);
    expect(read(DEV_FILES.brokerAclConf)).toContain(`innerClientAuthenticationCredentials={"accessKey":"rocketmq-broker","secretKey":"${brokerAccount?.secretKey}"}\n`);
    expect(read(DEV_FILES.toolsYml)).toBe(`accessKey: rocketmq-admin\nsecretKey: ${adminAccount?.secretKey}\n`);
    for (const file of [DEV_FILES.remotingAcl, DEV_FILES.brokerAclConf, DEV_FILES.toolsYml]) expect(statSync(join(dir, file)).mode & 0o077).toBe(0);
    const tls = { cert: read(DEV_FILES.cert), key: read(DEV_FILES.key), ca: read(DEV_FILES.ca), requireClientCert: false };
    const secret = read(DEV_FILES.clusterSecret).trim();
    const n1 = await node({ id: "d1", clusterSecrets: [secret], tls, brokerTokens: [read(DEV_FILES.brokerToken).trim()] });
    const n2 = await node({ id: "d2", clusterSecrets: [secret], tls, peers: [`localhost:${n1.running.httpPort}`] });
    agent([`localhost:${n1.running.httpPort}`], "broker-d", "DevTopic", { tls: { ca: tls.ca }, token: read(DEV_FILES.brokerToken).trim() });
    await waitFor("DevTopic routed on d2", () => routed(n2.running, "DevTopic"));
  });
});

/** A raw client from a chosen local address, for attackers that must not share 127.0.0.1. */
async function rawFrom(port: number, localAddress: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, localAddress, maxPayload: 64 * 1024 * 1024 });
  ws.on("error", () => undefined);
  await withDeadline("attacker open", new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", () => reject(new Error("refused")));
    ws.once("error", reject);
  }));
  return ws;
}

const closedOf = (ws: WebSocket): Promise<number> =>
  ws.readyState === WebSocket.CLOSED ? Promise.resolve(1006) : new Promise((resolve) => ws.once("close", (code: number) => resolve(code)));

async function registerSomething(running: RunningServer): Promise<void> {
  agent([addrOf(running)], "broker-a", "TopicA");
  await waitFor("TopicA routed", () => routed(running, "TopicA"));
}

async function latenciesMs(port: number, count: number): Promise<number[]> {
  const client = await openNative(port);
  cleanups.push(() => client.close());
  await client.hello();
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const reply = await client.request(RequestCode.GET_ROUTE, { topic: "TopicA" });
    out.push(performance.now() - started);
    expect(reply.code).toBe(ErrorCode.OK);
  }
  return out;
}

describe("security: abuse", () => {
  it("security: a flooding client is served in turn and never refused while another client keeps its latency", async () => {
    const { running } = await node();
    await registerSomething(running);
    const before = JSON.stringify(running.node.getRoute("TopicA"));
    const flooder = await rawFrom(running.httpPort, "127.0.0.2");
    cleanups.push(() => flooder.terminate());
    let answered = 0;
    let refusals = 0;
    flooder.on("message", (data: Buffer) => {
      answered += 1;
      if (decodeFrame(new Uint8Array(data)).code !== ErrorCode.OK) refusals += 1;
    });
    flooder.send(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: 1, versionMax: 1, role: "client" } }));
    let flooding = true;
    const flood = (async () => {
      let id = 2;
      while (flooding && flooder.readyState === WebSocket.OPEN) {
        // As fast as the socket takes them: the node stops reading a connection with a full queue.
        if (flooder.bufferedAmount < 1024 * 1024) {
          for (let i = 0; i < 500; i += 1) {
            flooder.send(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_ROUTE, id: id++, body: { topic: "TopicA" } }));
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await waitFor("the flood is being answered", () => (answered > 5_000 ? true : undefined));
    const latencies = await latenciesMs(running.httpPort, 50);
    flooding = false;
    await flood;
    latencies.sort((a, b) => a - b);
    const p95 = latencies[Math.floor(latencies.length * 0.95)] as number;
    expect(p95).toBeLessThan(250);
    expect(refusals).toBe(0);
    expect(metricValue(await metricsOf(running), "namesrv_limit_hits_total", 'limit="INFLIGHT_REQUESTS_PER_CONNECTION_MAX"')).toBe(0);
    expect(JSON.stringify(running.node.getRoute("TopicA"))).toBe(before);
  });

  it("security: slowloris connections that never say hello are capped per address and closed at the deadline", async () => {
    const { running } = await node({ connectionsPerAddressMax: 5, helloTimeoutMs: 500 });
    await registerSomething(running);
    const idle: WebSocket[] = [];
    for (let i = 0; i < 5; i += 1) idle.push(await rawFrom(running.httpPort, "127.0.0.2"));
    cleanups.push(() => idle.forEach((ws) => ws.terminate()));
    const sixth = await rawFrom(running.httpPort, "127.0.0.2");
    expect(await withDeadline("sixth refused", closedOf(sixth))).toBe(1013);
    expect(await latenciesMs(running.httpPort, 5)).toHaveLength(5);
    const codes = await withDeadline("idle connections closed", Promise.all(idle.map(closedOf)));
    expect(codes).toEqual([1008, 1008, 1008, 1008, 1008]);
    const text = await metricsOf(running);
    expect(metricValue(text, "namesrv_limit_hits_total", 'limit="CONNECTIONS_PER_ADDRESS_MAX"')).toBe(1);
    expect(metricValue(text, "namesrv_limit_hits_total", 'limit="HELLO_TIMEOUT_MS"')).toBe(5);
    expect(routed(running, "TopicA")).toBe(true);
  });

  it("security: a client that never reads is closed as a slow reader; others are served and nothing changes", async () => {
    const bytes = 1024 * 1024;
    const { running } = await node({ frameBytesMax: bytes, sendBufferBytesMax: bytes });
    const topics = Array.from({ length: 8_000 }, (_, i) => ({ topicName: `Topic-${String(i).padStart(6, "0")}-padding-padding`, readQueueNums: 1, writeQueueNums: 1, perm: 6 }));
    const broker = await openNative(running.httpPort);
    cleanups.push(() => broker.close());
    await broker.hello("broker");
    const registration = { clusterName: "C", brokerAddr: "10.0.0.1:10911", brokerName: "big", brokerId: 0, dataVersion: { timestamp: 1, counter: 1 }, topics };
    expect((await broker.request(RequestCode.REGISTER_BROKER, registration)).code).toBe(ErrorCode.OK);
    const topicsBefore = running.node.getTopics(null).length;

    const sloth = await rawFrom(running.httpPort, "127.0.0.2");
    cleanups.push(() => sloth.terminate());
    sloth.send(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: 1, versionMax: 1, role: "client" } }));
    await waitFor("sloth hello answered", () => (sloth.readyState === WebSocket.OPEN ? true : undefined));
    sloth.pause();
    for (let id = 2; id < 300; id += 1) {
      sloth.send(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_TOPICS, id, body: {} }));
    }
    await waitFor("slow reader closed", async () => {
      const value = metricValue(await metricsOf(running), "namesrv_connections_closed_total", 'cause="slowReader"');
      return value >= 1 ? true : undefined;
    });
    const client = await openNative(running.httpPort);
    cleanups.push(() => client.close());
    await client.hello();
    const reply: Frame = await client.request(RequestCode.GET_TOPICS, {});
    expect(reply.code).toBe(ErrorCode.OK);
    expect(running.node.getTopics(null)).toHaveLength(topicsBefore);
    expect(metricValue(await metricsOf(running), "namesrv_limit_hits_total", 'limit="SEND_BUFFER_BYTES_MAX"')).toBeGreaterThanOrEqual(1);
  });
});

describe("security: remoting", () => {
  it("security: remoting admin writes from an address not allowed get NO_PERMISSION; reads still work", async () => {
    const config: Config = localConfig({ remotingAdminAllow: ["10.9.9.9"] });
    const running = await startServer(config, { logger: captureLogger("warn").logger });
    cleanups.push(() => running.close());
    const socket = connect({ host: "127.0.0.1", port: running.remotingPort as number });
    cleanups.push(() => void socket.destroy());
    await withDeadline("remoting connect", new Promise<void>((resolve) => socket.once("connect", () => resolve())));
    const decoder = new rm.RemotingFrameDecoder();
    const replies: rm.RemotingCommand[] = [];
    socket.on("data", (chunk: Buffer) => replies.push(...decoder.push(chunk)));
    const send = (code: number, opaque: number, extFields: Record<string, string>, body?: Buffer): void => {
      socket.write(rm.encodeCommand({ code, language: 0, version: rm.MQVersion.CURRENT, opaque, flag: 0, extFields, serializeType: rm.SerializeType.JSON, ...(body ? { body } : {}) }));
    };
    send(rm.RequestCode.PUT_KV_CONFIG, 1, { namespace: "ns", key: "k", value: "v" });
    send(rm.RequestCode.GET_KV_CONFIG, 2, { namespace: "ns", key: "k" });
    await waitFor("two remoting replies", () => (replies.length >= 2 ? true : undefined));
    expect(replies.find((reply) => reply.opaque === 1)).toMatchObject({ code: rm.ResponseCode.NO_PERMISSION });
    expect(replies.find((reply) => reply.opaque === 2)?.code).toBe(rm.ResponseCode.QUERY_NOT_FOUND);
    expect(metricValue(await metricsOf(running), "namesrv_auth_refusals_total", 'reason="adminAddressNotAllowed"')).toBe(1);
  });
});

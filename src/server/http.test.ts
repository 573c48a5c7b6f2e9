// Goal: the HTTP routes answer health, readiness, metrics and the read-only JSON API, and
// turn bad input into 4xx JSON errors naming the field. Method: routeHttp on a NodeHost,
// no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { localConfig, type Config } from "../config/config.js";
import type { BrokerRegistration } from "../model/types.js";
import { routeHttp, type HttpDeps } from "./http.js";
import { createLogger } from "../host/logger.js";
import { ServerMetrics } from "./metrics.js";
import { NodeHost } from "../host/node_host.js";
import { nodeOptionsOf } from "./server.js";

const REGISTRATION: BrokerRegistration = {
  clusterName: "c1",
  brokerAddr: "10.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  haServerAddr: "",
  zoneName: null,
  enableActingMaster: false,
  heartbeatTimeoutMs: null,
  dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
  topics: [{ topicName: "orders", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false }],
};

function setup(config: Config = localConfig({ id: "n1" })): { deps: HttpDeps; logs: Array<Record<string, unknown>>; host: NodeHost } {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger("debug", config.id, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const node = new NameServerNode(nodeOptionsOf(config), new SeededRng(1), 0);
  const host = new NodeHost(node, { nowMs: () => 0 }, logger);
  const metrics = new ServerMetrics({ node, connectionsByRole: () => ({ pending: 0, client: 1, broker: 2, peer: 0 }) });
  return { deps: { host, metrics, logger, tickLate: () => false }, logs, host };
}

async function get(deps: HttpDeps, url: string, method = "GET"): Promise<{ status: number; json: unknown; text: string }> {
  const { answer } = await routeHttp(method, url, deps);
  let json: unknown = null;
  if (answer.contentType.startsWith("application/json")) json = JSON.parse(answer.body);
  return { status: answer.status, json, text: answer.body };
}

describe("http", () => {
  it("http: /healthz reports ok with the node id", async () => {
    const { deps } = setup();
    expect(await get(deps, "/healthz")).toMatchObject({ status: 200, json: { status: "ok", nodeId: "n1" } });
  });

  it("http: /healthz reports degraded when the tick loop is late", async () => {
    const { deps } = setup();
    const late = { ...deps, tickLate: () => true };
    expect((await get(late, "/healthz")).json).toMatchObject({ status: "degraded" });
  });

  it("http: /readyz is 200 when ready and 503 before", async () => {
    expect((await get(setup().deps, "/readyz")).status).toBe(200);
    const waiting = setup(localConfig({ peers: ["10.0.0.2:9877"], startupGraceMs: 1_000 }));
    expect(await get(waiting.deps, "/readyz")).toMatchObject({ status: 503, json: { ready: false } });
    expect((await get(waiting.deps, "/v1/routes/orders")).json).toMatchObject({ error: { name: "NOT_READY" } });
  });

  it("http: /metrics exposes the counters and gauges", async () => {
    const { deps, host } = setup();
    host.run((nowMs) => host.node.registerBroker(1, "native", REGISTRATION, null, nowMs));
    host.run(() => host.node.noteSkippedTopics("C@h:1", "malformed", 2, "'topicName' bad"));
    deps.metrics.request("GET_ROUTE", "ok");
    const { status, text } = await get(deps, "/metrics");
    expect(status).toBe(200);
    expect(text).toContain('namesrv_connections{role="broker"} 2');
    expect(text).toContain('namesrv_requests_total{type="GET_ROUTE",outcome="ok"} 1');
    expect(text).toContain("namesrv_brokers_live 1");
    expect(text).toContain("namesrv_brokers_tracked 1");
    expect(text).toContain("namesrv_topics 1");
    expect(text).toContain('namesrv_evictions_total{reason="expired"} 0');
    expect(text).toContain('namesrv_suspicions_total{event="raised"} 0');
    expect(text).toContain("namesrv_pushes_total 0");
    expect(text).toContain('namesrv_registration_topics_skipped_total{reason="malformed"} 2');
    expect(text).toContain('namesrv_registration_topics_skipped_total{reason="capacity"} 0');
    expect(text).toContain("namesrv_registrations_refused_total 0");
    expect(text).toContain("namesrv_subscriptions 0");
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("http: /v1/routes/<topic> returns the route, 404 when none, 400 on a bad name", async () => {
    const { deps, host, logs } = setup();
    host.run((nowMs) => host.node.registerBroker(1, "native", REGISTRATION, null, nowMs));
    const found = await get(deps, "/v1/routes/orders");
    expect(found.status).toBe(200);
    expect(found.json).toMatchObject({ brokerDatas: [{ brokerName: "broker-a", brokerAddrs: { "0": "10.0.0.1:10911" } }] });
    expect(await get(deps, "/v1/routes/nothing")).toMatchObject({
      status: 404,
      json: { error: { code: 6, name: "NOT_FOUND", message: "no route for topic 'nothing'" } },
    });
    const bad = await get(deps, "/v1/routes/a%20b");
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 2, name: "INVALID_ARGUMENT" } } });
    expect((bad.json as { error: { message: string } }).error.message).toContain("'topic' must be 1..512 chars");
    expect((bad.json as { error: { message: string } }).error.message).toContain("got 'a b'");
    expect(logs.filter((l) => l["msg"] === "http request refused").length).toBe(2);
  });

  it("http: /v1/cluster and /v1/topics with an optional cluster", async () => {
    const { deps, host } = setup();
    host.run((nowMs) => host.node.registerBroker(1, "native", REGISTRATION, null, nowMs));
    expect((await get(deps, "/v1/cluster")).json).toMatchObject({ clusterAddrTable: { c1: ["broker-a"] } });
    expect((await get(deps, "/v1/topics")).json).toEqual({ topics: ["orders"] });
    expect((await get(deps, "/v1/topics?cluster=c1")).json).toEqual({ topics: ["orders"] });
    expect((await get(deps, "/v1/topics?cluster=other")).json).toEqual({ topics: [] });
    expect((await get(deps, "/v1/topics?cluster=a%20b")).status).toBe(400);
  });

  it("http: /v1/kv reads a namespace and a key", async () => {
    const { deps, host } = setup();
    host.run((nowMs) => host.node.kvPut("ns", "k/1", "v", nowMs));
    expect((await get(deps, "/v1/kv/ns")).json).toEqual({ namespace: "ns", table: { "k/1": "v" } });
    expect((await get(deps, "/v1/kv/ns/k%2F1")).json).toEqual({ namespace: "ns", key: "k/1", value: "v" });
    expect((await get(deps, "/v1/kv/ns/missing")).status).toBe(404);
    expect((await get(deps, "/v1/kv/empty")).status).toBe(404);
  });

  it("http: unknown paths are 404 JSON, other methods 405, bad escapes 400", async () => {
    const { deps } = setup();
    expect(await get(deps, "/nope")).toMatchObject({ status: 404, json: { error: { name: "NOT_FOUND" } } });
    expect(await get(deps, "/v1/routes")).toMatchObject({ status: 404 });
    expect(await get(deps, "/healthz", "POST")).toMatchObject({ status: 405, json: { error: { name: "METHOD_NOT_ALLOWED" } } });
    expect(await get(deps, "/v1/routes/%E0%A4%A")).toMatchObject({ status: 400, json: { error: { name: "INVALID_ARGUMENT" } } });
  });
});

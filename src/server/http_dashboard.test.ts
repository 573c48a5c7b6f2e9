// Goal: the dashboard's HTTP side: operator reads validate their parameters and stay bounded,
// admin writes need the admin token as a native hello would (a wrong one changes nothing), a JSON
// body and this node's own origin, the page is served with its security headers, and the
// cluster status groups nodes by digest, names differing records and asks peers only through
// links. Method: routeHttp and ClusterStatusService with injected links and fetch, no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { localConfig } from "../config/config.js";
import { Authenticator } from "../host/auth.js";
import { createLogger } from "../host/logger.js";
import { NodeHost } from "../host/node_host.js";
import { DIGEST_BUCKETS, PEER_DOWN_MS, PEER_SUSPECT_MS } from "../limits.js";
import type { BrokerRegistration } from "../model/types.js";
import { ClusterStatusService, compareReports, diffRecords, linkStateOf } from "./cluster_status.js";
import { DashboardAssets } from "./dashboard_assets.js";
import type { NodeReport } from "./dashboard_types.js";
import { EventLog } from "./event_log.js";
import { routeHttp, type HttpDeps } from "./http.js";
import type { DashboardDeps } from "./http_dashboard.js";
import { ServerMetrics } from "./metrics.js";
import { SeriesRecorder } from "./series.js";
import { nodeOptionsOf } from "./server.js";

const ADMIN_TOKEN = "admin-token-0123456789";
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

function report(nodeId: string, bucketValue = "0"): NodeReport {
  const buckets = Array.from({ length: DIGEST_BUCKETS }, (_, index) => (index === 7 ? bucketValue : "0"));
  return { nodeId, version: "1", advertiseAddr: null, ready: true, degraded: false, nowMs: 0, uptimeMs: 0, digest: `d${bucketValue}`, buckets, brokersLive: 0, brokersTracked: 0, topics: 0, peers: [] };
}

function setup(assets: DashboardAssets | null = null): { deps: HttpDeps; host: NodeHost } {
  const config = localConfig({ id: "n1", adminTokens: [ADMIN_TOKEN] });
  const logger = createLogger("fatal", config.id);
  const node = new NameServerNode(nodeOptionsOf(config), new SeededRng(1), 0);
  const host = new NodeHost(node, { nowMs: () => 1_000 }, logger);
  host.run((nowMs) => node.registerBroker(1, "native", REGISTRATION, null, nowMs));
  const metrics = new ServerMetrics({ node, connectionsByRole: () => ({ pending: 0, client: 0, broker: 0, peer: 0 }) });
  const auth = new Authenticator(config);
  const status = new ClusterStatusService({ host, clock: host.clock, report: () => report("n1"), links: () => [], tls: undefined });
  const dashboard: DashboardDeps = {
    events: new EventLog(host.clock),
    series: new SeriesRecorder(0),
    status,
    report: () => report("n1"),
    assets,
    adminRefusal: (token) => {
      const decision = auth.grantsFor("client", token);
      if (!decision.ok) return { reason: decision.reason, message: decision.message };
      return decision.grants.admin ? null : { reason: "adminRequired", message: "admin writes need an admin token" };
    },
  };
  return { deps: { host, metrics, logger, tickLate: () => false, dashboard }, host };
}

async function call(deps: HttpDeps, method: string, url: string, info: Record<string, string | null> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, string> }> {
  const { answer } = await routeHttp(method, url, deps, info["authorization"] ?? null, info);
  const json = answer.contentType.startsWith("application/json") ? (JSON.parse(answer.body) as Record<string, unknown>) : {};
  return { status: answer.status, json, headers: { ...answer.headers } };
}

const JSON_POST = { contentType: "application/json", body: JSON.stringify({ brokerName: "broker-a" }) };

describe("http_dashboard", () => {
  it("http_dashboard: reads answer, and bad parameters are 400 naming the parameter", async () => {
    const { deps } = setup();
    expect((await call(deps, "GET", "/v1/brokers")).json).toMatchObject({ nodeId: "n1", total: 1, truncated: false });
    expect((await call(deps, "GET", "/v1/topics/search?q=ORD")).json).toEqual({ topics: ["orders"], matches: 1, total: 1 });
    expect((await call(deps, "GET", "/v1/kv")).json).toEqual({ namespaces: [], total: 0 });
    expect((await call(deps, "GET", "/v1/node/records?buckets=1,2")).json).toMatchObject({ nodeId: "n1", truncated: false });
    for (const [url, field] of [
      ["/v1/brokers?limit=0", "'limit'"],
      ["/v1/node/records?buckets=256", "'buckets'"],
      ["/v1/node/records", "'buckets'"],
      ["/v1/events?kinds=bogus", "'kinds'"],
      ["/v1/events?waitMs=99999", "'waitMs'"],
      ["/v1/series?since=-1", "'since'"],
      [`/v1/topics/search?q=${"x".repeat(513)}`, "'q'"],
    ] as const) {
      const answer = await call(deps, "GET", url);
      expect(answer.status, url).toBe(400);
      expect(JSON.stringify(answer.json), url).toContain(field);
    }
  });

  it("http_dashboard: a wrong or missing admin token is 401 and changes nothing; the admin token wipes", async () => {
    const { deps, host } = setup();
    const perm = (): number | undefined => host.node.findRoute("orders")?.queueDatas[0]?.perm;
    const wrong = await call(deps, "POST", "/v1/admin/wipe-write-perm", { ...JSON_POST, authorization: "Bearer not-a-token-we-know" });
    expect(wrong.status).toBe(401);
    expect((await call(deps, "POST", "/v1/admin/wipe-write-perm", JSON_POST)).status).toBe(401);
    expect(perm()).toBe(6);
    const ok = await call(deps, "POST", "/v1/admin/wipe-write-perm", { ...JSON_POST, authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok).toMatchObject({ status: 200, json: { count: 1 } });
    expect(perm()).toBe(4);
    const put = { authorization: `Bearer ${ADMIN_TOKEN}`, contentType: "application/json", body: JSON.stringify({ namespace: "NS", key: "k", value: "v" }) };
    expect((await call(deps, "POST", "/v1/admin/kv-put", put)).status).toBe(200);
    expect(host.node.kvGet("NS", "k")).toBe("v");
  });

  it("http_dashboard: writes must be JSON from this node's own origin, POST only, to a known write", async () => {
    const { deps } = setup();
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await call(deps, "POST", "/v1/admin/wipe-write-perm", { ...auth, body: '{"brokerName":"broker-a"}', contentType: "text/plain" })).status).toBe(400);
    const forged = await call(deps, "POST", "/v1/admin/wipe-write-perm", { ...JSON_POST, ...auth, origin: "http://evil.example", hostHeader: "127.0.0.1:9877" });
    expect(forged.status).toBe(401);
    const same = await call(deps, "POST", "/v1/admin/wipe-write-perm", { ...JSON_POST, ...auth, origin: "http://127.0.0.1:9877", hostHeader: "127.0.0.1:9877" });
    expect(same.status).toBe(200);
    expect((await call(deps, "POST", "/v1/admin/kv-put", { ...auth, contentType: "application/json", body: "[1]" })).status).toBe(400);
    expect((await call(deps, "POST", "/v1/admin/nothing", { ...JSON_POST, ...auth })).status).toBe(400);
    const get = await call(deps, "GET", "/v1/admin/wipe-write-perm");
    expect(get).toMatchObject({ status: 405, headers: { allow: "POST" } });
  });

  it("http_dashboard: the page is served with its security headers; 404 when not built; /v1 reads need the token where required", async () => {
    const built = setup(DashboardAssets.of({ "index.html": "<!doctype html>", "assets/app.js": "1" }));
    const page = await routeHttp("GET", "/", built.deps);
    expect(page.answer).toMatchObject({ status: 200, contentType: "text/html; charset=utf-8" });
    expect(page.answer.headers?.["content-security-policy"]).toContain("default-src 'self'");
    expect(page.answer.headers?.["x-frame-options"]).toBe("DENY");
    expect((await routeHttp("GET", "/assets/app.js", built.deps)).answer.headers?.["cache-control"]).toContain("immutable");
    expect((await routeHttp("GET", "/assets/missing.js", built.deps)).answer.status).toBe(404);
    expect((await routeHttp("GET", "/", setup().deps)).answer.status).toBe(404);
    const guarded = { ...built.deps, checkToken: (token: string) => token === "reader" };
    expect((await routeHttp("GET", "/v1/status", guarded)).answer.status).toBe(401);
    expect((await routeHttp("GET", "/v1/status", guarded, "Bearer reader")).answer.status).toBe(200);
    expect((await routeHttp("GET", "/", guarded)).answer.status).toBe(200);
  });
});

describe("cluster_status", () => {
  it("cluster_status: link states from silence", () => {
    expect(linkStateOf(true, 0)).toBe("up");
    expect(linkStateOf(true, PEER_SUSPECT_MS + 1)).toBe("suspect");
    expect(linkStateOf(true, PEER_DOWN_MS + 1)).toBe("down");
    expect(linkStateOf(false, null)).toBe("down");
  });

  it("cluster_status: reports grouped by digest, the differing buckets, and the differing records", () => {
    const compared = compareReports([report("a", "1"), report("b", "1"), report("c", "2")]);
    expect(compared).toEqual({ agree: false, groups: [{ digest: "d1", nodes: ["a", "b"] }, { digest: "d2", nodes: ["c"] }], differingBuckets: [7] });
    expect(compareReports([report("a"), report("b")]).agree).toBe(true);
    const diff = diffRecords([
      { nodeId: "a", entries: [{ bucket: 7, id: "k|NS|x", version: "v1" }, { bucket: 7, id: "i|c@h:1", version: "same" }], truncated: false },
      { nodeId: "c", entries: [{ bucket: 7, id: "k|NS|x", version: "v2" }, { bucket: 7, id: "i|c@h:1", version: "same" }, { bucket: 7, id: "p|b|wipe", version: "w" }], truncated: false },
    ]);
    expect(diff).toEqual({
      records: [
        { id: "k|NS|x", type: "kv", versions: { a: "v1", c: "v2" } },
        { id: "p|b|wipe", type: "perm", versions: { a: null, c: "w" } },
      ],
      truncated: false,
    });
  });

  it("cluster_status: peers are asked only through a link, with the caller's token; a down link is not asked", async () => {
    const { host } = setup();
    const asked: string[] = [];
    const service = new ClusterStatusService({
      host,
      clock: host.clock,
      report: () => report("n1", "1"),
      links: () => [
        { addr: "10.0.0.2:9877", peerId: "n2", linked: true, silentMs: 10, attempt: 0 },
        { addr: "10.0.0.3:9877", peerId: null, linked: false, silentMs: null, attempt: 3 },
      ],
      tls: undefined,
      fetch: async (options) => {
        asked.push(`${options.addr}${options.path} ${options.token ?? "-"}`);
        if (options.path === "/v1/node") return { status: 200, body: report("n2", "2") };
        return { status: 200, body: { nodeId: "n2", entries: [{ bucket: 7, id: "k|NS|x", version: "v2" }], truncated: false } };
      },
    });
    const status = await service.status("tok");
    expect(asked).toEqual(["10.0.0.2:9877/v1/node tok", "10.0.0.2:9877/v1/node/records?buckets=7 tok"]);
    expect(status.members.map((member) => [member.nodeId, member.state, member.report?.nodeId ?? null])).toEqual([
      ["n1", "up", "n1"],
      ["n2", "up", "n2"],
      [null, "down", null],
    ]);
    expect(status.agreement).toMatchObject({ agree: false, complete: false, differingBuckets: [7] });
    expect(status.agreement.records.map((record) => record.id)).toEqual(["k|NS|x"]);
    expect(status.healthy).toBe(false);
  });
  it("cluster_status: a peer found through DNS is asked over TLS checked against the DNS name", async () => {
    const { host } = setup();
    const names: (string | undefined)[] = [];
    const tls = { ca: "CA", cert: "CERT", key: "KEY" };
    const service = new ClusterStatusService({
      host,
      clock: host.clock,
      report: () => report("n1", "1"),
      links: () => [
        { addr: "10.0.0.2:9877", peerId: "n2", linked: true, silentMs: 10, attempt: 0, tlsServerName: "namesrv-headless" },
        { addr: "ns3:9877", peerId: "n3", linked: true, silentMs: 10, attempt: 0, tlsServerName: null },
      ],
      tls,
      fetch: async (options) => {
        names.push(options.tls?.servername);
        return { status: 200, body: report(options.addr === "ns3:9877" ? "n3" : "n2", "1") };
      },
    });
    await service.status(undefined);
    expect(names).toEqual(["namesrv-headless", undefined]);
  });
});

// Goal: RouteClient's failover, caching, subscription and redial logic, deterministic.
// Method: FakeScheduler (simulated time) + FakeNetwork (scripted nodes) + SeededRng; no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import type { TopicRouteData } from "../model/types.js";
import { ConfigError, InvalidArgumentError, NotFoundError, NotReadyError } from "../errors.js";
import { REDIAL_BACKOFF_MS_MAX, REDIAL_BACKOFF_MS_MIN, REDIAL_JITTER_RATIO, REQUEST_TIMEOUT_MS, ROUTE_CACHE_MS } from "../limits.js";
import { PushCode, RequestCode } from "../protocol/codes.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import { NameServersUnavailableError } from "./client_errors.js";
import { FakeNetwork, FakeScheduler, flushMicrotasks, type FakeNode } from "./fake_transport.js";
import { RouteClient } from "./route_client.js";

const ADDRS = ["10.0.0.1:9877", "10.0.0.2:9877", "10.0.0.3:9877"];

function route(brokerName: string): TopicRouteData {
  return {
    queueDatas: [{ brokerName, readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }],
    brokerDatas: [{ cluster: "c1", brokerName, brokerAddrs: { "0": "10.1.0.1:10911" }, enableActingMaster: false }],
    filterServerTable: {},
  };
}

function setup(seed = 7, options: { cacheMs?: number } = {}) {
  const scheduler = new FakeScheduler();
  const network = new FakeNetwork(scheduler);
  const nodes = ADDRS.map((addr, index) => network.addNode(addr, `n${index + 1}`));
  for (const node of nodes) {
    node.handler = (code) => (code === RequestCode.GET_ROUTE ? { ok: route(node.nodeId) } : { ok: { count: 1 } });
  }
  const client = new RouteClient({
    nameServers: ADDRS,
    clock: scheduler,
    rng: new SeededRng(seed),
    scheduler,
    dialer: network.dialer,
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  });
  return { scheduler, network, nodes, client };
}

function nodeOf(nodes: FakeNode[], addr: string | null): FakeNode {
  const node = nodes.find((n) => n.addr === addr);
  if (!node) throw new Error(`no node ${addr}`);
  return node;
}

describe("route_client", () => {
  it("route_client: rejects bad options with every problem listed", () => {
    const scheduler = new FakeScheduler();
    let caught: unknown;
    try {
      new RouteClient({ nameServers: ["nope"], requestTimeoutMs: 0, cacheMs: -1, clock: scheduler, rng: new SeededRng(1) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toHaveLength(3);
    expect((caught as ConfigError).message).toContain("'nope'");
  });

  it("route_client: picks the first node with the rng, so different seeds spread load", async () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const { client, network } = setup(seed);
      await client.getRoute("TopicA");
      firsts.add(network.dials[0] as string);
      client.close();
    }
    expect(firsts.size).toBe(3);
  });

  it("route_client: fails over to the next node when one refuses connections", async () => {
    const { client, network, nodes } = setup();
    for (const node of nodes) node.down = true;
    const survivor = nodes[1] as FakeNode;
    survivor.down = false;
    const answer = await client.getRoute("TopicA");
    expect(answer.queueDatas[0]?.brokerName).toBe("n2");
    expect(network.dials.at(-1)).toBe(survivor.addr);
    expect(client.connectedAddr).toBe(survivor.addr);
  });

  it("route_client: fails over on a timeout within one call", async () => {
    const { client, nodes, scheduler, network } = setup();
    await client.getRoute("Warmup");
    const first = nodeOf(nodes, client.connectedAddr);
    first.handler = () => ({ hang: true });
    client.invalidate("TopicA");
    const pending = client.getRoute("TopicA");
    await scheduler.advanceMs(REQUEST_TIMEOUT_MS);
    const answer = await pending;
    expect(answer.queueDatas[0]?.brokerName).not.toBe(first.nodeId);
    expect(network.dials).toHaveLength(2);
    expect(first.openConnections).toHaveLength(0);
  });

  it("route_client: skips a node whose hello says not ready, and one answering NOT_READY", async () => {
    const { client, nodes } = setup();
    const [a, b, c] = nodes as [FakeNode, FakeNode, FakeNode];
    a.ready = false;
    b.handler = () => ({ error: new NotReadyError("node is starting") });
    c.ready = true;
    const answer = await client.getRoute("TopicA");
    expect(answer.queueDatas[0]?.brokerName).toBe("n3");
  });

  it("route_client: does not retry a NotFoundError on other nodes", async () => {
    const { client, nodes } = setup();
    for (const node of nodes) node.handler = () => ({ error: new NotFoundError("no route for topic 'X'") });
    await expect(client.getRoute("X")).rejects.toBeInstanceOf(NotFoundError);
    expect(nodes.reduce((sum, node) => sum + node.requestsOf("GET_ROUTE").length, 0)).toBe(1);
  });

  it("route_client: throws NameServersUnavailableError after trying every node once", async () => {
    const { client, nodes, network } = setup();
    for (const node of nodes) node.down = true;
    const error = await client.getRoute("TopicA").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NameServersUnavailableError);
    expect((error as NameServersUnavailableError).attempts.map((a) => a.addr).sort()).toEqual([...ADDRS].sort());
    expect(network.dials).toHaveLength(3);
  });

  it("route_client: validates arguments before any request", async () => {
    const { client, network } = setup();
    await expect(client.getRoute("a b")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.kvPut("", "k", "v")).rejects.toThrow(/'namespace'/);
    expect(network.dials).toHaveLength(0);
  });

  it("route_client: serves routes from the cache until ROUTE_CACHE_MS passed", async () => {
    const { client, nodes, scheduler } = setup();
    await client.getRoute("TopicA");
    await client.getRoute("TopicA");
    const count = (): number => nodes.reduce((sum, node) => sum + node.requestsOf("GET_ROUTE").length, 0);
    expect(count()).toBe(1);
    await scheduler.advanceMs(ROUTE_CACHE_MS - 1);
    await client.getRoute("TopicA");
    expect(count()).toBe(1);
    await scheduler.advanceMs(1);
    await client.getRoute("TopicA");
    expect(count()).toBe(2);
  });

  it("route_client: cacheMs 0 asks every time", async () => {
    const { client, nodes } = setup(7, { cacheMs: 0 });
    await client.getRoute("TopicA");
    await client.getRoute("TopicA");
    expect(nodes.reduce((sum, node) => sum + node.requestsOf("GET_ROUTE").length, 0)).toBe(2);
  });

  it("route_client: kvGet gives null and kvList {} on NOT_FOUND", async () => {
    const { client, nodes } = setup();
    for (const node of nodes) node.handler = () => ({ error: new NotFoundError("absent") });
    expect(await client.kvGet("ns", "k")).toBeNull();
    expect(await client.kvList("ns")).toEqual({});
  });

  it("route_client: admin calls send the documented bodies", async () => {
    const { client, nodes } = setup();
    for (const node of nodes) {
      node.handler = (code) => {
        if (code === RequestCode.KV_GET) return { ok: { value: "v1" } };
        if (code === RequestCode.KV_LIST) return { ok: { table: { k: "v1" } } };
        if (code === RequestCode.GET_TOPICS) return { ok: { topics: ["A", "B"] } };
        if (code === RequestCode.GET_CLUSTER_INFO) return { ok: { brokerAddrTable: {}, clusterAddrTable: {} } };
        return { ok: { count: 2 } };
      };
    }
    await client.kvPut("ns", "k", "v1");
    expect(await client.kvGet("ns", "k")).toBe("v1");
    expect(await client.kvList("ns")).toEqual({ k: "v1" });
    await client.kvDelete("ns", "k");
    expect(await client.getTopics("c1")).toEqual(["A", "B"]);
    expect(await client.getClusterInfo()).toEqual({ brokerAddrTable: {}, clusterAddrTable: {} });
    expect(await client.wipeWritePerm("b1")).toBe(2);
    expect(await client.addWritePerm("b1")).toBe(2);
    await client.deleteTopic("A");
    const node = nodeOf(nodes, client.connectedAddr);
    expect(node.requests.map((r) => [r.codeName, r.body])).toEqual([
      ["KV_PUT", { namespace: "ns", key: "k", value: "v1" }],
      ["KV_GET", { namespace: "ns", key: "k" }],
      ["KV_LIST", { namespace: "ns" }],
      ["KV_DELETE", { namespace: "ns", key: "k" }],
      ["GET_TOPICS", { clusterName: "c1" }],
      ["GET_CLUSTER_INFO", {}],
      ["WIPE_WRITE_PERM", { brokerName: "b1" }],
      ["ADD_WRITE_PERM", { brokerName: "b1" }],
      ["DELETE_TOPIC", { topic: "A", clusterName: null }],
    ]);
    expect(node.requests.every((r) => r.role === "client")).toBe(true);
  });

  it("route_client: delivers pushes once per revision and updates the cache", async () => {
    const { client, nodes } = setup();
    const seen: RouteChangedPush[] = [];
    await client.subscribe(["TopicA"], (change) => seen.push(change));
    const node = nodeOf(nodes, client.connectedAddr);
    expect(node.requestsOf("SUBSCRIBE")[0]?.body).toEqual({ topics: [{ topic: "TopicA", revision: null }] });
    node.push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r1", route: route("pushed") });
    node.push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r1", route: route("pushed") });
    node.push(PushCode.ROUTE_CHANGED, { topic: "Other", revision: "r9", route: null });
    node.push(PushCode.ROUTE_CHANGED, { topic: 42 });
    expect(seen.map((s) => s.revision)).toEqual(["r1"]);
    expect((await client.getRoute("TopicA")).queueDatas[0]?.brokerName).toBe("pushed");
    expect(node.requestsOf("GET_ROUTE")).toHaveLength(0);
    node.push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r2", route: null });
    expect(seen.map((s) => [s.revision, s.route === null])).toEqual([["r1", false], ["r2", true]]);
  });

  it("route_client: resubscribes with the held revision after the node drops, with backoff", async () => {
    const { client, nodes, scheduler } = setup();
    const seen: string[] = [];
    await client.subscribe(["TopicA", "TopicB"], (change) => seen.push(`${change.topic}@${change.revision}`));
    const first = nodeOf(nodes, client.connectedAddr);
    first.push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r1", route: route("x") });
    first.down = true;
    first.dropConnections();
    expect(client.connectedAddr).toBeNull();
    await scheduler.advanceMs(REDIAL_BACKOFF_MS_MIN * (1 + REDIAL_JITTER_RATIO));
    const second = nodeOf(nodes, client.connectedAddr);
    expect(second).not.toBe(first);
    expect(second.requestsOf("SUBSCRIBE")[0]?.body).toEqual({
      topics: [
        { topic: "TopicA", revision: "r1" },
        { topic: "TopicB", revision: null },
      ],
    });
    second.push(PushCode.ROUTE_CHANGED, { topic: "TopicB", revision: "b1", route: null });
    expect(seen).toEqual(["TopicA@r1", "TopicB@b1"]);
  });

  it("route_client: a draining node's close moves the subscriptions to the next node at once, without backoff", async () => {
    const { client, nodes, scheduler } = setup();
    await client.subscribe(["TopicA"], () => undefined);
    const first = nodeOf(nodes, client.connectedAddr);
    first.down = true;
    first.leave();
    // No timer runs: the redial happens in the close handler itself, not after a backoff delay.
    await scheduler.advanceMs(0);
    const second = nodeOf(nodes, client.connectedAddr);
    expect(second).not.toBe(first);
    expect(second.requestsOf("SUBSCRIBE")[0]?.body).toEqual({ topics: [{ topic: "TopicA", revision: null }] });
  });

  it("route_client: redial delays grow exponentially within the jitter bounds", async () => {
    const { client, nodes, scheduler } = setup(3);
    await client.subscribe(["TopicA"], () => undefined);
    for (const node of nodes) node.down = true;
    const before = scheduler.delaysMs.length;
    nodeOf(nodes, client.connectedAddr).dropConnections();
    await scheduler.advanceMs(60_000);
    const delays = scheduler.delaysMs.slice(before);
    expect(delays.length).toBeGreaterThan(6);
    delays.forEach((delay, attempt) => {
      const base = Math.min(REDIAL_BACKOFF_MS_MAX, REDIAL_BACKOFF_MS_MIN * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(Math.round(base * (1 + REDIAL_JITTER_RATIO)));
    });
    // Redials rotate through the nodes rather than hammering one.
    (nodes[0] as FakeNode).down = false;
    await scheduler.advanceMs(3 * REDIAL_BACKOFF_MS_MAX * 2);
    expect(client.connectedAddr).toBe(nodes[0]?.addr);
  });

  it("route_client: unsubscribe stops the listener and redials", async () => {
    const { client, nodes, scheduler, network } = setup();
    const seen: string[] = [];
    const sub = await client.subscribe(["TopicA"], (change) => seen.push(change.revision));
    const node = nodeOf(nodes, client.connectedAddr);
    sub.unsubscribe();
    await flushMicrotasks();
    expect(node.requestsOf("UNSUBSCRIBE")[0]?.body).toEqual({ topics: ["TopicA"] });
    node.push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r1", route: null });
    expect(seen).toEqual([]);
    const dials = network.dials.length;
    node.dropConnections();
    await scheduler.advanceMs(60_000);
    expect(network.dials.length).toBe(dials);
  });

  it("route_client: a second listener on a followed topic gets the last route", async () => {
    const { client, nodes } = setup();
    await client.subscribe(["TopicA"], () => undefined);
    nodeOf(nodes, client.connectedAddr).push(PushCode.ROUTE_CHANGED, { topic: "TopicA", revision: "r1", route: null });
    const seen: string[] = [];
    await client.subscribe(["TopicA"], (change) => seen.push(change.revision));
    expect(seen).toEqual(["r1"]);
  });

  it("route_client: a failed subscribe is forgotten", async () => {
    const { client, nodes } = setup();
    for (const node of nodes) node.down = true;
    await expect(client.subscribe(["TopicA"], () => undefined)).rejects.toBeInstanceOf(NameServersUnavailableError);
    expect(client.subscribedTopics().size).toBe(0);
  });

  it("route_client: close() rejects later calls and stops redialing", async () => {
    const { client, scheduler, network, nodes } = setup();
    await client.subscribe(["TopicA"], () => undefined);
    client.close();
    for (const node of nodes) expect(node.openConnections).toHaveLength(0);
    const dials = network.dials.length;
    await scheduler.advanceMs(60_000);
    expect(network.dials.length).toBe(dials);
    await expect(client.getRoute("TopicA")).rejects.toThrow(/closed/);
  });
});

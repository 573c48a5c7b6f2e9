// Goal: three real nodes gossiping over WebSocket route and evict brokers as DESIGN §5 and
// issue "gossip replication" promise: a broker seen by one node is routed by all within a
// second, a crash is evicted everywhere within a second, a paused node causes no false
// eviction and catches up, and a restarted empty node never answers "no route" for a live
// broker. Method: spawn the built CLI (nodes and broker agents) on 127.0.0.1 and poll the
// nodes' HTTP API with deadlines; every duration is measured and printed.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnCli, runCli, type CliProcess } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

/** The node expiry for these tests: short, so silent failures finish quickly. */
const EXPIRY_MS = 2_000;
/** The anti-entropy interval of a node (limits.ANTI_ENTROPY_INTERVAL_MS). */
const ANTI_ENTROPY_MS = 1_000;

interface Cluster {
  readonly ports: number[];
  readonly nodes: (CliProcess | null)[];
}

const running: CliProcess[] = [];

function track(process: CliProcess): CliProcess {
  running.push(process);
  return process;
}

function startNode(index: number, ports: readonly number[]): CliProcess {
  const peers = ports.filter((_, other) => other !== index).map((port) => `127.0.0.1:${port}`);
  return track(
    spawnCli([
      "start",
      "--id",
      `n${index + 1}`,
      "--host",
      "127.0.0.1",
      "--port",
      String(ports[index]),
      "--remoting-port",
      "0",
      "--peer",
      peers.join(","),
      "--broker-expiry-ms",
      String(EXPIRY_MS),
    ]),
  );
}

async function startCluster(): Promise<Cluster> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = ports.map((_, index) => startNode(index, ports));
  for (const port of ports) await waitFor(`node :${port} ready`, async () => ((await readyz(port)) ? true : undefined));
  return { ports, nodes };
}

function startBroker(name: string, ports: readonly number[], topics: readonly string[]): CliProcess {
  const args = ["broker", "--namesrv", ports.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", "C"];
  args.push("--broker-name", name, "--broker-id", "0", "--addr", `10.0.0.${name.length}:10911`, "--heartbeat-ms", "200");
  for (const topic of topics) args.push("--topic", topic);
  return track(spawnCli(args));
}

async function readyz(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** HTTP status of a route query: 200 routed, 404 no route, 503 not ready, 0 unreachable. */
async function routeStatus(port: number, topic: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v1/routes/${topic}`);
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function clusterView(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/cluster`);
  return JSON.stringify(await response.json());
}

/** Milliseconds until every port answers `status` for the topic. */
async function msUntilEverywhere(ports: readonly number[], topic: string, status: number, deadlineMs = 10_000): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${topic} -> ${status} on ${ports.join(",")}`,
    async () => {
      const statuses = await Promise.all(ports.map((port) => routeStatus(port, topic)));
      return statuses.every((s) => s === status) ? true : undefined;
    },
    deadlineMs,
  );
  return Date.now() - started;
}

function offlineLines(process: CliProcess | null): unknown[] {
  return (process?.lines() ?? []).filter((line) => line.msg === "broker offline");
}

async function stopAll(): Promise<void> {
  for (const process of running.splice(0)) {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      process.child.kill("SIGCONT");
      process.child.kill("SIGKILL");
    }
    await process.exited;
  }
}

describe("cluster", () => {
  let cluster: Cluster;

  beforeEach(async () => {
    cluster = await startCluster();
  });
  afterEach(stopAll);

  it("cluster: a broker registered with node 1 only is routed by node 3 within 1 s, and a crash is gone everywhere within 1 s", async () => {
    const [p1, , p3] = cluster.ports as [number, number, number];
    const broker = startBroker("b-one", [p1], ["TopicA:8"]);
    // The agent logs to stderr.
    await waitFor("broker registered", () => (broker.stderr().includes('"registered with name server"') ? true : undefined));
    const visibleMs = await msUntilEverywhere([p3], "TopicA", 200);
    console.log(`route visible on node 3 ${visibleMs} ms after the registration on node 1`);
    expect(visibleMs).toBeLessThan(1_000);
    const route = await runCli(["route", "TopicA", "--namesrv", `127.0.0.1:${p3}`, "--json"]);
    expect(route.code).toBe(0);
    expect(JSON.parse(route.stdout).brokerDatas[0].brokerAddrs["0"]).toBe("10.0.0.5:10911");

    broker.child.kill("SIGKILL");
    const goneMs = await msUntilEverywhere(cluster.ports, "TopicA", 404);
    console.log(`crashed broker gone from all three nodes after ${goneMs} ms`);
    expect(goneMs).toBeLessThan(1_000);
  });

  it("cluster: a node paused longer than the expiry evicts nobody and agrees again within 2 anti-entropy rounds", async () => {
    const broker = startBroker("b-all", cluster.ports, ["TopicP:4"]);
    await msUntilEverywhere(cluster.ports, "TopicP", 200);
    const [p1, p2, p3] = cluster.ports as [number, number, number];
    const node2 = cluster.nodes[1] as CliProcess;
    node2.child.kill("SIGSTOP");
    const pausedAt = Date.now();
    // While node 2 is stopped, the others must keep the broker at every poll.
    while (Date.now() - pausedAt < EXPIRY_MS + 1_000) {
      expect(await routeStatus(p1, "TopicP")).toBe(200);
      expect(await routeStatus(p3, "TopicP")).toBe(200);
    }
    node2.child.kill("SIGCONT");
    const resumedAt = Date.now();
    await waitFor("node 2 agrees with the others", async () => {
      const views = await Promise.all([p1, p2, p3].map(clusterView));
      return views.every((view) => view === views[0]) && (await routeStatus(p2, "TopicP")) === 200 ? true : undefined;
    });
    const agreeMs = Date.now() - resumedAt;
    console.log(`node 2 paused ${resumedAt - pausedAt} ms; agreed ${agreeMs} ms after SIGCONT`);
    expect(agreeMs).toBeLessThan(2 * ANTI_ENTROPY_MS);
    for (const node of cluster.nodes) expect(offlineLines(node)).toEqual([]);
    expect(broker.child.exitCode).toBeNull();
  });

  it("cluster: a restarted empty node serves live brokers' routes as soon as it is ready, never 'no route'", async () => {
    startBroker("b-restart", cluster.ports, ["TopicR:2"]);
    await msUntilEverywhere(cluster.ports, "TopicR", 200);
    const node3 = cluster.nodes[2] as CliProcess;
    node3.child.kill("SIGKILL");
    await node3.exited;
    const p3 = cluster.ports[2] as number;
    const restarted = startNode(2, cluster.ports);
    const statuses: number[] = [];
    const started = Date.now();
    await waitFor("restarted node 3 routes TopicR", async () => {
      const status = await routeStatus(p3, "TopicR");
      statuses.push(status);
      return status === 200 ? true : undefined;
    });
    console.log(`restarted node 3 routed TopicR ${Date.now() - started} ms after start; statuses seen: ${[...new Set(statuses)].join(",")}`);
    expect(statuses).not.toContain(404);
    const ready = restarted.lines().find((line) => line.msg === "node ready");
    expect(String(ready?.["reason"])).toMatch(/snapshot from n[12]/);
  });

  it("cluster: a broker stopped without closing its connection is gone everywhere within expiry + 1 s", async () => {
    const broker = startBroker("b-silent", cluster.ports, ["TopicS:2"]);
    await msUntilEverywhere(cluster.ports, "TopicS", 200);
    broker.child.kill("SIGSTOP");
    const goneMs = await msUntilEverywhere(cluster.ports, "TopicS", 404, EXPIRY_MS + 5_000);
    console.log(`silent broker gone everywhere after ${goneMs} ms (expiry ${EXPIRY_MS} ms)`);
    expect(goneMs).toBeLessThan(EXPIRY_MS + 1_000);
  });
});

// Goal: the single-node walkthrough of the README works as a user would run it: a node with
// a 2 s expiry, a broker agent with two topics, routes with the right queues and perms, and
// the broker gone within 1 s of SIGTERM or SIGKILL and within expiry + 1 s of SIGSTOP.
// Method: spawn the built CLI on 127.0.0.1 and poll the node's HTTP API with deadlines.
import { afterEach, describe, expect, it } from "vitest";
import { runCli, spawnCli, type CliProcess } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

const EXPIRY_MS = 2_000;
const running: CliProcess[] = [];

function spawn(args: string[]): CliProcess {
  const process = spawnCli(args);
  running.push(process);
  return process;
}

async function routeStatus(port: number, topic: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/routes/${topic}`);
  await response.arrayBuffer();
  return response.status;
}

/** Milliseconds until the topic answers `status`. */
async function msUntil(port: number, topic: string, status: number): Promise<number> {
  const started = Date.now();
  await waitFor(`${topic} -> ${status}`, async () => ((await routeStatus(port, topic)) === status ? true : undefined));
  return Date.now() - started;
}

function startBroker(port: number): CliProcess {
  return spawn([
    "broker", "--namesrv", `127.0.0.1:${port}`, "--cluster", "DefaultCluster", "--broker-name", "broker-a",
    "--broker-id", "0", "--addr", "127.0.0.1:10911", "--topic", "TopicA:8", "--topic", "TopicB:4:4", "--heartbeat-ms", "200",
  ]);
}

afterEach(async () => {
  for (const process of running.splice(0)) {
    if (process.child.exitCode === null && process.child.signalCode === null) {
      process.child.kill("SIGCONT");
      process.child.kill("SIGKILL");
    }
    await process.exited;
  }
});

describe("single node", () => {
  it("single node: routes, perms, and eviction on SIGTERM, SIGKILL and SIGSTOP of the broker", async () => {
    const port = await freePort();
    spawn(["start", "--host", "127.0.0.1", "--port", String(port), "--remoting-port", "0", "--broker-expiry-ms", String(EXPIRY_MS)]);
    let broker = startBroker(port);
    await msUntil(port, "TopicA", 200);
    const routeA = await runCli(["route", "TopicA", "--namesrv", `127.0.0.1:${port}`, "--json"]);
    expect(routeA.code).toBe(0);
    const a = JSON.parse(routeA.stdout);
    expect(a.brokerDatas[0].brokerAddrs["0"]).toBe("127.0.0.1:10911");
    expect(a.queueDatas[0]).toMatchObject({ readQueueNums: 8, writeQueueNums: 8, perm: 6 });
    const routeB = JSON.parse((await runCli(["route", "TopicB", "--namesrv", `127.0.0.1:${port}`, "--json"])).stdout);
    expect(routeB.queueDatas[0]).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 4 });
    const missing = await runCli(["route", "NoSuchTopic", "--namesrv", `127.0.0.1:${port}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("NoSuchTopic");

    broker.child.kill("SIGTERM");
    const termMs = await msUntil(port, "TopicA", 404);
    expect((await broker.exited).code).toBe(0);
    console.log(`SIGTERM: gone after ${termMs} ms`);
    expect(termMs).toBeLessThan(1_000);

    broker = startBroker(port);
    await msUntil(port, "TopicA", 200);
    broker.child.kill("SIGKILL");
    const killMs = await msUntil(port, "TopicA", 404);
    console.log(`SIGKILL: gone after ${killMs} ms`);
    expect(killMs).toBeLessThan(1_000);

    broker = startBroker(port);
    await msUntil(port, "TopicA", 200);
    broker.child.kill("SIGSTOP");
    const stopMs = await msUntil(port, "TopicA", 404);
    console.log(`SIGSTOP: gone after ${stopMs} ms (expiry ${EXPIRY_MS} ms)`);
    expect(stopMs).toBeLessThan(EXPIRY_MS + 1_000);
  });
});

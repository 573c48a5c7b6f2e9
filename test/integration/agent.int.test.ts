// Goal: BrokerAgent against real name servers: registers with every node, keeps registering
// through a node restart, unregisters everywhere on stop(); and the `broker` CLI command.
// Method: independent in-process servers (startServer(localConfig())) on 127.0.0.1:0, read
// through node.findRoute; waits poll a condition until a deadline (no fixed sleeps).
import { Command } from "commander";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerAgent, type AgentEvent } from "../../src/broker_agent/agent.js";
import { systemClock } from "../../src/client/scheduler.js";
import { registerClientCommands } from "../../src/cli/client_commands.js";
import { localConfig } from "../../src/config/config.js";
import { SeededRng } from "../../src/core/clock.js";
import { startServer, type RunningServer } from "../../src/server/server.js";

const WAIT_DEADLINE_MS = 10_000;
const POLL_MS = 20;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function server(port = 0): Promise<RunningServer> {
  const running = await startServer(localConfig({ remotingPort: null, port }), { logger: pino({ level: "silent" }) });
  cleanups.push(() => running.close());
  return running;
}

const addrOf = (running: RunningServer): string => `127.0.0.1:${running.httpPort}`;
const routed = (running: RunningServer, topic: string): true | undefined => (running.node.findRoute(topic) ? true : undefined);
const unrouted = (running: RunningServer, topic: string): true | undefined => (running.node.findRoute(topic) ? undefined : true);

function agent(nameServers: string[], events: AgentEvent[] = []): BrokerAgent {
  const a = new BrokerAgent({
    nameServers,
    clusterName: "DefaultCluster",
    brokerName: "broker-a",
    brokerId: 0,
    brokerAddr: "127.0.0.1:10911",
    topics: [
      { topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 },
      { topicName: "TopicB", readQueueNums: 4, writeQueueNums: 4, perm: 4 },
    ],
    heartbeatMs: 100,
    heartbeatTimeoutMs: 1_000,
    clock: systemClock,
    rng: new SeededRng(9),
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => a.stop());
  return a;
}

describe("broker_agent (integration)", () => {
  it("broker_agent: registers with every node and unregisters from all on stop", async () => {
    const nodes = [await server(), await server(), await server()];
    const a = agent(nodes.map(addrOf));
    a.start();
    for (const node of nodes) await waitFor("route on every node", () => routed(node, "TopicB"));
    expect(nodes[0]?.node.findRoute("TopicB")?.queueDatas[0]).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 4 });
    await waitFor("agent saw every answer", () => (a.status().every((s) => s.connected && s.registered) ? true : undefined));
    await a.stop();
    // The unregister answers were awaited, so the routes are gone now, not after expiry.
    for (const node of nodes) expect(node.node.findRoute("TopicA")).toBeNull();
    expect(a.status().every((s) => !s.connected)).toBe(true);
  });

  it("broker_agent: setTopics re-registers everywhere with the new topics", async () => {
    const nodes = [await server(), await server()];
    const a = agent(nodes.map(addrOf));
    a.start();
    for (const node of nodes) await waitFor("TopicA", () => routed(node, "TopicA"));
    a.setTopics([{ topicName: "TopicC", readQueueNums: 2, writeQueueNums: 2, perm: 6 }]);
    for (const node of nodes) {
      await waitFor("TopicC", () => routed(node, "TopicC"));
      await waitFor("TopicA gone", () => unrouted(node, "TopicA"));
    }
  });

  it("broker_agent: a restarted node gets the registration back; the other keeps it throughout", async () => {
    const steady = await server();
    const flaky = await server();
    const events: AgentEvent[] = [];
    const a = agent([addrOf(steady), addrOf(flaky)], events);
    a.start();
    await waitFor("registered on flaky", () => routed(flaky, "TopicA"));
    const port = flaky.httpPort;
    await flaky.close();
    await waitFor("lost event", () => events.find((e) => e.kind === "lost"));
    const restarted = await server(port);
    await waitFor("registered again after restart", () => routed(restarted, "TopicA"));
    expect(events.some((e) => e.kind === "reconnected" && e.addr === `127.0.0.1:${port}`)).toBe(true);
    expect(steady.node.findRoute("TopicA")).not.toBeNull();
  });

  it("broker_agent: the broker CLI command registers, then unregisters on a stop signal and exits 0", async () => {
    const nodes = [await server(), await server()];
    let signal: ((name: string) => void) | null = null;
    const out = { code: null as number | null, stderr: "" };
    const logLines: string[] = [];
    const program = new Command("namesrv").exitOverride();
    registerClientCommands(program, {
      stderr: (s) => (out.stderr += s),
      exit: (code) => (out.code = code),
      onStopSignal: (handler) => {
        signal = handler;
        return () => (signal = null);
      },
      logDestination: { write: (line: string) => logLines.push(line) },
    });
    const running = program.parseAsync([
      "node", "namesrv", "broker",
      "--namesrv", nodes.map(addrOf).join(";"),
      "--cluster", "DefaultCluster",
      "--broker-name", "broker-cli",
      "--broker-id", "0",
      "--addr", "127.0.0.1:10912",
      "--topic", "TopicA:8",
      "--topic", "TopicB:4:4",
      "--heartbeat-ms", "100",
      "--log-level", "info",
    ]);
    for (const node of nodes) await waitFor("cli broker routed", () => routed(node, "TopicB"));
    expect(nodes[1]?.node.findRoute("TopicA")?.queueDatas[0]).toMatchObject({ brokerName: "broker-cli", readQueueNums: 8, perm: 6 });
    const stop = await waitFor("signal handler installed", () => signal ?? undefined);
    stop("SIGTERM");
    await running;
    expect(out).toEqual({ code: 0, stderr: "" });
    for (const node of nodes) expect(node.node.findRoute("TopicA")).toBeNull();
    const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toContain("registered with name server");
    expect(messages).toContain("unregistered from name server");
  });
});

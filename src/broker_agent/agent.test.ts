// Goal: BrokerAgent's registration, heartbeat, re-register, redial and stop logic.
// Method: FakeScheduler (simulated time) + FakeNetwork (scripted nodes) + SeededRng; no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { ConfigError, InvalidArgumentError } from "../errors.js";
import { BROKER_HEARTBEAT_MS, REDIAL_BACKOFF_MS_MAX, REDIAL_BACKOFF_MS_MIN, REDIAL_JITTER_RATIO, REQUEST_TIMEOUT_MS } from "../limits.js";
import { RequestCode } from "../protocol/codes.js";
import { decodeHeartbeat, decodeRegisterBroker, decodeUnregisterBroker } from "../protocol/messages/broker.js";
import { FakeNetwork, FakeScheduler, type FakeNode } from "../client/fake_transport.js";
import { BrokerAgent, checkBrokerAgentOptions, type AgentEvent, type BrokerAgentOptions } from "./agent.js";

const ADDRS = ["10.0.0.1:9877", "10.0.0.2:9877", "10.0.0.3:9877"];
const REGISTER_INTERVAL_MS = 30_000;

function setup(overrides: Partial<BrokerAgentOptions> = {}) {
  const scheduler = new FakeScheduler();
  const network = new FakeNetwork(scheduler);
  const nodes = ADDRS.map((addr, index) => network.addNode(addr, `n${index + 1}`));
  for (const node of nodes) {
    node.handler = (code) => {
      if (code === RequestCode.REGISTER_BROKER) return { ok: { haServerAddr: null, masterAddr: null, orderTopicConfig: {}, contentChanged: true } };
      if (code === RequestCode.HEARTBEAT) return { ok: { registered: true } };
      return { ok: {} };
    };
  }
  const events: AgentEvent[] = [];
  const agent = new BrokerAgent({
    nameServers: ADDRS,
    clusterName: "DefaultCluster",
    brokerName: "broker-a",
    brokerId: 0,
    brokerAddr: "10.1.0.1:10911",
    topics: [{ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 }],
    heartbeatMs: BROKER_HEARTBEAT_MS,
    registerIntervalMs: REGISTER_INTERVAL_MS,
    clock: scheduler,
    rng: new SeededRng(11),
    scheduler,
    dialer: network.dialer,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { scheduler, network, nodes, agent, events };
}

function seqs(node: FakeNode): number[] {
  return node.requests
    .filter((r) => r.code === RequestCode.REGISTER_BROKER || r.code === RequestCode.HEARTBEAT || r.code === RequestCode.UNREGISTER_BROKER)
    .map((r) => (r.body as { seq: number }).seq);
}

describe("broker_agent", () => {
  it("broker_agent: registers with every node, as role broker, with a valid body", async () => {
    const { agent, nodes, scheduler, events } = setup({ heartbeatTimeoutMs: 4_000 });
    agent.start();
    await scheduler.advanceMs(0);
    for (const node of nodes) {
      const [register] = node.requestsOf("REGISTER_BROKER");
      expect(register?.role).toBe("broker");
      const decoded = decodeRegisterBroker(register?.body);
      expect(decoded.registration.dataVersion).toEqual({ timestamp: agent.epoch, counter: 0, stateVersion: 0 });
      expect(decoded.registration.heartbeatTimeoutMs).toBe(4_000);
      expect(decoded.registration.topics).toEqual([{ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0, order: false }]);
      expect(decoded.evidence?.epoch).toBe(scheduler.nowMs());
    }
    expect(events.filter((e) => e.kind === "registered")).toHaveLength(3);
    expect(agent.status().every((s) => s.connected && s.registered)).toBe(true);
  });

  it("broker_agent: heartbeats every heartbeatMs with an increasing seq", async () => {
    const { agent, nodes, scheduler } = setup();
    agent.start();
    await scheduler.advanceMs(5 * BROKER_HEARTBEAT_MS);
    for (const node of nodes) {
      const beats = node.requestsOf("HEARTBEAT").map((r) => decodeHeartbeat(r.body));
      expect(beats).toHaveLength(5);
      expect(beats.every((b) => b.evidence.epoch === agent.epoch && b.brokerAddr === "10.1.0.1:10911")).toBe(true);
      const sequence = seqs(node);
      expect([...sequence].sort((a, b) => a - b)).toEqual(sequence);
      expect(new Set(sequence).size).toBe(sequence.length);
    }
  });

  it("broker_agent: re-registers in full every registerIntervalMs", async () => {
    const { agent, nodes, scheduler } = setup();
    agent.start();
    await scheduler.advanceMs(2 * REGISTER_INTERVAL_MS);
    for (const node of nodes) expect(node.requestsOf("REGISTER_BROKER")).toHaveLength(3);
  });

  it("broker_agent: registers at once when a heartbeat answers registered=false", async () => {
    const { agent, nodes, scheduler } = setup();
    agent.start();
    await scheduler.advanceMs(0);
    const node = nodes[0] as FakeNode;
    const base = node.handler;
    node.handler = (code, body) => (code === RequestCode.HEARTBEAT ? { ok: { registered: false } } : base(code, body));
    await scheduler.advanceMs(BROKER_HEARTBEAT_MS);
    expect(node.requestsOf("REGISTER_BROKER")).toHaveLength(2);
    expect(node.requests.at(-1)?.codeName).toBe("REGISTER_BROKER");
    expect((nodes[1] as FakeNode).requestsOf("REGISTER_BROKER")).toHaveLength(1);
  });

  it("broker_agent: setTopics bumps the dataVersion counter and re-registers everywhere", async () => {
    const { agent, nodes, scheduler } = setup();
    agent.start();
    await scheduler.advanceMs(0);
    agent.setTopics([{ topicName: "TopicB", readQueueNums: 4, writeQueueNums: 4, perm: 4 }]);
    await scheduler.advanceMs(0);
    for (const node of nodes) {
      const last = decodeRegisterBroker(node.requestsOf("REGISTER_BROKER").at(-1)?.body);
      expect(last.registration.dataVersion.counter).toBe(1);
      expect(last.registration.topics.map((t) => [t.topicName, t.perm])).toEqual([["TopicB", 4]]);
    }
    expect(() => agent.setTopics([{ topicName: "bad topic", readQueueNums: 1, writeQueueNums: 1, perm: 6 }])).toThrow(InvalidArgumentError);
  });

  it("broker_agent: redials a lost node with growing jittered backoff and registers again", async () => {
    const { agent, nodes, scheduler, events, network } = setup();
    agent.start();
    await scheduler.advanceMs(0);
    const node = nodes[1] as FakeNode;
    node.down = true;
    const before = scheduler.delaysMs.length;
    node.dropConnections();
    expect(events.filter((e) => e.kind === "lost").map((e) => e.addr)).toEqual([node.addr]);
    await scheduler.advanceMs(20_000);
    const dialsToNode = network.dials.filter((addr) => addr === node.addr).length;
    expect(dialsToNode).toBeGreaterThan(5);
    const redials = scheduler.delaysMs.slice(before).filter((d) => ![BROKER_HEARTBEAT_MS, REQUEST_TIMEOUT_MS, REGISTER_INTERVAL_MS].includes(d));
    redials.forEach((delay, attempt) => {
      const base = Math.min(REDIAL_BACKOFF_MS_MAX, REDIAL_BACKOFF_MS_MIN * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(Math.round(base * (1 + REDIAL_JITTER_RATIO)));
    });
    node.down = false;
    await scheduler.advanceMs(REDIAL_BACKOFF_MS_MAX * 2);
    expect(events.some((e) => e.kind === "reconnected" && e.addr === node.addr)).toBe(true);
    expect(node.requestsOf("REGISTER_BROKER")).toHaveLength(2);
    expect(agent.status().every((s) => s.registered)).toBe(true);
  });

  it("broker_agent: a draining node's close is logged as leaving, not as lost; the others stay registered and it is redialed", async () => {
    const lines: string[] = [];
    const record = (level: string) => (_fields: Record<string, unknown>, msg: string) => void lines.push(`${level} ${msg}`);
    const logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
    const { agent, nodes, scheduler, events } = setup({ logger });
    agent.start();
    await scheduler.advanceMs(0);
    const node = nodes[0] as FakeNode;
    node.down = true;
    node.leave();
    expect(lines).toContain("info name server leaving; redialing it later");
    expect(lines.filter((line) => line.startsWith("warn"))).toEqual([]);
    expect(events.filter((e) => e.kind === "lost").map((e) => e.addr)).toEqual([node.addr]);
    expect(agent.status().filter((s) => s.registered).map((s) => s.addr)).toEqual(ADDRS.slice(1));
    node.down = false;
    await scheduler.advanceMs(REDIAL_BACKOFF_MS_MAX * 2);
    expect(agent.status().every((s) => s.registered)).toBe(true);
  });

  it("broker_agent: a heartbeat timeout drops the connection and redials", async () => {
    const { agent, nodes, scheduler, events } = setup();
    agent.start();
    await scheduler.advanceMs(0);
    const node = nodes[2] as FakeNode;
    const base = node.handler;
    node.handler = (code, body) => (code === RequestCode.HEARTBEAT ? { hang: true } : base(code, body));
    await scheduler.advanceMs(BROKER_HEARTBEAT_MS + REQUEST_TIMEOUT_MS + REDIAL_BACKOFF_MS_MIN * 2);
    expect(events.some((e) => e.kind === "lost" && e.addr === node.addr)).toBe(true);
    expect(node.connections.length).toBeGreaterThanOrEqual(2);
  });

  it("broker_agent: a refused registration is retried slowly, not redialed", async () => {
    const { agent, nodes, scheduler, events, network } = setup();
    const node = nodes[0] as FakeNode;
    node.handler = () => ({ error: new InvalidArgumentError("'topics' bad") });
    agent.start();
    await scheduler.advanceMs(0);
    expect(events.filter((e) => e.kind === "registerFailed")).toHaveLength(1);
    await scheduler.advanceMs(REDIAL_BACKOFF_MS_MAX);
    expect(node.requestsOf("REGISTER_BROKER")).toHaveLength(2);
    expect(network.dials.filter((a) => a === node.addr)).toHaveLength(1);
  });

  it("broker_agent: stop() unregisters from every connected node with bootEpoch and seq+1, then closes", async () => {
    const { agent, nodes, scheduler } = setup();
    agent.start();
    await scheduler.advanceMs(3 * BROKER_HEARTBEAT_MS);
    const lastSeq = agent.lastSeq;
    const stopped = agent.stop();
    await scheduler.advanceMs(0);
    await stopped;
    for (const node of nodes) {
      const [unregister] = node.requestsOf("UNREGISTER_BROKER");
      const decoded = decodeUnregisterBroker(unregister?.body);
      expect(decoded.evidence).toEqual({ epoch: agent.epoch, seq: lastSeq + 1 });
      expect(decoded.brokerName).toBe("broker-a");
      expect(node.openConnections).toHaveLength(0);
    }
    const count = nodes.map((n) => n.requests.length);
    await scheduler.advanceMs(60_000);
    expect(nodes.map((n) => n.requests.length)).toEqual(count);
    expect(scheduler.pendingCount).toBe(0);
  });

  it("broker_agent: stop() waits at most the request timeout for a silent node", async () => {
    const { agent, nodes, scheduler } = setup({ requestTimeoutMs: 500 });
    agent.start();
    await scheduler.advanceMs(0);
    const node = nodes[0] as FakeNode;
    node.handler = () => ({ hang: true });
    let done = false;
    void agent.stop().then(() => (done = true));
    await scheduler.advanceMs(499);
    expect(done).toBe(false);
    await scheduler.advanceMs(1);
    expect(done).toBe(true);
  });

  it("broker_agent: rejects bad options, listing every problem", () => {
    const scheduler = new FakeScheduler();
    let caught: unknown;
    try {
      checkBrokerAgentOptions({
        nameServers: [],
        clusterName: "c 1",
        brokerName: "b",
        brokerId: -1,
        brokerAddr: "nohost",
        topics: [{ topicName: "T", readQueueNums: 8, writeQueueNums: 8, perm: 9 }],
        heartbeatMs: 10,
        heartbeatTimeoutMs: 600,
        clock: scheduler,
        rng: new SeededRng(1),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join("\n");
    for (const needle of ["nameServers", "'clusterName'", "'brokerAddr'", "topics[0].perm", "'brokerId'", "'heartbeatMs'"]) {
      expect(problems).toContain(needle);
    }
  });

  it("broker_agent: a declared timeout below two heartbeats is refused", () => {
    const scheduler = new FakeScheduler();
    expect(() =>
      checkBrokerAgentOptions({
        nameServers: ADDRS,
        clusterName: "c",
        brokerName: "b",
        brokerId: 0,
        brokerAddr: "h:1",
        topics: [],
        heartbeatMs: 1_000,
        heartbeatTimeoutMs: 1_500,
        clock: scheduler,
        rng: new SeededRng(1),
      }),
    ).toThrow(/at least 2 x heartbeatMs/);
  });
});

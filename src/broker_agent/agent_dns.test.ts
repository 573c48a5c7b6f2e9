// Goal: a broker agent with dnsLookup registers with every address its name server entry
// resolves to, follows addresses that appear and vanish, and keeps its registrations through
// failed lookups (RocketMQ 5.1's fetchNameSrvAddrByDnsLookup, but per address).
// Method: a scripted fake resolver, FakeScheduler (simulated time) and FakeNetwork; no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NAME_SERVER_DNS_INTERVAL_MS } from "../client/client_limits.js";
import { FakeNetwork, FakeScheduler } from "../client/fake_transport.js";
import type { Dialer } from "../client/transport.js";
import { RequestCode } from "../protocol/codes.js";
import { FakeResolver } from "../transport/fake_resolver.js";
import { BrokerAgent } from "./agent.js";

function setup(nameServers = ["namesrv:9877"]) {
  const scheduler = new FakeScheduler();
  const network = new FakeNetwork(scheduler);
  for (const [index, ip] of ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"].entries()) {
    network.addNode(`${ip}:9877`, `n${index + 1}`).handler = (code) => {
      if (code === RequestCode.REGISTER_BROKER) return { ok: { haServerAddr: null, masterAddr: null, orderTopicConfig: {}, contentChanged: true } };
      if (code === RequestCode.HEARTBEAT) return { ok: { registered: true } };
      return { ok: {} };
    };
  }
  const tlsNames: (string | undefined)[] = [];
  const dialer: Dialer = (addr, role, events, tlsServerName) => {
    tlsNames.push(tlsServerName);
    return network.dialer(addr, role, events);
  };
  const resolver = new FakeResolver();
  const agent = new BrokerAgent({
    nameServers,
    clusterName: "DefaultCluster",
    brokerName: "broker-a",
    brokerId: 0,
    brokerAddr: "10.1.0.1:10911",
    topics: [{ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 }],
    clock: scheduler,
    rng: new SeededRng(5),
    scheduler,
    dialer,
    dnsLookup: true,
    resolver,
  });
  const registeredWith = () => agent.status().filter((s) => s.registered).map((s) => s.addr).sort();
  const registrations = (ip: string) => network.node(`${ip}:9877`).requestsOf("REGISTER_BROKER").length;
  return { scheduler, network, resolver, agent, tlsNames, registeredWith, registrations };
}

describe("broker_agent dns", () => {
  it("broker_agent: with dnsLookup registers with every address of the name, TLS checked against the name", async () => {
    const { scheduler, resolver, agent, tlsNames, registeredWith } = setup();
    resolver.answer = ["10.0.0.2", "10.0.0.1", "10.0.0.3"];
    agent.start();
    await scheduler.advanceMs(0);
    expect(registeredWith()).toEqual(["10.0.0.1:9877", "10.0.0.2:9877", "10.0.0.3:9877"]);
    expect(tlsNames).toEqual(["namesrv", "namesrv", "namesrv"]);
  });

  it("broker_agent: an address that appears is registered with at the next lookup", async () => {
    const { scheduler, resolver, agent, registeredWith } = setup();
    resolver.answer = ["10.0.0.1"];
    agent.start();
    await scheduler.advanceMs(0);
    resolver.answer = ["10.0.0.1", "10.0.0.4"];
    await scheduler.advanceMs(NAME_SERVER_DNS_INTERVAL_MS - 1);
    expect(registeredWith()).toEqual(["10.0.0.1:9877"]);
    await scheduler.advanceMs(1);
    expect(registeredWith()).toEqual(["10.0.0.1:9877", "10.0.0.4:9877"]);
  });

  it("broker_agent: failed lookups keep every registration and heartbeat going", async () => {
    const { scheduler, resolver, network, agent, registeredWith } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    agent.start();
    await scheduler.advanceMs(0);
    resolver.answer = null;
    const beatsBefore = network.node("10.0.0.2:9877").requestsOf("HEARTBEAT").length;
    await scheduler.advanceMs(3 * NAME_SERVER_DNS_INTERVAL_MS);
    expect(resolver.lookups.length).toBe(4);
    expect(registeredWith()).toEqual(["10.0.0.1:9877", "10.0.0.2:9877"]);
    expect(network.node("10.0.0.2:9877").requestsOf("HEARTBEAT").length).toBeGreaterThan(beatsBefore + 80);
  });

  it("broker_agent: a vanished address keeps its connection until it closes, then is not redialed", async () => {
    const { scheduler, resolver, network, agent, registeredWith } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    agent.start();
    await scheduler.advanceMs(0);
    resolver.answer = ["10.0.0.1"];
    await scheduler.advanceMs(NAME_SERVER_DNS_INTERVAL_MS);
    expect(registeredWith()).toEqual(["10.0.0.1:9877", "10.0.0.2:9877"]);
    const node = network.node("10.0.0.2:9877");
    node.down = true;
    node.dropConnections();
    await scheduler.advanceMs(2 * NAME_SERVER_DNS_INTERVAL_MS);
    expect(network.dials.filter((addr) => addr === node.addr)).toHaveLength(1);
    expect(agent.status().map((s) => s.addr)).toEqual(["10.0.0.1:9877"]);
    // Back in DNS: dialed again.
    node.down = false;
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    await scheduler.advanceMs(NAME_SERVER_DNS_INTERVAL_MS);
    expect(registeredWith()).toEqual(["10.0.0.1:9877", "10.0.0.2:9877"]);
  });

  it("broker_agent: an unreachable address that vanishes is no longer dialed", async () => {
    const { scheduler, resolver, network, agent } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.9"];
    agent.start();
    await scheduler.advanceMs(NAME_SERVER_DNS_INTERVAL_MS - 1);
    expect(network.dials.filter((addr) => addr === "10.0.0.9:9877").length).toBeGreaterThan(3);
    resolver.answer = ["10.0.0.1"];
    await scheduler.advanceMs(1);
    const dials = network.dials.filter((addr) => addr === "10.0.0.9:9877").length;
    await scheduler.advanceMs(2 * NAME_SERVER_DNS_INTERVAL_MS);
    expect(network.dials.filter((addr) => addr === "10.0.0.9:9877")).toHaveLength(dials);
    expect(agent.status().map((s) => s.addr)).toEqual(["10.0.0.1:9877"]);
  });

  it("broker_agent: an IP literal entry is used as it is, never looked up, TLS checked against the host", async () => {
    const { scheduler, resolver, agent, tlsNames, registeredWith } = setup(["10.0.0.3:9877"]);
    agent.start();
    await scheduler.advanceMs(NAME_SERVER_DNS_INTERVAL_MS);
    expect(resolver.lookups.length).toBe(0);
    expect(registeredWith()).toEqual(["10.0.0.3:9877"]);
    expect(tlsNames).toEqual([undefined]);
  });

  it("broker_agent: stop() unregisters from every resolved address and stops resolving", async () => {
    const { scheduler, resolver, network, agent } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    agent.start();
    await scheduler.advanceMs(0);
    const stopped = agent.stop();
    await scheduler.advanceMs(0);
    await stopped;
    for (const ip of ["10.0.0.1", "10.0.0.2"]) expect(network.node(`${ip}:9877`).requestsOf("UNREGISTER_BROKER")).toHaveLength(1);
    const lookups = resolver.lookups.length;
    await scheduler.advanceMs(3 * NAME_SERVER_DNS_INTERVAL_MS);
    expect(resolver.lookups.length).toBe(lookups);
  });
});

// Goal: the wiring of DNS discovery in real servers and a real broker agent. A node given only
// `peerDns` (a name that also lists itself, as a headless Service does) joins two nodes that
// know each other: they see it as a peer, it serves what they route; failed lookups keep every
// link and are counted; an agent with dnsLookup given only the name registers with all three.
// Method: three in-process servers on 127.0.0.2..4 sharing one port, the name answered by a
// fake resolver injected into the server and the agent; every wait has a deadline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerAgent } from "../../src/broker_agent/agent.js";
import { systemClock, systemRng } from "../../src/client/scheduler.js";
import { localConfig } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { FakeResolver } from "../../src/transport/fake_resolver.js";
import { freePort } from "./helpers/ports.js";
import { waitFor } from "./helpers/wait.js";

// Not 127.0.0.1: config takes 127.0.0.1:port for the node's own address whatever its host.
const IPS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
/** Peer DNS resolves every PEER_DNS_INTERVAL_MS (5 s): a change shows within one interval and a link. */
const DNS_DEADLINE_MS = 12_000;

const resolver = new FakeResolver();
const servers: RunningServer[] = [];
let port = 0;
let agent: BrokerAgent | null = null;

const upPeers = (server: RunningServer) => server.node.peerStates().filter((peer) => peer.up).map((peer) => peer.peerId).sort();

beforeAll(async () => {
  port = await freePort();
  resolver.answer = IPS;
  const base = { port, startupGraceMs: 3_000 };
  servers.push(await startServer(localConfig({ ...base, id: "n1", host: IPS[0], peers: [`${IPS[1]}:${port}`] })));
  servers.push(await startServer(localConfig({ ...base, id: "n2", host: IPS[1], peers: [`${IPS[0]}:${port}`] })));
  servers.push(await startServer(localConfig({ ...base, id: "n3", host: IPS[2], peerDns: [`namesrv:${port}`] }), { resolver }));
});

afterAll(async () => {
  await agent?.stop();
  await Promise.all(servers.map((server) => server.close()));
});

describe("peer dns (integration)", () => {
  it("peer dns: a node that knows only the name joins; the others see it as a peer", async () => {
    const [n1, n2, n3] = servers as [RunningServer, RunningServer, RunningServer];
    await waitFor("n3 links n1 and n2", () => (upPeers(n3).join() === "n1,n2" ? true : undefined), DNS_DEADLINE_MS);
    // They dial it back at the address its hello advertises (127.0.0.4:port), and count it up.
    await waitFor("n1 and n2 see n3", () => (upPeers(n1).includes("n3") && upPeers(n2).includes("n3") ? true : undefined), DNS_DEADLINE_MS);
    await waitFor("n3 ready", () => (n3.node.isReady() ? true : undefined), DNS_DEADLINE_MS);
    // It is in the record itself, but never links to itself.
    expect(upPeers(n3)).toEqual(["n1", "n2"]);
  });

  it("peer dns: an agent with dnsLookup given only the name registers with every node", async () => {
    agent = new BrokerAgent({
      nameServers: [`namesrv:${port}`],
      dnsLookup: true,
      resolver,
      clusterName: "C",
      brokerName: "b-dns",
      brokerId: 0,
      brokerAddr: "10.9.0.1:10911",
      topics: [{ topicName: "TopicDns", readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
      clock: systemClock,
      rng: systemRng(),
    });
    agent.start();
    const registered = () => agent?.status().filter((link) => link.registered).map((link) => link.nodeId).sort().join();
    await waitFor("agent registered with n1, n2, n3", () => (registered() === "n1,n2,n3" ? true : undefined));
    for (const server of servers) {
      await waitFor(`${server.config.id} routes TopicDns`, () => (server.node.findRoute("TopicDns") !== null ? true : undefined));
    }
  });

  it("peer dns: failed lookups keep every link and are counted", async () => {
    const n3 = servers[2] as RunningServer;
    resolver.answer = null;
    const failures = async () => Number(/namesrv_peer_dns_lookup_failures_total\{name="namesrv:\d+"\} (\d+)/.exec(await n3.metrics.registry.metrics())?.[1] ?? 0);
    await waitFor("a failed lookup counted", async () => ((await failures()) >= 1 ? true : undefined), DNS_DEADLINE_MS);
    expect(upPeers(n3)).toEqual(["n1", "n2"]);
    resolver.answer = IPS;
  });
});

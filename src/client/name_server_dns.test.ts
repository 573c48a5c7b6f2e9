// Goal: a route client with dnsLookup reaches any address its name server entry resolves to
// (skipping one that refuses), checks TLS against the name, follows the answer as it changes,
// and falls back to the addresses it had when a lookup fails.
// Method: RouteClient over FakeNetwork with a scripted fake resolver and FakeScheduler; no sockets.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import type { TopicRouteData } from "../model/types.js";
import { RequestCode } from "../protocol/codes.js";
import { FakeResolver } from "../transport/fake_resolver.js";
import { NameServersUnavailableError } from "./client_errors.js";
import { FakeNetwork, FakeScheduler } from "./fake_transport.js";
import { RouteClient } from "./route_client.js";
import type { Dialer } from "./transport.js";

function route(brokerName: string): TopicRouteData {
  return {
    queueDatas: [{ brokerName, readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0 }],
    brokerDatas: [{ cluster: "c1", brokerName, brokerAddrs: { "0": "10.1.0.1:10911" }, enableActingMaster: false }],
    filterServerTable: {},
  };
}

function setup(seed = 1) {
  const scheduler = new FakeScheduler();
  const network = new FakeNetwork(scheduler);
  for (const [index, ip] of ["10.0.0.1", "10.0.0.2", "10.0.0.3"].entries()) {
    const node = network.addNode(`${ip}:9877`, `n${index + 1}`);
    node.handler = (code) => (code === RequestCode.GET_ROUTE ? { ok: route(node.nodeId) } : { ok: {} });
  }
  const tlsNames: (string | undefined)[] = [];
  const dialer: Dialer = (addr, role, events, tlsServerName) => {
    tlsNames.push(tlsServerName);
    return network.dialer(addr, role, events);
  };
  const resolver = new FakeResolver();
  const client = new RouteClient({ nameServers: ["namesrv:9877"], clock: scheduler, rng: new SeededRng(seed), scheduler, dialer, cacheMs: 0, dnsLookup: true, resolver });
  /** Asks for the route with a fresh connection each time (the node that answered, by broker name). */
  const askFresh = async (): Promise<string> => {
    const answer = await client.getRoute("TopicA");
    client.close();
    return answer.brokerDatas[0]?.brokerName ?? "";
  };
  return { scheduler, network, resolver, client, tlsNames, askFresh };
}

describe("name_server_dns", () => {
  it("name_server_dns: a route client with dnsLookup reaches the nodes behind one name, TLS checked against it", async () => {
    const answered = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const { resolver, client, tlsNames, network } = setup(seed);
      resolver.answer = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
      const answer = await client.getRoute("TopicA");
      answered.add(answer.brokerDatas[0]?.brokerName ?? "");
      expect(client.connectedAddr).toBe("namesrv:9877");
      expect(tlsNames).toEqual(["namesrv"]);
      expect(network.dials).toHaveLength(1);
      client.close();
    }
    // Any of them may answer: over a dozen clients, more than one did.
    expect(answered.size).toBeGreaterThan(1);
  });

  it("name_server_dns: an address that refuses is skipped for the next one of the answer", async () => {
    const { resolver, network, askFresh } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    network.node("10.0.0.1:9877").down = true;
    expect(await askFresh()).toBe("n2");
  });

  it("name_server_dns: every dial resolves again; a failed lookup uses the addresses it had", async () => {
    const { resolver, network, client } = setup();
    resolver.answer = ["10.0.0.3"];
    expect((await client.getRoute("TopicA")).brokerDatas[0]?.brokerName).toBe("n3");
    network.node("10.0.0.3:9877").dropConnections();
    resolver.answer = ["10.0.0.2"];
    expect((await client.getRoute("TopicA")).brokerDatas[0]?.brokerName).toBe("n2");
    network.node("10.0.0.2:9877").dropConnections();
    resolver.answer = null;
    expect((await client.getRoute("TopicA")).brokerDatas[0]?.brokerName).toBe("n2");
    expect(resolver.lookups.length).toBe(3);
  });

  it("name_server_dns: a name that never resolved fails as unavailable, naming the entry", async () => {
    const { resolver, client } = setup();
    resolver.answer = null;
    const error = await client.getRoute("TopicA").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NameServersUnavailableError);
    expect((error as Error).message).toContain("name server 'namesrv:9877' does not resolve: getaddrinfo ENOTFOUND namesrv");
  });
});

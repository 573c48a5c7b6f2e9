// Goal: over the RocketMQ remoting port, a broker registered with one node is routed by another,
// and its crash is evicted there too (what independent Java name servers cannot do); a real
// RocketMQ client from npm (ali-ons) reads remoting- and agent-registered brokers on every node.
// Method: spawn two built CLI nodes peered over WebSocket; a raw-socket remoting broker (built
// with the codec) registers on node 1; node 2's remoting port is polled with a deadline.
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import * as rm from "../../src/protocol/remoting/index.js";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { onsClientApi, silentOnsLogger } from "./helpers/ons.js";
import { freePort } from "./helpers/ports.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const running: CliProcess[] = [];

afterEach(async () => {
  for (const node of running.splice(0)) {
    node.child.kill("SIGKILL");
    await node.exited;
  }
});

/** One request on its own connection; resolves with the reply. */
async function ask(port: number, cmd: Partial<rm.RemotingCommand> & { code: number }, socket?: net.Socket): Promise<rm.RemotingCommand> {
  const own = socket ?? net.connect({ host: "127.0.0.1", port });
  own.on("error", () => undefined);
  const decoder = new rm.RemotingFrameDecoder();
  const reply = new Promise<rm.RemotingCommand>((resolve) => {
    const onData = (chunk: Buffer): void => {
      const [first] = decoder.push(chunk);
      if (first === undefined) return;
      own.off("data", onData);
      resolve(first);
    };
    own.on("data", onData);
  });
  const full: rm.RemotingCommand = { language: 0, version: 479, opaque: 1, flag: 0, extFields: {}, serializeType: 0, ...cmd };
  own.write(rm.encodeCommand(full));
  try {
    return await withDeadline(`reply to code ${cmd.code} on :${port}`, reply);
  } finally {
    if (socket === undefined) own.destroy();
  }
}

describe("remoting across nodes", () => {
  it("remoting: a broker registered on node 1 is routed by node 2 and its crash is evicted there", async () => {
    const http = [await freePort(), await freePort()];
    const remoting = [await freePort(), await freePort()];
    for (const index of [0, 1]) {
      const node = spawnCli([
        "start", "--id", `r${index + 1}`, "--host", "127.0.0.1",
        "--port", String(http[index]), "--remoting-port", String(remoting[index]),
        "--peer", `127.0.0.1:${http[1 - index]}`,
      ]);
      running.push(node);
      await node.waitForLog("listening");
    }
    const [port1, port2] = remoting as [number, number];
    // Ready means node 2 answers routes at all (TOPIC_NOT_EXIST, not "name server not ready").
    await waitFor("node 2 ready", async () => ((await ask(port2, { code: 105, extFields: { topic: "X" } })).code === 17 ? true : undefined));

    const broker = net.connect({ host: "127.0.0.1", port: port1 });
    await withDeadline("broker connect", new Promise<void>((resolve) => broker.once("connect", () => resolve())));
    const body = rm.encodeRegisterBrokerBody({
      topicConfigSerializeWrapper: {
        // With TBW102, as real brokers register: RocketMQ refuses a first registration of one topic.
        topicConfigTable: new Map(
          ["Replicated", "TBW102"].map((topicName) => [
            topicName,
            { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() },
          ]),
        ),
        dataVersion: { counter: 1, stateVersion: 0, timestamp: 1 },
        topicQueueMappingInfoMap: new Map(),
      },
      filterServerList: [],
    });
    const ext = { brokerName: "broker-r", brokerAddr: "127.0.0.1:30911", clusterName: "R", brokerId: "0", haServerAddr: "127.0.0.1:30912" };
    const registered = performance.now();
    expect((await ask(port1, { code: 103, extFields: { ...ext, bodyCrc32: String(rm.bodyCrc32(body)) }, body }, broker)).code).toBe(0);
    const route = await waitFor("route on node 2", async () => {
      const reply = await ask(port2, { code: 105, extFields: { topic: "Replicated" } });
      return reply.code === 0 ? reply : undefined;
    }, 1_000);
    console.log(`remoting: route on node 2 after ${(performance.now() - registered).toFixed(0)} ms`);
    expect(rm.decodeTopicRouteData(route.body).brokerDatas[0]?.brokerAddrs.get(0)).toBe("127.0.0.1:30911");

    const crashed = performance.now();
    broker.destroy();
    await waitFor("eviction on node 2", async () => {
      const reply = await ask(port2, { code: 105, extFields: { topic: "Replicated" } });
      return reply.code === 17 ? true : undefined;
    }, 1_000);
    console.log(`remoting: crash evicted on node 2 after ${(performance.now() - crashed).toFixed(0)} ms`);
  });

  it("remoting: ali-ons reads every node of a three-node cluster: a remoting broker on node 1 only, an agent on node 2 only", async () => {
    const http = [await freePort(), await freePort(), await freePort()];
    const remoting = [await freePort(), await freePort(), await freePort()];
    for (const index of [0, 1, 2]) {
      const peers = http.filter((_, other) => other !== index).map((port) => `127.0.0.1:${port}`);
      const node = spawnCli([
        "start", "--id", `t${index + 1}`, "--host", "127.0.0.1", "--port", String(http[index]),
        "--remoting-port", String(remoting[index]), "--peer", peers.join(","),
      ]);
      running.push(node);
      await node.waitForLog("listening");
    }
    for (const port of remoting) {
      await waitFor(`node :${port} ready`, async () => ((await ask(port, { code: 105, extFields: { topic: "X" } })).code === 17 ? true : undefined));
    }
    const broker = net.connect({ host: "127.0.0.1", port: remoting[0] as number });
    await withDeadline("broker connect", new Promise<void>((resolve) => broker.once("connect", () => resolve())));
    const body = rm.encodeRegisterBrokerBody({
      topicConfigSerializeWrapper: {
        // With TBW102, as real brokers register: RocketMQ refuses a first registration of one topic.
        topicConfigTable: new Map(
          ["ViaRemoting", "TBW102"].map((topicName) => [
            topicName,
            { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() },
          ]),
        ),
        dataVersion: { counter: 1, stateVersion: 0, timestamp: 1 },
        topicQueueMappingInfoMap: new Map(),
      },
      filterServerList: [],
    });
    const ext = { brokerName: "broker-rm", brokerAddr: "127.0.0.1:31911", clusterName: "T", brokerId: "0", haServerAddr: "127.0.0.1:31912" };
    expect((await ask(remoting[0] as number, { code: 103, extFields: { ...ext, bodyCrc32: String(rm.bodyCrc32(body)) }, body }, broker)).code).toBe(0);
    const agent = spawnCli([
      "broker", "--namesrv", `127.0.0.1:${http[1]}`, "--cluster", "T", "--broker-name", "broker-native", "--broker-id", "0",
      "--addr", "127.0.0.1:32911", "--topic", "ViaAgent:2", "--heartbeat-ms", "200",
    ]);
    running.push(agent);

    const MQClientAPI = onsClientApi();
    try {
      for (const port of remoting) {
        const api = new MQClientAPI({ nameSrv: [`127.0.0.1:${port}`], httpclient: {}, logger: silentOnsLogger, responseTimeout: 3_000 });
        api.on("error", () => undefined);
        await api.ready();
        try {
          const viaRemoting = await waitFor(`ViaRemoting on :${port}`, () => api.getTopicRouteInfoFromNameServer("ViaRemoting", 3_000).catch(() => undefined));
          expect(viaRemoting.brokerDatas[0]?.brokerAddrs["0"]).toBe("127.0.0.1:31911");
          const viaAgent = await waitFor(`ViaAgent on :${port}`, () => api.getTopicRouteInfoFromNameServer("ViaAgent", 3_000).catch(() => undefined));
          expect(viaAgent.brokerDatas[0]?.brokerAddrs["0"]).toBe("127.0.0.1:32911");
          expect(viaAgent.queueDatas[0]?.readQueueNums).toBe(2);
          const missing = await api.getTopicRouteInfoFromNameServer("NoSuchTopic", 3_000).then(() => null, (error: { code?: number }) => error);
          expect(missing?.code).toBe(17);
          console.log(`remoting: ali-ons on :${port} routed ViaRemoting and ViaAgent; NoSuchTopic -> ${missing?.code}`);
        } finally {
          await api.close();
        }
      }
    } finally {
      broker.destroy();
    }
  });
});

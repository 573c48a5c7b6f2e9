// Goal: liveness follows the registering connection (issue: the remoting port is no back
// door). An UNREGISTER_BROKER for a broker sent from any other connection, remoting or native,
// to any node, is answered as for an unknown broker and changes nothing anywhere; the broker's
// own unregistration still removes it everywhere at once.
// Method: two built CLI nodes peered over WebSocket; a broker agent heartbeating to both and a
// raw remoting broker registered on node 1; spoofed 104s from fresh remoting connections to
// both nodes and a spoofed native UNREGISTER_BROKER; then a KV put on node 2 as a gossip
// barrier (deltas on one link are ordered: once node 1 has the put, it has anything node 2
// sent before it), and every route checked on both nodes.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/errors.js";
import { RequestCode } from "../../src/protocol/codes.js";
import * as rm from "../../src/protocol/remoting/index.js";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { openNative } from "./helpers/native.js";
import { freePort } from "./helpers/ports.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const running: CliProcess[] = [];
const http: number[] = [];
const remoting: number[] = [];
const AGENT = { clusterName: "C", brokerAddr: "10.0.0.9:10911", brokerName: "agent-a" };
const REMOTE = { clusterName: "C", brokerAddr: "127.0.0.1:30911", brokerName: "remote-r" };
let brokerSocket: net.Socket;

/** One request on a socket; resolves with the reply. */
async function ask(socket: net.Socket, cmd: Partial<rm.RemotingCommand> & { code: number }): Promise<rm.RemotingCommand> {
  const decoder = new rm.RemotingFrameDecoder();
  const reply = new Promise<rm.RemotingCommand>((resolve) => {
    const onData = (chunk: Buffer): void => {
      const [first] = decoder.push(chunk);
      if (first === undefined) return;
      socket.off("data", onData);
      resolve(first);
    };
    socket.on("data", onData);
  });
  socket.write(rm.encodeCommand({ language: 0, version: 479, opaque: 1, flag: 0, extFields: {}, serializeType: 0, ...cmd }));
  return withDeadline(`reply to ${cmd.code}`, reply);
}

function connect(port: number): net.Socket {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined);
  return socket;
}

async function routed(port: number, topic: string): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${port}/v1/routes/${topic}`)).status === 200;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

beforeAll(async () => {
  for (let index = 0; index < 2; index++) {
    http.push(await freePort());
    remoting.push(await freePort());
  }
  for (let index = 0; index < 2; index++) {
    const node = spawnCli([
      "start", "--id", `s${index + 1}`, "--host", "127.0.0.1", "--port", String(http[index]),
      "--remoting-port", String(remoting[index]), "--peer", `127.0.0.1:${http[1 - index]}`,
    ]);
    running.push(node);
  }
  for (const port of http) await waitFor(`:${port} ready`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined));
  running.push(
    spawnCli([
      "broker", "--namesrv", http.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", AGENT.clusterName,
      "--broker-name", AGENT.brokerName, "--broker-id", "0", "--addr", AGENT.brokerAddr, "--heartbeat-ms", "200", "--topic", "TopicAgent",
    ]),
  );
  brokerSocket = connect(remoting[0] as number);
  const body = rm.encodeRegisterBrokerBody({
    topicConfigSerializeWrapper: {
      topicConfigTable: new Map(
        ["TopicRemote", "TBW102"].map((topicName) => [
          topicName,
          { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() },
        ]),
      ),
      dataVersion: { counter: 1, stateVersion: 0, timestamp: 1_700_000_000_000 },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  });
  const ext = { ...REMOTE, brokerId: "0", haServerAddr: "127.0.0.1:30912", bodyCrc32: String(rm.bodyCrc32(body)) };
  expect((await ask(brokerSocket, { code: 103, extFields: ext, body })).code).toBe(0);
  for (const port of http) {
    for (const topic of ["TopicAgent", "TopicRemote"]) await waitFor(`${topic} on :${port}`, async () => ((await routed(port, topic)) ? true : undefined));
  }
});

afterAll(async () => {
  brokerSocket?.destroy();
  for (const process of running) {
    process.child.kill("SIGKILL");
    await process.exited;
  }
});

describe("spoofed unregistration", () => {
  it("spoof: 104 from other remoting connections and a native UNREGISTER from another connection change nothing on any node", async () => {
    const [node1, node2] = remoting as [number, number];
    const rogue2 = connect(node2);
    const rogue1 = connect(node1);
    for (const target of [AGENT, REMOTE]) {
      const header = { ...target, brokerId: "0" };
      expect((await ask(rogue2, { code: 104, extFields: header })).code).toBe(0);
      expect((await ask(rogue1, { code: 104, extFields: header })).code).toBe(0);
    }
    const native = await openNative(http[1] as number);
    expect((await native.hello("broker")).code).toBe(ErrorCode.OK);
    for (const target of [AGENT, REMOTE]) {
      const answer = await native.request(RequestCode.UNREGISTER_BROKER, { ...target, brokerId: 0 });
      expect(answer.code).toBe(ErrorCode.OK);
    }
    await native.close();
    // Gossip barrier: a put after the spoofs, on node 2's ordered link to node 1.
    expect((await ask(rogue2, { code: 100, extFields: { namespace: "barrier", key: "k", value: "after-spoofs" } })).code).toBe(0);
    await waitFor("the barrier on node 1", async () => {
      const response = await fetch(`http://127.0.0.1:${http[0]}/v1/kv/barrier/k`);
      return response.status === 200 ? true : undefined;
    });
    rogue1.destroy();
    rogue2.destroy();
    for (const port of http) {
      expect(await routed(port, "TopicAgent"), `agent on :${port}`).toBe(true);
      expect(await routed(port, "TopicRemote"), `remote broker on :${port}`).toBe(true);
    }
    expect(await metric(http[1] as number, "namesrv_unregistrations_refused_total")).toBeGreaterThanOrEqual(4);
    expect(await metric(http[0] as number, "namesrv_unregistrations_refused_total")).toBeGreaterThanOrEqual(1);
    console.log(
      `spoofed unregistrations refused: node 1 ${await metric(http[0] as number, "namesrv_unregistrations_refused_total")}, ` +
        `node 2 ${await metric(http[1] as number, "namesrv_unregistrations_refused_total")}; both brokers still routed on both nodes`,
    );
  });

  it("spoof: the broker's own unregistration still removes it from every node at once", async () => {
    expect((await ask(brokerSocket, { code: 104, extFields: { ...REMOTE, brokerId: "0" } })).code).toBe(0);
    for (const port of http) await waitFor(`remote broker gone on :${port}`, async () => ((await routed(port, "TopicRemote")) ? undefined : true));
    for (const port of http) expect(await routed(port, "TopicAgent")).toBe(true);
  });
});

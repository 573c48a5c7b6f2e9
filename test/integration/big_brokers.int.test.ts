// Goal: brokers of the sizes RocketMQ users run are routed by every node: 60,000 topics in one
// REGISTER_BROKER (given to one node only, so replication carries it), and 100,000 topics sent
// as a 5.x broker with enableSplitRegistration does (800-topic chunks, one DataVersion) to all
// three nodes; then one incremental registration adds a topic and removes none.
// Method: three built CLI nodes peered over WebSocket; raw remoting connections built with the
// codec; GET_ALL_TOPIC_LIST (206) and GET_ROUTEINFO_BY_TOPIC (105) polled with a deadline.
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as rm from "../../src/protocol/remoting/index.js";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const SINGLE_TOPICS = 60_000;
const SPLIT_TOPICS = 100_000;
/** RocketMQ's splitRegistrationSize. */
const SPLIT_SIZE = 800;
const REPLICATED_MS_MAX = 60_000;

/** A remoting connection that sends requests one at a time and matches replies by opaque. */
class RemotingConnection {
  private readonly socket: net.Socket;
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly pending = new Map<number, (reply: rm.RemotingCommand) => void>();
  private opaque = 0;

  constructor(port: number) {
    this.socket = net.connect({ host: "127.0.0.1", port });
    this.socket.on("error", () => undefined);
    this.socket.on("data", (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        this.pending.get(frame.opaque)?.(frame);
        this.pending.delete(frame.opaque);
      }
    });
  }

  request(cmd: Partial<rm.RemotingCommand> & { code: number }, deadlineMs = 20_000): Promise<rm.RemotingCommand> {
    const opaque = ++this.opaque;
    const reply = new Promise<rm.RemotingCommand>((resolve) => this.pending.set(opaque, resolve));
    const full: rm.RemotingCommand = { language: 0, version: 479, opaque, flag: 0, extFields: {}, serializeType: 0, ...cmd };
    this.socket.write(rm.encodeCommand(full));
    return withDeadline(`reply to code ${cmd.code}`, reply, deadlineMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

function topicConfig(topicName: string): rm.TopicConfig {
  return { topicName, readQueueNums: 8, writeQueueNums: 8, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() };
}

function registerCommand(brokerName: string, port: number, names: readonly string[], counter: number): Partial<rm.RemotingCommand> & { code: number } {
  const body = rm.encodeRegisterBrokerBody({
    topicConfigSerializeWrapper: {
      topicConfigTable: new Map(names.map((name) => [name, topicConfig(name)])),
      dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  });
  const ext = { brokerName, brokerAddr: `127.0.0.1:${port}`, clusterName: "Big", brokerId: "0", haServerAddr: `127.0.0.1:${port + 1}` };
  return { code: 103, extFields: { ...ext, bodyCrc32: String(rm.bodyCrc32(body)) }, body };
}

describe("big brokers", () => {
  const nodes: CliProcess[] = [];
  const remoting: number[] = [];
  const connections: RemotingConnection[] = [];

  beforeAll(async () => {
    const http = [await freePort(), await freePort(), await freePort()];
    for (let index = 0; index < 3; index++) remoting.push(await freePort());
    for (let index = 0; index < 3; index++) {
      const peers = http.filter((_, other) => other !== index).flatMap((port) => ["--peer", `127.0.0.1:${port}`]);
      const node = spawnCli(["start", "--id", `big${index + 1}`, "--host", "127.0.0.1", "--port", String(http[index]), "--remoting-port", String(remoting[index]), ...peers]);
      nodes.push(node);
    }
    for (const node of nodes) await node.waitForLog("listening");
    for (const port of remoting) connections.push(new RemotingConnection(port));
    for (const connection of connections) {
      await waitFor("node ready", async () => ((await connection.request({ code: 105, extFields: { topic: "X" } })).code === 17 ? true : undefined));
    }
  });

  afterAll(async () => {
    for (const connection of connections) connection.close();
    for (const node of nodes) {
      node.child.kill("SIGKILL");
      await node.exited;
    }
  });

  async function topicCount(connection: RemotingConnection): Promise<number> {
    const reply = await connection.request({ code: 206 });
    return rm.decodeTopicList(reply.body).topicList.length;
  }

  it("big brokers: 60,000 topics in one registration on one node and 100,000 by split registration are routed by all three nodes", async () => {
    const single = Array.from({ length: SINGLE_TOPICS }, (_, index) => `Single_${index}`);
    const split = Array.from({ length: SPLIT_TOPICS }, (_, index) => `Split_${index}`);
    const started = performance.now();
    const [first] = connections as [RemotingConnection];
    const bytes = registerCommand("single", 40911, [...single, "TBW102"], 1);
    expect((await first.request(bytes, 60_000)).code).toBe(0);
    const singleMs = performance.now() - started;
    const splitStarted = performance.now();
    for (const connection of connections) {
      for (let start = 0; start < split.length; start += SPLIT_SIZE) {
        const reply = await connection.request(registerCommand("split", 41911, split.slice(start, start + SPLIT_SIZE), 1));
        expect(reply.code).toBe(0);
      }
    }
    const splitMs = performance.now() - splitStarted;
    const expected = SINGLE_TOPICS + SPLIT_TOPICS + 1;
    const counts = await waitFor(
      "every node routes every topic",
      async () => {
        const seen = await Promise.all(connections.map(topicCount));
        return seen.every((count) => count === expected) ? seen : undefined;
      },
      REPLICATED_MS_MAX,
    );
    const everywhereMs = performance.now() - started;
    console.log(
      `60,000-topic registration answered in ${singleMs.toFixed(0)} ms; 100,000 topics in ${SPLIT_TOPICS / SPLIT_SIZE} chunks to 3 nodes in ${splitMs.toFixed(0)} ms; ` +
        `every node routes all ${expected} topics ${everywhereMs.toFixed(0)} ms after the first request (${counts.join(", ")})`,
    );
    for (const connection of connections) {
      for (const topic of ["Single_0", `Single_${SINGLE_TOPICS - 1}`, "Split_0", `Split_${SPLIT_TOPICS - 1}`]) {
        expect((await connection.request({ code: 105, extFields: { topic } })).code).toBe(0);
      }
    }

    // A 5.x broker creates a topic: an incremental registration holds only it, with a new version.
    const incremental = await first.request(registerCommand("single", 40911, ["Created"], 2));
    expect(incremental.code).toBe(0);
    await waitFor("the created topic everywhere", async () => {
      const seen = await Promise.all(connections.map(topicCount));
      return seen.every((count) => count === expected + 1) ? true : undefined;
    });
    for (const connection of connections) {
      expect((await connection.request({ code: 105, extFields: { topic: `Single_${SINGLE_TOPICS - 1}` } })).code).toBe(0);
    }
  }, 180_000);
});

// Goal: RocketMQ brokers and clients can use our remoting port unchanged.
// Method: a real in-process server (startServer, loopback, free ports). A test broker speaks
// remoting over a raw TCP socket built with the codec (JSON headers, binary headers, a compressed
// 4.x body); ali-ons (a pure-JS RocketMQ client from npm) queries routes; fast-check feeds
// thousands of random and mutated frames. Waits poll with a deadline; no fixed sleeps.
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localConfig } from "../../src/config/config.js";
import { SeededRng } from "../../src/core/clock.js";
import { NameServerNode, defaultNodeOptions } from "../../src/core/node.js";
import * as rm from "../../src/protocol/remoting/index.js";
import { startRemotingListener } from "../../src/remoting/remoting_server.js";
import { systemClock } from "../../src/server/clock.js";
import { NodeHost } from "../../src/host/node_host.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { onsClientApi, silentOnsLogger } from "./helpers/ons.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const quietLogger = pino({ level: "silent" });

type RequestInput = Partial<rm.RemotingCommand> & { code: number };

/** A remoting peer over a raw socket: encodes requests with the codec, matches replies by opaque. */
class RawRemoting {
  readonly responses: rm.RemotingCommand[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new rm.RemotingFrameDecoder();
  private readonly waiters = new Map<number, (cmd: rm.RemotingCommand) => void>();
  private nextOpaque = 1;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      for (const cmd of this.decoder.push(chunk)) {
        this.responses.push(cmd);
        this.waiters.get(cmd.opaque)?.(cmd);
      }
    });
  }

  static async connect(port: number): Promise<RawRemoting> {
    const socket = net.connect({ host: "127.0.0.1", port });
    await withDeadline("remoting connect", new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    }));
    return new RawRemoting(socket);
  }

  command(input: RequestInput): rm.RemotingCommand {
    return {
      language: rm.LanguageCode.JAVA,
      version: rm.MQVersion.CURRENT,
      opaque: this.nextOpaque++,
      flag: 0,
      extFields: {},
      serializeType: rm.SerializeType.JSON,
      ...input,
    };
  }

  request(input: RequestInput): Promise<rm.RemotingCommand> {
    const cmd = this.command(input);
    const answer = new Promise<rm.RemotingCommand>((resolve) => this.waiters.set(cmd.opaque, resolve));
    this.socket.write(rm.encodeCommand(cmd));
    return withDeadline(`response to code ${cmd.code} opaque ${cmd.opaque}`, answer);
  }

  oneway(input: RequestInput): void {
    this.socket.write(rm.encodeCommand(this.command({ ...input, flag: rm.RemotingFlag.ONEWAY })));
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

function topicConfig(name: string, queues = 8): rm.TopicConfig {
  return {
    topicName: name,
    readQueueNums: queues,
    writeQueueNums: queues,
    perm: 6,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
    attributes: new Map(),
  };
}

/** Real brokers always register the auto-create template TBW102 too, and RocketMQ refuses a
 * first registration of exactly one topic (ROCKETMQ.md §4.3 step 7): every body carries it. */
function registerBody(topics: string[], counter: number): rm.RegisterBrokerBody {
  return {
    topicConfigSerializeWrapper: {
      topicConfigTable: new Map([...topics, "TBW102"].map((t) => [t, topicConfig(t)])),
      dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  };
}

interface TestBroker {
  readonly name: string;
  readonly addr: string;
  readonly cluster: string;
}

function brokerHeader(broker: TestBroker): Record<string, string> {
  return { brokerName: broker.name, brokerAddr: broker.addr, clusterName: broker.cluster, brokerId: "0" };
}

function registerRequest(broker: TestBroker, bytes: Buffer, extra: Record<string, string> = {}): RequestInput {
  return {
    code: rm.RequestCode.REGISTER_BROKER,
    extFields: { ...brokerHeader(broker), haServerAddr: "127.0.0.1:1", bodyCrc32: String(rm.bodyCrc32(bytes)), ...extra },
    body: bytes,
  };
}

async function routeOf(port: number, topic: string): Promise<rm.RemotingCommand> {
  const client = await RawRemoting.connect(port);
  try {
    return await client.request({ code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: { topic } });
  } finally {
    await client.close();
  }
}

async function clusterInfoOf(port: number): Promise<rm.ClusterInfo> {
  const client = await RawRemoting.connect(port);
  try {
    return rm.decodeClusterInfo((await client.request({ code: rm.RequestCode.GET_BROKER_CLUSTER_INFO })).body);
  } finally {
    await client.close();
  }
}

/** Resolves to a port nothing listens on (bind, read, close). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("remoting (real server)", () => {
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    server = await startServer(localConfig({ logLevel: "fatal" }), { logger: quietLogger });
    port = server.remotingPort as number;
  });
  afterAll(async () => {
    await server.close();
  });

  it("remoting: a JSON-header broker registers, heartbeats both ways and unregisters; routes follow", async () => {
    const broker = { name: "broker-json", addr: "127.0.0.1:20911", cluster: "ClusterJ" };
    const conn = await RawRemoting.connect(port);
    const bytes = rm.encodeRegisterBrokerBody(registerBody(["JsonTopic"], 1));
    const reply = await conn.request(registerRequest(broker, bytes));
    expect(reply.code).toBe(0);
    expect(rm.isResponse(reply)).toBe(true);

    const route = await routeOf(port, "JsonTopic");
    expect(route.code).toBe(0);
    expect(route.body?.toString("utf8")).toContain('"brokerAddrs":{"0":"127.0.0.1:20911"}');
    expect((await clusterInfoOf(port)).clusterAddrTable.get("ClusterJ")).toEqual(["broker-json"]);

    const sameVersion = rm.encodeDataVersion({ counter: 1, stateVersion: 0, timestamp: 1_700_000_000_000 });
    const query = await conn.request({ code: rm.RequestCode.QUERY_DATA_VERSION, extFields: brokerHeader(broker), body: sameVersion });
    expect(query.extFields["changed"]).toBe("false");
    // BROKER_HEARTBEAT is oneway: no reply, and the next request's reply is the next frame.
    const before = conn.responses.length;
    conn.oneway({ code: rm.RequestCode.BROKER_HEARTBEAT, extFields: brokerHeader(broker) });
    const info = await conn.request({ code: rm.RequestCode.GET_BROKER_CLUSTER_INFO });
    expect(conn.responses.length).toBe(before + 1);
    expect(conn.responses[before]).toBe(info);

    expect((await conn.request({ code: rm.RequestCode.UNREGISTER_BROKER, extFields: brokerHeader(broker) })).code).toBe(0);
    const gone = await routeOf(port, "JsonTopic");
    expect(gone.code).toBe(rm.ResponseCode.TOPIC_NOT_EXIST);
    expect(gone.remark).toBe(
      "No topic route info in name server for the topic: JsonTopic\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
    );
    expect((await clusterInfoOf(port)).clusterAddrTable.has("ClusterJ")).toBe(false);
    await conn.close();
  });

  it("remoting: binary (ROCKETMQ) headers and a compressed 4.x body (version 399) register too", async () => {
    const binary = { name: "broker-bin", addr: "127.0.0.1:20912", cluster: "ClusterB" };
    const conn = await RawRemoting.connect(port);
    const jsonBytes = rm.encodeRegisterBrokerBody(registerBody(["BinTopic"], 1));
    const reply = await conn.request({ ...registerRequest(binary, jsonBytes), serializeType: rm.SerializeType.ROCKETMQ });
    expect(reply.code).toBe(0);
    const binRoute = await conn.request({
      code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC,
      extFields: { topic: "BinTopic" },
      serializeType: rm.SerializeType.ROCKETMQ,
    });
    expect(rm.decodeTopicRouteData(binRoute.body).brokerDatas[0]?.brokerName).toBe("broker-bin");

    const old = { name: "broker-old", addr: "127.0.0.1:20913", cluster: "ClusterB" };
    const zipped = rm.encodeCompressedRegisterBrokerBody(registerBody(["OldTopic", "BinTopic"], 5), 399);
    const oldReply = await conn.request({ ...registerRequest(old, zipped, { compressed: "true" }), version: 399 });
    expect(oldReply.code).toBe(0);
    const legacy = await conn.request({ code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: { topic: "OldTopic" }, version: 399 });
    expect(legacy.body?.toString("utf8")).toContain('"brokerAddrs":{0:"127.0.0.1:20913"}');
    const shared = rm.decodeTopicRouteData((await routeOf(port, "BinTopic")).body);
    expect(shared.brokerDatas.map((b) => b.brokerName).sort()).toEqual(["broker-bin", "broker-old"]);
    await conn.close();
  });

  it("remoting: a broker whose socket is destroyed is evicted within 1 s", async () => {
    const broker = { name: "broker-crash", addr: "127.0.0.1:20914", cluster: "ClusterC" };
    const conn = await RawRemoting.connect(port);
    const bytes = rm.encodeRegisterBrokerBody(registerBody(["CrashTopic"], 1));
    // A one-hour declared timeout: only the lost connection can evict it within 1 s.
    expect((await conn.request(registerRequest(broker, bytes, { heartbeatTimeoutMillis: "3600000" }))).code).toBe(0);
    expect((await routeOf(port, "CrashTopic")).code).toBe(0);
    const start = performance.now();
    conn.socket.destroy();
    await waitFor("crash eviction", async () => ((await routeOf(port, "CrashTopic")).code === 17 ? true : undefined), 1_000);
    const elapsedMs = performance.now() - start;
    console.log(`remoting: crash eviction took ${elapsedMs.toFixed(0)} ms`);
    expect(elapsedMs).toBeLessThan(1_000);
    expect((await clusterInfoOf(port)).brokerAddrTable.has("broker-crash")).toBe(false);
  });

  it("remoting: ali-ons fetches a route, gets TOPIC_NOT_EXIST, and fails over from a dead name server", async () => {
    const broker = { name: "broker-ons", addr: "127.0.0.1:20915", cluster: "ClusterO" };
    const conn = await RawRemoting.connect(port);
    expect((await conn.request(registerRequest(broker, rm.encodeRegisterBrokerBody(registerBody(["OnsTopic"], 1))))).code).toBe(0);

    const MQClientAPI = onsClientApi();
    const dead = `127.0.0.1:${await deadPort()}`;
    const ours = `127.0.0.1:${port}`;
    // ali-ons picks list[++index % size] starting from index 0, so its first pick is list[1]:
    // the dead server is tried first and the call must fail over to ours.
    const warnings: string[] = [];
    const onsLogger = { ...silentOnsLogger, warn: (error: unknown) => void warnings.push(String(error)) };
    const api = new MQClientAPI({ nameSrv: [ours, dead], httpclient: {}, logger: onsLogger, responseTimeout: 3_000 });
    api.on("error", () => undefined);
    await api.ready();
    try {
      const start = performance.now();
      const route = await withDeadline("ali-ons route", api.getTopicRouteInfoFromNameServer("OnsTopic", 3_000));
      console.log(`remoting: ali-ons route with failover took ${(performance.now() - start).toFixed(0)} ms`);
      // The first attempt went to the dead server (ali-ons logs the failed invoke), then ours answered.
      expect(warnings.some((w) => w.includes("ECONNREFUSED"))).toBe(true);
      expect(route.brokerDatas[0]?.brokerName).toBe("broker-ons");
      expect(route.brokerDatas[0]?.brokerAddrs["0"]).toBe("127.0.0.1:20915");
      expect(route.queueDatas[0]?.readQueueNums).toBe(8);
      const missing = await api.getTopicRouteInfoFromNameServer("NoSuchTopic", 3_000).then(
        () => null,
        (error: { code?: number; message: string }) => error,
      );
      expect(missing?.code).toBe(17);
      expect(missing?.message).toContain("No topic route info in name server for the topic: NoSuchTopic");
    } finally {
      await api.close();
      await conn.close();
    }
  });

  it("remoting: thousands of random and mutated frames leave routes and cluster info unchanged", async () => {
    const broker = { name: "broker-fuzz", addr: "127.0.0.1:20916", cluster: "ClusterF" };
    const conn = await RawRemoting.connect(port);
    const bytes = rm.encodeRegisterBrokerBody(registerBody(["FuzzTopic"], 1));
    // The declared timeout outlasts the run: localConfig's 500 ms default expiry must not evict it.
    expect((await conn.request(registerRequest(broker, bytes, { heartbeatTimeoutMillis: "3600000" }))).code).toBe(0);
    const routeBefore = (await routeOf(port, "FuzzTopic")).body?.toString("utf8");
    const clusterBefore = await clusterInfoOf(port);
    const topicsBefore = server.node.getTopics(null);
    const seeds = seedFrames(broker, bytes);
    let frames = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(fuzzFrame(seeds), { minLength: 1, maxLength: 4 }), async (chunks) => {
        fc.pre(!changesState(Buffer.concat(chunks), broker.addr));
        frames += chunks.length;
        await sendAndHangUp(port, Buffer.concat(chunks));
      }),
      { numRuns: 1_000, seed: Number(process.env["FUZZ_SEED"] ?? 20_240_601) },
    );
    console.log(`remoting: fuzz sent ${frames} frames`);
    expect(frames).toBeGreaterThan(1_000);
    expect((await routeOf(port, "FuzzTopic")).body?.toString("utf8")).toBe(routeBefore);
    // Brokers of earlier tests may expire meanwhile (500 ms default), so compare the fuzz broker's
    // entries and check that nothing new appeared.
    const clusterAfter = await clusterInfoOf(port);
    expect(clusterAfter.brokerAddrTable.get("broker-fuzz")).toEqual(clusterBefore.brokerAddrTable.get("broker-fuzz"));
    expect(clusterAfter.clusterAddrTable.get("ClusterF")).toEqual(["broker-fuzz"]);
    expect([...clusterAfter.brokerAddrTable.keys()].every((name) => clusterBefore.brokerAddrTable.has(name))).toBe(true);
    expect(server.node.getTopics(null).every((topic) => topicsBefore.includes(topic))).toBe(true);
    expect(server.node.getTopics(null)).toContain("FuzzTopic");
    await conn.close();
  });
});

describe("remoting listener (standalone)", () => {
  async function standalone(options: { idleMs?: number; sendBufferBytesMax?: number }) {
    const node = new NameServerNode(defaultNodeOptions("standalone"), new SeededRng(3), systemClock.nowMs());
    const host = new NodeHost(node, systemClock, quietLogger);
    const listener = await startRemotingListener({ config: localConfig(), host, logger: quietLogger, port: 0, ...options });
    return { node, host, listener };
  }

  it("remoting: a connection with no traffic is closed after the idle time", async () => {
    const { listener } = await standalone({ idleMs: 200 });
    const conn = await RawRemoting.connect(listener.port);
    const start = performance.now();
    await withDeadline("idle close", conn.closed, 5_000);
    const elapsedMs = performance.now() - start;
    expect(elapsedMs).toBeGreaterThanOrEqual(150);
    await listener.close();
  });

  it("remoting: an oversize length prefix closes the connection; the listener keeps serving", async () => {
    const { listener } = await standalone({});
    const conn = await RawRemoting.connect(listener.port);
    const prefix = Buffer.alloc(8);
    prefix.writeInt32BE(16_777_213, 0);
    conn.socket.write(prefix);
    await withDeadline("close on oversize frame", conn.closed);
    const ok = await RawRemoting.connect(listener.port);
    expect((await ok.request({ code: rm.RequestCode.GET_BROKER_CLUSTER_INFO })).code).toBe(0);
    await ok.close();
    await listener.close();
  });

  it("remoting: a reader that never reads is closed once its unsent replies pass the bound", async () => {
    const { listener, host } = await standalone({ sendBufferBytesMax: 64 * 1024 });
    const broker = { name: "broker-slow", addr: "127.0.0.1:20917", cluster: "ClusterS" };
    const topics = Array.from({ length: 2_000 }, (_, i) => `SlowTopic_${i}`);
    const loader = await RawRemoting.connect(listener.port);
    expect((await loader.request(registerRequest(broker, rm.encodeRegisterBrokerBody(registerBody(topics, 1))))).code).toBe(0);
    await loader.close();
    const slow = await RawRemoting.connect(listener.port);
    slow.socket.pause();
    const request = rm.encodeCommand(slow.command({ code: rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER }));
    for (let i = 0; i < 2_000; i += 1) slow.socket.write(request);
    // A paused socket never reads to its end, so watch the server side, not the client's close.
    await waitFor("slow reader closed", () => (listener.connectionCount === 0 ? true : undefined));
    slow.socket.destroy();
    expect(host.connectionCount).toBe(0);
    await listener.close();
  });
});

// ---- Fuzz helpers -----------------------------------------------------------------------------

/** Codes that may change routes, KV or properties when their request decodes successfully. */
const STATE_CHANGING_CODES = new Set([100, 102, 103, 104, 205, 216, 217, 318, 327]);
/** Codes that refresh a broker's liveness on the connection they arrive on. */
const LIVENESS_CODES = new Set([322, 904]);

/**
 * True when the bytes hold a request that would legitimately change state (skipped by fc.pre):
 * a state-changing code that decodes, or a heartbeat for the fuzz broker, which would move its
 * liveness onto the fuzz connection (the core keys liveness by the connection last heard on).
 */
function changesState(chunk: Buffer, fuzzBrokerAddr: string): boolean {
  let commands: rm.RemotingCommand[];
  try {
    commands = new rm.RemotingFrameDecoder().push(chunk);
  } catch {
    return false;
  }
  return commands.some((cmd) => {
    if (rm.isResponse(cmd) || !rm.decodeNamesrvRequest(cmd).ok) return false;
    if (STATE_CHANGING_CODES.has(cmd.code)) return true;
    return LIVENESS_CODES.has(cmd.code) && cmd.extFields["brokerAddr"] === fuzzBrokerAddr;
  });
}

/** Valid frames to mutate: queries in both header types, a response, a registration whose CRC guards its body. */
function seedFrames(broker: TestBroker, registerBytes: Buffer): Buffer[] {
  const base = { language: 0, version: 479, opaque: 9, flag: 0, serializeType: rm.SerializeType.JSON } as const;
  const frames: rm.RemotingCommand[] = [
    { ...base, code: 105, extFields: { topic: "FuzzTopic" } },
    { ...base, code: 105, extFields: { topic: "FuzzTopic" }, serializeType: rm.SerializeType.ROCKETMQ },
    { ...base, code: 106, extFields: {} },
    { ...base, code: 322, extFields: { ...brokerHeader(broker), brokerAddr: "127.0.0.1:29999" }, body: rm.encodeDataVersion({ counter: 1, stateVersion: 0, timestamp: 1 }) },
    { ...base, code: 101, extFields: { namespace: "ns", key: "k" }, flag: rm.RemotingFlag.ONEWAY },
    { ...base, code: 0, extFields: {}, flag: rm.RemotingFlag.RESPONSE },
    { ...base, code: 103, extFields: { ...brokerHeader(broker), haServerAddr: "", bodyCrc32: String(rm.bodyCrc32(registerBytes)) }, body: registerBytes },
  ];
  return frames.map((cmd) => rm.encodeCommand(cmd));
}

/** A frame: random bytes, a seed with bytes flipped (the registration only past its header), or a truncated seed. */
function fuzzFrame(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const mutated = fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }))
    .map(([index, flips]) => {
      const frame = Buffer.from(seeds[index] as Buffer);
      const isRegister = index === seeds.length - 1;
      const headerEnd = 8 + (frame.readInt32BE(4) & 0xffffff);
      for (const [at, value] of flips) {
        // A registration is mutated in its body (the CRC then refuses it) or its length prefix.
        const position = isRegister ? (at % 2 === 0 ? at % 8 : headerEnd + (at % (frame.length - headerEnd))) : at % frame.length;
        frame[position] = value;
      }
      return frame;
    });
  const truncated = fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.nat())
    .map(([index, cut]) => (seeds[index] as Buffer).subarray(0, cut % (seeds[index] as Buffer).length));
  const random = fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => Buffer.from(bytes));
  const framed = fc.uint8Array({ minLength: 4, maxLength: 96 }).map((bytes) => {
    const frame = Buffer.alloc(4 + bytes.length);
    frame.writeInt32BE(bytes.length, 0);
    Buffer.from(bytes).copy(frame, 4);
    return frame;
  });
  return fc.oneof(mutated, mutated, truncated, random, framed);
}

/** Writes bytes on a fresh connection, half-closes, and waits until the server has closed it too. */
async function sendAndHangUp(port: number, bytes: Buffer): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined);
  socket.on("data", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.once("connect", () => socket.end(bytes));
  await withDeadline("fuzz connection close", closed);
}

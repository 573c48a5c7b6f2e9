// Goal: the native session answers HELLO, dispatches requests to the core, refuses bad input
// with typed error replies, and closes on framing errors with one log line.
// Method: a NativeSession on an in-memory MemoryConnection, a manual scheduler, a fixed clock.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { localConfig, testMinConfig, type Config } from "../config/config.js";
import { ErrorCode, KvNotDurableError } from "../errors.js";
import { FrameKind, PushCode, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame, type Frame } from "../protocol/frame.js";
import { MemoryConnection } from "../transport/memory_connection.js";
import { TransportError } from "../transport/connection.js";
import { createLogger } from "../host/logger.js";
import { NativeSession, type InboundPeerLink, type SessionObserver } from "./native_session.js";
import { NodeHost } from "../host/node_host.js";
import { RequestScheduler } from "../host/request_scheduler.js";
import { nodeOptionsOf } from "./server.js";

interface Harness {
  readonly conn: MemoryConnection;
  readonly session: NativeSession;
  readonly host: NodeHost;
  readonly logs: Array<Record<string, unknown>>;
  readonly outcomes: string[];
  readonly closedSessions: NativeSession[];
  /** Sends a request frame and runs the scheduled drain. */
  request(code: number, body: unknown, id?: number, v?: number): void;
  /** Decoded frames sent by the server. */
  frames(): Frame[];
  last(): Frame;
  run(): void;
}

interface HarnessExtra {
  readonly acceptPeer?: (link: InboundPeerLink) => { onFrame(f: Frame): void; onClose(): void };
  readonly onKvChanged?: () => void;
  readonly kvDurable?: () => Promise<void>;
}

/** Lets settled promises' callbacks (a KV write's answer) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function harness(config: Config = localConfig(), { onKvChanged, kvDurable, ...extra }: HarnessExtra = {}): Harness {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger("debug", config.id, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let now = 1_000;
  const clock = { nowMs: () => now };
  const node = new NameServerNode(nodeOptionsOf(config), new SeededRng(7), now);
  const host = new NodeHost(node, clock, logger, { ...(onKvChanged ? { onKvChanged } : {}), ...(kvDurable ? { kvDurable } : {}) });
  const tasks: Array<() => void> = [];
  const outcomes: string[] = [];
  const closedSessions: NativeSession[] = [];
  const observer: SessionObserver = {
    request: (type, outcome) => void outcomes.push(`${type}:${outcome}`),
    closed: (cause) => void outcomes.push(`closed:${cause}`),
  };
  const conn = new MemoryConnection();
  const session = new NativeSession(conn, {
    host,
    logger,
    limits: config,
    requests: new RequestScheduler({ schedule: (task) => void tasks.push(task) }),
    observer,
    onClosed: (s) => void closedSessions.push(s),
    ...extra,
  });
  const run = (): void => {
    while (tasks.length > 0) (tasks.shift() as () => void)();
    now += 1;
  };
  const frames = (): Frame[] => conn.sent.map((bytes) => decodeFrame(bytes));
  return {
    conn,
    session,
    host,
    logs,
    outcomes,
    closedSessions,
    request(code, body, id = 1, v = 1) {
      conn.receive(encodeFrame({ v, kind: FrameKind.REQUEST, code, id, body }));
      run();
    },
    frames,
    last: () => {
      const all = frames();
      const frame = all[all.length - 1];
      if (!frame) throw new Error("no frame sent");
      return frame;
    },
    run,
  };
}

const HELLO = { versionMin: 1, versionMax: 1, role: "client" };
const REGISTRATION = {
  clusterName: "DefaultCluster",
  brokerAddr: "10.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  dataVersion: { timestamp: 1, counter: 1 },
  topics: [{ topicName: "orders", readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
};

function hello(h: Harness, body: unknown = HELLO): void {
  h.request(RequestCode.HELLO, body, 100);
  expect(h.last().code).toBe(ErrorCode.OK);
}

describe("native_session", () => {
  it("native_session: answers HELLO with the negotiated version, node id and readiness", () => {
    const h = harness(localConfig({ id: "n1" }));
    h.request(RequestCode.HELLO, { versionMin: 1, versionMax: 5, role: "broker" }, 9);
    expect(h.last()).toEqual({ v: 1, kind: FrameKind.RESPONSE, code: ErrorCode.OK, id: 9, body: { version: 1, nodeId: "n1", ready: true } });
    expect(h.session.role).toBe("broker");
    expect(h.outcomes).toContain("HELLO:ok");
  });

  it("native_session: a first request other than HELLO gets PROTOCOL and the connection closes", () => {
    const h = harness();
    h.request(RequestCode.GET_ROUTE, { topic: "orders" }, 3);
    expect(h.last()).toMatchObject({ code: ErrorCode.PROTOCOL, id: 3 });
    expect(h.conn.closedWith).toMatchObject({ code: 1002 });
    expect(h.conn.closedWith?.reason).toContain("first request must be HELLO");
  });

  it("native_session: an unsupported version gets UNSUPPORTED_VERSION, then close 1002", () => {
    const h = harness();
    h.request(RequestCode.HELLO, { versionMin: 2, versionMax: 3, role: "client" }, 4);
    expect(h.last()).toMatchObject({ code: ErrorCode.UNSUPPORTED_VERSION, id: 4 });
    expect((h.last().body as { message: string }).message).toContain("node speaks 1..1, got 2..3");
    expect(h.conn.closedWith?.code).toBe(1002);
  });

  it("native_session: a bad HELLO body gets INVALID_ARGUMENT and the connection stays open", () => {
    const h = harness();
    h.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "admin" }, 5);
    expect(h.last()).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, id: 5 });
    expect((h.last().body as { message: string }).message).toContain("'role'");
    expect(h.conn.closedWith).toBeNull();
    hello(h);
  });

  it("native_session: a peer HELLO without nodeId is refused", () => {
    const h = harness();
    h.request(RequestCode.HELLO, { versionMin: 1, versionMax: 1, role: "peer" }, 5);
    expect(h.last()).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect((h.last().body as { message: string }).message).toContain("'nodeId'");
  });

  it("native_session: register then GET_ROUTE returns the route", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 2);
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 2, body: { contentChanged: true, masterAddr: null } });
    h.request(RequestCode.GET_ROUTE, { topic: "orders" }, 3);
    const route = h.last().body as { brokerDatas: Array<{ brokerAddrs: Record<string, string> }>; queueDatas: unknown[] };
    expect(h.last().code).toBe(ErrorCode.OK);
    expect(route.brokerDatas[0]?.brokerAddrs["0"]).toBe("10.0.0.1:10911");
    expect(route.queueDatas).toHaveLength(1);
    expect(h.outcomes).toContain("REGISTER_BROKER:ok");
  });

  it("native_session: heartbeat, cluster info, topics, unregister", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 2);
    h.request(RequestCode.HEARTBEAT, { clusterName: "DefaultCluster", brokerAddr: "10.0.0.1:10911", bootEpoch: 1, seq: 1 }, 3);
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, body: { registered: true } });
    h.request(RequestCode.GET_CLUSTER_INFO, {}, 4);
    expect(h.last().body).toMatchObject({ clusterAddrTable: { DefaultCluster: ["broker-a"] } });
    h.request(RequestCode.GET_TOPICS, { clusterName: "DefaultCluster" }, 5);
    expect(h.last().body).toEqual({ topics: ["orders"] });
    h.request(RequestCode.UNREGISTER_BROKER, { clusterName: "DefaultCluster", brokerAddr: "10.0.0.1:10911", brokerName: "broker-a", brokerId: 0 }, 6);
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, body: {} });
    h.request(RequestCode.GET_ROUTE, { topic: "orders" }, 7);
    expect(h.last()).toMatchObject({ code: ErrorCode.NOT_FOUND });
  });

  it("native_session: KV put, get, list, delete and admin writes", async () => {
    let changes = 0;
    const h = harness(localConfig(), { onKvChanged: () => void (changes += 1) });
    hello(h);
    h.request(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }, 2);
    await settle();
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 2 });
    h.request(RequestCode.KV_GET, { namespace: "ns", key: "k" }, 3);
    expect(h.last().body).toEqual({ value: "v" });
    h.request(RequestCode.KV_LIST, { namespace: "ns" }, 4);
    expect(h.last().body).toEqual({ table: { k: "v" } });
    h.request(RequestCode.KV_DELETE, { namespace: "ns", key: "k" }, 5);
    h.request(RequestCode.KV_GET, { namespace: "ns", key: "k" }, 6);
    expect(h.last().code).toBe(ErrorCode.NOT_FOUND);
    expect(changes).toBe(2);
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 7);
    h.request(RequestCode.WIPE_WRITE_PERM, { brokerName: "broker-a" }, 8);
    expect(h.last().body).toEqual({ count: 1 });
    h.request(RequestCode.ADD_WRITE_PERM, { brokerName: "broker-a" }, 9);
    h.request(RequestCode.DELETE_TOPIC, { topic: "orders" }, 10);
    expect(h.last().code).toBe(ErrorCode.OK);
  });

  it("native_session: an invalid topic gets INVALID_ARGUMENT naming the field, connection stays open", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.GET_ROUTE, { topic: "a b" }, 2);
    expect(h.last()).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, id: 2 });
    expect((h.last().body as { message: string }).message).toBe("'topic' must be 1..512 chars, no whitespace or control characters, got 'a b'");
    expect(h.conn.closedWith).toBeNull();
    expect(h.outcomes).toContain("GET_ROUTE:INVALID_ARGUMENT");
    expect(h.logs.filter((l) => l["msg"] === "request refused")).toHaveLength(1);
  });

  it("native_session: an unknown request code gets UNSUPPORTED_REQUEST", () => {
    const h = harness();
    hello(h);
    h.request(999, {}, 2);
    expect(h.last()).toMatchObject({ code: ErrorCode.UNSUPPORTED_REQUEST, id: 2 });
    h.request(RequestCode.PEER_DELTAS, { records: [], repair: false }, 3);
    expect(h.last()).toMatchObject({ code: ErrorCode.UNSUPPORTED_REQUEST, id: 3 });
  });

  it("native_session: a second HELLO is refused with INVALID_ARGUMENT", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.HELLO, HELLO, 2);
    expect(h.last()).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, id: 2 });
  });

  it("native_session: malformed bytes close the connection with 1002 and one log line", () => {
    const h = harness();
    hello(h);
    h.conn.receive(new Uint8Array([0xc1, 0xff, 0x00]));
    expect(h.conn.closedWith?.code).toBe(1002);
    expect(h.logs.filter((l) => l["msg"] === "closing connection")).toHaveLength(1);
    expect(h.outcomes).toContain("closed:malformedFrame");
    h.conn.receive(new Uint8Array([1, 2, 3]));
    expect(h.logs.filter((l) => l["msg"] === "closing connection")).toHaveLength(1);
  });

  it("native_session: a text message closes the connection with 1002", () => {
    const h = harness();
    h.conn.receive(new TextEncoder().encode("hello"), false);
    expect(h.conn.closedWith).toMatchObject({ code: 1002, reason: expect.stringContaining("binary") });
  });

  it("native_session: a frame over frameBytesMax closes with 1009", () => {
    const config = testMinConfig();
    const h = harness(config);
    h.conn.receive(new Uint8Array(config.frameBytesMax + 1));
    expect(h.conn.closedWith?.code).toBe(1009);
    expect(h.outcomes).toContain("closed:frameTooLarge");
  });

  it("native_session: a transport error is logged once and counted", () => {
    const h = harness();
    h.conn.fail(new TransportError("frameTooLarge", "Max payload size exceeded"));
    expect(h.logs.filter((l) => l["msg"] === "connection failed")).toHaveLength(1);
    expect(h.outcomes).toContain("closed:frameTooLarge");
  });

  it("native_session: a response frame from the client closes the connection", () => {
    const h = harness();
    h.conn.receive(encodeFrame({ v: 1, kind: FrameKind.RESPONSE, code: 0, id: 1, body: {} }));
    expect(h.conn.closedWith?.code).toBe(1002);
  });

  it("native_session: a frame with another version after HELLO closes the connection", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.GET_TOPICS, {}, 2, 2);
    expect(h.conn.closedWith?.reason).toContain("frame version 2 differs from the negotiated 1");
  });

  it("native_session: requests beyond INFLIGHT max get LIMIT_EXCEEDED", () => {
    const h = harness(testMinConfig());
    hello(h);
    h.conn.receive(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_TOPICS, id: 2, body: {} }));
    h.conn.receive(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_TOPICS, id: 3, body: {} }));
    expect(h.last()).toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED, id: 3 });
    h.run();
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 2 });
  });

  it("native_session: a KV write is answered once durable; later replies overtake it", async () => {
    let durable = (): void => undefined;
    const h = harness(localConfig(), { kvDurable: () => new Promise<void>((resolve) => (durable = resolve)) });
    hello(h);
    h.request(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }, 2);
    h.request(RequestCode.KV_GET, { namespace: "ns", key: "k" }, 3);
    await settle();
    expect(h.frames().map((frame) => frame.id)).toEqual([100, 3]);
    expect(h.last().body).toEqual({ value: "v" });
    durable();
    await settle();
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 2, body: {} });
    expect(h.outcomes).toContain("KV_PUT:ok");
  });

  it("native_session: a KV write waiting for the disk counts as in flight", async () => {
    let durable = (): void => undefined;
    const h = harness(testMinConfig(), { kvDurable: () => new Promise<void>((resolve) => (durable = resolve)) });
    hello(h);
    h.request(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }, 2);
    h.request(RequestCode.GET_TOPICS, {}, 3);
    expect(h.last()).toMatchObject({ code: ErrorCode.LIMIT_EXCEEDED, id: 3 });
    durable();
    await settle();
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 2 });
    h.request(RequestCode.GET_TOPICS, {}, 4);
    expect(h.last()).toMatchObject({ code: ErrorCode.OK, id: 4 });
  });

  it("native_session: a KV write the disk refused answers KV_NOT_DURABLE, logged at debug only", async () => {
    const message = "kv change applied in memory but not durable on this node: writing '/d/kv.json' failed with EROFS (read-only file system, open)";
    const h = harness(localConfig(), { kvDurable: () => Promise.reject(new KvNotDurableError(message)) });
    hello(h);
    h.request(RequestCode.KV_DELETE, { namespace: "ns", key: "k" }, 2);
    h.request(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }, 3);
    await settle();
    expect(h.last()).toMatchObject({ code: ErrorCode.KV_NOT_DURABLE, id: 3, body: { message } });
    expect(h.outcomes).toContain("KV_PUT:KV_NOT_DURABLE");
    const refused = h.logs.filter((line) => line["msg"] === "request refused" && line["code"] === "KV_NOT_DURABLE");
    expect(refused.map((line) => line["level"])).toEqual(["debug", "debug"]);
    h.request(RequestCode.KV_GET, { namespace: "ns", key: "k" }, 4);
    expect(h.last().body).toEqual({ value: "v" });
  });

  it("native_session: a slow reader is closed with 1008", () => {
    const config = localConfig();
    const h = harness(config);
    hello(h);
    h.conn.buffered = config.sendBufferBytesMax;
    h.request(RequestCode.GET_TOPICS, {}, 2);
    expect(h.conn.closedWith).toMatchObject({ code: 1008, reason: expect.stringContaining("slow reader") });
  });

  it("native_session: queries get NOT_READY until the node is ready; writes are taken", () => {
    const h = harness(localConfig({ peers: ["10.0.0.9:9877"], startupGraceMs: 5_000 }));
    hello(h);
    h.request(RequestCode.GET_TOPICS, {}, 2);
    expect(h.last()).toMatchObject({ code: ErrorCode.NOT_READY });
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 3);
    expect(h.last()).toMatchObject({ code: ErrorCode.OK });
  });

  it("native_session: subscribers get ROUTE_CHANGED pushes", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.SUBSCRIBE, { topics: [{ topic: "orders" }] }, 2);
    const afterSubscribe = h.frames().filter((f) => f.kind === FrameKind.PUSH);
    expect(afterSubscribe).toHaveLength(1);
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 3);
    const pushes = h.frames().filter((f) => f.kind === FrameKind.PUSH);
    expect(pushes).toHaveLength(2);
    expect(pushes[1]).toMatchObject({ code: PushCode.ROUTE_CHANGED, id: 0, body: { topic: "orders" } });
    h.request(RequestCode.UNSUBSCRIBE, { topics: ["orders"] }, 4);
    expect(h.last().body).toEqual({ count: 1 });
  });

  it("native_session: closing detaches the connection from the core", () => {
    const h = harness();
    hello(h);
    h.request(RequestCode.REGISTER_BROKER, REGISTRATION, 2);
    expect(h.host.connectionCount).toBe(1);
    h.conn.finishClose(1000, "bye");
    expect(h.host.connectionCount).toBe(0);
    expect(h.closedSessions).toEqual([h.session]);
  });

  it("native_session: peer frames go to the inbound peer acceptor without a reply", () => {
    const received: Frame[] = [];
    let links: InboundPeerLink[] = [];
    let closed = 0;
    const h = harness(localConfig(), {
      acceptPeer: (link) => {
        links = [...links, link];
        return { onFrame: (f) => void received.push(f), onClose: () => void (closed += 1) };
      },
    });
    hello(h, { versionMin: 1, versionMax: 1, role: "peer", nodeId: "n2", advertiseAddr: "10.0.0.2:9877" });
    expect(links[0]).toMatchObject({ peerId: "n2", peerAddr: "10.0.0.2:9877" });
    const sentBefore = h.conn.sent.length;
    h.request(RequestCode.PEER_PULL, { buckets: [], members: [], ready: true }, 0);
    expect(received).toHaveLength(1);
    expect(h.conn.sent.length).toBe(sentBefore);
    h.conn.finishClose(1000, "");
    expect(closed).toBe(1);
  });
});

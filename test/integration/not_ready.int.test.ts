// Goal: one readiness policy on every port. While a node has not pulled a peer snapshot (and
// its startup grace has not passed), every read answers "not ready" on the native port
// (NOT_READY), on HTTP (503 NOT_READY) and on the remoting port (SYSTEM_BUSY with the
// remark "name server not ready..."), never an empty table as truth; writes are taken.
// Method: startServer in-process with a peer that never answers and a long grace; one table
// of reads per port, each asserted the same way; then a broker write succeeds.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localConfig } from "../../src/config/config.js";
import { ErrorCode } from "../../src/errors.js";
import { RequestCode } from "../../src/protocol/codes.js";
import * as rm from "../../src/protocol/remoting/index.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { captureLogger } from "./helpers/logs.js";
import { openNative, type RawNative } from "./helpers/native.js";
import { freePort } from "./helpers/ports.js";
import { withDeadline } from "./helpers/wait.js";

let running: RunningServer;
let client: RawNative;

beforeAll(async () => {
  const silent = await freePort();
  const { logger } = captureLogger("warn");
  running = await startServer(localConfig({ id: "not-ready", peers: [`127.0.0.1:${silent}`], startupGraceMs: 600_000 }), { logger });
  client = await openNative(running.httpPort);
  await client.hello("client");
});

afterAll(async () => {
  await client.close();
  await running.close();
});

/** One remoting request on its own connection. */
async function remoting(code: number, extFields: Record<string, string> = {}): Promise<rm.RemotingCommand> {
  const socket = net.connect({ host: "127.0.0.1", port: running.remotingPort as number });
  socket.on("error", () => undefined);
  const decoder = new rm.RemotingFrameDecoder();
  const reply = new Promise<rm.RemotingCommand>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      const [first] = decoder.push(chunk);
      if (first !== undefined) resolve(first);
    });
  });
  socket.write(rm.encodeCommand({ code, language: 0, version: 479, opaque: 1, flag: 0, extFields, serializeType: 0 }));
  try {
    return await withDeadline(`remoting reply to ${code}`, reply);
  } finally {
    socket.destroy();
  }
}

const NATIVE_READS: readonly [string, number, unknown][] = [
  ["GET_ROUTE", RequestCode.GET_ROUTE, { topic: "T" }],
  ["GET_CLUSTER_INFO", RequestCode.GET_CLUSTER_INFO, {}],
  ["GET_TOPICS", RequestCode.GET_TOPICS, {}],
  ["KV_GET", RequestCode.KV_GET, { namespace: "ns", key: "k" }],
  ["KV_LIST", RequestCode.KV_LIST, { namespace: "ns" }],
  ["SUBSCRIBE", RequestCode.SUBSCRIBE, { topics: [{ topic: "T" }] }],
];

const HTTP_READS: readonly string[] = ["/v1/routes/T", "/v1/cluster", "/v1/topics", "/v1/kv/ns", "/v1/kv/ns/k"];

const REMOTING_READS: readonly [string, number, Record<string, string>][] = [
  ["GET_ROUTEINFO_BY_TOPIC", 105, { topic: "T" }],
  ["GET_BROKER_CLUSTER_INFO", 106, {}],
  ["GET_KV_CONFIG", 101, { namespace: "ns", key: "k" }],
  ["GET_KVLIST_BY_NAMESPACE", 219, { namespace: "ns" }],
  ["GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 206, {}],
  ["GET_TOPICS_BY_CLUSTER", 224, { cluster: "C" }],
  ["GET_SYSTEM_TOPIC_LIST_FROM_NS", 304, {}],
  ["GET_UNIT_TOPIC_LIST", 311, {}],
  ["GET_HAS_UNIT_SUB_TOPIC_LIST", 312, {}],
  ["GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", 313, {}],
  ["GET_BROKER_MEMBER_GROUP", 901, { clusterName: "C", brokerName: "b" }],
];

describe("not ready", () => {
  it("not_ready: the node starts not ready (a peer that never answers, a long grace)", async () => {
    const response = await fetch(`http://127.0.0.1:${running.httpPort}/readyz`);
    expect(response.status).toBe(503);
  });

  it.each(NATIVE_READS)("not_ready: native %s answers NOT_READY", async (_name, code, body) => {
    const answer = await client.request(code, body);
    expect(answer.code).toBe(ErrorCode.NOT_READY);
    expect((answer.body as { message: string }).message).toMatch(/^name server not ready/);
  });

  it.each(HTTP_READS)("not_ready: HTTP GET %s answers 503 NOT_READY", async (path) => {
    const response = await fetch(`http://127.0.0.1:${running.httpPort}${path}`);
    expect(response.status).toBe(503);
    const json = (await response.json()) as { error: { name: string; message: string } };
    expect(json.error.name).toBe("NOT_READY");
    expect(json.error.message).toMatch(/^name server not ready/);
  });

  it.each(REMOTING_READS)("not_ready: remoting %s answers SYSTEM_BUSY with a remark", async (_name, code, extFields) => {
    const answer = await remoting(code, extFields);
    expect(answer.code).toBe(rm.ResponseCode.SYSTEM_BUSY);
    expect(answer.remark).toMatch(/^name server not ready/);
  });

  it("not_ready: writes are taken while not ready (a broker registers, a KV put is stored)", async () => {
    const broker = await openNative(running.httpPort);
    await broker.hello("broker");
    const registration = {
      clusterName: "C",
      brokerAddr: "127.0.0.1:10911",
      brokerName: "b",
      brokerId: 0,
      dataVersion: { timestamp: 1, counter: 1 },
      topics: [{ topicName: "T", readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
    };
    expect((await broker.request(RequestCode.REGISTER_BROKER, registration)).code).toBe(ErrorCode.OK);
    await broker.close();
    expect((await remoting(100, { namespace: "ns", key: "k", value: "v" })).code).toBe(rm.ResponseCode.SUCCESS);
    expect((await client.request(RequestCode.GET_ROUTE, { topic: "T" })).code).toBe(ErrorCode.NOT_READY);
  });
});

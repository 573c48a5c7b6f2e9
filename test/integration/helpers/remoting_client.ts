// A RocketMQ remoting client for tests: one connection (plain or TLS), requests by hand with our
// codec, optionally signed as RocketMQ's AclClientRPCHook signs them (AccessKey added, then
// Signature over the sorted ext-field values and the body), so a test sends exactly what a Java
// broker or mqadmin with an ACL account would, or a rogue without one.
import * as net from "node:net";
import * as tls from "node:tls";
import type { RemotingAclAccount } from "../../../src/config/config.js";
import * as rm from "../../../src/protocol/remoting/index.js";
import { aclSignature } from "../../../src/remoting/remoting_access.js";
import { withDeadline } from "./wait.js";

/** An ACL account as a test uses it (the role only matters to the node). */
export type TestAccount = Pick<RemotingAclAccount, "accessKey" | "secretKey">;

/** One open remoting connection. */
export interface RemotingClient {
  readonly socket: net.Socket;
  /** Sends a request and resolves with the reply to it. */
  ask(code: number, extFields?: Record<string, string>, options?: AskOptions): Promise<rm.RemotingCommand>;
  /** Sends a oneway request (no reply). */
  tell(code: number, extFields?: Record<string, string>, options?: AskOptions): void;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  close(): void;
}

/** Options of one request. */
export interface AskOptions {
  readonly body?: Buffer;
  /** Sign with this account, as AclClientRPCHook does. */
  readonly sign?: TestAccount;
}

/** How to connect. */
export interface ConnectOptions {
  readonly host?: string;
  /** Local address to connect from (127.0.0.x: one "client host" per address). */
  readonly localAddress?: string;
  /** TLS, trusting this CA (PEM); the server name is checked against 127.0.0.1. */
  readonly tlsCa?: string;
}

/** A command as a 5.3.3 Java client builds it, signed when asked. */
export function buildCommand(code: number, extFields: Record<string, string>, options: AskOptions, opaque: number, flag = 0): rm.RemotingCommand {
  const cmd: rm.RemotingCommand = { code, language: 0, version: 479, opaque, flag, extFields: { ...extFields }, serializeType: 0 };
  if (options.body !== undefined) cmd.body = options.body;
  if (options.sign !== undefined) {
    cmd.extFields["AccessKey"] = options.sign.accessKey;
    cmd.extFields["Signature"] = aclSignature(cmd, options.sign.secretKey);
  }
  return cmd;
}

/** Connects to 127.0.0.1:port (plain, or TLS with `tlsCa`). */
export async function connectRemoting(port: number, options: ConnectOptions = {}): Promise<RemotingClient> {
  const host = options.host ?? "127.0.0.1";
  const socket: net.Socket =
    options.tlsCa === undefined
      ? net.connect({ host, port, ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) })
      : tls.connect({ host, port, ca: options.tlsCa, servername: "localhost", ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await withDeadline(`remoting connect to ${port}`, new Promise<void>((resolve, reject) => {
    socket.once(options.tlsCa === undefined ? "connect" : "secureConnect", () => resolve());
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`connection to ${port} closed before it was established`)));
  }));
  const decoder = new rm.RemotingFrameDecoder();
  const waiting = new Map<number, (reply: rm.RemotingCommand) => void>();
  let opaque = 1;
  socket.on("data", (chunk: Buffer) => {
    for (const reply of decoder.push(chunk)) waiting.get(reply.opaque)?.(reply);
  });
  return {
    socket,
    closed,
    ask: (code, extFields = {}, askOptions = {}) => {
      const id = opaque++;
      const reply = new Promise<rm.RemotingCommand>((resolve, reject) => {
        waiting.set(id, resolve);
        void closed.then(() => reject(new Error(`connection closed without a reply to code ${code}`)));
      });
      socket.write(rm.encodeCommand(buildCommand(code, extFields, askOptions, id)));
      return withDeadline(`reply to code ${code}`, reply);
    },
    tell: (code, extFields = {}, askOptions = {}) => {
      socket.write(rm.encodeCommand(buildCommand(code, extFields, askOptions, opaque++, rm.RemotingFlag.ONEWAY)));
    },
    close: () => socket.destroy(),
  };
}

/** A REGISTER_BROKER (103) of a 5.x broker: header fields and body, bodyCrc32 filled in. */
export function registration(broker: { clusterName: string; brokerName: string; brokerAddr: string }, topics: readonly string[], counter = 1): { extFields: Record<string, string>; body: Buffer } {
  const body = rm.encodeRegisterBrokerBody({
    topicConfigSerializeWrapper: {
      topicConfigTable: new Map(
        topics.map((topicName) => [
          topicName,
          { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() },
        ]),
      ),
      dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 + counter },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  });
  const extFields = { ...broker, brokerId: "0", haServerAddr: broker.brokerAddr.replace(/:\d+$/, ":30912"), bodyCrc32: String(rm.bodyCrc32(body)) };
  return { extFields, body };
}

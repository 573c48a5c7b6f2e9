// Goal: the native session lets no one in where they don't belong (issue #7): tokens decide the
// broker and admin grants at the hello, the peer challenge-response refuses forged, replayed and
// missing proofs before any PEER_* frame, and the abuse limits (in-flight bound, client frame size,
// hello deadline) refuse with a metric while the node's state stays unchanged.
// Method: a NativeSession on an in-memory MemoryConnection, a manual scheduler and clock; peer
// proofs made with a second Authenticator, as the dialer would.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { localConfig, type Config } from "../config/config.js";
import { ErrorCode } from "../errors.js";
import { FrameKind, RequestCode } from "../protocol/codes.js";
import { decodeFrame, encodeFrame, type Frame } from "../protocol/frame.js";
import { decodeHelloResponse } from "../protocol/messages/hello.js";
import type { PeerChallenge } from "../protocol/messages/peer_auth.js";
import { MemoryConnection } from "../transport/memory_connection.js";
import { Authenticator } from "../host/auth.js";
import { createLogger } from "../host/logger.js";
import { NativeSession, type SessionObserver } from "./native_session.js";
import { NodeHost } from "../host/node_host.js";
import { RequestScheduler } from "../host/request_scheduler.js";
import { nodeOptionsOf } from "./server.js";

const SECRET_OLD = "old-secret-0123456789abcdef";
const SECRET_NEW = "new-secret-0123456789abcdef";
const BROKER_TOKEN = "broker-token-0123456789";
const ADMIN_TOKEN = "admin-token-0123456789ab";
const CLIENT_TOKEN = "client-token-0123456789a";

/** A MemoryConnection that reports whether TLS verified a client certificate. */
class TlsMemoryConnection extends MemoryConnection {
  constructor(readonly tlsAuthorized: boolean | undefined) {
    super();
  }
}

function harness(config: Config, options: { tlsAuthorized?: boolean; requirePeerCertificate?: boolean } = {}) {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger("debug", config.id, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const clock = { now: 1_000, nowMs: () => clock.now };
  const node = new NameServerNode(nodeOptionsOf(config), new SeededRng(7), clock.now);
  const host = new NodeHost(node, clock, logger);
  const tasks: Array<() => void> = [];
  const outcomes: string[] = [];
  const peerLinks: string[] = [];
  const observer: Required<SessionObserver> = {
    request: (type, outcome) => void outcomes.push(`${type}:${outcome}`),
    closed: (cause) => void outcomes.push(`closed:${cause}`),
    limitHit: (limit) => void outcomes.push(`limit:${limit}`),
    authRefused: (role, reason) => void outcomes.push(`auth:${role}:${reason}`),
  };
  const conn = new TlsMemoryConnection(options.tlsAuthorized);
  const session = new NativeSession(conn, {
    host,
    logger,
    limits: config,
    requests: new RequestScheduler({ schedule: (task) => void tasks.push(task) }),
    observer,
    auth: new Authenticator(config),
    requirePeerCertificate: options.requirePeerCertificate ?? false,
    acceptPeer: (link) => {
      peerLinks.push(link.peerId);
      return { onFrame: () => undefined, onClose: () => undefined };
    },
    onClosed: () => undefined,
  });
  const frames = (): Frame[] => conn.sent.map((bytes) => decodeFrame(bytes));
  return {
    conn,
    session,
    node,
    clock,
    frames,
    logs,
    outcomes,
    peerLinks,
    send(code: number, body: unknown, id = 1): Frame {
      conn.receive(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code, id, body }));
      while (tasks.length > 0) (tasks.shift() as () => void)();
      const all = frames();
      return all[all.length - 1] as Frame;
    },
    sendBytes(bytes: Uint8Array): void {
      conn.receive(bytes);
      while (tasks.length > 0) (tasks.shift() as () => void)();
    },
    /** Runs the scheduled turns (what the event loop does between socket reads). */
    run(): void {
      while (tasks.length > 0) (tasks.shift() as () => void)();
    },
  };
}

function hello(role: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { versionMin: 1, versionMax: 1, role, ...extra };
}

const REGISTRATION = {
  clusterName: "DefaultCluster",
  brokerAddr: "10.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  dataVersion: { timestamp: 1, counter: 1 },
  topics: [{ topicName: "orders", readQueueNums: 4, writeQueueNums: 4, perm: 6 }],
};

const TOKENS = { brokerTokens: [BROKER_TOKEN], adminTokens: [ADMIN_TOKEN], clientTokens: [CLIENT_TOKEN] };

describe("native_session: tokens", () => {
  it("native_session: a broker hello without the broker token is refused with UNAUTHORIZED and closed", () => {
    const h = harness(localConfig({ id: "n1", ...TOKENS }));
    const reply = h.send(RequestCode.HELLO, hello("broker"));
    expect(reply).toMatchObject({ code: ErrorCode.UNAUTHORIZED, body: { message: expect.stringContaining("broker token") } });
    expect(h.conn.closedWith?.code).toBe(1008);
    expect(h.outcomes).toContain("auth:broker:brokerTokenRequired");
    expect(h.logs.filter((line) => line["msg"] === "request refused" && line["reason"] === "brokerTokenRequired")).toHaveLength(1);
  });

  it("native_session: a wrong token is refused whatever the role, and never quoted back", () => {
    const h = harness(localConfig({ ...TOKENS }));
    const reply = h.send(RequestCode.HELLO, hello("client", { token: "not-the-token-0123456789" }));
    expect(reply.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(JSON.stringify(reply.body)).not.toContain("not-the-token");
    expect(JSON.stringify(h.logs)).not.toContain("not-the-token");
    expect(h.outcomes).toContain("auth:client:tokenInvalid");
  });

  it("native_session: a broker with its token registers; a client without admin token cannot delete a topic", () => {
    const h = harness(localConfig({ ...TOKENS }));
    expect(h.send(RequestCode.HELLO, hello("broker", { token: BROKER_TOKEN })).code).toBe(ErrorCode.OK);
    expect(h.send(RequestCode.REGISTER_BROKER, REGISTRATION).code).toBe(ErrorCode.OK);
    const client = harness(localConfig({ ...TOKENS }));
    expect(client.send(RequestCode.HELLO, hello("client")).code).toBe(ErrorCode.OK);
    const refused = client.send(RequestCode.DELETE_TOPIC, { topic: "orders" });
    expect(refused).toMatchObject({ code: ErrorCode.UNAUTHORIZED, body: { message: "DELETE_TOPIC needs an admin token in the hello (--token-file)" } });
    expect(client.send(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }).code).toBe(ErrorCode.UNAUTHORIZED);
    expect(client.send(RequestCode.REGISTER_BROKER, REGISTRATION).code).toBe(ErrorCode.UNAUTHORIZED);
    expect(client.conn.closedWith).toBeNull();
    expect(client.outcomes).toEqual(expect.arrayContaining(["auth:client:adminRequired", "auth:client:brokerRequired"]));
    expect(() => client.node.kvList("ns")).toThrow("no kv entries");
    expect(client.node.getTopics(null)).toEqual([]);
  });

  it("native_session: an admin token grants admin writes", () => {
    const h = harness(localConfig({ ...TOKENS }));
    expect(h.send(RequestCode.HELLO, hello("client", { token: ADMIN_TOKEN })).code).toBe(ErrorCode.OK);
    expect(h.send(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }).code).toBe(ErrorCode.OK);
    expect(h.node.kvList("ns")).toEqual({ k: "v" });
  });

  it("native_session: with requireClientToken a hello without a token is refused; a client token reads", () => {
    const config = localConfig({ ...TOKENS, requireClientToken: true });
    const anonymous = harness(config);
    expect(anonymous.send(RequestCode.HELLO, hello("client")).code).toBe(ErrorCode.UNAUTHORIZED);
    expect(anonymous.outcomes).toContain("auth:client:tokenRequired");
    const reader = harness(config);
    expect(reader.send(RequestCode.HELLO, hello("client", { token: CLIENT_TOKEN })).code).toBe(ErrorCode.OK);
    expect(reader.send(RequestCode.GET_TOPICS, {}).code).toBe(ErrorCode.OK);
    expect(reader.send(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "v" }).code).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("native_session: without tokens configured everything stays open (the default)", () => {
    const h = harness(localConfig());
    expect(h.send(RequestCode.HELLO, hello("client", { token: "whatever-0123456789abc" })).code).toBe(ErrorCode.OK);
    expect(h.send(RequestCode.DELETE_TOPIC, { topic: "orders" }).code).toBe(ErrorCode.OK);
  });
});

/** The dialer's side of the challenge, with its own secrets. */
function dialerProof(secrets: string[], challenge: PeerChallenge): Uint8Array {
  const dialer = new Authenticator({ clusterSecrets: secrets, brokerTokens: [], adminTokens: [], clientTokens: [], requireClientToken: false });
  return dialer.prove("dialer", challenge);
}

/** Runs the dialer's half: hello with a nonce, check the acceptor's proof, PEER_AUTH. */
function peerHandshake(h: ReturnType<typeof harness>, dialerSecrets: string[], nonce = new Uint8Array(32).fill(7)) {
  const reply = h.send(RequestCode.HELLO, hello("peer", { nodeId: "d1", nonce }), 1);
  if (reply.code !== ErrorCode.OK) return { reply, auth: null, challenge: null, acceptorProofOk: false };
  const body = decodeHelloResponse(reply.body);
  const challenge: PeerChallenge = { dialerNonce: nonce, acceptorNonce: body.nonce as Uint8Array, dialerId: "d1", acceptorId: body.nodeId };
  const dialer = new Authenticator({ clusterSecrets: dialerSecrets, brokerTokens: [], adminTokens: [], clientTokens: [], requireClientToken: false });
  const acceptorProofOk = dialer.verify("acceptor", challenge, body.proof as Uint8Array);
  const auth = h.send(RequestCode.PEER_AUTH, { proof: dialerProof(dialerSecrets, challenge) }, 2);
  return { reply, auth, challenge, acceptorProofOk };
}

describe("native_session: peer challenge-response", () => {
  it("native_session: a peer with the secret proves itself both ways and becomes a peer link", () => {
    const h = harness(localConfig({ id: "a1", clusterSecrets: [SECRET_OLD] }));
    const { auth, acceptorProofOk } = peerHandshake(h, [SECRET_OLD]);
    expect(acceptorProofOk).toBe(true);
    expect(auth?.code).toBe(ErrorCode.OK);
    expect(h.session.role).toBe("peer");
    expect(h.peerLinks).toEqual(["d1"]);
  });

  it("native_session: a peer hello without a nonce is refused (forged hello of an old or rogue node)", () => {
    const h = harness(localConfig({ clusterSecrets: [SECRET_OLD] }));
    const reply = h.send(RequestCode.HELLO, hello("peer", { nodeId: "rogue" }));
    expect(reply.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(h.conn.closedWith?.code).toBe(1008);
    expect(h.outcomes).toContain("auth:peer:peerNonceMissing");
    expect(h.peerLinks).toEqual([]);
  });

  it("native_session: a proof made with another secret is refused and nothing is linked", () => {
    const h = harness(localConfig({ clusterSecrets: [SECRET_OLD] }));
    const { auth, acceptorProofOk } = peerHandshake(h, ["wrong-secret-0123456789ab"]);
    expect(acceptorProofOk).toBe(false);
    expect(auth?.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(h.conn.closedWith?.code).toBe(1008);
    expect(h.outcomes).toContain("auth:peer:peerProofInvalid");
    expect(h.session.role).toBe("pending");
    expect(h.peerLinks).toEqual([]);
  });

  it("native_session: a PEER_AUTH recorded on one connection is refused when replayed on another", () => {
    const config = localConfig({ clusterSecrets: [SECRET_OLD] });
    const first = harness(config);
    const recorded = peerHandshake(first, [SECRET_OLD]);
    expect(recorded.auth?.code).toBe(ErrorCode.OK);
    const replayProof = dialerProof([SECRET_OLD], recorded.challenge as PeerChallenge);
    const second = harness(config);
    const nonce = (recorded.challenge as PeerChallenge).dialerNonce;
    expect(second.send(RequestCode.HELLO, hello("peer", { nodeId: "d1", nonce })).code).toBe(ErrorCode.OK);
    const replay = second.send(RequestCode.PEER_AUTH, { proof: replayProof }, 2);
    expect(replay.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(second.peerLinks).toEqual([]);
  });

  it("native_session: PEER_DELTAS before PEER_AUTH is refused and closes the connection", () => {
    const h = harness(localConfig({ clusterSecrets: [SECRET_OLD] }));
    expect(h.send(RequestCode.HELLO, hello("peer", { nodeId: "d1", nonce: new Uint8Array(32) })).code).toBe(ErrorCode.OK);
    const reply = h.send(RequestCode.PEER_DELTAS, { records: [], repair: false }, 2);
    expect(reply.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(h.outcomes).toContain("auth:peer:peerAuthMissing");
    expect(h.conn.closedWith?.code).toBe(1008);
    expect(h.peerLinks).toEqual([]);
  });

  it("native_session: rotation: nodes holding [new, old] and [old, new] accept each other; [new] and [old] do not", () => {
    const rotating = harness(localConfig({ clusterSecrets: [SECRET_NEW, SECRET_OLD] }));
    const both = peerHandshake(rotating, [SECRET_OLD, SECRET_NEW]);
    expect(both.acceptorProofOk).toBe(true);
    expect(both.auth?.code).toBe(ErrorCode.OK);
    const finished = harness(localConfig({ clusterSecrets: [SECRET_NEW] }));
    const stale = peerHandshake(finished, [SECRET_OLD]);
    expect(stale.acceptorProofOk).toBe(false);
    expect(stale.auth?.code).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("native_session: with mutual TLS a peer without a verified client certificate is refused", () => {
    const h = harness(localConfig({ clusterSecrets: [SECRET_OLD] }), { tlsAuthorized: false, requirePeerCertificate: true });
    const reply = h.send(RequestCode.HELLO, hello("peer", { nodeId: "d1", nonce: new Uint8Array(32) }));
    expect(reply.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(h.outcomes).toContain("auth:peer:peerCertificateMissing");
  });
});

describe("native_session: abuse limits", () => {
  it("native_session: a pipelined burst stops reading at a sixteenth of the in-flight bound and is answered in full; past the bound a request gets LIMIT_EXCEEDED", () => {
    const h = harness(localConfig({ inflightRequestsPerConnectionMax: 32 }));
    expect(h.send(RequestCode.HELLO, hello("client")).code).toBe(ErrorCode.OK);
    const frame = (id: number): Uint8Array => encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_TOPICS, id, body: {} });
    h.conn.receive(frame(2));
    expect(h.conn.readingPaused).toBe(false);
    h.conn.receive(frame(3));
    expect(h.conn.readingPaused).toBe(true);
    // What one socket read already carried still arrives: queued up to the bound, then refused.
    for (let id = 4; id <= 34; id += 1) h.conn.receive(frame(id));
    const refused = h.frames().filter((f) => f.code === ErrorCode.LIMIT_EXCEEDED);
    expect(refused.map((f) => f.id)).toEqual([34]);
    expect(refused[0]?.body).toEqual({
      message: "busy: at most 32 requests may wait for an answer on one connection (INFLIGHT_REQUESTS_PER_CONNECTION_MAX); wait for answers before sending more",
    });
    expect(h.outcomes).toContain("limit:INFLIGHT_REQUESTS_PER_CONNECTION_MAX");
    expect(h.logs.filter((line) => line["msg"] === "in-flight bound hit")).toHaveLength(1);
    h.run();
    expect(h.conn.readingPaused).toBe(false);
    h.sendBytes(frame(35));
    const answered = h.frames().filter((f) => f.code === ErrorCode.OK && f.id >= 2).map((f) => f.id);
    expect(answered).toEqual([...Array.from({ length: 32 }, (_, index) => index + 2), 35]);
    expect(h.conn.closedWith).toBeNull();
  });

  it("native_session: a client frame over clientFrameBytesMax closes with 1009; a broker with its token may send more", () => {
    const config = localConfig({ clientFrameBytesMax: 4_096, ...TOKENS });
    const big = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_ROUTE, id: 1, body: { pad: "x".repeat(5_000) } });
    const client = harness(config);
    expect(client.send(RequestCode.HELLO, hello("client")).code).toBe(ErrorCode.OK);
    client.sendBytes(big);
    expect(client.conn.closedWith?.code).toBe(1009);
    expect(client.outcomes).toContain("limit:CLIENT_FRAME_BYTES_MAX");
    const broker = harness(config);
    expect(broker.send(RequestCode.HELLO, hello("broker", { token: BROKER_TOKEN })).code).toBe(ErrorCode.OK);
    broker.sendBytes(big);
    expect(broker.conn.closedWith).toBeNull();
  });

  it("native_session: expireHello closes a connection still pending and leaves a helloed one alone", () => {
    const pending = harness(localConfig());
    pending.session.expireHello(10_000);
    expect(pending.conn.closedWith).toMatchObject({ code: 1008, reason: "hello not completed within 10000 ms" });
    expect(pending.outcomes).toEqual(expect.arrayContaining(["limit:HELLO_TIMEOUT_MS", "closed:helloTimeout"]));
    const done = harness(localConfig());
    done.send(RequestCode.HELLO, hello("client"));
    done.session.expireHello(10_000);
    expect(done.conn.closedWith).toBeNull();
  });
});

// Goal: a node that leaves (graceful drain) is not ready at once, its peers mark it departed
// without a "peer down" warning, and the brokers it heard are neither suspected nor evicted for
// its departure; they expire by the usual rules only when nobody hears them, and a restarted
// node rejoins. Method: three NameServerNodes in a hand-wired mesh with explicit times; every
// peer message goes through the real frame codec and the peer decoders, as on the wire.
import { describe, expect, it } from "vitest";
import { NotReadyError } from "../errors.js";
import { SUSPICION_MS, TICK_MS } from "../limits.js";
import { FrameKind } from "../protocol/codes.js";
import { decodeFrame, encodeFrame } from "../protocol/frame.js";
import { decodePeerDeltas, decodePeerDigest, decodePeerPull, decodePeerSummary, decodePeerWant } from "../protocol/messages/gossip.js";
import type { BrokerRegistration } from "../model/types.js";
import { SeededRng } from "./clock.js";
import type { PeerMessage } from "./effects.js";
import { NameServerNode, defaultNodeOptions } from "./node.js";

const EXPIRY_MS = 2_000;
const IDS = ["n1", "n2", "n3"] as const;

interface LogEntry {
  readonly nodeId: string;
  readonly level: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Three nodes, every pair linked, all ready; peer messages delivered by `settle`. */
class Mesh {
  readonly nodes = new Map<string, NameServerNode>();
  readonly logs: LogEntry[] = [];
  nowMs = 0;

  constructor() {
    IDS.forEach((id, index) => {
      const seeds = IDS.filter((other) => other !== id).map((other) => `127.0.0.${IDS.indexOf(other) + 1}:9877`);
      const options = { ...defaultNodeOptions(id), brokerExpiryMs: EXPIRY_MS, peersConfigured: true, seeds };
      const node = new NameServerNode(options, new SeededRng(index + 1), 0);
      node.markReady("test");
      this.nodes.set(id, node);
    });
    for (const id of IDS) for (const other of IDS) if (other !== id) this.node(id).peerConnected(other, null, 0);
    this.settle();
  }

  node(id: string): NameServerNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  /** Carries every queued peer message (through the codec) until no node has any left. */
  settle(): void {
    for (let round = 0; round < 100; round++) {
      let moved = false;
      for (const [from, node] of this.nodes) {
        for (const effect of node.takeEffects()) {
          if (effect.kind === "log") this.logs.push({ nodeId: from, level: effect.level, msg: effect.msg, fields: effect.fields });
          if (effect.kind !== "peerSend") continue;
          const target = this.nodes.get(effect.peerId);
          if (!target) continue;
          moved = true;
          deliver(target, from, effect.message, this.nowMs);
        }
      }
      if (!moved) return;
    }
    throw new Error("peer messages did not settle");
  }

  /** Ticks the given nodes up to `toMs`, as the shell does, settling after each tick. */
  advanceTo(toMs: number, ids: readonly string[]): void {
    while (this.nowMs < toMs) {
      this.nowMs += TICK_MS;
      for (const id of ids) this.node(id).tick(this.nowMs);
      this.settle();
    }
  }

  logsOf(id: string, msg: string): LogEntry[] {
    return this.logs.filter((entry) => entry.nodeId === id && entry.msg === msg);
  }
}

function deliver(target: NameServerNode, from: string, message: PeerMessage, nowMs: number): void {
  const frame = decodeFrame(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: 0, id: 0, body: message.body }));
  switch (message.type) {
    case "deltas":
      return target.onPeerDeltas(from, decodePeerDeltas(frame.body), nowMs);
    case "digest":
      return target.onPeerDigest(from, decodePeerDigest(frame.body), nowMs);
    case "pull":
      return target.onPeerPull(from, decodePeerPull(frame.body), nowMs);
    case "summary":
      return target.onPeerSummary(from, decodePeerSummary(frame.body), nowMs);
    case "want":
      return target.onPeerWant(from, decodePeerWant(frame.body), nowMs);
  }
}

function registration(name: string, addr: string, topic: string): BrokerRegistration {
  return {
    clusterName: "C",
    brokerAddr: addr,
    brokerName: name,
    brokerId: 0,
    haServerAddr: addr,
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: null,
    dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
    topics: [{ topicName: topic, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false }],
  };
}

/** Broker "everywhere" on all three nodes (connection 1 on each), broker "only3" on n3 only (connection 2). */
function meshWithBrokers(): Mesh {
  const mesh = new Mesh();
  for (const id of IDS) mesh.node(id).registerBroker(1, "native", registration("everywhere", "10.0.0.1:10911", "TopicAll"), { epoch: 1, seq: 1 }, 0);
  mesh.node("n3").registerBroker(2, "native", registration("only3", "10.0.0.3:10911", "TopicOnly3"), { epoch: 1, seq: 1 }, 0);
  mesh.settle();
  for (const id of IDS) {
    expect(mesh.node(id).findRoute("TopicAll")).not.toBeNull();
    expect(mesh.node(id).findRoute("TopicOnly3")).not.toBeNull();
  }
  return mesh;
}

/** n3's shell after leave(): closes its broker connections, then the peers lose their links to it. */
function closeNode3(mesh: Mesh): void {
  const n3 = mesh.node("n3");
  n3.connectionClosed(1, mesh.nowMs);
  n3.connectionClosed(2, mesh.nowMs);
  mesh.settle();
  for (const id of ["n1", "n2"]) mesh.node(id).peerDisconnected("n3", mesh.nowMs);
  mesh.settle();
}

describe("leaving", () => {
  it("leaving: a leaving node answers NOT_READY at once and its peers log 'peer left', not 'peer down'", () => {
    const mesh = meshWithBrokers();
    const n3 = mesh.node("n3");
    n3.leave(mesh.nowMs);
    expect(n3.isReady()).toBe(false);
    expect(() => n3.query({ kind: "route", topic: "TopicAll" })).toThrow(NotReadyError);
    expect(() => n3.subscribe(9, [{ topic: "TopicAll", revision: null }])).toThrow(NotReadyError);
    mesh.settle();
    closeNode3(mesh);
    for (const id of ["n1", "n2"]) {
      expect(mesh.logsOf(id, "peer left").map((entry) => entry.fields["peerId"])).toEqual(["n3"]);
      expect(mesh.logsOf(id, "peer down")).toEqual([]);
      expect(mesh.node(id).peerStates().find((peer) => peer.peerId === "n3")?.up).toBe(false);
      expect(mesh.node(id).isReady()).toBe(true);
    }
  });

  it("leaving: brokers the leaving node heard are not suspected; one nobody else hears expires by the usual rule", () => {
    const mesh = meshWithBrokers();
    mesh.node("n3").leave(mesh.nowMs);
    mesh.settle();
    closeNode3(mesh);
    // n1 and n2 keep hearing "everywhere"; nobody hears "only3" any more.
    const heartbeatUntil = (toMs: number): void => {
      let seq = 2;
      while (mesh.nowMs < toMs) {
        for (const id of ["n1", "n2"]) mesh.node(id).heartbeat(1, "C", "10.0.0.1:10911", { epoch: 1, seq }, mesh.nowMs);
        seq += 1;
        mesh.advanceTo(mesh.nowMs + 200, ["n1", "n2"]);
      }
    };
    heartbeatUntil(SUSPICION_MS * 3);
    for (const id of ["n1", "n2"]) {
      expect(mesh.logsOf(id, "broker suspected")).toEqual([]);
      expect(mesh.node(id).findRoute("TopicOnly3")).not.toBeNull();
    }
    heartbeatUntil(EXPIRY_MS + 500);
    for (const id of ["n1", "n2"]) {
      expect(mesh.node(id).findRoute("TopicAll")).not.toBeNull();
      expect(mesh.node(id).findRoute("TopicOnly3")).toBeNull();
      expect(mesh.logsOf(id, "broker offline").map((entry) => entry.fields["reason"])).toEqual(["expired"]);
      expect(mesh.logsOf(id, "broker suspected")).toEqual([]);
    }
  });

  it("leaving: without the leaving notice, the same stop looks like a failure (the control case)", () => {
    const mesh = meshWithBrokers();
    closeNode3(mesh);
    mesh.advanceTo(SUSPICION_MS + 2 * TICK_MS, ["n1", "n2"]);
    for (const id of ["n1", "n2"]) {
      expect(mesh.logsOf(id, "peer down")).toHaveLength(1);
      expect(mesh.logsOf(id, "peer left")).toEqual([]);
      expect(mesh.logsOf(id, "broker suspected").length).toBeGreaterThan(0);
      expect(mesh.node(id).findRoute("TopicOnly3")).toBeNull();
    }
  });

  it("leaving: a peer linked to the leaving node only by its own dial is told too", () => {
    const mesh = meshWithBrokers();
    mesh.node("n3").leave(mesh.nowMs, ["n4", "n3"]);
    const notices = mesh.node("n3").takeEffects().flatMap((effect) => (effect.kind === "peerSend" && effect.message.type === "deltas" && effect.message.body.leaving === true ? [effect.peerId] : []));
    expect(notices.sort()).toEqual(["n1", "n2", "n4"]);
  });

  it("leaving: a departed peer that comes back is up again, and a second notice changes nothing", () => {
    const mesh = meshWithBrokers();
    const n3 = mesh.node("n3");
    n3.leave(mesh.nowMs);
    n3.leave(mesh.nowMs);
    mesh.settle();
    expect(mesh.logsOf("n3", "node leaving")).toHaveLength(1);
    mesh.node("n1").onPeerDeltas("n3", { records: [], repair: false, leaving: true }, mesh.nowMs);
    mesh.settle();
    expect(mesh.logsOf("n1", "peer left")).toHaveLength(1);
    mesh.node("n1").peerConnected("n3", null, mesh.nowMs);
    mesh.settle();
    expect(mesh.node("n1").peerStates().find((peer) => peer.peerId === "n3")?.up).toBe(true);
    expect(mesh.logsOf("n1", "peer up").filter((entry) => entry.fields["peerId"] === "n3")).toHaveLength(2);
  });
});

// Goal: compact liveness evidence (PEER_HEARD) keeps a broker that one node hears alive on its
// peers, lets it expire there on time once the bits stop, never revives a broker held offline,
// recovers from a receiver that lost the sender's table, and crosses a cut link through a relay.
// Method: NameServerNodes wired by hand; every peer frame is delivered in order as ClusterSim
// delivers it (cloned, validated by the protocol decoders), over links that a test can block.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/core/clock.js";
import type { PeerMessage } from "../../src/core/effects.js";
import { NameServerNode, defaultNodeOptions } from "../../src/core/node.js";
import { EVIDENCE_SHARE_MS, EVIDENCE_SHARES_PER_EXPIRY, TICK_MS } from "../../src/limits.js";
import { decodePeerHeard, type PeerHeard } from "../../src/protocol/messages/heard.js";
import { applyPeerFrame } from "../../src/testing/sim_delivery.js";
import { brokerRegistration, topicConfig } from "./harness.js";

const EXPIRY_MS = 2_000;
/** A broker's share interval: EVIDENCE_SHARES_PER_EXPIRY per expiry, in EVIDENCE_SHARE_MS steps. */
const SHARE_MS = Math.max(1, Math.floor(EXPIRY_MS / EVIDENCE_SHARES_PER_EXPIRY / EVIDENCE_SHARE_MS)) * EVIDENCE_SHARE_MS;
const HEARTBEAT_MS = 500;
const KEY = "DefaultCluster@10.0.0.1:10911";

const registration = () => brokerRegistration([topicConfig("Orders", 4)]);

function makeNode(id: string, seed: number, nowMs = 0): NameServerNode {
  return new NameServerNode({ ...defaultNodeOptions(id), brokerExpiryMs: EXPIRY_MS, peersConfigured: true, startupGraceMs: 0 }, new SeededRng(seed), nowMs);
}

/** Nodes and ordered links between them; a blocked link drops what it carries. */
class Mesh {
  readonly nodes = new Map<string, NameServerNode>();
  readonly blocked = new Set<string>();
  /** PEER_HEARD frames delivered, per "from>to". */
  readonly heard = new Map<string, PeerHeard[]>();
  nowMs = 0;

  constructor(ids: readonly string[]) {
    ids.forEach((id, index) => this.nodes.set(id, makeNode(id, index + 1)));
    for (const a of ids) for (const b of ids) if (a !== b) this.node(a).peerConnected(b, null, 0);
    this.drain();
    // The grace (0) passes at the first tick: every node is ready (and routing) before a test starts.
    for (const node of this.nodes.values()) node.tick(0);
    this.drain();
  }

  node(id: string): NameServerNode {
    return this.nodes.get(id) as NameServerNode;
  }

  /** Delivers every queued peer frame, and what it causes, in order. */
  drain(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, node] of this.nodes) {
        for (const effect of node.takeEffects()) {
          if (effect.kind !== "peerSend" || this.blocked.has(`${from}>${effect.peerId}`)) continue;
          const to = this.nodes.get(effect.peerId);
          if (to) this.deliver(from, effect.peerId, to, effect.message);
          moved = true;
        }
      }
    }
  }

  /** Ticks every node until `toMs`, calling `each` first at every tick. */
  runUntil(toMs: number, each: (nowMs: number) => void = () => undefined): void {
    while (this.nowMs + TICK_MS <= toMs) {
      this.nowMs += TICK_MS;
      each(this.nowMs);
      for (const node of this.nodes.values()) node.tick(this.nowMs);
      this.drain();
    }
  }

  routes(id: string): boolean {
    return this.node(id).getClusterInfo().brokerAddrTable["broker-a"] !== undefined;
  }

  private deliver(from: string, toId: string, to: NameServerNode, message: PeerMessage): void {
    if (message.type === "heard") {
      const link = `${from}>${toId}`;
      this.heard.set(link, [...(this.heard.get(link) ?? []), decodePeerHeard(structuredClone(message.body))]);
    }
    applyPeerFrame(to, from, message, undefined, this.nowMs);
  }
}

/** n1 hears the broker: registration at 0, then a heartbeat every HEARTBEAT_MS until `silentFromMs`. */
function hearing(mesh: Mesh, silentFromMs: number): (nowMs: number) => void {
  mesh.node("n1").registerBroker(1, "native", registration(), { epoch: 1, seq: 0 }, 0);
  mesh.drain();
  return (nowMs) => {
    if (nowMs < silentFromMs && nowMs % HEARTBEAT_MS === 0) mesh.node("n1").heartbeat(1, "DefaultCluster", "10.0.0.1:10911", { epoch: 1, seq: nowMs }, nowMs);
  };
}

describe("compact liveness evidence", () => {
  it("evidence: a peer that hears a broker only through PEER_HEARD keeps it for many expiries and expires it on time once the bits stop", () => {
    const mesh = new Mesh(["n1", "n2"]);
    const silentFromMs = 5 * EXPIRY_MS;
    const beat = hearing(mesh, silentFromMs);
    let dropped = false;
    mesh.runUntil(silentFromMs, (now) => {
      if (!mesh.routes("n2")) dropped = true;
      beat(now);
    });
    expect(dropped).toBe(false);
    const frames = (mesh.heard.get("n1>n2") ?? []).filter((frame) => frame.groups.length > 0);
    // Every heartbeat lands in a share (one group of one bit); the key went once.
    expect(frames.length).toBeGreaterThanOrEqual(silentFromMs / Math.max(SHARE_MS, HEARTBEAT_MS) - 2);
    expect(frames.filter((frame) => frame.keys.length > 0).length).toBeLessThanOrEqual(2);
    // The broker falls silent and n1's verdict never reaches n2: n2 expires it on its own deadline.
    const lastHeartbeatMs = silentFromMs - HEARTBEAT_MS;
    mesh.blocked.add("n1>n2");
    let goneAtMs: number | null = null;
    mesh.runUntil(silentFromMs + 2 * EXPIRY_MS, (now) => {
      if (goneAtMs === null && !mesh.routes("n2")) goneAtMs = now;
      beat(now);
    });
    expect(goneAtMs).not.toBeNull();
    const afterMs = (goneAtMs ?? 0) - lastHeartbeatMs;
    // Not after the expiry (plus a tick); not before it less what the last share that got through
    // can miss: a heartbeat interval and a share interval, and half of one more of age rounding.
    expect(afterMs).toBeLessThanOrEqual(EXPIRY_MS + TICK_MS);
    expect(afterMs).toBeGreaterThanOrEqual(EXPIRY_MS - HEARTBEAT_MS - SHARE_MS - SHARE_MS / 2);
  });

  it("evidence: bits never bring back a broker a peer holds offline", () => {
    const mesh = new Mesh(["n1", "n2"]);
    const beat = hearing(mesh, Number.POSITIVE_INFINITY);
    mesh.runUntil(1_000, beat);
    expect(mesh.routes("n2")).toBe(true);
    // n2 takes an offline verdict that n1 never sees; n1 keeps vouching.
    mesh.blocked.add("n2>n1");
    mesh.node("n2").mergeRemote({ type: "liveness", brokerKey: KEY, session: 0, alive: false, reason: "expired", evidence: { epoch: 1, seq: 1_000_000 } }, mesh.nowMs, "n3");
    const before = mesh.node("n2").gossipCounters().heardVouchesReceived;
    let revived = false;
    mesh.runUntil(1_000 + 3 * EXPIRY_MS, (now) => {
      beat(now);
      if (mesh.routes("n2")) revived = true;
    });
    expect(mesh.node("n2").gossipCounters().heardVouchesReceived - before).toBeGreaterThan(5);
    expect(revived).toBe(false);
    expect(mesh.routes("n1")).toBe(true);
  });

  it("evidence: a receiver that lost the sender's table gets all of it again and keeps the broker", () => {
    const mesh = new Mesh(["n1", "n2"]);
    const beat = hearing(mesh, Number.POSITIVE_INFINITY);
    mesh.runUntil(1_000, beat);
    // n2 restarts empty without n1 noticing (its link stays up): n1 still believes n2 holds its keys.
    const framesBefore = (mesh.heard.get("n1>n2") ?? []).length;
    const fresh = makeNode("n2", 9, mesh.nowMs);
    for (const record of mesh.node("n1").snapshot()) fresh.mergeRemote(record, mesh.nowMs, "n1");
    fresh.peerConnected("n1", null, mesh.nowMs);
    mesh.nodes.set("n2", fresh);
    mesh.drain();
    let dropped = false;
    mesh.runUntil(1_000 + 3 * EXPIRY_MS, (now) => {
      beat(now);
      if (!mesh.routes("n2")) dropped = true;
    });
    expect(dropped).toBe(false);
    // n2's first frame told n1 it holds none of n1's table: n1's next vouch carried the key again.
    const after = (mesh.heard.get("n1>n2") ?? []).slice(framesBefore).filter((frame) => frame.groups.length > 0);
    expect(after[0]?.base).toBe(0);
    expect(after[0]?.keys).toEqual([KEY]);
    expect(fresh.gossipCounters().heardVouchesUnknown).toBe(0);
  });

  it("evidence: a one-way cut is bridged by a relay (one hop more, aged), and nobody expires the broker", () => {
    const mesh = new Mesh(["n1", "n2", "n3"]);
    const beat = hearing(mesh, Number.POSITIVE_INFINITY);
    mesh.blocked.add("n1>n3");
    let dropped = false;
    mesh.runUntil(4 * EXPIRY_MS, (now) => {
      beat(now);
      if (!mesh.routes("n3")) dropped = true;
    });
    expect(dropped).toBe(false);
    const relayed = (mesh.heard.get("n2>n3") ?? []).flatMap((frame) => frame.groups);
    expect(relayed.length).toBeGreaterThan(0);
    expect(relayed.every((group) => group.hops === 1 && group.ageMs > 0)).toBe(true);
    expect(mesh.node("n3").counters.evictionsExpired).toBe(0);
  });

  it("evidence: a receiver acknowledges what it holds of a sender's table: a gap or a contradiction asks for it from the start", () => {
    const mesh = new Mesh(["n1", "n2"]);
    mesh.blocked.add("n1>n2");
    const n2 = mesh.node("n2");
    const group = { hops: 0, ageMs: 0, bitmap: new Uint8Array([0b1]) };
    const lastAck = (): PeerHeard["ack"] => {
      mesh.runUntil(mesh.nowMs + 200);
      return (mesh.heard.get("n2>n1") ?? []).at(-1)?.ack ?? null;
    };
    // Keys from index 3 of a table never seen: nothing to name index 0 with.
    n2.onPeerHeard("n1", { gen: 77, base: 3, keys: ["C@h:4"], ack: null, groups: [group] }, mesh.nowMs);
    expect(n2.gossipCounters().heardVouchesUnknown).toBe(1);
    expect(lastAck()).toEqual({ gen: 77, count: 0 });
    n2.onPeerHeard("n1", { gen: 77, base: 0, keys: ["C@h:1", "C@h:2"], ack: null, groups: [group] }, mesh.nowMs);
    expect(lastAck()).toEqual({ gen: 77, count: 2 });
    n2.onPeerHeard("n1", { gen: 77, base: 1, keys: ["C@h:3"], ack: null, groups: [] }, mesh.nowMs);
    const logs = n2.takeEffects().flatMap((effect) => (effect.kind === "log" ? [effect.msg] : []));
    expect(logs).toContain("peer evidence table contradicts itself; asking for it again");
    expect(lastAck()).toEqual({ gen: 77, count: 0 });
  });
});

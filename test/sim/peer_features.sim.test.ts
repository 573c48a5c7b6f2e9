// Goal: what a node sends each peer follows the features the peer's hello announced. A peer
// without `heard` (a node from before PEER_HEARD) gets no PEER_HEARD, but the liveness record of
// each broker this node hears, once per share slot and at once when its link comes up; one
// without `rootDigest` gets every digest whole. A capable peer gets bits and root-only digests,
// and no per-heartbeat records. A liveness record with fresher evidence from a legacy peer goes
// on to capable peers as relayed bits. Method: NameServerNodes driven by hand with explicit
// times; the effects of one node are read per peer, frames through the real codec and decoders.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/core/clock.js";
import type { PeerMessage } from "../../src/core/effects.js";
import { NameServerNode, defaultNodeOptions } from "../../src/core/node.js";
import { DIGEST_BUCKETS, EVIDENCE_SHARE_MS, EVIDENCE_SHARES_PER_EXPIRY, TICK_MS } from "../../src/limits.js";
import { FrameKind, RequestCode } from "../../src/protocol/codes.js";
import { decodeFrame, encodeFrame } from "../../src/protocol/frame.js";
import { decodePeerDeltas, decodePeerDigest } from "../../src/protocol/messages/gossip.js";
import { decodePeerHeard } from "../../src/protocol/messages/heard.js";
import { brokerRegistration, topicConfig } from "./harness.js";

const EXPIRY_MS = 4_000;
const HEARTBEAT_MS = 500;
const KEY = "DefaultCluster@10.0.0.1:10911";
const ADDR = "10.0.0.1:10911";

function makeNode(id: string, seed: number): NameServerNode {
  const options = { ...defaultNodeOptions(id), brokerExpiryMs: EXPIRY_MS, peersConfigured: true, startupGraceMs: 0 };
  return new NameServerNode(options, new SeededRng(seed), 0);
}

const registration = () => brokerRegistration([topicConfig("Orders", 4)]);

/** A peer message as its receiver decodes it. */
function onWire(message: PeerMessage): unknown {
  return decodeFrame(encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.PEER_DELTAS, id: 0, body: message.body })).body;
}

/** What one node sent, by peer. */
class Outbox {
  readonly sent = new Map<string, PeerMessage[]>();
  take(node: NameServerNode): void {
    for (const effect of node.takeEffects()) {
      if (effect.kind === "peerSend") this.sent.set(effect.peerId, [...(this.sent.get(effect.peerId) ?? []), effect.message]);
    }
  }
  of(peerId: string, type: PeerMessage["type"]): PeerMessage[] {
    return (this.sent.get(peerId) ?? []).filter((message) => message.type === type);
  }
  livenessRecords(peerId: string): number {
    return this.of(peerId, "deltas").reduce((sum, message) => sum + decodePeerDeltas(onWire(message)).records.filter((record) => record.type === "liveness" && record.brokerKey === KEY).length, 0);
  }
  clear(): void {
    this.sent.clear();
  }
}

/** n1 hears broker-a (heartbeats every HEARTBEAT_MS); n2 is a node from before features, n3 is current. */
function setUp(): { n1: NameServerNode; out: Outbox; run: (fromMs: number, toMs: number) => void } {
  const n1 = makeNode("n1", 1);
  const out = new Outbox();
  n1.peerConnected("n2", null, 0, []);
  n1.peerConnected("n3", null, 0, ["heard", "rootDigest"]);
  n1.markReady("test");
  n1.registerBroker(1, "native", registration(), { epoch: 1, seq: 0 }, 0);
  out.take(n1);
  let seq = 0;
  const run = (fromMs: number, toMs: number): void => {
    for (let nowMs = fromMs; nowMs <= toMs; nowMs += TICK_MS) {
      if (nowMs % HEARTBEAT_MS === 0) n1.heartbeat(1, "DefaultCluster", ADDR, { epoch: 1, seq: ++seq }, nowMs);
      n1.tick(nowMs);
      out.take(n1);
    }
  };
  return { n1, out, run };
}

describe("peer features", () => {
  it("peer features: a legacy peer gets one liveness record per share slot and no PEER_HEARD; a capable one bits only", () => {
    const { out, run } = setUp();
    run(TICK_MS, 2 * EXPIRY_MS);
    out.clear();
    run(2 * EXPIRY_MS + TICK_MS, 5 * EXPIRY_MS);
    const shareMs = Math.max(EVIDENCE_SHARE_MS, Math.floor(EXPIRY_MS / EVIDENCE_SHARES_PER_EXPIRY / EVIDENCE_SHARE_MS) * EVIDENCE_SHARE_MS);
    const slots = (3 * EXPIRY_MS) / shareMs;
    expect(out.of("n2", "heard")).toHaveLength(0);
    // One record per broker and share slot (not one per heartbeat: that would be 24).
    expect(out.livenessRecords("n2")).toBeGreaterThanOrEqual(slots - 1);
    expect(out.livenessRecords("n2")).toBeLessThanOrEqual(slots + 1);
    expect(out.livenessRecords("n3")).toBe(0);
    const vouches = out.of("n3", "heard").flatMap((message) => decodePeerHeard(onWire(message)).groups);
    expect(vouches.length).toBeGreaterThanOrEqual(slots - 1);
  });

  it("peer features: periodic digests go whole to a peer without rootDigest, root-only to one with it", () => {
    const { out, run } = setUp();
    run(TICK_MS, 30_000);
    const buckets = (peerId: string) => out.of(peerId, "digest").map((message) => decodePeerDigest(onWire(message)).buckets.length);
    expect(buckets("n2").length).toBeGreaterThan(3);
    expect(new Set(buckets("n2"))).toEqual(new Set([DIGEST_BUCKETS]));
    // The first digest of a link is whole; the periodic ones of a ready node are the root alone.
    expect(buckets("n3").slice(1).length).toBeGreaterThan(3);
    expect(new Set(buckets("n3").slice(1))).toEqual(new Set([0]));
  });

  it("peer features: a legacy peer whose link comes back gets the records of the brokers heard here before the digest", () => {
    const { n1, out, run } = setUp();
    run(TICK_MS, EXPIRY_MS);
    n1.peerDisconnected("n2", EXPIRY_MS);
    out.take(n1);
    out.clear();
    n1.peerConnected("n2", null, EXPIRY_MS + 1, []);
    out.take(n1);
    const sent = out.sent.get("n2") ?? [];
    expect(sent.map((message) => message.type)).toEqual(["deltas", "digest"]);
    expect(out.livenessRecords("n2")).toBe(1);
    // The peer restarted as a current node: from now on it gets bits, and the records stop.
    n1.peerDisconnected("n2", EXPIRY_MS + 2);
    n1.peerConnected("n2", null, EXPIRY_MS + 3, ["heard", "rootDigest"]);
    out.take(n1);
    out.clear();
    run(EXPIRY_MS + TICK_MS, 3 * EXPIRY_MS);
    expect(out.livenessRecords("n2")).toBe(0);
    expect(out.of("n2", "heard").length).toBeGreaterThan(0);
  });

  it("peer features: fresher evidence in a legacy peer's records reaches capable peers as relayed bits", () => {
    // n2 (legacy, sees every peer as legacy) hears broker-a; n1 hears it only through n2's records.
    const n1 = makeNode("n1", 1);
    const n2 = makeNode("n2", 2);
    const out = new Outbox();
    n1.peerConnected("n2", null, 0, []);
    n1.peerConnected("n3", null, 0, ["heard", "rootDigest"]);
    n2.peerConnected("n1", null, 0, []);
    n2.registerBroker(1, "native", registration(), { epoch: 1, seq: 0 }, 0);
    let seq = 0;
    for (let nowMs = TICK_MS; nowMs <= 3 * EXPIRY_MS; nowMs += TICK_MS) {
      if (nowMs % HEARTBEAT_MS === 0) n2.heartbeat(1, "DefaultCluster", ADDR, { epoch: 1, seq: ++seq }, nowMs);
      n2.tick(nowMs);
      for (const effect of n2.takeEffects()) {
        if (effect.kind !== "peerSend" || effect.peerId !== "n1") continue;
        expect(effect.message.type).not.toBe("heard");
        if (effect.message.type === "deltas") n1.onPeerDeltas("n2", decodePeerDeltas(onWire(effect.message)), nowMs);
      }
      n1.tick(nowMs);
      out.take(n1);
      // The broker's first liveness record (a new session) is a record for every peer; count after it.
      if (nowMs === EXPIRY_MS) out.clear();
    }
    expect(n1.findRoute("Orders")?.brokerDatas[0]?.brokerName).toBe("broker-a");
    const groups = out.of("n3", "heard").flatMap((message) => decodePeerHeard(onWire(message)).groups);
    // Over two expiries, n1 vouches for the broker at one relay hop (it never heard it itself).
    expect(groups.length).toBeGreaterThan(EVIDENCE_SHARES_PER_EXPIRY);
    expect(new Set(groups.map((group) => group.hops))).toEqual(new Set([1]));
    expect(out.livenessRecords("n3")).toBe(0);
  });
});

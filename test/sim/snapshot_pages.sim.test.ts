// Goal: a node restarted empty takes its peers' table as a paged snapshot: it serves nothing
// until the last page (however long the pages take, as long as they keep coming), then every
// route; each record crosses about once, also with two peers paging at the same time; what
// changes during the snapshot and what only the starting node holds still end up on both sides;
// a peer that does not take pages gets it whole; pages that stop coming leave the node to its
// startup grace.
// Method: NameServerNodes wired by hand, one ordered queue per link (frames cloned and validated
// as the wire would), delivered one frame at a time so time can pass between pages.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/core/clock.js";
import { NotReadyError } from "../../src/errors.js";
import type { PeerMessage } from "../../src/core/effects.js";
import { NameServerNode, defaultNodeOptions, type NodeOptions } from "../../src/core/node.js";
import { TICK_MS } from "../../src/limits.js";
import { PeerFeature } from "../../src/protocol/messages/hello.js";
import { applyPeerFrame } from "../../src/testing/sim_delivery.js";
import { brokerRegistration, topicConfig } from "./harness.js";

const PAGE_RECORDS = 60;
const GRACE_MS = 2_000;
const BROKERS = 4;
const TOPICS_PER_BROKER = 150;

function makeNode(id: string, seed: number, options: Partial<NodeOptions> = {}): NameServerNode {
  const base = { ...defaultNodeOptions(id), peersConfigured: true, startupGraceMs: GRACE_MS, snapshotPageRecordsMax: PAGE_RECORDS };
  return new NameServerNode({ ...base, ...options }, new SeededRng(seed), 0);
}

/** Nodes and one ordered frame queue per directed link; a blocked link drops what it carries. */
class Links {
  readonly nodes = new Map<string, NameServerNode>();
  readonly queues = new Map<string, PeerMessage[]>();
  readonly blocked = new Set<string>();
  /** Records carried by deltas frames, per "from>to". */
  readonly recordsCarried = new Map<string, number>();
  /** Entries of the summaries delivered, per "from>to", one number per frame. */
  readonly summaries = new Map<string, number[]>();
  /** Pulls delivered, per "from>to", with their `more` flag. */
  readonly pulls = new Map<string, boolean[]>();
  nowMs = 0;

  add(id: string, node: NameServerNode): NameServerNode {
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): NameServerNode {
    return this.nodes.get(id) as NameServerNode;
  }

  connect(a: string, b: string): void {
    this.node(a).peerConnected(b, null, this.nowMs);
    this.node(b).peerConnected(a, null, this.nowMs);
    this.collect();
  }

  /** Moves every node's peer effects onto the link queues. */
  collect(): void {
    for (const [from, node] of this.nodes) {
      for (const effect of node.takeEffects()) {
        if (effect.kind !== "peerSend" || !this.nodes.has(effect.peerId)) continue;
        const link = `${from}>${effect.peerId}`;
        if (this.blocked.has(link)) continue;
        this.queues.set(link, [...(this.queues.get(link) ?? []), effect.message]);
      }
    }
  }

  /** Delivers the first queued frame of one link; false when it had none. */
  deliverOne(link: string): boolean {
    const message = this.queues.get(link)?.shift();
    if (message === undefined) return false;
    const [from, to] = link.split(">") as [string, string];
    if (message.type === "deltas") this.recordsCarried.set(link, (this.recordsCarried.get(link) ?? 0) + message.body.records.length);
    if (message.type === "summary") this.summaries.set(link, [...(this.summaries.get(link) ?? []), message.body.entries.length]);
    if (message.type === "pull") this.pulls.set(link, [...(this.pulls.get(link) ?? []), message.body.more === true]);
    applyPeerFrame(this.node(to), from, message, undefined, this.nowMs);
    this.collect();
    return true;
  }

  /** Delivers everything queued, and what it causes, in link order. */
  drain(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const link of [...this.queues.keys()]) while (this.deliverOne(link)) moved = true;
    }
  }

  tick(): void {
    this.nowMs += TICK_MS;
    for (const node of this.nodes.values()) node.tick(this.nowMs);
    this.collect();
  }
}

/** A ready node holding BROKERS brokers of TOPICS_PER_BROKER topics each (one registering connection per broker). */
function loadedNode(links: Links, id: string, seed: number): NameServerNode {
  const node = links.add(id, makeNode(id, seed, { peersConfigured: false }));
  for (let broker = 0; broker < BROKERS; broker++) register(node, broker, TOPICS_PER_BROKER, links.nowMs);
  node.takeEffects();
  return node;
}

/** A ready node holding brokers `from`..`to` - 1 (TOPICS_PER_BROKER topics each). */
function nodeWith(links: Links, id: string, seed: number, from: number, to: number, options: Partial<NodeOptions> = {}): NameServerNode {
  const node = links.add(id, makeNode(id, seed, { peersConfigured: false, ...options }));
  for (let broker = from; broker < to; broker++) register(node, broker, TOPICS_PER_BROKER, links.nowMs);
  node.takeEffects();
  return node;
}

function register(node: NameServerNode, broker: number, topics: number, nowMs: number, counter = 1): void {
  const configs = Array.from({ length: topics }, (_, index) => topicConfig(`T${broker}-${index}`, 4));
  const registration = { ...brokerRegistration(configs, counter, `10.0.1.${broker + 1}`), brokerName: `broker-${broker}` };
  node.registerBroker(broker + 1, "remoting", registration, null, nowMs);
}

function topicsOf(node: NameServerNode): readonly string[] {
  return node.getTopics(null);
}

describe("paged snapshots", () => {
  it("snapshot: a starting node serves nothing until the last page, however long the pages take, then every route; each record crosses once", () => {
    const links = new Links();
    const ready = loadedNode(links, "n1", 1);
    const fresh = links.add("n2", makeNode("n2", 2));
    links.connect("n1", "n2");
    // One frame at a time, a tick between frames: the snapshot takes far longer than the grace.
    let steps = 0;
    while (!fresh.isReady() && steps < 10_000) {
      steps += 1;
      links.deliverOne("n2>n1");
      links.deliverOne("n1>n2");
      for (let tick = 0; tick < 8; tick++) links.tick();
      if (!fresh.isReady()) expect(topicsOf(fresh)).toEqual([]);
    }
    expect(fresh.isReady()).toBe(true);
    expect(links.nowMs).toBeGreaterThan(2 * GRACE_MS);
    links.drain();
    expect(topicsOf(fresh)).toEqual(topicsOf(ready));
    const pulls = links.pulls.get("n1>n2") ?? [];
    expect(pulls.length).toBeGreaterThan(5);
    expect(pulls.slice(0, -1).every((more) => more)).toBe(true);
    expect(pulls[pulls.length - 1]).toBe(false);
    // Every record once: topic records, plus each broker's header, liveness and connection claim.
    const records = BROKERS * (TOPICS_PER_BROKER + 3);
    expect(links.recordsCarried.get("n1>n2")).toBeLessThanOrEqual(records);
    // Nothing of the snapshot went back: the starting node held nothing the peer lacked.
    expect(links.recordsCarried.get("n2>n1") ?? 0).toBe(0);
  });

  it("snapshot: two ready peers paging to one starting node send far fewer than two copies (about 1.2)", () => {
    const links = new Links();
    const first = loadedNode(links, "n1", 1);
    const second = loadedNode(links, "n2", 2);
    links.connect("n1", "n2");
    links.drain();
    const fresh = links.add("n3", makeNode("n3", 3));
    links.connect("n1", "n3");
    links.connect("n2", "n3");
    for (let steps = 0; !fresh.isReady() && steps < 10_000; steps++) {
      for (const link of ["n3>n1", "n3>n2", "n1>n3", "n2>n3"]) links.deliverOne(link);
    }
    links.drain();
    expect(fresh.isReady()).toBe(true);
    expect(topicsOf(fresh)).toEqual(topicsOf(first));
    expect(topicsOf(second)).toEqual(topicsOf(first));
    const records = BROKERS * (TOPICS_PER_BROKER + 3);
    const carried = (links.recordsCarried.get("n1>n3") ?? 0) + (links.recordsCarried.get("n2>n3") ?? 0);
    expect(carried).toBeGreaterThanOrEqual(records);
    expect(carried).toBeLessThan(1.4 * records);
  });

  it("snapshot: a topic added during the snapshot and a broker only the starting node holds end up on both sides", () => {
    const links = new Links();
    const ready = loadedNode(links, "n1", 1);
    const fresh = links.add("n2", makeNode("n2", 2));
    // A broker that registered with the starting node only, before its peer was reachable.
    register(fresh, 9, 10, 0);
    links.connect("n1", "n2");
    for (let pages = 0; pages < 3; ) {
      if (!links.deliverOne("n2>n1") && !links.deliverOne("n1>n2")) break;
      pages = (links.pulls.get("n1>n2") ?? []).length;
    }
    expect(fresh.isReady()).toBe(false);
    // Mid-snapshot, broker-0 adds a topic on the ready node.
    register(ready, 0, TOPICS_PER_BROKER + 1, links.nowMs, 2);
    links.collect();
    links.drain();
    expect(fresh.isReady()).toBe(true);
    expect(topicsOf(fresh)).toContain(`T0-${TOPICS_PER_BROKER}`);
    expect(topicsOf(ready)).toContain("T9-0");
    expect(topicsOf(fresh)).toEqual(topicsOf(ready));
  });

  it("snapshot: a node builds the routes it deferred a few broker names per tick, and serves only once all are built", () => {
    const links = new Links();
    const ready = loadedNode(links, "n1", 1);
    const fresh = links.add("n2", makeNode("n2", 2, { deferredRouteTopicsPerTick: TOPICS_PER_BROKER }));
    links.connect("n1", "n2");
    links.drain();
    // The snapshot is in; one broker name's group per tick goes into its routes.
    let ticks = 0;
    while (!fresh.isReady() && ticks < 100) {
      expect(() => fresh.query({ kind: "topics", clusterName: null })).toThrow(NotReadyError);
      links.tick();
      ticks += 1;
    }
    expect(fresh.isReady()).toBe(true);
    expect(ticks).toBe(BROKERS - 1);
    expect(topicsOf(fresh)).toEqual(topicsOf(ready));
  });

  it("snapshot: a starting peer that does not announce snapshotPages (an older node) gets the snapshot whole, in one go", () => {
    const links = new Links();
    const ready = loadedNode(links, "n1", 1);
    const fresh = links.add("n2", makeNode("n2", 2));
    ready.peerConnected("n2", null, 0, [PeerFeature.HEARD, PeerFeature.ROOT_DIGEST]);
    fresh.peerConnected("n1", null, 0);
    links.collect();
    links.drain();
    expect(fresh.isReady()).toBe(true);
    expect(links.pulls.get("n1>n2")).toEqual([false]);
    expect(topicsOf(fresh)).toEqual(topicsOf(ready));
  });

  it("snapshot: pages that stop coming leave the node to its grace, counted from the last page", () => {
    const links = new Links();
    loadedNode(links, "n1", 1);
    const fresh = links.add("n2", makeNode("n2", 2));
    links.connect("n1", "n2");
    // Pages arrive, slowly (well past the grace since the start), then stop: the ready node is
    // stuck, its link still up.
    let lastPageAtMs = 0;
    while ((links.pulls.get("n1>n2") ?? []).length < 4) {
      const pages = (links.pulls.get("n1>n2") ?? []).length;
      links.deliverOne("n2>n1");
      links.deliverOne("n1>n2");
      if ((links.pulls.get("n1>n2") ?? []).length > pages) lastPageAtMs = links.nowMs;
      for (let tick = 0; tick < 8; tick++) links.tick();
    }
    expect(fresh.isReady()).toBe(false);
    expect(lastPageAtMs).toBeGreaterThan(GRACE_MS);
    links.blocked.add("n1>n2");
    links.queues.delete("n1>n2");
    while (!fresh.isReady() && links.nowMs < lastPageAtMs + 3 * GRACE_MS) links.tick();
    expect(fresh.isReady()).toBe(true);
    expect(links.nowMs).toBeGreaterThanOrEqual(lastPageAtMs + GRACE_MS);
    expect(links.nowMs).toBeLessThanOrEqual(lastPageAtMs + GRACE_MS + 2 * TICK_MS);
  });
});

describe("bounded repair rounds", () => {
  it("repair: a round between ready nodes summarizes at most about repairRoundRecordsMax records; later rounds repair the rest", () => {
    const links = new Links();
    const round = { repairRoundRecordsMax: 100 };
    // Two ready nodes that took different brokers while their link was down.
    const a = nodeWith(links, "n1", 1, 0, BROKERS, round);
    const b = nodeWith(links, "n2", 2, BROKERS, 2 * BROKERS, round);
    links.connect("n1", "n2");
    let ticks = 0;
    while (topicsOf(a).length !== 2 * BROKERS * TOPICS_PER_BROKER || topicsOf(b).join() !== topicsOf(a).join()) {
      links.drain();
      links.tick();
      ticks += 1;
      if (ticks > 2_000) break;
    }
    expect(topicsOf(b)).toEqual(topicsOf(a));
    expect(topicsOf(a)).toHaveLength(2 * BROKERS * TOPICS_PER_BROKER);
    const frames = [...links.summaries.values()].flat();
    // Each round: whole buckets up to the bound, so past it by less than one bucket (a few records here).
    expect(frames.length).toBeGreaterThan(2);
    expect(Math.max(...frames)).toBeLessThanOrEqual(round.repairRoundRecordsMax + 20);
  });
});

// Goal (issue #13): gossip costs at most 5 KB/s per node while 1,000 brokers heartbeat every
// second to all three nodes, and while they heartbeat to one node only; every broker stays routed.
// Method: three NameServerNodes wired by hand; 1,000 remoting brokers (8 topics each, a declared
// 10 s expiry, as the bench's figure 7 registers them) heartbeat every second, each node hearing a
// broker at its own moment (as real clocks do); every peer frame is encoded with the real native
// frame codec and its bytes counted for its sender and its receiver over a 10 s window; frames are
// delivered as ClusterSim delivers them (cloned, validated by the protocol decoders).
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/core/clock.js";
import type { PeerMessage } from "../../src/core/effects.js";
import { NameServerNode, defaultNodeOptions } from "../../src/core/node.js";
import { TICK_MS } from "../../src/limits.js";
import type { BrokerRegistration } from "../../src/model/types.js";
import { applyPeerFrame } from "../../src/testing/sim_delivery.js";
import { peerFrameBytes, topicConfig } from "./harness.js";

const BROKERS = 1_000;
const TOPICS_PER_BROKER = 8;
const EXPIRY_MS = 10_000;
const WARMUP_MS = 12_000;
const WINDOW_MS = 10_000;
const GOAL_BYTES_PER_SECOND = 5 * 1024;
const IDS = ["n1", "n2", "n3"];
function registration(index: number): BrokerRegistration {
  const host = `10.1.${index >> 8}.${index & 255}`;
  return {
    clusterName: "BenchCluster",
    brokerAddr: `${host}:10911`,
    brokerName: `broker-${index}`,
    brokerId: 0,
    haServerAddr: `${host}:10912`,
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: EXPIRY_MS,
    dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
    topics: Array.from({ length: TOPICS_PER_BROKER }, (_, topic) => topicConfig(`Topic_${(index * 7 + topic) % 5_000}`)),
  };
}

interface Run {
  /** Bytes per second per node, sent plus received. */
  readonly perNode: number[];
  /** Bytes per second sent, by frame type, all nodes together. */
  readonly byType: Map<string, number>;
  readonly routed: number[];
  readonly evictions: number;
}

function run(hearingNodes: readonly string[]): Run {
  const nodes = new Map(IDS.map((id, index) => [id, new NameServerNode({ ...defaultNodeOptions(id), peersConfigured: true }, new SeededRng(index + 1), 0)]));
  const node = (id: string): NameServerNode => nodes.get(id) as NameServerNode;
  const bytes = new Map(IDS.map((id) => [id, 0]));
  const byType = new Map<string, number>();
  let counting = false;
  let nowMs = 0;
  const queue: { from: string; to: string; message: PeerMessage }[] = [];
  const take = (id: string): void => {
    for (const effect of node(id).takeEffects()) if (effect.kind === "peerSend") queue.push({ from: id, to: effect.peerId, message: effect.message });
  };
  const pump = (): void => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { from, to, message } = next;
      if (counting) {
        const size = peerFrameBytes(message);
        for (const id of [from, to]) bytes.set(id, (bytes.get(id) ?? 0) + size);
        byType.set(message.type, (byType.get(message.type) ?? 0) + size);
      }
      applyPeerFrame(node(to), from, message, undefined, nowMs);
      take(to);
    }
  };
  for (const a of IDS) for (const b of IDS) if (a !== b) node(a).peerConnected(b, null, 0);
  for (const id of IDS) take(id);
  pump();
  for (let index = 0; index < BROKERS; index++) {
    for (const id of hearingNodes) {
      node(id).registerBroker(index + 1, "remoting", registration(index), null, 10, { refuseSingleTopicFirst: true });
      take(id);
    }
  }
  pump();
  const slots = 1_000 / TICK_MS;
  for (nowMs = TICK_MS; nowMs <= WARMUP_MS + WINDOW_MS; nowMs += TICK_MS) {
    counting = nowMs > WARMUP_MS;
    const slot = (nowMs / TICK_MS) % slots;
    hearingNodes.forEach((id, offset) => {
      for (let index = 0; index < BROKERS; index++) {
        if ((index + offset) % slots !== slot) continue;
        node(id).heartbeat(index + 1, "BenchCluster", registration(index).brokerAddr, null, nowMs);
      }
      take(id);
    });
    for (const id of IDS) {
      node(id).tick(nowMs);
      take(id);
    }
    pump();
  }
  const perSecond = (total: number): number => Math.round(total / (WINDOW_MS / 1_000));
  return {
    perNode: IDS.map((id) => perSecond(bytes.get(id) ?? 0)),
    byType: new Map([...byType].map(([type, total]) => [type, perSecond(total)])),
    routed: IDS.map((id) => node(id).brokerCounts().live),
    evictions: IDS.reduce((sum, id) => sum + node(id).counters.evictionsExpired + node(id).counters.evictionsConnectionClosed, 0),
  };
}

describe("evidence bandwidth", () => {
  for (const [label, hearing] of [
    ["all three nodes", IDS],
    ["one node", ["n1"]],
  ] as const) {
    it(`gossip: 1,000 brokers heartbeating to ${label} cost at most 5 KB/s per node, and all stay routed`, () => {
      const result = run(hearing);
      const types = [...result.byType].map(([type, perSecond]) => `${type} ${(perSecond / 1024).toFixed(2)}`).join(", ");
      console.log(`heartbeats to ${label}: KB/s per node (sent + received) ${result.perNode.map((b) => (b / 1024).toFixed(2)).join(", ")}; sent, all nodes: ${types}`);
      for (const perNode of result.perNode) expect(perNode).toBeLessThanOrEqual(GOAL_BYTES_PER_SECOND);
      expect(result.routed).toEqual([BROKERS, BROKERS, BROKERS]);
      expect(result.evictions).toBe(0);
      // Evidence does travel: every node gets bits (the receivers would expire the brokers otherwise).
      expect(result.byType.get("heard") ?? 0).toBeGreaterThan(0);
    });
  }
});

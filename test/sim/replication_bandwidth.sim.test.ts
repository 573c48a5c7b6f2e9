// Goal: a broker's one-topic change travels as that topic, not as the broker's table (issue:
// a one-topic change of a 10,000-topic broker puts at most 10 KB on each peer link).
// Method: three NameServerNodes wired by hand; a remoting broker with 10,000 topics registers
// on n1; the peer frames n1 emits for each later registration are encoded with the real native
// frame codec and their bytes summed per peer link.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../../src/core/clock.js";
import type { Effect } from "../../src/core/effects.js";
import { NameServerNode, defaultNodeOptions } from "../../src/core/node.js";
import type { TopicConfig } from "../../src/model/types.js";
import { brokerRegistration, peerFrameBytes, topicConfig } from "./harness.js";

const TOPIC_COUNT = 10_000;
const LINK_BYTES_MAX = 10 * 1024;
const REMOTING = { refuseSingleTopicFirst: true };

const topic = (name: string): TopicConfig => topicConfig(name);
const registration = brokerRegistration;

/** Bytes of the peer frames in `effects`, per peer, as the peer hub encodes them; also delivers them. */
function deliver(effects: readonly Effect[], nodes: ReadonlyMap<string, NameServerNode>, nowMs: number): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const effect of effects) {
    if (effect.kind !== "peerSend") continue;
    bytes.set(effect.peerId, (bytes.get(effect.peerId) ?? 0) + peerFrameBytes(effect.message));
    if (effect.message.type === "deltas") nodes.get(effect.peerId)?.onPeerDeltas("n1", effect.message.body, nowMs);
  }
  return bytes;
}

describe("replication bandwidth", () => {
  it("replication: a one-topic change of a 10,000-topic broker puts at most 10 KB on each peer link", () => {
    const nodes = new Map(["n1", "n2", "n3"].map((id, index) => [id, new NameServerNode(defaultNodeOptions(id), new SeededRng(index + 1), 0)]));
    const n1 = nodes.get("n1") as NameServerNode;
    n1.peerConnected("n2", null, 0);
    n1.peerConnected("n3", null, 0);
    n1.takeEffects();
    const table = Array.from({ length: TOPIC_COUNT }, (_, index) => topic(`Topic_${index}`));
    n1.registerBroker(1, "remoting", registration(table, 1), null, 10, REMOTING);
    const first = deliver(n1.takeEffects(), nodes, 10);
    for (const id of ["n2", "n3"]) expect(nodes.get(id)?.topicCount()).toBe(TOPIC_COUNT);

    // A 5.x broker creates a topic: an incremental registration with only it and a new DataVersion.
    n1.registerBroker(1, "remoting", registration([topic("Created")], 2), null, 20, REMOTING);
    const incremental = deliver(n1.takeEffects(), nodes, 20);
    // Its next periodic full registration carries the same DataVersion.
    const withCreated = [...table, topic("Created")];
    n1.registerBroker(1, "remoting", registration(withCreated, 2), null, 30, REMOTING);
    const full = deliver(n1.takeEffects(), nodes, 30);
    // A 4.x broker instead re-sends its whole table with a new DataVersion when one topic changes.
    const changed = withCreated.map((config) => (config.topicName === "Topic_7" ? { ...config, readQueueNums: 16, writeQueueNums: 16 } : config));
    n1.registerBroker(1, "remoting", registration(changed, 3), null, 40, REMOTING);
    const whole = deliver(n1.takeEffects(), nodes, 40);

    const kb = (sizes: Map<string, number>): string =>
      ["n2", "n3"].map((peer) => `${peer} ${((sizes.get(peer) ?? 0) / 1024).toFixed(1)} KB`).join(", ");
    console.log(`first registration of ${TOPIC_COUNT} topics: ${kb(first)}`);
    console.log(`incremental one-topic registration: ${kb(incremental)}; next full registration (same version): ${kb(full)}`);
    console.log(`whole table, new version, one topic changed: ${kb(whole)}`);
    for (const sizes of [incremental, full, whole]) {
      for (const peer of ["n2", "n3"]) expect(sizes.get(peer) ?? 0).toBeLessThanOrEqual(LINK_BYTES_MAX);
    }
    expect(incremental.get("n2") ?? 0).toBeGreaterThan(0);
    for (const id of ["n2", "n3"]) {
      const node = nodes.get(id) as NameServerNode;
      expect(node.topicCount()).toBe(TOPIC_COUNT + 1);
      expect(node.findRoute("Topic_7")?.queueDatas[0]?.readQueueNums).toBe(16);
      expect(node.getTopics(null)).toEqual(n1.getTopics(null));
      const topics = node.snapshot().filter((record) => record.type === "topic");
      expect(topics).toEqual(n1.snapshot().filter((record) => record.type === "topic"));
    }
  });
});

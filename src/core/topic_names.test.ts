// Goal: stored topic records share one name, one config per shape, one dataVersion and one
// stamp instead of a copy per broker, without changing any field's value, and a name is
// dropped with its last record (the table stays bounded by the records). Method: share the
// records of one topic on several brokers and compare identities and values.
import { describe, expect, it } from "vitest";
import type { TopicRecord } from "../model/records.js";
import type { TopicConfig } from "../model/types.js";
import { TopicNames } from "./topic_names.js";

function record(brokerKey: string, queues = 8, counter = 1): TopicRecord {
  // Fresh objects per call, as a decoded registration or peer batch brings them.
  const config: TopicConfig = { topicName: `Topic${"A".repeat(20)}`, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false };
  return {
    type: "topic",
    brokerKey,
    topicName: config.topicName,
    session: 0,
    dataVersion: { stateVersion: 0, timestamp: 5, counter },
    config,
    stamp: { wallMs: 7, logical: 1, nodeId: "n1" },
  };
}

describe("topic names", () => {
  it("topic names: records of one topic share config, dataVersion and stamp, with every value kept", () => {
    const names = new TopicNames();
    const a = names.share(record("C@a:1"), "C@a:1", true);
    const b = names.share(record("C@b:1"), "C@b:1", true);
    expect(a).toEqual(record("C@a:1"));
    expect(b).toEqual(record("C@b:1"));
    expect(b.config).toBe(a.config);
    expect(b.dataVersion).toBe(a.dataVersion);
    expect(b.stamp).toBe(a.stamp);
    expect(names.size).toBe(1);
  });

  it("topic names: a config of another shape or a removed topic is kept as it is", () => {
    const names = new TopicNames();
    const a = names.share(record("C@a:1"), "C@a:1", true);
    const b = names.share(record("C@b:1", 4, 2), "C@b:1", true);
    expect(b.config).not.toBe(a.config);
    expect(b.config?.readQueueNums).toBe(4);
    expect(a.config?.readQueueNums).toBe(8);
    expect(b.dataVersion.counter).toBe(2);
    const removed = names.share({ ...record("C@c:1"), config: null }, "C@c:1", true);
    expect(removed.config).toBeNull();
  });

  it("topic names: a name leaves with the last record that uses it", () => {
    const names = new TopicNames();
    const first = names.share(record("C@a:1"), "C@a:1", true);
    names.share(record("C@b:1"), "C@b:1", true);
    // A new version of a stored pair adds no user.
    names.share(record("C@b:1", 8, 3), "C@b:1", false);
    names.release(first.topicName);
    expect(names.size).toBe(1);
    names.release(first.topicName);
    expect(names.size).toBe(0);
  });
});

// Goal: anti-entropy between ready nodes ships only the records that differ: a summary names
// id and version hashes, the receiver sends what the summary lacks or holds at another version
// and wants the rest; summary frames stay within their bound. Method: two GossipStates indexed
// by hand with kv records (the index does not care about the type).
import { describe, expect, it } from "vitest";
import { DIGEST_BUCKETS, SUMMARY_ENTRIES_PER_FRAME_MAX } from "../limits.js";
import { GossipState } from "./gossip.js";
import type { KvRecord } from "../model/records.js";

function kv(key: string, value: string, wallMs = 1): KvRecord {
  return { type: "kv", namespace: "ns", key, value, stamp: { wallMs, logical: 0, nodeId: "n1" } };
}

const ALL_BUCKETS = [...Array(DIGEST_BUCKETS).keys()];

describe("gossip", () => {
  it("gossip: a summary exchange ships the differing records only, both ways", () => {
    const a = new GossipState("a", 100);
    const b = new GossipState("b", 100);
    for (let index = 0; index < 1_000; index++) {
      a.indexRecord(kv(`k${index}`, "same"));
      b.indexRecord(kv(`k${index}`, "same"));
    }
    a.indexRecord(kv("only-a", "x"));
    b.indexRecord(kv("only-b", "y"));
    a.indexRecord(kv("k5", "newer", 2));
    const buckets = b.diff(a.digest());
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.length).toBeLessThanOrEqual(3);
    const frames = b.summarize(buckets);
    expect(frames).toHaveLength(1);
    const { send, want } = a.compareSummary(frames[0]?.buckets ?? [], frames[0]?.entries ?? []);
    expect(send.map((record) => (record as KvRecord).key).sort()).toEqual(["k5", "only-a"]);
    const wanted = b.recordsWanted(buckets, want);
    expect(wanted.map((record) => (record as KvRecord).key).sort()).toEqual(["k5", "only-b"]);
  });

  it("gossip: summary frames hold whole buckets and at most SUMMARY_ENTRIES_PER_FRAME_MAX entries", () => {
    const state = new GossipState("a", 100);
    const count = SUMMARY_ENTRIES_PER_FRAME_MAX + 5_000;
    for (let index = 0; index < count; index++) state.indexRecord(kv(`k${index}`, "v"));
    const frames = state.summarize(ALL_BUCKETS);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames) expect(frame.entries.length).toBeLessThanOrEqual(SUMMARY_ENTRIES_PER_FRAME_MAX);
    expect(frames.flatMap((frame) => frame.buckets).sort((x, y) => x - y)).toEqual(ALL_BUCKETS);
    expect(frames.reduce((sum, frame) => sum + frame.entries.length, 0)).toBe(count);
  });
});

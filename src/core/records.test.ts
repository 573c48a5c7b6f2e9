// Goal: merge is idempotent, commutative and associative for every record type, so gossip
// may duplicate, reorder and delay freely. Method: fast-check over generated versions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeRecords, type ContentRecord, type KvRecord, type LivenessRecord, type Stamp } from "./records.js";

const stamp = fc.record({
  wallMs: fc.integer({ min: 0, max: 5 }),
  logical: fc.integer({ min: 0, max: 3 }),
  nodeId: fc.constantFrom("n1", "n2", "n3"),
}) satisfies fc.Arbitrary<Stamp>;

const liveness = fc.record({
  type: fc.constant("liveness" as const),
  brokerKey: fc.constant("c@a:1"),
  alive: fc.boolean(),
  reason: fc.constantFrom("expired" as const, "connectionClosed" as const, "unregistered" as const),
  evidence: fc.record({ epoch: fc.integer({ min: 0, max: 3 }), seq: fc.integer({ min: 0, max: 3 }) }),
}).map((r): LivenessRecord => ({ ...r, reason: r.alive ? null : r.reason }));

const content = fc
  .record({
    counter: fc.integer({ min: 0, max: 3 }),
    hash: fc.constantFrom("aa", "bb", "cc"),
    adoptedAt: stamp,
  })
  .map(
    (r): ContentRecord => ({
      type: "content",
      brokerKey: "c@a:1",
      origin: "native",
      contentHash: r.hash,
      adoptedAt: r.adoptedAt,
      registration: {
        clusterName: "c",
        brokerAddr: "a:1",
        brokerName: `b-${r.hash}`,
        brokerId: 0,
        haServerAddr: "",
        zoneName: null,
        enableActingMaster: false,
        heartbeatTimeoutMs: null,
        dataVersion: { timestamp: 1, counter: r.counter, stateVersion: 0 },
        topics: [],
      },
    }),
  );

const kv = fc
  .record({ value: fc.option(fc.constantFrom("x", "y")), stamp })
  .map((r): KvRecord => ({ type: "kv", namespace: "ns", key: "k", value: r.value, stamp: r.stamp }));

function checkLaws<T extends Parameters<typeof mergeRecords>[0]>(arb: fc.Arbitrary<T>): void {
  fc.assert(
    fc.property(arb, arb, arb, (a, b, c) => {
      expect(mergeRecords(a, a)).toEqual(a);
      expect(mergeRecords(a, b)).toEqual(mergeRecords(b, a));
      expect(mergeRecords(mergeRecords(a, b), c)).toEqual(mergeRecords(a, mergeRecords(b, c)));
    }),
    { numRuns: 2_000 },
  );
}

describe("records", () => {
  it("records: liveness merge obeys the merge laws", () => checkLaws(liveness));
  it("records: content merge obeys the merge laws", () => checkLaws(content));
  it("records: kv merge obeys the merge laws", () => checkLaws(kv));

  it("records: at equal evidence offline wins over alive", () => {
    const alive: LivenessRecord = { type: "liveness", brokerKey: "k", alive: true, reason: null, evidence: { epoch: 1, seq: 1 } };
    const offline: LivenessRecord = { ...alive, alive: false, reason: "expired" };
    expect(mergeRecords(alive, offline)).toBe(offline);
    expect(mergeRecords({ ...alive, evidence: { epoch: 1, seq: 2 } }, offline).alive).toBe(true);
  });

  it("records: a newer dataVersion wins whatever its adoption stamp", () => {
    fc.assert(
      fc.property(content, content, (a, b) => {
        const winner = mergeRecords(a, b);
        const top = Math.max(a.registration.dataVersion.counter, b.registration.dataVersion.counter);
        expect(winner.registration.dataVersion.counter).toBe(top);
      }),
    );
  });
});

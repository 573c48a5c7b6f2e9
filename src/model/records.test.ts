// Goal: merge is idempotent, commutative and associative for every record type, so gossip
// may duplicate, reorder and delay freely. Method: fast-check over generated versions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareDataVersion,
  mergeRecords,
  type InstanceRecord,
  type KvRecord,
  type LivenessRecord,
  type Stamp,
  type TopicRecord,
} from "./records.js";

const stamp = fc.record({
  wallMs: fc.integer({ min: 0, max: 5 }),
  logical: fc.integer({ min: 0, max: 3 }),
  nodeId: fc.constantFrom("n1", "n2", "n3"),
}) satisfies fc.Arbitrary<Stamp>;

const session = fc.integer({ min: 0, max: 2 });

const liveness = fc.record({
  type: fc.constant("liveness" as const),
  brokerKey: fc.constant("c@a:1"),
  session,
  alive: fc.boolean(),
  reason: fc.constantFrom("expired" as const, "connectionClosed" as const, "unregistered" as const),
  evidence: fc.record({ epoch: fc.integer({ min: 0, max: 3 }), seq: fc.integer({ min: 0, max: 3 }) }),
}).map((r): LivenessRecord => ({ ...r, reason: r.alive ? null : r.reason }));

const dataVersion = fc.record({ timestamp: fc.constant(1), counter: fc.integer({ min: 0, max: 3 }), stateVersion: fc.constant(0) });

const instance = fc
  .record({ session, dataVersion, name: fc.constantFrom("b1", "b2"), stamp })
  .map(
    (r): InstanceRecord => ({
      type: "instance",
      brokerKey: "c@a:1",
      session: r.session,
      origin: "native",
      stamp: r.stamp,
      header: {
        clusterName: "c",
        brokerAddr: "a:1",
        brokerName: r.name,
        brokerId: 0,
        haServerAddr: "",
        zoneName: null,
        enableActingMaster: false,
        heartbeatTimeoutMs: null,
        dataVersion: r.dataVersion,
      },
    }),
  );

const topic = fc
  .record({ session, dataVersion, stamp, queues: fc.option(fc.constantFrom(4, 8)) })
  .map(
    (r): TopicRecord => ({
      type: "topic",
      brokerKey: "c@a:1",
      topicName: "T",
      session: r.session,
      dataVersion: r.dataVersion,
      stamp: r.stamp,
      config:
        r.queues === null
          ? null
          : { topicName: "T", readQueueNums: r.queues, writeQueueNums: r.queues, perm: 6, topicSysFlag: 0, order: false },
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
  it("records: instance merge obeys the merge laws", () => checkLaws(instance));
  it("records: topic merge obeys the merge laws", () => checkLaws(topic));
  it("records: kv merge obeys the merge laws", () => checkLaws(kv));

  it("records: at equal evidence offline wins over alive", () => {
    const session = 1;
    const alive: LivenessRecord = { type: "liveness", brokerKey: "k", session, alive: true, reason: null, evidence: { epoch: 1, seq: 1 } };
    const offline: LivenessRecord = { ...alive, alive: false, reason: "expired" };
    expect(mergeRecords(alive, offline)).toBe(offline);
    expect(mergeRecords({ ...alive, evidence: { epoch: 1, seq: 2 } }, offline).alive).toBe(true);
  });

  it("records: a later session wins over any evidence of an earlier one", () => {
    fc.assert(
      fc.property(liveness, liveness, (a, b) => {
        const order = a.session - b.session;
        if (order !== 0) expect(mergeRecords(a, b)).toBe(order > 0 ? a : b);
      }),
    );
  });

  it("records: within a session a newer dataVersion wins whatever its stamp", () => {
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        const winner = mergeRecords(a, b);
        if (a.session !== b.session) return;
        const newer = compareDataVersion(a.dataVersion, b.dataVersion);
        if (newer !== 0) expect(winner).toBe(newer > 0 ? a : b);
      }),
    );
  });
});

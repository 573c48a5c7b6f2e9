// The nemesis schedule and the iptables rules it turns into, as pure functions: one seed gives
// one schedule, every kind gets its share, process faults never overlap on one process, and a
// cut link becomes the rules that drop exactly its packets.
import { describe, expect, it } from "vitest";
import { FAULT_KINDS } from "./history.js";
import { AddressPlan, HUB_ADDR, rulesFor } from "./net.js";
import { HOLD_MS, RESTART_MARGIN_MS, makeSchedule } from "./schedule.js";

const NODES = ["n1", "n2", "n3", "n4", "n5"];
const BROKERS = ["b1", "b2", "b3", "b4"];
const options = { seed: 99, nodes: NODES, brokers: BROKERS, startMs: 0, endMs: 600_000, lanes: 4 };

describe("chaos schedule", () => {
  it("schedule: the same seed gives the same schedule, another seed another", () => {
    expect(makeSchedule(options)).toEqual(makeSchedule(options));
    expect(makeSchedule({ ...options, seed: 100 })).not.toEqual(makeSchedule(options));
  });

  it("schedule: every kind gets the same share, within its bounds", () => {
    const schedule = makeSchedule(options);
    const counts = FAULT_KINDS.map((kind) => schedule.filter((fault) => fault.kind === kind).length);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const fault of schedule) {
      const [min, max] = HOLD_MS[fault.kind];
      expect(fault.holdMs).toBeGreaterThanOrEqual(min);
      expect(fault.holdMs).toBeLessThanOrEqual(max);
      expect(fault.atMs).toBeLessThan(options.endMs);
    }
  });

  it("schedule: process faults never overlap on one process, and one node always runs", () => {
    const processKinds = new Set(["nodeKill", "nodePause", "clockStep", "brokerKill", "brokerPause", "brokerRestart"]);
    const restartKinds = new Set(["nodeKill", "clockStep", "brokerKill", "brokerRestart"]);
    const busy = makeSchedule({ ...options, lanes: 12 }).filter((fault) => processKinds.has(fault.kind));
    const endOf = (fault: (typeof busy)[number]): number => fault.atMs + fault.holdMs + (restartKinds.has(fault.kind) ? RESTART_MARGIN_MS : 0);
    for (const a of busy) {
      for (const b of busy) {
        if (a === b || a.targets[0] !== b.targets[0]) continue;
        const overlap = a.atMs < endOf(b) && b.atMs < endOf(a);
        expect(overlap, `${a.id} and ${b.id} on ${a.targets[0]}`).toBe(false);
      }
    }
    const nodeFaults = busy.filter((fault) => fault.targets[0]?.startsWith("n"));
    for (const fault of nodeFaults) {
      const down = new Set(nodeFaults.filter((other) => other.atMs <= fault.atMs && fault.atMs < other.atMs + other.holdMs).map((other) => other.targets[0]));
      expect(down.size).toBeLessThan(NODES.length);
    }
  });

  it("rules: a cut node link drops the sender's alias and proxy port at the receiver; broker links at the node", () => {
    const plan = new AddressPlan("abcd", 3, 2);
    const drop = rulesFor(plan, [{ from: "n1", to: "n2" }, { from: "b1", to: "n3" }, { from: "n3", to: "b2" }], { kind: "drop" });
    expect(Object.fromEntries(drop)).toEqual({
      n2: [`INPUT -s 10.77.101.1 -j DROP`, `INPUT -s ${HUB_ADDR} -p tcp --sport 20001 -j DROP`],
      n3: [`INPUT -s 10.77.2.1 -j DROP`, `OUTPUT -d 10.77.2.2 -j DROP`],
    });
    const loss = rulesFor(plan, [{ from: "n2", to: "n1" }], { kind: "loss", probability: 0.25 });
    expect(loss.get("n1")?.[0]).toBe("INPUT -s 10.77.101.2 -m statistic --mode random --probability 0.250 -j DROP");
  });
});

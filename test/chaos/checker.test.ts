// The chaos checker on made-up histories: each promise is broken once on purpose and must be
// reported, and the same history with a fault that excuses it must pass. Pure: no processes.
import { describe, expect, it } from "vitest";
import { CRASH_BOUND_MS, PATH_HOLD_MS, SILENT_SLACK_MS, CONVERGENCE_BOUND_MS, check, type ViolationKind } from "./checker.js";
import type { DisturbedLink, FaultKind, History, KvOp } from "./history.js";

const EXPIRY_MS = 4_000;
const HEARTBEAT_MS = 1_000;
const END_MS = 60_000;
const POLL_MS = 200;

/** A history of two nodes and one broker, all up from 0, the broker registered with both at 100. */
function baseHistory(): History {
  return {
    meta: {
      seed: 1, nodes: ["n1", "n2"], brokers: ["b1"], startedAtIso: "", nemesisStartMs: 1_000, nemesisEndMs: 50_000,
      finalHealMs: 50_000, endMs: END_MS, brokerExpiryMs: EXPIRY_MS, heartbeatMs: HEARTBEAT_MS, command: "", sabotage: null,
    },
    faults: [],
    processes: ["n1", "n2", "b1"].map((id, index) => ({ id, kind: "spawn" as const, atMs: 0, pid: index + 1 })),
    agentLinks: [
      { broker: "b1", node: "n1", kind: "registered", atMs: 100 },
      { broker: "b1", node: "n2", kind: "registered", atMs: 100 },
    ],
    routes: [],
    kvReads: [],
    kvOps: [],
    nodeLogs: {},
  };
}

/** Route samples of every node every POLL_MS in [fromMs, toMs); `brokersAt` says who is routed. */
function sample(history: History, fromMs: number, toMs: number, brokersAt: (node: string, atMs: number) => string[], hashAt?: (node: string, atMs: number) => string): void {
  for (let atMs = fromMs; atMs < toMs; atMs += POLL_MS) {
    for (const node of history.meta.nodes) {
      const brokers = brokersAt(node, atMs);
      const round = Math.round(atMs / POLL_MS);
      history.routes.push({ node, round, sendMs: atMs, recvMs: atMs + 5, status: "ok", brokers, hash: hashAt?.(node, atMs) ?? brokers.join(",") });
      history.kvReads.push({ node, round, sendMs: atMs, recvMs: atMs + 5, status: "ok", table: {} });
    }
  }
}

function fault(history: History, kind: FaultKind, fromMs: number, toMs: number, links: DisturbedLink[], targets: string[] = []): void {
  history.faults.push({ id: history.faults.length + 1, kind, targets, params: {}, links, startMs: fromMs, appliedMs: fromMs, healStartMs: toMs, healedMs: toMs });
}

function kinds(history: History): ViolationKind[] {
  return check(history, { brokerExpiryMs: EXPIRY_MS, heartbeatMs: HEARTBEAT_MS }).violations.map((violation) => violation.kind);
}

const both = (): string[] => ["b1"];

describe("chaos checker", () => {
  it("checker: a correct history passes, and the checks applied to it", () => {
    const history = baseHistory();
    sample(history, 0, END_MS, both);
    const { violations, coverage } = check(history, { brokerExpiryMs: EXPIRY_MS, heartbeatMs: HEARTBEAT_MS });
    expect(violations).toEqual([]);
    expect(coverage.liveAnswers).toBeGreaterThan(400);
    expect(coverage.quietMs).toBeGreaterThan(50_000);
  });

  it("checker: a live broker missing from a ready node is reported, unless its links were cut", () => {
    const history = baseHistory();
    sample(history, 0, END_MS, (node, atMs) => (node === "n2" && atMs >= 20_000 && atMs < 21_000 ? [] : ["b1"]));
    expect(kinds(history)).toContain("liveBrokerMissing");
    expect(new Set(kinds(history))).toEqual(new Set(["liveBrokerMissing"]));
    const excused = baseHistory();
    sample(excused, 0, END_MS, (node, atMs) => (node === "n2" && atMs >= 20_000 && atMs < 21_000 ? [] : ["b1"]));
    fault(excused, "nodeCutFromBrokers", 15_000, 20_500, [{ from: "b1", to: "n1" }, { from: "n1", to: "b1" }, { from: "b1", to: "n2" }, { from: "n2", to: "b1" }]);
    expect(kinds(excused)).toEqual([]);
  });

  it("checker: a broker told to stop (SIGTERM) unregisters at once and is not live from then on", () => {
    const history = baseHistory();
    history.processes.push({ id: "b1", kind: "term", atMs: 20_000, pid: 3 }, { id: "b1", kind: "exit", atMs: 20_030, pid: 3, code: 0 });
    sample(history, 0, END_MS, (_node, atMs) => (atMs < 20_000 ? ["b1"] : []));
    expect(kinds(history)).toEqual([]);
  });

  it("checker: a node cut from its peers may miss a broker it does not hear, until the path held PATH_HOLD_MS", () => {
    const history = baseHistory();
    const healMs = 20_000;
    sample(history, 0, END_MS, (node, atMs) => (node === "n2" && atMs < healMs + PATH_HOLD_MS - 500 && atMs > 15_000 ? [] : ["b1"]));
    fault(history, "nodeCutFromPeers", 10_000, healMs, [{ from: "n1", to: "n2" }, { from: "n2", to: "n1" }]);
    fault(history, "nodeCutFromBrokers", 10_000, 30_000, [{ from: "b1", to: "n2" }, { from: "n2", to: "b1" }]);
    expect(kinds(history)).toEqual([]);
    const late = baseHistory();
    sample(late, 0, END_MS, (node, atMs) => (node === "n2" && atMs < healMs + PATH_HOLD_MS + 1_000 && atMs > 15_000 ? [] : ["b1"]));
    late.faults.push(...history.faults);
    expect(kinds(late)).toContain("liveBrokerMissing");
  });

  it("checker: a crashed broker routed past CRASH_BOUND_MS in a clean cluster is reported", () => {
    const killMs = 20_000;
    const history = baseHistory();
    history.processes.push({ id: "b1", kind: "exit", atMs: killMs, pid: 3, signal: "SIGKILL" });
    sample(history, 0, END_MS, (_node, atMs) => (atMs < killMs + CRASH_BOUND_MS + 300 ? ["b1"] : []));
    expect(kinds(history)).toContain("deadBrokerRouted");
    const fast = baseHistory();
    fast.processes.push({ id: "b1", kind: "exit", atMs: killMs, pid: 3, signal: "SIGKILL" });
    sample(fast, 0, END_MS, (_node, atMs) => (atMs < killMs + CRASH_BOUND_MS - 100 ? ["b1"] : []));
    expect(kinds(fast)).toEqual([]);
  });

  it("checker: after a fault around the crash the silent bound counts from the heal", () => {
    const killMs = 20_000;
    const healMs = 21_000;
    const history = baseHistory();
    history.processes.push({ id: "b1", kind: "exit", atMs: killMs, pid: 3, signal: "SIGKILL" });
    fault(history, "partitionSymmetric", 19_000, healMs, [{ from: "n1", to: "n2" }, { from: "n2", to: "n1" }]);
    const boundMs = healMs + EXPIRY_MS + SILENT_SLACK_MS;
    sample(history, 0, END_MS, (_node, atMs) => (atMs < boundMs - 100 ? ["b1"] : []));
    expect(kinds(history)).toEqual([]);
    const late = baseHistory();
    late.processes.push({ id: "b1", kind: "exit", atMs: killMs, pid: 3, signal: "SIGKILL" });
    late.faults.push(...history.faults);
    sample(late, 0, END_MS, (_node, atMs) => (atMs < boundMs + 300 ? ["b1"] : []));
    expect(kinds(late)).toContain("deadBrokerRouted");
  });

  it("checker: a dead broker that comes back after a node dropped it is a resurrection", () => {
    const killMs = 20_000;
    const history = baseHistory();
    history.processes.push({ id: "b1", kind: "exit", atMs: killMs, pid: 3, signal: "SIGKILL" });
    sample(history, 0, END_MS, (node, atMs) => (atMs < killMs + 500 || (node === "n1" && atMs > 30_000 && atMs < 31_000) ? ["b1"] : []));
    expect(kinds(history)).toContain("brokerResurrected");
  });

  it("checker: nodes disagreeing longer than CONVERGENCE_BOUND_MS in a quiet cluster are reported, a blip is not", () => {
    const hash = (fromMs: number, lengthMs: number) => (node: string, atMs: number) => (node === "n2" && atMs >= fromMs && atMs < fromMs + lengthMs ? "other" : "b1");
    const long = baseHistory();
    sample(long, 0, END_MS, both, hash(20_000, CONVERGENCE_BOUND_MS + 1_000));
    expect(kinds(long)).toEqual(["nodesDisagree"]);
    const blip = baseHistory();
    sample(blip, 0, END_MS, both, hash(20_000, 2 * POLL_MS));
    expect(kinds(blip)).toEqual([]);
  });

  it("checker: last writer wins; an acknowledged write lost at the end is reported", () => {
    const ops: KvOp[] = [
      { key: "k", seq: 1, op: "put", value: "k.1", node: "n1", seen: null, readRecvMs: 9_990, sendMs: 10_000, recvMs: 10_010, outcome: "ok" },
      { key: "k", seq: 2, op: "put", value: "k.2", node: "n2", seen: "k.1", readRecvMs: 10_990, sendMs: 11_000, recvMs: 11_010, outcome: "ok" },
    ];
    const finalWith = (value: string, outcome: KvOp["outcome"] = "ok"): History => {
      const history = baseHistory();
      sample(history, 0, END_MS, both);
      history.kvOps.push(ops[0] as KvOp, { ...(ops[1] as KvOp), outcome });
      history.kvReads.forEach((read, index) => {
        if (read.sendMs >= 50_000) history.kvReads[index] = { ...read, table: { k: value } };
      });
      return history;
    };
    expect(kinds(finalWith("k.2"))).toEqual([]);
    expect(kinds(finalWith("k.1"))).toEqual(["kvLost", "kvLost"]);
    expect(kinds(finalWith("k.1", "unknown"))).toEqual([]);
  });

  it("checker: a write acknowledged by a node killed right after, cut off from its peers, must not be lost", () => {
    const killedAfterAck = (final: Record<string, string>, outcome: KvOp["outcome"]): History => {
      const history = baseHistory();
      sample(history, 0, END_MS, both);
      history.kvOps.push({ key: "k", seq: 1, op: "put", value: "k.1", node: "n1", seen: null, readRecvMs: 9_990, sendMs: 10_000, recvMs: 10_010, outcome });
      history.processes.push({ id: "n1", kind: "exit", atMs: 10_011, pid: 1, signal: "SIGKILL" }, { id: "n1", kind: "spawn", atMs: 12_000, pid: 9 });
      fault(history, "nodeCutFromPeers", 5_000, 11_000, [{ from: "n1", to: "n2" }, { from: "n2", to: "n1" }]);
      fault(history, "kvDisk", 9_000, 11_000, [], ["n2"]);
      history.kvReads.forEach((read, index) => {
        if (read.sendMs >= 50_000) history.kvReads[index] = { ...read, table: final };
      });
      return history;
    };
    // Acknowledged means on n1's disk: gone at the end is a loss, whatever happened after.
    expect(kinds(killedAfterAck({}, "ok")).filter((kind) => kind.startsWith("kv"))).toEqual(["kvLost", "kvLost"]);
    expect(kinds(killedAfterAck({ k: "k.1" }, "ok")).filter((kind) => kind.startsWith("kv"))).toEqual([]);
    // Answered with an error (KV_NOT_DURABLE, a timeout): either end is allowed.
    expect(kinds(killedAfterAck({}, "unknown")).filter((kind) => kind.startsWith("kv"))).toEqual([]);
    expect(kinds(killedAfterAck({ k: "k.1" }, "unknown")).filter((kind) => kind.startsWith("kv"))).toEqual([]);
  });

  it("checker: a process that exits by itself with a failure code is a crash", () => {
    const history = baseHistory();
    sample(history, 0, END_MS, both);
    history.processes.push({ id: "n2", kind: "exit", atMs: 30_000, pid: 2, signal: null, code: 1 }, { id: "n2", kind: "spawn", atMs: 30_500, pid: 7 });
    expect(kinds(history)).toContain("processCrashed");
    const told = baseHistory();
    sample(told, 0, END_MS, both);
    told.processes.push({ id: "n2", kind: "term", atMs: 29_990, pid: 2 }, { id: "n2", kind: "exit", atMs: 30_000, pid: 2, signal: null, code: 1 }, { id: "n2", kind: "spawn", atMs: 30_500, pid: 7 });
    const result = check(told, { brokerExpiryMs: EXPIRY_MS, heartbeatMs: HEARTBEAT_MS });
    expect(result.violations).toEqual([]);
    expect(result.observations).toHaveLength(1);
  });
});

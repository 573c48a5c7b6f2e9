// Goal: the events timeline turns the core's log records into typed events (so a renamed core
// message fails here), keeps a bounded ring read by sequence number, and its long poll wakes
// on a new event or its deadline and is bounded. Method: drive a real NameServerNode through
// each event and classify its log effects; the long poll under vi's fake timers.
import { afterEach, describe, expect, it, vi } from "vitest";
import { LimitExceededError } from "../errors.js";
import { EVENT_WAITERS_MAX, SUSPICION_MS, TICK_MS } from "../limits.js";
import { SeededRng } from "../core/clock.js";
import { NameServerNode, defaultNodeOptions, type NodeOptions } from "../core/node.js";
import type { BrokerRegistration } from "../model/types.js";
import { EventLog, eventOfLog, type EventBody } from "./event_log.js";

const EXPIRY_MS = 2_000;

function makeNode(overrides: Partial<NodeOptions> = {}): NameServerNode {
  return new NameServerNode({ ...defaultNodeOptions("n1"), brokerExpiryMs: EXPIRY_MS, ...overrides }, new SeededRng(1), 0);
}

function registration(index: number): BrokerRegistration {
  return {
    clusterName: "c1",
    brokerAddr: `10.0.0.${index}:10911`,
    brokerName: `b${index}`,
    brokerId: 0,
    haServerAddr: "",
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: null,
    dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
    topics: [{ topicName: `T${index}`, readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0, order: false }],
  };
}

/** The events of the node's log effects since the last call. */
function events(node: NameServerNode): EventBody[] {
  const result: EventBody[] = [];
  for (const effect of node.takeEffects()) {
    if (effect.kind !== "log") continue;
    const event = eventOfLog(effect.msg, effect.fields);
    if (event) result.push(event);
  }
  return result;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("event_log", () => {
  it("event_log: registration, suspicion, eviction by lost connection and by expiry, unregistration", () => {
    const node = makeNode();
    node.registerBroker(1, "native", registration(1), { epoch: 1, seq: 1 }, 0);
    node.registerBroker(2, "native", registration(2), { epoch: 1, seq: 1 }, 0);
    expect(events(node)).toEqual([
      { kind: "registration", brokerKey: "c1@10.0.0.1:10911", reason: "registered", message: "broker instance changed" },
      { kind: "registration", brokerKey: "c1@10.0.0.2:10911", reason: "registered", message: "broker instance changed" },
    ]);
    node.connectionClosed(1, 100);
    expect(events(node)).toEqual([{ kind: "suspicion", brokerKey: "c1@10.0.0.1:10911", message: "broker suspected" }]);
    node.tick(100 + SUSPICION_MS);
    expect(events(node)).toEqual([{ kind: "eviction", brokerKey: "c1@10.0.0.1:10911", reason: "connectionClosed", message: "broker offline" }]);
    node.unregisterBroker(2, "c1", "10.0.0.2:10911", null, 500);
    expect(events(node)).toEqual([{ kind: "unregistration", brokerKey: "c1@10.0.0.2:10911", reason: "unregistered", message: "broker offline" }]);
    node.registerBroker(3, "native", registration(3), { epoch: 1, seq: 1 }, 1_000);
    events(node);
    for (let now = 500; now <= 1_000 + EXPIRY_MS; now += TICK_MS) node.tick(now);
    expect(events(node)).toContainEqual({ kind: "eviction", brokerKey: "c1@10.0.0.3:10911", reason: "expired", message: "broker offline" });
  });

  it("event_log: a crash verdict from a peer on a broker this node still hears is refuted", () => {
    const node = makeNode({ peersConfigured: true, seeds: ["n2:9877"] });
    node.registerBroker(1, "native", registration(1), { epoch: 1, seq: 1 }, 0);
    events(node);
    node.mergeRemote({ type: "liveness", brokerKey: "c1@10.0.0.1:10911", session: 0, alive: false, reason: "connectionClosed", evidence: { epoch: 1, seq: 1 } }, 10, "n2");
    expect(events(node)).toEqual([
      { kind: "eviction", brokerKey: "c1@10.0.0.1:10911", reason: "connectionClosed", message: "broker offline" },
      { kind: "refutation", brokerKey: "c1@10.0.0.1:10911", message: "crash verdict refuted" },
      { kind: "registration", brokerKey: "c1@10.0.0.1:10911", reason: "alive", message: "broker alive" },
    ]);
  });

  it("event_log: peers up and down, readiness, self-preservation on and off", () => {
    const node = makeNode({ peersConfigured: true, seeds: ["n2:9877"], startupGraceMs: 100 });
    node.tick(100);
    expect(events(node)).toEqual([{ kind: "ready", message: "node ready" }]);
    node.peerConnected("n2", "n2:9877", 100);
    expect(events(node)).toContainEqual({ kind: "peerUp", peerId: "n2", message: "peer up" });
    for (let index = 1; index <= 4; index++) node.registerBroker(index, "native", registration(index), { epoch: 1, seq: 1 }, 100);
    events(node);
    node.peerDisconnected("n2", 200);
    expect(events(node)).toContainEqual({ kind: "peerDown", peerId: "n2", message: "peer down" });
    node.peerConnected("n2", "n2:9877", 200);
    events(node);
    node.onPeerDeltas("n2", { records: [], repair: false, leaving: true }, 200);
    expect(events(node)).toEqual([{ kind: "peerLeft", peerId: "n2", message: "peer left" }]);
    node.peerDisconnected("n2", 200);
    expect(events(node)).toEqual([]);
    for (let now = 200; now <= 200 + EXPIRY_MS; now += TICK_MS) node.tick(now);
    expect(events(node)).toContainEqual(expect.objectContaining({ kind: "selfPreservation", reason: "on" }));
    node.peerConnected("n2", "n2:9877", 2_300);
    node.tick(2_300);
    expect(events(node)).toContainEqual(expect.objectContaining({ kind: "selfPreservation", reason: "off" }));
  });

  it("event_log: a node's own pause is an event; other log records are none", () => {
    const node = makeNode();
    node.tick(10 * TICK_MS);
    node.tick(10 * TICK_MS + 2_000);
    expect(events(node)).toEqual([{ kind: "pause", message: "tick loop paused; deadlines shifted" }]);
    expect(eventOfLog("tombstones collected", { count: 3 })).toBeNull();
  });

  it("event_log: the ring keeps the newest events, reads after a sequence number by kind, and reports a gap", () => {
    const log = new EventLog({ nowMs: () => 42 }, 3);
    for (const kind of ["peerUp", "registration", "eviction", "registration"] as const) log.record({ kind, message: kind });
    const all = log.since(0, null, 10);
    expect(all.events.map((event) => event.seq)).toEqual([2, 3, 4]);
    expect(all).toMatchObject({ lastSeq: 4, gap: true });
    expect(log.since(1, null, 10).gap).toBe(false);
    expect(log.since(2, new Set(["registration"]), 10).events.map((event) => event.seq)).toEqual([4]);
    expect(log.since(0, null, 1).events.map((event) => event.seq)).toEqual([2]);
    expect(log.since(4, null, 10)).toEqual({ events: [], lastSeq: 4, gap: false });
    expect(all.events[0]?.atMs).toBe(42);
  });

  it("event_log: a long poll returns on the next event, or after its wait", async () => {
    vi.useFakeTimers();
    const log = new EventLog({ nowMs: () => 0 });
    let woken = false;
    const waiting = log.wait(0, 5_000).then(() => (woken = true));
    expect(log.waiting).toBe(1);
    log.record({ kind: "peerUp", message: "peer up" });
    await waiting;
    expect(woken).toBe(true);
    expect(log.waiting).toBe(0);
    let timedOut = false;
    const idle = log.wait(1, 5_000).then(() => (timedOut = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(timedOut).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await idle;
    expect(timedOut).toBe(true);
  });

  it("event_log: at most EVENT_WAITERS_MAX long polls wait; one more is refused", async () => {
    vi.useFakeTimers();
    const log = new EventLog({ nowMs: () => 0 });
    const waits = Array.from({ length: EVENT_WAITERS_MAX }, () => log.wait(0, 1_000));
    await expect(log.wait(0, 1_000)).rejects.toBeInstanceOf(LimitExceededError);
    log.wakeAll();
    await Promise.all(waits);
    expect(log.waiting).toBe(0);
  });
});

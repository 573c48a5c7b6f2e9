// Goal: the request scheduler serves connections round-robin (a deep queue cannot hold back
// another connection's request by more than one turn), stops reading a connection at its pause
// point and reads it again once drained, refuses past the per-connection and node bounds, and
// keeps its counts right when a connection closes.
// Method: lanes on a RequestScheduler whose turns are run by hand; served items recorded in order.
import { describe, expect, it } from "vitest";
import { RequestScheduler, type RequestLane } from "./request_scheduler.js";

interface Rig {
  readonly scheduler: RequestScheduler;
  readonly served: string[];
  readonly socket: Record<string, string[]>;
  lane(name: string, inflightMax?: number, bytesPause?: number): RequestLane<string>;
  /** Runs one scheduled turn; false when none was scheduled. */
  turn(): boolean;
  runAll(): void;
}

function rig(options: { turnRequestsMax?: number; queuedRequestsMax?: number; queuedBytesPause?: number } = {}): Rig {
  const tasks: Array<() => void> = [];
  const scheduler = new RequestScheduler({ schedule: (task) => void tasks.push(task), ...options });
  const served: string[] = [];
  const socket: Record<string, string[]> = {};
  const turn = (): boolean => {
    const task = tasks.shift();
    task?.();
    return task !== undefined;
  };
  return {
    scheduler,
    served,
    socket,
    lane: (name, inflightMax = 1_000, bytesPause) => {
      socket[name] = [];
      return scheduler.lane<string>({
        run: (item) => void served.push(item),
        pause: () => void socket[name]?.push("pause"),
        resume: () => void socket[name]?.push("resume"),
        inflightMax,
        ...(bytesPause === undefined ? {} : { bytesPause }),
      });
    },
    turn,
    runAll: () => {
      while (turn()) {
        // each turn schedules the next while work is left
      }
    },
  };
}

describe("request_scheduler", () => {
  it("request_scheduler: a request of a quiet connection waits at most one share of a flooder's queue", () => {
    const r = rig({ turnRequestsMax: 16 });
    const flooder = r.lane("flooder");
    const broker = r.lane("broker");
    for (let i = 0; i < 500; i += 1) flooder.offer(`f${i}`, 1);
    broker.offer("heartbeat", 1);
    r.turn();
    // Two lanes with work share the turn: 8 of the flooder's, then the broker's one.
    expect(r.served.indexOf("heartbeat")).toBe(8);
    r.runAll();
    expect(r.served).toHaveLength(501);
    expect(r.scheduler.queuedRequests).toBe(0);
  });

  it("request_scheduler: lanes that keep work are served in turn, each its even share per turn", () => {
    const r = rig({ turnRequestsMax: 6 });
    const lanes = ["a", "b", "c"].map((name) => ({ name, lane: r.lane(name) }));
    for (const { name, lane } of lanes) for (let i = 0; i < 4; i += 1) lane.offer(`${name}${i}`, 1);
    r.turn();
    expect(r.served).toEqual(["a0", "a1", "b0", "b1", "c0", "c1"]);
    r.turn();
    expect(r.served.slice(6)).toEqual(["a2", "a3", "b2", "b3", "c2", "c3"]);
    expect(r.turn()).toBe(false);
  });

  it("request_scheduler: reading stops at a sixteenth of the in-flight bound and resumes at half of that", () => {
    const r = rig({ turnRequestsMax: 1 });
    const lane = r.lane("client", 64);
    for (let i = 0; i < 3; i += 1) lane.offer(`r${i}`, 1);
    expect(r.socket["client"]).toEqual([]);
    lane.offer("r3", 1);
    expect(r.socket["client"]).toEqual(["pause"]);
    expect(lane.isPaused).toBe(true);
    r.turn();
    expect(r.socket["client"]).toEqual(["pause"]);
    r.turn();
    expect(r.socket["client"]).toEqual(["pause", "resume"]);
    expect(lane.size).toBe(2);
    r.runAll();
    expect(r.served).toEqual(["r0", "r1", "r2", "r3"]);
  });

  it("request_scheduler: queued bytes past the lane's byte bound stop reading too", () => {
    const r = rig();
    const lane = r.lane("broker", 1_000, 1_000);
    lane.offer("small", 100);
    expect(lane.isPaused).toBe(false);
    lane.offer("registration", 900);
    expect(lane.isPaused).toBe(true);
    r.runAll();
    expect(r.socket["broker"]).toEqual(["pause", "resume"]);
  });

  it("request_scheduler: past the in-flight bound an offer is refused with the limit's name; the queued ones are served", () => {
    const r = rig();
    const lane = r.lane("client", 4);
    for (let i = 0; i < 4; i += 1) expect(lane.offer(`r${i}`, 1)).toBeNull();
    expect(lane.offer("r4", 1)).toEqual({ limit: "INFLIGHT_REQUESTS_PER_CONNECTION_MAX", max: 4 });
    r.runAll();
    expect(r.served).toEqual(["r0", "r1", "r2", "r3"]);
    expect(lane.offer("r5", 1)).toBeNull();
  });

  it("request_scheduler: the node's bound refuses any lane; under its pause point every lane adding work pauses until it drains", () => {
    const r = rig({ queuedRequestsMax: 32, turnRequestsMax: 8 });
    const a = r.lane("a");
    const b = r.lane("b");
    for (let i = 0; i < 2; i += 1) a.offer(`a${i}`, 1);
    expect(a.isPaused).toBe(true);
    for (let i = 0; i < 30; i += 1) b.offer(`b${i}`, 1);
    expect(b.isPaused).toBe(true);
    expect(b.offer("b30", 1)).toEqual({ limit: "QUEUED_REQUESTS_MAX", max: 32 });
    r.runAll();
    expect(r.served).toHaveLength(32);
    expect(r.socket).toEqual({ a: ["pause", "resume"], b: ["pause", "resume"] });
  });

  it("request_scheduler: a closed lane drops its queue from the counts, is never served again, and lets its socket read its close", () => {
    const r = rig();
    const closing = r.lane("closing", 32);
    const other = r.lane("other");
    for (let i = 0; i < 5; i += 1) closing.offer(`c${i}`, 10);
    other.offer("o0", 1);
    closing.close();
    expect(r.socket["closing"]).toEqual(["pause", "resume"]);
    expect(r.scheduler.queuedRequests).toBe(1);
    expect(r.scheduler.queuedBytes).toBe(1);
    expect(closing.offer("late", 1)).toBeNull();
    r.runAll();
    expect(r.served).toEqual(["o0"]);
    expect(r.scheduler.queuedRequests).toBe(0);
  });

  it("request_scheduler: a request that closes its own connection stops that lane's service at once", () => {
    const tasks: Array<() => void> = [];
    const scheduler = new RequestScheduler({ schedule: (task) => void tasks.push(task) });
    const served: string[] = [];
    const lane: RequestLane<string> = scheduler.lane<string>({
      run: (item) => {
        served.push(item);
        if (item === "bad") lane.close();
      },
      pause: () => undefined,
      resume: () => undefined,
      inflightMax: 100,
    });
    for (const item of ["ok", "bad", "after"]) lane.offer(item, 1);
    while (tasks.length > 0) (tasks.shift() as () => void)();
    expect(served).toEqual(["ok", "bad"]);
    expect(scheduler.queuedRequests).toBe(0);
    expect(scheduler.activeLanes).toBe(0);
  });
});

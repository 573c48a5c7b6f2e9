// Simulated time for the cluster simulator: a clock that moves only when the simulator
// runs its next event, and the event queue that orders them (time, then insertion order).
// Test-only: never exported from src/index.ts; imports nothing from the shells.
import { assert } from "../assert.js";
import type { Clock } from "../core/clock.js";

/** Events one SimClock may hold at once: far above any scenario, low enough to catch leaks. */
export const SIM_EVENTS_MAX = 1_000_000;

/** A scheduled callback. */
interface SimEvent {
  readonly atMs: number;
  readonly order: number;
  readonly run: () => void;
}

/** Simulated milliseconds plus a deterministic event queue (a binary min-heap). */
export class SimClock implements Clock {
  private now: number;
  private order = 0;
  private readonly heap: SimEvent[] = [];

  constructor(startMs = 0) {
    this.now = startMs;
  }

  /** The simulated time. */
  nowMs(): number {
    return this.now;
  }

  /** Number of pending events. */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs `run` at `atMs` (not before now); events at equal times run in scheduling order. */
  schedule(atMs: number, run: () => void): void {
    assert(this.heap.length < SIM_EVENTS_MAX, `sim event queue above SIM_EVENTS_MAX (${SIM_EVENTS_MAX})`);
    const event: SimEvent = { atMs: Math.max(atMs, this.now), order: this.order++, run };
    this.heap.push(event);
    this.siftUp(this.heap.length - 1);
  }

  /** Runs every event due up to and including `untilMs`, then sets the time to `untilMs`. */
  runUntil(untilMs: number): void {
    assert(untilMs >= this.now, "simulated time never goes back");
    for (;;) {
      const head = this.heap[0];
      if (!head || head.atMs > untilMs) break;
      this.pop();
      this.now = head.atMs;
      head.run();
    }
    this.now = untilMs;
  }

  /**
   * Runs the next event due at or before `untilMs` and returns true, or sets the time to
   * `untilMs` and returns false when none is due: one step, so that an async driver can let
   * promise callbacks run between events (the real shells await).
   */
  runNext(untilMs: number): boolean {
    assert(untilMs >= this.now, "simulated time never goes back");
    const head = this.heap[0];
    if (!head || head.atMs > untilMs) {
      this.now = untilMs;
      return false;
    }
    this.pop();
    this.now = head.atMs;
    head.run();
    return true;
  }

  private pop(): void {
    const last = this.heap.pop() as SimEvent;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a] as SimEvent;
    const y = this.heap[b] as SimEvent;
    return x.atMs !== y.atMs ? x.atMs < y.atMs : x.order < y.order;
  }

  private swap(a: number, b: number): void {
    const tmp = this.heap[a] as SimEvent;
    this.heap[a] = this.heap[b] as SimEvent;
    this.heap[b] = tmp;
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.less(child, parent)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.less(left, smallest)) smallest = left;
      if (right < this.heap.length && this.less(right, smallest)) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }
}

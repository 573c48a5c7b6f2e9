// Real timers behind the Scheduler interface of model/time.ts: what the shells use outside
// the simulator, which fires the same timers in simulated time.
import type { Scheduler, TimerHandle } from "../model/time.js";

/** A Scheduler over setTimeout; timers are unref'd so they never hold the process open alone. */
export class RealScheduler implements Scheduler {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  /** @param unref whether timers let the process exit (true for libraries). */
  constructor(private readonly unref = false) {}

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      callback();
    }, Math.max(0, delayMs));
    if (this.unref) timer.unref();
    this.timers.set(id, timer);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(handle.id);
  }
}


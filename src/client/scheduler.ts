// Timers, time and randomness for the client and the broker agent, behind small interfaces
// so that their retry, backoff and failover logic can run in the simulator. Imports no I/O.
import { randomInt } from "node:crypto";
import { SeededRng, type Clock, type Rng } from "../core/clock.js";

/** An opaque handle of a scheduled timer. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * Sets and clears one-shot timers. The real one uses setTimeout; tests and the simulator
 * use a fake that fires timers when simulated time is advanced.
 */
export interface Scheduler {
  /** Calls `callback` once after `delayMs`; the callback must not throw. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer; a no-op for timers that already fired or were cleared. */
  clearTimer(handle: TimerHandle): void;
}

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

/** Wall-clock time for shells. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A SeededRng seeded from the OS, for production shells; tests pass their own seed. */
export function systemRng(): Rng {
  return new SeededRng(randomInt(0, 0xffff_ffff));
}

/** The log interface of the client and agent; a pino Logger fits it. */
export interface ClientLogger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

/** A logger that drops everything. */
export const silentLogger: ClientLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

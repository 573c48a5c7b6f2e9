// Timers, time and randomness for the client and the broker agent, behind small interfaces
// so that their retry, backoff and failover logic can run in the simulator. Imports no I/O.
import { randomInt } from "node:crypto";
import { SeededRng, type Clock, type Rng } from "../core/clock.js";

export type { Scheduler, TimerHandle } from "../core/clock.js";
export { RealScheduler } from "../transport/timers.js";

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

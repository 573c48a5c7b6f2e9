// Time and randomness as injected inputs. The core never reads a clock itself; shells pass
// `nowMs` in. SeededRng is a deterministic generator for the core and the simulator.

/** A source of milliseconds; the shell's is wall time, the simulator's is simulated. */
export interface Clock {
  nowMs(): number;
}

export type { Scheduler, TimerHandle } from "../model/time.js";

/** A source of random 32-bit integers. */
export interface Rng {
  nextU32(): number;
}

/** Mulberry32: small, fast, good enough for peer choice and jitter; same seed, same sequence. */
export class SeededRng implements Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** A uniform float in [0, 1). */
export function nextUnit(rng: Rng): number {
  return rng.nextU32() / 0x1_0000_0000;
}

/** A uniform integer in [0, bound). */
export function nextIndex(rng: Rng, bound: number): number {
  return Math.floor(nextUnit(rng) * bound);
}

/** Exponential backoff with jitter: attempt 0 waits about `minMs`, doubling up to `maxMs`. */
export function backoffMs(rng: Rng, attempt: number, minMs: number, maxMs: number, jitterRatio: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + jitterRatio * nextUnit(rng)));
}

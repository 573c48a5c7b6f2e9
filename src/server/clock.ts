// The shell's real time source and seed: the only place the server reads the wall clock.
import { randomBytes } from "node:crypto";
import { SeededRng, type Clock, type Rng } from "../core/clock.js";

/** Wall-clock milliseconds. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** An Rng seeded from the OS; the seed is returned so it can be logged for replay. */
export function randomRng(): { rng: Rng; seed: number } {
  const seed = randomBytes(4).readUInt32LE(0);
  return { rng: new SeededRng(seed), seed };
}

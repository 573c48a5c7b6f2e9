// Timer interfaces every layer may name: the shells set timers through them, the simulator
// fires them in simulated time. Types only.

/** An opaque handle of a scheduled timer. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * Sets and clears one-shot timers, for the shells (the core keeps deadlines instead). The real
 * one (transport/timers.ts) uses setTimeout; the simulator fires timers in simulated time.
 */
export interface Scheduler {
  /** Calls `callback` once after `delayMs`; the callback must not throw. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer; a no-op for timers that already fired or were cleared. */
  clearTimer(handle: TimerHandle): void;
}

// Waiting on a condition with a deadline: polls, never sleeps a fixed time for an outcome.

/** Default deadline of a wait. */
export const WAIT_DEADLINE_MS = 10_000;
/** Poll period while waiting. */
export const WAIT_POLL_MS = 10;

/** Resolves with the first non-undefined value of `probe`; rejects after the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = WAIT_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

/** Races a promise against the deadline. */
export async function withDeadline<T>(what: string, promise: Promise<T>, deadlineMs = WAIT_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

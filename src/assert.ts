// Assertions for programmer errors only (a broken invariant). Operating errors (bad input,
// timeouts, unknown topics) are typed NsErrors and handled; an AssertionError is never caught.

/** Thrown when an invariant of the code itself is broken. The process should crash. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Asserts a programmer invariant; throws AssertionError when it does not hold. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a switch as exhaustive: the compiler proves `value` is `never`. */
export function unreachable(value: never): never {
  throw new AssertionError(`unreachable: ${JSON.stringify(value)}`);
}

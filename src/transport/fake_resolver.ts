// In-memory twin of the host resolver for unit tests: answers from a script the test edits,
// fails on demand, can hold lookups to show they never overlap. Never used in production.
import type { HostResolver } from "./dns.js";

/** A resolver answering `answer` to every name; `null` fails the lookup as getaddrinfo would. */
export class FakeResolver implements HostResolver {
  answer: readonly string[] | null = [];
  /** Every name looked up, in order. */
  readonly lookups: string[] = [];
  /** When set, lookups wait until the test calls the functions queued here. */
  held: (() => void)[] | null = null;

  resolve(host: string): Promise<readonly string[]> {
    this.lookups.push(host);
    const answer = this.answer;
    const settle = (): Promise<readonly string[]> =>
      answer === null ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" })) : Promise.resolve(answer);
    if (this.held === null) return settle();
    const held = this.held;
    return new Promise((resolve, reject) => held.push(() => settle().then(resolve, reject)));
  }
}

// Shared pieces of the compose checks: route specs, result bookkeeping with the old
// "PASS/FAIL/TODO" lines, timelines and figure formatting. Imports nothing of src/.
import { type TestContext, afterAll, test } from "vitest";
import { say } from "./cluster.js";
import { routeSpec } from "./probes.js";

/** Route specs (TOPIC=BROKER+BROKER): what every node must answer while the broker lives. */
export const S_ALL = routeSpec("e2e-all=b-all-a+b-all-b"); // two brokers registered with all three nodes
export const S_A = routeSpec("e2e-a=b-all-a");
export const S_ONE = routeSpec("e2e-one=b-one"); // registered with ns1 only
export const S_PART = routeSpec("e2e-part=b-part"); // keeps heartbeating to ns1/ns2 while ns3 is cut off
export const S_KILL = routeSpec("e2e-kill=b-kill"); // killed during the partition
export const LIVE_SPECS = [S_ALL, S_A, S_ONE, S_PART];

/** Deadline of one check (the partition check runs about 15 s, more on a loaded machine). */
const CHECK_DEADLINE_MS = 180_000;

const results: string[] = [];
const counts = { passed: 0, failed: 0, skipped: 0 };

/** What a check returns: nothing (pass or fail by its expectations), or "todo" (not applicable). */
type Outcome = void | "todo";

/**
 * One check, run in file order: prints "check: NAME", records PASS / FAIL / TODO with its
 * duration for the closing summary. Expectations are soft, so a check prints every figure.
 */
export function check(name: string, body: (ctx: TestContext) => Promise<Outcome>): void {
  test(name, { timeout: CHECK_DEADLINE_MS }, async (ctx) => {
    const t = Date.now();
    say(`check: ${name}`);
    let outcome: Outcome = undefined;
    let threw = true;
    try {
      outcome = await body(ctx);
      threw = false;
    } finally {
      const ms = Date.now() - t;
      if (outcome === "todo") {
        counts.skipped += 1;
        results.push(`TODO  ${name}`);
      } else if (threw || ctx.task.result?.state === "fail") {
        counts.failed += 1;
        results.push(`FAIL  ${name} (${ms} ms)`);
      } else {
        counts.passed += 1;
        results.push(`PASS  ${name} (${ms} ms)`);
      }
    }
    if (outcome === "todo") ctx.skip();
  });
}

/** Prints the results and the closing line "e2e: N passed, N failed, N skipped". */
export function printResultsAfterAll(): void {
  afterAll(() => {
    say("results:");
    for (const line of results) say(`  ${line}`);
    process.stdout.write(`e2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  });
}

/** Resolves at an epoch time: the scripted timeline of a scenario (not a wait for an outcome). */
export function at(epochMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}

/** "ns1 812 ms, ns2 NEVER" of epoch times, relative to t0Ms. */
export function msAfter(times: Readonly<Record<string, number | null>>, t0Ms: number, names = Object.keys(times)): string {
  return names.map((name) => {
    const time = times[name];
    return `${name} ${time === null || time === undefined ? "NEVER" : `${time - t0Ms} ms`}`;
  }).join(", ");
}

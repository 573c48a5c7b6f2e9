// Bench helpers: statistics, a process tracker that stops everything it started (by pid),
// /proc readers (CPU seconds, I/O bytes, RSS, loopback counters) and bounded waits.
// Bench-only: nothing in src/ outside src/bench imports this.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";

/** Clock ticks per second for /proc/<pid>/stat utime and stime (Linux USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Poll period of waitFor. */
const WAIT_POLL_MS = 20;

/** Summary of a sample set in milliseconds (or any unit). */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50/p90/p99/p99.9/max of the values. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, value) => acc + value, 0);
  return {
    count: sorted.length,
    p50: round3(quantile(sorted, 0.5)),
    p90: round3(quantile(sorted, 0.9)),
    p99: round3(quantile(sorted, 0.99)),
    p999: round3(quantile(sorted, 0.999)),
    max: round3(sorted[sorted.length - 1] ?? Number.NaN),
    min: round3(sorted[0] ?? Number.NaN),
    mean: round3(sorted.length === 0 ? Number.NaN : sum / sorted.length),
  };
}

/** Median of numbers (NaN for none). */
export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Rounds to 3 decimals, keeping NaN. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Monotonic milliseconds (fractional). */
export function nowMs(): number {
  return performance.now();
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than null/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | null | false | Promise<T | null | false>): Promise<T> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false) return value;
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(WAIT_POLL_MS);
  }
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A child process the tracker started. */
export interface Tracked {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout+stderr lines, kept when `keepLines` was asked for (bounded). */
  readonly lines: string[];
  exited: boolean;
}

/** Lines kept per process when asked to. */
const LINES_KEPT_MAX = 50_000;

/** Starts processes and stops exactly those, by pid, at the end. */
export class ProcessTracker {
  private readonly running = new Map<number, Tracked>();
  private readonly cleanups: (() => void)[] = [];

  /** Runs `cleanup` (removing a temp dir, say) after killAll has killed everything. */
  addCleanup(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /** Spawns `command`; `onLine` sees every stdout/stderr line. */
  start(name: string, command: string, args: readonly string[], options: { keepLines?: boolean; onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Tracked {
    const spawnOptions: SpawnOptions = { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env };
    const child = spawn(command, [...args], spawnOptions);
    if (child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
    const tracked: Tracked = { name, child, pid: child.pid, lines: [], exited: false };
    this.running.set(child.pid, tracked);
    const onData = (stream: NodeJS.ReadableStream | null): void => {
      if (!stream) return;
      let rest = "";
      stream.on("data", (chunk: Buffer) => {
        const text = rest + chunk.toString("utf8");
        const parts = text.split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) {
          if (options.keepLines && tracked.lines.length < LINES_KEPT_MAX) tracked.lines.push(line);
          options.onLine?.(line);
        }
      });
    };
    onData(child.stdout);
    onData(child.stderr);
    child.on("exit", () => {
      tracked.exited = true;
      this.running.delete(tracked.pid);
    });
    child.on("error", () => {
      tracked.exited = true;
      this.running.delete(tracked.pid);
    });
    return tracked;
  }

  /** Sends a signal to one tracked process. */
  signal(tracked: Tracked, signal: NodeJS.Signals): void {
    if (tracked.exited) return;
    try {
      process.kill(tracked.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  /** SIGKILLs one process and waits for its exit (bounded). */
  async kill(tracked: Tracked): Promise<void> {
    if (tracked.exited) return;
    const exited = new Promise<void>((resolve) => tracked.child.once("exit", () => resolve()));
    this.signal(tracked, "SIGKILL");
    await Promise.race([exited, sleep(3_000)]);
  }

  /** SIGKILLs every process still running (each by its own pid), then runs the cleanups. */
  async killAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((tracked) => this.kill(tracked)));
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** Pids still running. */
  get pids(): number[] {
    return [...this.running.keys()];
  }
}

/** utime + stime of a process in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the ")" the state is field 3; utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** rchar + wchar of a process (bytes passed to read/write-family syscalls, sockets included). */
export function ioBytes(pid: number): { read: number; written: number } {
  const text = readFileSync(`/proc/${pid}/io`, "utf8");
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { read: field("rchar"), written: field("wchar") };
}

/** Resident set size of a process in bytes. */
export function rssBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Peak resident set size of a process in bytes (VmHWM). */
export function peakRssBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Loopback interface counters (bytes and packets, received side). */
export function loopbackCounters(): { bytes: number; packets: number } {
  const text = readFileSync("/proc/net/dev", "utf8");
  const line = text.split("\n").find((row) => row.trim().startsWith("lo:"));
  if (!line) return { bytes: Number.NaN, packets: Number.NaN };
  const fields = line.trim().slice(3).trim().split(/\s+/);
  return { bytes: Number(fields[0]), packets: Number(fields[1]) };
}

/** Runs a command to completion; resolves with its exit code and output (bounded by timeoutMs). */
export function runCommand(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = "";
    let child: ChildProcess;
    try {
      child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      resolve({ code: null, output: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: output + error.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

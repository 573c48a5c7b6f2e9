// The processes of a chaos run: nodes (the built CLI, each entering its namespace and the
// private mount namespace that holds its KV tmpfs), broker agents (the built CLI), the proxy
// and the workload. Every process is tracked from spawn to exit, its output goes to a log
// file, and each life event is reported. Nothing is ever signalled but by its own pid.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ProcessEvent } from "./history.js";

/** A process that ignored SIGTERM this long is killed. */
export const STOP_GRACE_MS = 5_000;

/** One tracked process. */
export class Proc {
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private exitedAlready = false;

  constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.exitedAlready = true;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get running(): boolean {
    return !this.exitedAlready && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to this process only; false when it is gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running || this.pid <= 0) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
      throw error;
    }
  }
}

/** What to do with each output line of a process. */
export interface LineHandlers {
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** Stdout lines go to the handler only, not to the log file (the workload's records). */
  readonly stdoutUnlogged?: boolean;
}

/** Spawns and tracks processes; `now` gives run time for the events. */
export class Processes {
  private readonly all = new Set<Proc>();
  private readonly logs = new Map<string, WriteStream>();

  constructor(
    private readonly logDir: string,
    private readonly now: () => number,
    private readonly onEvent: (event: ProcessEvent) => void,
  ) {}

  /** Spawns `command args`; `lifecycle` false for helpers whose events the checker ignores. */
  spawn(id: string, command: string, args: readonly string[], handlers: LineHandlers = {}, lifecycle = true, extra: Partial<ProcessEvent> = {}): Proc {
    const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    const proc = new Proc(id, child);
    this.all.add(proc);
    const log = this.logFor(id);
    child.on("error", (error) => log.write(`${JSON.stringify({ chaos: "spawn error", error: error.message })}\n`));
    for (const [stream, handle, logged] of [
      [child.stdout, handlers.stdout, !handlers.stdoutUnlogged],
      [child.stderr, handlers.stderr, true],
    ] as const) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        if (logged) log.write(`${line}\n`);
        handle?.(line);
      });
    }
    if (lifecycle) this.onEvent({ id, kind: "spawn", atMs: this.now(), pid: proc.pid, ...extra });
    void proc.exited.then(({ code, signal }) => {
      this.all.delete(proc);
      if (lifecycle) this.onEvent({ id, kind: "exit", atMs: this.now(), pid: proc.pid, signal, code });
    });
    return proc;
  }

  /** SIGSTOP or SIGCONT, reported. */
  pause(proc: Proc, stop: boolean): void {
    if (proc.signal(stop ? "SIGSTOP" : "SIGCONT")) this.onEvent({ id: proc.id, kind: stop ? "stop" : "cont", atMs: this.now(), pid: proc.pid });
  }

  /**
   * SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves on exit. Reported as "term": a process
   * told to stop no longer counts as live (a broker unregisters at once).
   */
  async stop(proc: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!proc.running) return;
    proc.signal("SIGCONT");
    if (proc.signal(signal)) this.onEvent({ id: proc.id, kind: "term", atMs: this.now(), pid: proc.pid });
    const timer = setTimeout(() => proc.signal("SIGKILL"), STOP_GRACE_MS);
    await proc.exited;
    clearTimeout(timer);
  }

  /** Stops every process still running (continuing paused ones first). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.all].map((proc) => this.stop(proc)));
    await Promise.all([...this.logs.values()].map((log) => new Promise((resolve) => log.end(resolve))));
    this.logs.clear();
  }

  /** Kills every process at once (the run is being aborted). */
  killAll(): void {
    for (const proc of this.all) proc.signal("SIGKILL");
  }

  private logFor(id: string): WriteStream {
    let log = this.logs.get(id);
    if (!log) {
      log = createWriteStream(join(this.logDir, `${id}.log`), { flags: "a" });
      this.logs.set(id, log);
    }
    return log;
  }
}

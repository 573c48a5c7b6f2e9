// Spawning the built CLI (dist/cli/main.js) and reading its JSON log lines and exit.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { linesWith, parseJsonLines, type LogLine } from "./logs.js";
import { waitFor, withDeadline } from "./wait.js";

/** Path of the built CLI; run `npm run build` first. */
export const CLI_PATH = fileURLToPath(new URL("../../../dist/cli/main.js", import.meta.url));

/** A running CLI process. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Parsed JSON lines of stdout so far. */
  lines(): LogLine[];
  /** Waits for the first log line with this msg. */
  waitForLog(msg: string): Promise<LogLine>;
  /** Resolves with the exit code (or signal) once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node dist/cli/main.js ...args`. */
export function spawnCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: () => parseJsonLines(out),
    waitForLog: (msg) => waitFor(`log line '${msg}' (stderr: ${err.slice(0, 200)})`, () => linesWith(parseJsonLines(out), msg)[0]),
    exited,
  };
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = spawnCli(args);
  const { code } = await withDeadline(`namesrv ${args.join(" ")} to exit`, cli.exited);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The CLI processes one test file starts; `stopAll` (for afterEach) kills what still runs and waits. */
export class CliGroup {
  private readonly processes: CliProcess[] = [];

  /** Spawns `namesrv ...args` as one of the group. */
  spawn(args: readonly string[]): CliProcess {
    const process = spawnCli(args);
    this.processes.push(process);
    return process;
  }

  /** SIGKILLs every process still running (SIGCONT first, for a stopped one) and waits for all to end. */
  async stopAll(): Promise<void> {
    const processes = this.processes.splice(0);
    for (const { child } of processes) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    }
    await Promise.all(processes.map((process) => process.exited));
  }
}

// Typed calls of the docker CLI for the compose end-to-end tests: every call has a deadline,
// and its result is {code, stdout, stderr}. Imports nothing of src/.
import { execFile } from "node:child_process";

/** Deadline of one docker call (`docker run`, `exec`, `logs` on a loaded 2-core machine). */
export const DOCKER_CALL_DEADLINE_MS = 60_000;
/** stdout + stderr kept of one call: a node's whole log after a run is a few MiB. */
const DOCKER_OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

/** What a docker call returned; code is the exit code (-1: killed at its deadline). */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command of the docker CLI; never rejects: a failure is a non-zero code. */
export function run(command: readonly string[], deadlineMs = DOCKER_CALL_DEADLINE_MS): Promise<DockerResult> {
  const [file, ...args] = command;
  if (file === undefined) throw new Error("run: empty command");
  return new Promise((resolve) => {
    execFile(file, args, { timeout: deadlineMs, maxBuffer: DOCKER_OUTPUT_BYTES_MAX, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr: error !== null && stderr === "" ? error.message : stderr });
    });
  });
}

/** `docker ARGS...`. */
export function docker(...args: string[]): Promise<DockerResult> {
  return run(["docker", ...args]);
}

/** `docker ARGS...` that must succeed; resolves with its trimmed stdout. */
export async function dockerOk(...args: string[]): Promise<string> {
  const result = await docker(...args);
  if (result.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** A container's `docker logs` (stdout and stderr: the JSON log lines). */
export async function logsOf(id: string): Promise<string> {
  const result = await docker("logs", id);
  return result.stdout + result.stderr;
}

/** `docker inspect -f FORMAT ID`, trimmed. */
export function inspect(id: string, format: string): Promise<string> {
  return dockerOk("inspect", "-f", format, id);
}

// `npm run chaos -- [--quick] [--duration 30m] [--seed N] [--nodes 3..5] ...`: one chaos run,
// its summary line on stdout, history.json, summary.json and timeline.svg in the output
// folder. Exit 0 when the checker found no violation, 1 when it found some, 2 for bad flags,
// 3 when the cluster could not be run. Needs root, ip netns and iptables. `--recheck DIR`
// checks a recorded run again; `--cleanup` removes what a killed run left behind.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "./cluster.js";
import { CHAOS_BROKER_EXPIRY_MS, CHAOS_HEARTBEAT_MS, QUICK } from "./defaults.js";
import { check } from "./checker.js";
import { FAULT_KINDS, type FaultKind, type History } from "./history.js";
import { leftoverNamespaces, pidsIn, run } from "./net.js";
import { summarize } from "./report.js";
import { runChaos, writeOutputs, type Sabotage } from "./run.js";

/** A run without --quick or --duration. */
const DEFAULT_DURATION_MS = 300_000;
/** Node count bounds (the issue: three to five). */
const NODES_MIN = 3;
const NODES_MAX = 5;
/** Broker count bounds: self-preservation needs four to apply; one address octet each. */
const BROKERS_MIN = 1;
const BROKERS_MAX = 8;
/** Lanes (faults at once): the 30-minute run of 500 faults of every kind takes 28 (5 nodes, 5 brokers). */
const LANES_MAX = 32;

const EXIT_VIOLATIONS = 1;
const EXIT_USAGE = 2;
const EXIT_FAILED = 3;

/** "90", "90s", "30m", "1500ms" -> milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`'--duration' must be a number with ms, s or m, got '${text}'`);
  const value = Number(match[1]);
  return match[2] === "ms" ? value : match[2] === "m" ? value * 60_000 : value * 1_000;
}

function intFlag(name: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`'--${name}' must be an integer in ${min}..${max}, got '${text}'`);
  return value;
}

async function cleanup(): Promise<void> {
  for (const ns of await leftoverNamespaces()) {
    // Processes in our own leftover namespaces are ones an earlier run started.
    for (const pid of await pidsIn(ns)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    }
    await run("ip", ["netns", "del", ns]);
    process.stdout.write(`removed ${ns}\n`);
  }
}

function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error("the chaos run needs root (network namespaces, iptables, mounts)");
  for (const tool of ["ip", "iptables-restore", "nsenter"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch (error) {
      throw new Error(`'${tool}' is missing (apt-get install iproute2 iptables util-linux)`, { cause: error });
    }
  }
}

/** Checks a recorded run again (after a change of the checker) and rewrites its outputs. */
function recheck(dir: string): number {
  const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as History;
  const { violations, coverage, observations } = check(history, { brokerExpiryMs: history.meta.brokerExpiryMs, heartbeatMs: history.meta.heartbeatMs });
  const summary = summarize(history, violations, coverage, observations);
  writeOutputs(dir, history, violations, summary);
  for (const violation of violations.slice(0, 50)) process.stderr.write(`violation ${violation.kind} at ${Math.round(violation.atMs)} ms: ${violation.detail}\n`);
  process.stdout.write(`${summary.line}\n`);
  return violations.length === 0 ? 0 : EXIT_VIOLATIONS;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      duration: { type: "string" },
      seed: { type: "string" },
      nodes: { type: "string" },
      brokers: { type: "string" },
      lanes: { type: "string" },
      kinds: { type: "string" },
      out: { type: "string" },
      sabotage: { type: "string" },
      "broker-expiry-ms": { type: "string" },
      cleanup: { type: "boolean" },
      recheck: { type: "string" },
    },
    strict: true,
  });
  if (values.cleanup) {
    await cleanup();
    return 0;
  }
  if (values.recheck !== undefined) return recheck(values.recheck);
  const quick = values.quick ?? false;
  const seed = intFlag("seed", values.seed, 0, 0xffff_ffff, Math.floor(Math.random() * 0xffff_ffff));
  const durationMs = values.duration === undefined ? (quick ? QUICK.durationMs : DEFAULT_DURATION_MS) : parseDuration(values.duration);
  const nodes = intFlag("nodes", values.nodes, NODES_MIN, NODES_MAX, QUICK.nodes);
  const brokers = intFlag("brokers", values.brokers, BROKERS_MIN, BROKERS_MAX, QUICK.brokers);
  const lanes = intFlag("lanes", values.lanes, 1, LANES_MAX, QUICK.lanes);
  const brokerExpiryMs = intFlag("broker-expiry-ms", values["broker-expiry-ms"], 1_000, 120_000, CHAOS_BROKER_EXPIRY_MS);
  const kinds = values.kinds?.split(",").map((kind) => kind.trim()) as FaultKind[] | undefined;
  for (const kind of kinds ?? []) if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new Error(`'--kinds' takes ${FAULT_KINDS.join(",")}, got '${kind}'`);
  const sabotage = values.sabotage as Sabotage | undefined;
  if (sabotage !== undefined && sabotage !== "slowSuspicion" && sabotage !== "noGossip") throw new Error(`'--sabotage' must be slowSuspicion or noGossip, got '${sabotage}'`);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = values.out ?? join(repoRoot(), "chaos-runs", `${stamp}-seed${seed}`);
  const flags = [quick ? "--quick" : null, `--seed ${seed}`, values.duration ? `--duration ${values.duration}` : null, values.nodes ? `--nodes ${nodes}` : null,
    values.brokers ? `--brokers ${brokers}` : null, values.lanes ? `--lanes ${lanes}` : null, kinds ? `--kinds ${kinds.join(",")}` : null,
    sabotage ? `--sabotage ${sabotage}` : null, values["broker-expiry-ms"] ? `--broker-expiry-ms ${brokerExpiryMs}` : null].filter((flag) => flag !== null);
  const command = `npm run chaos -- ${flags.join(" ")}`;
  checkPrerequisites();
  const log = (message: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  log(`${command} -> ${outDir}`);
  const result = await runChaos({ seed, durationMs, nodes, brokers, lanes, brokerExpiryMs, heartbeatMs: CHAOS_HEARTBEAT_MS, outDir, sabotage: sabotage ?? null, ...(kinds ? { kinds } : {}), command, log });
  for (const violation of result.violations.slice(0, 50)) {
    log(`violation ${violation.kind} at ${Math.round(violation.atMs)} ms: ${violation.detail} [faults: ${violation.faults.join(" ") || "none"}]`);
  }
  for (const observation of result.summary.observations) log(`observation: ${observation}`);
  process.stdout.write(`${result.summary.line}\n`);
  return result.violations.length === 0 ? 0 : EXIT_VIOLATIONS;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = (error as Error).message ?? String(error);
    process.stderr.write(`chaos: ${message}\n`);
    process.exit(/must be|takes/.test(message) ? EXIT_USAGE : EXIT_FAILED);
  },
);

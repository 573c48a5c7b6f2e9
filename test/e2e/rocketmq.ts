// The compose profile "rocketmq" in the end-to-end tests: its settings from the environment
// (validated), its services, and the JSON event lines its Java programs print (interop.Producer
// and interop.Consumer of test/interop/src). Imports nothing of src/.
import { waitFor } from "../integration/helpers/wait.js";
import { NODES, type NodeName, compose } from "./cluster.js";
import { dockerOk, run } from "./docker.js";

const env = process.env;

/** An integer setting from the environment, within [min, max]; a clear error otherwise. */
function intSetting(name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return value;
}

function nodeSetting(name: string, fallback: NodeName): NodeName {
  const text = env[name] ?? fallback;
  const node = NODES.find((candidate) => candidate === text);
  if (node === undefined) throw new Error(`${name} must be one of ${NODES.join(", ")}, got "${text}"`);
  return node;
}

/** Settings of the RocketMQ check (scripts/e2e-compose.sh passes them on). */
export const RMQ_SETTINGS = {
  /** E2E_ROCKETMQ=0: no RocketMQ image was built; the checks are TODO. */
  enabled: env["E2E_ROCKETMQ"] !== "0",
  /** Messages the producer sends (docker-compose.yml's ROCKETMQ_DEMO_COUNT). */
  count: intSetting("ROCKETMQ_DEMO_COUNT", 200, 1, 100_000),
  /** Its pause between two sends (ROCKETMQ_DEMO_INTERVAL_MS). */
  intervalMs: intSetting("ROCKETMQ_DEMO_INTERVAL_MS", 100, 0, 10_000),
  /** The node killed during the run. */
  killNode: nodeSetting("RMQ_KILL_NODE", "ns1"),
  /** The kill comes once the producer has this many acknowledgements. */
  killAfterSent: intSetting("RMQ_KILL_AFTER_SENT", 30, 1, 100_000),
  /** How long the node stays killed. */
  killHoldMs: intSetting("RMQ_KILL_HOLD_MS", 8000, 0, 120_000),
} as const;

/** The services of the profile. */
export const RMQ_SERVICES = ["rocketmq-broker", "rocketmq-consumer", "rocketmq-producer"] as const;
export type RmqService = (typeof RMQ_SERVICES)[number];

/** Period of the `docker logs` polls for program events (each is a docker CLI run). */
const EVENTS_POLL_MS = 250;

/** `up -d` of profile services only: the nodes are left as they are (--no-deps). */
export async function rmqUp(...services: RmqService[]): Promise<void> {
  const result = await compose("--profile", "rocketmq", "up", "-d", "--no-build", "--no-deps", ...services);
  if (result.code !== 0) throw new Error(`compose up ${services.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
}

/** Stops and removes every service of the profile (the broker unregisters on SIGTERM). */
export async function rmqDown(): Promise<void> {
  await compose("--profile", "rocketmq", "rm", "--stop", "--force", "-v", ...RMQ_SERVICES);
}

/** A service's container id (also of a stopped one). */
export async function containerOf(service: RmqService): Promise<string> {
  const id = (await compose("--profile", "rocketmq", "ps", "-q", service)).stdout.trim();
  if (id === "") throw new Error(`no container of ${service}`);
  return id;
}

/** One JSON event line of a program: {"event": ..., ...}. */
export type ProgramEvent = Record<string, unknown> & { event: string };

/** The event lines in a container's stdout so far. */
export async function eventsOf(id: string): Promise<ProgramEvent[]> {
  const result = await run(["docker", "logs", id]);
  const events: ProgramEvent[] = [];
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith('{"event"')) continue;
    try {
      events.push(JSON.parse(line) as ProgramEvent);
    } catch {
      // a line cut off by the log driver: not an event
    }
  }
  return events;
}

/** Polls a container's events until `done(events)` holds; resolves with them. */
export async function awaitEvents(id: string, what: string, done: (events: ProgramEvent[]) => boolean, deadlineMs: number): Promise<ProgramEvent[]> {
  let lastPoll = 0;
  let last: ProgramEvent[] = [];
  return waitFor(what, async () => {
    if (Date.now() - lastPoll < EVENTS_POLL_MS) return undefined;
    lastPoll = Date.now();
    last = await eventsOf(id);
    return done(last) ? last : undefined;
  }, deadlineMs).catch((error: unknown) => {
    throw new Error(`${String(error)} (${last.length} events so far)`);
  });
}

/** A message the producer had acknowledged with SEND_OK, or the consumer received. */
export interface MessageEvent {
  id: string;
  at: number;
}

/** The "sent" (or "received") events as {id, at}. */
export function messagesOf(events: readonly ProgramEvent[], kind: "sent" | "received"): MessageEvent[] {
  return events.filter((event) => event.event === kind).map((event) => ({ id: String(event["id"]), at: Number(event["at"]) }));
}

/** The producer's closing totals. */
export interface ProducerDone {
  sent: number;
  failed: number;
  ms: number;
}

/** The producer's "done" event, if printed. */
export function doneOf(events: readonly ProgramEvent[]): ProducerDone | undefined {
  const done = events.find((event) => event.event === "done");
  return done === undefined ? undefined : { sent: Number(done["sent"]), failed: Number(done["failed"]), ms: Number(done["ms"]) };
}

/** The consumer's last "total" count of deliveries (duplicates included). */
export function deliveriesOf(events: readonly ProgramEvent[], topic: string): number {
  const last = [...events].reverse().find((event) => event.event === "counts");
  const counts = last?.["counts"] as Record<string, { total?: number }> | undefined;
  return counts?.[topic]?.total ?? 0;
}

/** `docker start` of a node unless it runs (after a failed check). */
export async function ensureRunning(id: string): Promise<void> {
  const state = await dockerOk("inspect", "-f", "{{.State.Running}}", id).catch(() => "false");
  if (state !== "true") await dockerOk("start", id);
}

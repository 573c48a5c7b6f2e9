// `namesrv status` (the dashboard's cluster picture in the terminal: members, agreement, brokers
// per cluster, recent evictions; --json) and `namesrv wipe-write-perm` / `add-write-perm` (admin
// writes through any node). status asks a node's HTTP API (/v1/status, /v1/brokers, /v1/events),
// failing over between the given addresses. Exit codes: 0 healthy, 1 nodes disagree or a member
// is down, 2 bad arguments, 3 no name server reachable.
import type { Command } from "commander";
import { InvalidArgumentError, NotReadyError, NsError } from "../errors.js";
import { ANTI_ENTROPY_INTERVAL_MS, EVENTS_PER_ANSWER_MAX, REQUEST_TIMEOUT_MS, STATUS_ANSWER_BYTES_MAX } from "../limits.js";
import { checkName } from "../protocol/validate.js";
import { NameServersUnavailableError } from "../client/client_errors.js";
import { getJson } from "../transport/http_client.js";
import type { BrokersAnswer, ClusterStatus, EventsAnswerBody, NodeEvent } from "../server/dashboard_types.js";
import { parseCredentialFlags, parseNamesrvFlag, type CredentialFlags, type CredentialSources } from "./client_flags.js";

/** Exit codes of `namesrv status`. */
export const StatusExit = { HEALTHY: 0, UNHEALTHY: 1, USAGE: 2, UNAVAILABLE: 3 } as const;
/** A disagreement must outlast this many re-checks, ANTI_ENTROPY_INTERVAL_MS apart, to be reported: changes in flight settle within two rounds. */
export const STATUS_RECHECKS = 2;
/** Evictions `namesrv status` lists. */
export const STATUS_EVICTIONS_SHOWN = 10;

/** Flags of the cluster commands. */
export interface ClusterFlags extends CredentialFlags {
  readonly namesrv?: string;
  readonly json?: boolean;
}

/** The write-permission calls of a route client. */
interface PermClient {
  wipeWritePerm(brokerName: string): Promise<number>;
  addWritePerm(brokerName: string): Promise<number>;
  close(): void;
}

/** What the commands get from client_commands.ts (passed in, so the two import no cycle). */
export interface ClusterCommandContext {
  readonly deps: CredentialSources & { readonly stdout: (text: string) => void; readonly stderr: (text: string) => void };
  readonly run: (name: string, work: () => Promise<number>) => Promise<void>;
  readonly clientFor: (flags: ClusterFlags) => PermClient;
  readonly withCredentials: (command: Command) => Command;
  readonly namesrvHelp: string;
  /** Waits between re-checks. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What `namesrv status` gathered. */
export interface StatusReport {
  readonly status: ClusterStatus;
  readonly clusters: { readonly clusterName: string; readonly brokerNames: number; readonly liveInstances: number }[];
  readonly evictions: NodeEvent[];
}

/** Adds status, wipe-write-perm and add-write-perm. */
export function registerClusterCommands(program: Command, context: ClusterCommandContext): void {
  const { run, withCredentials, namesrvHelp } = context;
  withCredentials(
    program
      .command("status")
      .description("the cluster through one node: members, agreement by digest, brokers per cluster, recent evictions; exit 1 when nodes disagree or one is down")
      .option("--namesrv <addrs>", namesrvHelp)
      .option("--json", "print {status, clusters, evictions} as JSON"),
  ).action((flags: ClusterFlags) => run("status", () => runStatus(flags, context)));
  for (const kind of ["wipe", "add"] as const) {
    withCredentials(
      program
        .command(`${kind}-write-perm`)
        .description(`${kind === "wipe" ? "clear the write bit on" : "set read-write perm on"} every queue of a broker name, on every node (admin write)`)
        .argument("<brokerName>", "broker name")
        .option("--namesrv <addrs>", namesrvHelp),
    ).action((brokerName: string, flags: ClusterFlags) => run(`${kind}-write-perm`, () => runPerm(kind, brokerName, flags, context)));
  }
}

async function runPerm(kind: "wipe" | "add", brokerName: string, flags: ClusterFlags, context: ClusterCommandContext): Promise<number> {
  checkName("BROKER_NAME", brokerName);
  const client = context.clientFor(flags);
  try {
    const count = kind === "wipe" ? await client.wipeWritePerm(brokerName) : await client.addWritePerm(brokerName);
    context.deps.stdout(`${kind === "wipe" ? "wiped write permission of" : "added write permission to"} ${brokerName}: ${count} topics\n`);
    return StatusExit.HEALTHY;
  } finally {
    client.close();
  }
}

async function runStatus(flags: ClusterFlags, context: ClusterCommandContext): Promise<number> {
  const { deps } = context;
  const addrs = parseNamesrvFlag(flags.namesrv, deps.env);
  const credentials = parseCredentialFlags(flags, deps);
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let report = await gather(addrs, credentials);
  for (let recheck = 0; recheck < STATUS_RECHECKS && !report.status.agreement.agree; recheck++) {
    await sleep(ANTI_ENTROPY_INTERVAL_MS);
    report = await gather(addrs, credentials);
  }
  deps.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return report.status.healthy ? StatusExit.HEALTHY : StatusExit.UNHEALTHY;
}

/** The status, brokers and evictions from the first address that answers all three. */
async function gather(addrs: readonly string[], credentials: ReturnType<typeof parseCredentialFlags>): Promise<StatusReport> {
  const failures: { addr: string; error: Error }[] = [];
  for (const addr of addrs) {
    const get = async <T>(path: string): Promise<T> => {
      const answer = await getJson({ addr, path, tls: credentials.tls, token: credentials.token, timeoutMs: REQUEST_TIMEOUT_MS, bytesMax: STATUS_ANSWER_BYTES_MAX });
      if (answer.status !== 200) {
        const message = (answer.body as { error?: { message?: string } } | null)?.error?.message ?? `status ${answer.status}`;
        // A node that is not ready yet may be the only one starting: ask the next.
        if (answer.status === 503) throw new NotReadyError(message);
        throw new RefusedError(`${addr}${path}: ${message}`);
      }
      return answer.body as T;
    };
    try {
      const [status, brokers, events] = await Promise.all([
        get<ClusterStatus>("/v1/status"),
        get<BrokersAnswer>("/v1/brokers"),
        get<EventsAnswerBody>(`/v1/events?kinds=eviction&limit=${EVENTS_PER_ANSWER_MAX}`),
      ]);
      return { status, clusters: clustersOf(brokers), evictions: events.events.slice(-STATUS_EVICTIONS_SHOWN) };
    } catch (error) {
      if (error instanceof RefusedError) throw new InvalidArgumentError(`the name server refused: ${error.message}`);
      if (!(error instanceof NsError)) throw error;
      failures.push({ addr, error });
    }
  }
  throw new NameServersUnavailableError(failures);
}

/** An answer other than 200 (a token refused, a node not ready): not a reason to try the next node. */
class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedError";
  }
}

function clustersOf(brokers: BrokersAnswer): StatusReport["clusters"] {
  const byCluster = new Map<string, { names: Set<string>; live: number }>();
  for (const broker of brokers.brokers) {
    if (broker.state === "offline") continue;
    const entry = byCluster.get(broker.clusterName) ?? { names: new Set<string>(), live: 0 };
    entry.names.add(broker.brokerName);
    entry.live += 1;
    byCluster.set(broker.clusterName, entry);
  }
  return [...byCluster.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([clusterName, entry]) => ({ clusterName, brokerNames: entry.names.size, liveInstances: entry.live }));
}

// ---- Formatting ----------------------------------------------------------------------------

/** The report as tables for people. */
export function formatStatus(report: StatusReport): string {
  const { status } = report;
  const { agreement } = status;
  const verdict = status.healthy ? "HEALTHY" : !agreement.agree ? "NODES DISAGREE" : "NODE DOWN OR NOT REPORTING";
  const lines = [`cluster through ${status.nodeId}: ${verdict} (${status.members.length} members)`, ""];
  lines.push(
    table(
      ["NODE", "ADDRESS", "LINK", "READY", "DEGRADED", "VERSION", "DIGEST", "LIVE_BROKERS", "TOPICS"],
      status.members.map((member) => {
        const r = member.report;
        const link = member.report === null && member.state !== "down" ? "unreachable" : member.state;
        return [member.nodeId ?? "?", member.addr ?? "-", link, r ? yesNo(r.ready) : "-", r ? yesNo(r.degraded) : "-", r?.version ?? "-", r ? r.digest.slice(0, 8) : "-", r ? String(r.brokersLive) : "-", r ? String(r.topics) : "-"];
      }),
    ),
  );
  if (agreement.agree) lines.push(`agreement: ${agreement.groups[0]?.nodes.length ?? 0} reporting nodes agree${agreement.complete ? "" : " (not every member reports)"}`);
  else {
    lines.push(`agreement: nodes disagree: ${agreement.groups.map((group) => `${group.nodes.join(",")} (${group.digest.slice(0, 8)})`).join(" vs ")}`);
    const nodes = agreement.groups.flatMap((group) => group.nodes).sort();
    if (agreement.records.length > 0) {
      lines.push("", table(["RECORD", "TYPE", ...nodes], agreement.records.map((record) => [record.id, record.type, ...nodes.map((node) => record.versions[node]?.slice(0, 8) ?? "-")])).trimEnd());
      if (agreement.recordsTruncated) lines.push("(first differing records only)");
    }
  }
  lines.push("", "brokers:");
  lines.push(report.clusters.length === 0 ? "  (none live)" : table(["CLUSTER", "BROKER_NAMES", "LIVE_INSTANCES"], report.clusters.map((c) => [c.clusterName, String(c.brokerNames), String(c.liveInstances)])).trimEnd());
  lines.push("", "recent evictions:");
  lines.push(
    report.evictions.length === 0
      ? "  (none)"
      : table(["TIME", "BROKER", "REASON"], report.evictions.map((event) => [new Date(event.atMs).toISOString(), event.brokerKey ?? "-", event.reason ?? "-"])).trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}

function yesNo(value: boolean): string {
  return value ? "yes" : "no";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

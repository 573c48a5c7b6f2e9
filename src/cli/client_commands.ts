// The client subcommands of `namesrv`: broker (run a BrokerAgent), route, cluster, topics and
// kv (status and the write-permission commands are in cluster_commands.ts). Flags are
// validated at the edge (client_flags.ts; the message names the flag and the
// value, exit 2); the agent and client do the work. Exit codes: 0 ok, 1 not found / failure,
// 2 bad arguments, 3 no name server reachable. Output: results on stdout, logs (pino) on stderr.
import { Command } from "commander";
import pino from "pino";
import type { ClusterInfo, TopicConfig, TopicRouteData } from "../model/types.js";
import { Perm } from "../model/types.js";
import type { Clock, Rng } from "../core/clock.js";
import { ConfigError, InvalidArgumentError, NotFoundError, NsError } from "../errors.js";
import { BROKER_EXPIRY_MS_MAX, BROKER_ID_MAX } from "../limits.js";
import { checkAddr, checkKvKey, checkName, checkTopic } from "../protocol/validate.js";
import { BrokerAgent, type TopicConfigInput } from "../broker_agent/agent.js";
import { NameServersUnavailableError } from "../client/client_errors.js";
import { RouteClient } from "../client/route_client.js";
import { RealScheduler, systemClock, systemRng, type ClientLogger } from "../client/scheduler.js";
import { readFileSync } from "node:fs";
import { CLIENT_TOKEN_ENV } from "./secrets.js";
import { registerClusterCommands } from "./cluster_commands.js";
import {
  checkedFlag,
  CLIENT_LOG_LEVELS,
  parseCredentialFlags,
  parseIntFlag,
  parseLogLevel,
  parseNamesrvFlag,
  parseTopicFlags,
  type CredentialFlags,
} from "./client_flags.js";

/** Exit codes of the client subcommands. */
export const ClientExit = { OK: 0, FAILURE: 1, USAGE: 2, UNAVAILABLE: 3 } as const;


/** What the commands touch outside themselves; tests replace these. */
export interface ClientCliDeps {
  /** Writes results. @default process.stdout */
  readonly stdout: (text: string) => void;
  /** Writes messages for people. @default process.stderr */
  readonly stderr: (text: string) => void;
  /** Ends the command with an exit code. @default flush stdout, then process.exit */
  readonly exit: (code: number) => void;
  /** Calls `handler` on SIGTERM/SIGINT; returns a function removing it. @default process.on */
  readonly onStopSignal: (handler: (signal: string) => void) => () => void;
  /** Where the broker command's pino lines go. @default fd 2 (stderr), synchronous */
  readonly logDestination: pino.DestinationStream | null;
  readonly clock: Clock;
  readonly makeRng: () => Rng;
  /** Environment (NAMESRV_TOKEN). @default process.env */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads --token-file and --tls-*-file. @default readFileSync as UTF-8 */
  readonly readFile: (path: string) => string;
}

function defaultDeps(): ClientCliDeps {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    exit: (code) => {
      // Let a piped stdout drain before the process ends.
      process.stdout.write("", () => process.exit(code));
    },
    onStopSignal: (handler) => {
      process.on("SIGTERM", handler);
      process.on("SIGINT", handler);
      return () => {
        process.off("SIGTERM", handler);
        process.off("SIGINT", handler);
      };
    },
    logDestination: null,
    clock: systemClock,
    makeRng: systemRng,
    env: process.env,
    readFile: (path) => readFileSync(path, "utf8"),
  };
}

/** Adds the credential flags to a command. */
function withCredentialOptions(command: Command): Command {
  return command
    .option("--token-file <file>", `file whose first line is the token sent in the hello (or env ${CLIENT_TOKEN_ENV})`)
    .option("--tls", "connect with wss:// (system CAs unless --tls-ca-file)")
    .option("--tls-ca-file <file>", "PEM CA bundle that signed the name servers' certificates (implies --tls)")
    .option("--tls-cert-file <file>", "PEM client certificate, for name servers requiring mutual TLS")
    .option("--tls-key-file <file>", "PEM key of --tls-cert-file")
    .option("--dns-lookup", "resolve each --namesrv host name to all its addresses: a broker registers with every one (resolved again every 30 s), a query uses any");
}

// ---- Broker --------------------------------------------------------------------------------

interface BrokerFlags extends CredentialFlags {
  readonly namesrv?: string;
  readonly cluster?: string;
  readonly brokerName?: string;
  readonly brokerId?: string;
  readonly addr?: string;
  readonly topic: readonly string[];
  readonly heartbeatMs?: string;
  readonly registerIntervalMs?: string;
  readonly heartbeatTimeoutMs?: string;
  readonly logLevel?: string;
}

/** The validated broker command: agent options without the injected parts. */
export interface BrokerCommand {
  readonly nameServers: string[];
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly topics: TopicConfigInput[];
  readonly heartbeatMs?: number;
  readonly registerIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly logLevel: (typeof CLIENT_LOG_LEVELS)[number];
}

/** Validates the broker flags; throws ConfigError listing every bad flag. */
export function parseBrokerFlags(flags: BrokerFlags, env: Readonly<Record<string, string | undefined>> = {}): BrokerCommand {
  const problems: string[] = [];
  const take = <T>(fallback: T, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof NsError)) throw error;
      problems.push(error.message);
      return fallback;
    }
  };
  const optionalInt = (flag: string, value: string | undefined, min: number): number | undefined =>
    value === undefined ? undefined : take(undefined, () => parseIntFlag(flag, value, min, BROKER_EXPIRY_MS_MAX));
  const command = {
    nameServers: take<string[]>([], () => parseNamesrvFlag(flags.namesrv, env)),
    clusterName: take("", () => checkedFlag("--cluster", flags.cluster, checkName)),
    brokerName: take("", () => checkedFlag("--broker-name", flags.brokerName, checkName)),
    brokerId: take(0, () => parseIntFlag("--broker-id", checkedFlag("--broker-id", flags.brokerId, (_f, v) => String(v)), 0, BROKER_ID_MAX)),
    brokerAddr: take("", () => checkedFlag("--addr", flags.addr, checkAddr)),
    topics: take<TopicConfig[]>([], () => parseTopicFlags(flags.topic)),
    logLevel: take("info" as const, () => parseLogLevel(flags.logLevel ?? "info")),
  };
  const heartbeatMs = optionalInt("--heartbeat-ms", flags.heartbeatMs, 1);
  const registerIntervalMs = optionalInt("--register-interval-ms", flags.registerIntervalMs, 1);
  const heartbeatTimeoutMs = optionalInt("--heartbeat-timeout-ms", flags.heartbeatTimeoutMs, 1);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...command,
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    ...(registerIntervalMs === undefined ? {} : { registerIntervalMs }),
    ...(heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs }),
  };
}

async function runBroker(flags: BrokerFlags, deps: ClientCliDeps): Promise<number> {
  const command = parseBrokerFlags(flags, deps.env);
  const pinoOptions = {
    level: command.logLevel,
    messageKey: "msg",
    base: { brokerName: command.brokerName, brokerAddr: command.brokerAddr },
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const credentials = parseCredentialFlags(flags, deps);
  const logger = pino(pinoOptions, deps.logDestination ?? pino.destination({ dest: 2, sync: true }));
  const clientLogger: ClientLogger = logger;
  const { logLevel: _logLevel, ...agentFields } = command;
  // The agent re-checks relationships between flags (e.g. timeout >= 2 heartbeats).
  const agent = new BrokerAgent({
    ...agentFields,
    ...credentials,
    clock: deps.clock,
    rng: deps.makeRng(),
    scheduler: new RealScheduler(false),
    logger: clientLogger,
  });
  agent.start();
  const signal = await new Promise<string>((resolve) => {
    const remove = deps.onStopSignal((name) => {
      remove();
      resolve(name);
    });
  });
  logger.info({ signal }, "stopping: unregistering from name servers");
  await agent.stop();
  logger.flush();
  return ClientExit.OK;
}

// ---- Queries -------------------------------------------------------------------------------

interface QueryFlags extends CredentialFlags {
  readonly namesrv?: string;
  readonly json?: boolean;
  readonly cluster?: string;
}

function clientFor(flags: QueryFlags, deps: ClientCliDeps): RouteClient {
  const nameServers = parseNamesrvFlag(flags.namesrv, deps.env);
  const credentials = parseCredentialFlags(flags, deps);
  return new RouteClient({ nameServers, clock: deps.clock, rng: deps.makeRng(), scheduler: new RealScheduler(true), ...credentials });
}

async function runRoute(topic: string, flags: QueryFlags, deps: ClientCliDeps): Promise<number> {
  checkTopic("TOPIC", topic);
  const client = clientFor(flags, deps);
  try {
    const route = await client.getRoute(topic);
    deps.stdout(flags.json ? `${JSON.stringify(route, null, 2)}\n` : formatRoute(topic, route));
    return ClientExit.OK;
  } catch (error) {
    if (error instanceof NotFoundError) {
      deps.stderr(`namesrv route: topic '${topic}' has no route (no live broker serves it)\n`);
      return ClientExit.FAILURE;
    }
    throw error;
  } finally {
    client.close();
  }
}

async function runCluster(flags: QueryFlags, deps: ClientCliDeps): Promise<number> {
  const client = clientFor(flags, deps);
  try {
    const info = await client.getClusterInfo();
    deps.stdout(flags.json ? `${JSON.stringify(info, null, 2)}\n` : formatClusterInfo(info));
    return ClientExit.OK;
  } finally {
    client.close();
  }
}

async function runTopics(flags: QueryFlags, deps: ClientCliDeps): Promise<number> {
  const cluster = flags.cluster === undefined ? undefined : checkName("--cluster", flags.cluster);
  const client = clientFor(flags, deps);
  try {
    const topics = await client.getTopics(cluster);
    deps.stdout(flags.json ? `${JSON.stringify(topics)}\n` : topics.map((t) => `${t}\n`).join(""));
    return ClientExit.OK;
  } finally {
    client.close();
  }
}

async function runDeleteTopic(topic: string, flags: QueryFlags, deps: ClientCliDeps): Promise<number> {
  checkTopic("TOPIC", topic);
  const cluster = flags.cluster === undefined ? undefined : checkName("--cluster", flags.cluster);
  const client = clientFor(flags, deps);
  try {
    await client.deleteTopic(topic, cluster);
    return ClientExit.OK;
  } finally {
    client.close();
  }
}

type KvAction =
  | { readonly kind: "get"; readonly namespace: string; readonly key: string }
  | { readonly kind: "put"; readonly namespace: string; readonly key: string; readonly value: string }
  | { readonly kind: "delete"; readonly namespace: string; readonly key: string }
  | { readonly kind: "list"; readonly namespace: string };

async function runKv(action: KvAction, flags: QueryFlags, deps: ClientCliDeps): Promise<number> {
  checkKvKey("NAMESPACE", action.namespace);
  if (action.kind !== "list") checkKvKey("KEY", action.key);
  const client = clientFor(flags, deps);
  try {
    switch (action.kind) {
      case "get": {
        const value = await client.kvGet(action.namespace, action.key);
        if (value === null) {
          deps.stderr(`namesrv kv get: key '${action.key}' not found in namespace '${action.namespace}'\n`);
          return ClientExit.FAILURE;
        }
        deps.stdout(flags.json ? `${JSON.stringify({ value })}\n` : `${value}\n`);
        return ClientExit.OK;
      }
      case "put":
        await client.kvPut(action.namespace, action.key, action.value);
        return ClientExit.OK;
      case "delete":
        await client.kvDelete(action.namespace, action.key);
        return ClientExit.OK;
      case "list": {
        const table = await client.kvList(action.namespace);
        const keys = Object.keys(table).sort();
        deps.stdout(flags.json ? `${JSON.stringify(table, null, 2)}\n` : keys.map((k) => `${k}=${table[k]}\n`).join(""));
        return ClientExit.OK;
      }
    }
  } finally {
    client.close();
  }
}

// ---- Formatting ----------------------------------------------------------------------------

/** Readable perm: "RW (6)". */
export function formatPerm(perm: number): string {
  const letters = `${perm & Perm.READ ? "R" : "-"}${perm & Perm.WRITE ? "W" : "-"}${perm & Perm.INHERIT ? "X" : ""}`;
  return `${letters} (${perm})`;
}

/** Left-aligned columns with two spaces between. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** A route as two tables: queues per broker name, then instances. */
export function formatRoute(topic: string, route: TopicRouteData): string {
  const queues = formatTable(
    ["BROKER_NAME", "READ_QUEUES", "WRITE_QUEUES", "PERM"],
    route.queueDatas.map((q) => [q.brokerName, String(q.readQueueNums), String(q.writeQueueNums), formatPerm(q.perm)]),
  );
  const instances = formatTable(
    ["BROKER_NAME", "CLUSTER", "BROKER_ID", "ADDRESS"],
    route.brokerDatas.flatMap((b) =>
      Object.entries(b.brokerAddrs)
        .sort(([a], [c]) => Number(a) - Number(c))
        .map(([id, addr]) => [b.brokerName, b.cluster, id, addr]),
    ),
  );
  const order = route.orderTopicConf ? `order topic conf: ${route.orderTopicConf}\n` : "";
  return `topic: ${topic}\n\n${queues}\n${instances}${order}`;
}

/** Cluster info as one row per broker instance. */
export function formatClusterInfo(info: ClusterInfo): string {
  const rows: string[][] = [];
  for (const cluster of Object.keys(info.clusterAddrTable).sort()) {
    for (const brokerName of [...(info.clusterAddrTable[cluster] ?? [])].sort()) {
      const data = info.brokerAddrTable[brokerName];
      const addrs = Object.entries(data?.brokerAddrs ?? {}).sort(([a], [b]) => Number(a) - Number(b));
      if (addrs.length === 0) rows.push([cluster, brokerName, "-", "-"]);
      for (const [id, addr] of addrs) rows.push([cluster, brokerName, id, addr]);
    }
  }
  return formatTable(["CLUSTER", "BROKER_NAME", "BROKER_ID", "ADDRESS"], rows);
}

// ---- Wiring --------------------------------------------------------------------------------

/** Exit code for an error escaping a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof NotFoundError) return ClientExit.FAILURE;
  if (error instanceof NameServersUnavailableError) return ClientExit.UNAVAILABLE;
  if (error instanceof InvalidArgumentError || error instanceof ConfigError) return ClientExit.USAGE;
  return ClientExit.FAILURE;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Runs one command's work; prints an escaping error on stderr; ends through deps.exit. */
type Runner = (name: string, work: () => Promise<number>) => Promise<void>;

const NAMESRV_HELP = "name servers' HTTP+WebSocket addresses, separated by , or ; (default: env NAMESRV_ADDR, else 127.0.0.1:9877)";

/**
 * Adds `broker`, `route`, `cluster`, `topics` and `kv` to the namesrv program. Every action
 * catches its own errors, prints one message on stderr and ends through `deps.exit`.
 */
export function registerClientCommands(program: Command, overrides: Partial<ClientCliDeps> = {}): void {
  const deps: ClientCliDeps = { ...defaultDeps(), ...overrides };
  const run: Runner = async (name, work) => {
    let code: number;
    try {
      code = await work();
    } catch (error) {
      code = exitCodeOf(error);
      const message = error instanceof Error ? error.message : String(error);
      deps.stderr(`namesrv ${name}: ${code === ClientExit.UNAVAILABLE ? "no name server reachable: " : ""}${message}\n`);
    }
    deps.exit(code);
  };
  registerBrokerCommand(program, deps, run);
  registerQueryCommands(program, deps, run);
  registerKvCommands(program, deps, run);
  const clusterContext = { deps, run, clientFor: (flags: QueryFlags) => clientFor(flags, deps), withCredentials: withCredentialOptions, namesrvHelp: NAMESRV_HELP };
  registerClusterCommands(program, clusterContext);
  for (const command of program.commands) {
    if (["broker", "route", "cluster", "topics", "delete-topic"].includes(command.name())) withCredentialOptions(command);
    if (command.name() === "kv") for (const sub of command.commands) withCredentialOptions(sub);
  }
}

function registerBrokerCommand(program: Command, deps: ClientCliDeps, run: Runner): void {
  program
    .command("broker")
    .description("register a broker with every name server and heartbeat until SIGTERM/SIGINT")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--cluster <name>", "cluster name")
    .option("--broker-name <name>", "broker name")
    .option("--broker-id <n>", "broker id (0 = master)")
    .option("--addr <host:port>", "address producers and consumers reach the broker at")
    .option("--topic <name[:queues[:perm]]>", "topic served; repeat (queues default 8, perm default 6)", collect, [] as string[])
    .option("--heartbeat-ms <n>", "heartbeat period (default 1000)")
    .option("--register-interval-ms <n>", "full re-registration period (default 30000)")
    .option("--heartbeat-timeout-ms <n>", "expiry declared to the name servers (default: theirs)")
    .option("--log-level <level>", "trace|debug|info|warn|error|fatal|silent (default info)")
    .action((flags: BrokerFlags) => run("broker", () => runBroker(flags, deps)));
}

function registerQueryCommands(program: Command, deps: ClientCliDeps, run: Runner): void {
  program
    .command("route")
    .description("print the route of a topic")
    .argument("<topic>", "topic name")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--json", "print TopicRouteData as JSON")
    .action((topic: string, flags: QueryFlags) => run("route", () => runRoute(topic, flags, deps)));
  program
    .command("cluster")
    .description("print the clusters and their broker instances")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--json", "print ClusterInfo as JSON")
    .action((flags: QueryFlags) => run("cluster", () => runCluster(flags, deps)));
  program
    .command("topics")
    .description("list topic names")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--cluster <name>", "only topics of this cluster")
    .option("--json", "print a JSON array")
    .action((flags: QueryFlags) => run("topics", () => runTopics(flags, deps)));
  program
    .command("delete-topic")
    .description("delete a topic's route on every node (admin write: needs an admin token when the nodes have them)")
    .argument("<topic>", "topic name")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--cluster <name>", "only in this cluster")
    .action((topic: string, flags: QueryFlags) => run("delete-topic", () => runDeleteTopic(topic, flags, deps)));
}

function registerKvCommands(program: Command, deps: ClientCliDeps, run: Runner): void {
  const kv = program.command("kv").description("read and write the replicated KV config (writes go to one node)");
  kv.command("get")
    .argument("<namespace>")
    .argument("<key>")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--json", "print {value} as JSON")
    .action((namespace: string, key: string, flags: QueryFlags) =>
      run("kv get", () => runKv({ kind: "get", namespace, key }, flags, deps)),
    );
  kv.command("put")
    .argument("<namespace>")
    .argument("<key>")
    .argument("<value>")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .action((namespace: string, key: string, value: string, flags: QueryFlags) =>
      run("kv put", () => runKv({ kind: "put", namespace, key, value }, flags, deps)),
    );
  kv.command("delete")
    .argument("<namespace>")
    .argument("<key>")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .action((namespace: string, key: string, flags: QueryFlags) =>
      run("kv delete", () => runKv({ kind: "delete", namespace, key }, flags, deps)),
    );
  kv.command("list")
    .argument("<namespace>")
    .option("--namesrv <addrs>", NAMESRV_HELP)
    .option("--json", "print the table as JSON")
    .action((namespace: string, flags: QueryFlags) => run("kv list", () => runKv({ kind: "list", namespace }, flags, deps)));
}

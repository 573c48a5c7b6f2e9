#!/usr/bin/env node
// The namesrv binary: commander program with `start` plus the client subcommands. The only
// code that reads argv, env or files, or calls process.exit. Exit codes: 0 ok, 1 failure,
// 2 bad flags or configuration (every problem listed in one message on stderr).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { parseConfig, type Config, type Options } from "../config/config.js";
import { ConfigError } from "../errors.js";
import { DRAIN_TIMEOUT_MS } from "../limits.js";
import { createLogger, type Logger } from "../host/logger.js";
import { startServer, type RunningServer } from "../server/server.js";
import { registerClientCommands } from "./client_commands.js";
import { DEV_FILES, writeDevCredentials } from "./dev_credentials.js";
import { SECURITY_FILE_FIELDS, securityOptions, type SecurityFileFlags } from "./secrets.js";

/** Exit code for bad flags or configuration. */
const EXIT_USAGE = 2;
/** Exit code for a failure while running. */
const EXIT_FAILURE = 1;

/** Raw `start` flags as commander hands them over (strings; validation is parseConfig's). */
interface StartFlags extends SecurityFileFlags {
  readonly requireClientToken?: boolean;
  readonly remotingAdminAllow?: string;
  readonly remotingBrokerAllow?: string;
  readonly remotingTlsMode?: string;
  readonly config?: string;
  readonly id?: string;
  readonly host?: string;
  readonly port?: string;
  readonly remotingPort?: string;
  readonly peer?: readonly string[];
  readonly peerDns?: readonly string[];
  readonly advertiseAddr?: string;
  readonly brokerExpiryMs?: string;
  readonly remotingBrokerExpiryMs?: string;
  readonly dataDir?: string;
  readonly logLevel?: string;
  readonly clockOffsetMs?: string;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** Builds the program; `start` runs the server. */
function buildProgram(): Command {
  const program = new Command("namesrv")
    .description("gossip-namesrv: a cluster of RocketMQ-style name servers")
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError(false);
  program
    .command("start")
    .description("run a name server until SIGTERM or SIGINT (then drain and exit)")
    .option("--config <file>", "JSON config file; flags override its fields")
    .option("--id <id>", "node id (default: ns-<port>)")
    .option("--host <host>", "interface to bind (default: 0.0.0.0)")
    .option("--port <n>", "HTTP + WebSocket port, 0 = free port (default: 9877)")
    .option("--remoting-port <n>", "RocketMQ remoting port, 0 = free port, off = disabled (default: 9876)")
    .option("--peer <host:port>", "peer name server; repeat, or separate with , or ;", collect, [] as string[])
    .option("--peer-dns <host:port>", "DNS name whose every A/AAAA record is a peer, resolved every 5 s (a headless Service); repeat", collect, [] as string[])
    .option("--advertise-addr <host:port>", "address peers dial this node at (default: --host:--port when --host is one address)")
    .option("--broker-expiry-ms <n>", "expiry of native brokers that declare none (default: 10000)")
    .option("--remoting-broker-expiry-ms <n>", "expiry of RocketMQ remoting brokers that declare none (default: 120000)")
    .option("--data-dir <dir>", "directory for kv.json (default: KV in memory)")
    .option("--log-level <level>", "trace|debug|info|warn|error|fatal (default: info)")
    .option("--clock-offset-ms <n>", "TEST ONLY: add n ms to this node's clock (default: 0)")
    .option("--cluster-secret-file <file>", "cluster secrets for peer authentication, one per line, current first (or env NAMESRV_CLUSTER_SECRET)")
    .option("--broker-token-file <file>", "tokens granting the broker role, one per line (or env NAMESRV_BROKER_TOKENS)")
    .option("--admin-token-file <file>", "tokens granting admin writes, one per line (or env NAMESRV_ADMIN_TOKENS)")
    .option("--client-token-file <file>", "tokens granting route reads, one per line (or env NAMESRV_CLIENT_TOKENS)")
    .option("--require-client-token", "refuse clients (and /v1 HTTP reads) without a valid token")
    .option("--tls-cert-file <file>", "PEM certificate chain: serve https/wss and present it to peers")
    .option("--tls-key-file <file>", "PEM private key of --tls-cert-file")
    .option("--tls-ca-file <file>", "PEM CA bundle verifying peers (mutual TLS between name servers)")
    .option("--tls-require-client-cert", "refuse every TLS client without a certificate signed by --tls-ca-file")
    .option("--remoting-admin-allow <ips>", "IPs allowed to send remoting admin writes, separated by , (default: all)")
    .option("--remoting-broker-allow <ips>", "IPs allowed to register brokers on the remoting port, separated by , (default: all)")
    .option("--remoting-acl-file <file>", "JSON [{accessKey, secretKey, role: broker|admin}]: remoting writes must carry a RocketMQ ACL signature")
    .option("--remoting-tls-mode <mode>", "TLS on the remoting port with the --tls-cert-file certificate: disabled|permissive|enforcing (default: disabled)")
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .exitOverride()
    .action(async (flags: StartFlags, command: Command) => {
      await runStart(flags, command.args);
    });
  program
    .command("dev-credentials")
    .description("write DEVELOPMENT-ONLY TLS certificates, a cluster secret and tokens into a directory (keeps existing files)")
    .requiredOption("--out <dir>", "output directory")
    .option("--name <host>", "DNS name or IPv4 address for the node certificate; repeat", collect, [] as string[])
    .option("--print <file>", "write nothing: print one file of --out on stdout, e.g. ca.pem or admin.token (images without cat)")
    .action((flags: { out: string; name: string[]; print?: string }) => {
      if (flags.print !== undefined) {
        const files: readonly string[] = Object.values(DEV_FILES);
        if (!files.includes(flags.print)) {
          process.stderr.write(`namesrv dev-credentials: '--print' must be one of ${files.join("|")}, got '${flags.print.slice(0, 64)}'\n`);
          process.exit(EXIT_USAGE);
        }
        process.stdout.write(readFileSync(join(flags.out, flags.print), "utf8"));
        return;
      }
      const written = writeDevCredentials(flags.out, flags.name);
      process.stdout.write(`${JSON.stringify({ msg: "dev credentials ready", dir: flags.out, written })}\n`);
    });
  registerClientCommands(program);
  return program;
}

/** Turns flags (and the config file) into a Config, or exits 2 listing every problem. */
function configFromFlags(flags: StartFlags, extraArgs: readonly string[]): Config {
  const problems: string[] = [];
  for (const arg of extraArgs) {
    problems.push(arg.startsWith("-") ? `unknown option '${arg}'` : `unexpected argument '${arg}'`);
  }
  let fileOptions: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(flags.config, "utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        problems.push(`config file '${flags.config}' must hold a JSON object`);
      } else fileOptions = parsed as Record<string, unknown>;
    } catch (error) {
      problems.push(`config file '${flags.config}' could not be read: ${(error as Error).message}`);
    }
  }
  const security = securityOptions(flags, fileOptions, process.env, (path) => readFileSync(path, "utf8"));
  problems.push(...security.problems);
  for (const field of SECURITY_FILE_FIELDS) delete fileOptions[field];
  const options: Record<string, unknown> = { ...fileOptions, ...security.options, ...flagOptions(flags) };
  try {
    const config = parseConfig(options as Options);
    if (problems.length === 0) return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  process.stderr.write(`namesrv start: invalid configuration:\n  - ${problems.join("\n  - ")}\n`);
  process.exit(EXIT_USAGE);
}

/** Flags as Options: numbers where they parse, raw strings otherwise (parseConfig names them). */
function flagOptions(flags: StartFlags): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (flags.id !== undefined) options["id"] = flags.id;
  if (flags.host !== undefined) options["host"] = flags.host;
  if (flags.port !== undefined) options["port"] = numberish(flags.port);
  if (flags.remotingPort !== undefined) {
    options["remotingPort"] = ["off", "none", "disabled"].includes(flags.remotingPort) ? null : numberish(flags.remotingPort);
  }
  if (flags.peer !== undefined && flags.peer.length > 0) {
    options["peers"] = flags.peer.flatMap((item) => item.split(/[,;]/)).map((item) => item.trim()).filter((item) => item !== "");
  }
  if (flags.peerDns !== undefined && flags.peerDns.length > 0) options["peerDns"] = flags.peerDns.flatMap(splitList);
  if (flags.advertiseAddr !== undefined) options["advertiseAddr"] = flags.advertiseAddr;
  if (flags.brokerExpiryMs !== undefined) options["brokerExpiryMs"] = numberish(flags.brokerExpiryMs);
  if (flags.remotingBrokerExpiryMs !== undefined) options["remotingBrokerExpiryMs"] = numberish(flags.remotingBrokerExpiryMs);
  if (flags.dataDir !== undefined) options["dataDir"] = flags.dataDir;
  if (flags.logLevel !== undefined) options["logLevel"] = flags.logLevel;
  if (flags.clockOffsetMs !== undefined) options["clockOffsetMs"] = numberish(flags.clockOffsetMs);
  if (flags.requireClientToken !== undefined) options["requireClientToken"] = flags.requireClientToken;
  if (flags.remotingAdminAllow !== undefined) options["remotingAdminAllow"] = splitList(flags.remotingAdminAllow);
  if (flags.remotingBrokerAllow !== undefined) options["remotingBrokerAllow"] = splitList(flags.remotingBrokerAllow);
  if (flags.remotingTlsMode !== undefined) options["remotingTlsMode"] = flags.remotingTlsMode;
  return options;
}

function splitList(text: string): string[] {
  return text.split(/[,;]/).map((item) => item.trim()).filter((item) => item !== "");
}

function numberish(text: string): number | string {
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

async function runStart(flags: StartFlags, extraArgs: readonly string[]): Promise<void> {
  const config = configFromFlags(flags, extraArgs);
  const logger = createLogger(config.logLevel, config.id);
  let server: RunningServer;
  try {
    // The test-only offset shifts every reading of the node's clock (deadlines, stamps, KV file).
    const clock = config.clockOffsetMs === 0 ? {} : { clock: { nowMs: () => Date.now() + config.clockOffsetMs } };
    server = await startServer(config, { logger, ...clock });
  } catch (error) {
    logger.fatal({ error: (error as Error).message }, "start failed");
    process.exit(EXIT_FAILURE);
  }
  installSignalHandlers(server, logger);
}

/**
 * SIGTERM or SIGINT drains the node (server.close(): not ready, peers told, connections closed
 * with "going away", KV flushed) and exits 0, or 1 when the drain fails or is still running
 * after DRAIN_TIMEOUT_MS. A second signal during the drain exits 1 at once, without the rest.
 */
function installSignalHandlers(server: RunningServer, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal; exiting at once");
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    logger.info({ signal, drainTimeoutMs: DRAIN_TIMEOUT_MS }, "draining");
    const deadline = setTimeout(() => {
      logger.error({ drainTimeoutMs: DRAIN_TIMEOUT_MS }, "drain did not finish in time; exiting");
      process.exit(EXIT_FAILURE);
    }, DRAIN_TIMEOUT_MS);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ error: (error as Error).message }, "shutdown failed");
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

function packageVersion(): string {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "0.0.0";
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  process.on("unhandledRejection", (reason: unknown) => {
    process.stderr.write(`namesrv: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
    process.exit(EXIT_FAILURE);
  });
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
      process.exit(ok ? 0 : EXIT_USAGE);
    }
    throw error;
  }
}

await main(process.argv);

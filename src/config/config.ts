// Options (loose input from a JSON file, flags or code) -> Config (validated, frozen).
// Every problem is collected and reported together in one ConfigError. Pure: no I/O.
import { ConfigError, quote } from "../errors.js";
import * as limits from "../limits.js";
import { boolField, intField, Problems } from "./fields.js";
import {
  checkSecurityRules,
  FRAME_BYTES_MAX_MIN,
  securityFields,
  type RemotingAclAccount,
  type RemotingTlsMode,
  type TlsConfig,
} from "./security_fields.js";

export {
  ACL_ACCESS_KEY_CHARS_MAX,
  ACL_SECRET_KEY_CHARS_MIN,
  FRAME_BYTES_MAX_MIN,
  HELLO_TIMEOUT_MS_MIN,
  REMOTING_ACL_ROLES,
  REMOTING_TLS_MODES,
  type RemotingAclAccount,
  type RemotingAclRole,
  type RemotingTlsMode,
  type TlsConfig,
} from "./security_fields.js";

/** Log levels a node accepts, most verbose first (pino's names). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
/** One log level. */
export type LogLevelName = (typeof LOG_LEVELS)[number];

// ---- Lower bounds config may lower a limit to (upper bounds are the hard maxima in limits.ts) --

/** Smallest send buffer: at least one frame of the smallest frame limit must fit. */
export const SEND_BUFFER_BYTES_MAX_MIN = FRAME_BYTES_MAX_MIN;
/** Largest startup grace a node may wait for a peer snapshot before serving its own table. */
export const STARTUP_GRACE_MS_MAX = 600_000;
/** Smallest suspicion window: two ticks, so a refutation has a chance to arrive. */
export const SUSPICION_MS_MIN = 2 * limits.TICK_MS;
/** Largest suspicion window: never longer than the longest expiry. */
export const SUSPICION_MS_MAX = limits.BROKER_EXPIRY_MS_MAX;
/** Default HTTP + WebSocket port (DESIGN §2). */
export const HTTP_PORT_DEFAULT = 9877;
/** Default RocketMQ remoting port (DESIGN §2). */
export const REMOTING_PORT_DEFAULT = 9876;
/** Node ids: short enough for logs and metrics labels, same as the HELLO nodeId bound. */
export const NODE_ID_CHARS_MAX = 64;
/** Largest port number. */
const PORT_MAX = 65_535;
/**
 * Largest test-only clock offset either way: one hour steps a clock far past any NTP error,
 * yet stays 24 times below TOMBSTONE_MS, so tombstones keep their meaning.
 */
export const CLOCK_OFFSET_MS_MAX = 3_600_000;

/**
 * Loose configuration input: every field optional, any type (the JSON config file, the CLI
 * flags and code all produce this). `parseConfig` turns it into a `Config`.
 */
export type Options = { readonly [K in keyof Config]?: unknown };

/** A validated, frozen node configuration. Field names are the same in the JSON config file. */
export interface Config {
  /**
   * Node id: unique in the cluster, used in gossip stamps, logs and metrics.
   * @default "ns-" + port (deterministic, hostname-free; "ns-0" when port is 0)
   */
  readonly id: string;
  /** Interface to bind both listeners to. @default "0.0.0.0" */
  readonly host: string;
  /** HTTP + WebSocket port (native protocol, peers, admin API); 0 picks a free port. @default 9877 */
  readonly port: number;
  /**
   * RocketMQ remoting port; 0 picks a free port; `null` (or -1 in input) disables the remoting
   * listener. @default 9876
   */
  readonly remotingPort: number | null;
  /** Seed peers: the "host:port" WebSocket addresses of other name servers. @default [] */
  readonly peers: readonly string[];
  /**
   * Peer discovery through DNS: "host:port" names (a Kubernetes headless Service, a compose
   * network alias) resolved every PEER_DNS_INTERVAL_MS to all their A/AAAA records; the node
   * links to every address (its own it recognises and skips). @default []
   */
  readonly peerDns: readonly string[];
  /** "host:port" peers use to reach this node, when `host:port` is not reachable. @default null */
  readonly advertiseAddr: string | null;
  /** Expiry for native brokers that declare none. @default BROKER_EXPIRY_MS (10 s) */
  readonly brokerExpiryMs: number;
  /** Expiry for remoting brokers that declare none. @default REMOTING_BROKER_EXPIRY_MS (120 s) */
  readonly remotingBrokerExpiryMs: number;
  /** How long a crash suspicion waits for a refutation. @default SUSPICION_MS */
  readonly suspicionMs: number;
  /** How long a node with peers waits for a snapshot before serving its own table. @default STARTUP_GRACE_MS */
  readonly startupGraceMs: number;
  /** Directory for kv.json; null keeps KV in memory only. @default null */
  readonly dataDir: string | null;
  /** Log level: trace|debug|info|warn|error|fatal. @default "info" */
  readonly logLevel: LogLevelName;
  /** Put orderTopicConf from KV into routes, as RocketMQ's orderMessageEnable. @default false */
  readonly orderMessageEnable: boolean;
  /** Largest native frame, also the ws maxPayload. @default FRAME_BYTES_MAX */
  readonly frameBytesMax: number;
  /** Bytes buffered for one socket before it is closed as a slow reader. @default SEND_BUFFER_BYTES_MAX */
  readonly sendBufferBytesMax: number;
  /** Open native connections. @default CONNECTIONS_MAX */
  readonly connectionsMax: number;
  /**
   * Requests one connection may have queued and unanswered (native and remoting); reading the
   * connection stops at a sixteenth of it. @default INFLIGHT_REQUESTS_PER_CONNECTION_MAX
   */
  readonly inflightRequestsPerConnectionMax: number;
  /** Topics the node holds. @default TOPICS_MAX */
  readonly topicsMax: number;
  /** Broker instances the node tracks. @default BROKERS_MAX */
  readonly brokersMax: number;
  /**
   * Cluster secrets for the peer challenge-response, current first: the node proves with the
   * first and accepts a proof made with any (rotation). Empty: peers are not authenticated, and
   * the node warns at start. Never logged. @default []
   */
  readonly clusterSecrets: readonly string[];
  /** Tokens that grant the broker role (register, heartbeat, unregister); empty = open. @default [] */
  readonly brokerTokens: readonly string[];
  /** Tokens that grant admin writes (KV put/delete, topic delete, write perm); empty = open. @default [] */
  readonly adminTokens: readonly string[];
  /** Tokens that grant reading routes when `requireClientToken` is set. @default [] */
  readonly clientTokens: readonly string[];
  /** Refuse native connections and /v1 HTTP reads without a valid token. @default false */
  readonly requireClientToken: boolean;
  /** TLS for the HTTP + WebSocket port and wss:// peer dialing. @default null (plain) */
  readonly tls: TlsConfig | null;
  /**
   * IP addresses allowed to send remoting admin writes (KV put/delete, delete/register topic,
   * wipe/add write perm, update config); null allows every address (RocketMQ). @default null
   */
  readonly remotingAdminAllow: readonly string[] | null;
  /** IP addresses allowed to register/unregister/heartbeat brokers on the remoting port; null = all. @default null */
  readonly remotingBrokerAllow: readonly string[] | null;
  /**
   * RocketMQ ACL accounts (`role` "broker" or "admin"). With accounts or a cluster secret, remoting
   * broker and admin writes need a valid signature unless their address is allow-listed. @default []
   */
  readonly remotingAclAccounts: readonly RemotingAclAccount[];
  /** TLS on the remoting port, as RocketMQ's tls.server.mode; needs `tls`. @default "disabled" */
  readonly remotingTlsMode: RemotingTlsMode;
  /** Open connections from one IP address, per port. @default CONNECTIONS_PER_ADDRESS_MAX */
  readonly connectionsPerAddressMax: number;
  /** Largest frame from a connection not authenticated as broker or peer. @default CLIENT_FRAME_BYTES_MAX */
  readonly clientFrameBytesMax: number;
  /** Time a connection has to finish its hello (and peer challenge). @default HELLO_TIMEOUT_MS */
  readonly helloTimeoutMs: number;
  /**
   * TEST ONLY: milliseconds added to this node's wall clock (the chaos run steps clocks with
   * it). Never set it in production. @default 0
   */
  readonly clockOffsetMs: number;
}

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "host",
  "port",
  "remotingPort",
  "peers",
  "peerDns",
  "advertiseAddr",
  "brokerExpiryMs",
  "remotingBrokerExpiryMs",
  "suspicionMs",
  "startupGraceMs",
  "dataDir",
  "logLevel",
  "orderMessageEnable",
  "frameBytesMax",
  "sendBufferBytesMax",
  "connectionsMax",
  "inflightRequestsPerConnectionMax",
  "topicsMax",
  "brokersMax",
  "clusterSecrets",
  "brokerTokens",
  "adminTokens",
  "clientTokens",
  "requireClientToken",
  "tls",
  "remotingAdminAllow",
  "remotingBrokerAllow",
  "remotingAclAccounts",
  "remotingTlsMode",
  "connectionsPerAddressMax",
  "clientFrameBytesMax",
  "helloTimeoutMs",
  "clockOffsetMs",
]);

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const HOST_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9_.-]+)$/;
const ADDR_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * Validates every field of `input`, fills defaults from limits.ts, checks cross-field rules
 * and returns a frozen Config. Throws one ConfigError listing every problem found.
 */
export function parseConfig(input: unknown): Config {
  const problems = new Problems();
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ConfigError([`configuration must be an object, got ${quote(input)}`]);
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) problems.list.push(`unknown field '${key}'`);
  }
  const read = (field: keyof Config): unknown => raw[field];
  const port = intField(problems, "port", read("port"), 0, PORT_MAX, HTTP_PORT_DEFAULT);
  const frameBytesMax = intField(
    problems,
    "frameBytesMax",
    read("frameBytesMax"),
    FRAME_BYTES_MAX_MIN,
    limits.FRAME_BYTES_MAX,
    limits.FRAME_BYTES_MAX,
  );
  const config: Config = {
    id: idField(problems, read("id"), port),
    host: hostField(problems, read("host")),
    port,
    remotingPort: remotingPortField(problems, read("remotingPort")),
    peers: peersField(problems, read("peers")),
    peerDns: peerDnsField(problems, read("peerDns")),
    advertiseAddr: addrField(problems, "advertiseAddr", read("advertiseAddr")),
    brokerExpiryMs: intField(
      problems,
      "brokerExpiryMs",
      read("brokerExpiryMs"),
      limits.BROKER_EXPIRY_MS_MIN,
      limits.BROKER_EXPIRY_MS_MAX,
      limits.BROKER_EXPIRY_MS,
    ),
    remotingBrokerExpiryMs: intField(
      problems,
      "remotingBrokerExpiryMs",
      read("remotingBrokerExpiryMs"),
      limits.BROKER_EXPIRY_MS_MIN,
      limits.BROKER_EXPIRY_MS_MAX,
      limits.REMOTING_BROKER_EXPIRY_MS,
    ),
    suspicionMs: intField(problems, "suspicionMs", read("suspicionMs"), SUSPICION_MS_MIN, SUSPICION_MS_MAX, limits.SUSPICION_MS),
    startupGraceMs: intField(problems, "startupGraceMs", read("startupGraceMs"), 0, STARTUP_GRACE_MS_MAX, limits.STARTUP_GRACE_MS),
    dataDir: dataDirField(problems, read("dataDir")),
    logLevel: logLevelField(problems, read("logLevel")),
    orderMessageEnable: boolField(problems, "orderMessageEnable", read("orderMessageEnable"), false),
    frameBytesMax,
    sendBufferBytesMax: intField(
      problems,
      "sendBufferBytesMax",
      read("sendBufferBytesMax"),
      SEND_BUFFER_BYTES_MAX_MIN,
      limits.SEND_BUFFER_BYTES_MAX,
      limits.SEND_BUFFER_BYTES_MAX,
    ),
    connectionsMax: intField(problems, "connectionsMax", read("connectionsMax"), 1, limits.CONNECTIONS_MAX, limits.CONNECTIONS_MAX),
    inflightRequestsPerConnectionMax: intField(
      problems,
      "inflightRequestsPerConnectionMax",
      read("inflightRequestsPerConnectionMax"),
      1,
      limits.INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
      limits.INFLIGHT_REQUESTS_PER_CONNECTION_MAX,
    ),
    topicsMax: intField(problems, "topicsMax", read("topicsMax"), limits.TOPICS_PER_BROKER_MAX, limits.TOPICS_MAX, limits.TOPICS_MAX),
    brokersMax: intField(problems, "brokersMax", read("brokersMax"), 1, limits.BROKERS_MAX, limits.BROKERS_MAX),
    clockOffsetMs: intField(problems, "clockOffsetMs", read("clockOffsetMs"), -CLOCK_OFFSET_MS_MAX, CLOCK_OFFSET_MS_MAX, 0),
    ...securityFields(problems, (field) => raw[field], frameBytesMax),
  };
  checkCrossFieldRules(problems, config);
  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return Object.freeze({ ...config, peers: Object.freeze([...config.peers]), peerDns: Object.freeze([...config.peerDns]) });
}

/** Rules that span fields; only checked on values that passed their own rules. */
function checkCrossFieldRules(problems: Problems, config: Config): void {
  if (config.remotingPort !== null && config.remotingPort !== 0 && config.remotingPort === config.port) {
    problems.add("remotingPort", `must differ from 'port' (${config.port})`, config.remotingPort);
  }
  if (config.sendBufferBytesMax < config.frameBytesMax) {
    problems.add("sendBufferBytesMax", `must be at least 'frameBytesMax' (${config.frameBytesMax}) so one frame fits`, config.sendBufferBytesMax);
  }
  if (config.suspicionMs > config.brokerExpiryMs) {
    problems.add("suspicionMs", `must be at most 'brokerExpiryMs' (${config.brokerExpiryMs})`, config.suspicionMs);
  }
  checkSecurityRules(problems, config);
  const self = [config.advertiseAddr, `127.0.0.1:${config.port}`, `localhost:${config.port}`];
  if (config.host !== "0.0.0.0" && config.host !== "::") self.push(`${config.host}:${config.port}`);
  for (const peer of config.peers) {
    if (config.port !== 0 && self.includes(peer)) problems.add("peers", "must not contain this node's own address", peer);
  }
}

function idField(problems: Problems, value: unknown, port: number): string {
  if (value === undefined || value === null) return `ns-${port}`;
  if (typeof value !== "string" || value.length < 1 || value.length > NODE_ID_CHARS_MAX || !ID_PATTERN.test(value)) {
    problems.add("id", `must be 1..${NODE_ID_CHARS_MAX} chars of [A-Za-z0-9_.-]`, value);
    return "invalid";
  }
  return value;
}

function hostField(problems: Problems, value: unknown): string {
  if (value === undefined || value === null) return "0.0.0.0";
  if (typeof value !== "string" || value.length < 1 || value.length > limits.ADDR_CHARS_MAX || !HOST_PATTERN.test(value)) {
    problems.add("host", "must be a host name or IP address", value);
    return "0.0.0.0";
  }
  return value;
}

function remotingPortField(problems: Problems, value: unknown): number | null {
  if (value === undefined) return REMOTING_PORT_DEFAULT;
  if (value === null || value === -1) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > PORT_MAX) {
    problems.add("remotingPort", `must be an integer in 0..${PORT_MAX}, or null/-1 to disable`, value);
    return REMOTING_PORT_DEFAULT;
  }
  return value;
}

function isAddr(value: unknown): value is string {
  if (typeof value !== "string" || value.length > limits.ADDR_CHARS_MAX) return false;
  const match = ADDR_PATTERN.exec(value);
  const port = match ? Number(match[1]) : 0;
  return port >= 1 && port <= PORT_MAX;
}

function addrField(problems: Problems, field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (!isAddr(value)) {
    problems.add(field, "must be host:port with a port in 1..65535", value);
    return null;
  }
  return value;
}

/** `peers`: distinct host:port seed addresses, at most PEERS_MAX. */
function peersField(problems: Problems, value: unknown): readonly string[] {
  return addrListField(problems, "peers", value, limits.PEERS_MAX, "peer");
}

/** `peerDns`: distinct host:port names, at most PEER_DNS_NAMES_MAX. */
function peerDnsField(problems: Problems, value: unknown): readonly string[] {
  return addrListField(problems, "peerDns", value, limits.PEER_DNS_NAMES_MAX, "name");
}

/** An array of at most `max` distinct host:port entries (`noun` names one in the messages). */
function addrListField(problems: Problems, field: string, value: unknown, max: number, noun: string): readonly string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(field, "must be an array of host:port", value);
    return [];
  }
  if (value.length > max) problems.add(field, `must have at most ${max} entries`, `${value.length} entries`);
  const entries: string[] = [];
  value.forEach((entry: unknown, index) => {
    if (!isAddr(entry)) problems.add(`${field}[${index}]`, "must be host:port with a port in 1..65535", entry);
    else if (entries.includes(entry)) problems.add(`${field}[${index}]`, `must not repeat an earlier ${noun}`, entry);
    else entries.push(entry);
  });
  return entries;
}

function dataDirField(problems: Problems, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0 || value.includes("\0")) {
    problems.add("dataDir", "must be a non-empty path or null", value);
    return null;
  }
  return value;
}

function logLevelField(problems: Problems, value: unknown): LogLevelName {
  if (value === undefined || value === null) return "info";
  if (typeof value !== "string" || !(LOG_LEVELS as readonly string[]).includes(value)) {
    problems.add("logLevel", `must be one of ${LOG_LEVELS.join("|")}`, value);
    return "info";
  }
  return value as LogLevelName;
}

// ---- Presets -------------------------------------------------------------------------------

/** The production defaults: every option at its documented @default. */
export function defaultConfig(overrides: Options = {}): Config {
  return parseConfig({ ...overrides });
}

/**
 * Development and integration tests: loopback, free ports, fast timers (shortest expiry and
 * suspicion, no startup grace) and quiet logs.
 */
export function localConfig(overrides: Options = {}): Config {
  return parseConfig({
    host: "127.0.0.1",
    port: 0,
    remotingPort: 0,
    brokerExpiryMs: limits.BROKER_EXPIRY_MS_MIN,
    remotingBrokerExpiryMs: limits.BROKER_EXPIRY_MS_MIN,
    suspicionMs: SUSPICION_MS_MIN,
    startupGraceMs: 0,
    logLevel: "warn",
    ...overrides,
  });
}

/** localConfig with the smallest legal limits, so tests actually reach them. */
export function testMinConfig(overrides: Options = {}): Config {
  return localConfig({
    frameBytesMax: FRAME_BYTES_MAX_MIN,
    sendBufferBytesMax: SEND_BUFFER_BYTES_MAX_MIN,
    connectionsMax: 1,
    inflightRequestsPerConnectionMax: 1,
    topicsMax: limits.TOPICS_PER_BROKER_MAX,
    brokersMax: 1,
    ...overrides,
  });
}

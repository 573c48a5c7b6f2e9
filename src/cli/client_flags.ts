// Flag parsing of the client subcommands (pure): topics, name servers, integers, log levels
// and credentials. Each error names the flag and quotes the value (exit 2 in the commands).
import type { ClientTls } from "../client/connection.js";
import { parseNameServers } from "../client/addresses.js";
import { InvalidArgumentError } from "../errors.js";
import { QUEUE_NUMS_MAX, TOPIC_NAME_CHARS_MAX, TOPICS_PER_BROKER_MAX } from "../limits.js";
import { PERM_VALUE_LIMIT, Perm, type TopicConfig } from "../model/types.js";
import { checkTopic } from "../protocol/validate.js";
import { CLIENT_TOKEN_ENV, parseSecretList } from "./secrets.js";

/** Queues per topic when `--topic NAME` gives none (RocketMQ's defaultTopicQueueNums). */
export const TOPIC_QUEUES_DEFAULT = 8;
/** Permission when `--topic` gives none: read + write. */
export const TOPIC_PERM_DEFAULT = Perm.READ_WRITE;
/** pino levels accepted by --log-level. */
export const CLIENT_LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** `--topic NAME[:QUEUES[:PERM]]`: QUEUES read = write queues (default 8), PERM default 6. */
export function parseTopicFlag(value: string): TopicConfig {
  const parts = value.split(":");
  const shape = "must be NAME[:QUEUES[:PERM]]";
  if (parts.length > 3) throw InvalidArgumentError.format("--topic", shape, value);
  const [name = "", queuesText, permText] = parts;
  try {
    checkTopic("--topic", name);
  } catch {
    throw InvalidArgumentError.format("--topic", `${shape} with NAME of 1..${TOPIC_NAME_CHARS_MAX} chars, no whitespace`, value);
  }
  const queues = queuesText === undefined ? TOPIC_QUEUES_DEFAULT : strictInt(queuesText);
  if (queues === null || queues < 1 || queues > QUEUE_NUMS_MAX) {
    throw InvalidArgumentError.format("--topic", `${shape} with QUEUES an integer in 1..${QUEUE_NUMS_MAX}`, value);
  }
  const perm = permText === undefined ? TOPIC_PERM_DEFAULT : strictInt(permText);
  if (perm === null || perm < 0 || perm >= PERM_VALUE_LIMIT) {
    throw InvalidArgumentError.format("--topic", `${shape} with PERM an integer in 0..${PERM_VALUE_LIMIT - 1}`, value);
  }
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm, topicSysFlag: 0, order: false };
}

/** Every `--topic` value, checked for duplicates and the per-broker bound. */
export function parseTopicFlags(values: readonly string[]): TopicConfig[] {
  if (values.length > TOPICS_PER_BROKER_MAX) {
    throw InvalidArgumentError.format("--topic", `may be given at most ${TOPICS_PER_BROKER_MAX} times`, `${values.length} times`);
  }
  const seen = new Set<string>();
  return values.map((value) => {
    const topic = parseTopicFlag(value);
    if (seen.has(topic.topicName)) throw InvalidArgumentError.format("--topic", "must name each topic once", value);
    seen.add(topic.topicName);
    return topic;
  });
}

/** Where client commands take their name servers from without --namesrv (the variable RocketMQ's tools read). */
export const NAMESRV_ADDR_ENV = "NAMESRV_ADDR";
/** The name server of this machine, when neither --namesrv nor NAMESRV_ADDR names one. */
export const NAMESRV_ADDR_DEFAULT = "127.0.0.1:9877";

/**
 * `--namesrv HOST:PORT[,HOST:PORT...]` (',' or ';'), else NAMESRV_ADDR from `env`, else
 * 127.0.0.1:9877. The message of a bad list names where it came from.
 */
export function parseNamesrvFlag(value: string | undefined, env: Readonly<Record<string, string | undefined>> = {}): string[] {
  const fromEnv = env[NAMESRV_ADDR_ENV]?.trim();
  const [field, text] =
    value !== undefined ? ["--namesrv", value] : fromEnv !== undefined && fromEnv !== "" ? [NAMESRV_ADDR_ENV, fromEnv] : ["--namesrv", NAMESRV_ADDR_DEFAULT];
  try {
    return parseNameServers(text, field);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw InvalidArgumentError.format(field, "must be HOST:PORT[,HOST:PORT...] with ports in 1..65535", text);
  }
}

/** An integer flag in [min, max]. */
export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  const parsed = strictInt(value);
  if (parsed === null || parsed < min || parsed > max) {
    throw InvalidArgumentError.format(flag, `must be an integer in ${min}..${max}`, value);
  }
  return parsed;
}

/** `--log-level`. */
export function parseLogLevel(value: string): (typeof CLIENT_LOG_LEVELS)[number] {
  const level = CLIENT_LOG_LEVELS.find((candidate) => candidate === value);
  if (!level) throw InvalidArgumentError.format("--log-level", `must be one of ${CLIENT_LOG_LEVELS.join("|")}`, value);
  return level;
}

/** A required string flag checked by a protocol validator, re-labelled with the flag name. */
export function checkedFlag(flag: string, value: string | undefined, check: (field: string, v: unknown) => string): string {
  if (value === undefined) throw new InvalidArgumentError(`'${flag}' is required`);
  return check(flag, value);
}

function strictInt(text: string): number | null {
  return /^\d{1,9}$/.test(text) ? Number(text) : null;
}

// ---- Credentials ---------------------------------------------------------------------------

/** Token and TLS flags every client command takes. */
export interface CredentialFlags {
  readonly tokenFile?: string;
  readonly tls?: boolean;
  readonly tlsCaFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly dnsLookup?: boolean;
}

/**
 * What a client command connects with: a token (file, else NAMESRV_TOKEN), TLS options, and
 * whether --namesrv host names are resolved to all their addresses.
 */
export interface ClientCredentials {
  readonly token?: string;
  readonly tls?: ClientTls;
  readonly dnsLookup?: boolean;
}

/** Where credentials come from (ClientCliDeps has both). */
export interface CredentialSources {
  /** Environment (NAMESRV_TOKEN). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads --token-file and --tls-*-file. */
  readonly readFile: (path: string) => string;
}

/** Reads the credential flags; the token's value never appears in a message. */
export function parseCredentialFlags(flags: CredentialFlags, deps: CredentialSources): ClientCredentials {
  const read = (flag: string, path: string): string => {
    try {
      return deps.readFile(path);
    } catch (error) {
      throw new InvalidArgumentError(`'${flag}' file '${path}' could not be read: ${(error as Error).message}`);
    }
  };
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    token = parseSecretList(read("--token-file", flags.tokenFile))[0];
    if (token === undefined) throw new InvalidArgumentError(`'--token-file' file '${flags.tokenFile}' holds no token`);
  } else {
    const fromEnv = deps.env[CLIENT_TOKEN_ENV]?.trim();
    if (fromEnv !== undefined && fromEnv !== "") token = fromEnv;
  }
  if ((flags.tlsCertFile === undefined) !== (flags.tlsKeyFile === undefined)) {
    throw new InvalidArgumentError("'--tls-cert-file' and '--tls-key-file' must be given together");
  }
  const useTls = flags.tls === true || flags.tlsCaFile !== undefined || flags.tlsCertFile !== undefined;
  const tls: ClientTls | undefined = useTls
    ? {
        ...(flags.tlsCaFile === undefined ? {} : { ca: read("--tls-ca-file", flags.tlsCaFile) }),
        ...(flags.tlsCertFile === undefined ? {} : { cert: read("--tls-cert-file", flags.tlsCertFile) }),
        ...(flags.tlsKeyFile === undefined ? {} : { key: read("--tls-key-file", flags.tlsKeyFile) }),
      }
    : undefined;
  return { ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }), ...(flags.dnsLookup === true ? { dnsLookup: true } : {}) };
}

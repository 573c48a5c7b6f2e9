// The security fields of Config (issue #7 and the remoting-port issue): secrets, tokens, TLS,
// remoting access (allow lists, ACL accounts, TLS mode) and abuse limits, checked one by one
// into the shared Problems. Pure: no I/O. Problems never quote a secret, only its length.
import { ipVersionOf } from "../transport/addresses.js";
import * as limits from "../limits.js";
import { boolField, choiceField, intField, type Problems } from "./fields.js";

/** RocketMQ's ACL requires a secretKey of at least 6 characters. */
export const ACL_SECRET_KEY_CHARS_MIN = 6;
/** RocketMQ ACL accessKey length bound. */
export const ACL_ACCESS_KEY_CHARS_MAX = 128;
/** Smallest frame limit: a HELLO, a small registration and every error reply still fit. */
export const FRAME_BYTES_MAX_MIN = 4 * 1024;
/** Shortest hello deadline config may set: a TLS handshake and one round trip on a LAN. */
export const HELLO_TIMEOUT_MS_MIN = 100;

/** TLS material of the HTTP + WebSocket port (PEM text, read by the CLI from files). */
export interface TlsConfig {
  /** Certificate chain this node presents, to clients and (as a client certificate) to peers it dials. */
  readonly cert: string;
  /** Private key of `cert`. */
  readonly key: string;
  /** CA bundle that verifies peers' certificates (both directions); null uses the system CAs. */
  readonly ca: string | null;
  /** Refuse every TLS client without a certificate signed by `ca`, not only peers. @default false */
  readonly requireClientCert: boolean;
}

/** What an ACL account may sign on the remoting port: broker writes, or everything. */
export const REMOTING_ACL_ROLES = ["broker", "admin"] as const;
/** One ACL role: "broker" signs broker writes only; "admin" signs admin and broker writes. */
export type RemotingAclRole = (typeof REMOTING_ACL_ROLES)[number];

/** One RocketMQ ACL account (AccessKey + SecretKey) allowed to sign remoting writes. */
export interface RemotingAclAccount {
  readonly accessKey: string;
  readonly secretKey: string;
  /** @default "admin" (what every account of an older acl file was) */
  readonly role: RemotingAclRole;
}

/** TLS on the remoting port, as RocketMQ's `tls.server.mode`. */
export const REMOTING_TLS_MODES = ["disabled", "permissive", "enforcing"] as const;
/** disabled: plain only; permissive: TLS (first byte 0x16) or plain; enforcing: TLS only. */
export type RemotingTlsMode = (typeof REMOTING_TLS_MODES)[number];

/** The security fields of Config; `read` returns the loose input of one field. */
export function securityFields(problems: Problems, read: (field: string) => unknown, frameBytesMax: number) {
  const clientFrameMax = Math.min(limits.CLIENT_FRAME_BYTES_MAX, frameBytesMax);
  const int = (field: string, min: number, max: number, fallback = max): number => intField(problems, field, read(field), min, max, fallback);
  return {
    clusterSecrets: secretsField(problems, "clusterSecrets", read("clusterSecrets")),
    brokerTokens: secretsField(problems, "brokerTokens", read("brokerTokens")),
    adminTokens: secretsField(problems, "adminTokens", read("adminTokens")),
    clientTokens: secretsField(problems, "clientTokens", read("clientTokens")),
    requireClientToken: boolField(problems, "requireClientToken", read("requireClientToken"), false),
    tls: tlsField(problems, read("tls")),
    remotingAdminAllow: ipListField(problems, "remotingAdminAllow", read("remotingAdminAllow")),
    remotingBrokerAllow: ipListField(problems, "remotingBrokerAllow", read("remotingBrokerAllow")),
    remotingAclAccounts: aclAccountsField(problems, read("remotingAclAccounts")),
    remotingTlsMode: choiceField(problems, "remotingTlsMode", read("remotingTlsMode"), REMOTING_TLS_MODES, "disabled"),
    connectionsPerAddressMax: int("connectionsPerAddressMax", 1, limits.CONNECTIONS_PER_ADDRESS_MAX),
    clientFrameBytesMax: int("clientFrameBytesMax", FRAME_BYTES_MAX_MIN, clientFrameMax),
    helloTimeoutMs: int("helloTimeoutMs", HELLO_TIMEOUT_MS_MIN, limits.HELLO_TIMEOUT_MS),
  };
}

/** The fields securityFields returns. */
export type SecurityFields = ReturnType<typeof securityFields>;

/** Rules between security fields; only checked on values that passed their own rules. */
export function checkSecurityRules(problems: Problems, config: SecurityFields): void {
  const anyToken = config.clientTokens.length + config.brokerTokens.length + config.adminTokens.length > 0;
  if (config.requireClientToken && !anyToken) {
    problems.add("requireClientToken", "needs at least one client, broker or admin token", config.requireClientToken);
  }
  if (config.remotingTlsMode !== "disabled" && config.tls === null) {
    problems.add("remotingTlsMode", "needs the node's certificate: 'tls' (--tls-cert-file and --tls-key-file)", config.remotingTlsMode);
  }
}

/** A list of secrets or tokens. Problems never quote a secret, only its length. */
function secretsField(problems: Problems, field: string, value: unknown): readonly string[] {
  if (value === undefined || value === null) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.list.push(`'${field}' must be an array of strings, got ${typeof value}`);
    return Object.freeze([]);
  }
  if (value.length > limits.SECRETS_PER_LIST_MAX) {
    problems.list.push(`'${field}' must have at most ${limits.SECRETS_PER_LIST_MAX} entries, got ${value.length}`);
  }
  const secrets: string[] = [];
  value.forEach((secret: unknown, index) => {
    const rule = `must be ${limits.SECRET_CHARS_MIN}..${limits.SECRET_CHARS_MAX} characters without whitespace`;
    if (typeof secret !== "string") problems.list.push(`'${field}[${index}]' ${rule}, got ${typeof secret}`);
    else if (secret.length < limits.SECRET_CHARS_MIN || secret.length > limits.SECRET_CHARS_MAX || /\s/.test(secret)) {
      problems.list.push(`'${field}[${index}]' ${rule}, got a value of ${secret.length} characters`);
    } else if (secrets.includes(secret)) problems.list.push(`'${field}[${index}]' must not repeat an earlier entry`);
    else secrets.push(secret);
  });
  return Object.freeze(secrets);
}

const PEM_PATTERN = /-----BEGIN [A-Z0-9 ]+-----/;

function tlsField(problems: Problems, value: unknown): TlsConfig | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.add("tls", "must be an object {cert, key, ca?, requireClientCert?} or null", value);
    return null;
  }
  const raw = value as Record<string, unknown>;
  const pem = (field: string, required: boolean): string | null => {
    const text = raw[field];
    if (text === undefined || text === null) {
      if (required) problems.list.push(`'tls.${field}' is required (PEM text)`);
      return null;
    }
    if (typeof text !== "string" || !PEM_PATTERN.test(text)) {
      problems.list.push(`'tls.${field}' must be PEM text (-----BEGIN ...-----)`);
      return null;
    }
    return text;
  };
  for (const key of Object.keys(raw)) {
    if (!["cert", "key", "ca", "requireClientCert"].includes(key)) problems.list.push(`unknown field 'tls.${key}'`);
  }
  const tls = {
    cert: pem("cert", true) ?? "",
    key: pem("key", true) ?? "",
    ca: pem("ca", false),
    requireClientCert: boolField(problems, "tls.requireClientCert", raw["requireClientCert"], false),
  };
  if (tls.requireClientCert && tls.ca === null) problems.list.push("'tls.requireClientCert' needs 'tls.ca' to verify client certificates");
  return Object.freeze(tls);
}

function ipListField(problems: Problems, field: string, value: unknown): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) {
    problems.add(field, "must be an array of IP addresses or null", value);
    return null;
  }
  const ips: string[] = [];
  value.forEach((ip: unknown, index) => {
    if (typeof ip !== "string" || ipVersionOf(ip) === 0) problems.add(`${field}[${index}]`, "must be an IPv4 or IPv6 address", ip);
    else ips.push(ip);
  });
  return Object.freeze(ips);
}

function aclAccountsField(problems: Problems, value: unknown): readonly RemotingAclAccount[] {
  if (value === undefined || value === null) return Object.freeze([]);
  if (!Array.isArray(value)) {
    problems.list.push(`'remotingAclAccounts' must be an array of {accessKey, secretKey, role?}, got ${typeof value}`);
    return Object.freeze([]);
  }
  if (value.length > limits.REMOTING_ACL_ACCOUNTS_MAX) {
    problems.list.push(`'remotingAclAccounts' must have at most ${limits.REMOTING_ACL_ACCOUNTS_MAX} accounts, got ${value.length}`);
  }
  const accounts: RemotingAclAccount[] = [];
  value.forEach((entry: unknown, index) => {
    const item = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const { accessKey, secretKey } = item;
    const field = `remotingAclAccounts[${index}]`;
    for (const key of Object.keys(item)) {
      if (!["accessKey", "secretKey", "role"].includes(key)) problems.list.push(`unknown field '${field}.${key}'`);
    }
    const role = choiceField(problems, `${field}.role`, item["role"], REMOTING_ACL_ROLES, "admin");
    if (typeof accessKey !== "string" || accessKey.length < 1 || accessKey.length > ACL_ACCESS_KEY_CHARS_MAX || /\s/.test(accessKey)) {
      problems.add(`${field}.accessKey`, `must be 1..${ACL_ACCESS_KEY_CHARS_MAX} chars without whitespace`, accessKey);
    } else if (typeof secretKey !== "string" || secretKey.length < ACL_SECRET_KEY_CHARS_MIN || secretKey.length > limits.SECRET_CHARS_MAX) {
      problems.list.push(`'${field}.secretKey' must be ${ACL_SECRET_KEY_CHARS_MIN}..${limits.SECRET_CHARS_MAX} chars`);
    } else if (accounts.some((account) => account.accessKey === accessKey)) {
      problems.add(`${field}.accessKey`, "must not repeat an earlier account", accessKey);
    } else accounts.push(Object.freeze({ accessKey, secretKey, role }));
  });
  return Object.freeze(accounts);
}

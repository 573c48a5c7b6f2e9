// Who may send what on the RocketMQ remoting port. Reads stay open, as RocketMQ's are. A write
// (broker: 103, 104, 904, 322, 217; admin: 100, 102, 216, 217, 205, 327, 318) passes when the
// port is open for it, when it comes from an allow-listed address, or when it carries a valid
// RocketMQ ACL signature (AclClientRPCHook) of an account whose role covers it. A node with a
// cluster secret is closed to unsigned writes by default. Shell code (node:crypto).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RemotingAclAccount, RemotingAclRole } from "../config/config.js";
import { MQVersion, RequestCode, ResponseCode } from "../protocol/remoting/codes.js";
import type { RemotingCommand } from "../protocol/remoting/frame.js";
import type { ResponseSpec } from "../protocol/remoting/response.js";

/** Codes by which a broker announces itself, stays alive, leaves, or adds a topic. */
export const REMOTING_BROKER_WRITE_CODES: ReadonlySet<number> = new Set([
  RequestCode.REGISTER_BROKER,
  RequestCode.UNREGISTER_BROKER,
  RequestCode.BROKER_HEARTBEAT,
  RequestCode.QUERY_DATA_VERSION,
  RequestCode.REGISTER_TOPIC_IN_NAMESRV,
]);

/** Codes that change admin state: KV put/delete, topic delete/register, write perm, node config. */
export const REMOTING_ADMIN_WRITE_CODES: ReadonlySet<number> = new Set([
  RequestCode.PUT_KV_CONFIG,
  RequestCode.DELETE_KV_CONFIG,
  RequestCode.DELETE_TOPIC_IN_NAMESRV,
  RequestCode.REGISTER_TOPIC_IN_NAMESRV,
  RequestCode.WIPE_WRITE_PERM_OF_BROKER,
  RequestCode.ADD_WRITE_PERM_OF_BROKER,
  RequestCode.UPDATE_NAMESRV_CONFIG,
]);

/** RocketMQ SessionCredentials field names. */
const ACCESS_KEY = "AccessKey";
const SIGNATURE = "Signature";
/** MixAll.UNIQUE_MSG_QUERY_FLAG: RocketMQ leaves it out of the content of clients up to 4.9.3. */
const UNIQUE_MSG_QUERY_FLAG = "_UNIQUE_KEY_QUERY";

/** The access policy of one remoting listener. */
export interface RemotingAccessPolicy {
  /** The node has a cluster secret: writes are closed unless allow-listed or signed. */
  readonly secured: boolean;
  /** Addresses allowed to send admin writes unsigned; null = no address list. */
  readonly adminAllow: readonly string[] | null;
  /** Addresses allowed to send broker writes unsigned; null = no address list. */
  readonly brokerAllow: readonly string[] | null;
  /** ACL accounts whose signatures are accepted (non-empty: writes must be signed or allow-listed). */
  readonly aclAccounts: readonly RemotingAclAccount[];
}

/** Why a command was refused (metrics label `reason`). */
export type RemotingRefusalReason =
  | "adminAddressNotAllowed"
  | "brokerAddressNotAllowed"
  | "aclSignatureMissing"
  | "aclSignatureInvalid"
  | "aclRoleNotAllowed";

/** A refused command: why, and the NO_PERMISSION reply. */
export interface RemotingRefusal {
  readonly ok: false;
  readonly reason: RemotingRefusalReason;
  readonly spec: ResponseSpec;
}

/** A command that may proceed, and on what grounds ("open": nothing restricts it; a read, or an open port). */
export interface RemotingGrant {
  readonly ok: true;
  readonly via: "open" | "address" | "signature";
  /** The write class, or null for a read. */
  readonly writeClass: RemotingWriteClass | null;
}

/** Broker writes, or admin writes (REGISTER_TOPIC_IN_NAMESRV is both: either grants it). */
export type RemotingWriteClass = "broker" | "admin";

/** The write class of a request code; null for reads and codes the node does not handle. */
export function writeClassOf(code: number): RemotingWriteClass | null {
  if (REMOTING_BROKER_WRITE_CODES.has(code)) return "broker";
  if (REMOTING_ADMIN_WRITE_CODES.has(code)) return "admin";
  return null;
}

/** Whether the policy restricts any write (writes need an address or a signature). */
export function restrictsWrites(policy: RemotingAccessPolicy): boolean {
  return policy.secured || policy.aclAccounts.length > 0 || policy.adminAllow !== null || policy.brokerAllow !== null;
}

/** Whether `cmd` from `ip` may proceed; else the NO_PERMISSION reply and why. */
export function checkRemotingAccess(policy: RemotingAccessPolicy, ip: string, cmd: RemotingCommand): RemotingGrant | RemotingRefusal {
  const writeClass = writeClassOf(cmd.code);
  if (writeClass === null) return { ok: true, via: "open", writeClass };
  // REGISTER_TOPIC_IN_NAMESRV is sent by brokers (enableSingleTopicRegister) and by admin tools.
  const lists = cmd.code === RequestCode.REGISTER_TOPIC_IN_NAMESRV ? [policy.brokerAllow, policy.adminAllow] : [writeClass === "broker" ? policy.brokerAllow : policy.adminAllow];
  const addressLists = lists.filter((list): list is readonly string[] => list !== null);
  if (!policy.secured && policy.aclAccounts.length === 0 && addressLists.length === 0) return { ok: true, via: "open", writeClass };
  if (addressLists.some((list) => allowed(list, ip))) return { ok: true, via: "address", writeClass };
  const name = `${codeName(cmd.code)} (code ${cmd.code})`;
  const accessKey = cmd.extFields[ACCESS_KEY];
  const signature = cmd.extFields[SIGNATURE];
  if (accessKey === undefined || signature === undefined) {
    const flag = writeClass === "broker" ? "--remoting-broker-allow" : "--remoting-admin-allow";
    if (addressLists.length > 0) {
      const remark = `${name} from ${ip} needs an address on ${flag} or a RocketMQ ACL signature (${ACCESS_KEY}, ${SIGNATURE}) of ${article(writeClass)} account`;
      return refusal(writeClass === "broker" ? "brokerAddressNotAllowed" : "adminAddressNotAllowed", remark);
    }
    return refusal("aclSignatureMissing", `${name} needs a RocketMQ ACL signature (${ACCESS_KEY}, ${SIGNATURE}) of ${article(writeClass)} account`);
  }
  const account = policy.aclAccounts.find((candidate) => candidate.accessKey === accessKey);
  const expected = account ? aclSignature(cmd, account.secretKey) : null;
  if (account === undefined || expected === null || !sameText(expected, signature)) {
    return refusal("aclSignatureInvalid", `ACL signature check failed for ${ACCESS_KEY} ${accessKey.slice(0, 64)}`);
  }
  if (!roleCovers(account.role, writeClass)) {
    return refusal("aclRoleNotAllowed", `${ACCESS_KEY} ${accessKey.slice(0, 64)} is a ${account.role} account: ${name} needs an admin account`);
  }
  return { ok: true, via: "signature", writeClass };
}

/** An admin account signs everything a broker account signs, and admin writes. */
function roleCovers(role: RemotingAclRole, writeClass: RemotingWriteClass): boolean {
  return role === "admin" || writeClass === "broker";
}

/**
 * RocketMQ's ACL signature (AclClientRPCHook, AclUtils; checked as 5.x's authentication context
 * builder checks it): the values of the ext fields sorted by name, Signature left out (and
 * _UNIQUE_KEY_QUERY for senders up to 4.9.3), concatenated as UTF-8, then the body; HMAC-SHA1
 * with the secret key; Base64.
 */
export function aclSignature(cmd: RemotingCommand, secretKey: string): string {
  const skipUniqueKey = cmd.version <= MQVersion.V4_9_3;
  const names = Object.keys(cmd.extFields)
    .filter((name) => name !== SIGNATURE && !(skipUniqueKey && name === UNIQUE_MSG_QUERY_FLAG))
    .sort();
  const content = names.map((name) => cmd.extFields[name] ?? "").join("");
  const mac = createHmac("sha1", Buffer.from(secretKey, "utf8")).update(Buffer.from(content, "utf8"));
  if (cmd.body !== undefined) mac.update(cmd.body);
  return mac.digest("base64");
}

const CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RequestCode).map(([name, code]) => [code, name]));

function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? "request";
}

function article(writeClass: RemotingWriteClass): string {
  return writeClass === "admin" ? "an admin" : "a broker or admin";
}

function allowed(list: readonly string[], ip: string): boolean {
  const plain = ip.startsWith("::ffff:") ? ip.slice("::ffff:".length) : ip;
  return list.includes(ip) || list.includes(plain);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

function refusal(reason: RemotingRefusalReason, remark: string): RemotingRefusal {
  return { ok: false, reason, spec: { code: ResponseCode.NO_PERMISSION, remark } };
}

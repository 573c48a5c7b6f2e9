// Who may send what on the RocketMQ remoting port (issue #7). The port stays open by default, as
// RocketMQ's is; config may restrict admin writes and broker writes to allow-listed addresses,
// and require RocketMQ ACL signatures (AclClientRPCHook) on admin writes. Shell code (node:crypto).
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RemotingAclAccount } from "../config/config.js";
import { RequestCode, ResponseCode } from "../protocol/remoting/codes.js";
import type { RemotingCommand } from "../protocol/remoting/frame.js";
import type { ResponseSpec } from "../protocol/remoting/response.js";

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

/** Codes by which a broker announces itself or leaves. */
export const REMOTING_BROKER_WRITE_CODES: ReadonlySet<number> = new Set([
  RequestCode.REGISTER_BROKER,
  RequestCode.UNREGISTER_BROKER,
  RequestCode.BROKER_HEARTBEAT,
]);

/** RocketMQ SessionCredentials field names. */
const ACCESS_KEY = "AccessKey";
const SIGNATURE = "Signature";
/** MixAll.UNIQUE_MSG_QUERY_FLAG: RocketMQ leaves it out of the signed content. */
const UNIQUE_MSG_QUERY_FLAG = "_UNIQUE_KEY_QUERY";

/** The access policy of one remoting listener. */
export interface RemotingAccessPolicy {
  /** Addresses allowed to send admin writes; null = every address. */
  readonly adminAllow: readonly string[] | null;
  /** Addresses allowed to send broker writes; null = every address. */
  readonly brokerAllow: readonly string[] | null;
  /** ACL accounts; non-empty = admin writes must be signed by one. */
  readonly aclAccounts: readonly RemotingAclAccount[];
}

/** Why a command was refused (metrics label), with the NO_PERMISSION remark. */
export interface RemotingRefusal {
  readonly reason: "adminAddressNotAllowed" | "brokerAddressNotAllowed" | "aclSignatureMissing" | "aclSignatureInvalid";
  readonly spec: ResponseSpec;
}

/** Null when `cmd` from `ip` may proceed; else the NO_PERMISSION reply and why. */
export function checkRemotingAccess(policy: RemotingAccessPolicy, ip: string, cmd: RemotingCommand): RemotingRefusal | null {
  const admin = REMOTING_ADMIN_WRITE_CODES.has(cmd.code);
  if (admin && policy.adminAllow !== null && !allowed(policy.adminAllow, ip)) {
    return refusal("adminAddressNotAllowed", `admin request code ${cmd.code} is not allowed from ${ip}`);
  }
  if (REMOTING_BROKER_WRITE_CODES.has(cmd.code) && policy.brokerAllow !== null && !allowed(policy.brokerAllow, ip)) {
    return refusal("brokerAddressNotAllowed", `broker request code ${cmd.code} is not allowed from ${ip}`);
  }
  if (admin && policy.aclAccounts.length > 0) {
    const accessKey = cmd.extFields[ACCESS_KEY];
    const signature = cmd.extFields[SIGNATURE];
    if (accessKey === undefined || signature === undefined) {
      return refusal("aclSignatureMissing", `admin request code ${cmd.code} needs ACL fields ${ACCESS_KEY} and ${SIGNATURE}`);
    }
    const account = policy.aclAccounts.find((candidate) => candidate.accessKey === accessKey);
    const expected = account ? aclSignature(cmd, account.secretKey) : null;
    if (expected === null || !sameText(expected, signature)) {
      return refusal("aclSignatureInvalid", `ACL signature check failed for AccessKey ${accessKey.slice(0, 64)}`);
    }
  }
  return null;
}

/**
 * RocketMQ's ACL signature (AclClientRPCHook + AclUtils): the values of the ext fields sorted by
 * name (Signature and _UNIQUE_KEY_QUERY left out) concatenated as UTF-8, then the body;
 * HMAC-SHA1 with the secret key; Base64.
 */
export function aclSignature(cmd: RemotingCommand, secretKey: string): string {
  const names = Object.keys(cmd.extFields)
    .filter((name) => name !== SIGNATURE && name !== UNIQUE_MSG_QUERY_FLAG)
    .sort();
  const content = names.map((name) => cmd.extFields[name] ?? "").join("");
  const mac = createHmac("sha1", Buffer.from(secretKey, "utf8")).update(Buffer.from(content, "utf8"));
  if (cmd.body !== undefined) mac.update(cmd.body);
  return mac.digest("base64");
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

function refusal(reason: RemotingRefusal["reason"], remark: string): RemotingRefusal {
  return { reason, spec: { code: ResponseCode.NO_PERMISSION, remark } };
}

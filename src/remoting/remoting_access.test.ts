// Goal: the remoting access policy leaves reads and an unconfigured port open; refuses broker and
// admin writes that are neither allow-listed nor signed by an account whose role covers them, and
// with a cluster secret refuses unsigned writes by default; RocketMQ's ACL signature is computed as
// AclClientRPCHook computes it.
// Method: checkRemotingAccess on hand-built commands. The signature vectors were computed with
// `openssl dgst -sha1 -hmac KEY -binary | base64`: over "ak-1234topicAkv" + 0x01 0x02 (key
// secret-key-123), and over "ak-broker127.0.0.1:109110broker-aC" + a JSON body (key broker-secret-9).
import { describe, expect, it } from "vitest";
import type { RemotingAclAccount } from "../config/config.js";
import { RequestCode, ResponseCode, SerializeType } from "../protocol/remoting/codes.js";
import type { RemotingCommand } from "../protocol/remoting/frame.js";
import { aclSignature, checkRemotingAccess, type RemotingAccessPolicy } from "./remoting_access.js";

const OPEN: RemotingAccessPolicy = { secured: false, adminAllow: null, brokerAllow: null, aclAccounts: [] };
const BROKER: RemotingAclAccount = { accessKey: "ak-broker", secretKey: "broker-secret-9", role: "broker" };
const ADMIN: RemotingAclAccount = { accessKey: "ak-admin", secretKey: "admin-secret-9", role: "admin" };
const BROKER_WRITES = [RequestCode.REGISTER_BROKER, RequestCode.UNREGISTER_BROKER, RequestCode.BROKER_HEARTBEAT, RequestCode.QUERY_DATA_VERSION, RequestCode.REGISTER_TOPIC_IN_NAMESRV];
const ADMIN_WRITES = [
  RequestCode.PUT_KV_CONFIG,
  RequestCode.DELETE_KV_CONFIG,
  RequestCode.DELETE_TOPIC_IN_NAMESRV,
  RequestCode.WIPE_WRITE_PERM_OF_BROKER,
  RequestCode.ADD_WRITE_PERM_OF_BROKER,
  RequestCode.UPDATE_NAMESRV_CONFIG,
];
const READS = [RequestCode.GET_ROUTEINFO_BY_TOPIC, RequestCode.GET_BROKER_CLUSTER_INFO, RequestCode.GET_KV_CONFIG, RequestCode.GET_NAMESRV_CONFIG];

function command(code: number, extFields: Record<string, string> = {}, body?: Buffer, version = 479): RemotingCommand {
  return { code, language: 0, version, opaque: 1, flag: 0, extFields, serializeType: SerializeType.JSON, ...(body === undefined ? {} : { body }) };
}

/** `cmd` signed with `account`, as AclClientRPCHook signs: AccessKey added, then Signature. */
function signed(code: number, fields: Record<string, string>, account: RemotingAclAccount, body?: Buffer): RemotingCommand {
  const withKey = { ...fields, AccessKey: account.accessKey };
  return command(code, { ...withKey, Signature: aclSignature(command(code, withKey, body), account.secretKey) }, body);
}

const reasonOf = (policy: RemotingAccessPolicy, ip: string, cmd: RemotingCommand): string | null => {
  const decision = checkRemotingAccess(policy, ip, cmd);
  return decision.ok ? null : decision.reason;
};

describe("remoting_access", () => {
  it("remoting_access: the default policy lets everything through", () => {
    for (const code of [...BROKER_WRITES, ...ADMIN_WRITES, ...READS]) {
      expect(checkRemotingAccess(OPEN, "10.0.0.9", command(code))).toMatchObject({ ok: true, via: "open" });
    }
  });

  it("remoting_access: admin writes only from allowed addresses; reads from anywhere", () => {
    const policy = { ...OPEN, adminAllow: ["10.0.0.1", "::1"] };
    const refused = checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.PUT_KV_CONFIG));
    expect(refused).toMatchObject({ ok: false, reason: "adminAddressNotAllowed", spec: { code: ResponseCode.NO_PERMISSION } });
    expect(refused.ok ? "" : refused.spec.remark).toBe(
      "PUT_KV_CONFIG (code 100) from 10.0.0.9 needs an address on --remoting-admin-allow or a RocketMQ ACL signature (AccessKey, Signature) of an admin account",
    );
    expect(checkRemotingAccess(policy, "10.0.0.1", command(RequestCode.PUT_KV_CONFIG))).toMatchObject({ ok: true, via: "address" });
    expect(checkRemotingAccess(policy, "::ffff:10.0.0.1", command(RequestCode.UPDATE_NAMESRV_CONFIG)).ok).toBe(true);
    for (const code of READS) expect(checkRemotingAccess(policy, "10.0.0.9", command(code)).ok).toBe(true);
    for (const code of ADMIN_WRITES) expect(reasonOf(policy, "10.0.0.9", command(code))).toBe("adminAddressNotAllowed");
    // REGISTER_TOPIC_IN_NAMESRV is a broker write too: the admin list alone does not open it.
    expect(reasonOf(policy, "10.0.0.9", command(RequestCode.REGISTER_TOPIC_IN_NAMESRV))).toBe("brokerAddressNotAllowed");
    expect(checkRemotingAccess(policy, "10.0.0.1", command(RequestCode.REGISTER_TOPIC_IN_NAMESRV)).ok).toBe(true);
  });

  it("remoting_access: broker writes only from allowed addresses", () => {
    const policy = { ...OPEN, brokerAllow: ["10.0.0.2"] };
    for (const code of BROKER_WRITES) expect(reasonOf(policy, "10.0.0.9", command(code))).toBe("brokerAddressNotAllowed");
    expect(checkRemotingAccess(policy, "10.0.0.2", command(RequestCode.UNREGISTER_BROKER))).toMatchObject({ ok: true, via: "address", writeClass: "broker" });
  });

  it("remoting_access: RocketMQ's ACL signature matches independent HMAC-SHA1 vectors", () => {
    const cmd = command(RequestCode.PUT_KV_CONFIG, { namespace: "kv", key: "topicA", AccessKey: "ak-1234", Signature: "ignored" }, Buffer.from([1, 2]));
    expect(aclSignature(cmd, "secret-key-123")).toBe("ZQicwt5Px2yoJqPs1LuQMSyl47I=");
    const register = command(
      RequestCode.REGISTER_BROKER,
      { clusterName: "C", brokerName: "broker-a", brokerAddr: "127.0.0.1:10911", brokerId: "0", AccessKey: "ak-broker" },
      Buffer.from('{"topicConfigSerializeWrapper":{}}'),
    );
    expect(aclSignature(register, "broker-secret-9")).toBe("Gg6mCvdeY/Mpo7f6/K1ugvbgtzE=");
  });

  it("remoting_access: _UNIQUE_KEY_QUERY is signed from 4.9.4 on, left out before (as 5.x checks it)", () => {
    const fields = { key: "k", _UNIQUE_KEY_QUERY: "true", AccessKey: "ak" };
    const without = aclSignature(command(100, { key: "k", AccessKey: "ak" }, undefined, 479), "secret-1");
    expect(aclSignature(command(100, fields, undefined, 399), "secret-1")).toBe(without);
    expect(aclSignature(command(100, fields, undefined, 401), "secret-1")).not.toBe(without);
  });

  it("remoting_access: with ACL accounts, writes need a valid signature of a role that covers them", () => {
    const policy = { ...OPEN, aclAccounts: [BROKER, ADMIN] };
    expect(reasonOf(policy, "10.0.0.9", command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders" }))).toBe("aclSignatureMissing");
    expect(reasonOf(policy, "10.0.0.9", command(RequestCode.REGISTER_BROKER, { brokerName: "b" }))).toBe("aclSignatureMissing");
    expect(checkRemotingAccess(policy, "10.0.0.9", signed(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders" }, ADMIN))).toMatchObject({ ok: true, via: "signature" });
    const body = Buffer.from("registration body");
    for (const code of BROKER_WRITES) {
      expect(checkRemotingAccess(policy, "10.0.0.9", signed(code, { brokerName: "b" }, BROKER, body)).ok).toBe(true);
      expect(checkRemotingAccess(policy, "10.0.0.9", signed(code, { brokerName: "b" }, ADMIN, body)).ok).toBe(true);
    }
    const refused = checkRemotingAccess(policy, "10.0.0.9", signed(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: "b" }, BROKER));
    expect(refused).toMatchObject({ ok: false, reason: "aclRoleNotAllowed" });
    expect(refused.ok ? "" : refused.spec.remark).toBe("AccessKey ak-broker is a broker account: WIPE_WRITE_PERM_OF_BROKER (code 205) needs an admin account");
    const guessed = { ...ADMIN, secretKey: "guessed-key" };
    expect(reasonOf(policy, "10.0.0.9", signed(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders" }, guessed))).toBe("aclSignatureInvalid");
    const tampered = signed(RequestCode.REGISTER_BROKER, { brokerName: "b" }, BROKER, body);
    expect(reasonOf(policy, "10.0.0.9", { ...tampered, body: Buffer.from("another body") })).toBe("aclSignatureInvalid");
    expect(reasonOf(policy, "10.0.0.9", { ...tampered, extFields: { ...tampered.extFields, brokerName: "c" } })).toBe("aclSignatureInvalid");
    const unknown = command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders", AccessKey: "other", Signature: "x" });
    expect(reasonOf(policy, "10.0.0.9", unknown)).toBe("aclSignatureInvalid");
    for (const code of READS) expect(checkRemotingAccess(policy, "10.0.0.9", command(code)).ok).toBe(true);
  });

  it("remoting_access: a node with a cluster secret refuses unsigned writes unless the address is allowed", () => {
    const secured = { ...OPEN, secured: true };
    for (const code of [...BROKER_WRITES, ...ADMIN_WRITES]) expect(reasonOf(secured, "127.0.0.1", command(code))).toBe("aclSignatureMissing");
    for (const code of READS) expect(checkRemotingAccess(secured, "127.0.0.1", command(code)).ok).toBe(true);
    // Without accounts nothing can be signed validly.
    expect(reasonOf(secured, "127.0.0.1", signed(RequestCode.REGISTER_BROKER, {}, BROKER))).toBe("aclSignatureInvalid");
    const lists = { ...secured, brokerAllow: ["10.0.0.2"], adminAllow: ["10.0.0.3"], aclAccounts: [BROKER] };
    expect(checkRemotingAccess(lists, "10.0.0.2", command(RequestCode.REGISTER_BROKER))).toMatchObject({ ok: true, via: "address" });
    expect(reasonOf(lists, "10.0.0.2", command(RequestCode.PUT_KV_CONFIG))).toBe("adminAddressNotAllowed");
    expect(checkRemotingAccess(lists, "10.0.0.3", command(RequestCode.PUT_KV_CONFIG)).ok).toBe(true);
    expect(checkRemotingAccess(lists, "10.0.0.9", signed(RequestCode.BROKER_HEARTBEAT, { brokerName: "b" }, BROKER))).toMatchObject({ ok: true, via: "signature" });
    expect(reasonOf(lists, "10.0.0.9", command(RequestCode.UNREGISTER_BROKER))).toBe("brokerAddressNotAllowed");
  });
});

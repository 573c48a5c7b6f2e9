// Goal: the remoting access policy refuses admin and broker writes from addresses not allowed,
// requires a valid RocketMQ ACL signature on admin writes when accounts are configured, and
// leaves reads and the default (open) policy alone (issue #7).
// Method: checkRemotingAccess on hand-built commands; the signature vector was computed with
// `openssl dgst -sha1 -hmac secret-key-123 -binary | base64` over "ak-1234topicAkv" + 0x01 0x02.
import { describe, expect, it } from "vitest";
import { RequestCode, ResponseCode, SerializeType } from "../protocol/remoting/codes.js";
import type { RemotingCommand } from "../protocol/remoting/frame.js";
import { aclSignature, checkRemotingAccess, type RemotingAccessPolicy } from "./remoting_access.js";

const OPEN: RemotingAccessPolicy = { adminAllow: null, brokerAllow: null, aclAccounts: [] };

function command(code: number, extFields: Record<string, string> = {}, body?: Buffer): RemotingCommand {
  return { code, language: 0, version: 0, opaque: 1, flag: 0, extFields, serializeType: SerializeType.JSON, ...(body === undefined ? {} : { body }) };
}

describe("remoting_access", () => {
  it("remoting_access: the default policy lets everything through", () => {
    expect(checkRemotingAccess(OPEN, "10.0.0.9", command(RequestCode.DELETE_TOPIC_IN_NAMESRV))).toBeNull();
    expect(checkRemotingAccess(OPEN, "10.0.0.9", command(RequestCode.REGISTER_BROKER))).toBeNull();
  });

  it("remoting_access: admin writes only from allowed addresses; reads from anywhere", () => {
    const policy = { ...OPEN, adminAllow: ["10.0.0.1", "::1"] };
    const refused = checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.PUT_KV_CONFIG));
    expect(refused).toMatchObject({ reason: "adminAddressNotAllowed", spec: { code: ResponseCode.NO_PERMISSION } });
    expect(refused?.spec.remark).toContain("10.0.0.9");
    expect(checkRemotingAccess(policy, "10.0.0.1", command(RequestCode.PUT_KV_CONFIG))).toBeNull();
    expect(checkRemotingAccess(policy, "::ffff:10.0.0.1", command(RequestCode.UPDATE_NAMESRV_CONFIG))).toBeNull();
    expect(checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.GET_ROUTEINFO_BY_TOPIC))).toBeNull();
    for (const code of [RequestCode.DELETE_KV_CONFIG, RequestCode.DELETE_TOPIC_IN_NAMESRV, RequestCode.WIPE_WRITE_PERM_OF_BROKER, RequestCode.ADD_WRITE_PERM_OF_BROKER, RequestCode.REGISTER_TOPIC_IN_NAMESRV]) {
      expect(checkRemotingAccess(policy, "10.0.0.9", command(code))?.reason).toBe("adminAddressNotAllowed");
    }
  });

  it("remoting_access: broker writes only from allowed addresses", () => {
    const policy = { ...OPEN, brokerAllow: ["10.0.0.2"] };
    expect(checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.REGISTER_BROKER))?.reason).toBe("brokerAddressNotAllowed");
    expect(checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.BROKER_HEARTBEAT))?.reason).toBe("brokerAddressNotAllowed");
    expect(checkRemotingAccess(policy, "10.0.0.2", command(RequestCode.UNREGISTER_BROKER))).toBeNull();
  });

  it("remoting_access: RocketMQ's ACL signature matches an independent HMAC-SHA1 vector", () => {
    const cmd = command(RequestCode.PUT_KV_CONFIG, { namespace: "kv", key: "topicA", AccessKey: "ak-1234", Signature: "ignored" }, Buffer.from([1, 2]));
    expect(aclSignature(cmd, "secret-key-123")).toBe("ZQicwt5Px2yoJqPs1LuQMSyl47I=");
  });

  it("remoting_access: with ACL accounts, admin writes need a valid signature", () => {
    const policy = { ...OPEN, aclAccounts: [{ accessKey: "ak-1234", secretKey: "secret-key-123" }] };
    const unsigned = command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders" });
    expect(checkRemotingAccess(policy, "10.0.0.9", unsigned)?.reason).toBe("aclSignatureMissing");
    const fields = { topic: "orders", AccessKey: "ak-1234" };
    const signed = command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { ...fields, Signature: aclSignature(command(0, fields), "secret-key-123") });
    expect(checkRemotingAccess(policy, "10.0.0.9", signed)).toBeNull();
    const forged = command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { ...fields, Signature: aclSignature(command(0, fields), "guessed-key") });
    expect(checkRemotingAccess(policy, "10.0.0.9", forged)?.reason).toBe("aclSignatureInvalid");
    const unknown = command(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: "orders", AccessKey: "other", Signature: "x" });
    expect(checkRemotingAccess(policy, "10.0.0.9", unknown)?.reason).toBe("aclSignatureInvalid");
    expect(checkRemotingAccess(policy, "10.0.0.9", command(RequestCode.GET_KV_CONFIG))).toBeNull();
  });
});

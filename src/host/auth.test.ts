// Goal: secrets compare in constant time over any length, peer proofs bind both nonces, both ids
// and the side, and grants follow the token lists (issue #7).
// Method: the Authenticator with fixed secrets; proofs cross-checked between two instances.
import { describe, expect, it } from "vitest";
import type { PeerChallenge } from "../protocol/messages/peer_auth.js";
import { ALL_GRANTS, Authenticator, matchesAny, secretEquals, type AuthConfig } from "./auth.js";

const NONE: AuthConfig = { clusterSecrets: [], brokerTokens: [], adminTokens: [], clientTokens: [], requireClientToken: false };
const CHALLENGE: PeerChallenge = {
  dialerNonce: new Uint8Array(32).fill(1),
  acceptorNonce: new Uint8Array(32).fill(2),
  dialerId: "ns1",
  acceptorId: "ns2",
};

describe("auth", () => {
  it("auth: secretEquals compares any lengths; matchesAny checks the whole list", () => {
    expect(secretEquals("abc", "abc")).toBe(true);
    expect(secretEquals("abc", "abcd")).toBe(false);
    expect(secretEquals("", "x")).toBe(false);
    expect(matchesAny("b", ["a", "b", "c"])).toBe(true);
    expect(matchesAny("d", ["a", "b", "c"])).toBe(false);
    expect(matchesAny("a", [])).toBe(false);
  });

  it("auth: a proof verifies under the same secret and fails under another, the other side or other nonces", () => {
    const a = new Authenticator({ ...NONE, clusterSecrets: ["secret-one-0123456789"] });
    const b = new Authenticator({ ...NONE, clusterSecrets: ["secret-one-0123456789"] });
    const c = new Authenticator({ ...NONE, clusterSecrets: ["secret-two-0123456789"] });
    const proof = a.prove("acceptor", CHALLENGE);
    expect(proof).toHaveLength(32);
    expect(b.verify("acceptor", CHALLENGE, proof)).toBe(true);
    expect(c.verify("acceptor", CHALLENGE, proof)).toBe(false);
    expect(b.verify("dialer", CHALLENGE, proof)).toBe(false);
    expect(b.verify("acceptor", { ...CHALLENGE, dialerNonce: new Uint8Array(32).fill(9) }, proof)).toBe(false);
    expect(b.verify("acceptor", { ...CHALLENGE, acceptorId: "ns3" }, proof)).toBe(false);
    expect(b.verify("acceptor", CHALLENGE, proof.subarray(0, 16))).toBe(false);
  });

  it("auth: proves with the first secret and accepts any (rotation)", () => {
    const rotating = new Authenticator({ ...NONE, clusterSecrets: ["new-secret-0123456789", "old-secret-0123456789"] });
    const old = new Authenticator({ ...NONE, clusterSecrets: ["old-secret-0123456789"] });
    const fresh = new Authenticator({ ...NONE, clusterSecrets: ["new-secret-0123456789"] });
    expect(rotating.verify("dialer", CHALLENGE, old.prove("dialer", CHALLENGE))).toBe(true);
    expect(fresh.verify("dialer", CHALLENGE, rotating.prove("dialer", CHALLENGE))).toBe(true);
    expect(old.verify("dialer", CHALLENGE, rotating.prove("dialer", CHALLENGE))).toBe(false);
  });

  it("auth: nonces are fresh and 32 bytes", () => {
    const auth = new Authenticator(NONE);
    const first = auth.newNonce();
    expect(first).toHaveLength(32);
    expect(Buffer.from(first).equals(Buffer.from(auth.newNonce()))).toBe(false);
    expect(auth.peerAuthRequired).toBe(false);
  });

  it("auth: grants follow the token lists", () => {
    const open = new Authenticator(NONE);
    expect(open.grantsFor("client", null)).toEqual({ ok: true, grants: ALL_GRANTS });
    const tokens = new Authenticator({ ...NONE, brokerTokens: ["b-token-0123456789ab"], adminTokens: ["a-token-0123456789ab"] });
    expect(tokens.grantsFor("client", null)).toEqual({ ok: true, grants: { read: true, broker: false, admin: false }, adminToken: false });
    expect(tokens.grantsFor("broker", "b-token-0123456789ab")).toEqual({ ok: true, grants: { read: true, broker: true, admin: false }, adminToken: false });
    expect(tokens.grantsFor("client", "a-token-0123456789ab")).toEqual({ ok: true, grants: { read: true, broker: false, admin: true }, adminToken: true });
    expect(tokens.grantsFor("broker", null)).toMatchObject({ ok: false, reason: "brokerTokenRequired" });
    expect(tokens.grantsFor("broker", "a-token-0123456789ab")).toMatchObject({ ok: false, reason: "brokerTokenRequired" });
    expect(tokens.grantsFor("client", "nope-0123456789abcdef")).toMatchObject({ ok: false, reason: "tokenInvalid" });
    const adminOnly = new Authenticator({ ...NONE, adminTokens: ["a-token-0123456789ab"] });
    expect(adminOnly.grantsFor("broker", null)).toEqual({ ok: true, grants: { read: true, broker: true, admin: false }, adminToken: false });
    const closed = new Authenticator({ ...NONE, clientTokens: ["c-token-0123456789ab"], requireClientToken: true });
    expect(closed.grantsFor("client", null)).toMatchObject({ ok: false, reason: "tokenRequired" });
    expect(closed.acceptsToken("c-token-0123456789ab")).toBe(true);
    expect(closed.acceptsToken("c-token-0123456789ac")).toBe(false);
  });
});

// Goal: the peer-auth transcripts are unambiguous and side-specific, and HELLO / PEER_AUTH
// decoders accept the new fields and refuse malformed ones without quoting a token.
// Method: pure calls on hand-built bodies.
import { describe, expect, it } from "vitest";
import { decodeHello, decodeHelloResponse } from "./hello.js";
import { decodePeerAuth, peerTranscript, type PeerChallenge } from "./peer_auth.js";

const CHALLENGE: PeerChallenge = {
  dialerNonce: new Uint8Array(32).fill(1),
  acceptorNonce: new Uint8Array(32).fill(2),
  dialerId: "ns1",
  acceptorId: "ns2",
};

describe("peer_auth", () => {
  it("peer_auth: transcripts differ by side, by nonce and by how ids are split", () => {
    const acceptor = Buffer.from(peerTranscript("acceptor", CHALLENGE));
    const dialer = Buffer.from(peerTranscript("dialer", CHALLENGE));
    expect(acceptor.equals(dialer)).toBe(false);
    const shifted = Buffer.from(peerTranscript("acceptor", { ...CHALLENGE, dialerId: "ns1n", acceptorId: "s2" }));
    expect(acceptor.equals(shifted)).toBe(false);
    const otherNonce = Buffer.from(peerTranscript("acceptor", { ...CHALLENGE, acceptorNonce: new Uint8Array(32).fill(3) }));
    expect(acceptor.equals(otherNonce)).toBe(false);
  });

  it("peer_auth: PEER_AUTH needs a 32-byte proof", () => {
    expect(decodePeerAuth({ proof: new Uint8Array(32) }).proof).toHaveLength(32);
    expect(() => decodePeerAuth({})).toThrow("'proof' is required");
    expect(() => decodePeerAuth({ proof: new Uint8Array(31) })).toThrow("must be binary of 32 bytes");
    expect(() => decodePeerAuth({ proof: "x".repeat(32) })).toThrow("must be binary of 32 bytes");
  });

  it("hello: token and nonce are optional; a bad token is refused without quoting it", () => {
    const base = { versionMin: 1, versionMax: 1, role: "peer", nodeId: "ns1" };
    expect(decodeHello(base)).toMatchObject({ token: null, nonce: null });
    expect(decodeHello({ ...base, token: "tok-0123456789abcdef", nonce: new Uint8Array(32) })).toMatchObject({ token: "tok-0123456789abcdef" });
    expect(() => decodeHello({ ...base, token: 12345 })).toThrow("'token' must be a string of 1..1024 chars");
    expect(() => decodeHello({ ...base, nonce: new Uint8Array(8) })).toThrow("'nonce' must be binary of 32 bytes");
    const response = decodeHelloResponse({ version: 1, nodeId: "ns2", ready: true, nonce: new Uint8Array(32), proof: new Uint8Array(32) });
    expect(response.proof).toHaveLength(32);
    expect(decodeHelloResponse({ version: 1, nodeId: "ns2", ready: true })).toEqual({ version: 1, nodeId: "ns2", ready: true });
  });
});

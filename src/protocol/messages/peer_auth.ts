// PEER_AUTH (code 20) and the transcripts of the peer challenge-response (issue #7). Pure: the
// HMAC itself is computed by the shell (src/gossip/peer_auth.ts), over the bytes built here.
// Exchange, each side holding the cluster secret S (a list during rotation; prove with the first):
//   dialer   -> HELLO {role: "peer", nodeId: D, nonce: nD}
//   acceptor -> HELLO response {nodeId: A, nonce: nA, proof: HMAC(S, transcript("acceptor", nD, nA, D, A))}
//   dialer   -> PEER_AUTH {proof: HMAC(S, transcript("dialer", nA, nD, D, A))}
//   acceptor -> PEER_AUTH response {} (or UNAUTHORIZED and close)
// Each proof covers the other side's fresh nonce, so a recorded proof is useless on a new
// connection; the label keeps one side's proof from being reflected as the other's.
// Wire, v1: request {proof: bin(32)}; response {}.
import { fieldsOf } from "../validate.js";
import { PEER_PROOF_BYTES, optBytes } from "./hello.js";
import { InvalidArgumentError } from "../../errors.js";

/** Which side a proof speaks for. */
export type PeerAuthSide = "acceptor" | "dialer";

/** PEER_AUTH request body. */
export interface PeerAuthRequest {
  readonly proof: Uint8Array;
}

/** Validates a PEER_AUTH request body. */
export function decodePeerAuth(body: unknown): PeerAuthRequest {
  const proof = optBytes(fieldsOf(body, "peer auth"), "proof", PEER_PROOF_BYTES);
  if (proof === null) throw new InvalidArgumentError(`'proof' is required: binary of ${PEER_PROOF_BYTES} bytes`);
  return { proof };
}

/** The inputs a proof binds: both nonces and both node ids. */
export interface PeerChallenge {
  readonly dialerNonce: Uint8Array;
  readonly acceptorNonce: Uint8Array;
  readonly dialerId: string;
  readonly acceptorId: string;
}

/**
 * The bytes one side's proof is computed over: a version tag, the side's label, then the
 * other side's nonce first, each part length-prefixed (2 bytes) so no two inputs collide.
 */
export function peerTranscript(side: PeerAuthSide, challenge: PeerChallenge): Uint8Array {
  const encoder = new TextEncoder();
  const first = side === "acceptor" ? challenge.dialerNonce : challenge.acceptorNonce;
  const second = side === "acceptor" ? challenge.acceptorNonce : challenge.dialerNonce;
  const parts = [
    encoder.encode("gossip-namesrv peer auth v1"),
    encoder.encode(side),
    first,
    second,
    encoder.encode(challenge.dialerId),
    encoder.encode(challenge.acceptorId),
  ];
  const total = parts.reduce((sum, part) => sum + 2 + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out[offset] = (part.length >> 8) & 0xff;
    out[offset + 1] = part.length & 0xff;
    out.set(part, offset + 2);
    offset += 2 + part.length;
  }
  return out;
}

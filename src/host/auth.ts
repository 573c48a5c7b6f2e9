// Who may do what on the native port (issue #7): token checks in constant time, the grants a
// HELLO earns, and the HMAC proofs of the peer challenge-response. Shell code: node:crypto lives
// here, never in the core or the codecs. Secrets and tokens are never logged or quoted.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Config } from "../config/config.js";
import { PEER_NONCE_BYTES } from "../limits.js";
import type { Role } from "../protocol/messages/hello.js";
import { peerTranscript, type PeerAuthSide, type PeerChallenge } from "../protocol/messages/peer_auth.js";

/** What a connection may do, decided once at its hello. */
export interface Grants {
  /** Queries and subscriptions. */
  readonly read: boolean;
  /** REGISTER_BROKER, HEARTBEAT, UNREGISTER_BROKER. */
  readonly broker: boolean;
  /** KV_PUT, KV_DELETE, DELETE_TOPIC, WIPE_WRITE_PERM, ADD_WRITE_PERM. */
  readonly admin: boolean;
}

/** One permission a request needs. */
export type Permission = keyof Grants;

/** Every grant: no tokens are configured, or an authenticated peer. */
export const ALL_GRANTS: Grants = Object.freeze({ read: true, broker: true, admin: true });

/** Why a hello or request was refused, as counted in metrics (label `reason`). */
export type AuthRefusalReason =
  | "tokenInvalid"
  | "tokenRequired"
  | "brokerTokenRequired"
  | "brokerRequired"
  | "adminRequired"
  | "peerNonceMissing"
  | "peerProofInvalid"
  | "peerProofMissing"
  | "peerAuthMissing"
  | "peerCertificateMissing";

/** The outcome of checking a hello's token. */
export type GrantDecision =
  /** `adminToken`: the hello carried a valid admin token (an authenticated admin, not an open cluster). */
  | { readonly ok: true; readonly grants: Grants; readonly adminToken?: boolean }
  | { readonly ok: false; readonly reason: AuthRefusalReason; readonly message: string };

/** Compares two secrets in constant time, whatever their lengths (both are hashed first). */
export function secretEquals(candidate: string, secret: string): boolean {
  const a = createHash("sha256").update(candidate, "utf8").digest();
  const b = createHash("sha256").update(secret, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** True when `candidate` equals any secret; every entry is compared (no early exit). */
export function matchesAny(candidate: string, secrets: readonly string[]): boolean {
  let found = false;
  for (const secret of secrets) found = secretEquals(candidate, secret) || found;
  return found;
}

/** The parts of Config authentication reads. */
export type AuthConfig = Pick<Config, "clusterSecrets" | "brokerTokens" | "adminTokens" | "clientTokens" | "requireClientToken">;

/** Decides grants from tokens and makes and checks peer proofs. */
export class Authenticator {
  constructor(private readonly config: AuthConfig) {}

  /** True when peers must pass the challenge-response (a cluster secret is configured). */
  get peerAuthRequired(): boolean {
    return this.config.clusterSecrets.length > 0;
  }

  /** True when any token list is configured. */
  get tokensConfigured(): boolean {
    const { brokerTokens, adminTokens, clientTokens } = this.config;
    return brokerTokens.length + adminTokens.length + clientTokens.length > 0;
  }

  /** A fresh challenge nonce. */
  newNonce(): Uint8Array {
    return new Uint8Array(randomBytes(PEER_NONCE_BYTES));
  }

  /** This side's proof, made with the current (first) secret. */
  prove(side: PeerAuthSide, challenge: PeerChallenge): Uint8Array {
    const secret = this.config.clusterSecrets[0];
    if (secret === undefined) throw new Error("prove() needs a cluster secret");
    return new Uint8Array(hmac(secret, peerTranscript(side, challenge)));
  }

  /** True when `proof` is the other side's proof under any configured secret (rotation). */
  verify(side: PeerAuthSide, challenge: PeerChallenge, proof: Uint8Array): boolean {
    const transcript = peerTranscript(side, challenge);
    let found = false;
    for (const secret of this.config.clusterSecrets) {
      const expected = hmac(secret, transcript);
      found = (expected.length === proof.length && timingSafeEqual(expected, proof)) || found;
    }
    return found;
  }

  /** True when `token` is any configured client, broker or admin token. */
  acceptsToken(token: string): boolean {
    const { brokerTokens, adminTokens, clientTokens } = this.config;
    return matchesAny(token, [...clientTokens, ...brokerTokens, ...adminTokens]);
  }

  /** The grants of a non-peer hello, or why it is refused. */
  grantsFor(role: Exclude<Role, "peer">, token: string | null): GrantDecision {
    const { brokerTokens, adminTokens, clientTokens, requireClientToken } = this.config;
    if (!this.tokensConfigured) return { ok: true, grants: ALL_GRANTS };
    const isBroker = token !== null && matchesAny(token, brokerTokens);
    const isAdmin = token !== null && matchesAny(token, adminTokens);
    const isClient = token !== null && matchesAny(token, clientTokens);
    if (token !== null && !isBroker && !isAdmin && !isClient) {
      return { ok: false, reason: "tokenInvalid", message: "the token in the hello is not accepted by this node" };
    }
    if (role === "broker" && brokerTokens.length > 0 && !isBroker) {
      return { ok: false, reason: "brokerTokenRequired", message: "role 'broker' needs a broker token in the hello (--token-file)" };
    }
    if (requireClientToken && token === null) {
      return { ok: false, reason: "tokenRequired", message: "this node requires a token in the hello (--token-file)" };
    }
    return {
      ok: true,
      grants: { read: true, broker: brokerTokens.length === 0 || isBroker, admin: adminTokens.length === 0 || isAdmin },
      adminToken: isAdmin,
    };
  }
}

function hmac(secret: string, data: Uint8Array): Buffer {
  return createHmac("sha256", secret).update(data).digest();
}

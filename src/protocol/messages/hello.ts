// HELLO (code 1): the first request on every native connection; negotiates the version and
// carries the credentials the role is decided on (a token; a peer's challenge nonce).
// Wire, v1: request {versionMin: int, versionMax: int, role: "client"|"broker"|"peer",
//   nodeId?: string, advertiseAddr?: string, token?: string, nonce?: bin(32), features?: [string]};
//   response {version: int, nodeId: string, ready: bool, nonce?: bin(32), proof?: bin(32),
//   features?: [string]}.
// History: token, nonce and proof were added for peer authentication (issue #7); a node that
// does not know them ignores them, so old and new nodes still talk while no secret is set.
// features (peer hellos and their answers) were added with PEER_HEARD and the root-only digest:
// what the sender understands (PeerFeature); names a receiver does not know are ignored, and a
// peer whose hello or answer lacks a feature is sent nothing that needs it.
import { InvalidArgumentError } from "../../errors.js";
import { PEER_NONCE_BYTES, SECRET_CHARS_MAX } from "../../limits.js";
import { fieldsOf, int, optStr, str, type Fields } from "../validate.js";

/**
 * Peer capabilities a hello announces (append-only: the names are the protocol). `heard`: takes
 * PEER_HEARD (compact liveness evidence); `rootDigest`: takes a PEER_DIGEST with the root alone;
 * `snapshotPages`: takes a snapshot in pages (a PEER_PULL with `more`, each next page asked for).
 */
export const PeerFeature = { HEARD: "heard", ROOT_DIGEST: "rootDigest", SNAPSHOT_PAGES: "snapshotPages" } as const;
export type PeerFeature = (typeof PeerFeature)[keyof typeof PeerFeature];
/** Every feature this build has: what its peer hellos and their answers announce. */
export const PEER_FEATURES: readonly PeerFeature[] = Object.freeze(Object.values(PeerFeature));
/** Feature names one hello may carry: room for later features, still a small bound on input. */
export const HELLO_FEATURES_MAX = 32;
/** Characters of one feature name. */
export const FEATURE_NAME_CHARS_MAX = 32;
const FEATURE_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Who is on the other end of a connection. */
export type Role = "client" | "broker" | "peer";
const ROLES: readonly Role[] = ["client", "broker", "peer"];

/** Bytes of an HMAC-SHA256 proof. */
export const PEER_PROOF_BYTES = 32;

/** HELLO request body. */
export interface HelloRequest {
  readonly versionMin: number;
  readonly versionMax: number;
  readonly role: Role;
  /** A peer's node id (role "peer" only). */
  readonly nodeId: string | null;
  /** A peer's advertised "host:port" for others to dial (role "peer" only). */
  readonly advertiseAddr: string | null;
  /** A broker, admin or client token (not for peers); never logged. */
  readonly token: string | null;
  /** A peer dialer's challenge nonce (role "peer", when the cluster has a secret). */
  readonly nonce: Uint8Array | null;
  /** The features a peer announced that this node knows (none from a peer before them). */
  readonly features: readonly PeerFeature[];
}

/** HELLO response body. */
export interface HelloResponse {
  readonly version: number;
  readonly nodeId: string;
  readonly ready: boolean;
  /** The acceptor's challenge nonce (peer hellos with a nonce only). */
  readonly nonce?: Uint8Array;
  /** The acceptor's proof: HMAC(secret, acceptor transcript) (peer hellos with a nonce only). */
  readonly proof?: Uint8Array;
  /** The acceptor's features (answers to peer hellos); decoded: the known ones, absent when none. */
  readonly features?: readonly PeerFeature[];
}

/** Validates a HELLO request body. */
export function decodeHello(body: unknown): HelloRequest {
  const fields = fieldsOf(body, "hello");
  const versionMin = int(fields, "versionMin", 1, 0xffff);
  const versionMax = int(fields, "versionMax", versionMin, 0xffff);
  const role = str(fields, "role", 16) as Role;
  if (!ROLES.includes(role)) throw InvalidArgumentError.format("role", `must be one of ${ROLES.join(", ")}`, role);
  const token = fields["token"];
  if (token !== undefined && token !== null && (typeof token !== "string" || token.length < 1 || token.length > SECRET_CHARS_MAX)) {
    // The value is never quoted: it may be a mistyped secret.
    throw new InvalidArgumentError(`'token' must be a string of 1..${SECRET_CHARS_MAX} chars`);
  }
  return {
    versionMin,
    versionMax,
    role,
    nodeId: optStr(fields, "nodeId", 64),
    advertiseAddr: optStr(fields, "advertiseAddr", 261),
    token: typeof token === "string" ? token : null,
    nonce: optBytes(fields, "nonce", PEER_NONCE_BYTES),
    features: decodeFeatures(fields),
  };
}

/** Validates a HELLO response body (client side). */
export function decodeHelloResponse(body: unknown): HelloResponse {
  const fields = fieldsOf(body, "hello response");
  const ready = fields["ready"];
  if (typeof ready !== "boolean") throw InvalidArgumentError.format("ready", "must be a boolean", ready);
  const nonce = optBytes(fields, "nonce", PEER_NONCE_BYTES);
  const proof = optBytes(fields, "proof", PEER_PROOF_BYTES);
  const features = decodeFeatures(fields);
  return {
    version: int(fields, "version", 1, 0xffff),
    nodeId: str(fields, "nodeId", 64),
    ready,
    ...(nonce === null ? {} : { nonce }),
    ...(proof === null ? {} : { proof }),
    ...(features.length === 0 ? {} : { features }),
  };
}

/**
 * The optional `features` list: at most HELLO_FEATURES_MAX names of 1..FEATURE_NAME_CHARS_MAX
 * chars of [A-Za-z0-9_.-]. Names this node does not know are dropped (a later node announces more).
 */
function decodeFeatures(fields: Fields): readonly PeerFeature[] {
  const value = fields["features"];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw InvalidArgumentError.format("features", "must be an array of strings", value);
  if (value.length > HELLO_FEATURES_MAX) {
    throw InvalidArgumentError.format("features", `must have at most ${HELLO_FEATURES_MAX} items`, `${value.length} items`);
  }
  const known = new Set<PeerFeature>();
  value.forEach((name: unknown, index) => {
    if (typeof name !== "string" || name.length < 1 || name.length > FEATURE_NAME_CHARS_MAX || !FEATURE_NAME_PATTERN.test(name)) {
      throw InvalidArgumentError.format(`features[${index}]`, `must be 1..${FEATURE_NAME_CHARS_MAX} chars of [A-Za-z0-9_.-]`, name);
    }
    if ((PEER_FEATURES as readonly string[]).includes(name)) known.add(name as PeerFeature);
  });
  return [...known];
}

/** An optional binary field of exactly `bytes` bytes. */
export function optBytes(fields: Fields, field: string, bytes: number): Uint8Array | null {
  const value = fields[field];
  if (value === undefined || value === null) return null;
  if (!(value instanceof Uint8Array) || value.length !== bytes) {
    throw InvalidArgumentError.format(field, `must be binary of ${bytes} bytes`, value);
  }
  return value;
}

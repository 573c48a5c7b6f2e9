// HELLO (code 1): the first request on every native connection; negotiates the version.
// Wire, v1: request {versionMin: int, versionMax: int, role: "client"|"broker"|"peer",
//   nodeId?: string, clusterId?: string}; response {version: int, nodeId: string, ready: bool}.
import { InvalidArgumentError } from "../../errors.js";
import { fieldsOf, int, optStr, str } from "../validate.js";

/** Who is on the other end of a connection. */
export type Role = "client" | "broker" | "peer";
const ROLES: readonly Role[] = ["client", "broker", "peer"];

/** HELLO request body. */
export interface HelloRequest {
  readonly versionMin: number;
  readonly versionMax: number;
  readonly role: Role;
  /** A peer's node id (role "peer" only). */
  readonly nodeId: string | null;
  /** A peer's advertised "host:port" for others to dial (role "peer" only). */
  readonly advertiseAddr: string | null;
}

/** HELLO response body. */
export interface HelloResponse {
  readonly version: number;
  readonly nodeId: string;
  readonly ready: boolean;
}

/** Validates a HELLO request body. */
export function decodeHello(body: unknown): HelloRequest {
  const fields = fieldsOf(body, "hello");
  const versionMin = int(fields, "versionMin", 1, 0xffff);
  const versionMax = int(fields, "versionMax", versionMin, 0xffff);
  const role = str(fields, "role", 16) as Role;
  if (!ROLES.includes(role)) throw InvalidArgumentError.format("role", `must be one of ${ROLES.join(", ")}`, role);
  return {
    versionMin,
    versionMax,
    role,
    nodeId: optStr(fields, "nodeId", 64),
    advertiseAddr: optStr(fields, "advertiseAddr", 261),
  };
}

/** Validates a HELLO response body (client side). */
export function decodeHelloResponse(body: unknown): HelloResponse {
  const fields = fieldsOf(body, "hello response");
  const ready = fields["ready"];
  if (typeof ready !== "boolean") throw InvalidArgumentError.format("ready", "must be a boolean", ready);
  return { version: int(fields, "version", 1, 0xffff), nodeId: str(fields, "nodeId", 64), ready };
}

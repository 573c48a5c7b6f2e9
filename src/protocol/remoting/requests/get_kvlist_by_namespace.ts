// GET_KVLIST_BY_NAMESPACE (219): every KV entry of one namespace.
// Wire grammar:
//   request:  ext namespace*; no body
//   response: 0 SUCCESS, body KVTable {"table":{k:v}}
//             22 QUERY_NOT_FOUND remark "No config item, Namespace: <ns>"
import { RequestCode, ResponseCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type KVTable, encodeKVTable } from "../bodies.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 219. */
export const GET_KVLIST_BY_NAMESPACE_CODE = RequestCode.GET_KVLIST_BY_NAMESPACE;

/** Header of GET_KVLIST_BY_NAMESPACE; `*` fields in the grammar are required (@CFNotNull). */
export interface GetKvListByNamespaceHeader {
  namespace: string;
}

/** Reads the GET_KVLIST_BY_NAMESPACE header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeGetKvListByNamespaceHeader(ext: Readonly<Record<string, string>>): DecodeResult<GetKvListByNamespaceHeader> {
  return readHeader(ext, (r) => {
    const header: GetKvListByNamespaceHeader = {
      namespace: r.requiredString("namespace"),
    };
    return header;
  });
}

/** A decoded GET_KVLIST_BY_NAMESPACE request. */
export interface GetKvListByNamespaceRequest {
  kind: "getKvListByNamespace";
  header: GetKvListByNamespaceHeader;
}

/** Decodes a GET_KVLIST_BY_NAMESPACE request command. */
export function decodeGetKvListByNamespace(cmd: RemotingCommand): DecodeResult<GetKvListByNamespaceRequest> {
  return decodeHeaderOnly(cmd, "getKvListByNamespace", decodeGetKvListByNamespaceHeader);
}

/** SUCCESS with a KVTable body. */
export function getKvListByNamespaceSuccess(table: KVTable): ResponseSpec {
  return successSpec(undefined, encodeKVTable(table));
}

/** QUERY_NOT_FOUND with Java's remark. */
export function getKvListByNamespaceNotFound(header: GetKvListByNamespaceHeader): ResponseSpec {
  return { code: ResponseCode.QUERY_NOT_FOUND, remark: `No config item, Namespace: ${header.namespace}` };
}

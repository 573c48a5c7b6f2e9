// DELETE_KV_CONFIG (102): delete one KV config entry.
// Wire grammar:
//   request:  ext namespace* key*; no body
//   response: 0 SUCCESS (also when nothing was deleted), no body
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 102. */
export const DELETE_KV_CONFIG_CODE = RequestCode.DELETE_KV_CONFIG;

/** Header of DELETE_KV_CONFIG; `*` fields in the grammar are required (@CFNotNull). */
export interface DeleteKvConfigHeader {
  namespace: string;
  key: string;
}

/** Reads the DELETE_KV_CONFIG header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeDeleteKvConfigHeader(ext: Readonly<Record<string, string>>): DecodeResult<DeleteKvConfigHeader> {
  return readHeader(ext, (r) => {
    const header: DeleteKvConfigHeader = {
      namespace: r.requiredString("namespace"),
      key: r.requiredString("key"),
    };
    return header;
  });
}

/** A decoded DELETE_KV_CONFIG request. */
export interface DeleteKvConfigRequest {
  kind: "deleteKvConfig";
  header: DeleteKvConfigHeader;
}

/** Decodes a DELETE_KV_CONFIG request command. */
export function decodeDeleteKvConfig(cmd: RemotingCommand): DecodeResult<DeleteKvConfigRequest> {
  return decodeHeaderOnly(cmd, "deleteKvConfig", decodeDeleteKvConfigHeader);
}

/** SUCCESS, no body. */
export function deleteKvConfigSuccess(): ResponseSpec {
  return successSpec();
}

// PUT_KV_CONFIG (100): store one KV config entry (namespace, key) -> value.
// Wire grammar:
//   request:  ext namespace* key* value*; no body
//   response: 0 SUCCESS, no body
//             1 SYSTEM_ERROR "namespace or key is null" (unreachable: a missing field fails first)
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 100. */
export const PUT_KV_CONFIG_CODE = RequestCode.PUT_KV_CONFIG;

/** Header of PUT_KV_CONFIG; `*` fields in the grammar are required (@CFNotNull). */
export interface PutKvConfigHeader {
  namespace: string;
  key: string;
  value: string;
}

/** Reads the PUT_KV_CONFIG header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodePutKvConfigHeader(ext: Readonly<Record<string, string>>): DecodeResult<PutKvConfigHeader> {
  return readHeader(ext, (r) => {
    const header: PutKvConfigHeader = {
      namespace: r.requiredString("namespace"),
      key: r.requiredString("key"),
      value: r.requiredString("value"),
    };
    return header;
  });
}

/** A decoded PUT_KV_CONFIG request. */
export interface PutKvConfigRequest {
  kind: "putKvConfig";
  header: PutKvConfigHeader;
}

/** Decodes a PUT_KV_CONFIG request command. */
export function decodePutKvConfig(cmd: RemotingCommand): DecodeResult<PutKvConfigRequest> {
  return decodeHeaderOnly(cmd, "putKvConfig", decodePutKvConfigHeader);
}

/** SUCCESS, no body. */
export function putKvConfigSuccess(): ResponseSpec {
  return successSpec();
}

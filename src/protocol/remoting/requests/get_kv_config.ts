// GET_KV_CONFIG (101): read one KV config value.
// Wire grammar:
//   request:  ext namespace* key*; no body
//   response: 0 SUCCESS, ext value; no body
//             22 QUERY_NOT_FOUND remark "No config item, Namespace: <ns> Key: <key>"
import { RequestCode, ResponseCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 101. */
export const GET_KV_CONFIG_CODE = RequestCode.GET_KV_CONFIG;

/** Header of GET_KV_CONFIG; `*` fields in the grammar are required (@CFNotNull). */
export interface GetKvConfigHeader {
  namespace: string;
  key: string;
}

/** Reads the GET_KV_CONFIG header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeGetKvConfigHeader(ext: Readonly<Record<string, string>>): DecodeResult<GetKvConfigHeader> {
  return readHeader(ext, (r) => {
    const header: GetKvConfigHeader = {
      namespace: r.requiredString("namespace"),
      key: r.requiredString("key"),
    };
    return header;
  });
}

/** A decoded GET_KV_CONFIG request. */
export interface GetKvConfigRequest {
  kind: "getKvConfig";
  header: GetKvConfigHeader;
}

/** Decodes a GET_KV_CONFIG request command. */
export function decodeGetKvConfig(cmd: RemotingCommand): DecodeResult<GetKvConfigRequest> {
  return decodeHeaderOnly(cmd, "getKvConfig", decodeGetKvConfigHeader);
}

/** SUCCESS with ext `value`. */
export function getKvConfigSuccess(value: string): ResponseSpec {
  return successSpec({ value });
}

/** QUERY_NOT_FOUND with Java's remark. */
export function getKvConfigNotFound(header: GetKvConfigHeader): ResponseSpec {
  return {
    code: ResponseCode.QUERY_NOT_FOUND,
    remark: `No config item, Namespace: ${header.namespace} Key: ${header.key}`,
  };
}

// GET_NAMESRV_CONFIG (319): the name server's configuration as properties text.
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body UTF-8 "key=value\n" lines sorted by key
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { formatProperties } from "../properties.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 319. */
export const GET_NAMESRV_CONFIG_CODE = RequestCode.GET_NAMESRV_CONFIG;

/** A decoded GET_NAMESRV_CONFIG request. */
export interface GetNamesrvConfigRequest {
  kind: "getNamesrvConfig";
  header: EmptyHeader;
}

/** Decodes a GET_NAMESRV_CONFIG request command. */
export function decodeGetNamesrvConfig(_cmd: RemotingCommand): DecodeResult<GetNamesrvConfigRequest> {
  return decodeEmpty("getNamesrvConfig");
}

/** SUCCESS with the properties text body (sorted `key=value` lines). */
export function getNamesrvConfigSuccess(config: ReadonlyMap<string, string>): ResponseSpec {
  return successSpec(undefined, Buffer.from(formatProperties(config), "utf8"));
}

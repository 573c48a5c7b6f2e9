// UPDATE_NAMESRV_CONFIG (318): change name-server options at run time.
// Wire grammar:
//   request:  no ext fields; body Java-properties text, UTF-8 (absent/empty = no change)
//   response: 0 SUCCESS, no body
//             16 NO_PERMISSION "Can not update config in black list."
//             1 SYSTEM_ERROR "string2Properties error"
import { RequestCode, ResponseCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { parseProperties } from "../properties.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, readBody } from "./header.js";

/** Request code 318. */
export const UPDATE_NAMESRV_CONFIG_CODE = RequestCode.UPDATE_NAMESRV_CONFIG;

/** Keys UPDATE_NAMESRV_CONFIG may never change, before the configBlackList option is added. */
export const CONFIG_BLACKLIST_FIXED: readonly string[] = ["configBlackList", "configStorePath", "kvConfigPath", "rocketmqHome"];
/** Default of the `configBlackList` option (`;`-separated). */
export const CONFIG_BLACKLIST_DEFAULT = "configBlackList;configStorePath;kvConfigPath";

/** A decoded UPDATE_NAMESRV_CONFIG request; empty `properties` means no change. */
export interface UpdateNamesrvConfigRequest {
  kind: "updateNamesrvConfig";
  header: EmptyHeader;
  properties: Map<string, string>;
}

/** Decodes the properties body; a malformed body gives SYSTEM_ERROR "string2Properties error". */
export function decodeUpdateNamesrvConfig(cmd: RemotingCommand): DecodeResult<UpdateNamesrvConfigRequest> {
  const body = readBody(
    () => (cmd.body === undefined ? new Map<string, string>() : parseProperties(cmd.body.toString("utf8"))),
    "string2Properties error",
  );
  if (!body.ok) return body;
  return { ok: true, value: { kind: "updateNamesrvConfig", header: {}, properties: body.value } };
}

/** The first key of `properties` that the blacklist forbids, or undefined. */
export function findBlacklistedKey(
  properties: ReadonlyMap<string, string>,
  configBlackList: string = CONFIG_BLACKLIST_DEFAULT,
): string | undefined {
  const blacklist = new Set([...CONFIG_BLACKLIST_FIXED, ...configBlackList.split(";").map((k) => k.trim())]);
  return [...properties.keys()].find((key) => blacklist.has(key));
}

/** SUCCESS, no body. */
export function updateNamesrvConfigSuccess(): ResponseSpec {
  return successSpec();
}

/** NO_PERMISSION "Can not update config in black list." */
export function updateNamesrvConfigBlacklisted(): ResponseSpec {
  return { code: ResponseCode.NO_PERMISSION, remark: "Can not update config in black list." };
}

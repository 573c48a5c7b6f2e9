// QUERY_DATA_VERSION (322): has this broker's DataVersion changed? Also refreshes liveness.
// Wire grammar:
//   request:  ext brokerName* brokerAddr* clusterName* brokerId*(long); body DataVersion JSON
//   response: 0 SUCCESS, ext changed ("true"/"false"); body the stored DataVersion, if known
import { type DataVersion, decodeDataVersion, encodeDataVersion } from "../bodies.js";
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, readBody, readHeader } from "./header.js";

/** Request code 322. */
export const QUERY_DATA_VERSION_CODE = RequestCode.QUERY_DATA_VERSION;

/** Header of QUERY_DATA_VERSION. */
export interface QueryDataVersionHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  brokerId: number;
}

/** Reads the QUERY_DATA_VERSION header; a missing required field gives SYSTEM_ERROR. */
export function decodeQueryDataVersionHeader(ext: Readonly<Record<string, string>>): DecodeResult<QueryDataVersionHeader> {
  return readHeader(ext, (r) => ({
    brokerName: r.requiredString("brokerName"),
    brokerAddr: r.requiredString("brokerAddr"),
    clusterName: r.requiredString("clusterName"),
    brokerId: r.requiredInteger("brokerId", 64),
  }));
}

/** A decoded QUERY_DATA_VERSION request. */
export interface QueryDataVersionRequest {
  kind: "queryDataVersion";
  header: QueryDataVersionHeader;
  dataVersion: DataVersion;
}

/** Decodes a QUERY_DATA_VERSION request; a missing or malformed body gives SYSTEM_ERROR. */
export function decodeQueryDataVersion(cmd: RemotingCommand): DecodeResult<QueryDataVersionRequest> {
  const header = decodeQueryDataVersionHeader(cmd.extFields);
  if (!header.ok) return header;
  const body = readBody(() => decodeDataVersion(cmd.body));
  if (!body.ok) return body;
  return { ok: true, value: { kind: "queryDataVersion", header: header.value, dataVersion: body.value } };
}

/** SUCCESS with ext `changed` and, when the broker is known, its stored DataVersion as body. */
export function queryDataVersionSuccess(changed: boolean, stored?: DataVersion): ResponseSpec {
  return successSpec({ changed: changed ? "true" : "false" }, stored === undefined ? undefined : encodeDataVersion(stored));
}

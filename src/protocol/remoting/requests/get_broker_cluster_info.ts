// GET_BROKER_CLUSTER_INFO (106): the whole cluster table.
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body ClusterInfo JSON, always legacy (unquoted broker ids)
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ClusterInfo, encodeClusterInfo } from "../bodies.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 106. */
export const GET_BROKER_CLUSTER_INFO_CODE = RequestCode.GET_BROKER_CLUSTER_INFO;

/** A decoded GET_BROKER_CLUSTER_INFO request. */
export interface GetBrokerClusterInfoRequest {
  kind: "getBrokerClusterInfo";
  header: EmptyHeader;
}

/** Decodes a GET_BROKER_CLUSTER_INFO request command. */
export function decodeGetBrokerClusterInfo(_cmd: RemotingCommand): DecodeResult<GetBrokerClusterInfoRequest> {
  return decodeEmpty("getBrokerClusterInfo");
}

/** SUCCESS with a ClusterInfo body in the legacy encoding, as Java always sends it. */
export function getBrokerClusterInfoSuccess(info: ClusterInfo): ResponseSpec {
  return successSpec(undefined, encodeClusterInfo(info, "legacy"));
}

// GET_BROKER_MEMBER_GROUP (901): the addresses of one broker group.
// Wire grammar:
//   request:  ext clusterName* brokerName*; no body
//   response: 0 SUCCESS, body {"brokerMemberGroup":{"brokerAddrs":{0:".."},"brokerName":"..","cluster":".."}} (legacy)
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeBrokerMemberGroup } from "../bodies.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 901. */
export const GET_BROKER_MEMBER_GROUP_CODE = RequestCode.GET_BROKER_MEMBER_GROUP;

/** Header of GET_BROKER_MEMBER_GROUP; `*` fields in the grammar are required (@CFNotNull). */
export interface GetBrokerMemberGroupHeader {
  clusterName: string;
  brokerName: string;
}

/** Reads the GET_BROKER_MEMBER_GROUP header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeGetBrokerMemberGroupHeader(ext: Readonly<Record<string, string>>): DecodeResult<GetBrokerMemberGroupHeader> {
  return readHeader(ext, (r) => {
    const header: GetBrokerMemberGroupHeader = {
      clusterName: r.requiredString("clusterName"),
      brokerName: r.requiredString("brokerName"),
    };
    return header;
  });
}

/** A decoded GET_BROKER_MEMBER_GROUP request. */
export interface GetBrokerMemberGroupRequest {
  kind: "getBrokerMemberGroup";
  header: GetBrokerMemberGroupHeader;
}

/** Decodes a GET_BROKER_MEMBER_GROUP request command. */
export function decodeGetBrokerMemberGroup(cmd: RemotingCommand): DecodeResult<GetBrokerMemberGroupRequest> {
  return decodeHeaderOnly(cmd, "getBrokerMemberGroup", decodeGetBrokerMemberGroupHeader);
}

/**
 * SUCCESS with a GetBrokerMemberGroupResponseBody. `cluster` and `brokerName` come from the
 * request; an unknown broker gives empty `brokerAddrs`.
 */
export function getBrokerMemberGroupSuccess(header: GetBrokerMemberGroupHeader, brokerAddrs: ReadonlyMap<number, string>): ResponseSpec {
  return successSpec(undefined, encodeBrokerMemberGroup({ cluster: header.clusterName, brokerName: header.brokerName, brokerAddrs }));
}

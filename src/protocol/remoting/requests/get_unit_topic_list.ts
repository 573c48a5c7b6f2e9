// GET_UNIT_TOPIC_LIST (311): topics whose first QueueData has the unit flag (1).
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body TopicList
//             1 SYSTEM_ERROR "disable" when enableTopicList=false
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 311. */
export const GET_UNIT_TOPIC_LIST_CODE = RequestCode.GET_UNIT_TOPIC_LIST;

/** A decoded GET_UNIT_TOPIC_LIST request. */
export interface GetUnitTopicListRequest {
  kind: "getUnitTopicList";
  header: EmptyHeader;
}

/** Decodes a GET_UNIT_TOPIC_LIST request command. */
export function decodeGetUnitTopicList(_cmd: RemotingCommand): DecodeResult<GetUnitTopicListRequest> {
  return decodeEmpty("getUnitTopicList");
}

/** SUCCESS with a TopicList body. */
export function getUnitTopicListSuccess(topics: readonly string[]): ResponseSpec {
  return successSpec(undefined, encodeTopicList({ topicList: [...topics] }));
}

/** SYSTEM_ERROR "disable": the name server's `enableTopicList` switch is off. */
export function getUnitTopicListDisabled(): ResponseSpec {
  return systemErrorSpec("disable");
}

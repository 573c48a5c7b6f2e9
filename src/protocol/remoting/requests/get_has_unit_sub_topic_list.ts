// GET_HAS_UNIT_SUB_TOPIC_LIST (312): topics whose first QueueData has the unit-sub flag (2).
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body TopicList
//             1 SYSTEM_ERROR "disable" when enableTopicList=false
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 312. */
export const GET_HAS_UNIT_SUB_TOPIC_LIST_CODE = RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST;

/** A decoded GET_HAS_UNIT_SUB_TOPIC_LIST request. */
export interface GetHasUnitSubTopicListRequest {
  kind: "getHasUnitSubTopicList";
  header: EmptyHeader;
}

/** Decodes a GET_HAS_UNIT_SUB_TOPIC_LIST request command. */
export function decodeGetHasUnitSubTopicList(_cmd: RemotingCommand): DecodeResult<GetHasUnitSubTopicListRequest> {
  return decodeEmpty("getHasUnitSubTopicList");
}

/** SUCCESS with a TopicList body. */
export function getHasUnitSubTopicListSuccess(topics: readonly string[]): ResponseSpec {
  return successSpec(undefined, encodeTopicList({ topicList: [...topics] }));
}

/** SYSTEM_ERROR "disable": the name server's `enableTopicList` switch is off. */
export function getHasUnitSubTopicListDisabled(): ResponseSpec {
  return systemErrorSpec("disable");
}

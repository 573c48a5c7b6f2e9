// GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST (313): topics whose first QueueData has unit-sub but not unit.
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body TopicList
//             1 SYSTEM_ERROR "disable" when enableTopicList=false
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 313. */
export const GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST_CODE = RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST;

/** A decoded GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST request. */
export interface GetHasUnitSubUnunitTopicListRequest {
  kind: "getHasUnitSubUnunitTopicList";
  header: EmptyHeader;
}

/** Decodes a GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST request command. */
export function decodeGetHasUnitSubUnunitTopicList(_cmd: RemotingCommand): DecodeResult<GetHasUnitSubUnunitTopicListRequest> {
  return decodeEmpty("getHasUnitSubUnunitTopicList");
}

/** SUCCESS with a TopicList body. */
export function getHasUnitSubUnunitTopicListSuccess(topics: readonly string[]): ResponseSpec {
  return successSpec(undefined, encodeTopicList({ topicList: [...topics] }));
}

/** SYSTEM_ERROR "disable": the name server's `enableTopicList` switch is off. */
export function getHasUnitSubUnunitTopicListDisabled(): ResponseSpec {
  return systemErrorSpec("disable");
}

// GET_SYSTEM_TOPIC_LIST_FROM_NS (304): cluster and broker names, as system topics.
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body TopicList {"brokerAddr":"ip:port","topicList":[clusters..., brokerNames...]}
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 304. */
export const GET_SYSTEM_TOPIC_LIST_FROM_NS_CODE = RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS;

/** A decoded GET_SYSTEM_TOPIC_LIST_FROM_NS request. */
export interface GetSystemTopicListFromNsRequest {
  kind: "getSystemTopicListFromNs";
  header: EmptyHeader;
}

/** Decodes a GET_SYSTEM_TOPIC_LIST_FROM_NS request command. */
export function decodeGetSystemTopicListFromNs(_cmd: RemotingCommand): DecodeResult<GetSystemTopicListFromNsRequest> {
  return decodeEmpty("getSystemTopicListFromNs");
}

/** SUCCESS with a TopicList body; `brokerAddr` is one address of the first broker, if any. */
export function getSystemTopicListFromNsSuccess(topics: readonly string[], brokerAddr?: string): ResponseSpec {
  const list = brokerAddr === undefined ? { topicList: [...topics] } : { topicList: [...topics], brokerAddr };
  return successSpec(undefined, encodeTopicList(list));
}

// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206): every topic name.
// Wire grammar:
//   request:  no ext fields; no body
//   response: 0 SUCCESS, body TopicList {"topicList":[...]}
//             1 SYSTEM_ERROR "disable" when enableAllTopicList=false
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, type EmptyHeader, decodeEmpty } from "./header.js";

/** Request code 206. */
export const GET_ALL_TOPIC_LIST_FROM_NAMESERVER_CODE = RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER;

/** A decoded GET_ALL_TOPIC_LIST_FROM_NAMESERVER request. */
export interface GetAllTopicListFromNameserverRequest {
  kind: "getAllTopicListFromNameserver";
  header: EmptyHeader;
}

/** Decodes a GET_ALL_TOPIC_LIST_FROM_NAMESERVER request command. */
export function decodeGetAllTopicListFromNameserver(_cmd: RemotingCommand): DecodeResult<GetAllTopicListFromNameserverRequest> {
  return decodeEmpty("getAllTopicListFromNameserver");
}

/** SUCCESS with a TopicList body. */
export function getAllTopicListFromNameserverSuccess(topics: readonly string[]): ResponseSpec {
  return successSpec(undefined, encodeTopicList({ topicList: [...topics] }));
}

/** SYSTEM_ERROR "disable": the name server's `enableAllTopicList` switch is off. */
export function getAllTopicListFromNameserverDisabled(): ResponseSpec {
  return systemErrorSpec("disable");
}

// GET_TOPICS_BY_CLUSTER (224): topics with queues on any broker of a cluster.
// Wire grammar:
//   request:  ext cluster*; no body
//   response: 0 SUCCESS, body TopicList (unknown cluster: {"topicList":[]})
//             1 SYSTEM_ERROR "disable" when enableTopicList=false
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { encodeTopicList } from "../bodies.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 224. */
export const GET_TOPICS_BY_CLUSTER_CODE = RequestCode.GET_TOPICS_BY_CLUSTER;

/** Header of GET_TOPICS_BY_CLUSTER; `*` fields in the grammar are required (@CFNotNull). */
export interface GetTopicsByClusterHeader {
  cluster: string;
}

/** Reads the GET_TOPICS_BY_CLUSTER header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeGetTopicsByClusterHeader(ext: Readonly<Record<string, string>>): DecodeResult<GetTopicsByClusterHeader> {
  return readHeader(ext, (r) => {
    const header: GetTopicsByClusterHeader = {
      cluster: r.requiredString("cluster"),
    };
    return header;
  });
}

/** A decoded GET_TOPICS_BY_CLUSTER request. */
export interface GetTopicsByClusterRequest {
  kind: "getTopicsByCluster";
  header: GetTopicsByClusterHeader;
}

/** Decodes a GET_TOPICS_BY_CLUSTER request command. */
export function decodeGetTopicsByCluster(cmd: RemotingCommand): DecodeResult<GetTopicsByClusterRequest> {
  return decodeHeaderOnly(cmd, "getTopicsByCluster", decodeGetTopicsByClusterHeader);
}

/** SUCCESS with a TopicList body. */
export function getTopicsByClusterSuccess(topics: readonly string[]): ResponseSpec {
  return successSpec(undefined, encodeTopicList({ topicList: [...topics] }));
}

/** SYSTEM_ERROR "disable": the name server's `enableTopicList` switch is off. */
export function getTopicsByClusterDisabled(): ResponseSpec {
  return systemErrorSpec("disable");
}

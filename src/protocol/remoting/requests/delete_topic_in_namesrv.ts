// DELETE_TOPIC_IN_NAMESRV (216): remove a topic, or one cluster's queues of it.
// Wire grammar:
//   request:  ext topic* clusterName; no body
//   response: 0 SUCCESS, no body
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 216. */
export const DELETE_TOPIC_IN_NAMESRV_CODE = RequestCode.DELETE_TOPIC_IN_NAMESRV;

/** Header of DELETE_TOPIC_IN_NAMESRV; `*` fields in the grammar are required (@CFNotNull). */
export interface DeleteTopicInNamesrvHeader {
  topic: string;
  clusterName?: string;
}

/** Reads the DELETE_TOPIC_IN_NAMESRV header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeDeleteTopicInNamesrvHeader(ext: Readonly<Record<string, string>>): DecodeResult<DeleteTopicInNamesrvHeader> {
  return readHeader(ext, (r) => {
    const header: DeleteTopicInNamesrvHeader = {
      topic: r.requiredString("topic"),
    };
    const clusterName = r.optionalString("clusterName");
    if (clusterName !== undefined) header.clusterName = clusterName;
    return header;
  });
}

/** A decoded DELETE_TOPIC_IN_NAMESRV request. */
export interface DeleteTopicInNamesrvRequest {
  kind: "deleteTopicInNamesrv";
  header: DeleteTopicInNamesrvHeader;
}

/** Decodes a DELETE_TOPIC_IN_NAMESRV request command. */
export function decodeDeleteTopicInNamesrv(cmd: RemotingCommand): DecodeResult<DeleteTopicInNamesrvRequest> {
  return decodeHeaderOnly(cmd, "deleteTopicInNamesrv", decodeDeleteTopicInNamesrvHeader);
}

/** SUCCESS, no body. */
export function deleteTopicInNamesrvSuccess(): ResponseSpec {
  return successSpec();
}

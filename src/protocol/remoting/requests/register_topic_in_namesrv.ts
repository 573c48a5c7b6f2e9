// REGISTER_TOPIC_IN_NAMESRV (217): a broker registers one topic's queues (single-topic register).
// Wire grammar:
//   request:  ext topic*; body TopicRouteData JSON, only `queueDatas` is used
//   response: 0 SUCCESS (also when the body is ignored), no body
import { type QueueData, decodeTopicRouteData } from "../bodies.js";
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, readBody, readHeader } from "./header.js";

/** Request code 217. */
export const REGISTER_TOPIC_IN_NAMESRV_CODE = RequestCode.REGISTER_TOPIC_IN_NAMESRV;

/** Header of REGISTER_TOPIC_IN_NAMESRV. */
export interface RegisterTopicInNamesrvHeader {
  topic: string;
}

/** Reads the REGISTER_TOPIC_IN_NAMESRV header; a missing topic gives SYSTEM_ERROR. */
export function decodeRegisterTopicInNamesrvHeader(
  ext: Readonly<Record<string, string>>,
): DecodeResult<RegisterTopicInNamesrvHeader> {
  return readHeader(ext, (r) => ({ topic: r.requiredString("topic") }));
}

/** A decoded REGISTER_TOPIC_IN_NAMESRV request; empty `queueDatas` means "ignore". */
export interface RegisterTopicInNamesrvRequest {
  kind: "registerTopicInNamesrv";
  header: RegisterTopicInNamesrvHeader;
  queueDatas: QueueData[];
}

/** Decodes a REGISTER_TOPIC_IN_NAMESRV request; an absent body gives empty queueDatas. */
export function decodeRegisterTopicInNamesrv(cmd: RemotingCommand): DecodeResult<RegisterTopicInNamesrvRequest> {
  const header = decodeRegisterTopicInNamesrvHeader(cmd.extFields);
  if (!header.ok) return header;
  const body = readBody(() => (cmd.body === undefined ? [] : decodeTopicRouteData(cmd.body).queueDatas));
  if (!body.ok) return body;
  return { ok: true, value: { kind: "registerTopicInNamesrv", header: header.value, queueDatas: body.value } };
}

/** SUCCESS, no body. */
export function registerTopicInNamesrvSuccess(): ResponseSpec {
  return successSpec();
}

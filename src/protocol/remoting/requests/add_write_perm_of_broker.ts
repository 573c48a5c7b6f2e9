// ADD_WRITE_PERM_OF_BROKER (327): set a broker's queues to perm 6 (read+write).
// Wire grammar:
//   request:  ext brokerName*; no body
//   response: 0 SUCCESS, ext addTopicCount (int); no body
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 327. */
export const ADD_WRITE_PERM_OF_BROKER_CODE = RequestCode.ADD_WRITE_PERM_OF_BROKER;

/** Header of ADD_WRITE_PERM_OF_BROKER; `*` fields in the grammar are required (@CFNotNull). */
export interface AddWritePermOfBrokerHeader {
  brokerName: string;
}

/** Reads the ADD_WRITE_PERM_OF_BROKER header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeAddWritePermOfBrokerHeader(ext: Readonly<Record<string, string>>): DecodeResult<AddWritePermOfBrokerHeader> {
  return readHeader(ext, (r) => {
    const header: AddWritePermOfBrokerHeader = {
      brokerName: r.requiredString("brokerName"),
    };
    return header;
  });
}

/** A decoded ADD_WRITE_PERM_OF_BROKER request. */
export interface AddWritePermOfBrokerRequest {
  kind: "addWritePermOfBroker";
  header: AddWritePermOfBrokerHeader;
}

/** Decodes a ADD_WRITE_PERM_OF_BROKER request command. */
export function decodeAddWritePermOfBroker(cmd: RemotingCommand): DecodeResult<AddWritePermOfBrokerRequest> {
  return decodeHeaderOnly(cmd, "addWritePermOfBroker", decodeAddWritePermOfBrokerHeader);
}

/** SUCCESS with ext `addTopicCount`: the number of QueueData entries touched. */
export function addWritePermOfBrokerSuccess(addTopicCount: number): ResponseSpec {
  return successSpec({ addTopicCount: String(addTopicCount) });
}

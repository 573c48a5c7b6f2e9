// WIPE_WRITE_PERM_OF_BROKER (205): clear the write bit of a broker's queues.
// Wire grammar:
//   request:  ext brokerName*; no body
//   response: 0 SUCCESS, ext wipeTopicCount (int); no body
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 205. */
export const WIPE_WRITE_PERM_OF_BROKER_CODE = RequestCode.WIPE_WRITE_PERM_OF_BROKER;

/** Header of WIPE_WRITE_PERM_OF_BROKER; `*` fields in the grammar are required (@CFNotNull). */
export interface WipeWritePermOfBrokerHeader {
  brokerName: string;
}

/** Reads the WIPE_WRITE_PERM_OF_BROKER header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeWipeWritePermOfBrokerHeader(ext: Readonly<Record<string, string>>): DecodeResult<WipeWritePermOfBrokerHeader> {
  return readHeader(ext, (r) => {
    const header: WipeWritePermOfBrokerHeader = {
      brokerName: r.requiredString("brokerName"),
    };
    return header;
  });
}

/** A decoded WIPE_WRITE_PERM_OF_BROKER request. */
export interface WipeWritePermOfBrokerRequest {
  kind: "wipeWritePermOfBroker";
  header: WipeWritePermOfBrokerHeader;
}

/** Decodes a WIPE_WRITE_PERM_OF_BROKER request command. */
export function decodeWipeWritePermOfBroker(cmd: RemotingCommand): DecodeResult<WipeWritePermOfBrokerRequest> {
  return decodeHeaderOnly(cmd, "wipeWritePermOfBroker", decodeWipeWritePermOfBrokerHeader);
}

/** SUCCESS with ext `wipeTopicCount`: the number of QueueData entries touched. */
export function wipeWritePermOfBrokerSuccess(wipeTopicCount: number): ResponseSpec {
  return successSpec({ wipeTopicCount: String(wipeTopicCount) });
}

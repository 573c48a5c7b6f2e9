// UNREGISTER_BROKER (104): a broker leaves (queued, applied in batches).
// Wire grammar:
//   request:  ext brokerName* brokerAddr* clusterName* brokerId*(long); no body
//   response: 0 SUCCESS as soon as queued, no body
//             1 SYSTEM_ERROR, remark null, when the unregister queue (3000) is full
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 104. */
export const UNREGISTER_BROKER_CODE = RequestCode.UNREGISTER_BROKER;

/** Header of UNREGISTER_BROKER; `*` fields in the grammar are required (@CFNotNull). */
export interface UnregisterBrokerHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  brokerId: number;
}

/** Reads the UNREGISTER_BROKER header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeUnregisterBrokerHeader(ext: Readonly<Record<string, string>>): DecodeResult<UnregisterBrokerHeader> {
  return readHeader(ext, (r) => {
    const header: UnregisterBrokerHeader = {
      brokerName: r.requiredString("brokerName"),
      brokerAddr: r.requiredString("brokerAddr"),
      clusterName: r.requiredString("clusterName"),
      brokerId: r.requiredInteger("brokerId", 64),
    };
    return header;
  });
}

/** A decoded UNREGISTER_BROKER request. */
export interface UnregisterBrokerRequest {
  kind: "unregisterBroker";
  header: UnregisterBrokerHeader;
}

/** Decodes a UNREGISTER_BROKER request command. */
export function decodeUnregisterBroker(cmd: RemotingCommand): DecodeResult<UnregisterBrokerRequest> {
  return decodeHeaderOnly(cmd, "unregisterBroker", decodeUnregisterBrokerHeader);
}

/** SUCCESS, no body. */
export function unregisterBrokerSuccess(): ResponseSpec {
  return successSpec();
}

/** SYSTEM_ERROR with no remark: the unregister queue is full. */
export function unregisterBrokerQueueFull(): ResponseSpec {
  return systemErrorSpec();
}

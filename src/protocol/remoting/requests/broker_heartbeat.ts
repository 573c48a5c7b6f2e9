// BROKER_HEARTBEAT (904): refresh a registered broker's liveness (brokers send it oneway).
// Wire grammar:
//   request:  ext clusterName* brokerAddr* brokerName* brokerId epoch maxOffset confirmOffset
//             heartbeatTimeoutMills electionPriority (the optional ones are ignored by the name server); no body
//   response: 0 SUCCESS, no body (not sent when the request is oneway)
import { RequestCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 904. */
export const BROKER_HEARTBEAT_CODE = RequestCode.BROKER_HEARTBEAT;

/** Header of BROKER_HEARTBEAT; `*` fields in the grammar are required (@CFNotNull). */
export interface BrokerHeartbeatHeader {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  /** Optional; the name server ignores it. */
  brokerId?: number;
  /** Optional; ignored. */
  epoch?: number;
  /** Optional; ignored. */
  maxOffset?: number;
  /** Optional; ignored. */
  confirmOffset?: number;
  /** Optional; ignored (Java's spelling). */
  heartbeatTimeoutMills?: number;
  /** Optional; ignored. */
  electionPriority?: number;
}

/** Reads the BROKER_HEARTBEAT header from ext fields; a missing required field gives SYSTEM_ERROR. */
export function decodeBrokerHeartbeatHeader(ext: Readonly<Record<string, string>>): DecodeResult<BrokerHeartbeatHeader> {
  return readHeader(ext, (r) => {
    const header: BrokerHeartbeatHeader = {
      clusterName: r.requiredString("clusterName"),
      brokerAddr: r.requiredString("brokerAddr"),
      brokerName: r.requiredString("brokerName"),
    };
    const brokerId = r.optionalInteger("brokerId", 64);
    if (brokerId !== undefined) header.brokerId = brokerId;
    const epoch = r.optionalInteger("epoch", 32);
    if (epoch !== undefined) header.epoch = epoch;
    const maxOffset = r.optionalInteger("maxOffset", 64);
    if (maxOffset !== undefined) header.maxOffset = maxOffset;
    const confirmOffset = r.optionalInteger("confirmOffset", 64);
    if (confirmOffset !== undefined) header.confirmOffset = confirmOffset;
    const heartbeatTimeoutMills = r.optionalInteger("heartbeatTimeoutMills", 64);
    if (heartbeatTimeoutMills !== undefined) header.heartbeatTimeoutMills = heartbeatTimeoutMills;
    const electionPriority = r.optionalInteger("electionPriority", 32);
    if (electionPriority !== undefined) header.electionPriority = electionPriority;
    return header;
  });
}

/** A decoded BROKER_HEARTBEAT request. */
export interface BrokerHeartbeatRequest {
  kind: "brokerHeartbeat";
  header: BrokerHeartbeatHeader;
}

/** Decodes a BROKER_HEARTBEAT request command. */
export function decodeBrokerHeartbeat(cmd: RemotingCommand): DecodeResult<BrokerHeartbeatRequest> {
  return decodeHeaderOnly(cmd, "brokerHeartbeat", decodeBrokerHeartbeatHeader);
}

/** SUCCESS, no body. */
export function brokerHeartbeatSuccess(): ResponseSpec {
  return successSpec();
}

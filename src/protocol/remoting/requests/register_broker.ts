// REGISTER_BROKER (103): a broker's full registration (topics, data version, filter servers).
// Wire grammar:
//   request:  ext brokerName* brokerAddr* clusterName* haServerAddr* brokerId*(long)
//                 heartbeatTimeoutMillis(long) enableActingMaster(bool) compressed(bool, false)
//                 bodyCrc32(int, 0) __ZONE_NAME
//             body: version < 37: TopicConfigSerializeWrapper JSON; else RegisterBrokerBody,
//                   JSON or (compressed=true) the zlib form of §3.7; empty = empty table
//   response: 0 SUCCESS, ext haServerAddr masterAddr (each only when set),
//               body KVTable of namespace ORDER_TOPIC_CONFIG when present
//             1 SYSTEM_ERROR "crc32 not match" | "register broker failed"
import { type KVTable, encodeKVTable } from "../bodies.js";
import { RequestCode } from "../codes.js";
import { bodyCrc32 } from "../crc32.js";
import type { RemotingCommand } from "../frame.js";
import { type RegisterBrokerBody, decodeRegisterBrokerBody } from "../register_body.js";
import { type ResponseSpec, successSpec, systemErrorSpec } from "../response.js";
import { type DecodeResult, readBody, readHeader } from "./header.js";

/** Request code 103. */
export const REGISTER_BROKER_CODE = RequestCode.REGISTER_BROKER;
/** Ext field carrying the broker's zone (ZoneRouteRPCHook, §4.9). */
export const ZONE_NAME_EXT = "__ZONE_NAME";

/** Header of REGISTER_BROKER. */
export interface RegisterBrokerHeader {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  haServerAddr: string;
  brokerId: number;
  /** Absent: the broker declared none; the default expiry (120 s) applies. */
  heartbeatTimeoutMillis?: number;
  /** Absent: a broker older than 5.0 ("old version broker"). */
  enableActingMaster?: boolean;
  compressed: boolean;
  /** CRC32 of the body masked with 0x7FFFFFFF; 0 = not checked. */
  bodyCrc32: number;
  /** From ext `__ZONE_NAME`. */
  zoneName?: string;
}

/** Reads the REGISTER_BROKER header; a missing required field gives SYSTEM_ERROR. */
export function decodeRegisterBrokerHeader(ext: Readonly<Record<string, string>>): DecodeResult<RegisterBrokerHeader> {
  return readHeader(ext, (r) => {
    const header: RegisterBrokerHeader = {
      brokerName: r.requiredString("brokerName"),
      brokerAddr: r.requiredString("brokerAddr"),
      clusterName: r.requiredString("clusterName"),
      haServerAddr: r.requiredString("haServerAddr"),
      brokerId: r.requiredInteger("brokerId", 64),
      compressed: r.optionalBoolean("compressed", false),
      bodyCrc32: r.optionalInteger("bodyCrc32", 32, 0),
    };
    const heartbeatTimeoutMillis = r.optionalInteger("heartbeatTimeoutMillis", 64);
    if (heartbeatTimeoutMillis !== undefined) header.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
    const enableActingMaster = r.optionalBoolean("enableActingMaster");
    if (enableActingMaster !== undefined) header.enableActingMaster = enableActingMaster;
    const zoneName = r.optionalString(ZONE_NAME_EXT);
    if (zoneName !== undefined) header.zoneName = zoneName;
    return header;
  });
}

/** A decoded REGISTER_BROKER request: header, checked CRC and decoded body. */
export interface RegisterBrokerRequest {
  kind: "registerBroker";
  header: RegisterBrokerHeader;
  body: RegisterBrokerBody;
}

/**
 * Decodes a REGISTER_BROKER request in Java's order: header, CRC check (when bodyCrc32 != 0),
 * then the body by version and `compressed`. A bad body gives SYSTEM_ERROR with our message.
 */
export function decodeRegisterBroker(cmd: RemotingCommand): DecodeResult<RegisterBrokerRequest> {
  const header = decodeRegisterBrokerHeader(cmd.extFields);
  if (!header.ok) return header;
  const h = header.value;
  if (h.bodyCrc32 !== 0 && bodyCrc32(cmd.body ?? Buffer.alloc(0)) !== h.bodyCrc32) {
    return { ok: false, response: registerBrokerCrcMismatch() };
  }
  const body = readBody(() => decodeRegisterBrokerBody(cmd.body, h.compressed, cmd.version));
  return body.ok ? { ok: true, value: { kind: "registerBroker", header: h, body: body.value } } : body;
}

/** What the name server tells a registering broker (§3.8). */
export interface RegisterBrokerResult {
  /** The master's HA address, for a slave whose master is registered and live. */
  haServerAddr?: string;
  /** The master's address, same condition. */
  masterAddr?: string;
  /** KV namespace ORDER_TOPIC_CONFIG, when it exists and returnOrderTopicConfigToBroker=true. */
  orderTopicConfig?: KVTable;
}

/** SUCCESS with the ext fields that are set and the optional KVTable body. */
export function registerBrokerSuccess(result: RegisterBrokerResult): ResponseSpec {
  const ext: Record<string, string> = {};
  if (result.haServerAddr !== undefined) ext["haServerAddr"] = result.haServerAddr;
  if (result.masterAddr !== undefined) ext["masterAddr"] = result.masterAddr;
  return successSpec(ext, result.orderTopicConfig === undefined ? undefined : encodeKVTable(result.orderTopicConfig));
}

/** SYSTEM_ERROR "crc32 not match". */
export function registerBrokerCrcMismatch(): ResponseSpec {
  return systemErrorSpec("crc32 not match");
}

/** SYSTEM_ERROR "register broker failed" (registration returned null, §4.3 step 7). */
export function registerBrokerFailed(): ResponseSpec {
  return systemErrorSpec("register broker failed");
}

// GET_ROUTEINFO_BY_TOPIC (105): a topic's route, the request clients send every 30 s.
// Wire grammar:
//   request:  ext topic* acceptStandardJsonOnly(bool) lo ns nsd bname oway (ignored)
//                 __ZONE_MODE __ZONE_NAME; no body
//   response: 0 SUCCESS, body TopicRouteData: standard JSON if version >= 401 or
//               acceptStandardJsonOnly, else legacy (unquoted broker ids); zone-filtered routes
//               are always re-encoded legacy
//             17 TOPIC_NOT_EXIST remark "No topic route info in name server for the topic: <t>\nSee
//               https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
//             Java: 1 SYSTEM_ERROR "name server not ready" (needWaitForService only); this node
//               answers 2 SYSTEM_BUSY "name server not ready: ..." while it is not ready, as
//               every read (the error table in src/errors.ts)
import { type BrokerData, type TopicRouteData, encodeTopicRouteData } from "../bodies.js";
import { MQVersion, RequestCode, ResponseCode } from "../codes.js";
import type { RemotingCommand } from "../frame.js";
import type { JsonMode } from "../json.js";
import { type ResponseSpec, successSpec } from "../response.js";
import { type DecodeResult, decodeHeaderOnly, readHeader } from "./header.js";

/** Request code 105. */
export const GET_ROUTEINFO_BY_TOPIC_CODE = RequestCode.GET_ROUTEINFO_BY_TOPIC;

/** Header of GET_ROUTEINFO_BY_TOPIC. */
export interface GetRouteInfoByTopicHeader {
  topic: string;
  acceptStandardJsonOnly: boolean;
  /** Ext `__ZONE_MODE` == "true" (case-insensitive, Boolean.parseBoolean). */
  zoneMode: boolean;
  /** Ext `__ZONE_NAME`. */
  zoneName?: string;
}

/** Reads the GET_ROUTEINFO_BY_TOPIC header; a missing topic gives SYSTEM_ERROR. */
export function decodeGetRouteInfoByTopicHeader(ext: Readonly<Record<string, string>>): DecodeResult<GetRouteInfoByTopicHeader> {
  return readHeader(ext, (r) => {
    const header: GetRouteInfoByTopicHeader = {
      topic: r.requiredString("topic"),
      acceptStandardJsonOnly: r.optionalBoolean("acceptStandardJsonOnly", false),
      zoneMode: r.optionalBoolean("__ZONE_MODE", false),
    };
    const zoneName = r.optionalString("__ZONE_NAME");
    if (zoneName !== undefined) header.zoneName = zoneName;
    return header;
  });
}

/** A decoded GET_ROUTEINFO_BY_TOPIC request. `version` decides the JSON mode of the answer. */
export interface GetRouteInfoByTopicRequest {
  kind: "getRouteInfoByTopic";
  header: GetRouteInfoByTopicHeader;
}

/** Decodes a GET_ROUTEINFO_BY_TOPIC request command. */
export function decodeGetRouteInfoByTopic(cmd: RemotingCommand): DecodeResult<GetRouteInfoByTopicRequest> {
  return decodeHeaderOnly(cmd, "getRouteInfoByTopic", decodeGetRouteInfoByTopicHeader);
}

/** §2.3: standard JSON when the request version >= 401 (V4_9_4) or acceptStandardJsonOnly. */
export function routeJsonMode(requestVersion: number, acceptStandardJsonOnly: boolean): JsonMode {
  return requestVersion >= MQVersion.V4_9_4 || acceptStandardJsonOnly ? "standard" : "legacy";
}

/** True when ZoneRouteRPCHook applies: zone mode on and a non-blank zone name (§4.9). */
export function zoneFilterApplies(header: GetRouteInfoByTopicHeader): boolean {
  return header.zoneMode && header.zoneName !== undefined && header.zoneName.trim() !== "";
}

/**
 * ZoneRouteRPCHook's filter: keep BrokerData with no master (id 0) or whose zoneName equals
 * `zoneName` ignoring case; drop the QueueData and filter-server entries of the others.
 */
export function filterRouteByZone(route: TopicRouteData, zoneName: string): TopicRouteData {
  const zone = zoneName.toLowerCase();
  const kept: BrokerData[] = [];
  const dropped: BrokerData[] = [];
  for (const broker of route.brokerDatas) {
    const keep = !broker.brokerAddrs.has(0) || broker.zoneName?.toLowerCase() === zone;
    (keep ? kept : dropped).push(broker);
  }
  const droppedNames = new Set(dropped.map((b) => b.brokerName));
  const droppedAddrs = new Set(dropped.flatMap((b) => [...b.brokerAddrs.values()]));
  const filtered: TopicRouteData = {
    ...route,
    brokerDatas: kept,
    queueDatas: route.queueDatas.filter((q) => !droppedNames.has(q.brokerName)),
    filterServerTable: new Map([...route.filterServerTable].filter(([addr]) => !droppedAddrs.has(addr))),
  };
  return filtered;
}

/**
 * SUCCESS with the route body, encoded as Java does for this request: zone-filtered (legacy
 * re-encode) when the zone hook applies, else standard or legacy by routeJsonMode().
 */
export function getRouteInfoByTopicSuccess(
  request: Pick<RemotingCommand, "version">,
  header: GetRouteInfoByTopicHeader,
  route: TopicRouteData,
): ResponseSpec {
  if (zoneFilterApplies(header)) {
    return successSpec(undefined, encodeTopicRouteData(filterRouteByZone(route, header.zoneName as string), "legacy"));
  }
  return successSpec(undefined, encodeTopicRouteData(route, routeJsonMode(request.version, header.acceptStandardJsonOnly)));
}

/** TOPIC_NOT_EXIST with Java's two-line remark. */
export function getRouteInfoByTopicNotExist(topic: string): ResponseSpec {
  return {
    code: ResponseCode.TOPIC_NOT_EXIST,
    remark:
      `No topic route info in name server for the topic: ${topic}\n` +
      "See https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
  };
}


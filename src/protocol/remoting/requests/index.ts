// The name server's request table: code -> decoder, the union of decoded requests, and
// decodeNamesrvRequest, which also answers unknown codes (REQUEST_CODE_NOT_SUPPORTED, §1.8).
import type { RemotingCommand } from "../frame.js";
import { requestCodeNotSupportedSpec } from "../response.js";
import { type AddWritePermOfBrokerRequest, decodeAddWritePermOfBroker } from "./add_write_perm_of_broker.js";
import { type BrokerHeartbeatRequest, decodeBrokerHeartbeat } from "./broker_heartbeat.js";
import { type DeleteKvConfigRequest, decodeDeleteKvConfig } from "./delete_kv_config.js";
import { type DeleteTopicInNamesrvRequest, decodeDeleteTopicInNamesrv } from "./delete_topic_in_namesrv.js";
import {
  type GetAllTopicListFromNameserverRequest,
  decodeGetAllTopicListFromNameserver,
} from "./get_all_topic_list_from_nameserver.js";
import { type GetBrokerClusterInfoRequest, decodeGetBrokerClusterInfo } from "./get_broker_cluster_info.js";
import { type GetBrokerMemberGroupRequest, decodeGetBrokerMemberGroup } from "./get_broker_member_group.js";
import { type GetHasUnitSubTopicListRequest, decodeGetHasUnitSubTopicList } from "./get_has_unit_sub_topic_list.js";
import {
  type GetHasUnitSubUnunitTopicListRequest,
  decodeGetHasUnitSubUnunitTopicList,
} from "./get_has_unit_sub_ununit_topic_list.js";
import { type GetKvConfigRequest, decodeGetKvConfig } from "./get_kv_config.js";
import { type GetKvListByNamespaceRequest, decodeGetKvListByNamespace } from "./get_kvlist_by_namespace.js";
import { type GetNamesrvConfigRequest, decodeGetNamesrvConfig } from "./get_namesrv_config.js";
import { type GetRouteInfoByTopicRequest, decodeGetRouteInfoByTopic } from "./get_routeinfo_by_topic.js";
import { type GetSystemTopicListFromNsRequest, decodeGetSystemTopicListFromNs } from "./get_system_topic_list_from_ns.js";
import { type GetTopicsByClusterRequest, decodeGetTopicsByCluster } from "./get_topics_by_cluster.js";
import { type GetUnitTopicListRequest, decodeGetUnitTopicList } from "./get_unit_topic_list.js";
import type { DecodeResult } from "./header.js";
import { type PutKvConfigRequest, decodePutKvConfig } from "./put_kv_config.js";
import { type QueryDataVersionRequest, decodeQueryDataVersion } from "./query_data_version.js";
import { type RegisterBrokerRequest, decodeRegisterBroker } from "./register_broker.js";
import { type RegisterTopicInNamesrvRequest, decodeRegisterTopicInNamesrv } from "./register_topic_in_namesrv.js";
import { type UnregisterBrokerRequest, decodeUnregisterBroker } from "./unregister_broker.js";
import { type UpdateNamesrvConfigRequest, decodeUpdateNamesrvConfig } from "./update_namesrv_config.js";
import { type WipeWritePermOfBrokerRequest, decodeWipeWritePermOfBroker } from "./wipe_write_perm_of_broker.js";

/** Every request the name server handles, discriminated by `kind`. */
export type NamesrvRequest =
  | PutKvConfigRequest
  | GetKvConfigRequest
  | DeleteKvConfigRequest
  | RegisterBrokerRequest
  | UnregisterBrokerRequest
  | GetRouteInfoByTopicRequest
  | GetBrokerClusterInfoRequest
  | WipeWritePermOfBrokerRequest
  | GetAllTopicListFromNameserverRequest
  | DeleteTopicInNamesrvRequest
  | RegisterTopicInNamesrvRequest
  | GetKvListByNamespaceRequest
  | GetTopicsByClusterRequest
  | GetSystemTopicListFromNsRequest
  | GetUnitTopicListRequest
  | GetHasUnitSubTopicListRequest
  | GetHasUnitSubUnunitTopicListRequest
  | UpdateNamesrvConfigRequest
  | GetNamesrvConfigRequest
  | QueryDataVersionRequest
  | AddWritePermOfBrokerRequest
  | GetBrokerMemberGroupRequest
  | BrokerHeartbeatRequest;

/** A request decoder: the typed request, or the response Java would send instead. */
export type RequestDecoder = (cmd: RemotingCommand) => DecodeResult<NamesrvRequest>;

/** Request code -> decoder, for every code of ROCKETMQ.md §2.1. */
export const REQUEST_DECODERS: ReadonlyMap<number, RequestDecoder> = new Map<number, RequestDecoder>([
  [100, decodePutKvConfig],
  [101, decodeGetKvConfig],
  [102, decodeDeleteKvConfig],
  [103, decodeRegisterBroker],
  [104, decodeUnregisterBroker],
  [105, decodeGetRouteInfoByTopic],
  [106, decodeGetBrokerClusterInfo],
  [205, decodeWipeWritePermOfBroker],
  [206, decodeGetAllTopicListFromNameserver],
  [216, decodeDeleteTopicInNamesrv],
  [217, decodeRegisterTopicInNamesrv],
  [219, decodeGetKvListByNamespace],
  [224, decodeGetTopicsByCluster],
  [304, decodeGetSystemTopicListFromNs],
  [311, decodeGetUnitTopicList],
  [312, decodeGetHasUnitSubTopicList],
  [313, decodeGetHasUnitSubUnunitTopicList],
  [318, decodeUpdateNamesrvConfig],
  [319, decodeGetNamesrvConfig],
  [322, decodeQueryDataVersion],
  [327, decodeAddWritePermOfBroker],
  [901, decodeGetBrokerMemberGroup],
  [904, decodeBrokerHeartbeat],
]);

/**
 * Decodes a request command into a NamesrvRequest. Unknown codes give REQUEST_CODE_NOT_SUPPORTED
 * with remark `" request type <code> not supported"`; missing required header fields and bad
 * bodies give the SYSTEM_ERROR Java would send. Call only for requests (not isResponse(cmd)).
 */
export function decodeNamesrvRequest(cmd: RemotingCommand): DecodeResult<NamesrvRequest> {
  const decoder = REQUEST_DECODERS.get(cmd.code);
  if (decoder === undefined) return { ok: false, response: requestCodeNotSupportedSpec(cmd.code) };
  return decoder(cmd);
}

export * from "./add_write_perm_of_broker.js";
export * from "./broker_heartbeat.js";
export * from "./delete_kv_config.js";
export * from "./delete_topic_in_namesrv.js";
export * from "./get_all_topic_list_from_nameserver.js";
export * from "./get_broker_cluster_info.js";
export * from "./get_broker_member_group.js";
export * from "./get_has_unit_sub_topic_list.js";
export * from "./get_has_unit_sub_ununit_topic_list.js";
export * from "./get_kv_config.js";
export * from "./get_kvlist_by_namespace.js";
export * from "./get_namesrv_config.js";
export * from "./get_routeinfo_by_topic.js";
export * from "./get_system_topic_list_from_ns.js";
export * from "./get_topics_by_cluster.js";
export * from "./get_unit_topic_list.js";
export * from "./put_kv_config.js";
export * from "./query_data_version.js";
export * from "./register_broker.js";
export * from "./register_topic_in_namesrv.js";
export * from "./unregister_broker.js";
export * from "./update_namesrv_config.js";
export * from "./wipe_write_perm_of_broker.js";
export { type DecodeResult, type EmptyHeader, HeaderReader, missingFieldRemark, readHeader } from "./header.js";

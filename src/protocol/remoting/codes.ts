// RocketMQ remoting wire constants: request codes, response codes, language codes, MQVersion
// ordinals and serialize types. Only append: the numbers are the protocol (ROCKETMQ.md §0, §1.6, §2).

/** Request codes the 5.x NameServer handles (ROCKETMQ.md §2.1), plus the one it sends (905). */
export const RequestCode = {
  PUT_KV_CONFIG: 100,
  GET_KV_CONFIG: 101,
  DELETE_KV_CONFIG: 102,
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  WIPE_WRITE_PERM_OF_BROKER: 205,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  DELETE_TOPIC_IN_NAMESRV: 216,
  REGISTER_TOPIC_IN_NAMESRV: 217,
  GET_KVLIST_BY_NAMESPACE: 219,
  GET_TOPICS_BY_CLUSTER: 224,
  GET_SYSTEM_TOPIC_LIST_FROM_NS: 304,
  GET_UNIT_TOPIC_LIST: 311,
  GET_HAS_UNIT_SUB_TOPIC_LIST: 312,
  GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: 313,
  UPDATE_NAMESRV_CONFIG: 318,
  GET_NAMESRV_CONFIG: 319,
  QUERY_DATA_VERSION: 322,
  ADD_WRITE_PERM_OF_BROKER: 327,
  GET_BROKER_MEMBER_GROUP: 901,
  BROKER_HEARTBEAT: 904,
  NOTIFY_MIN_BROKER_ID_CHANGE: 905,
} as const;
export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

/** Response codes (ROCKETMQ.md §2.2): the ones the name server uses, then the other known ones. */
export const ResponseCode = {
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  TRANSACTION_FAILED: 4,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
  VERSION_NOT_SUPPORTED: 15,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  TOPIC_EXIST_ALREADY: 18,
  QUERY_NOT_FOUND: 22,
  INVALID_PARAMETER: 29,
  BROKER_NOT_EXIST: 211,
  GO_AWAY: 1500,
} as const;
export type ResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** LanguageCode of the sender (ROCKETMQ.md §1.6). JSON headers carry the name, binary the byte. */
export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;
export type LanguageName = keyof typeof LanguageCode;

const LANGUAGE_NAMES: ReadonlyMap<number, LanguageName> = new Map(
  (Object.entries(LanguageCode) as [LanguageName, number][]).map(([name, code]) => [code, name]),
);

/** The enum name for a language byte, or undefined for a value this build does not know. */
export function languageName(code: number): LanguageName | undefined {
  return LANGUAGE_NAMES.get(code);
}

/** The language byte for an enum name, or undefined for an unknown name. */
export function languageFromName(name: string): number | undefined {
  return Object.hasOwn(LanguageCode, name) ? LanguageCode[name as LanguageName] : undefined;
}

/** MQVersion.Version ordinals that change behaviour (ROCKETMQ.md §0); `version` carries these. */
export const MQVersion = {
  V3_0_0_SNAPSHOT: 0,
  /** From here REGISTER_BROKER carries a RegisterBrokerBody, not a bare TopicConfigSerializeWrapper. */
  V3_0_11: 37,
  V4_0_0: 213,
  V4_9_3: 399,
  /** From here GET_ROUTEINFO_BY_TOPIC answers in standard JSON (quoted integer keys). */
  V4_9_4: 401,
  /** From here the compressed RegisterBrokerBody carries the TopicQueueMappingInfo part. */
  V5_0_0: 413,
  /** Requests above this version may get GO_AWAY during graceful shutdown. */
  V5_3_1: 475,
  V5_3_3: 479,
  V5_9_9: 611,
  HIGHER_VERSION: 612,
  /** What Java 5.3.3 puts into every command it sends; we answer with the same. */
  CURRENT: 479,
} as const;

/** Header serialization, from the top byte of the second frame int (ROCKETMQ.md §1.1). */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** Flag bits (ROCKETMQ.md §1.4). */
export const RemotingFlag = { RESPONSE: 1, ONEWAY: 2 } as const;

// Native protocol codes. Only append: the numbers are the protocol.
// Pure constants; imports nothing.

/** Envelope kinds. */
export const FrameKind = { REQUEST: 0, RESPONSE: 1, PUSH: 2 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Request codes of the native protocol (WebSocket + MessagePack). */
export const RequestCode = {
  HELLO: 1,
  REGISTER_BROKER: 2,
  HEARTBEAT: 3,
  UNREGISTER_BROKER: 4,
  GET_ROUTE: 5,
  GET_CLUSTER_INFO: 6,
  GET_TOPICS: 7,
  KV_PUT: 8,
  KV_GET: 9,
  KV_DELETE: 10,
  KV_LIST: 11,
  DELETE_TOPIC: 12,
  WIPE_WRITE_PERM: 13,
  ADD_WRITE_PERM: 14,
  SUBSCRIBE: 15,
  UNSUBSCRIBE: 16,
  PEER_DELTAS: 17,
  PEER_DIGEST: 18,
  PEER_PULL: 19,
  /** Appended for issue #7: the dialer's proof in the peer challenge-response. */
  PEER_AUTH: 20,
  /** Appended: anti-entropy between ready nodes names record versions before shipping records. */
  PEER_SUMMARY: 21,
  PEER_WANT: 22,
  /** Appended for issue #13: compact liveness evidence, "I hear these brokers, as of now". */
  PEER_HEARD: 23,
} as const;
export type RequestCode = (typeof RequestCode)[keyof typeof RequestCode];

/** Push codes (node -> client, unsolicited). */
export const PushCode = {
  ROUTE_CHANGED: 1,
} as const;
export type PushCode = (typeof PushCode)[keyof typeof PushCode];

/** Request code -> name, built once: the name labels a metric on every request. */
const REQUEST_CODE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(RequestCode).map(([name, code]) => [code, name]));

/** Name of a request code for logs and metrics labels; "unknown" otherwise. */
export function requestCodeName(code: number): string {
  return REQUEST_CODE_NAMES.get(code) ?? "unknown";
}

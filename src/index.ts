// The public API of gossip-namesrv: start a name server, validate its configuration, and
// the client side (route client, broker agent), errors, codes and data shapes.
// internal.ts re-exports internals for tests; nothing here exposes them.
export { startServer, type RunningServer, type ServerDeps, type RemotingListenerFactory } from "./server/server.js";
export {
  parseConfig,
  defaultConfig,
  localConfig,
  testMinConfig,
  LOG_LEVELS,
  type Config,
  type Options,
  type LogLevelName,
} from "./config/config.js";
export * from "./errors.js";
export { RequestCode, PushCode, FrameKind } from "./protocol/codes.js";
export { encodeFrame, decodeFrame, type Frame } from "./protocol/frame.js";
export type { RouteChangedPush } from "./protocol/messages/subscribe.js";
export type {
  BrokerRegistration,
  BrokerData,
  ClusterInfo,
  QueueData,
  TopicConfig,
  TopicRouteData,
  DataVersion,
} from "./model/types.js";
export { Perm } from "./model/types.js";
export { RouteClient, type RouteClientOptions } from "./client/route_client.js";
export { BrokerAgent, type BrokerAgentOptions } from "./broker_agent/agent.js";

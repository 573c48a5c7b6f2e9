// ali-ons (a pure-JavaScript RocketMQ remoting client from npm) for integration tests: its
// MQClientAPI is the name-server half of the client. CommonJS without types, typed here.
import { createRequire } from "node:module";

/** A route as ali-ons decodes it. */
export interface OnsRoute {
  queueDatas: { brokerName: string; readQueueNums: number }[];
  brokerDatas: { brokerName: string; brokerAddrs: Record<string, string> }[];
}

/** The part of ali-ons' MQClientAPI the tests use. */
export interface OnsApi {
  ready(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  getTopicRouteInfoFromNameServer(topic: string, timeoutMs: number): Promise<OnsRoute>;
  close(): Promise<void>;
}

/** A logger that drops everything. */
export const silentOnsLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** ali-ons' MQClientAPI constructor. */
export function onsClientApi(): new (options: object) => OnsApi {
  const require = createRequire(import.meta.url);
  return require("ali-ons/lib/mq_client_api.js") as new (options: object) => OnsApi;
}

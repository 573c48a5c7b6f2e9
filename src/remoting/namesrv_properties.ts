// The name-server options RocketMQ admin tools read and write over remoting (GET/UPDATE_NAMESRV_CONFIG,
// codes 319/318): an in-memory, per-node map of the supported keys. Imports config and codec only.
import type { Config } from "../config/config.js";
import { TICK_MS } from "../limits.js";
import {
  type ResponseSpec,
  findBlacklistedKey,
  updateNamesrvConfigBlacklisted,
  updateNamesrvConfigSuccess,
} from "../protocol/remoting/index.js";

/** Keys whose value changes what the remoting handlers answer (the rest are informational). */
export const EFFECTIVE_KEYS: readonly string[] = [
  "deleteTopicWithBrokerRegistration",
  "enableAllTopicList",
  "enableTopicList",
  "returnOrderTopicConfigToBroker",
];

/** RocketMQ's server idle close (`serverChannelMaxIdleTimeSeconds`), in seconds. */
const SERVER_CHANNEL_MAX_IDLE_TIME_SECONDS = 120;

/**
 * The supported keys with their values: NamesrvConfig / NettyServerConfig names, values taken
 * from our Config where one exists. Only these keys are reported and may be updated.
 */
export function initialNamesrvProperties(config: Config, listenPort: number): Map<string, string> {
  return new Map<string, string>([
    ["clusterTest", "false"],
    ["configBlackList", "configBlackList;configStorePath;kvConfigPath"],
    ["configStorePath", ""],
    ["deleteTopicWithBrokerRegistration", "false"],
    ["enableAllTopicList", "true"],
    ["enableTopicList", "true"],
    ["kvConfigPath", config.dataDir === null ? "" : `${config.dataDir}/kv.json`],
    ["listenPort", String(listenPort)],
    ["needWaitForService", "true"],
    ["notifyMinBrokerIdChanged", "false"],
    ["orderMessageEnable", String(config.orderMessageEnable)],
    ["returnOrderTopicConfigToBroker", "true"],
    ["rocketmqHome", ""],
    // Our expiry check runs every tick, not every 5 s as Java's scan.
    ["scanNotActiveBrokerInterval", String(TICK_MS)],
    ["serverChannelMaxIdleTimeSeconds", String(SERVER_CHANNEL_MAX_IDLE_TIME_SECONDS)],
    ["supportActingMaster", "false"],
  ]);
}

/** The per-node properties: read by handlers, changed by UPDATE_NAMESRV_CONFIG. */
export class NamesrvProperties {
  private readonly values: Map<string, string>;

  constructor(initial: ReadonlyMap<string, string>) {
    this.values = new Map(initial);
  }

  /** A sorted copy of every key and value (GET_NAMESRV_CONFIG sorts by key). */
  snapshot(): Map<string, string> {
    return new Map([...this.values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Boolean.parseBoolean of a key's value; absent keys give `fallback`. */
  flag(key: string, fallback: boolean): boolean {
    const value = this.values.get(key);
    return value === undefined ? fallback : value.trim().toLowerCase() === "true";
  }

  /**
   * UPDATE_NAMESRV_CONFIG: a blacklisted key refuses the whole update (NO_PERMISSION); otherwise
   * keys we already know are merged and unknown keys are ignored, as Java's Configuration.update.
   * Returns the response and the keys that changed.
   */
  update(properties: ReadonlyMap<string, string>): { response: ResponseSpec; changed: string[] } {
    if (findBlacklistedKey(properties, this.values.get("configBlackList")) !== undefined) {
      return { response: updateNamesrvConfigBlacklisted(), changed: [] };
    }
    const changed: string[] = [];
    for (const [key, value] of properties) {
      if (!this.values.has(key) || this.values.get(key) === value) continue;
      this.values.set(key, value);
      changed.push(key);
    }
    return { response: updateNamesrvConfigSuccess(), changed };
  }
}

// RouteClient options: what a caller may set, its defaults, and the one check that reports
// every problem in one ConfigError.
import type { Clock, Rng } from "../core/clock.js";
import { ConfigError } from "../errors.js";
import { REQUEST_TIMEOUT_MS, ROUTE_CACHE_MS } from "../limits.js";
import { checkNameServers } from "./addresses.js";
import type { ClientTls } from "./connection.js";
import type { ClientLogger, Scheduler } from "./scheduler.js";
import type { Dialer } from "./transport.js";
import type { HostResolver } from "../transport/dns.js";

/** Largest request timeout accepted: one minute is already far past any sane answer. */
const REQUEST_TIMEOUT_MS_LIMIT = 60_000;
/** Largest route cache period: one day. */
const CACHE_MS_LIMIT = 86_400_000;

/** Options of a RouteClient. */
export interface RouteClientOptions {
  /** "host:port" of each name server's HTTP + WebSocket port; at least one. */
  readonly nameServers: readonly string[];
  /** Timeout of one request to one node. @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** How long a fetched route is served from the cache. @default ROUTE_CACHE_MS */
  readonly cacheMs?: number;
  /** Time source for the cache. */
  readonly clock: Clock;
  /** Randomness for the node choice and redial jitter. */
  readonly rng: Rng;
  /** Timer source for redials. @default a RealScheduler */
  readonly scheduler?: Scheduler;
  /** Opens connections. @default NativeConnection.dialer with the same timeouts */
  readonly dialer?: Dialer;
  /** @default silentLogger */
  readonly logger?: ClientLogger;
  /** Token sent in every hello (broker, admin or client token). @default none */
  readonly token?: string;
  /** Connect with wss:// (CA, optional client certificate). @default plain ws:// */
  readonly tls?: ClientTls;
  /**
   * Resolve each name server's host name at every dial and use any of its addresses (a
   * headless Service name), as RocketMQ's fetchNameSrvAddrByDnsLookup. @default false
   */
  readonly dnsLookup?: boolean;
  /** Resolves host names when `dnsLookup` is set. @default the system resolver */
  readonly resolver?: HostResolver;
}

/** Called on every new route revision of a subscribed topic; `route` null = no route now. */
/** Validated options with defaults filled in. */
export interface Settings {
  readonly nameServers: readonly string[];
  readonly requestTimeoutMs: number;
  readonly cacheMs: number;
  readonly dnsLookup: boolean;
}

/** Checks RouteClient options; reports every problem in one ConfigError. */
export function checkRouteClientOptions(options: RouteClientOptions): Settings {
  const problems: string[] = [];
  let nameServers: string[] = [];
  try {
    nameServers = checkNameServers(options.nameServers);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > REQUEST_TIMEOUT_MS_LIMIT) {
    problems.push(`'requestTimeoutMs' must be an integer in 1..${REQUEST_TIMEOUT_MS_LIMIT}, got ${requestTimeoutMs}`);
  }
  const cacheMs = options.cacheMs ?? ROUTE_CACHE_MS;
  if (!Number.isSafeInteger(cacheMs) || cacheMs < 0 || cacheMs > CACHE_MS_LIMIT) {
    problems.push(`'cacheMs' must be an integer in 0..${CACHE_MS_LIMIT}, got ${cacheMs}`);
  }
  const dnsLookup = options.dnsLookup ?? false;
  if (typeof dnsLookup !== "boolean") problems.push(`'dnsLookup' must be true or false, got ${String(dnsLookup).slice(0, 64)}`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { nameServers, requestTimeoutMs, cacheMs, dnsLookup };
}


// Bounds of the route client and broker agent that the node never sees. Kept beside the
// client (as remoting_limits.ts is beside its codec); shared bounds live in src/limits.ts.
import { assert } from "../assert.js";
import { REDIAL_BACKOFF_MS_MAX, REQUEST_TIMEOUT_MS, SUBSCRIBED_TOPICS_PER_CONNECTION_MAX } from "../limits.js";

/** Routes one client caches: a producer or consumer follows a few hundred topics at most. */
export const ROUTE_CACHE_ENTRIES_MAX = 10_000;
/** Topics one client may subscribe to: it resubscribes all of them over one connection. */
export const SUBSCRIBED_TOPICS_PER_CLIENT_MAX = SUBSCRIBED_TOPICS_PER_CONNECTION_MAX;
/** Listeners per subscribed topic: a handful of components per process share a client. */
export const LISTENERS_PER_TOPIC_MAX = 64;
/** Time to open a WebSocket (TCP + upgrade); the hello then has its own request timeout. */
export const CONNECT_TIMEOUT_MS = REQUEST_TIMEOUT_MS;
/** How long stop() waits for the unregister answers before it closes anyway. */
export const AGENT_STOP_WAIT_MS = REQUEST_TIMEOUT_MS;
/** Retry of a registration refused with a non-retriable error (bad config won't fix itself). */
export const AGENT_REGISTER_RETRY_MS = REDIAL_BACKOFF_MS_MAX;
/** Name servers one client or agent may be given, and addresses an agent registers with. */
export const NAME_SERVERS_MAX = 64;
/**
 * How often a broker agent with `dnsLookup` resolves its name servers again: once per full
 * registration period (a node it has not found yet still learns the broker through gossip).
 */
export const NAME_SERVER_DNS_INTERVAL_MS = 30_000;

assert(SUBSCRIBED_TOPICS_PER_CLIENT_MAX <= SUBSCRIBED_TOPICS_PER_CONNECTION_MAX, "resubscribe fits one request");
assert(AGENT_STOP_WAIT_MS <= 2 * REQUEST_TIMEOUT_MS, "stop is bounded by about one request");

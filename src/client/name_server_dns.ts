// Name servers behind one DNS name (RocketMQ 5.1's fetchNameSrvAddrByDnsLookup): the route
// client's dialer that resolves a "host:port" entry to all its addresses at every dial and
// connects to any of them, checking TLS against the name. The broker agent, which must reach
// every address, watches the names with transport's DnsWatch instead (agent.ts).
import { ConnectionClosedError } from "../errors.js";
import { nextIndex, type Rng } from "../core/clock.js";
import { resolveTarget, splitHostPort, type HostResolver } from "../transport/dns.js";
import { ipVersionOf } from "../transport/addresses.js";
import { NAME_SERVERS_MAX } from "./client_limits.js";
import type { ClientLogger } from "./scheduler.js";
import type { ClientConnection, Dialer } from "./transport.js";

/**
 * A Dialer that resolves each entry's host name (an IP literal is dialed as it is) and tries
 * its addresses in random order until one connects. A failed lookup falls back to the
 * addresses the entry resolved to last (the names come from the validated list, so the map
 * holds at most NAME_SERVERS_MAX entries). The connection reports the entry as its address,
 * so the client's failover list keeps working by entry.
 */
export function resolvingDialer(inner: Dialer, resolver: HostResolver, rng: Rng, logger: ClientLogger): Dialer {
  const lastKnown = new Map<string, readonly string[]>();
  return async (entry, role, events) => {
    const { host } = splitHostPort(entry);
    if (ipVersionOf(host) !== 0) return inner(entry, role, events);
    let addrs: readonly string[];
    try {
      addrs = (await resolveTarget(resolver, entry, NAME_SERVERS_MAX)).addrs;
      if (lastKnown.has(entry) || lastKnown.size < NAME_SERVERS_MAX) lastKnown.set(entry, addrs);
    } catch (error) {
      addrs = lastKnown.get(entry) ?? [];
      const err = (error as Error).message;
      if (addrs.length === 0) throw new ConnectionClosedError(`name server '${entry.slice(0, 64)}' does not resolve: ${err}`, { cause: error });
      logger.warn({ addr: entry, err, kept: addrs }, "name server lookup failed; using the addresses it had");
    }
    const order = shuffled(addrs, rng);
    let lastError: unknown = null;
    for (const addr of order) {
      try {
        const conn = await inner(addr, role, events, host);
        logger.debug({ addr: entry, resolved: addr, nodeId: conn.nodeId }, "name server reached through its dns name");
        return asEntry(conn, entry);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };
}

/** The connection as the client's entry: same connection, `addr` the name it was dialed by. */
function asEntry(conn: ClientConnection, entry: string): ClientConnection {
  return {
    addr: entry,
    get nodeId() {
      return conn.nodeId;
    },
    get ready() {
      return conn.ready;
    },
    get closed() {
      return conn.closed;
    },
    request: (code, body, timeoutMs) => conn.request(code, body, timeoutMs),
    close: (reason) => conn.close(reason),
  };
}

function shuffled(items: readonly string[], rng: Rng): string[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = nextIndex(rng, i + 1);
    [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
  }
  return copy;
}

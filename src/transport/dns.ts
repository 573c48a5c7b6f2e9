// Host name resolution for discovery: the HostResolver interface (every A and AAAA record of a
// name, through the system resolver, so /etc/hosts, search domains and Docker's or Kubernetes'
// DNS all apply) and DnsWatch, which resolves one "host:port" periodically and reports the
// addresses that appear and vanish. The only home of node:dns; tests inject a fake resolver.
import { lookup } from "node:dns/promises";
import type { Scheduler, TimerHandle } from "../model/time.js";
import { ipVersionOf } from "./addresses.js";

/** Resolves a host name to its IP addresses. */
export interface HostResolver {
  /** Every address of `host` (IPv4 and IPv6 literals); rejects when the name does not resolve. */
  resolve(host: string): Promise<readonly string[]>;
}

/** The system resolver: node:dns/promises `lookup` with `{ all: true }` (getaddrinfo). */
export const systemResolver: HostResolver = {
  resolve: async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address),
};

/** A "host:port" split; an IPv6 host loses its brackets. */
export function splitHostPort(target: string): { host: string; port: string } {
  const colon = target.lastIndexOf(":");
  return { host: target.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: target.slice(colon + 1) };
}

/**
 * Every "ip:port" (IPv6 in brackets) that `target`'s host resolves to, distinct and sorted; an
 * IP literal host is its own one address and is not looked up. Rejects when the lookup fails
 * or holds no address. `all` counts the distinct addresses before `addressesMax` cut them.
 */
export async function resolveTarget(resolver: HostResolver, target: string, addressesMax: number): Promise<{ addrs: string[]; all: number }> {
  const { host, port } = splitHostPort(target);
  const ips = ipVersionOf(host) !== 0 ? [host] : await resolver.resolve(host);
  const all = [...new Set(ips.filter((ip) => ipVersionOf(ip) !== 0).map((ip) => (ipVersionOf(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`)))].sort();
  if (all.length === 0) throw new Error("the answer holds no address");
  return { addrs: all.slice(0, addressesMax), all: all.length };
}

/** The log interface DnsWatch writes to; a pino Logger and the client's logger fit it. */
export interface DnsWatchLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

/** What one resolution changed. */
export interface DnsChange {
  /** Addresses ("ip:port", IPv6 in brackets) not in the previous answer. */
  readonly added: readonly string[];
  /** Addresses of the previous answer missing from this one. */
  readonly removed: readonly string[];
  /** This answer, sorted. */
  readonly current: readonly string[];
}

/** How to watch one name. */
export interface DnsWatchOptions {
  /** "host:port"; an IP literal host is its own one address and is never looked up. */
  readonly target: string;
  readonly resolver: HostResolver;
  readonly scheduler: Scheduler;
  /** Time between the end of one lookup and the start of the next. */
  readonly intervalMs: number;
  /** Addresses taken from one answer (the lowest, sorted); the rest are ignored and logged. */
  readonly addressesMax: number;
  readonly logger: DnsWatchLogger;
  /** Called after every successful lookup that changed the set of addresses. */
  readonly onChange: (change: DnsChange) => void;
  /** Called on every failed lookup (for a metric); the addresses known stay as they are. */
  readonly onLookupFailed?: (error: Error) => void;
}

/**
 * Resolves one "host:port" now and then every `intervalMs`, one lookup at a time. A failed
 * lookup keeps the addresses known (a DNS outage must not look like every peer leaving); it is
 * logged once per streak of failures and again when the name resolves again.
 */
export class DnsWatch {
  private readonly host: string;
  private known: readonly string[] = [];
  private timer: TimerHandle | null = null;
  private stopped = true;
  private failures = 0;
  private truncatedLogged = false;

  constructor(private readonly options: DnsWatchOptions) {
    this.host = splitHostPort(options.target).host;
  }

  /** The host name looked up (the name TLS certificates are checked against). */
  get hostName(): string {
    return this.host;
  }

  /** The addresses of the last successful lookup, sorted. */
  get addresses(): readonly string[] {
    return this.known;
  }

  /** Failed lookups in a row now (0 after a success). */
  get failureStreak(): number {
    return this.failures;
  }

  /** Starts resolving (the first lookup at once); idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.resolveNow();
  }

  /** Stops; a lookup in flight is ignored when it settles. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.options.scheduler.clearTimer(this.timer);
    this.timer = null;
  }

  private resolveNow(): void {
    this.timer = null;
    if (this.stopped) return;
    const literal = ipVersionOf(this.host) !== 0;
    resolveTarget(this.options.resolver, this.options.target, this.options.addressesMax).then(
      (answer) => this.onAnswer(answer.addrs, answer.all),
      (error: unknown) => this.onFailure(error instanceof Error ? error : new Error(String(error))),
    ).finally(() => {
      if (!this.stopped && !literal) this.timer = this.options.scheduler.setTimer(this.options.intervalMs, () => this.resolveNow());
    });
  }

  private onAnswer(current: readonly string[], all: number): void {
    if (this.stopped) return;
    if (all > current.length && !this.truncatedLogged) {
      this.truncatedLogged = true;
      this.options.logger.warn({ name: this.options.target, addresses: all, taken: current.length }, "dns answer has more addresses than taken; the rest are ignored");
    }
    if (this.failures > 0) {
      this.options.logger.info({ name: this.options.target, failures: this.failures, addresses: current }, "dns name resolves again");
      this.failures = 0;
    }
    const before = new Set(this.known);
    const now = new Set(current);
    const added = current.filter((addr) => !before.has(addr));
    const removed = this.known.filter((addr) => !now.has(addr));
    this.known = current;
    if (added.length > 0 || removed.length > 0) this.options.onChange({ added, removed, current });
  }

  private onFailure(error: Error): void {
    if (this.stopped) return;
    this.failures += 1;
    this.options.onLookupFailed?.(error);
    if (this.failures === 1) {
      this.options.logger.warn({ name: this.options.target, err: error.message, kept: this.known }, "dns lookup failed; keeping the addresses known");
    }
  }
}

// PeerDns: peer discovery through DNS (`--peer-dns HOST:PORT`, e.g. a Kubernetes headless
// Service). Every PEER_DNS_INTERVAL_MS it resolves each name to all its A/AAAA records and has
// the peer dialer link to each new address; our own address among them is found by the dialer
// (the hello answers with our node id) and never dialed again. Shell code: the resolver and the
// timers are injected; membership decisions stay with the dialer's and the core's peer rules.
import { PEER_DNS_ADDRESSES_MAX, PEER_DNS_INTERVAL_MS } from "../limits.js";
import type { Scheduler } from "../model/time.js";
import { DnsWatch, type DnsChange, type DnsWatchLogger, type HostResolver } from "../transport/dns.js";
import { ipVersionOf } from "../transport/addresses.js";
import type { DialVia } from "./peer_dialer.js";

/** The part of PeerDialer that PeerDns drives. */
export interface PeerDnsDialer {
  ensure(addr: string, via: DialVia): void;
  release(addr: string, source: "dns"): void;
}

/** What PeerDns needs. */
export interface PeerDnsOptions {
  /** The "host:port" names to resolve (config `peerDns`). */
  readonly names: readonly string[];
  readonly resolver: HostResolver;
  readonly scheduler: Scheduler;
  readonly dialer: PeerDnsDialer;
  readonly logger: DnsWatchLogger;
  /** Counts a failed lookup of `name` (the metric namesrv_peer_dns_lookup_failures_total). */
  readonly onLookupFailed?: (name: string) => void;
  /** @default PEER_DNS_INTERVAL_MS */
  readonly intervalMs?: number;
}

/**
 * Resolves the `--peer-dns` names and dials what they resolve to. An address that vanishes
 * from DNS is released: its link, while up, stays until the usual peer-down rules close it
 * (a member never leaves because DNS stopped listing it), and a down one is not redialed, so
 * the addresses of pods long gone do not pile up. A failed lookup changes nothing.
 */
export class PeerDns {
  private readonly watches: DnsWatch[];
  private readonly names: readonly string[];
  /** Which names list each address now (bounded: names x PEER_DNS_ADDRESSES_MAX). */
  private readonly listedBy = new Map<string, Set<string>>();

  constructor(options: PeerDnsOptions) {
    this.names = options.names;
    this.watches = options.names.map((name) => {
      const watch: DnsWatch = new DnsWatch({
        target: name,
        resolver: options.resolver,
        scheduler: options.scheduler,
        intervalMs: options.intervalMs ?? PEER_DNS_INTERVAL_MS,
        addressesMax: PEER_DNS_ADDRESSES_MAX,
        logger: options.logger,
        onChange: (change) => this.onChange(options, watch.hostName, name, change),
        onLookupFailed: () => options.onLookupFailed?.(name),
      });
      return watch;
    });
  }

  /** Starts resolving every name (the first lookups at once). */
  start(): void {
    for (const watch of this.watches) watch.start();
  }

  /** Stops resolving; links already made stay the dialer's. */
  stop(): void {
    for (const watch of this.watches) watch.stop();
  }

  /** The addresses each name resolved to last, by name. */
  addresses(): Record<string, readonly string[]> {
    return Object.fromEntries(this.names.map((name, index) => [name, (this.watches[index] as DnsWatch).addresses]));
  }

  private onChange(options: PeerDnsOptions, host: string, name: string, change: DnsChange): void {
    options.logger.info({ name, added: change.added, removed: change.removed, addresses: change.current }, "peer dns answer changed");
    for (const addr of change.added) {
      let names = this.listedBy.get(addr);
      if (!names) this.listedBy.set(addr, (names = new Set()));
      names.add(name);
      options.dialer.ensure(addr, ipVersionOf(host) === 0 ? { source: "dns", tlsServerName: host } : { source: "dns" });
    }
    for (const addr of change.removed) {
      const names = this.listedBy.get(addr);
      names?.delete(name);
      if (names && names.size > 0) continue;
      this.listedBy.delete(addr);
      options.dialer.release(addr, "dns");
    }
  }
}

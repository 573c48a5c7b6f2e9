// A simulated stream network for the real shells: dialed connections (transport's
// DialedConnection) and accepted ones (transport's Connection) whose messages arrive in order
// after seeded delays, on SimClock. Faults: partitions that stall traffic and refuse dials (as
// a cut network does to TCP), link resets, and endpoints that crash. Test-only.
import { nextIndex, type Rng } from "../core/clock.js";
import type { Connection, ConnectionHandlers } from "../transport/connection.js";
import { TransportError } from "../transport/connection.js";
import type { DialedConnection, DialOptions } from "../transport/ws_dialer.js";
import type { SimClock } from "./sim_clock.js";

/** Delays of the simulated network. */
export interface SimWireOptions {
  readonly delayMsMin: number;
  readonly delayMsMax: number;
}

/** How often a stalled (partitioned) stream looks again. */
const STALL_RETRY_MS = 50;
/** Links the wire keeps (open or closing); a run that exceeds it is a bug in the test. */
const SIM_LINKS_MAX = 100_000;

/** One direction of a link: an ordered queue of messages in flight. */
interface Direction {
  readonly queue: Uint8Array[];
  pumping: boolean;
}

/** A simulated connection end, for either side. */
class SimEnd implements DialedConnection {
  readonly opened: Promise<void>;
  readonly remoteIp: string;
  peer: SimEnd | null = null;
  open = false;
  private handlers: ConnectionHandlers | null = null;
  private early: Array<(handlers: ConnectionHandlers) => void> = [];
  private pongHandler: (() => void) | null = null;
  private closed = false;
  private resolveOpened: () => void = () => undefined;
  private rejectOpened: (error: Error) => void = () => undefined;
  readonly outgoing: Direction = { queue: [], pumping: false };

  constructor(
    private readonly wire: SimWire,
    readonly local: string,
    readonly remote: string,
    readonly remoteAddr: string,
  ) {
    this.remoteIp = wire.ipOf(remote);
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.opened.catch(() => undefined);
  }

  markOpen(): void {
    this.open = true;
    this.resolveOpened();
  }

  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const event of early) event(handlers);
  }

  send(bytes: Uint8Array): void {
    if (!this.open || this.closed || this.peer === null) return;
    this.outgoing.queue.push(bytes);
    this.wire.pump(this);
  }

  bufferedBytes(): number {
    return 0;
  }

  close(code: number, reason: string): void {
    this.wire.closeLink(this, code, reason);
  }

  terminate(): void {
    this.wire.closeLink(this, 1006, "terminated");
  }

  ping(): void {
    if (!this.open || this.closed) return;
    this.wire.ping(this);
  }

  onPong(handler: () => void): void {
    this.pongHandler = handler;
  }

  pong(): void {
    this.pongHandler?.();
  }

  deliver(bytes: Uint8Array): void {
    if (!this.closed) this.event((h) => h.message(bytes, true));
  }

  finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.rejectOpened(new TransportError("socket", `connection ${this.local} -> ${this.remote} closed (${code})`));
    this.event((h) => h.close(code, reason));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private event(event: (handlers: ConnectionHandlers) => void): void {
    if (this.handlers) event(this.handlers);
    else this.early.push(event);
  }
}

/** The simulated network of a ShellSim. */
export class SimWire {
  private readonly listeners = new Map<string, { endpoint: string; accept: (connection: Connection) => void }>();
  private readonly blocked = new Set<string>();
  private readonly dead = new Set<string>();
  private readonly links = new Set<SimEnd>();
  private readonly ips = new Map<string, string>();

  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
    private readonly options: SimWireOptions,
  ) {}

  /** A stable fake IP per endpoint (per-address limits, logs). */
  ipOf(endpoint: string): string {
    let ip = this.ips.get(endpoint);
    if (ip === undefined) {
      ip = `10.99.${Math.floor(this.ips.size / 250)}.${(this.ips.size % 250) + 1}`;
      this.ips.set(endpoint, ip);
    }
    return ip;
  }

  /** `endpoint` accepts connections at `addr` ("host:port"). */
  listen(addr: string, endpoint: string, accept: (connection: Connection) => void): void {
    this.listeners.set(addr, { endpoint, accept });
  }

  /** Stops accepting at `addr`. */
  unlisten(addr: string): void {
    this.listeners.delete(addr);
  }

  /** `from` dials `options.addr`; the connection opens after a round trip, or closes. */
  dial(from: string, options: DialOptions): DialedConnection {
    const listener = this.listeners.get(options.addr);
    const target = listener?.endpoint ?? options.addr;
    const client = new SimEnd(this, from, target, options.addr);
    if (this.links.size >= SIM_LINKS_MAX) throw new Error("SimWire: more than SIM_LINKS_MAX links");
    this.clock.schedule(this.clock.nowMs() + this.delay(), () => {
      const now = this.listeners.get(options.addr);
      if (!now || this.isBlocked(from, now.endpoint) || this.dead.has(from) || this.dead.has(now.endpoint)) {
        // Refused, unreachable or timed out: the dial fails.
        this.clock.schedule(this.clock.nowMs() + this.delay(), () => client.finish(1006, "connect failed"));
        return;
      }
      const server = new SimEnd(this, now.endpoint, from, `${this.ipOf(from)}:${nextIndex(this.rng, 60_000) + 1_024}`);
      client.peer = server;
      server.peer = client;
      this.links.add(client);
      this.links.add(server);
      server.markOpen();
      now.accept(server);
      this.clock.schedule(this.clock.nowMs() + this.delay(), () => {
        if (!client.isClosed) client.markOpen();
      });
    });
    return client;
  }

  /** Cuts `a` and `b` apart both ways: streams stall, new dials fail. */
  partition(a: string, b: string): void {
    this.blocked.add(`${a}|${b}`);
    this.blocked.add(`${b}|${a}`);
  }

  /** Every cut heals; stalled streams resume. */
  heal(): void {
    this.blocked.clear();
  }

  /** Closes every open link between `a` and `b` (a reset, as a restarted middlebox does). */
  reset(a: string, b: string): void {
    for (const end of [...this.links]) {
      if ((end.local === a && end.remote === b) || (end.local === b && end.remote === a)) this.closeLink(end, 1006, "reset");
    }
  }

  /** An endpoint crashes: its links close (the others see a reset), and it dials nowhere. */
  kill(endpoint: string): void {
    this.dead.add(endpoint);
    for (const end of [...this.links]) if (end.local === endpoint) this.closeLink(end, 1006, "crashed");
  }

  /** A crashed endpoint runs again. */
  revive(endpoint: string): void {
    this.dead.delete(endpoint);
  }

  isBlocked(a: string, b: string): boolean {
    return this.blocked.has(`${a}|${b}`);
  }

  /** Delivers `end`'s queued messages in order, each after a delay; stalls while blocked. */
  pump(end: SimEnd): void {
    const direction = end.outgoing;
    if (direction.pumping) return;
    direction.pumping = true;
    const step = (): void => {
      const peer = end.peer;
      if (end.isClosed || peer === null || peer.isClosed) {
        direction.queue.length = 0;
        direction.pumping = false;
        return;
      }
      if (this.isBlocked(end.local, end.remote)) {
        this.clock.schedule(this.clock.nowMs() + STALL_RETRY_MS, step);
        return;
      }
      const bytes = direction.queue.shift();
      if (bytes !== undefined) peer.deliver(bytes);
      if (direction.queue.length === 0) {
        direction.pumping = false;
        return;
      }
      this.clock.schedule(this.clock.nowMs() + this.delay(), step);
    };
    this.clock.schedule(this.clock.nowMs() + this.delay(), step);
  }

  /** A ping's pong comes back after a round trip, unless the way is cut. */
  ping(end: SimEnd): void {
    this.clock.schedule(this.clock.nowMs() + 2 * this.delay(), () => {
      const peer = end.peer;
      if (!end.isClosed && peer !== null && !peer.isClosed && !this.isBlocked(end.local, end.remote)) end.pong();
    });
  }

  /**
   * Closes a link: this end at once, the other when the close arrives. Across a cut the close
   * never arrives: the other end finds out by its own timeouts (pings, requests), as with TCP.
   */
  closeLink(end: SimEnd, code: number, reason: string): void {
    if (end.isClosed) return;
    const peer = end.peer;
    end.finish(code, reason);
    this.links.delete(end);
    if (peer === null || this.isBlocked(end.local, end.remote)) return;
    this.clock.schedule(this.clock.nowMs() + this.delay(), () => {
      peer.finish(code, reason);
      this.links.delete(peer);
    });
  }

  private delay(): number {
    const { delayMsMin, delayMsMax } = this.options;
    return delayMsMin + nextIndex(this.rng, delayMsMax - delayMsMin + 1);
  }
}

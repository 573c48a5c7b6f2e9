// A seeded in-memory network between named endpoints, in the manner of etcd-io/raft's test
// network and TigerBeetle's packet simulator: per-message delay, loss, duplication, symmetric
// and one-way partitions, a bounded in-flight queue. Test-only; imports no shell code.
//
// Two kinds of traffic, because the core relies on one of them being an ordered link:
//
// - Sessions (name server <-> name server) model one WebSocket each. The core assumes a PULL
//   follows the DELTAS it accounts for, so a session delivers in order and never loses a
//   message silently. Faults are therefore link-level, as on TCP:
//   * partition: messages are held (TCP retransmits) and delivered in order after the heal;
//     if either direction stays blocked, or an endpoint is unavailable (paused, stopped), for
//     `peerDownMs`, the session is declared dead: both sides are told (`down`), whatever was
//     in flight is dropped, and once healthy again it is redialed after a random delay (`up`).
//   * loss: a lost frame on TCP means the connection died, so loss resets the session at once.
//   * in-flight overflow: the sender closes a slow reader, so it also resets the session.
//   * duplication / reordering: never inside a session. Instead a DELTAS frame (marked
//     `duplicable`) may get a stale copy delivered later, out of order, possibly in a later
//     session, as a retransmitting or relaying shell would; merge must make that harmless.
//     Whole records also arrive duplicated and in any order through relays in a 3+ node mesh.
// - Datagrams (broker or client <-> name server) model request frames on a connection whose
//   loss the sender tolerates (heartbeats carry full evidence): blocked or lost means dropped.
//   A connection's close (FIN) is retransmitted by the kernel: only a blocked path drops it.
import { assert } from "../assert.js";
import { nextIndex, nextUnit, SeededRng } from "../core/clock.js";
import { PEER_DOWN_MS, REDIAL_BACKOFF_MS_MIN } from "../limits.js";
import type { SimClock } from "./sim_clock.js";

/** Messages in flight over the whole network; above it sessions reset and datagrams drop. */
export const SIM_INFLIGHT_MESSAGES_MAX = 50_000;

/** Fault and timing knobs of one run. */
export interface SimNetworkOptions {
  /** One-way delay of a message, uniform in [min, max]. */
  readonly delayMsMin: number;
  readonly delayMsMax: number;
  /** Probability that a session frame is lost, which resets the session. */
  readonly lossProbability: number;
  /** Probability that a datagram is dropped. */
  readonly datagramLossProbability: number;
  /** Probability that a duplicable frame also arrives again later. */
  readonly duplicateProbability: number;
  /** How late a stale copy may arrive. */
  readonly duplicateDelayMsMax: number;
  /** Silence after which a session is declared dead. @default PEER_DOWN_MS */
  readonly peerDownMs: number;
  /** Redial delay once a dead session could work again, uniform in [min, max]. */
  readonly redialMsMin: number;
  readonly redialMsMax: number;
  /** @default SIM_INFLIGHT_MESSAGES_MAX */
  readonly inflightMessagesMax: number;
}

/** Defaults: LAN-like delays, no random faults. */
export function defaultSimNetworkOptions(): SimNetworkOptions {
  return {
    delayMsMin: 1,
    delayMsMax: 5,
    lossProbability: 0,
    datagramLossProbability: 0,
    duplicateProbability: 0,
    duplicateDelayMsMax: 2_000,
    peerDownMs: PEER_DOWN_MS,
    redialMsMin: REDIAL_BACKOFF_MS_MIN,
    redialMsMax: 2 * REDIAL_BACKOFF_MS_MIN,
    inflightMessagesMax: SIM_INFLIGHT_MESSAGES_MAX,
  };
}

/** What the network calls back into its owner. */
export interface SimNetworkHandlers {
  /** A message arrives. `stale` marks a late duplicate; `session` is null for datagrams. */
  deliver(from: string, to: string, payload: unknown, stale: boolean): void;
  /** A session came up: both ends are available and connected. */
  sessionUp(a: string, b: string): void;
  /** A session died; `a` and `b` are both told (an unavailable end learns when it can). */
  sessionDown(a: string, b: string, reason: string): void;
}

/** Counters of one run, for reports and checkers. */
export interface SimNetworkCounters {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  sessionResets: number;
  inflightPeak: number;
}

interface Message {
  readonly deliverAtMs: number;
  readonly payload: unknown;
  /** Session id the message belongs to, or null for a datagram. */
  readonly session: number | null;
}

interface Channel {
  readonly from: string;
  readonly to: string;
  queue: Message[];
  generation: number;
  scheduled: boolean;
  lastDeliverAtMs: number;
}

interface Session {
  readonly a: string;
  readonly b: string;
  id: number;
  up: boolean;
  upSinceMs: number;
  unhealthySinceMs: number | null;
  redialPending: boolean;
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
const channelKey = (from: string, to: string): string => `${from}>${to}`;

/** The simulated network. */
export class SimNetwork {
  readonly options: SimNetworkOptions;
  readonly counters: SimNetworkCounters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, sessionResets: 0, inflightPeak: 0 };
  private readonly rng: SeededRng;
  private readonly channels = new Map<string, Channel>();
  private readonly sessions = new Map<string, Session>();
  private readonly blocked = new Set<string>();
  /** Last time each directed pair's blocked state changed (absent: never blocked). */
  private readonly blockChangedAtMs = new Map<string, number>();
  private readonly unavailable = new Set<string>();
  private nextSessionId = 1;
  private inflight = 0;
  private handlers: SimNetworkHandlers | null = null;

  constructor(
    private readonly clock: SimClock,
    seed: number,
    options: Partial<SimNetworkOptions> = {},
  ) {
    this.options = { ...defaultSimNetworkOptions(), ...options };
    assert(this.options.delayMsMin >= 0 && this.options.delayMsMin <= this.options.delayMsMax, "delay range");
    assert(this.options.redialMsMin <= this.options.redialMsMax, "redial range");
    this.rng = new SeededRng(seed);
  }

  /** Sets the owner's callbacks; must be called once before traffic flows. */
  attach(handlers: SimNetworkHandlers): void {
    this.handlers = handlers;
  }

  // ---- Partitions ------------------------------------------------------------------------

  /** Blocks both directions between every endpoint of `left` and every endpoint of `right`. */
  partition(left: readonly string[], right: readonly string[]): void {
    this.setBlockedBetween(left, right, true);
  }

  /** Blocks one direction: messages from `from` no longer reach `to`. */
  cut(from: string, to: string): void {
    this.setBlocked(from, to, true);
    this.reevaluateAll();
  }

  /** Unblocks both directions between every endpoint of `left` and every one of `right`. */
  mend(left: readonly string[], right: readonly string[]): void {
    this.setBlockedBetween(left, right, false);
  }

  /** Removes every partition and cut; held session messages flow again, in order. */
  heal(): void {
    for (const key of [...this.blocked]) {
      const [from, to] = key.split(">") as [string, string];
      this.setBlocked(from, to, false);
    }
    this.reevaluateAll();
  }

  /** Whether messages from `from` to `to` are blocked now. */
  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(channelKey(from, to));
  }

  /** Whether any pair is blocked. */
  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  /** Since when both directions between a and b are open (0: always), or null while blocked. */
  openSinceMs(a: string, b: string): number | null {
    if (this.isBlocked(a, b) || this.isBlocked(b, a)) return null;
    return Math.max(this.blockChangedAtMs.get(channelKey(a, b)) ?? 0, this.blockChangedAtMs.get(channelKey(b, a)) ?? 0);
  }

  // ---- Endpoint availability and sessions ---------------------------------------------------

  /** Declares a session between a and b (initially down; it comes up when healthy). */
  addSession(a: string, b: string): void {
    const key = pairKey(a, b);
    if (this.sessions.has(key)) return;
    this.sessions.set(key, { a, b, id: 0, up: false, upSinceMs: 0, unhealthySinceMs: null, redialPending: false });
    this.reevaluate(this.sessions.get(key) as Session);
  }

  /** Marks an endpoint (un)available: a paused or stopped process answers no pings. */
  setAvailable(name: string, available: boolean): void {
    if (available) this.unavailable.delete(name);
    else this.unavailable.add(name);
    this.reevaluateAll();
  }

  /** A process died: its sockets close at once (FIN), so its sessions reset now. */
  crash(name: string): void {
    this.unavailable.add(name);
    for (const channel of this.channels.values()) {
      if (channel.from === name || channel.to === name) this.clearChannel(channel);
    }
    for (const session of this.sessions.values()) {
      if (session.up && (session.a === name || session.b === name)) this.reset(session, "peer process died");
    }
  }

  /** Resets a session now, as a lost frame or a closed slow reader does. */
  resetSession(a: string, b: string, reason: string): void {
    const session = this.sessions.get(pairKey(a, b));
    if (session?.up) this.reset(session, reason);
  }

  /** Whether the session between a and b is up. */
  isSessionUp(a: string, b: string): boolean {
    return this.sessions.get(pairKey(a, b))?.up === true;
  }

  /** Since when the session between a and b is up, or null while down. */
  sessionUpSinceMs(a: string, b: string): number | null {
    const session = this.sessions.get(pairKey(a, b));
    return session?.up ? session.upSinceMs : null;
  }

  // ---- Sending ---------------------------------------------------------------------------

  /** Sends a frame on the session from `from` to `to`; dropped when the session is down. */
  sendOnSession(from: string, to: string, payload: unknown, duplicable: boolean): void {
    this.counters.sent += 1;
    const session = this.sessions.get(pairKey(from, to));
    if (!session?.up) {
      this.counters.dropped += 1;
      return;
    }
    if (this.options.lossProbability > 0 && nextUnit(this.rng) < this.options.lossProbability) {
      this.counters.dropped += 1;
      this.reset(session, "frame lost");
      return;
    }
    if (this.inflight >= this.options.inflightMessagesMax) {
      this.counters.dropped += 1;
      this.reset(session, "in-flight queue full");
      return;
    }
    this.enqueue(from, to, payload, session.id);
    if (duplicable && this.options.duplicateProbability > 0 && nextUnit(this.rng) < this.options.duplicateProbability) {
      this.scheduleStaleCopy(from, to, payload);
    }
  }

  /** Sends a datagram; dropped when blocked now or on arrival, lost (when `lossy`: not a FIN), or over the bound. */
  sendDatagram(from: string, to: string, payload: unknown, lossy = true): void {
    this.counters.sent += 1;
    const lost = lossy && this.options.datagramLossProbability > 0 && nextUnit(this.rng) < this.options.datagramLossProbability;
    if (lost || this.isBlocked(from, to) || this.inflight >= this.options.inflightMessagesMax) {
      this.counters.dropped += 1;
      return;
    }
    this.enqueue(from, to, payload, null);
  }

  /** Messages in flight now. */
  get inflightCount(): number {
    return this.inflight;
  }

  /** A uniform integer in [min, max] from the network's generator. */
  randomBetween(min: number, max: number): number {
    return min + nextIndex(this.rng, max - min + 1);
  }

  // ---- Internals -------------------------------------------------------------------------

  private setBlockedBetween(left: readonly string[], right: readonly string[], blocked: boolean): void {
    for (const a of left) {
      for (const b of right) {
        this.setBlocked(a, b, blocked);
        this.setBlocked(b, a, blocked);
      }
    }
    this.reevaluateAll();
  }

  private setBlocked(from: string, to: string, blocked: boolean): void {
    const key = channelKey(from, to);
    if (this.blocked.has(key) === blocked) return;
    if (blocked) this.blocked.add(key);
    else this.blocked.delete(key);
    this.blockChangedAtMs.set(key, this.clock.nowMs());
    const channel = this.channels.get(key);
    if (!blocked && channel && channel.queue.length > 0) this.scheduleHead(channel);
  }

  private channel(from: string, to: string): Channel {
    const key = channelKey(from, to);
    let channel = this.channels.get(key);
    if (!channel) {
      channel = { from, to, queue: [], generation: 0, scheduled: false, lastDeliverAtMs: 0 };
      this.channels.set(key, channel);
    }
    return channel;
  }

  private enqueue(from: string, to: string, payload: unknown, session: number | null): void {
    const channel = this.channel(from, to);
    const now = this.clock.nowMs();
    const delay = this.randomBetween(this.options.delayMsMin, this.options.delayMsMax);
    const deliverAtMs = Math.max(now + delay, channel.lastDeliverAtMs);
    channel.lastDeliverAtMs = deliverAtMs;
    channel.queue.push({ deliverAtMs, payload, session });
    this.inflight += 1;
    this.counters.inflightPeak = Math.max(this.counters.inflightPeak, this.inflight);
    if (channel.queue.length === 1) this.scheduleHead(channel);
  }

  private scheduleHead(channel: Channel): void {
    const head = channel.queue[0];
    if (!head || channel.scheduled) return;
    channel.scheduled = true;
    const generation = channel.generation;
    this.clock.schedule(head.deliverAtMs, () => {
      if (channel.generation !== generation) return;
      channel.scheduled = false;
      this.deliverHead(channel);
    });
  }

  private deliverHead(channel: Channel): void {
    const head = channel.queue[0];
    if (!head) return;
    if (this.isBlocked(channel.from, channel.to)) {
      if (head.session !== null) return; // held until the heal reschedules it
      this.shift(channel);
      this.counters.dropped += 1;
      this.scheduleHead(channel);
      return;
    }
    this.shift(channel);
    const session = head.session === null ? null : this.sessions.get(pairKey(channel.from, channel.to));
    if (session !== null && (!session?.up || session.id !== head.session)) {
      this.counters.dropped += 1;
    } else {
      this.counters.delivered += 1;
      this.handlers?.deliver(channel.from, channel.to, head.payload, false);
    }
    this.scheduleHead(channel);
  }

  private shift(channel: Channel): void {
    channel.queue.shift();
    this.inflight -= 1;
  }

  private clearChannel(channel: Channel): void {
    this.inflight -= channel.queue.length;
    this.counters.dropped += channel.queue.length;
    channel.queue = [];
    channel.generation += 1;
    channel.scheduled = false;
  }

  private scheduleStaleCopy(from: string, to: string, payload: unknown): void {
    this.counters.duplicated += 1;
    const atMs = this.clock.nowMs() + this.randomBetween(this.options.delayMsMax, this.options.duplicateDelayMsMax);
    this.clock.schedule(atMs, () => {
      if (this.isBlocked(from, to) || this.unavailable.has(to)) return;
      this.handlers?.deliver(from, to, payload, true);
    });
  }

  private healthy(session: Session): boolean {
    return (
      !this.unavailable.has(session.a) &&
      !this.unavailable.has(session.b) &&
      !this.isBlocked(session.a, session.b) &&
      !this.isBlocked(session.b, session.a)
    );
  }

  private reevaluateAll(): void {
    for (const session of this.sessions.values()) this.reevaluate(session);
  }

  private reevaluate(session: Session): void {
    const healthy = this.healthy(session);
    const now = this.clock.nowMs();
    if (session.up) {
      if (healthy) {
        session.unhealthySinceMs = null;
      } else if (session.unhealthySinceMs === null) {
        session.unhealthySinceMs = now;
        const id = session.id;
        this.clock.schedule(now + this.options.peerDownMs, () => {
          const since = session.unhealthySinceMs;
          if (session.up && session.id === id && since !== null && this.clock.nowMs() - since >= this.options.peerDownMs) {
            this.reset(session, "no traffic for peerDownMs");
          }
        });
      }
      return;
    }
    if (!healthy || session.redialPending) return;
    session.redialPending = true;
    this.clock.schedule(now + this.randomBetween(this.options.redialMsMin, this.options.redialMsMax), () => {
      session.redialPending = false;
      if (session.up) return;
      if (!this.healthy(session)) return;
      session.id = this.nextSessionId++;
      session.up = true;
      session.upSinceMs = this.clock.nowMs();
      session.unhealthySinceMs = null;
      this.handlers?.sessionUp(session.a, session.b);
    });
  }

  private reset(session: Session, reason: string): void {
    session.up = false;
    session.unhealthySinceMs = null;
    this.counters.sessionResets += 1;
    for (const channel of [this.channels.get(channelKey(session.a, session.b)), this.channels.get(channelKey(session.b, session.a))]) {
      if (channel) this.clearChannel(channel);
    }
    this.handlers?.sessionDown(session.a, session.b, reason);
    this.reevaluate(session);
  }
}

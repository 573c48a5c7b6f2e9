// Fair service of requests across connections, for both request ports. Each connection queues
// its requests in a lane bounded by its in-flight limit; one drain loop serves the lanes that
// have work round-robin, an even share of REQUESTS_PER_TURN_MAX each per turn, and yields to the
// event loop between turns, so one connection pipelining thousands of requests cannot hold back
// another's one. A lane past its pause point asks its owner to stop reading the socket
// (backpressure) and to read again once it has drained to half of that. Pure: the shell injects
// `schedule` (setImmediate; simulated time in the simulator). Imports limits only.
import {
  INFLIGHT_BYTES_PER_CONNECTION_PAUSE,
  INFLIGHT_READ_PAUSE_RATIO,
  QUEUED_BYTES_PAUSE,
  QUEUED_REQUESTS_MAX,
  REQUESTS_PER_TURN_MAX,
} from "../limits.js";

/** Bounds of a scheduler; the defaults are the named limits. */
export interface RequestSchedulerOptions {
  /** Runs a task soon, after pending I/O (setImmediate in the server). */
  readonly schedule: (task: () => void) => void;
  /** Requests served per turn, shared among the lanes with work. @default REQUESTS_PER_TURN_MAX */
  readonly turnRequestsMax?: number;
  /** Requests queued across all lanes; past it an offer is refused. @default QUEUED_REQUESTS_MAX */
  readonly queuedRequestsMax?: number;
  /** Queued bytes across all lanes at which every lane that adds work pauses. @default QUEUED_BYTES_PAUSE */
  readonly queuedBytesPause?: number;
}

/** What a lane does with its requests and its socket. */
export interface LaneOptions<T> {
  /** Serves one request (synchronously; a throw propagates: programmer errors crash). */
  readonly run: (item: T) => void;
  /** Before a visit serves its first request (the owner corks its socket: one write per visit). @default none */
  readonly beforeVisit?: () => void;
  /** After a visit that served at least one request (uncork; admission's activity mark). @default none */
  readonly afterVisit?: () => void;
  /** Stop reading the socket; called once per pause. */
  readonly pause: () => void;
  /** Read the socket again. */
  readonly resume: () => void;
  /** Queued requests past which an offer is refused (the connection's in-flight bound). */
  readonly inflightMax: number;
  /** Queued bytes at which reading stops. @default INFLIGHT_BYTES_PER_CONNECTION_PAUSE */
  readonly bytesPause?: number;
}

/** Why an offer was refused: the limit's constant name and its value. */
export interface OfferRefusal {
  readonly limit: "INFLIGHT_REQUESTS_PER_CONNECTION_MAX" | "QUEUED_REQUESTS_MAX";
  readonly max: number;
}

/** Round-robin service of lanes with queued requests. */
export class RequestScheduler {
  /** Lanes with queued work, in service order (a Set keeps insertion order: re-adding moves to the back). */
  private readonly active = new Set<RequestLane<unknown>>();
  /** Lanes whose owner stopped reading; checked after every turn. */
  private readonly paused = new Set<RequestLane<unknown>>();
  private turnScheduled = false;
  readonly turnRequestsMax: number;
  readonly queuedRequestsMax: number;
  readonly queuedBytesPause: number;
  /** Requests and bytes queued across all lanes. */
  queuedRequests = 0;
  queuedBytes = 0;
  /** Times a lane paused its socket (a counter for tests and metrics). */
  pauses = 0;

  constructor(private readonly options: RequestSchedulerOptions) {
    this.turnRequestsMax = options.turnRequestsMax ?? REQUESTS_PER_TURN_MAX;
    this.queuedRequestsMax = options.queuedRequestsMax ?? QUEUED_REQUESTS_MAX;
    this.queuedBytesPause = options.queuedBytesPause ?? QUEUED_BYTES_PAUSE;
  }

  /** A new lane (one per connection). */
  lane<T>(options: LaneOptions<T>): RequestLane<T> {
    return new RequestLane<T>(this as RequestScheduler, options);
  }

  /** Lanes with queued work. */
  get activeLanes(): number {
    return this.active.size;
  }

  /** Whether the node's queue is past its pause point (every lane adding work pauses). */
  get underPressure(): boolean {
    return this.queuedRequests >= this.queuedRequestsMax * INFLIGHT_READ_PAUSE_RATIO || this.queuedBytes >= this.queuedBytesPause;
  }

  /** @internal A lane got work. */
  activate(lane: RequestLane<unknown>): void {
    this.active.add(lane);
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.options.schedule(() => this.turn());
  }

  /** @internal A lane closed or emptied. */
  forget(lane: RequestLane<unknown>): void {
    this.active.delete(lane);
    this.paused.delete(lane);
  }

  /** @internal A lane's owner stopped reading. */
  notePaused(lane: RequestLane<unknown>): void {
    this.paused.add(lane);
    this.pauses += 1;
  }

  /** One turn: each lane with work, in order, serves its share; then the paused lanes that drained read again. */
  private turn(): void {
    this.turnScheduled = false;
    let budget = this.turnRequestsMax;
    const share = Math.max(1, Math.ceil(this.turnRequestsMax / Math.max(1, this.active.size)));
    while (budget > 0) {
      const next = this.active.values().next();
      if (next.done === true) break;
      const lane = next.value;
      this.active.delete(lane);
      budget -= Math.max(1, lane.serve(Math.min(share, budget)));
      if (lane.size > 0) this.active.add(lane);
    }
    this.resumeDrained();
    if (this.active.size > 0 && !this.turnScheduled) {
      this.turnScheduled = true;
      this.options.schedule(() => this.turn());
    }
  }

  private resumeDrained(): void {
    if (this.paused.size === 0) return;
    const relieved = this.queuedRequests <= (this.queuedRequestsMax * INFLIGHT_READ_PAUSE_RATIO) / 2 && this.queuedBytes <= this.queuedBytesPause / 2;
    if (!relieved) return;
    for (const lane of [...this.paused]) {
      if (lane.drained) {
        this.paused.delete(lane);
        lane.unpause();
      }
    }
  }
}

/** One connection's queue of requests. */
export class RequestLane<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private paused = false;
  private closed = false;
  private readonly pauseAt: number;
  private readonly bytesPause: number;

  constructor(
    private readonly scheduler: RequestScheduler,
    private readonly options: LaneOptions<T>,
  ) {
    this.pauseAt = Math.max(1, Math.floor(options.inflightMax * INFLIGHT_READ_PAUSE_RATIO));
    this.bytesPause = options.bytesPause ?? INFLIGHT_BYTES_PER_CONNECTION_PAUSE;
  }

  /** Requests queued on this lane. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether the owner stopped reading for this lane. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** @internal Drained enough to read again: half the pause point, half the bytes. */
  get drained(): boolean {
    return this.closed || (this.size <= Math.floor(this.pauseAt / 2) && this.bytes <= this.bytesPause / 2);
  }

  /**
   * Queues a request of `bytes` bytes, or refuses it (null = queued). Past its pause point, or
   * while the node's queue is, the lane asks its owner to stop reading.
   */
  offer(item: T, bytes: number): OfferRefusal | null {
    if (this.closed) return null;
    if (this.size >= this.options.inflightMax) return { limit: "INFLIGHT_REQUESTS_PER_CONNECTION_MAX", max: this.options.inflightMax };
    const scheduler = this.scheduler;
    if (scheduler.queuedRequests >= scheduler.queuedRequestsMax) return { limit: "QUEUED_REQUESTS_MAX", max: scheduler.queuedRequestsMax };
    this.items.push(item);
    this.sizes.push(bytes);
    this.bytes += bytes;
    scheduler.queuedRequests += 1;
    scheduler.queuedBytes += bytes;
    scheduler.activate(this as RequestLane<unknown>);
    if (!this.paused && (this.size >= this.pauseAt || this.bytes >= this.bytesPause || scheduler.underPressure)) {
      this.paused = true;
      scheduler.notePaused(this as RequestLane<unknown>);
      this.options.pause();
    }
    return null;
  }

  /** Drops what is queued (the connection closed) and lets the owner read its close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.queuedRequests -= this.size;
    this.scheduler.queuedBytes -= this.bytes;
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
    this.scheduler.forget(this as RequestLane<unknown>);
    if (this.paused) this.unpause();
  }

  /** @internal Serves up to `count` requests; returns how many it served. */
  serve(count: number): number {
    if (this.closed || this.size === 0) return 0;
    this.options.beforeVisit?.();
    let served = 0;
    while (served < count && !this.closed && this.head < this.items.length) {
      const item = this.items[this.head] as T;
      const bytes = this.sizes[this.head] as number;
      this.head += 1;
      this.bytes -= bytes;
      this.scheduler.queuedRequests -= 1;
      this.scheduler.queuedBytes -= bytes;
      served += 1;
      this.options.run(item);
    }
    this.compact();
    if (served > 0) this.options.afterVisit?.();
    return served;
  }

  /** @internal Reading again. */
  unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.options.resume();
  }

  /** Drops served entries from the front once they are most of the arrays. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}

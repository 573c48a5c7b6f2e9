// The events timeline of one node: the core's log records that mark a cluster event
// (registration, eviction with its reason, suspicion, refutation, self-preservation, peers
// coming, going and leaving) become typed events in a bounded ring, read by sequence number, with a
// bounded long poll so that a page is at most a round trip behind. Shell code (timers).
import { LimitExceededError } from "../errors.js";
import { EVENT_WAITERS_MAX, EVENTS_KEPT_MAX } from "../limits.js";
import type { Clock } from "../core/clock.js";

/** What happened. */
export type EventKind =
  | "registration"
  | "unregistration"
  | "eviction"
  | "suspicion"
  | "refutation"
  | "selfPreservation"
  | "peerUp"
  | "peerDown"
  | "peerLeft"
  | "ready"
  | "pause";

/** Every kind, for validating filters. */
export const EVENT_KINDS: readonly EventKind[] = [
  "registration",
  "unregistration",
  "eviction",
  "suspicion",
  "refutation",
  "selfPreservation",
  "peerUp",
  "peerDown",
  "peerLeft",
  "ready",
  "pause",
];

/** An event as the node recorded it. */
export interface NodeEvent {
  /** 1, 2, ...: a reader asks for events after the last one it saw. */
  readonly seq: number;
  readonly atMs: number;
  readonly kind: EventKind;
  readonly brokerKey?: string;
  readonly peerId?: string;
  /**
   * Eviction reason (expired, connectionClosed); "registered" (a new header) or "alive" (routed
   * again) for a registration; "on"/"off" for self-preservation.
   */
  readonly reason?: string;
  /** The core's log message it came from. */
  readonly message: string;
}

/** The event part of a log record. */
export type EventBody = Omit<NodeEvent, "seq" | "atMs">;

/**
 * The event a core log record marks, or null. The messages are the core's fixed log strings;
 * event_log.test.ts drives a real NameServerNode through each event, so a renamed message
 * fails there.
 */
export function eventOfLog(message: string, fields: Readonly<Record<string, unknown>>): EventBody | null {
  const brokerKey = typeof fields["brokerKey"] === "string" ? { brokerKey: fields["brokerKey"] } : {};
  const peerId = typeof fields["peerId"] === "string" ? { peerId: fields["peerId"] } : {};
  switch (message) {
    // A registration with a new header (a new broker, a new dataVersion), as every node applies it.
    case "broker instance changed":
      return { kind: "registration", ...brokerKey, reason: "registered", message };
    // A broker held offline or suspect is routed again.
    case "broker alive":
      return { kind: "registration", ...brokerKey, reason: "alive", message };
    case "broker offline": {
      const reason = typeof fields["reason"] === "string" ? fields["reason"] : "unknown";
      return { kind: reason === "unregistered" ? "unregistration" : "eviction", ...brokerKey, reason, message };
    }
    case "broker suspected":
      return { kind: "suspicion", ...brokerKey, message };
    case "crash verdict refuted":
      return { kind: "refutation", ...brokerKey, message };
    case "self-preservation off":
      return { kind: "selfPreservation", reason: "off", message };
    case "peer up":
      return { kind: "peerUp", ...peerId, message };
    case "peer down":
      return { kind: "peerDown", ...peerId, message };
    // A draining peer said it is leaving: down, but no failure.
    case "peer left":
      return { kind: "peerLeft", ...peerId, message };
    case "node ready":
      return { kind: "ready", message };
    case "tick loop paused; deadlines shifted":
      return { kind: "pause", message };
    default:
      return message.startsWith("self-preservation on") ? { kind: "selfPreservation", reason: "on", message } : null;
  }
}

/** A read of the ring. */
export interface EventsAnswer {
  readonly events: NodeEvent[];
  /** The newest sequence number recorded (0 before the first): ask after it next time. */
  readonly lastSeq: number;
  /** True when events after `after` were already dropped from the ring. */
  readonly gap: boolean;
}

/** Bounded ring of events with long-poll waiters. */
export class EventLog {
  private readonly ring: NodeEvent[] = [];
  private lastSeq = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    private readonly keptMax = EVENTS_KEPT_MAX,
  ) {}

  /** Records an event and wakes every waiter. */
  record(body: EventBody): void {
    this.lastSeq += 1;
    this.ring.push({ seq: this.lastSeq, atMs: this.clock.nowMs(), ...body });
    if (this.ring.length > this.keptMax) this.ring.splice(0, this.ring.length - this.keptMax);
    for (const wake of [...this.waiters]) wake();
  }

  /** Records the event a core log record marks, if any. */
  recordLog(message: string, fields: Readonly<Record<string, unknown>>): void {
    const body = eventOfLog(message, fields);
    if (body) this.record(body);
  }

  /** Events after `after`, oldest first, of the given kinds (all when null), at most `limit` (the oldest ones). */
  since(after: number, kinds: ReadonlySet<EventKind> | null, limit: number): EventsAnswer {
    const oldest = this.ring[0]?.seq ?? this.lastSeq + 1;
    const events: NodeEvent[] = [];
    for (const event of this.ring) {
      if (event.seq <= after || (kinds !== null && !kinds.has(event.kind))) continue;
      if (events.length >= limit) break;
      events.push(event);
    }
    return { events, lastSeq: this.lastSeq, gap: after + 1 < oldest && after < this.lastSeq };
  }

  /**
   * Resolves once an event after `after` is recorded or `waitMs` passed (at once when one
   * already is). LimitExceededError past EVENT_WAITERS_MAX waiters.
   */
  wait(after: number, waitMs: number): Promise<void> {
    if (this.lastSeq > after || waitMs <= 0) return Promise.resolve();
    if (this.waiters.size >= EVENT_WAITERS_MAX) {
      return Promise.reject(new LimitExceededError("EVENT_WAITERS_MAX", `at most ${EVENT_WAITERS_MAX} event long polls wait at once`));
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.waiters.add(done);
    });
  }

  /** Number of long polls waiting. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Releases every waiter (shutdown). */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

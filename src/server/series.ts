// The last 15 minutes of a node's own figures for the dashboard's charts: every SERIES_SAMPLE_MS
// the server reads its cumulative counters and the propagation delays applied since, and this
// ring keeps the differences (requests by type, evictions by reason), delay statistics and
// connection counts. Pure: the server owns the timer and passes the time and readings in.
import { SERIES_REQUEST_TYPES_MAX, SERIES_SAMPLES_MAX } from "../limits.js";

/** Cumulative figures at one moment, and the delays observed since the last reading. */
export interface SeriesReading {
  /** Requests answered since start, by type (native request codes, HTTP routes). */
  readonly requestsTotal: ReadonlyMap<string, number>;
  readonly evictionsExpiredTotal: number;
  readonly evictionsConnectionClosedTotal: number;
  /** Propagation delays (ms) of records applied since the last reading. */
  readonly propagationDelaysMs: readonly number[];
  /** Open connections by role now. */
  readonly connections: Readonly<Record<string, number>>;
}

/** One sample: what happened in the interval ending at `atMs`. */
export interface SeriesSample {
  readonly atMs: number;
  readonly intervalMs: number;
  /** Requests in the interval by type; types past SERIES_REQUEST_TYPES_MAX are summed as "other". */
  readonly requests: Readonly<Record<string, number>>;
  readonly evictions: { readonly expired: number; readonly connectionClosed: number };
  /** Delay statistics of the records applied in the interval (null without any). */
  readonly propagation: { readonly count: number; readonly meanMs: number; readonly p99Ms: number; readonly maxMs: number } | null;
  readonly connections: Readonly<Record<string, number>>;
}

/** Ring of samples. */
export class SeriesRecorder {
  private readonly ring: SeriesSample[] = [];
  private previous: SeriesReading | null = null;
  private previousAtMs: number;

  constructor(
    startedAtMs: number,
    private readonly samplesMax = SERIES_SAMPLES_MAX,
  ) {
    this.previousAtMs = startedAtMs;
  }

  /** Takes one reading; the first one only sets the baseline unless it carries delays. */
  sample(reading: SeriesReading, nowMs: number): void {
    const previous = this.previous;
    const requests: Record<string, number> = {};
    const types = [...reading.requestsTotal.keys()].sort();
    for (const type of types) {
      const delta = (reading.requestsTotal.get(type) ?? 0) - (previous?.requestsTotal.get(type) ?? 0);
      if (delta <= 0) continue;
      const label = Object.keys(requests).length < SERIES_REQUEST_TYPES_MAX - 1 || type in requests ? type : "other";
      requests[label] = (requests[label] ?? 0) + delta;
    }
    this.ring.push({
      atMs: nowMs,
      intervalMs: nowMs - this.previousAtMs,
      requests,
      evictions: {
        expired: reading.evictionsExpiredTotal - (previous?.evictionsExpiredTotal ?? 0),
        connectionClosed: reading.evictionsConnectionClosedTotal - (previous?.evictionsConnectionClosedTotal ?? 0),
      },
      propagation: delayStats(reading.propagationDelaysMs),
      connections: { ...reading.connections },
    });
    if (this.ring.length > this.samplesMax) this.ring.splice(0, this.ring.length - this.samplesMax);
    this.previous = reading;
    this.previousAtMs = nowMs;
  }

  /** Samples oldest first, taken after `sinceMs` (all when null). */
  samples(sinceMs: number | null = null): SeriesSample[] {
    return sinceMs === null ? [...this.ring] : this.ring.filter((sample) => sample.atMs > sinceMs);
  }
}

/** Count, mean, 99th percentile (nearest rank) and maximum of some delays; null for none. */
export function delayStats(delaysMs: readonly number[]): SeriesSample["propagation"] {
  if (delaysMs.length === 0) return null;
  const sorted = [...delaysMs].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  const rank = Math.max(0, Math.ceil(0.99 * sorted.length) - 1);
  return { count: sorted.length, meanMs: sum / sorted.length, p99Ms: sorted[rank] as number, maxMs: sorted[sorted.length - 1] as number };
}

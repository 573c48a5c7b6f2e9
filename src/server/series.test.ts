// Goal: the series ring turns cumulative readings into per-interval samples (requests by type,
// evictions by reason, delay statistics, connections), folds surplus request types into
// "other", and keeps at most its bound. Method: feed readings by hand.
import { describe, expect, it } from "vitest";
import { SERIES_REQUEST_TYPES_MAX } from "../limits.js";
import { SeriesRecorder, delayStats, type SeriesReading } from "./series.js";

function reading(requests: Record<string, number>, expired = 0, closed = 0, delays: number[] = []): SeriesReading {
  return {
    requestsTotal: new Map(Object.entries(requests)),
    evictionsExpiredTotal: expired,
    evictionsConnectionClosedTotal: closed,
    propagationDelaysMs: delays,
    connections: { client: 1, broker: 2 },
  };
}

describe("series", () => {
  it("series: samples hold the differences of cumulative counters over their interval", () => {
    const series = new SeriesRecorder(0);
    series.sample(reading({ GET_ROUTE: 10 }, 1, 0, [5]), 5_000);
    series.sample(reading({ GET_ROUTE: 25, HEARTBEAT: 3 }, 1, 2, []), 10_000);
    const [first, second] = series.samples();
    expect(first).toMatchObject({ atMs: 5_000, intervalMs: 5_000, requests: { GET_ROUTE: 10 }, evictions: { expired: 1, connectionClosed: 0 } });
    expect(first?.propagation).toEqual({ count: 1, meanMs: 5, p99Ms: 5, maxMs: 5 });
    expect(second).toMatchObject({ requests: { GET_ROUTE: 15, HEARTBEAT: 3 }, evictions: { expired: 0, connectionClosed: 2 }, propagation: null });
    expect(second?.connections).toEqual({ client: 1, broker: 2 });
    expect(series.samples(5_000)).toHaveLength(1);
  });

  it("series: the ring keeps its bound, newest last", () => {
    const series = new SeriesRecorder(0, 3);
    for (let index = 1; index <= 5; index++) series.sample(reading({}), index * 1_000);
    expect(series.samples().map((sample) => sample.atMs)).toEqual([3_000, 4_000, 5_000]);
  });

  it("series: request types past SERIES_REQUEST_TYPES_MAX are summed as other", () => {
    const requests: Record<string, number> = {};
    for (let index = 0; index < SERIES_REQUEST_TYPES_MAX + 5; index++) requests[`T${String(index).padStart(3, "0")}`] = 1;
    const series = new SeriesRecorder(0);
    series.sample(reading(requests), 1_000);
    const sample = series.samples()[0]?.requests ?? {};
    expect(Object.keys(sample)).toHaveLength(SERIES_REQUEST_TYPES_MAX);
    expect(sample["other"]).toBe(6);
  });

  it("series: delay statistics: mean, nearest-rank p99, max", () => {
    const delays = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(delayStats(delays)).toEqual({ count: 100, meanMs: 50.5, p99Ms: 99, maxMs: 100 });
    expect(delayStats([])).toBeNull();
  });
});

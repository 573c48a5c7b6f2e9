// Charts view: the last 15 minutes of this node's own figures (5 s samples from /v1/series):
// requests by type, propagation delay, evictions by reason, connections by role. uPlot draws
// them (small, fast, canvas); each chart has its latest values as text beside it.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { usePoll } from "../api.js";
import type { SeriesAnswer, SeriesSample } from "../types.js";

const SERIES_POLL_MS = 5_000;
/** Request types drawn separately (the busiest); the rest are one "other" line. */
const REQUEST_LINES_MAX = 6;
/** Line colours: dark enough on white for 3:1 contrast. */
const PALETTE = ["#1f5fbf", "#b3401a", "#2e7d32", "#7b1fa2", "#8d6e00", "#00695c", "#5d4037"];
const CHART_HEIGHT_PX = 220;

interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly names: readonly string[];
  readonly values: (sample: SeriesSample) => readonly (number | null)[];
}

export function ChartsView({ refreshKey }: { refreshKey: number }) {
  const polled = usePoll<SeriesAnswer>("v1/series", SERIES_POLL_MS, refreshKey);
  const samples = polled.data?.samples ?? [];
  if (polled.data === null) return <p class="muted">{polled.error ? polled.error.message : "Loading…"}</p>;
  const types = busiestTypes(samples);
  const specs: ChartSpec[] = [
    {
      title: "Requests per second by type",
      unit: "/s",
      names: types,
      values: (sample) =>
        types.map((type) => {
          const count = type === "other" ? otherCount(sample, types) : (sample.requests[type] ?? 0);
          return sample.intervalMs > 0 ? (count * 1_000) / sample.intervalMs : 0;
        }),
    },
    {
      title: "Propagation delay (records from peers)",
      unit: "ms",
      names: ["mean", "p99", "max"],
      values: (sample) => (sample.propagation ? [sample.propagation.meanMs, sample.propagation.p99Ms, sample.propagation.maxMs] : [null, null, null]),
    },
    { title: "Evictions per sample", unit: "", names: ["expired", "connection lost"], values: (sample) => [sample.evictions.expired, sample.evictions.connectionClosed] },
    {
      title: "Connections by role",
      unit: "",
      names: ["client", "broker", "peer", "pending"],
      values: (sample) => ["client", "broker", "peer", "pending"].map((role) => sample.connections[role] ?? 0),
    },
  ];
  return (
    <section>
      <h2>
        Node {polled.data.nodeId}, last 15 minutes <span class="muted small">({samples.length} samples of {polled.data.sampleMs / 1_000} s)</span>
      </h2>
      {samples.length === 0 ? <p class="muted">The first sample comes {polled.data.sampleMs / 1_000} s after the node started.</p> : null}
      <div class="charts">
        {specs.map((spec) => (
          <Chart key={spec.title} spec={spec} samples={samples} />
        ))}
      </div>
    </section>
  );
}

function Chart({ spec, samples }: { spec: ChartSpec; samples: readonly SeriesSample[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = spec.names.join("|");
  useEffect(() => {
    const element = holder.current;
    if (!element) return undefined;
    const options: uPlot.Options = {
      width: Math.max(240, element.clientWidth),
      height: CHART_HEIGHT_PX,
      series: [{}, ...spec.names.map((name, index) => ({ label: name, stroke: PALETTE[index % PALETTE.length] as string, width: 2, spanGaps: false }))],
      axes: [{ stroke: "#333" }, { stroke: "#333", size: 56 }],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(options, toData(spec, samples), element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, element.clientWidth), height: CHART_HEIGHT_PX }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the lines change; new samples only update the data (below).
  }, [key]);
  useEffect(() => {
    plot.current?.setData(toData(spec, samples));
  }, [samples, spec]);
  const last = samples[samples.length - 1];
  const latest = last ? spec.values(last) : [];
  return (
    <figure class="chart">
      <figcaption>{spec.title}</figcaption>
      <div ref={holder} class="plot" role="img" aria-label={`${spec.title}, chart of the last 15 minutes`} />
      <p class="small muted">
        Latest:{" "}
        {spec.names.map((name, index) => {
          const value = latest[index];
          return `${name} ${value === null || value === undefined ? "–" : `${round(value)}${spec.unit}`}`;
        }).join(", ")}
      </p>
    </figure>
  );
}

function toData(spec: ChartSpec, samples: readonly SeriesSample[]): uPlot.AlignedData {
  const xs = samples.map((sample) => sample.atMs / 1_000);
  const columns = spec.names.map((_, index) => samples.map((sample) => spec.values(sample)[index] ?? null));
  return [xs, ...columns] as uPlot.AlignedData;
}

function busiestTypes(samples: readonly SeriesSample[]): string[] {
  const totals = new Map<string, number>();
  for (const sample of samples) for (const [type, count] of Object.entries(sample.requests)) totals.set(type, (totals.get(type) ?? 0) + count);
  const sorted = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([type]) => type);
  if (sorted.length <= REQUEST_LINES_MAX) return sorted.length === 0 ? ["requests"] : sorted;
  return [...sorted.slice(0, REQUEST_LINES_MAX - 1), "other"];
}

function otherCount(sample: SeriesSample, shown: readonly string[]): number {
  let count = 0;
  for (const [type, value] of Object.entries(sample.requests)) if (!shown.includes(type) || type === "other") count += value;
  return count;
}

function round(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

// Hand-written SVG charts from the bench data: line/scatter charts with optional log axes.
// No dependencies; the output is small, static and diff-friendly.

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** "line" joins the points; "dots" draws markers only. */
  readonly style?: "line" | "dots";
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly series: readonly Series[];
  /** Vertical reference lines (x, label). */
  readonly markers?: readonly { x: number; label: string }[];
  readonly yCategories?: readonly string[];
}

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 50 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(value: number): string {
  if (Math.abs(value) >= 1000) return `${Math.round(value / 100) / 10}k`.replace(".0k", "k");
  if (Math.abs(value) >= 10) return String(Math.round(value));
  return String(Math.round(value * 100) / 100);
}

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp++) out.push(10 ** exp);
    return out;
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => span / s <= 8) ?? step * 10;
  const out: number[] = [];
  for (let value = Math.ceil(min / nice) * nice; value <= max + 1e-9; value += nice) out.push(value);
  return out;
}

/** Renders a chart to an SVG document. */
export function renderChart(options: ChartOptions): string {
  const all = options.series.flatMap((series) => series.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xsAll = [...all.map(([x]) => x), ...(options.markers ?? []).map((marker) => marker.x)];
  const ysAll = all.map(([, y]) => y);
  let xMin = Math.min(...xsAll);
  let xMax = Math.max(...xsAll);
  let yMin = Math.min(...ysAll);
  let yMax = Math.max(...ysAll);
  if (options.logX) {
    xMin = 10 ** Math.floor(Math.log10(Math.max(xMin, 1e-3)));
    xMax = 10 ** Math.ceil(Math.log10(Math.max(xMax, xMin * 10)));
  } else {
    xMin = Math.min(0, xMin);
    xMax = xMax === xMin ? xMin + 1 : xMax * 1.05;
  }
  if (options.logY) {
    yMin = 10 ** Math.floor(Math.log10(Math.max(yMin, 1e-3)));
    yMax = 10 ** Math.ceil(Math.log10(Math.max(yMax, yMin * 10)));
  } else {
    yMin = Math.min(0, yMin);
    yMax = yMax === yMin ? yMin + 1 : yMax * 1.05;
  }
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number): number => MARGIN.left + plotW * (options.logX ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin));
  const sy = (y: number): number => MARGIN.top + plotH * (1 - (options.logY ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  for (const tick of ticks(xMin, xMax, options.logX ?? false)) {
    const x = sx(tick).toFixed(1);
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${fmt(tick)}</text>`);
  }
  if (options.yCategories) {
    options.yCategories.forEach((label, index) => {
      out.push(`<text x="${MARGIN.left - 6}" y="${(sy(index) + 4).toFixed(1)}" text-anchor="end" font-size="10">${esc(label)}</text>`);
    });
  } else {
    for (const tick of ticks(yMin, yMax, options.logY ?? false)) {
      const y = sy(tick).toFixed(1);
      out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#eee"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${Number(y) + 4}" text-anchor="end">${fmt(tick)}</text>`);
    }
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  for (const marker of options.markers ?? []) {
    const x = sx(marker.x).toFixed(1);
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${Number(x) + 3}" y="${MARGIN.top + 12}" font-size="10" fill="#555">${esc(marker.label)}</text>`);
  }
  options.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length] as string;
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logX || x > 0) && (!options.logY || y > 0));
    if (series.style === "dots") {
      for (const [x, y] of points) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}" fill-opacity="0.75"/>`);
    } else if (points.length > 0) {
      const d = points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
      if (points.length < 12) for (const [x, y] of points) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = MARGIN.top + 10 + index * 18;
    out.push(`<rect x="${WIDTH - MARGIN.right + 12}" y="${ly - 8}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${WIDTH - MARGIN.right + 30}" y="${ly + 2}">${esc(series.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** CDF points from sorted samples. */
export function cdf(sorted: readonly number[]): [number, number][] {
  const n = sorted.length;
  return sorted.map((value, index) => [value, (index + 1) / n]);
}

// An SVG timeline of a run, like Jepsen's: one row per node and broker, a bar for each fault
// on each process it acts on (coloured by kind, hover for details), and a red mark for each
// violation on its row (nodes disagreeing: the "cluster" row). No dependencies.
import type { Violation } from "./checker.js";
import { FAULT_KINDS, type FaultKind, type History } from "./history.js";

const WIDTH = 1_200;
const ROW_HEIGHT = 22;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;
const LEGEND_HEIGHT = 70;
/** Above this many faults the bars carry no hover titles (they would dominate the file size). */
const TITLED_FAULTS_MAX = 1_000;
const COLORS: Readonly<Record<FaultKind, string>> = {
  nodeKill: "#7f7f7f",
  nodePause: "#bcbd22",
  partitionSymmetric: "#1f77b4",
  partitionOneWay: "#aec7e8",
  nodeCutFromBrokers: "#9467bd",
  nodeCutFromPeers: "#c5b0d5",
  packetLoss: "#ff7f0e",
  peerDelay: "#ffbb78",
  clockStep: "#17becf",
  kvDisk: "#8c564b",
  brokerKill: "#2ca02c",
  brokerPause: "#98df8a",
  brokerRestart: "#e377c2",
};

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Renders the timeline of a history and its violations. */
export function renderTimeline(history: History, violations: readonly Violation[]): string {
  const { meta } = history;
  const rows = ["cluster", ...meta.nodes, ...meta.brokers];
  const spanMs = Math.max(1, meta.endMs);
  const plotW = WIDTH - LEFT - RIGHT;
  const height = TOP + rows.length * ROW_HEIGHT + 30 + LEGEND_HEIGHT;
  const x = (ms: number): number => LEFT + (plotW * Math.max(0, ms)) / spanMs;
  const y = (row: string): number => TOP + rows.indexOf(row) * ROW_HEIGHT;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${WIDTH}" height="${height}" fill="white"/>`);
  out.push(`<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(`chaos run, seed ${meta.seed}${meta.sabotage ? ` (sabotage: ${meta.sabotage})` : ""}: ${history.faults.length} faults, ${violations.length} violations`)}</text>`);
  rows.forEach((row, index) => {
    const top = TOP + index * ROW_HEIGHT;
    if (index % 2 === 0) out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${ROW_HEIGHT}" fill="#f6f6f6"/>`);
    out.push(`<text x="${LEFT - 6}" y="${top + 15}" text-anchor="end">${esc(row)}</text>`);
  });
  for (const [fromMs, label] of [[meta.nemesisStartMs, "nemesis"], [meta.finalHealMs, "final heal"]] as const) {
    out.push(`<line x1="${x(fromMs).toFixed(1)}" y1="${TOP}" x2="${x(fromMs).toFixed(1)}" y2="${TOP + rows.length * ROW_HEIGHT}" stroke="#555" stroke-dasharray="4 3"/>`);
    const nearRight = x(fromMs) > WIDTH - RIGHT - 80;
    out.push(`<text x="${(x(fromMs) + (nearRight ? -3 : 3)).toFixed(1)}" y="${TOP - 4}" fill="#555"${nearRight ? ' text-anchor="end"' : ""}>${label}</text>`);
  }
  // Bars grouped by kind (one fill per group); a long run's thousands of bars lose their
  // hover titles, which would make the file many megabytes.
  const titled = history.faults.length <= TITLED_FAULTS_MAX;
  for (const kind of FAULT_KINDS) {
    out.push(`<g fill="${COLORS[kind]}" fill-opacity="0.8">`);
    for (const fault of history.faults) {
      if (fault.kind !== kind) continue;
      const from = x(fault.startMs);
      const width = Math.max(1, x(fault.healedMs ?? meta.endMs) - from);
      const title = titled ? `<title>${esc(`${fault.id} ${fault.kind} ${fault.targets.join(",")} ${JSON.stringify(fault.params)} ${Math.round(fault.startMs)}-${Math.round(fault.healedMs ?? meta.endMs)} ms`)}</title>` : "";
      for (const target of fault.targets) {
        if (!rows.includes(target)) continue;
        out.push(`<rect x="${from.toFixed(1)}" y="${y(target) + 3}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 6}">${title}</rect>`);
      }
    }
    out.push("</g>");
  }
  for (const violation of violations) {
    const row = violation.node ?? violation.broker ?? "cluster";
    const cx = x(violation.atMs);
    const top = y(rows.includes(row) ? row : "cluster");
    const title = `${violation.kind} at ${Math.round(violation.atMs)} ms: ${violation.detail} (faults: ${violation.faults.join(" ") || "none"})`;
    out.push(`<path d="M${cx.toFixed(1)} ${top + 2} l4 8 l-8 0 z" fill="#d62728"><title>${esc(title)}</title></path>`);
  }
  const axisY = TOP + rows.length * ROW_HEIGHT;
  const stepS = niceStep(spanMs / 1000);
  for (let s = 0; s * 1000 <= spanMs; s += stepS) {
    out.push(`<line x1="${x(s * 1000).toFixed(1)}" y1="${axisY}" x2="${x(s * 1000).toFixed(1)}" y2="${axisY + 4}" stroke="#333"/>`);
    out.push(`<text x="${x(s * 1000).toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${s} s</text>`);
  }
  FAULT_KINDS.forEach((kind, index) => {
    const lx = LEFT + (index % 7) * 160;
    const ly = axisY + 36 + Math.floor(index / 7) * 18;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLORS[kind]}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly + 1}">${kind}</text>`);
  });
  const vy = axisY + 36 + 2 * 18;
  out.push(`<path d="M${LEFT + 6} ${vy - 9} l4 8 l-8 0 z" fill="#d62728"/><text x="${LEFT + 16}" y="${vy + 1}">violation (hover for details)</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function niceStep(spanS: number): number {
  for (const step of [1, 2, 5, 10, 20, 30, 60, 120, 300, 600]) if (spanS / step <= 20) return step;
  return 1_200;
}

// CPU profiles of our node during a bench phase: the node runs under `node --cpu-prof`, the bench
// notes each phase's start and end on the same monotonic clock as V8's profile timestamps
// (process.hrtime, microseconds), and the samples of each window are summed by function and by
// file (self time). Paths are cut to the part from dist/ or node_modules/, so nothing of this
// machine's layout reaches the results.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { round3 } from "./util.js";

/** Functions and files listed per window. */
const TOP_FUNCTIONS = 15;
const TOP_FILES = 10;

/** A phase the bench timed, on the monotonic clock in microseconds. */
export interface ProfileWindow {
  readonly name: string;
  readonly fromUs: number;
  readonly toUs: number;
}

/** Self time of one window, as shares of its samples. */
export interface ProfileSummary {
  readonly window: string;
  readonly samples: number;
  /** "function (file:line)" and its share of the window's samples, in percent. */
  readonly functions: { readonly name: string; readonly percent: number }[];
  readonly files: { readonly name: string; readonly percent: number }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The monotonic clock of V8's profiles, in microseconds. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Where a script sits, from dist/ or node_modules/ on ("node:internal" and the like stay). */
function shortUrl(url: string): string {
  if (url === "") return "";
  for (const marker of ["/node_modules/", "/dist/"]) {
    const at = url.lastIndexOf(marker);
    if (at >= 0) return url.slice(at + 1);
  }
  return url.startsWith("file://") ? url.slice(url.lastIndexOf("/") + 1) : url;
}

/** Summarizes every window over the one .cpuprofile in `dir` (the newest, if several). */
export function summarizeProfile(dir: string, windows: readonly ProfileWindow[]): ProfileSummary[] {
  const files = readdirSync(dir).filter((name) => name.endsWith(".cpuprofile")).sort();
  const file = files[files.length - 1];
  if (file === undefined) throw new Error("no .cpuprofile written");
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
  const frames = new Map<number, { fn: string; file: string }>();
  for (const node of profile.nodes) {
    const where = shortUrl(node.callFrame.url);
    const fn = node.callFrame.functionName || "(anonymous)";
    frames.set(node.id, { fn: where === "" ? fn : `${fn} (${where}:${node.callFrame.lineNumber + 1})`, file: where === "" ? fn : where });
  }
  const times: number[] = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((at += delta));
  return windows.map((window) => {
    const byFunction = new Map<string, number>();
    const byFile = new Map<string, number>();
    let count = 0;
    profile.samples.forEach((id, index) => {
      const time = times[index] as number;
      if (time < window.fromUs || time > window.toUs) return;
      const frame = frames.get(id);
      if (!frame) return;
      count += 1;
      byFunction.set(frame.fn, (byFunction.get(frame.fn) ?? 0) + 1);
      byFile.set(frame.file, (byFile.get(frame.file) ?? 0) + 1);
    });
    const top = (map: Map<string, number>, n: number): { name: string; percent: number }[] =>
      [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, hits]) => ({ name, percent: round3((100 * hits) / Math.max(1, count)) }));
    return { window: window.name, samples: count, functions: top(byFunction, TOP_FUNCTIONS), files: top(byFile, TOP_FILES) };
  });
}

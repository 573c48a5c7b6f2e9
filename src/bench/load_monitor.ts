// How busy the machine was with work other than the bench: every few seconds, the CPU time all
// processes used (/proc/stat) less what the bench's own process tree used (/proc/<pid>/stat of
// it and every live descendant, reaped children included through cutime and cstime), in
// cores; plus the 1-minute load average, and the same per figure.
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { round3 } from "./util.js";

/** Clock ticks per second of /proc/stat (Linux USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Sampling period. */
const SAMPLE_MS = 5_000;
/** Processes looked at below the bench (it starts at most a few dozen). */
const DESCENDANTS_MAX = 1_000;
/** Other work below this many cores on average counts as a quiet run (of 2 cores). */
export const QUIET_OTHER_CORES_MAX = 0.25;
/** A run starts quiet when the 1-minute load average is below this. */
export const LOAD_AVERAGE_QUIET_MAX = 1.5;

/** Other work while one figure ran. */
export interface FigureLoad {
  readonly startedAt: string;
  readonly seconds: number;
  readonly otherCoresMean: number;
  readonly otherCoresMax: number;
  readonly quiet: boolean;
}

/** What the monitor saw. */
export interface LoadSummary {
  /** 1-minute load average when the bench started (before it started anything). */
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  /** Cores used by processes other than the bench's, mean and highest 5 s sample. */
  readonly otherCoresMean: number;
  readonly otherCoresMax: number;
  readonly samples: number;
  /** Load before the run was low, and every figure ran quiet. */
  readonly quiet: boolean;
  /** Other work per figure run (figures taken from --base keep theirs). */
  readonly figures: Record<string, FigureLoad>;
}

function busySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return (total - idle) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of `root` and everything it ever started: utime + stime + cutime + cstime of it
 * and of each live descendant. A child that exits is reaped by its parent and its time moves
 * into the parent's cutime/cstime, so the sum only grows and nothing is counted twice.
 */
function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of descendants(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the ")": state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch (error) {
      // Exited since the list was taken: its time is in its parent's cutime by the next sample.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ESRCH") throw error;
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** `pid` and every process below it (/proc/<pid>/task/<tid>/children), bounded. */
function descendants(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0 && out.length < DESCENDANTS_MAX) {
    const pid = queue.shift() as number;
    out.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const tid of tasks) {
      try {
        for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (child !== "") queue.push(Number(child));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  }
  return out;
}

/** Samples other processes' CPU use until stopped. */
export class LoadMonitor {
  private readonly loadAtStart = loadavg()[0] ?? Number.NaN;
  /** Cores of other work per sample interval (epoch ms). */
  private readonly other: { fromMs: number; toMs: number; cores: number }[] = [];
  private readonly figures: Record<string, FigureLoad> = {};
  private timer: NodeJS.Timeout | null = null;
  private lastBusy = busySeconds();
  private lastAt = Date.now();
  private lastOwn = treeCpuSeconds(process.pid);

  constructor() {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const busy = busySeconds();
    const own = treeCpuSeconds(process.pid);
    const at = Date.now();
    const seconds = (at - this.lastAt) / 1000;
    if (seconds > 0) this.other.push({ fromMs: this.lastAt, toMs: at, cores: Math.max(0, (busy - this.lastBusy - (own - this.lastOwn)) / seconds) });
    this.lastBusy = busy;
    this.lastOwn = own;
    this.lastAt = at;
  }

  /** Runs `body` as figure `figure`: a sample is taken at its start and end, and its share kept. */
  async figure(figure: string, body: () => Promise<void>): Promise<void> {
    this.sample();
    const fromMs = Date.now();
    try {
      await body();
    } finally {
      this.sample();
      const toMs = Date.now();
      const stats = weighted(this.other.filter((entry) => entry.fromMs >= fromMs && entry.toMs <= toMs));
      this.figures[figure] = { startedAt: new Date(fromMs).toISOString(), seconds: round3((toMs - fromMs) / 1000), otherCoresMean: stats.mean, otherCoresMax: stats.max, quiet: stats.mean <= QUIET_OTHER_CORES_MAX };
    }
  }

  /** Stops sampling and summarizes. */
  stop(): LoadSummary {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const { mean, max } = weighted(this.other);
    return {
      loadAtStart: round3(this.loadAtStart),
      loadAtEnd: round3(loadavg()[0] ?? Number.NaN),
      otherCoresMean: round3(mean),
      otherCoresMax: round3(max),
      samples: this.other.length,
      quiet: this.loadAtStart < LOAD_AVERAGE_QUIET_MAX && Object.values(this.figures).every((figure) => figure.quiet),
      figures: { ...this.figures },
    };
  }
}

/** Time-weighted mean and the highest interval of other work. */
function weighted(entries: readonly { fromMs: number; toMs: number; cores: number }[]): { mean: number; max: number } {
  let weight = 0;
  let sum = 0;
  let max = 0;
  for (const entry of entries) {
    const ms = entry.toMs - entry.fromMs;
    weight += ms;
    sum += entry.cores * ms;
    // Intervals shorter than a second (at figure boundaries) are too coarse for a maximum.
    if (ms >= 1_000) max = Math.max(max, entry.cores);
  }
  return { mean: round3(weight > 0 ? sum / weight : 0), max: round3(max) };
}

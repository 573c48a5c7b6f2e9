// How busy the machine was with work other than the bench: every few seconds, the CPU time all
// processes used (/proc/stat) less what the bench and the processes it started used
// (/proc/<pid>/stat, every process below the bench), in cores; plus the 1-minute load average. A process the bench started and
// stopped between two samples counts as other work, so the figure errs towards "loaded".
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { cpuSeconds, round3, type ProcessTracker } from "./util.js";

/** Clock ticks per second of /proc/stat (Linux USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;
/** Sampling period. */
const SAMPLE_MS = 5_000;
/** Processes looked at below the bench (it starts at most a few dozen). */
const DESCENDANTS_MAX = 1_000;
/** Other work below this many cores on average counts as a quiet run (of 2 cores). */
export const QUIET_OTHER_CORES_MAX = 0.25;

/** What the monitor saw. */
export interface LoadSummary {
  /** 1-minute load average when the bench started (before it started anything). */
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
  /** Cores used by processes other than the bench's, mean and highest 5 s sample. */
  readonly otherCoresMean: number;
  readonly otherCoresMax: number;
  readonly samples: number;
  readonly quiet: boolean;
}

function busySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return (total - idle) / CLOCK_TICKS_PER_SECOND;
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
  private readonly other: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastBusy = busySeconds();
  private lastAt = Date.now();
  private lastOwn = new Map<number, number>();

  constructor(private readonly procs: ProcessTracker) {
    this.lastOwn = this.ownCpu();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** CPU seconds of the bench process and of each process it runs, by pid. */
  private ownCpu(): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of new Set([...descendants(process.pid), ...this.procs.pids])) {
      try {
        out.set(pid, cpuSeconds(pid));
      } catch (error) {
        // A process that exited since the list was taken: its time counts as other work.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ESRCH") throw error;
      }
    }
    return out;
  }

  private sample(): void {
    const busy = busySeconds();
    const own = this.ownCpu();
    const at = Date.now();
    let ownDelta = 0;
    for (const [pid, seconds] of own) {
      const before = this.lastOwn.get(pid);
      if (before !== undefined) ownDelta += seconds - before;
    }
    const seconds = (at - this.lastAt) / 1000;
    if (seconds > 0) this.other.push(Math.max(0, (busy - this.lastBusy - ownDelta) / seconds));
    this.lastBusy = busy;
    this.lastOwn = own;
    this.lastAt = at;
  }

  /** Stops sampling and summarizes. */
  stop(): LoadSummary {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const mean = this.other.reduce((sum, value) => sum + value, 0) / Math.max(1, this.other.length);
    const max = Math.max(0, ...this.other);
    return {
      loadAtStart: round3(this.loadAtStart),
      loadAtEnd: round3(loadavg()[0] ?? Number.NaN),
      otherCoresMean: round3(mean),
      otherCoresMax: round3(max),
      samples: this.other.length,
      quiet: this.loadAtStart < 1.5 && mean <= QUIET_OTHER_CORES_MAX,
    };
  }
}

// Ground truth of a history as intervals: when each process ran, when each link was disturbed,
// when each broker's agent was registered with each node. Pure; the checker asks it questions
// like "did X run throughout [a, b]" or "were N and M connected through clean links".
import type { History } from "./history.js";

/** A half-open interval [fromMs, toMs). */
export interface Interval {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Index of the last interval with fromMs <= at, or -1 (intervals sorted and disjoint). */
function lastStartingBy(intervals: readonly Interval[], at: number): number {
  let low = 0;
  let high = intervals.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((intervals[mid] as Interval).fromMs <= at) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** Whether [a, b] lies inside one of the (disjoint, sorted) intervals. */
export function covers(intervals: readonly Interval[], a: number, b: number): boolean {
  const index = lastStartingBy(intervals, a);
  return index >= 0 && b <= (intervals[index] as Interval).toMs;
}

/** Whether any of the (disjoint, sorted) intervals meets [a, b]. */
export function meets(intervals: readonly Interval[], a: number, b: number): boolean {
  const index = lastStartingBy(intervals, b);
  return index >= 0 && a <= (intervals[index] as Interval).toMs;
}

/** Sorts and merges overlapping intervals, so covers() and meets() can search. */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x.fromMs - y.fromMs);
  const out: Interval[] = [];
  for (const interval of sorted) {
    const last = out.at(-1);
    if (last && interval.fromMs <= last.toMs) out[out.length - 1] = { fromMs: last.fromMs, toMs: Math.max(last.toMs, interval.toMs) };
    else out.push(interval);
  }
  return out;
}

/** Facts of one history, indexed. */
export class Truth {
  readonly nodes: readonly string[];
  readonly brokers: readonly string[];
  /** Process id -> intervals during which it ran (spawned, not exited, not stopped). */
  readonly running = new Map<string, Interval[]>();
  /** Process id -> spawn times. */
  readonly spawns = new Map<string, number[]>();
  /** Process id -> exits (time, signal, code, and whether it had been told to stop). */
  readonly exits = new Map<string, { atMs: number; signal: string | null; code: number | null; requested: boolean }[]>();
  /** "a>b" -> intervals during which packets from a to b were dropped, lost or delayed. */
  readonly disturbed = new Map<string, Interval[]>();
  /** "broker>node" -> intervals during which the agent held a registration with the node. */
  readonly registered = new Map<string, Interval[]>();
  /** Node -> intervals of a KV disk fault. */
  readonly diskFaults = new Map<string, Interval[]>();
  readonly endMs: number;

  constructor(readonly history: History) {
    const { meta } = history;
    this.nodes = meta.nodes;
    this.brokers = meta.brokers;
    this.endMs = meta.endMs;
    this.indexProcesses();
    for (const fault of history.faults) {
      const interval = { fromMs: fault.startMs, toMs: fault.healedMs ?? this.endMs };
      for (const link of fault.links) push(this.disturbed, `${link.from}>${link.to}`, interval);
      if (fault.kind === "kvDisk") push(this.diskFaults, fault.targets[0] as string, interval);
    }
    this.indexAgentLinks();
    for (const map of [this.running, this.disturbed, this.registered, this.diskFaults]) {
      for (const [key, list] of map) map.set(key, normalize(list));
    }
    const cuts = new Set<number>();
    for (const n of this.nodes) {
      for (const interval of this.running.get(n) ?? []) cuts.add(interval.fromMs).add(interval.toMs);
      for (const m of this.nodes) for (const interval of this.disturbed.get(`${n}>${m}`) ?? []) cuts.add(interval.fromMs).add(interval.toMs);
    }
    this.nodeChanges = [...cuts].sort((x, y) => x - y).map((at) => ({ fromMs: at, toMs: at }));
  }

  /** Sorted times (as points) at which a node's process or a node link changes state. */
  private readonly nodeChanges: Interval[];
  /** Components of running nodes per segment between node changes (see componentsAt). */
  private readonly componentCache = new Map<number, Map<string, string>>();

  private indexProcesses(): void {
    const byId = new Map<string, typeof this.history.processes>();
    for (const event of this.history.processes) {
      const list = byId.get(event.id) ?? [];
      list.push(event);
      byId.set(event.id, list);
    }
    for (const [id, events] of byId) {
      const running: Interval[] = [];
      let since: number | null = null;
      let termed = false;
      for (const event of [...events].sort((a, b) => a.atMs - b.atMs)) {
        if (event.kind === "spawn") {
          push(this.spawns, id, event.atMs);
          since = event.atMs;
          termed = false;
        } else if (event.kind === "exit" || event.kind === "stop" || event.kind === "term") {
          if (since !== null) running.push({ fromMs: since, toMs: event.atMs });
          since = null;
          if (event.kind === "term") termed = true;
          const exit = { atMs: event.atMs, signal: event.signal ?? null, code: event.code ?? null, requested: termed };
          if (event.kind === "exit") push(this.exits, id, exit);
        } else if (event.kind === "cont") since = event.atMs;
      }
      if (since !== null) running.push({ fromMs: since, toMs: this.endMs });
      this.running.set(id, running);
    }
  }

  private indexAgentLinks(): void {
    const open = new Map<string, number>();
    const close = (key: string, atMs: number): void => {
      const since = open.get(key);
      if (since === undefined) return;
      push(this.registered, key, { fromMs: since, toMs: atMs });
      open.delete(key);
    };
    const events = [
      ...this.history.agentLinks.map((event) => ({ atMs: event.atMs, key: `${event.broker}>${event.node}`, broker: event.broker, kind: event.kind })),
      // A broker's exit (or a new instance) ends every registration of the old instance.
      ...this.history.processes
        .filter((event) => this.brokers.includes(event.id) && (event.kind === "exit" || event.kind === "spawn"))
        .map((event) => ({ atMs: event.atMs, key: null, broker: event.id, kind: "reset" as const })),
    ].sort((a, b) => a.atMs - b.atMs);
    for (const event of events) {
      if (event.kind === "reset") {
        for (const node of this.nodes) close(`${event.broker}>${node}`, event.atMs);
      } else if (event.kind === "registered" && event.key !== null) {
        if (!open.has(event.key)) open.set(event.key, event.atMs);
      } else if (event.key !== null) close(event.key, event.atMs);
    }
    for (const key of [...open.keys()]) close(key, this.endMs);
  }

  /** Whether process `id` ran throughout [a, b]. */
  ranThroughout(id: string, a: number, b: number): boolean {
    return covers(this.running.get(id) ?? [], a, b);
  }

  /** Whether packets between x and y flowed undisturbed both ways throughout [a, b]. */
  cleanBetween(x: string, y: string, a: number, b: number): boolean {
    return !meets(this.disturbed.get(`${x}>${y}`) ?? [], a, b) && !meets(this.disturbed.get(`${y}>${x}`) ?? [], a, b);
  }

  /** Broker b heartbeats to node n throughout [a, b]: both run, the link is clean, registered. */
  supports(broker: string, node: string, a: number, b: number): boolean {
    return (
      this.ranThroughout(broker, a, b) &&
      this.ranThroughout(node, a, b) &&
      this.cleanBetween(broker, node, a, b) &&
      covers(this.registered.get(`${broker}>${node}`) ?? [], a, b)
    );
  }

  /**
   * Whether nodes n and m were connected through running nodes and clean node links at every
   * moment of [a, b] (the path may change shape).
   */
  connected(n: string, m: string, a: number, b: number): boolean {
    const changes = this.nodeChanges;
    const first = lastStartingBy(changes, a);
    for (let index = first; index < changes.length; index++) {
      if (index > first && (changes[index] as Interval).fromMs >= b) break;
      const components = this.componentsAt(index);
      const label = components.get(n);
      if (label === undefined || label !== components.get(m)) return false;
    }
    return true;
  }

  /** Component label of each running node in segment `index` (between two node changes), cached. */
  private componentsAt(index: number): Map<string, string> {
    let components = this.componentCache.get(index);
    if (components) return components;
    const changes = this.nodeChanges;
    const start = index >= 0 ? (changes[index] as Interval).fromMs : Number.NEGATIVE_INFINITY;
    const next = index + 1 < changes.length ? (changes[index + 1] as Interval).fromMs : Number.POSITIVE_INFINITY;
    const mid = Number.isFinite(start) && Number.isFinite(next) ? (start + next) / 2 : Number.isFinite(start) ? start + 1 : next - 1;
    components = new Map();
    for (const node of this.nodes) {
      if (components.has(node)) continue;
      for (const member of this.componentOf(node, mid)) components.set(member, node);
    }
    this.componentCache.set(index, components);
    return components;
  }

  /** Every node ran and every node link was clean throughout [a, b]. */
  nodesClean(a: number, b: number, except: string | null = null): boolean {
    for (const n of this.nodes) {
      if (n !== except && !this.ranThroughout(n, a, b)) return false;
      for (const m of this.nodes) if (n < m && !this.cleanBetween(n, m, a, b)) return false;
    }
    return true;
  }

  /** Nodes reachable from `start` within one segment [from, to] (constant graph). */
  private componentOf(start: string, mid: number): Set<string> {
    const seen = new Set<string>();
    if (!covers(this.running.get(start) ?? [], mid, mid)) return seen;
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const n = stack.pop() as string;
      for (const m of this.nodes) {
        if (seen.has(m) || !covers(this.running.get(m) ?? [], mid, mid)) continue;
        if (!this.cleanBetween(n, m, mid, mid)) continue;
        seen.add(m);
        stack.push(m);
      }
    }
    return seen;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

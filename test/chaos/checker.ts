// The checker: reads a recorded history and reports every violation of what the cluster
// promises (DESIGN.md §7), with its time and the faults active then. Pure: no I/O, no clock.
// Each window below is a named bound with its reason; a correct cluster passes them all.
import {
  ANTI_ENTROPY_INTERVAL_MS,
  PEER_DOWN_MS,
  REDIAL_BACKOFF_MS_MAX,
  REDIAL_JITTER_RATIO,
} from "../../src/limits.js";
import type { FaultRecord, History, KvOp, RouteSample } from "./history.js";
import { Truth } from "./intervals.js";

/** DESIGN.md §7.4: a crashed (or unregistered) broker is gone from every node within 1 s. */
export const CRASH_BOUND_MS = 1_000;
/** DESIGN.md §7.4: a silent broker is gone within its expiry plus this. */
export const SILENT_SLACK_MS = 1_000;
/**
 * A link that a fault broke is back within this after the heal: the side that watches it
 * notices the silence within PEER_DOWN_MS at the latest, then redials within the backoff cap
 * (plus its jitter). Until then no gossip can cross it, whatever the protocol does.
 */
export const LINK_UP_MS = PEER_DOWN_MS + Math.ceil(REDIAL_BACKOFF_MS_MAX * (1 + REDIAL_JITTER_RATIO));
/** DESIGN.md §7.1: once links are up, two anti-entropy rounds repair every difference. */
export const ANTI_ENTROPY_ROUNDS_MS = 2 * ANTI_ENTROPY_INTERVAL_MS;
/**
 * Nodes may disagree this long after a heal (or after a change begins in a quiet cluster):
 * the link comes back (LINK_UP_MS), then two rounds. Measured from the heal, not from the
 * link coming back, because the checker sees faults, not links.
 */
export const CONVERGENCE_BOUND_MS = LINK_UP_MS + ANTI_ENTROPY_ROUNDS_MS;
/**
 * A node must route a live broker once a supporting node and a clean path to it have held
 * this long: the path's links are up again (LINK_UP_MS) and two rounds have repaired what the
 * fault left (an eviction taken while cut off is overridden by newer evidence).
 */
export const PATH_HOLD_MS = LINK_UP_MS + ANTI_ENTROPY_ROUNDS_MS;
/** Slack of the broker's own re-registration after a pause or a refused heartbeat: one round trip. */
export const SUPPORT_SLACK_MS = 500;
/**
 * The crash bound is promised only when nothing else was going on: every node running and
 * every link of the broker and between nodes clean for this long before the crash (stale
 * connection claims left by an earlier fault are repaired by then) until the bound.
 */
export const CLEAN_LEAD_MS = PATH_HOLD_MS;
/**
 * A KV change a node learned from a peer is in its kv.json this soon after (KV_WRITE_DELAY_MS
 * is 50 ms, then a write and two fsyncs on a tmpfs; the rest is event-loop lag on two loaded
 * cores), so a node restarted later than this after a read still holds the value it showed.
 * A node's own acknowledged writes need no window: they are on its disk at the acknowledgement.
 */
export const KV_PERSIST_MS = 1_000;

/** Kinds of violation, one per promise. */
export const VIOLATION_KINDS = [
  "liveBrokerMissing",
  "deadBrokerRouted",
  "brokerResurrected",
  "nodesDisagree",
  "kvLost",
  "kvDiverged",
  "notServingAtEnd",
  "processCrashed",
] as const;
/** One kind of violation. */
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** One violation: what, when, where, and which faults were active around it. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly atMs: number;
  readonly node: string | null;
  readonly broker: string | null;
  readonly detail: string;
  /** Ids and kinds of the faults active in the violation's window. */
  readonly faults: readonly string[];
}

/** The checker's settings (taken from the run). */
export interface CheckOptions {
  readonly brokerExpiryMs: number;
  readonly heartbeatMs: number;
}

/**
 * Answers of one node about one broker that break the same promise within this of each other
 * are one violation (an episode), not one per poll round.
 */
export const EPISODE_GAP_MS = 1_000;

/** How much of the history the premises of the checks held for: a check that never applies proves nothing. */
export interface Coverage {
  /** (ready answer, broker) pairs in which the broker was live and had to be listed. */
  liveAnswers: number;
  /** Broker deaths (kill, stop, pause) by the bound that applied. */
  deathsCrashBound: number;
  deathsSilentBound: number;
  /** Ready answers given after a dead broker's bound, while it stayed dead (it had to be absent). */
  deadAnswers: number;
  /** Quiet time (no fault anywhere) and poll rounds compared in it. */
  quietMs: number;
  quietRounds: number;
  /** KV writes acknowledged and surely kept; keys whose final value was checked. */
  kvWritesKept: number;
  kvKeysChecked: number;
}

/** Violations (one per episode, sorted by time), coverage, and what is worth a look but promised nowhere. */
export interface CheckResult {
  readonly violations: Violation[];
  readonly coverage: Coverage;
  readonly observations: string[];
}

/** Checks a history. */
export function check(history: History, options: CheckOptions): CheckResult {
  const truth = new Truth(history);
  const coverage: Coverage = {
    liveAnswers: 0, deathsCrashBound: 0, deathsSilentBound: 0, deadAnswers: 0, quietMs: 0, quietRounds: 0, kvWritesKept: 0, kvKeysChecked: 0,
  };
  const observations: string[] = [];
  const violations: Violation[] = [
    ...checkLiveBrokers(truth, options, coverage),
    ...checkDeadBrokers(truth, options, coverage),
    ...checkConvergence(truth, coverage),
    ...checkKv(truth, coverage),
    ...checkCrashes(truth, observations),
  ];
  return { violations: episodes(violations.sort((a, b) => a.atMs - b.atMs)), coverage, observations };
}

/** Merges violations of one kind, node and broker that follow each other within EPISODE_GAP_MS. */
function episodes(sorted: readonly Violation[]): Violation[] {
  const open = new Map<string, { first: Violation; lastMs: number; count: number; faults: Set<string> }>();
  const done: { first: Violation; lastMs: number; count: number; faults: Set<string> }[] = [];
  for (const item of sorted) {
    const key = `${item.kind}/${item.node ?? ""}/${item.broker ?? ""}`;
    const current = open.get(key);
    if (current && item.atMs - current.lastMs <= EPISODE_GAP_MS) {
      current.lastMs = item.atMs;
      current.count += 1;
      for (const fault of item.faults) current.faults.add(fault);
      continue;
    }
    const next = { first: item, lastMs: item.atMs, count: 1, faults: new Set(item.faults) };
    open.set(key, next);
    done.push(next);
  }
  return done.map(({ first, lastMs, count, faults }) => ({
    ...first,
    detail: count === 1 ? first.detail : `${first.detail} (${count} answers over ${Math.round(lastMs - first.atMs)} ms)`,
    faults: [...faults],
  }));
}

/** Faults active at some time in [a, b], as "id:kind". */
export function activeFaults(faults: readonly FaultRecord[], a: number, b: number, endMs: number): string[] {
  return faults.filter((fault) => fault.startMs <= b && a <= (fault.healedMs ?? endMs)).map((fault) => `${fault.id}:${fault.kind}`);
}

function violation(truth: Truth, kind: ViolationKind, atMs: number, window: [number, number], fields: { node?: string; broker?: string; detail: string }): Violation {
  return {
    kind, atMs, node: fields.node ?? null, broker: fields.broker ?? null, detail: fields.detail,
    faults: activeFaults(truth.history.faults, window[0], window[1], truth.endMs),
  };
}

function checked(truth: Truth, sample: { sendMs: number }): boolean {
  return sample.sendMs >= truth.history.meta.nemesisStartMs;
}

// ---- Live brokers (DESIGN §7.3: no false eviction) ------------------------------------------

/**
 * A live broker missing from a ready node's answer. "Live": its agent has held a registration
 * with node N over a clean link, both running, for the support window; and N was connected to
 * the answering node through running nodes and clean links for PATH_HOLD_MS. Also the
 * restart promise: a node that restarts into a clean cluster routes every live broker in its
 * first answer.
 */
function checkLiveBrokers(truth: Truth, options: CheckOptions, coverage: Coverage): Violation[] {
  const out: Violation[] = [];
  const supportMs = options.heartbeatMs + SUPPORT_SLACK_MS;
  for (const sample of truth.history.routes) {
    if (sample.status !== "ok" || !checked(truth, sample)) continue;
    for (const broker of truth.brokers) {
      const supporter = truth.nodes.find(
        (node) => truth.supports(broker, node, sample.sendMs - supportMs, sample.recvMs) && supportsPath(truth, node, sample),
      );
      if (supporter === undefined) continue;
      coverage.liveAnswers += 1;
      if (sample.brokers?.includes(broker)) continue;
      out.push(
        violation(truth, "liveBrokerMissing", sample.sendMs, [sample.sendMs - PATH_HOLD_MS, sample.recvMs], {
          node: sample.node,
          broker,
          detail: `${sample.node} answered without ${broker}, which heartbeats to ${supporter}, connected to ${sample.node}`,
        }),
      );
    }
  }
  return out;
}

/** N reaches the answering node: connected for PATH_HOLD_MS, or a restart into a clean cluster. */
function supportsPath(truth: Truth, node: string, sample: RouteSample): boolean {
  if (truth.connected(node, sample.node, sample.sendMs - PATH_HOLD_MS, sample.recvMs)) return true;
  const spawn = (truth.spawns.get(sample.node) ?? []).filter((atMs) => atMs <= sample.sendMs).at(-1);
  if (spawn === undefined || spawn < sample.sendMs - PATH_HOLD_MS || node === sample.node) return false;
  // Restarted recently: the rest of the cluster was whole, so any ready peer it synced from
  // had the broker, and its own links were clean since before it came back.
  return (
    truth.nodesClean(spawn - PATH_HOLD_MS, sample.recvMs, sample.node) &&
    truth.ranThroughout(sample.node, spawn, sample.recvMs)
  );
}

// ---- Dead brokers (DESIGN §7.4 fast eviction, §7.2 no resurrection) -----------------------

interface Death {
  readonly broker: string;
  readonly kind: "crash" | "stop" | "pause";
  readonly atMs: number;
  /** The broker runs again (new instance or resumed) here. */
  readonly untilMs: number;
}

function deathsOf(truth: Truth): Death[] {
  const deaths: Death[] = [];
  for (const broker of truth.brokers) {
    const events = truth.history.processes.filter((event) => event.id === broker).sort((a, b) => a.atMs - b.atMs);
    events.forEach((event, index) => {
      // The teardown's stops end the run, they are not faults.
      if ((event.kind !== "exit" && event.kind !== "stop") || event.atMs >= truth.history.meta.finalHealMs) return;
      const next = events.slice(index + 1).find((later) => later.kind === (event.kind === "exit" ? "spawn" : "cont"));
      const kind = event.kind === "stop" ? "pause" : event.signal === "SIGKILL" ? "crash" : "stop";
      deaths.push({ broker, kind, atMs: event.atMs, untilMs: next?.atMs ?? truth.endMs });
    });
  }
  return deaths;
}

/**
 * When a dead broker must be gone from every node. A crash or unregistration in a clean
 * cluster: CRASH_BOUND_MS. Otherwise the silent bound, expiry + SILENT_SLACK_MS, counted from
 * the death or from the heal of any fault around it, whichever is later: a node that was cut
 * off, paused or restarted may hold the broker's last heartbeats (newer evidence than the
 * verdict, so they rightly bring it back) until its links come back, and a node that was cut
 * off evicts on its own expiry.
 */
export function deadlineOf(truth: Truth, death: Death, options: CheckOptions): { deadlineMs: number; crashBound: boolean } {
  const silentMs = options.brokerExpiryMs + SILENT_SLACK_MS;
  const disturbances = disturbancesOf(truth, death.broker);
  const clean =
    death.kind !== "pause" &&
    truth.nodesClean(death.atMs - CLEAN_LEAD_MS, death.atMs + CRASH_BOUND_MS) &&
    !disturbances.some((interval) => interval.fromMs <= death.atMs + CRASH_BOUND_MS && interval.toMs >= death.atMs - CLEAN_LEAD_MS);
  let deadline = death.atMs + (clean ? CRASH_BOUND_MS : silentMs);
  // Sorted by start, one pass finds the fixpoint: once a disturbance starts after the
  // deadline, so do all later ones, and the deadline no longer moves.
  for (const interval of disturbances) {
    if (interval.fromMs > deadline) break;
    if (interval.toMs < death.atMs - CLEAN_LEAD_MS) continue;
    deadline = Math.max(deadline, interval.toMs + silentMs);
  }
  return { deadlineMs: deadline, crashBound: clean };
}

/** Intervals of node downtime, node pauses, node-link and this broker's link faults. */
function disturbancesOf(truth: Truth, broker: string): { fromMs: number; toMs: number }[] {
  const out: { fromMs: number; toMs: number }[] = [];
  for (const node of truth.nodes) {
    const running = truth.running.get(node) ?? [];
    let last = 0;
    for (const interval of running) {
      if (interval.fromMs > last) out.push({ fromMs: last, toMs: interval.fromMs });
      last = interval.toMs;
    }
    if (last < truth.endMs) out.push({ fromMs: last, toMs: truth.endMs });
    for (const other of [...truth.nodes, broker]) {
      out.push(...(truth.disturbed.get(`${node}>${other}`) ?? []), ...(truth.disturbed.get(`${other}>${node}`) ?? []));
    }
  }
  return out.sort((a, b) => a.fromMs - b.fromMs);
}

function checkDeadBrokers(truth: Truth, options: CheckOptions, coverage: Coverage): Violation[] {
  const out: Violation[] = [];
  for (const death of deathsOf(truth)) {
    const { deadlineMs: deadline, crashBound } = deadlineOf(truth, death, options);
    if (crashBound) coverage.deathsCrashBound += 1;
    else coverage.deathsSilentBound += 1;
    if (deadline >= death.untilMs) continue;
    const dropped = new Set<string>();
    for (const sample of truth.history.routes) {
      if (sample.status !== "ok" || sample.sendMs < death.atMs || sample.recvMs > death.untilMs) continue;
      const routed = sample.brokers?.includes(death.broker) ?? false;
      if (!routed) {
        dropped.add(sample.node);
        if (sample.sendMs >= deadline && checked(truth, sample)) coverage.deadAnswers += 1;
        continue;
      }
      if (sample.sendMs < deadline || !checked(truth, sample)) continue;
      coverage.deadAnswers += 1;
      const kind = dropped.has(sample.node) ? "brokerResurrected" : "deadBrokerRouted";
      const what = death.kind === "pause" ? "paused" : death.kind === "crash" ? "killed" : "stopped";
      out.push(
        violation(truth, kind, sample.sendMs, [death.atMs - CLEAN_LEAD_MS, sample.recvMs], {
          node: sample.node,
          broker: death.broker,
          detail: `${sample.node} routed ${death.broker} ${Math.round(sample.sendMs - death.atMs)} ms after it was ${what} (bound ${Math.round(deadline - death.atMs)} ms)`,
        }),
      );
    }
  }
  return out;
}

// ---- Convergence (DESIGN §7.1) ------------------------------------------------------------

/** Quiet windows: no process down or paused and no link disturbed, anywhere. */
function quietWindows(truth: Truth): { fromMs: number; toMs: number }[] {
  const busy: { fromMs: number; toMs: number }[] = [];
  for (const id of [...truth.nodes, ...truth.brokers]) {
    let last = 0;
    for (const interval of truth.running.get(id) ?? []) {
      if (interval.fromMs > last) busy.push({ fromMs: last, toMs: interval.fromMs });
      last = interval.toMs;
    }
    if (last < truth.endMs) busy.push({ fromMs: last, toMs: truth.endMs });
  }
  for (const list of truth.disturbed.values()) busy.push(...list);
  busy.sort((a, b) => a.fromMs - b.fromMs);
  const quiet: { fromMs: number; toMs: number }[] = [];
  let cursor = truth.history.meta.nemesisStartMs;
  for (const interval of busy) {
    if (interval.fromMs > cursor) quiet.push({ fromMs: cursor, toMs: interval.fromMs });
    cursor = Math.max(cursor, interval.toMs);
  }
  if (cursor < truth.endMs) quiet.push({ fromMs: cursor, toMs: truth.endMs });
  return quiet;
}

/** Rounds in which the ready nodes' answers (route and KV) differed, with their times. */
function roundStates(truth: Truth): Map<number, { agree: boolean; fromMs: number; toMs: number; detail: string }> {
  const byRound = new Map<number, { route: Map<string, string>; kv: Map<string, string>; fromMs: number; toMs: number }>();
  const entry = (round: number, sample: { sendMs: number; recvMs: number }) => {
    let state = byRound.get(round);
    if (!state) byRound.set(round, (state = { route: new Map(), kv: new Map(), fromMs: sample.sendMs, toMs: sample.recvMs }));
    state.fromMs = Math.min(state.fromMs, sample.sendMs);
    state.toMs = Math.max(state.toMs, sample.recvMs);
    return state;
  };
  for (const sample of truth.history.routes) if (sample.status === "ok") entry(sample.round, sample).route.set(sample.node, sample.hash ?? "");
  for (const sample of truth.history.kvReads) if (sample.status === "ok") entry(sample.round, sample).kv.set(sample.node, canonical(sample.table ?? {}));
  const out = new Map<number, { agree: boolean; fromMs: number; toMs: number; detail: string }>();
  for (const [round, state] of byRound) {
    const routes = new Set(state.route.values());
    const kvs = new Set(state.kv.values());
    const agree = routes.size <= 1 && kvs.size <= 1;
    const detail = agree ? "" : `${routes.size} route answers, ${kvs.size} kv tables among ${Math.max(state.route.size, state.kv.size)} nodes`;
    out.set(round, { agree, fromMs: state.fromMs, toMs: state.toMs, detail });
  }
  return out;
}

/** Nodes that disagree for longer than CONVERGENCE_BOUND_MS within a quiet window. */
function checkConvergence(truth: Truth, coverage: Coverage): Violation[] {
  const out: Violation[] = [];
  const rounds = [...roundStates(truth)].sort((a, b) => a[0] - b[0]);
  for (const window of quietWindows(truth)) {
    coverage.quietMs += window.toMs - window.fromMs;
    let streakFromMs: number | null = null;
    let reported = false;
    for (const [, state] of rounds) {
      if (state.fromMs < window.fromMs || state.toMs > window.toMs) continue;
      coverage.quietRounds += 1;
      if (state.agree) {
        streakFromMs = null;
        reported = false;
        continue;
      }
      streakFromMs ??= Math.max(state.fromMs, window.fromMs);
      if (!reported && state.toMs - streakFromMs > CONVERGENCE_BOUND_MS) {
        reported = true;
        out.push(
          violation(truth, "nodesDisagree", state.fromMs, [window.fromMs - CONVERGENCE_BOUND_MS, state.toMs], {
            detail: `nodes disagree for ${Math.round(state.toMs - streakFromMs)} ms in a quiet cluster (${state.detail}; quiet since ${Math.round(window.fromMs)} ms)`,
          }),
        );
      }
    }
  }
  return out;
}

function canonical(table: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(table).sort().map((key) => [key, table[key]]));
}

// ---- KV (last writer wins, nothing acknowledged lost) -------------------------------------

/**
 * After the final heal every node must show, for each key, the same value, and one that last
 * writer wins allows: a write w is ordered before a later write v when v's node had shown w's
 * value to the writer just before (so v's hybrid-clock stamp exceeds w's). The final value is
 * a write that may have been applied and that no surely-kept write is ordered after. Every
 * acknowledged write is surely kept: a node acknowledges a KV write only once it is in its
 * kv.json, which its tmpfs keeps across kills and restarts. A write answered with an error
 * (KV_NOT_DURABLE on a faulty disk, a timeout) may have been applied, but is not kept.
 */
function checkKv(truth: Truth, coverage: Coverage): Violation[] {
  const out: Violation[] = [];
  const { meta } = truth.history;
  const finals = new Map<string, { table: Readonly<Record<string, string>>; atMs: number }>();
  for (const sample of truth.history.kvReads) {
    if (sample.status === "ok" && sample.sendMs >= meta.finalHealMs && sample.table) finals.set(sample.node, { table: sample.table, atMs: sample.sendMs });
  }
  for (const node of truth.nodes) {
    if (!finals.has(node)) out.push(violation(truth, "notServingAtEnd", meta.endMs, [meta.finalHealMs, meta.endMs], { node, detail: `${node} gave no KV answer after the final heal` }));
  }
  const tables = [...finals.entries()];
  const first = tables[0];
  if (!first) return out;
  for (const [node, final] of tables.slice(1)) {
    if (canonical(final.table) !== canonical(first[1].table)) {
      out.push(violation(truth, "kvDiverged", final.atMs, [meta.finalHealMs, meta.endMs], {
        node, detail: `${node} ends with ${canonical(final.table)}, ${first[0]} with ${canonical(first[1].table)}`,
      }));
    }
  }
  const keys = new Set(truth.history.kvOps.map((op) => op.key));
  for (const key of keys) {
    const ops = truth.history.kvOps.filter((op) => op.key === key).sort((a, b) => a.seq - b.seq);
    const allowed = allowedFinals(truth, ops);
    coverage.kvKeysChecked += 1;
    coverage.kvWritesKept += ops.filter(surelyKept).length;
    for (const [node, final] of tables) {
      const value = final.table[key] ?? null;
      if (allowed.has(value)) continue;
      out.push(violation(truth, "kvLost", final.atMs, [meta.nemesisStartMs, meta.endMs], {
        node, detail: `key '${key}' ends as ${JSON.stringify(value)} on ${node}; last writer wins allows ${JSON.stringify([...allowed])}`,
      }));
    }
  }
  return out;
}

/** Values (null = absent) the key may end with. */
export function allowedFinals(truth: Truth, ops: readonly KvOp[]): Set<string | null> {
  const byValue = new Map(ops.filter((op) => op.value !== null).map((op) => [op.value as string, op]));
  // before.get(v) = writes surely stamped lower than v.
  const before = new Map<KvOp, Set<KvOp>>();
  for (const op of ops) {
    const set = new Set<KvOp>();
    const seen = op.seen === null ? undefined : byValue.get(op.seen);
    if (seen && sameProcess(truth, op)) {
      set.add(seen);
      for (const earlier of before.get(seen) ?? []) set.add(earlier);
    }
    before.set(op, set);
  }
  const kept = ops.filter(surelyKept);
  const maybe = ops.filter((op) => op.outcome !== "refused");
  const allowed = new Set<string | null>();
  for (const op of maybe) {
    const dominated = kept.some((other) => before.get(other)?.has(op));
    if (!dominated) allowed.add(op.value);
  }
  if (kept.length === 0) allowed.add(null);
  return allowed;
}

/** The write went to the same node process that served the read before it. */
function sameProcess(truth: Truth, op: KvOp): boolean {
  return !(truth.spawns.get(op.node) ?? []).some((atMs) => atMs >= op.readRecvMs - KV_PERSIST_MS && atMs <= op.recvMs);
}

/** Acknowledged: durable on its node's disk from the acknowledgement on. */
function surelyKept(op: KvOp): boolean {
  return op.outcome === "ok";
}

// ---- Crashes ------------------------------------------------------------------------------

/**
 * A node or broker that exited by itself with a failure code (an assertion, a crash). One told
 * to stop that exits with a failure code (its shutdown failed) is an observation, not a crash.
 */
function checkCrashes(truth: Truth, observations: string[]): Violation[] {
  const out: Violation[] = [];
  for (const [id, exits] of truth.exits) {
    for (const exit of exits) {
      if (exit.signal !== null || exit.code === 0 || exit.atMs > truth.history.meta.finalHealMs) continue;
      if (exit.requested) {
        observations.push(`${id} was told to stop and exited with code ${exit.code} at ${Math.round(exit.atMs)} ms (see its log)`);
        continue;
      }
      out.push(violation(truth, "processCrashed", exit.atMs, [exit.atMs - CLEAN_LEAD_MS, exit.atMs], {
        ...(id.startsWith("n") ? { node: id } : { broker: id }),
        detail: `${id} exited by itself with code ${exit.code}`,
      }));
    }
  }
  return out;
}

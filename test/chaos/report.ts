// The summary of a run: faults by kind, samples, violations by kind, and one line for logs.
import { VIOLATION_KINDS, type Coverage, type Violation } from "./checker.js";
import { FAULT_KINDS, type History } from "./history.js";

/** What a run amounts to. */
export interface Summary {
  /** One line: faults by kind, samples, violations. */
  readonly line: string;
  readonly seed: number;
  readonly command: string;
  readonly sabotage: string | null;
  readonly nemesisMs: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly faultsTotal: number;
  readonly samples: { readonly routes: number; readonly routesOk: number; readonly kvReads: number; readonly kvWrites: number; readonly kvWritesAcknowledged: number };
  readonly violationsByKind: Readonly<Record<string, number>>;
  readonly violationsTotal: number;
  readonly coverage: Coverage;
  readonly observations: readonly string[];
  readonly nodeLogs: History["nodeLogs"];
}

/** Counts a history and its violations. */
export function summarize(history: History, violations: readonly Violation[], coverage: Coverage, observations: readonly string[]): Summary {
  const faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, history.faults.filter((fault) => fault.kind === kind).length]));
  const violationsByKind = Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, violations.filter((item) => item.kind === kind).length]));
  const samples = {
    routes: history.routes.length,
    routesOk: history.routes.filter((sample) => sample.status === "ok").length,
    kvReads: history.kvReads.length,
    kvWrites: history.kvOps.length,
    kvWritesAcknowledged: history.kvOps.filter((op) => op.outcome === "ok").length,
  };
  const { meta } = history;
  const nemesisMs = meta.nemesisEndMs - meta.nemesisStartMs;
  const faultText = Object.entries(faults).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(", ");
  const violationText = Object.entries(violationsByKind).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(", ");
  const line =
    `chaos: seed ${meta.seed}, ${meta.nodes.length} nodes, ${meta.brokers.length} brokers, ${Math.round(nemesisMs / 1000)} s` +
    `${meta.sabotage ? ` (sabotage: ${meta.sabotage})` : ""}; faults ${history.faults.length} (${faultText || "none"}); ` +
    `samples ${samples.routes} routes (${samples.routesOk} ok), ${samples.kvReads} kv reads, ${samples.kvWrites} kv writes ` +
    `(${samples.kvWritesAcknowledged} acknowledged); checked ${coverage.liveAnswers} live-broker answers, ` +
    `${coverage.deathsCrashBound + coverage.deathsSilentBound} broker deaths (${coverage.deathsCrashBound} at the crash bound, ` +
    `${coverage.deadAnswers} answers past a bound), ${Math.round(coverage.quietMs / 1000)} s quiet, ${coverage.kvWritesKept} kept kv writes; ` +
    `violations ${violations.length}${violationText ? ` (${violationText})` : ""}`;
  return {
    line, seed: meta.seed, command: meta.command, sabotage: meta.sabotage, nemesisMs, faults, faultsTotal: history.faults.length,
    samples, violationsByKind, violationsTotal: violations.length, coverage, observations, nodeLogs: history.nodeLogs,
  };
}

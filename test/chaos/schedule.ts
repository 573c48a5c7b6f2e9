// The nemesis schedule: made in full from the seed before the run, so one seed gives the same
// faults, targets, parameters and times on every run. Faults run in parallel lanes; kinds are
// drawn so that every kind gets the same share; a process (node or broker) is the target of at
// most one process fault at a time, and at least one node is never taken down or paused.
import { FAULT_KINDS, type DisturbedLink, type FaultKind } from "./history.js";
import { Prng } from "./prng.js";

/**
 * How long each kind of fault lasts, in ms: the issue asks SIGSTOP of a node for 1-8 s, and the
 * rest alike; brokers stay dead or paused up to 10 s, so that some outlive the silent bound
 * (expiry + 1 s = 5 s) and the checker sees them gone.
 */
export const HOLD_MS: Readonly<Record<FaultKind, readonly [number, number]>> = {
  nodeKill: [500, 4_000],
  nodePause: [1_000, 8_000],
  partitionSymmetric: [1_000, 8_000],
  partitionOneWay: [1_000, 8_000],
  nodeCutFromBrokers: [1_000, 8_000],
  nodeCutFromPeers: [1_000, 8_000],
  packetLoss: [1_000, 8_000],
  peerDelay: [1_000, 8_000],
  clockStep: [1_000, 6_000],
  kvDisk: [1_000, 8_000],
  brokerKill: [1_000, 10_000],
  brokerPause: [1_000, 10_000],
  brokerRestart: [200, 3_000],
};
/** Drop probability of packet loss: up to 40%, where TCP still crawls through. */
export const LOSS_PROBABILITY_RANGE: readonly [number, number] = [0.05, 0.4];
/** Added one-way delay of the proxy, ms: from a slow WAN to past a peer ping's patience. */
export const DELAY_MS_RANGE: readonly [number, number] = [50, 1_500];
/**
 * Clock steps, ms: up to five minutes either way. NTP-disciplined hosts stay far inside that,
 * and it is four hundred times smaller than TOMBSTONE_MS (24 h), which a step must not reach.
 */
export const CLOCK_STEP_MS_MAX = 300_000;
/** Smallest clock step worth making: more than the HLC's usual lead over the wall clock. */
export const CLOCK_STEP_MS_MIN = 1_000;
/** A restarted process stays locked this long after its fault heals: a node boots in about a second. */
export const RESTART_MARGIN_MS = 1_500;
/** Pause of a lane between two faults, ms. */
export const LANE_GAP_MS: readonly [number, number] = [500, 4_000];

/** Faults acting on a process: one at a time per process. */
const PROCESS_KINDS: ReadonlySet<FaultKind> = new Set(["nodeKill", "nodePause", "clockStep", "brokerKill", "brokerPause", "brokerRestart"]);
/** Faults that restart their process when they heal. */
const RESTART_KINDS: ReadonlySet<FaultKind> = new Set(["nodeKill", "clockStep", "brokerKill", "brokerRestart"]);

/** One planned fault. */
export interface PlannedFault {
  readonly id: number;
  readonly kind: FaultKind;
  readonly targets: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly links: readonly DisturbedLink[];
  readonly atMs: number;
  readonly holdMs: number;
}

/** What a schedule is made for. */
export interface ScheduleOptions {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly brokers: readonly string[];
  /** Faults start in [startMs, endMs). */
  readonly startMs: number;
  readonly endMs: number;
  readonly lanes: number;
  readonly kinds?: readonly FaultKind[];
}

interface Busy {
  readonly target: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly node: boolean;
}

/** Makes the whole schedule. */
export function makeSchedule(options: ScheduleOptions): PlannedFault[] {
  const prng = new Prng(options.seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const counts = new Map<FaultKind, number>(kinds.map((kind) => [kind, 0]));
  const busy: Busy[] = [];
  const faults: Omit<PlannedFault, "id">[] = [];
  const laneAt = Array.from({ length: options.lanes }, (_, lane) => options.startMs + lane * prng.between(...LANE_GAP_MS));
  for (;;) {
    const lane = laneAt.indexOf(Math.min(...laneAt));
    const atMs = laneAt[lane] as number;
    if (atMs >= options.endMs) break;
    const order = prng.shuffle(kinds).sort((a, b) => (counts.get(a) as number) - (counts.get(b) as number));
    let placed: Omit<PlannedFault, "id"> | null = null;
    for (const kind of order) {
      placed = plan(kind, atMs, options, prng, busy);
      if (placed) break;
    }
    if (!placed) {
      laneAt[lane] = atMs + prng.between(...LANE_GAP_MS);
      continue;
    }
    counts.set(placed.kind, (counts.get(placed.kind) as number) + 1);
    faults.push(placed);
    laneAt[lane] = atMs + placed.holdMs + prng.between(...LANE_GAP_MS);
  }
  return faults.sort((a, b) => a.atMs - b.atMs).map((fault, index) => ({ ...fault, id: index + 1 }));
}

function free(busy: readonly Busy[], target: string, fromMs: number, toMs: number): boolean {
  return !busy.some((entry) => entry.target === target && entry.fromMs < toMs && fromMs < entry.toMs);
}

/** Nodes whose process is faulted at some time in [fromMs, toMs). */
function nodesDown(busy: readonly Busy[], fromMs: number, toMs: number): number {
  return new Set(busy.filter((entry) => entry.node && entry.fromMs < toMs && fromMs < entry.toMs).map((entry) => entry.target)).size;
}

function plan(kind: FaultKind, atMs: number, options: ScheduleOptions, prng: Prng, busy: Busy[]): Omit<PlannedFault, "id"> | null {
  const holdMs = prng.between(...HOLD_MS[kind]);
  const untilMs = atMs + holdMs + (RESTART_KINDS.has(kind) ? RESTART_MARGIN_MS : 0);
  const { nodes, brokers } = options;
  const pickFree = (candidates: readonly string[], lock: (target: string) => string): string | null => {
    const open = candidates.filter((target) => free(busy, lock(target), atMs, untilMs));
    return open.length === 0 ? null : prng.pick(open);
  };
  const claim = (target: string, node: boolean): void => void busy.push({ target, fromMs: atMs, toMs: untilMs, node });
  const fault = (targets: string[], links: DisturbedLink[], params: Record<string, unknown> = {}): Omit<PlannedFault, "id"> => ({
    kind, targets, params, links, atMs, holdMs,
  });
  if (PROCESS_KINDS.has(kind)) {
    const isNode = kind === "nodeKill" || kind === "nodePause" || kind === "clockStep";
    if (isNode && nodesDown(busy, atMs, untilMs) >= nodes.length - 1) return null;
    const target = pickFree(isNode ? nodes : brokers, (id) => id);
    if (target === null) return null;
    claim(target, isNode);
    if (kind !== "clockStep") return fault([target], []);
    const stepMs = prng.between(CLOCK_STEP_MS_MIN, CLOCK_STEP_MS_MAX) * (prng.unit() < 0.5 ? -1 : 1);
    return fault([target], [], { offsetMs: stepMs });
  }
  switch (kind) {
    case "partitionSymmetric":
    case "partitionOneWay": {
      const shuffled = prng.shuffle(nodes);
      const cut = prng.between(1, nodes.length - 1);
      const [sideA, sideB] = [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()];
      const links = sideA.flatMap((a) => sideB.flatMap((b) => (kind === "partitionSymmetric" ? [{ from: a, to: b }, { from: b, to: a }] : [{ from: a, to: b }])));
      return fault([...sideA, ...sideB], links, { sideA, sideB });
    }
    case "nodeCutFromBrokers": {
      const node = prng.pick(nodes);
      return fault([node], brokers.flatMap((broker) => [{ from: node, to: broker }, { from: broker, to: node }]));
    }
    case "nodeCutFromPeers": {
      const node = prng.pick(nodes);
      return fault([node], peersOf(nodes, node).flatMap((peer) => [{ from: node, to: peer }, { from: peer, to: node }]));
    }
    case "packetLoss": {
      const node = prng.pick(nodes);
      const probability = Math.round((LOSS_PROBABILITY_RANGE[0] + prng.unit() * (LOSS_PROBABILITY_RANGE[1] - LOSS_PROBABILITY_RANGE[0])) * 100) / 100;
      const others = [...peersOf(nodes, node), ...brokers];
      return fault([node], others.flatMap((other) => [{ from: node, to: other }, { from: other, to: node }]), { probability });
    }
    case "peerDelay": {
      // Some or all of one node's peer links, each pair delayed by one fault at a time (two
      // delays on one link would heal each other).
      const pairLock = (a: string, b: string): string => `delay:${[a, b].sort().join("-")}`;
      const freePeers = (node: string): string[] => peersOf(nodes, node).filter((peer) => free(busy, pairLock(node, peer), atMs, untilMs));
      const open = nodes.filter((node) => freePeers(node).length > 0);
      if (open.length === 0) return null;
      const node = prng.pick(open);
      const peers = prng.shuffle(freePeers(node)).slice(0, prng.between(1, freePeers(node).length)).sort();
      for (const peer of peers) claim(pairLock(node, peer), false);
      const delayMs = prng.between(...DELAY_MS_RANGE);
      return fault([node], peers.flatMap((peer) => [{ from: node, to: peer }, { from: peer, to: node }]), { delayMs, peers });
    }
    case "kvDisk": {
      const node = pickFree(nodes, (id) => `disk:${id}`);
      if (node === null) return null;
      claim(`disk:${node}`, false);
      return fault([node], [], { mode: prng.unit() < 0.5 ? "readOnly" : "full" });
    }
    default:
      return null;
  }
}

function peersOf(nodes: readonly string[], node: string): string[] {
  return nodes.filter((other) => other !== node);
}

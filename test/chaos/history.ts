// The recorded history of one chaos run: what the nemesis did, what every process did, and
// every answer the clients saw. Plain data (JSON), written by the runner and read by the checker.
// Times are milliseconds of CLOCK_MONOTONIC (shared by every process on the machine) since the
// run's origin. Imports nothing.

/** The fault kinds of the nemesis, in the order the summary lists them. */
export const FAULT_KINDS = [
  "nodeKill",
  "nodePause",
  "partitionSymmetric",
  "partitionOneWay",
  "nodeCutFromBrokers",
  "nodeCutFromPeers",
  "packetLoss",
  "peerDelay",
  "clockStep",
  "kvDisk",
  "brokerKill",
  "brokerPause",
  "brokerRestart",
] as const;
/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * A directed link between two endpoints (node ids "n1".., broker ids "b1"..) that a fault
 * disturbs: packets from `from` to `to` are dropped, dropped at random, or delayed.
 */
export interface DisturbedLink {
  readonly from: string;
  readonly to: string;
}

/** One fault as executed. */
export interface FaultRecord {
  readonly id: number;
  readonly kind: FaultKind;
  /** Nodes or brokers the fault acts on (for the timeline). */
  readonly targets: readonly string[];
  /** Kind-specific parameters (sides, probability, delay, offset, mode). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Directed links disturbed while the fault is active. */
  readonly links: readonly DisturbedLink[];
  /** When the nemesis began to apply it. */
  readonly startMs: number;
  /** When applying finished (the fault is certainly in force). */
  appliedMs: number;
  /** When the nemesis began to heal it (null while active). */
  healStartMs: number | null;
  /** When healing finished, queued delayed bytes delivered included (null while active). */
  healedMs: number | null;
}

/**
 * A process life event. `id` is a node id or broker id. "term": it was told to stop (SIGTERM)
 * and shuts down; "stop"/"cont": SIGSTOP/SIGCONT.
 */
export interface ProcessEvent {
  readonly id: string;
  readonly kind: "spawn" | "term" | "exit" | "stop" | "cont";
  readonly atMs: number;
  readonly pid: number;
  /** For exits: the signal that ended it (SIGKILL for kill -9), else null. */
  readonly signal?: string | null;
  /** For exits: the exit code when it ended by itself. */
  readonly code?: number | null;
  /** For spawns of nodes: the clock offset it started with. */
  readonly clockOffsetMs?: number;
}

/** A broker agent's link to one node, as the agent logged it. */
export interface AgentLinkEvent {
  readonly broker: string;
  readonly node: string;
  /** registered: the node acknowledged a registration; lost: the link closed or the node forgot us. */
  readonly kind: "registered" | "lost";
  readonly atMs: number;
}

/** Outcome of one query. */
export type SampleStatus = "ok" | "notReady" | "error" | "timeout";

/** One route query of the shared topic at one node. */
export interface RouteSample {
  readonly node: string;
  /** Poll round (same index on every node: samples of one round are taken together). */
  readonly round: number;
  readonly sendMs: number;
  readonly recvMs: number;
  readonly status: SampleStatus;
  /** Broker names routed (ok only; empty when the topic has no route). */
  readonly brokers?: readonly string[];
  /** Hash of the route answer's body, to compare nodes. */
  readonly hash?: string;
  readonly error?: string;
}

/** One read of the chaos KV namespace at one node. */
export interface KvSample {
  readonly node: string;
  readonly round: number;
  readonly sendMs: number;
  readonly recvMs: number;
  readonly status: SampleStatus;
  readonly table?: Readonly<Record<string, string>>;
  readonly error?: string;
}

/** Outcome of a KV write: acknowledged, refused (certainly not applied), or unknown. */
export type KvOutcome = "ok" | "refused" | "unknown";

/** One KV write, preceded by a read of the same key at the same node. */
export interface KvOp {
  readonly key: string;
  /** Sequence of this write among the writes of its key, from 1. */
  readonly seq: number;
  readonly op: "put" | "delete";
  /** The value put (unique per write); null for deletes. */
  readonly value: string | null;
  readonly node: string;
  /** The value the read before the write saw at the same node; null = absent or not read. */
  readonly seen: string | null;
  readonly readRecvMs: number;
  readonly sendMs: number;
  readonly recvMs: number;
  readonly outcome: KvOutcome;
  readonly error?: string;
}

/** Counters of node log lines worth reporting (per node). */
export interface NodeLogCounts {
  kvWriteFailed: number;
  startFailed: number;
  selfPreservation: number;
}

/** Static facts of a run. */
export interface RunMeta {
  readonly seed: number;
  readonly nodes: readonly string[];
  readonly brokers: readonly string[];
  readonly startedAtIso: string;
  /** The cluster was steady (every node routes every broker) here; checks start here. */
  readonly nemesisStartMs: number;
  /** Faults start before this. */
  readonly nemesisEndMs: number;
  /** When everything was healed and restarted at the end. */
  readonly finalHealMs: number;
  readonly endMs: number;
  readonly brokerExpiryMs: number;
  readonly heartbeatMs: number;
  readonly command: string;
  readonly sabotage: string | null;
}

/** Everything one run recorded. */
export interface History {
  meta: RunMeta;
  readonly faults: FaultRecord[];
  readonly processes: ProcessEvent[];
  readonly agentLinks: AgentLinkEvent[];
  readonly routes: RouteSample[];
  readonly kvReads: KvSample[];
  readonly kvOps: KvOp[];
  readonly nodeLogs: Record<string, NodeLogCounts>;
}

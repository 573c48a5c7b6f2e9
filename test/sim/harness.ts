// Shared set-up of the sim scenarios: a seeded ClusterSim with its checkers attached, the
// seed taken from SIM_SEED when set, and one failure report (seed, violations, log tail).
import { nextIndex, type SeededRng } from "../../src/core/clock.js";
import type { PeerMessage } from "../../src/core/effects.js";
import { PROTOCOL_VERSION_MAX } from "../../src/limits.js";
import type { BrokerRegistration, TopicConfig } from "../../src/model/types.js";
import { FrameKind, RequestCode } from "../../src/protocol/codes.js";
import { encodeFrame } from "../../src/protocol/frame.js";
import { ClusterSim, type ClusterSimOptions } from "../../src/testing/cluster_sim.js";
import { assertInvariants, InvariantChecker, type CheckerOptions } from "../../src/testing/checkers.js";

/** The seed of a scenario: SIM_SEED when given, else the scenario's fixed default. */
export function scenarioSeed(fallback: number): number {
  const fromEnv = process.env["SIM_SEED"];
  return fromEnv === undefined || fromEnv === "" ? fallback : Number(fromEnv) >>> 0;
}

/** A booted cluster (every node ready) with checkers sampling from the start. */
export function bootedSim(
  options: Partial<ClusterSimOptions> & { seed: number },
  checkerOptions: Partial<CheckerOptions> = {},
): { sim: ClusterSim; checker: InvariantChecker } {
  const sim = new ClusterSim(options);
  const checker = new InvariantChecker(sim, checkerOptions);
  sim.boot();
  return { sim, checker };
}

/** Fails with the seed, the violations and the log tail when any invariant broke. */
export function expectInvariants(sim: ClusterSim, checker: InvariantChecker): void {
  assertInvariants(sim, checker);
}

/** Milliseconds until every serving node routes `topic` with `brokerName`, or null. */
export function msUntilRoutedEverywhere(sim: ClusterSim, topic: string, brokerName: string, maxMs: number): number | null {
  return sim.advanceUntil(
    () =>
      sim.hosts.every(
        (host) => !host.serving || host.node?.findRoute(topic)?.brokerDatas.some((data) => data.brokerName === brokerName) === true,
      ),
    maxMs,
  );
}

/** Milliseconds until no running node routes the broker name any more, or null. */
export function msUntilGoneEverywhere(sim: ClusterSim, brokerName: string, maxMs: number): number | null {
  return sim.advanceUntil(
    () => sim.hosts.every((host) => host.node === null || host.node.getClusterInfo().brokerAddrTable[brokerName] === undefined),
    maxMs,
  );
}

/** The seeds of a random-schedule scenario: `count` from `first`, SIM_SEEDS=N for N, SIM_SEED=x for one. */
export function scheduleSeeds(first: number, count = DEFAULT_SCHEDULE_SEEDS): number[] {
  const one = process.env["SIM_SEED"];
  if (one !== undefined && one !== "") return [Number(one) >>> 0];
  const wanted = Number(process.env["SIM_SEEDS"] ?? count);
  return Array.from({ length: wanted }, (_, index) => first + index);
}

/** Seeds CI runs per random-schedule scenario. */
export const DEFAULT_SCHEDULE_SEEDS = 20;

/** One of `items`, drawn from `rng`. */
export function pick<T>(rng: SeededRng, items: readonly T[]): T {
  return items[nextIndex(rng, items.length)] as T;
}

/** A topic config with `queues` read and write queues, read-write. */
export function topicConfig(name: string, queues = 8): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false };
}

/** A registration of broker-a (master at `host`:10911) in DefaultCluster, for nodes driven by hand. */
export function brokerRegistration(topics: readonly TopicConfig[], counter = 1, host = "10.0.0.1"): BrokerRegistration {
  const names = { clusterName: "DefaultCluster", brokerName: "broker-a", brokerId: 0, zoneName: null };
  const flags = { enableActingMaster: false, heartbeatTimeoutMs: null };
  return { ...names, ...flags, brokerAddr: `${host}:10911`, haServerAddr: `${host}:10912`, dataVersion: { timestamp: 1_700_000_000_000, counter, stateVersion: 0 }, topics };
}

const PEER_FRAME_CODES: Readonly<Record<PeerMessage["type"], number>> = {
  deltas: RequestCode.PEER_DELTAS,
  digest: RequestCode.PEER_DIGEST,
  pull: RequestCode.PEER_PULL,
  summary: RequestCode.PEER_SUMMARY,
  want: RequestCode.PEER_WANT,
  heard: RequestCode.PEER_HEARD,
};

/** Bytes of a peer message as the peer hub encodes it (the real native frame codec). */
export function peerFrameBytes(message: PeerMessage): number {
  return encodeFrame({ v: PROTOCOL_VERSION_MAX, kind: FrameKind.REQUEST, code: PEER_FRAME_CODES[message.type], id: 0, body: message.body }).byteLength;
}

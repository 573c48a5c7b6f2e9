// Goal: 5.x registrations replicate topic by topic: incremental registrations (only the new
// topic, a new DataVersion) and split registrations (800-topic chunks, one DataVersion) that
// land on different nodes, with loss, duplication, reordering and partitions, leave every node
// routing every topic of every live broker after the heal, and nodes agree (ROCKETMQ.md §4.3).
// Method: a seeded schedule per seed on ClusterSim: remoting brokers (one given one node only,
// one splitting its table) create topics through incremental registrations sent to random
// subsets of nodes, between partitions, cuts and heals; then heal, wait out one periodic full
// registration, and require every broker's whole table on every node plus the invariants.
// SIM_SEEDS=N runs N seeds, SIM_SEED=x reruns one.
import { describe, expect, it } from "vitest";
import { nextIndex, nextUnit, SeededRng } from "../../src/core/clock.js";
import { ANTI_ENTROPY_INTERVAL_MS, BROKER_REGISTER_INTERVAL_MS } from "../../src/limits.js";
import { awaitConvergence, failureReport, InvariantChecker } from "../../src/testing/checkers.js";
import { ClusterSim } from "../../src/testing/cluster_sim.js";
import { pick, scheduleSeeds } from "./harness.js";

const FIRST_SEED = 9_001;
const STEPS = 30;
/** RocketMQ's splitRegistrationSize. */
const SPLIT_SIZE = 800;

function seeds(): number[] {
  return scheduleSeeds(FIRST_SEED);
}


/** Topics of `broker` some serving node does not route for it, with that node's id. */
function missingTopics(sim: ClusterSim, brokerName: string): string[] {
  const broker = sim.broker(brokerName);
  const missing: string[] = [];
  for (const host of sim.hosts) {
    if (!host.serving || !host.node) continue;
    for (const { topicName } of broker.registration.topics) {
      const route = host.node.findRoute(topicName);
      if (!route?.queueDatas.some((queue) => queue.brokerName === broker.registration.brokerName)) missing.push(`${host.id}:${topicName}`);
    }
  }
  return missing;
}

function runSchedule(seed: number): { sim: ClusterSim; checker: InvariantChecker; schedule: string[] } {
  const rng = new SeededRng(seed);
  const sim = new ClusterSim({
    seed,
    nodeCount: 3,
    network: {
      delayMsMin: 1,
      delayMsMax: pick(rng, [5, 20, 60]),
      lossProbability: pick(rng, [0, 0.001, 0.005]),
      // Broker requests travel over TCP: none is lost on an open connection (the no-false-
      // eviction checker counts on it). Incremental registrations sent to only some nodes, and
      // broker-node partitions, stand for the registrations that never reach a node.
      datagramLossProbability: 0,
      duplicateProbability: pick(rng, [0, 0.05, 0.2]),
    },
  });
  const checker = new InvariantChecker(sim);
  sim.boot();
  const ids = sim.nodeIds;
  const schedule: string[] = [`network=${JSON.stringify(sim.network.options)}`];
  const note = (text: string): void => void schedule.push(`${sim.nowMs} ${text}`);
  const big = Array.from({ length: 2_000 }, (_, index) => `Big-${index}`);
  sim.addBroker({ name: "b-all", origin: "remoting", topics: ["Orders", "Payments"] });
  sim.addBroker({ name: "b-one", origin: "remoting", nodes: [pick(rng, ids)], topics: ["Audit", "Orders"] });
  sim.addBroker({ name: "b-split", origin: "remoting", topics: big, splitRegistrationSize: SPLIT_SIZE });
  const brokers = ["b-all", "b-one", "b-split"];
  sim.advanceMs(2_000);
  for (let step = 0; step < STEPS; step++) {
    const roll = nextIndex(rng, 100);
    const broker = pick(rng, brokers);
    if (roll < 55) {
      const nodes = ids.filter(() => nextUnit(rng) < 0.5);
      const topic = `Created-${step}`;
      sim.createTopic(broker, topic, nodes.length > 0 ? nodes : [pick(rng, ids)]);
      note(`create ${topic} on ${broker} -> ${nodes.join(",") || "one"}`);
    } else if (roll < 65) {
      const left = ids.filter(() => nextUnit(rng) < 0.5);
      const right = ids.filter((id) => !left.includes(id));
      if (left.length > 0 && right.length > 0) {
        sim.partition(left, right);
        note(`partition ${left.join(",")} | ${right.join(",")}`);
      }
    } else if (roll < 72) {
      const id = pick(rng, ids);
      sim.partition([broker], [id]);
      note(`partition ${broker} | ${id}`);
    } else if (roll < 78) {
      const from = pick(rng, ids);
      const to = pick(rng, ids.filter((id) => id !== from));
      sim.cut(from, to);
      note(`cut ${from} -> ${to}`);
    } else if (roll < 92) {
      sim.heal();
      note("heal");
    } else {
      sim.network.resetSession(pick(rng, ids), pick(rng, ids), "random reset");
      note("reset");
    }
    sim.advanceMs(50 + nextIndex(rng, 2_000));
  }
  sim.heal();
  note("heal");
  // Every broker sends a full registration (its whole table, current version) within one period.
  sim.advanceMs(BROKER_REGISTER_INTERVAL_MS + 1_000);
  const window = sim.network.options.redialMsMax + 2 * ANTI_ENTROPY_INTERVAL_MS + 2 * sim.network.options.delayMsMax;
  awaitConvergence(sim, checker, window);
  for (const name of brokers) {
    const missing = missingTopics(sim, name);
    if (missing.length > 0) checker.report("convergence", `${name}: ${missing.length} topics not routed: ${missing.slice(0, 8).join(" ")}`);
  }
  return { sim, checker, schedule };
}

describe("registrations", () => {
  for (const seed of seeds()) {
    it(`registrations: incremental and split registrations on different nodes leave every topic routed everywhere, seed ${seed}`, () => {
      const { sim, checker, schedule } = runSchedule(seed);
      const report = failureReport(sim, checker);
      if (report !== "") throw new Error(`${report}\n--- schedule ---\n${schedule.join("\n")}`);
      expect(sim.broker("b-split").registration.topics.length).toBeGreaterThanOrEqual(2_001);
    });
  }
});

// Goal: DESIGN §7 invariants 1-5 hold under random histories — broker joins, crashes,
// pauses, graceful leaves and restarts; node crashes, empty restarts and pauses; symmetric
// and one-way partitions, session resets, stale duplicate frames; admin writes anywhere.
// Method: a seeded schedule (VOPR-style) per seed with continuous checkers; then heal and
// recover everything and require convergence of answers within two anti-entropy rounds (plus
// redial), and of digests once brokers fall quiet. CI runs a fixed seed set; SIM_SEEDS=N runs
// N seeds, SIM_SEED=x reruns one; a failure prints its seed, schedule and log tail.
import { describe, expect, it } from "vitest";
import { nextIndex, nextUnit, SeededRng } from "../../src/core/clock.js";
import { ANTI_ENTROPY_INTERVAL_MS, BROKER_EXPIRY_MS, PEER_DOWN_MS } from "../../src/limits.js";
import { awaitConvergence, failureReport, InvariantChecker } from "../../src/testing/checkers.js";
import { ClusterSim } from "../../src/testing/cluster_sim.js";
import { pick, scheduleSeeds } from "./harness.js";

const FIRST_SEED = 7_001;
const STEPS = 40;

function seeds(): number[] {
  return scheduleSeeds(FIRST_SEED);
}


function subset(rng: SeededRng, items: readonly string[]): string[] {
  const chosen = items.filter(() => nextUnit(rng) < 0.6);
  return chosen.length > 0 ? chosen : [pick(rng, items)];
}

/** One random history; returns the sim, its checker and the schedule as text. */
function runSchedule(seed: number): { sim: ClusterSim; checker: InvariantChecker; schedule: string[]; convergedMs: (number | null)[] } {
  const rng = new SeededRng(seed);
  const nodeCount = 3 + nextIndex(rng, 3);
  const sim = new ClusterSim({
    seed,
    nodeCount,
    network: {
      delayMsMin: 1,
      delayMsMax: pick(rng, [5, 20, 60]),
      lossProbability: pick(rng, [0, 0.0005, 0.003]),
      datagramLossProbability: pick(rng, [0, 0.01]),
      duplicateProbability: pick(rng, [0, 0.05, 0.2]),
    },
  });
  const checker = new InvariantChecker(sim);
  sim.boot();
  const schedule: string[] = [`nodes=${nodeCount} network=${JSON.stringify(sim.network.options)}`];
  const note = (text: string): void => void schedule.push(`${sim.nowMs} ${text}`);
  const act = (text: string, run: () => void): void => {
    run();
    note(text);
  };
  const ids = sim.nodeIds;
  let brokerCount = 0;
  const addBroker = (): void => {
    const name = `b${++brokerCount}`;
    const origin = nextUnit(rng) < 0.2 ? "remoting" : "native";
    const nodes = subset(rng, ids);
    sim.addBroker({ name, origin, nodes, topics: [`T${brokerCount}`, pick(rng, ["Shared", "Orders"])] });
    note(`add ${name} ${origin} -> ${nodes.join(",")}`);
  };
  for (let index = 0; index < 4 + nextIndex(rng, 4); index++) addBroker();
  const serving = (): string[] => sim.hosts.filter((host) => host.node !== null && !host.paused).map((host) => host.id);
  for (let step = 0; step < STEPS; step++) {
    const roll = nextIndex(rng, 100);
    const broker = brokerCount > 0 ? `b${1 + nextIndex(rng, brokerCount)}` : null;
    const id = pick(rng, ids);
    if (roll < 8) addBroker();
    else if (roll < 16 && broker) act(`kill ${broker}`, () => sim.killBroker(broker));
    else if (roll < 22 && broker) act(`pause ${broker}`, () => sim.pauseBroker(broker));
    else if (roll < 28 && broker) act(`resume ${broker}`, () => sim.resumeBroker(broker));
    else if (roll < 32 && broker) act(`unregister ${broker}`, () => sim.unregisterBroker(broker));
    else if (roll < 38 && broker) act(`restart ${broker}`, () => sim.restartBroker(broker));
    else if (roll < 41 && broker) act(`topics ${broker}`, () => sim.setBrokerTopics(broker, [`T${broker}`, `New${step}`]));
    else if (roll < 45 && serving().length > 1) act(`stop ${id}`, () => sim.stopNode(id));
    else if (roll < 50) act(`restart ${id}`, () => sim.restartNode(id));
    else if (roll < 54) act(`pause ${id}`, () => sim.pauseNode(id));
    else if (roll < 60) act(`resume ${id}`, () => sim.resumeNode(id));
    else if (roll < 66) {
      const left = subset(rng, ids);
      const right = ids.filter((other) => !left.includes(other));
      sim.partition(left, right.length > 0 ? right : [pick(rng, ids)].filter((other) => !left.includes(other)));
      note(`partition ${left.join(",")} | ${right.join(",")}`);
    } else if (roll < 70) {
      const other = pick(rng, ids.filter((candidate) => candidate !== id));
      sim.cut(id, other);
      note(`cut ${id} -> ${other}`);
    } else if (roll < 73 && broker) {
      sim.partition([broker], [id]);
      note(`partition ${broker} | ${id}`);
    } else if (roll < 82) act("heal", () => sim.heal());
    else if (roll < 85) {
      const other = pick(rng, ids.filter((candidate) => candidate !== id));
      sim.network.resetSession(id, other, "random reset");
      note(`reset ${id}-${other}`);
    } else if (serving().length > 0) {
      const at = pick(rng, serving());
      const what = nextIndex(rng, 4);
      if (what === 0) act(`kvPut on ${at}`, () => sim.kvPut(at, "ns", `k${nextIndex(rng, 5)}`, `v${step}`));
      else if (what === 1) act(`kvDelete on ${at}`, () => sim.kvDelete(at, "ns", `k${nextIndex(rng, 5)}`));
      else if (what === 2 && broker) act(`perm ${broker} on ${at}`, () => sim.setWritePerm(at, broker, nextUnit(rng) < 0.5));
      else act(`deleteTopic on ${at}`, () => sim.deleteTopic(at, pick(rng, ["Shared", "Orders"])));
    }
    sim.advanceMs(100 + nextIndex(rng, 3_000));
  }
  // Recover everything, then the invariant: identical answers within two anti-entropy rounds
  // after the last link is back (redial after heal, snapshot for restarted nodes).
  sim.heal();
  for (const host of sim.hosts) {
    if (host.paused) sim.resumeNode(host.id);
    if (!host.running) sim.restartNode(host.id);
  }
  for (const broker of sim.brokers.values()) if (broker.state === "paused") sim.resumeBroker(broker.name);
  note("heal, resume and restart everything");
  const window = sim.network.options.redialMsMax + 2 * ANTI_ENTROPY_INTERVAL_MS + 2 * sim.network.options.delayMsMax;
  const convergedMs: (number | null)[] = [awaitConvergence(sim, checker, window)];
  // Let pending expiries (brokers whose FIN was lost) play out, then quiet the brokers and
  // require equal digests too: the replicated state itself, not only the answers, agrees.
  sim.advanceMs(BROKER_EXPIRY_MS + PEER_DOWN_MS);
  for (const broker of sim.brokers.values()) sim.pauseBroker(broker.name);
  note("quiet brokers");
  convergedMs.push(awaitConvergence(sim, checker, 2 * ANTI_ENTROPY_INTERVAL_MS + 500, true));
  return { sim, checker, schedule, convergedMs };
}

describe("random schedules", () => {
  for (const seed of seeds()) {
    it(`random_schedules: invariants hold for seed ${seed}`, () => {
      const { sim, checker, schedule, convergedMs } = runSchedule(seed);
      const report = failureReport(sim, checker);
      if (report !== "") throw new Error(`${report}\n--- schedule ---\n${schedule.join("\n")}`);
      expect(convergedMs.every((ms) => ms !== null)).toBe(true);
    });
  }
});

// Goal: a node that hears a broker over its registering connection keeps routing it, whatever
// verdict about the broker a peer brings back from the other side of a partition (DESIGN §7.3,
// no false eviction). Session numbers count the offline/online cycles a node saw, so two sides
// of a partition can count differently; found by the chaos run on five nodes (seed 31).
// Method: a ClusterSim script that makes one side count more cycles than the other, then mends
// the peer links while the broker is still cut from the side that evicted it; and seeded
// schedules of nodes cut from their peers, brokers cut from nodes, broker pauses longer than
// their expiry and partial mends, where a sampler checks every tick that no node stops routing
// a running broker whose link to it has been open and quiet of faults for 2.5 s.
import { describe, expect, it } from "vitest";
import { nextIndex, SeededRng } from "../../src/core/clock.js";
import { BROKER_EXPIRY_MS, TICK_MS } from "../../src/limits.js";
import { ClusterSim } from "../../src/testing/cluster_sim.js";
import { bootedSim, expectInvariants, pick, scheduleSeeds } from "./harness.js";

const NET = { delayMsMin: 1, delayMsMax: 10 };

/** Every tick from now on: the nodes that `broker` heartbeats to (and hears) route it. */
function watchHeardNodesRoute(sim: ClusterSim, broker: string, nodes: readonly string[]): string[] {
  const gaps: string[] = [];
  sim.onSample((nowMs) => {
    for (const id of nodes) {
      if (sim.network.isBlocked(broker, id) || sim.network.isBlocked(id, broker)) continue;
      if (sim.node(id).getClusterInfo().brokerAddrTable[broker] === undefined) gaps.push(`${nowMs} ms: ${id} does not route ${broker}`);
    }
  });
  return gaps;
}

/** Cuts `broker` from `node` until the node evicts it on expiry, then lets it re-register there. */
function cycleOn(sim: ClusterSim, broker: string, node: string): void {
  sim.partition([broker], [node]);
  const evicted = sim.advanceUntil(() => sim.node(node).getClusterInfo().brokerAddrTable[broker] === undefined, BROKER_EXPIRY_MS + 2_000);
  expect(evicted, `${node} evicts ${broker} on expiry`).not.toBeNull();
  sim.network.mend([broker], [node]);
  const back = sim.advanceUntil(() => sim.node(node).getClusterInfo().brokerAddrTable[broker] !== undefined, 3_000);
  expect(back, `${broker} registers with ${node} again`).not.toBeNull();
}

describe("session numbers counted apart", () => {
  it("session_divergence: an expiry verdict of a higher session does not take a broker off the nodes that hear it", () => {
    const { sim, checker } = bootedSim({ seed: 3_101, network: NET });
    sim.addBroker({ name: "b1" });
    sim.advanceMs(3_000);
    // n1 alone counts two more cycles of b1 (offline/online, then offline) than n2 and n3.
    sim.partition(["n1"], ["n2", "n3"]);
    cycleOn(sim, "b1", "n1");
    sim.partition(["b1"], ["n1"]);
    const evicted = sim.advanceUntil(() => sim.node("n1").getClusterInfo().brokerAddrTable["b1"] === undefined, BROKER_EXPIRY_MS + 2_000);
    expect(evicted).not.toBeNull();
    const gaps = watchHeardNodesRoute(sim, "b1", ["n2", "n3"]);
    sim.network.mend(["n1"], ["n2", "n3"]);
    sim.advanceMs(3_000);
    expect(gaps, gaps.slice(0, 5).join("\n")).toEqual([]);
    // n1, still cut from b1, routes it again on the others' word.
    expect(sim.node("n1").getClusterInfo().brokerAddrTable["b1"]).toBeDefined();
    sim.heal();
    sim.advanceMs(2 * TICK_MS + 2_000);
    for (const id of sim.nodeIds) expect(sim.node(id).getClusterInfo().brokerAddrTable["b1"], id).toBeDefined();
    expectInvariants(sim, checker);
  });
});

describe("expiry verdicts of a node that was cut off", () => {
  it("session_divergence: a node that learns by vouches that a broker is fresh does not take a cut-off node's expiry verdict", () => {
    const { sim, checker } = bootedSim({ seed: 3_102, network: NET });
    // Registered with n1 only: n2 and n3 know it is alive from n1's vouches alone.
    sim.addBroker({ name: "b1", nodes: ["n1"] });
    sim.advanceMs(3_000);
    // As in the compose check: n2 was killed and started again (empty) a little before.
    sim.stopNode("n2");
    sim.advanceMs(4_000);
    sim.restartNode("n2");
    const ready = sim.advanceUntil(() => sim.node("n2").getClusterInfo().brokerAddrTable["b1"] !== undefined, 5_000);
    expect(ready, "n2 routes b1 again after its restart").not.toBeNull();
    sim.advanceMs(2_000);
    const gaps = watchHeardNodesRoute(sim, "b1", ["n1"]);
    const n2Gaps: string[] = [];
    sim.onSample((nowMs) => {
      if (sim.node("n2").getClusterInfo().brokerAddrTable["b1"] === undefined) n2Gaps.push(`${nowMs} ms: n2 does not route b1`);
    });
    // n3 is cut off past b1's expiry, evicts it on its own deadline, and comes back with the verdict.
    sim.partition(["n3"], ["n1", "n2"]);
    const evicted = sim.advanceUntil(() => sim.node("n3").getClusterInfo().brokerAddrTable["b1"] === undefined, BROKER_EXPIRY_MS + 3_000);
    expect(evicted, "n3 evicts b1 while cut off").not.toBeNull();
    sim.heal();
    sim.advanceMs(3_000);
    expect(gaps, gaps.slice(0, 3).join("\n")).toEqual([]);
    expect(n2Gaps, n2Gaps.slice(0, 3).join("\n")).toEqual([]);
    expect(sim.node("n3").getClusterInfo().brokerAddrTable["b1"], "n3 routes b1 again").toBeDefined();
    expectInvariants(sim, checker);
  });
});

/** A broker's link to a node must have been open this long before a drop counts: a few heartbeats. */
const HEARD_FOR_MS = 2_500;
const SCHEDULE_STEPS = 120;

/** One seeded schedule; returns every drop of a heard broker, with the faults before it. */
function dropsOfHeardBrokers(seed: number): string[] {
  const rng = new SeededRng(seed);
  const sim = new ClusterSim({ seed, nodeCount: 5, network: NET });
  sim.boot();
  const ids = sim.nodeIds;
  const brokers = ["b1", "b2", "b3", "b4", "b5"];
  for (const name of brokers) sim.addBroker({ name, heartbeatTimeoutMs: 4_000 });
  sim.advanceMs(2_000);
  const changedAt = new Map<string, number>();
  const changed = (...keys: string[]): void => keys.forEach((key) => changedAt.set(key, sim.nowMs));
  const routedBefore = new Map<string, boolean>();
  const faults: string[] = [];
  const drops: string[] = [];
  sim.onSample((nowMs) => {
    for (const id of ids) {
      const host = sim.host(id);
      for (const name of brokers) {
        const key = `${id}|${name}`;
        const routed = host.serving && sim.node(id).getClusterInfo().brokerAddrTable[name] !== undefined;
        const was = routedBefore.get(key) ?? false;
        routedBefore.set(key, routed);
        if (!was || routed || !host.serving || sim.broker(name).state !== "running") continue;
        if (sim.network.isBlocked(name, id) || sim.network.isBlocked(id, name)) continue;
        const since = Math.max(changedAt.get(key) ?? 0, changedAt.get(name) ?? 0);
        if (nowMs - since < HEARD_FOR_MS) continue;
        drops.push(`${nowMs} ms: ${id} stopped routing ${name}, heard since ${since} ms; faults before:\n  ${faults.slice(-10).join("\n  ")}`);
      }
    }
  });
  for (let step = 0; step < SCHEDULE_STEPS; step++) {
    const roll = nextIndex(rng, 100);
    const id = pick(rng, ids);
    const name = pick(rng, brokers);
    const peers = ids.filter((other) => other !== id);
    if (roll < 25) {
      sim.partition([id], peers);
      faults.push(`${sim.nowMs} cut ${id} from its peers`);
    } else if (roll < 45) {
      sim.partition([name], [id]);
      changed(`${id}|${name}`);
      faults.push(`${sim.nowMs} cut ${name} from ${id}`);
    } else if (roll < 55) {
      sim.pauseBroker(name);
      changed(name);
      faults.push(`${sim.nowMs} pause ${name}`);
    } else if (roll < 70) {
      sim.resumeBroker(name);
      changed(name);
      faults.push(`${sim.nowMs} resume ${name}`);
    } else if (roll < 80) {
      sim.network.mend([name], [id]);
      changed(`${id}|${name}`);
      faults.push(`${sim.nowMs} mend ${name} with ${id}`);
    } else if (roll < 95) {
      sim.network.mend([id], peers);
      faults.push(`${sim.nowMs} mend ${id} with its peers`);
    } else {
      sim.heal();
      for (const node of ids) changed(...brokers.map((broker) => `${node}|${broker}`));
      faults.push(`${sim.nowMs} heal`);
    }
    sim.advanceMs(500 + nextIndex(rng, 8_000));
  }
  return drops;
}

describe("heard brokers stay routed", () => {
  for (const seed of scheduleSeeds(1)) {
    it(`session_divergence: no node stops routing a broker it hears, seed ${seed}`, () => {
      const drops = dropsOfHeardBrokers(seed);
      expect(drops, drops.slice(0, 2).join("\n")).toEqual([]);
    });
  }
});

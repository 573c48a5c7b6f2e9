// Figure 4, in-process half: run as `node --expose-gc dist/bench/fig4_probe.js <brokers>`.
// Times registerBroker on a NameServerNode (the core, no I/O) for a broker with 10,000 topics
// (first, unchanged, changed) and measures heap bytes per (topic, broker) entry at
// <brokers> x 10,000 topics. Prints one JSON object on stdout.
import { performance } from "node:perf_hooks";
import { SeededRng } from "../core/clock.js";
import { NameServerNode, defaultNodeOptions } from "../core/node.js";
import type { BrokerRegistration } from "../model/types.js";

const TOPICS = 10_000;
const UNCHANGED_REPEATS = 50;
const CHANGED_REPEATS = 10;

/** Fresh topic-name strings, as decoding them off the wire would make. */
function registration(brokerIndex: number, counter: number, topicSuffix = ""): BrokerRegistration {
  const topics = [];
  for (let index = 0; index < TOPICS; index++) {
    topics.push({ topicName: `BenchTopic_${index}${topicSuffix}`.slice(0), readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0, order: false });
  }
  return {
    clusterName: "BenchCluster",
    brokerAddr: `10.1.${Math.floor(brokerIndex / 250)}.${brokerIndex % 250}:10911`,
    brokerName: `broker-${brokerIndex}`,
    brokerId: 0,
    haServerAddr: "",
    zoneName: null,
    enableActingMaster: false,
    heartbeatTimeoutMs: null,
    dataVersion: { timestamp: 1_700_000_000_000, counter, stateVersion: 0 },
    topics,
  };
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error("run with --expose-gc");
  collect();
  collect();
}

function timeMs(call: () => void): number {
  const start = performance.now();
  call();
  return performance.now() - start;
}

function main(): void {
  const brokers = Number(process.argv[2] ?? "100");
  let now = 1_000;
  const node = new NameServerNode({ ...defaultNodeOptions("bench") }, new SeededRng(1), now);
  // Timings on one broker: the registration object is built before the clock starts.
  const first = registration(0, 1);
  const firstMs = timeMs(() => {
    node.registerBroker(1, "native", first, { epoch: 1, seq: 1 }, now);
    node.takeEffects();
  });
  const unchangedMs: number[] = [];
  for (let repeat = 0; repeat < UNCHANGED_REPEATS; repeat++) {
    const same = registration(0, 1);
    now += 10;
    // As the native port does: the dataVersion alone first, the whole registration if it is not enough.
    unchangedMs.push(timeMs(() => {
      const evidence = { epoch: 1, seq: 2 + repeat };
      if (node.reregisterUnchanged(1, same.clusterName, same.brokerAddr, same.dataVersion, evidence, now) === null) node.registerBroker(1, "native", same, evidence, now);
      node.takeEffects();
    }));
  }
  const changedMs: number[] = [];
  for (let repeat = 0; repeat < CHANGED_REPEATS; repeat++) {
    const changed = registration(0, 2 + repeat, repeat % 2 === 0 ? "x" : "");
    now += 10;
    changedMs.push(timeMs(() => {
      node.registerBroker(1, "native", changed, { epoch: 1, seq: 100 + repeat }, now);
      node.takeEffects();
    }));
  }
  // Memory: a fresh node, `brokers` brokers x 10,000 topics (same names, fresh strings).
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const big = new NameServerNode({ ...defaultNodeOptions("bench-mem") }, new SeededRng(2), now);
  for (let index = 0; index < brokers; index++) {
    big.registerBroker(1000 + index, "native", registration(index, 1), { epoch: 1, seq: 1 }, now);
    big.takeEffects();
  }
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  const rssAfter = process.memoryUsage().rss;
  const entries = brokers * TOPICS;
  const routeCheck = big.getRoute("BenchTopic_1").queueDatas.length;
  process.stdout.write(
    `${JSON.stringify({
      topics: TOPICS,
      firstMs,
      unchangedMs,
      changedMs,
      brokers,
      entries,
      heapBytesPerEntry: (heapAfter - heapBefore) / entries,
      rssBytesPerEntry: (rssAfter - rssBefore) / entries,
      heapDeltaBytes: heapAfter - heapBefore,
      routeCheck,
    })}\n`,
  );
}

main();

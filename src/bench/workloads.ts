// The data shapes of the Java comparison (issue #13): a smoke shape of 100 topics x 10 brokers
// and the capacity workloads of rocketmq-rust's benches (20,000 topics x 1,000 brokers with
// route width 4, 100,000 x 1,000 with width 16). Topic t lives on the `width` brokers
// t, t+1, ... (mod brokers), so every broker holds topics x width / brokers topics. Builds the
// REGISTER_BROKER and BROKER_HEARTBEAT frames a 5.x broker sends (uncompressed JSON body with
// its CRC32), loads a server over a few connections, and picks query topics with a seeded RNG.
import * as rm from "../protocol/remoting/index.js";
import { RawRemoting, requestCommand, routeRequestFrame, splitFrame, type SplitFrame } from "./remoting_client.js";
import { nowMs, round3 } from "./util.js";

/** One data shape. */
export interface Workload {
  readonly name: string;
  readonly topics: number;
  readonly brokers: number;
  /** Brokers (of distinct names) each topic is on. */
  readonly width: number;
}

export const SMOKE_WORKLOAD: Workload = { name: "smoke", topics: 100, brokers: 10, width: 4 };
export const CAPACITY_20K_WORKLOAD: Workload = { name: "20k", topics: 20_000, brokers: 1_000, width: 4 };
export const CAPACITY_100K_WORKLOAD: Workload = { name: "100k", topics: 100_000, brokers: 1_000, width: 16 };

export const BENCH_CLUSTER = "BenchCluster";
/** Queues per topic, read and write: a common production setting. */
const QUEUES_PER_TOPIC = 8;
/** DataVersion timestamp of every bench registration (any fixed value works). */
const DATA_VERSION_TIMESTAMP = 1_700_000_000_000;
/** Registration connections per server: brokers share them, one registration in flight each. */
export const REGISTRATION_CONNECTIONS = 20;

export function topicName(workload: Workload, index: number): string {
  return `${workload.name}_topic_${index}`;
}

export function brokerName(index: number): string {
  return `bench-broker-${index}`;
}

/** A broker address; nothing connects to it, so it need not be local. */
export function brokerAddr(index: number): string {
  return `10.${Math.floor(index / 250)}.${index % 250}.1:10911`;
}

/** The topic indexes broker `index` holds. */
export function topicsOfBroker(workload: Workload, index: number): number[] {
  const out: number[] = [];
  // Topic t is on brokers t..t+width-1 (mod brokers): broker i holds t = i - k (mod brokers) + m * brokers.
  for (let k = 0; k < workload.width; k++) {
    for (let t = (((index - k) % workload.brokers) + workload.brokers) % workload.brokers; t < workload.topics; t += workload.brokers) out.push(t);
  }
  return out;
}

function topicConfig(name: string): rm.TopicConfig {
  return { topicName: name, readQueueNums: QUEUES_PER_TOPIC, writeQueueNums: QUEUES_PER_TOPIC, perm: 6, topicFilterType: "SINGLE_TAG", topicSysFlag: 0, order: false, attributes: new Map() };
}

/**
 * A REGISTER_BROKER frame of a master broker with the given topics and DataVersion counter,
 * declaring `heartbeatTimeoutMs` (5.x brokers send brokerNotActiveTimeoutMillis, 10 s by default).
 */
export function registrationFrame(options: { name: string; addr: string; topics: readonly string[]; counter: number; heartbeatTimeoutMs: number }): SplitFrame {
  const table = new Map<string, rm.TopicConfig>();
  for (const topic of options.topics) table.set(topic, topicConfig(topic));
  const body = rm.encodeRegisterBrokerBody({
    topicConfigSerializeWrapper: {
      topicConfigTable: table,
      dataVersion: { timestamp: DATA_VERSION_TIMESTAMP, counter: options.counter, stateVersion: 0 },
      topicQueueMappingInfoMap: new Map(),
    },
    filterServerList: [],
  });
  const ext = {
    brokerName: options.name,
    brokerAddr: options.addr,
    clusterName: BENCH_CLUSTER,
    haServerAddr: options.addr.replace(/:\d+$/, ":10912"),
    brokerId: "0",
    heartbeatTimeoutMillis: String(options.heartbeatTimeoutMs),
    enableActingMaster: "false",
    compressed: "false",
    bodyCrc32: String(rm.bodyCrc32(body)),
  };
  return splitFrame(requestCommand(rm.RequestCode.REGISTER_BROKER, ext, 0, body));
}

/** Every broker's registration frame of a workload. */
export function workloadFrames(workload: Workload, heartbeatTimeoutMs: number): SplitFrame[] {
  const frames: SplitFrame[] = [];
  for (let index = 0; index < workload.brokers; index++) {
    const topics = topicsOfBroker(workload, index).map((t) => topicName(workload, t));
    frames.push(registrationFrame({ name: brokerName(index), addr: brokerAddr(index), topics, counter: 1, heartbeatTimeoutMs }));
  }
  return frames;
}

/** The oneway BROKER_HEARTBEAT frame of broker `index`. */
export function heartbeatFrame(index: number): SplitFrame {
  const ext = { clusterName: BENCH_CLUSTER, brokerAddr: brokerAddr(index), brokerName: brokerName(index), brokerId: "0" };
  return splitFrame(requestCommand(rm.RequestCode.BROKER_HEARTBEAT, ext, 0, undefined, true));
}

/** The connection broker `index` registers (and heartbeats) on. */
export function connectionOf(conns: readonly RawRemoting[], index: number): RawRemoting {
  return conns[index % conns.length] as RawRemoting;
}

/** Result of loading a server. */
export interface LoadOutcome {
  readonly ms: number;
  readonly failures: number;
  /** The first error remark, if any. */
  readonly firstError: string | null;
}

/** Sends every frame (broker i on connection i mod n), one in flight per connection; times it all. */
export async function registerAll(conns: readonly RawRemoting[], frames: readonly SplitFrame[]): Promise<LoadOutcome> {
  let failures = 0;
  let firstError: string | null = null;
  const t0 = nowMs();
  await Promise.all(
    conns.map(async (conn, connIndex) => {
      for (let index = connIndex; index < frames.length; index += conns.length) {
        const reply = await conn.send(frames[index] as SplitFrame);
        if (reply.code !== 0) {
          failures += 1;
          firstError ??= `code ${reply.code}: ${reply.remark ?? ""}`;
        }
      }
    }),
  );
  return { ms: round3(nowMs() - t0), failures, firstError };
}

/** A seeded xorshift32, so every server is asked the same topics in the same order. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** Route request frames for `count` topics of the workload (all of them when it has fewer), shuffled. */
export function queryFrames(workload: Workload, count: number, seed: number): Buffer[] {
  const random = seededRandom(seed);
  const frames: Buffer[] = [];
  if (workload.topics <= count) {
    for (let t = 0; t < workload.topics; t++) frames.push(routeRequestFrame(topicName(workload, t), t + 1));
    for (let i = frames.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [frames[i], frames[j]] = [frames[j] as Buffer, frames[i] as Buffer];
    }
    return frames;
  }
  for (let i = 0; i < count; i++) frames.push(routeRequestFrame(topicName(workload, Math.floor(random() * workload.topics)), i + 1));
  return frames;
}

// Goal: registrations follow the Java NameServer's RouteInfoManager topic by topic, and replicated
// nodes reach the same routes whatever order full, incremental and split registrations reach them.
// Method: fast-check sequences of broker and admin operations run against a naive reference model
// of RouteInfoManager (ROCKETMQ.md §4.3, §4.6, written here from the description, not from Java
// code) and against NameServerNode; then the same broker operations delivered to three nodes in
// random interleavings with random snapshot exchanges, which must agree with each other and with
// the reference once synced.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRng } from "./clock.js";
import { NameServerNode, defaultNodeOptions } from "./node.js";
import { Perm, type BrokerRegistration, type DataVersion, type QueueData, type TopicConfig } from "../model/types.js";

const BROKERS = ["b1", "b2"] as const;
const TOPICS = ["T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7"] as const;
const CLUSTER = "C";
/** Generated histories per property; MODEL_RUNS=N runs more (5,000 pass in about 15 s). */
const RUNS = Number(process.env["MODEL_RUNS"] ?? 300);

type BrokerName = (typeof BROKERS)[number];

/** One operation of a broker or an admin. */
type Op =
  | { readonly kind: "full"; readonly broker: BrokerName; readonly topics: readonly number[]; readonly bump: boolean; readonly queues: number }
  | { readonly kind: "incremental"; readonly broker: BrokerName; readonly topic: number; readonly queues: number }
  | { readonly kind: "split"; readonly broker: BrokerName; readonly topics: readonly number[]; readonly chunk: number }
  | { readonly kind: "unregister"; readonly broker: BrokerName }
  | { readonly kind: "wipe" | "add"; readonly broker: BrokerName }
  | { readonly kind: "deleteTopic"; readonly topic: number };

const broker = fc.constantFrom(...BROKERS);
const topicIndex = fc.integer({ min: 0, max: TOPICS.length - 1 });
const topicSet = fc.uniqueArray(topicIndex, { minLength: 2, maxLength: TOPICS.length });
const brokerOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("full" as const), broker, topics: topicSet, bump: fc.boolean(), queues: fc.constantFrom(4, 8) }),
  fc.record({ kind: fc.constant("incremental" as const), broker, topic: topicIndex, queues: fc.constantFrom(4, 8) }),
  fc.record({ kind: fc.constant("split" as const), broker, topics: topicSet, chunk: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("unregister" as const), broker }),
);
const adminOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom("wipe" as const, "add" as const), broker }),
  fc.record({ kind: fc.constant("deleteTopic" as const), topic: topicIndex }),
);

function config(name: string, queues: number): TopicConfig {
  return { topicName: name, readQueueNums: queues, writeQueueNums: queues, perm: Perm.READ_WRITE, topicSysFlag: 0, order: false };
}

/** A broker's side of the story: its DataVersion counter and the REGISTER_BROKER bodies it sends. */
class BrokerState {
  counter = 1;
  private readonly tables = new Map<BrokerName, Map<string, TopicConfig>>();

  /** The registrations (one, or one per chunk) a broker operation sends, as a real broker builds them. */
  registrations(op: Op): BrokerRegistration[] {
    if (op.kind !== "full" && op.kind !== "incremental" && op.kind !== "split") return [];
    const table = this.tables.get(op.broker) ?? new Map<string, TopicConfig>();
    this.tables.set(op.broker, table);
    const make = (topics: readonly TopicConfig[], dataVersion: DataVersion): BrokerRegistration => ({
      clusterName: CLUSTER,
      brokerAddr: `10.0.0.${BROKERS.indexOf(op.broker) + 1}:10911`,
      brokerName: op.broker,
      brokerId: 0,
      haServerAddr: "",
      zoneName: null,
      enableActingMaster: false,
      heartbeatTimeoutMs: null,
      dataVersion,
      topics,
    });
    if (op.kind === "incremental") {
      // registerIncrementBrokerData: only the new topic, with the broker's next DataVersion.
      this.counter += 1;
      const topic = config(TOPICS[op.topic] as string, op.queues);
      table.set(topic.topicName, topic);
      return [make([topic], this.version())];
    }
    for (const index of op.topics) {
      const name = TOPICS[index] as string;
      if (!table.has(name)) table.set(name, config(name, op.kind === "full" ? op.queues : 8));
    }
    if (op.kind === "full" && op.bump) this.counter += 1;
    const all = [...table.values()];
    if (op.kind === "full") return [make(all, this.version())];
    // enableSplitRegistration: the same DataVersion on every chunk of the table.
    const chunks: BrokerRegistration[] = [];
    for (let start = 0; start < all.length; start += op.chunk) chunks.push(make(all.slice(start, start + op.chunk), this.version()));
    return chunks;
  }

  forget(name: BrokerName): void {
    this.tables.delete(name);
  }

  private version(): DataVersion {
    return { timestamp: 1_000, counter: this.counter, stateVersion: 0 };
  }
}

/** The naive reference: RouteInfoManager's tables and rules for masters, one node, in order. */
class ReferenceNamesrv {
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrs = new Map<string, Map<number, string>>();
  private readonly liveVersions = new Map<string, DataVersion>();

  register(registration: BrokerRegistration): void {
    const { brokerName, brokerId, brokerAddr, dataVersion, topics } = registration;
    let registerFirst = false;
    let addrs = this.brokerAddrs.get(brokerName);
    if (!addrs) {
      registerFirst = true;
      this.brokerAddrs.set(brokerName, (addrs = new Map()));
    }
    // Step 7: a one-topic registration of a broker id not registered yet is refused.
    if (!addrs.has(brokerId) && topics.length === 1) return;
    registerFirst = registerFirst || addrs.get(brokerId) === undefined;
    addrs.set(brokerId, brokerAddr);
    const stored = this.liveVersions.get(brokerAddr);
    const changed = stored === undefined || JSON.stringify(stored) !== JSON.stringify(dataVersion);
    for (const topic of topics) {
      const queues = this.topicQueueTable.get(topic.topicName);
      if (!(registerFirst || changed || !queues || !queues.has(brokerName))) continue;
      const queue: QueueData = {
        brokerName,
        readQueueNums: topic.readQueueNums,
        writeQueueNums: topic.writeQueueNums,
        perm: topic.perm,
        topicSysFlag: topic.topicSysFlag,
      };
      if (queues) queues.set(brokerName, queue);
      else this.topicQueueTable.set(topic.topicName, new Map([[brokerName, queue]]));
    }
    this.liveVersions.set(brokerAddr, dataVersion);
  }

  unregister(brokerName: string, brokerAddr: string): void {
    this.liveVersions.delete(brokerAddr);
    const addrs = this.brokerAddrs.get(brokerName);
    if (!addrs) return;
    for (const [id, addr] of addrs) if (addr === brokerAddr) addrs.delete(id);
    if (addrs.size > 0) return;
    this.brokerAddrs.delete(brokerName);
    for (const [topic, queues] of this.topicQueueTable) {
      queues.delete(brokerName);
      if (queues.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  setPerm(brokerName: string, wipe: boolean): void {
    for (const queues of this.topicQueueTable.values()) {
      const queue = queues.get(brokerName);
      if (queue) queues.set(brokerName, { ...queue, perm: wipe ? queue.perm & ~Perm.WRITE : Perm.READ_WRITE });
    }
  }

  deleteTopic(topic: string): void {
    this.topicQueueTable.delete(topic);
  }

  /** Routes as sorted QueueData lists per topic; a topic whose brokers are all gone has none. */
  routes(): Record<string, QueueData[]> {
    const result: Record<string, QueueData[]> = {};
    for (const [topic, queues] of this.topicQueueTable) {
      const routed = [...queues.values()].filter((queue) => this.brokerAddrs.has(queue.brokerName));
      if (routed.length > 0) result[topic] = routed.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
    }
    return result;
  }
}

function routesOf(node: NameServerNode): Record<string, QueueData[]> {
  const result: Record<string, QueueData[]> = {};
  for (const topic of node.getTopics(null)) {
    const route = node.findRoute(topic);
    if (route) result[topic] = [...route.queueDatas].sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  }
  return result;
}

const REMOTING = { refuseSingleTopicFirst: true };

function addrOf(name: BrokerName): string {
  return `10.0.0.${BROKERS.indexOf(name) + 1}:10911`;
}

/** Runs one operation on the reference and on a node (admin operations only where `admin`). */
function runOp(op: Op, brokers: BrokerState, registrations: BrokerRegistration[], reference: ReferenceNamesrv | null, node: NameServerNode, nowMs: number): void {
  switch (op.kind) {
    case "full":
    case "incremental":
    case "split":
      for (const registration of registrations) {
        reference?.register(registration);
        node.registerBroker(BROKERS.indexOf(op.broker) + 1, "remoting", registration, null, nowMs, REMOTING);
      }
      return;
    case "unregister":
      reference?.unregister(op.broker, addrOf(op.broker));
      node.unregisterBroker(BROKERS.indexOf(op.broker) + 1, CLUSTER, addrOf(op.broker), null, nowMs);
      brokers.forget(op.broker);
      return;
    case "wipe":
    case "add":
      reference?.setPerm(op.broker, op.kind === "wipe");
      if (op.kind === "wipe") node.wipeWritePerm(op.broker, nowMs);
      else node.addWritePerm(op.broker, nowMs);
      return;
    case "deleteTopic":
      reference?.deleteTopic(TOPICS[op.topic] as string);
      node.deleteTopic(TOPICS[op.topic] as string, null, nowMs);
      return;
  }
}

function newNode(id: string): NameServerNode {
  return new NameServerNode(defaultNodeOptions(id), new SeededRng(id.charCodeAt(1)), 0);
}

/** Every record of `from` merged into `to`, in an order the Rng picks. */
function sync(from: NameServerNode, to: NameServerNode, rng: SeededRng, nowMs: number): void {
  const records = from.snapshot();
  for (let index = records.length - 1; index > 0; index--) {
    const other = rng.nextU32() % (index + 1);
    [records[index], records[other]] = [records[other] as (typeof records)[number], records[index] as (typeof records)[number]];
  }
  for (const record of records) to.mergeRemote(record, nowMs, from.nodeId);
  to.takeEffects();
}

describe("registration model", () => {
  it("registration: one node answers as the reference RouteInfoManager after every operation", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 4, arbitrary: brokerOp }, { weight: 1, arbitrary: adminOp }), { maxLength: 40 }), (ops) => {
        const reference = new ReferenceNamesrv();
        const node = newNode("n1");
        const brokers = new BrokerState();
        ops.forEach((op, index) => {
          runOp(op, brokers, brokers.registrations(op), reference, node, 10 + index);
          expect(routesOf(node), `after op ${index} ${JSON.stringify(op)}`).toEqual(reference.routes());
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("registration: three nodes given the same broker operations in any interleaving, with random syncs, agree with the reference", () => {
    fc.assert(
      fc.property(fc.array(brokerOp, { maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 31 }), (ops, seed) => {
        const rng = new SeededRng(seed);
        const brokers = new BrokerState();
        const reference = new ReferenceNamesrv();
        // Each operation's registrations are built once, as the broker sends the same bytes to every node.
        const sent = ops.map((op) => ({ op, registrations: brokers.registrations(op) }));
        const replay = new BrokerState();
        for (const { op, registrations } of sent) runOp(op, replay, registrations, reference, newNode("nx"), 0);
        const nodes = ["n1", "n2", "n3"].map(newNode);
        const cursors = [0, 0, 0];
        let nowMs = 10;
        while (cursors.some((cursor) => cursor < sent.length)) {
          nowMs += 1;
          const pick = rng.nextU32() % 4;
          if (pick === 3) {
            const from = nodes[rng.nextU32() % 3] as NameServerNode;
            const to = nodes[rng.nextU32() % 3] as NameServerNode;
            if (from !== to) sync(from, to, rng, nowMs);
            continue;
          }
          const cursor = cursors[pick] as number;
          const step = sent[cursor];
          if (!step) continue;
          runOp(step.op, new BrokerState(), step.registrations, null, nodes[pick] as NameServerNode, nowMs);
          (nodes[pick] as NameServerNode).takeEffects();
          cursors[pick] = cursor + 1;
        }
        for (let round = 0; round < 2; round++) {
          for (const from of nodes) for (const to of nodes) if (from !== to) sync(from, to, rng, (nowMs += 1));
        }
        const expected = reference.routes();
        for (const node of nodes) expect(routesOf(node), node.nodeId).toEqual(expected);
        expect(nodes[1]?.digest()).toEqual(nodes[0]?.digest());
        expect(nodes[2]?.digest()).toEqual(nodes[0]?.digest());
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

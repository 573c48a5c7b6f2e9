// Goal: namesrv_state_digest is comparable across nodes: equal on nodes holding the same records,
// different once one of them holds another record, and its fold is FNV-1a as documented. Method:
// two NameServerNodes with their ServerMetrics, records copied from one to the other by
// mergeRemote; the fold checked against a byte-by-byte reference in BigInt arithmetic.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { localConfig } from "../config/config.js";
import type { BrokerRegistration } from "../model/types.js";
import { ServerMetrics, stateDigestFold } from "./metrics.js";
import { nodeOptionsOf } from "./server.js";

const REGISTRATION: BrokerRegistration = {
  clusterName: "c1",
  brokerAddr: "10.0.0.1:10911",
  brokerName: "broker-a",
  brokerId: 0,
  haServerAddr: "",
  zoneName: null,
  enableActingMaster: false,
  heartbeatTimeoutMs: null,
  dataVersion: { timestamp: 1, counter: 1, stateVersion: 0 },
  topics: [{ topicName: "orders", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false }],
};

function nodeWithMetrics(id: string): { node: NameServerNode; metrics: ServerMetrics } {
  const node = new NameServerNode(nodeOptionsOf(localConfig({ id })), new SeededRng(1), 0);
  const metrics = new ServerMetrics({ node, connectionsByRole: () => ({ pending: 0, client: 0, broker: 0, peer: 0 }) });
  return { node, metrics };
}

/** The gauge's value as the scrape shows it. */
async function scrapedDigest(metrics: ServerMetrics): Promise<number> {
  const line = (await metrics.text()).split("\n").find((text) => text.startsWith("namesrv_state_digest "));
  expect(line).toBeDefined();
  return Number(line?.split(" ")[1]);
}

/** FNV-1a, 32 bits, written the slow way: BigInt products over little-endian bytes. */
function referenceFold(buckets: readonly (readonly [number, number])[]): number {
  const bytes: number[] = [];
  for (const [low, high] of buckets) {
    for (const word of [low, high]) for (let index = 0; index < 4; index++) bytes.push(Math.floor(word / 256 ** index) % 256);
  }
  let hash = 0x811c9dc5n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x01000193n) % 2n ** 32n;
  return Number(hash);
}

describe("metrics", () => {
  it("metrics: namesrv_state_digest is equal on nodes with the same records and differs otherwise", async () => {
    const a = nodeWithMetrics("n1");
    const b = nodeWithMetrics("n2");
    expect(await scrapedDigest(a.metrics)).toBe(await scrapedDigest(b.metrics));
    a.node.registerBroker(1, "native", REGISTRATION, null, 0);
    a.node.kvPut("NS", "k", "v", 0);
    expect(await scrapedDigest(a.metrics)).not.toBe(await scrapedDigest(b.metrics));
    for (const record of a.node.snapshot()) b.node.mergeRemote(record, 0, "n1");
    expect(b.node.digest()).toEqual(a.node.digest());
    expect(await scrapedDigest(b.metrics)).toBe(await scrapedDigest(a.metrics));
    expect(await scrapedDigest(a.metrics)).toBe(stateDigestFold(a.node.digest()));
  });

  it("metrics: stateDigestFold is FNV-1a over the bucket words and fits 32 bits", () => {
    expect(stateDigestFold([])).toBe(0x811c9dc5);
    const samples: [number, number][][] = [
      [[0, 0]],
      [[0xffffffff, 0x00000001]],
      Array.from({ length: 256 }, (_, bucket) => [(bucket * 0x9e3779b1) >>> 0, (bucket * 0x85ebca6b) >>> 0] as [number, number]),
    ];
    for (const sample of samples) {
      const fold = stateDigestFold(sample);
      expect(fold).toBe(referenceFold(sample));
      expect(Number.isInteger(fold) && fold >= 0 && fold < 2 ** 32).toBe(true);
    }
    const swapped: [number, number][] = [[1, 0], [0, 0]];
    expect(stateDigestFold(swapped)).not.toBe(stateDigestFold([[0, 0], [1, 0]]));
  });
});

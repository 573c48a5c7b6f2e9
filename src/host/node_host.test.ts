// Goal: NodeHost.writeKv, the one way in for KV writes of every port, applies the change at once,
// answers once the KV file says it is durable (at once without one), passes a refusal of the disk
// through, and refuses, changing nothing, past KV_WRITES_WAITING_MAX writes waiting.
// Method: a real NameServerNode behind a NodeHost whose kvDurable hook the test settles by hand.
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import { NameServerNode, defaultNodeOptions } from "../core/node.js";
import { KvNotDurableError, LimitExceededError } from "../errors.js";
import { createLogger } from "./logger.js";
import { KV_WRITES_WAITING_MAX, NodeHost, type NodeHostHooks } from "./node_host.js";

const logger = createLogger("fatal", "n1");

function hostWith(hooks: NodeHostHooks): NodeHost {
  const node = new NameServerNode(defaultNodeOptions("n1"), new SeededRng(1), 1_000);
  return new NodeHost(node, { nowMs: () => 1_000 }, logger, hooks);
}

/** "pending", "resolved" or the error, once callbacks of settled promises ran. */
async function outcome(promise: Promise<void>): Promise<"pending" | "resolved" | Error> {
  let result: "pending" | "resolved" | Error = "pending";
  promise.then(
    () => (result = "resolved"),
    (error: Error) => (result = error),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return result;
}

describe("node_host", () => {
  it("node_host: writeKv applies at once and answers once durable; without a KV file at once", async () => {
    let durable = (): void => undefined;
    const host = hostWith({ kvDurable: () => new Promise<void>((resolve) => (durable = resolve)) });
    const put = host.writeKv((nowMs) => host.node.kvPut("ns", "k", "v", nowMs));
    expect(host.node.kvGet("ns", "k")).toBe("v");
    expect(await outcome(put)).toBe("pending");
    durable();
    expect(await outcome(put)).toBe("resolved");

    const memoryOnly = hostWith({});
    expect(await outcome(memoryOnly.writeKv((nowMs) => memoryOnly.node.kvPut("ns", "k", "v", nowMs)))).toBe("resolved");
  });

  it("node_host: a write the disk refused rejects with KV_NOT_DURABLE and stays applied", async () => {
    const host = hostWith({ kvDurable: () => Promise.reject(new KvNotDurableError("not durable")) });
    const result = await outcome(host.writeKv((nowMs) => host.node.kvPut("ns", "k", "v", nowMs)));
    expect(result).toBeInstanceOf(KvNotDurableError);
    expect(host.node.kvGet("ns", "k")).toBe("v");
  });

  it("node_host: past KV_WRITES_WAITING_MAX waiting writes, a write is refused before it changes anything", async () => {
    const release: Array<() => void> = [];
    const host = hostWith({ kvDurable: () => new Promise<void>((resolve) => void release.push(resolve)) });
    const waiting = Array.from({ length: KV_WRITES_WAITING_MAX }, () => host.writeKv((nowMs) => host.node.kvPut("ns", "k", "v", nowMs)));
    const refused = await outcome(host.writeKv((nowMs) => host.node.kvPut("ns", "over", "x", nowMs)));
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect((refused as LimitExceededError).limit).toBe("KV_WRITES_WAITING_MAX");
    expect(() => host.node.kvGet("ns", "over")).toThrow(/no kv entry 'over'/);
    (release.shift() as () => void)();
    await outcome(waiting[0] as Promise<void>);
    const next = host.writeKv((nowMs) => host.node.kvPut("ns", "over", "x", nowMs));
    expect(host.node.kvGet("ns", "over")).toBe("x");
    for (const resolve of release.splice(0)) resolve();
    expect(await outcome(Promise.all([...waiting, next]).then(() => undefined))).toBe("resolved");
  });
});

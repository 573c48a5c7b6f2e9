// Goal: DnsWatch reports the addresses a name gains and loses, keeps them through failed
// lookups (logged once per streak, every failure counted), and never runs two lookups at once.
// Method: a scripted fake resolver and the client's FakeScheduler (simulated time); no DNS.
import { describe, expect, it } from "vitest";
import { FakeScheduler } from "../client/fake_transport.js";
import { DnsWatch, type DnsChange } from "./dns.js";
import { FakeResolver } from "./fake_resolver.js";

const INTERVAL_MS = 5_000;

function setup(target = "namesrv:9877", addressesMax = 64) {
  const scheduler = new FakeScheduler();
  const resolver = new FakeResolver();
  const changes: DnsChange[] = [];
  const logs: { level: string; msg: string }[] = [];
  const failures: string[] = [];
  const logger = {
    info: (_fields: Record<string, unknown>, msg: string) => logs.push({ level: "info", msg }),
    warn: (_fields: Record<string, unknown>, msg: string) => logs.push({ level: "warn", msg }),
  };
  const watch = new DnsWatch({
    target,
    resolver,
    scheduler,
    intervalMs: INTERVAL_MS,
    addressesMax,
    logger,
    onChange: (change) => changes.push(change),
    onLookupFailed: (error) => failures.push(error.message),
  });
  return { scheduler, resolver, changes, logs, failures, watch };
}

describe("dns", () => {
  it("dns: resolves at start and every interval; reports addresses that appear and vanish", async () => {
    const { scheduler, resolver, changes, watch } = setup();
    resolver.answer = ["10.0.0.2", "10.0.0.1"];
    watch.start();
    await scheduler.advanceMs(0);
    expect(resolver.lookups).toEqual(["namesrv"]);
    expect(changes).toEqual([{ added: ["10.0.0.1:9877", "10.0.0.2:9877"], removed: [], current: ["10.0.0.1:9877", "10.0.0.2:9877"] }]);
    resolver.answer = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(resolver.lookups).toHaveLength(2);
    expect(changes[1]).toEqual({ added: ["10.0.0.3:9877"], removed: [], current: ["10.0.0.1:9877", "10.0.0.2:9877", "10.0.0.3:9877"] });
    resolver.answer = ["10.0.0.3", "10.0.0.1"];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(changes[2]).toEqual({ added: [], removed: ["10.0.0.2:9877"], current: ["10.0.0.1:9877", "10.0.0.3:9877"] });
    // An unchanged answer reports nothing.
    await scheduler.advanceMs(INTERVAL_MS);
    expect(resolver.lookups).toHaveLength(4);
    expect(changes).toHaveLength(3);
    watch.stop();
    await scheduler.advanceMs(10 * INTERVAL_MS);
    expect(resolver.lookups).toHaveLength(4);
  });

  it("dns: a failed lookup keeps the addresses known, logs once per streak and counts every failure", async () => {
    const { scheduler, resolver, changes, logs, failures, watch } = setup();
    resolver.answer = ["10.0.0.1", "10.0.0.2"];
    watch.start();
    await scheduler.advanceMs(0);
    resolver.answer = null;
    await scheduler.advanceMs(3 * INTERVAL_MS);
    expect(failures).toHaveLength(3);
    expect(failures[0]).toContain("ENOTFOUND namesrv");
    expect(watch.failureStreak).toBe(3);
    expect(watch.addresses).toEqual(["10.0.0.1:9877", "10.0.0.2:9877"]);
    expect(changes).toHaveLength(1);
    expect(logs.filter((l) => l.msg.startsWith("dns lookup failed"))).toHaveLength(1);
    // Back, with one address fewer: that one is reported removed, and the recovery logged.
    resolver.answer = ["10.0.0.1"];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(changes[1]).toEqual({ added: [], removed: ["10.0.0.2:9877"], current: ["10.0.0.1:9877"] });
    expect(logs.filter((l) => l.msg === "dns name resolves again")).toHaveLength(1);
    expect(watch.failureStreak).toBe(0);
    // A second streak is logged again.
    resolver.answer = null;
    await scheduler.advanceMs(2 * INTERVAL_MS);
    expect(logs.filter((l) => l.msg.startsWith("dns lookup failed"))).toHaveLength(2);
    expect(failures).toHaveLength(5);
  });

  it("dns: an answer without addresses counts as a failed lookup", async () => {
    const { scheduler, resolver, changes, failures, watch } = setup();
    resolver.answer = ["10.0.0.1"];
    watch.start();
    await scheduler.advanceMs(0);
    resolver.answer = [];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(failures).toEqual(["the answer holds no address"]);
    expect(watch.addresses).toEqual(["10.0.0.1:9877"]);
    expect(changes).toHaveLength(1);
  });

  it("dns: IPv6 addresses are bracketed; an answer is cut at addressesMax (lowest first, logged once)", async () => {
    const { scheduler, resolver, changes, logs, watch } = setup("namesrv:9877", 2);
    resolver.answer = ["fd00::2", "10.0.0.9", "10.0.0.1", "10.0.0.1"];
    watch.start();
    await scheduler.advanceMs(0);
    expect(changes[0]?.current).toEqual(["10.0.0.1:9877", "10.0.0.9:9877"]);
    resolver.answer = ["fd00::2"];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(changes[1]?.current).toEqual(["[fd00::2]:9877"]);
    resolver.answer = ["fd00::2", "10.0.0.9", "10.0.0.1"];
    await scheduler.advanceMs(INTERVAL_MS);
    expect(logs.filter((l) => l.msg.startsWith("dns answer has more addresses"))).toHaveLength(1);
  });

  it("dns: an IP literal is its own address, never looked up nor re-resolved", async () => {
    const { scheduler, resolver, changes, watch } = setup("[fd00::7]:9877");
    watch.start();
    await scheduler.advanceMs(3 * INTERVAL_MS);
    expect(resolver.lookups).toEqual([]);
    expect(changes).toEqual([{ added: ["[fd00::7]:9877"], removed: [], current: ["[fd00::7]:9877"] }]);
    expect(scheduler.pendingCount).toBe(0);
  });

  it("dns: a slow lookup is never overlapped; the next starts an interval after it settles", async () => {
    const { scheduler, resolver, changes, watch } = setup();
    resolver.answer = ["10.0.0.1"];
    resolver.held = [];
    watch.start();
    await scheduler.advanceMs(4 * INTERVAL_MS);
    expect(resolver.lookups).toHaveLength(1);
    const release = resolver.held.shift();
    resolver.held = null;
    release?.();
    await scheduler.advanceMs(0);
    expect(changes).toHaveLength(1);
    await scheduler.advanceMs(INTERVAL_MS - 1);
    expect(resolver.lookups).toHaveLength(1);
    await scheduler.advanceMs(1);
    expect(resolver.lookups).toHaveLength(2);
  });
});

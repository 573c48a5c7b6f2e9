// Goal: the client subcommands' flag parsing and output formatting, and their exit codes for
// bad input. Method: pure parsers called directly; commands run in-process with captured
// stdout/stderr/exit and no name server (only paths that fail before any connection).
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { SeededRng } from "../core/clock.js";
import type { TopicRouteData } from "../model/types.js";
import { ConfigError, InvalidArgumentError, NotFoundError, TimeoutError } from "../errors.js";
import { NameServersUnavailableError } from "../client/client_errors.js";
import { ClientExit, exitCodeOf, formatClusterInfo, formatRoute, parseBrokerFlags, registerClientCommands } from "./client_commands.js";
import { parseCredentialFlags, parseIntFlag, parseLogLevel, parseNamesrvFlag, parseTopicFlag, parseTopicFlags } from "./client_flags.js";

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a throw");
}

async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out = { code: null as number | null, stdout: "", stderr: "" };
  const program = new Command("namesrv").exitOverride();
  program.configureOutput({ writeOut: (s) => (out.stdout += s), writeErr: (s) => (out.stderr += s) });
  registerClientCommands(program, {
    stdout: (s) => (out.stdout += s),
    stderr: (s) => (out.stderr += s),
    exit: (code) => (out.code = code),
    clock: { nowMs: () => 0 },
    makeRng: () => new SeededRng(1),
    env,
  });
  await program.parseAsync(["node", "namesrv", ...args]);
  return out;
}

describe("client_commands", () => {
  it("client_commands: --topic TopicA:8 is 8 read, 8 write queues, perm 6", () => {
    expect(parseTopicFlag("TopicA:8")).toMatchObject({ topicName: "TopicA", readQueueNums: 8, writeQueueNums: 8, perm: 6 });
  });

  it("client_commands: --topic TopicB:4:4 is 4/4 with perm 4; a bare name is 8/8/6", () => {
    expect(parseTopicFlag("TopicB:4:4")).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, perm: 4 });
    expect(parseTopicFlag("TopicC")).toMatchObject({ readQueueNums: 8, writeQueueNums: 8, perm: 6, topicSysFlag: 0, order: false });
  });

  it("client_commands: bad --topic forms name the flag and quote the value", () => {
    for (const bad of ["", "a b", "T:0", "T:1025", "T:x", "T:8:8", "T:8:-1", "T:8:6:1", "T::6", "T:08.5"]) {
      const message = messageOf(() => parseTopicFlag(bad));
      expect(message).toContain("'--topic'");
      expect(message).toContain(`'${bad}'`);
    }
    expect(messageOf(() => parseTopicFlags(["A:8", "A:4"]))).toMatch(/each topic once.*'A:4'/);
  });

  it("client_commands: --namesrv accepts , and ; and rejects bad entries naming the flag; without it NAMESRV_ADDR, else 127.0.0.1:9877", () => {
    expect(parseNamesrvFlag("a:1,b:2;c:3")).toEqual(["a:1", "b:2", "c:3"]);
    expect(parseNamesrvFlag(" a:1 ; ")).toEqual(["a:1"]);
    expect(messageOf(() => parseNamesrvFlag("a:1,b"))).toBe(
      "'--namesrv' must be HOST:PORT[,HOST:PORT...] with ports in 1..65535, got 'a:1,b'",
    );
    expect(messageOf(() => parseNamesrvFlag("a:70000"))).toContain("'--namesrv'");
    expect(parseNamesrvFlag(undefined)).toEqual(["127.0.0.1:9877"]);
    expect(parseNamesrvFlag(undefined, { NAMESRV_ADDR: "h1:9877;h2:9877" })).toEqual(["h1:9877", "h2:9877"]);
    expect(parseNamesrvFlag("h3:1", { NAMESRV_ADDR: "h1:9877" })).toEqual(["h3:1"]);
    expect(messageOf(() => parseNamesrvFlag(undefined, { NAMESRV_ADDR: "nohost" }))).toContain("'NAMESRV_ADDR'");
  });

  it("client_commands: --dns-lookup reaches the agent and route client options; absent, nothing is resolved", () => {
    const sources = { env: {}, readFile: () => "" };
    expect(parseCredentialFlags({ dnsLookup: true }, sources)).toEqual({ dnsLookup: true });
    expect(parseCredentialFlags({}, sources)).toEqual({});
  });

  it("client_commands: integer and log-level flags", () => {
    expect(parseIntFlag("--heartbeat-ms", "250", 1, 1000)).toBe(250);
    expect(messageOf(() => parseIntFlag("--heartbeat-ms", "1e3", 1, 1000))).toBe("'--heartbeat-ms' must be an integer in 1..1000, got '1e3'");
    expect(parseLogLevel("debug")).toBe("debug");
    expect(messageOf(() => parseLogLevel("loud"))).toContain("'--log-level'");
  });

  it("client_commands: broker flags report every problem at once", () => {
    let caught: unknown;
    try {
      parseBrokerFlags({ namesrv: "x", cluster: "c 1", brokerId: "-1", addr: "h", topic: ["A:0"], heartbeatMs: "soon", logLevel: "loud" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const text = (caught as ConfigError).problems.join("\n");
    for (const flag of ["--namesrv", "--cluster", "--broker-name", "--broker-id", "--addr", "--topic", "--heartbeat-ms", "--log-level"]) {
      expect(text).toContain(`'${flag}'`);
    }
    const ok = parseBrokerFlags({ namesrv: "h:1", cluster: "c", brokerName: "b", brokerId: "0", addr: "h:2", topic: ["A:8", "B:4:4"], heartbeatMs: "100" });
    expect(ok).toMatchObject({ nameServers: ["h:1"], brokerId: 0, heartbeatMs: 100, logLevel: "info" });
    expect(ok.topics.map((t) => [t.topicName, t.readQueueNums, t.perm])).toEqual([["A", 8, 6], ["B", 4, 4]]);
  });

  it("client_commands: exit codes: not found 1, bad input 2, unreachable 3", () => {
    expect(exitCodeOf(new NotFoundError("x"))).toBe(ClientExit.FAILURE);
    expect(exitCodeOf(new InvalidArgumentError("x"))).toBe(ClientExit.USAGE);
    expect(exitCodeOf(new ConfigError(["x"]))).toBe(ClientExit.USAGE);
    expect(exitCodeOf(new NameServersUnavailableError([{ addr: "a:1", error: new TimeoutError("t") }]))).toBe(ClientExit.UNAVAILABLE);
  });

  it("client_commands: route with a bad --namesrv or topic exits 2 before dialing", async () => {
    const bad = await runCli(["route", "TopicA", "--namesrv", "nohost"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--namesrv'");
    expect(bad.stdout).toBe("");
    const badTopic = await runCli(["route", "a b", "--namesrv", "127.0.0.1:1"]);
    expect(badTopic.code).toBe(2);
    expect(badTopic.stderr).toContain("'TOPIC'");
    const fromEnv = await runCli(["kv", "get", "ns", "k"], { NAMESRV_ADDR: "nohost" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain("'NAMESRV_ADDR'");
  });

  it("client_commands: broker with bad flags exits 2 naming each flag", async () => {
    const result = await runCli(["broker", "--namesrv", "h:1", "--cluster", "c", "--broker-name", "b", "--broker-id", "x", "--addr", "h:2", "--topic", "T:9:9"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'--broker-id'");
    expect(result.stderr).toContain("'T:9:9'");
  });

  it("client_commands: formats a route and cluster info as tables", () => {
    const route: TopicRouteData = {
      queueDatas: [{ brokerName: "broker-a", readQueueNums: 8, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }],
      brokerDatas: [{ cluster: "c1", brokerName: "broker-a", brokerAddrs: { "1": "h:2", "0": "h:1" }, enableActingMaster: false }],
      filterServerTable: {},
    };
    const text = formatRoute("TopicA", route);
    expect(text).toContain("topic: TopicA");
    expect(text).toMatch(/broker-a\s+8\s+4\s+RW \(6\)/);
    expect(text.indexOf("h:1")).toBeLessThan(text.indexOf("h:2"));
    const info = formatClusterInfo({
      brokerAddrTable: { "broker-a": route.brokerDatas[0] as TopicRouteData["brokerDatas"][number] },
      clusterAddrTable: { c1: ["broker-a"] },
    });
    expect(info.split("\n")[1]).toMatch(/^c1\s+broker-a\s+0\s+h:1$/);
  });
});

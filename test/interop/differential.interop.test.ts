// Goal: every remoting answer of our node equals the Java NameServer's for the same requests,
// except for the intended differences of the allow-list (test/interop/diff/allow_list.ts).
// Method: a seeded generator (test/interop/diff/generator.ts) builds sequences of >= 200
// requests (brokers registering in full, incrementally and in chunks, unregistering, heart-
// beating; admin and KV writes; every query code; clients below and above version 401). Each
// request goes to a Java NameServer (RocketMQ from Maven Central) and to one node of ours, both
// started once for the suite; every answer is normalised and compared. After an
// UNREGISTER_BROKER both are polled until they have applied it (Java batches it). Seeds use
// their own cluster, broker and KV names. A second test proves the check can fail; two more,
// without servers, that the allow-list entries for failover and refused registrations absorb
// only their documented cases.
// Env: DIFF_SEEDS=N runs seeds 1..N (at least 20); DIFF_SEED=S runs seed S alone;
// DIFF_PRINT_PER_SEED=N prints N differences per seed in full (default 3);
// DIFF_NAMESRV_CLI=<file> runs that build of the CLI instead of dist/cli/main.js.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH } from "../integration/helpers/cli.js";
import { freePort } from "../integration/helpers/ports.js";
import { parseJsonLines } from "../integration/helpers/logs.js";
import { waitFor, withDeadline } from "../integration/helpers/wait.js";
import * as rm from "../../src/protocol/remoting/index.js";
import { ALLOW_LIST } from "./diff/allow_list.js";
import { type Answer, compareAnswers } from "./diff/compare.js";
import { generateSequence, preludeSteps, REQUESTS_PER_SEQUENCE_MIN, type DiffSequence, type DiffStep } from "./diff/generator.js";
import { formatDifference, runSequence, type SequenceReport, type StepDifference } from "./diff/runner.js";
import { LiveSource, MirrorSource, TeeSource, TopicsReplacedSource } from "./diff/sources.js";
import { javaAvailable, killAll, startJavaNamesrv, type JavaProcess } from "./harness/java.js";

/** Seeds every run covers. */
const FIXED_SEEDS = 20;
/** Seed of the "can the check fail" test (outside the fixed range, so its names are fresh). */
const WRONG_SOURCE_SEED = 100_003;
/** Differences printed in full per seed (all are counted); env DIFF_PRINT_PER_SEED overrides. */
const PRINTED_PER_SEED = Number(process.env["DIFF_PRINT_PER_SEED"] ?? 3) || 3;
/** Deadline for our node to log "listening". */
const NODE_START_DEADLINE_MS = 20_000;

function seedsToRun(): number[] {
  const single = process.env["DIFF_SEED"];
  if (single !== undefined && single !== "") return [Number(single)];
  const count = Math.max(FIXED_SEEDS, Number(process.env["DIFF_SEEDS"] ?? FIXED_SEEDS) || FIXED_SEEDS);
  return Array.from({ length: count }, (_, i) => i + 1);
}

/** Our node as a child process: `node <cli> start` on free ports, tracked by pid. */
interface OurNode {
  readonly pid: number;
  readonly remotingPort: number;
  stop(): Promise<void>;
}

async function startOurNode(): Promise<OurNode> {
  const cli = process.env["DIFF_NAMESRV_CLI"] || CLI_PATH;
  const child = spawn(process.execPath, [cli, "start", "--id", "diff1", "--host", "127.0.0.1", "--port", "0", "--remoting-port", "0", "--log-level", "info"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${cli}`);
  const pid = child.pid;
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out = (out + chunk).slice(-1_000_000)));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err = (err + chunk).slice(-100_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    try {
      await withDeadline(`our node (pid ${pid}) to exit`, exited);
    } catch (error) {
      child.kill("SIGKILL");
      await exited;
      throw error;
    }
  };
  try {
    const listening = await waitFor(
      `our node to log listening (stderr: ${err.slice(0, 300)})`,
      () => parseJsonLines(out).find((line) => line.msg === "listening"),
      NODE_START_DEADLINE_MS,
    );
    return { pid, remotingPort: listening["remotingPort"] as number, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Per seed and in total: requests, answers compared, differences, time; then how many answers
 *  each allow-list entry absorbed (every entry, so an unused one shows as 0). */
function summarise(reports: readonly SequenceReport[]): string {
  const lines = reports.map(
    (r) =>
      `seed ${r.seed}: ${r.requests} requests, ${r.answersCompared} answers compared, ${r.differences.length} differences, ${Math.round(r.elapsedMs)} ms (${Math.round(r.settleMs)} ms waiting for unregisters)`,
  );
  const sum = (f: (r: SequenceReport) => number): number => reports.reduce((total, r) => total + f(r), 0);
  const compared = sum((r) => r.answersCompared);
  lines.push(
    `total: ${reports.length} seeds, ${sum((r) => r.requests)} requests, ${compared} answers compared, ${sum((r) => r.differences.length)} differences, ${(sum((r) => r.elapsedMs) / 1000).toFixed(1)} s`,
  );
  const allowed = new Map<string, number>();
  for (const r of reports) for (const [id, n] of r.allowed) allowed.set(id, (allowed.get(id) ?? 0) + n);
  lines.push(`answers absorbed per allow-list entry (of ${compared} compared):`);
  for (const entry of ALLOW_LIST) lines.push(`  ${entry.id}: ${allowed.get(entry.id) ?? 0}`);
  return lines.join("\n");
}

/** Differences grouped by request code and first differing field, for a one-glance summary. */
function classify(differences: readonly StepDifference[]): string {
  const groups = new Map<string, number>();
  for (const d of differences) {
    const key = `code ${d.step.request.code} (${d.step.tags.join(",") || "-"}) at ${d.fields[0]?.path ?? "?"}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups].sort((a, b) => b[1] - a[1]).map(([key, n]) => `  ${n} x ${key}`).join("\n");
}

const java17 = javaAvailable();

describe.skipIf(!java17)("differential test against the Java NameServer", () => {
  let javaNamesrv: JavaProcess | undefined;
  let ours: OurNode | undefined;
  let javaSource: LiveSource;
  let oursSource: LiveSource;

  beforeAll(async () => {
    const javaPort = await freePort();
    [javaNamesrv, ours] = await Promise.all([startJavaNamesrv({ port: javaPort }), startOurNode()]);
    console.log(`differential: Java NameServer pid ${javaNamesrv.pid} on ${javaPort}, our node pid ${ours.pid} on ${ours.remotingPort}`);
    javaSource = new LiveSource("java", javaPort, true);
    oursSource = new LiveSource("ours", ours.remotingPort, false);
    const prelude: DiffSequence = { seed: 0, steps: preludeSteps(), features: { compressedOldBroker: false, malformedTopics: false }, actors: ["prelude"] };
    const report = await runSequence(prelude, javaSource, oursSource, ALLOW_LIST);
    expect(report.differences.map((d) => formatDifference(d, "java", "ours"))).toEqual([]);
  });

  afterAll(async () => {
    await Promise.allSettled([javaSource?.close(), oursSource?.close()]);
    await Promise.allSettled([ours?.stop(), javaNamesrv?.stop()]);
    await killAll();
  });

  it("differential: seeded request sequences get the Java NameServer's answers, up to the allow-list", async () => {
    const seeds = seedsToRun();
    const reports: SequenceReport[] = [];
    for (const seed of seeds) {
      const sequence = generateSequence(seed);
      expect(sequence.steps.length).toBeGreaterThanOrEqual(REQUESTS_PER_SEQUENCE_MIN);
      reports.push(await runSequence(sequence, javaSource, oursSource, ALLOW_LIST));
    }
    console.log(summarise(reports));
    const differences = reports.flatMap((r) => r.differences);
    if (differences.length > 0) {
      const printed = reports.flatMap((r) => r.differences.slice(0, PRINTED_PER_SEED)).map((d) => formatDifference(d, "java", "ours"));
      console.log(`differences by code and field:\n${classify(differences)}\n\n${printed.join("\n\n")}`);
    }
    expect(differences.length, `${differences.length} differences from the Java NameServer (printed above)`).toBe(0);
  });

  it("differential: the check reports a difference against a server that replaces a broker's topics per registration", async () => {
    const tee = new TeeSource(javaSource);
    const wrong = new TopicsReplacedSource(new MirrorSource(tee));
    const report = await runSequence(generateSequence(WRONG_SOURCE_SEED), tee, wrong, ALLOW_LIST);
    const routeDifferences = report.differences.filter((d) => d.step.request.code === 105);
    console.log(`wrong source: ${report.differences.length} differences, first:\n${report.differences.slice(0, 1).map((d) => formatDifference(d, "java", "wrong")).join("\n")}`);
    expect(routeDifferences.length).toBeGreaterThan(0);
    expect(report.differences.length).toBe(routeDifferences.length);
  });

  it("differential: the generator is deterministic per seed and mixes every request kind", () => {
    const a = generateSequence(7);
    const b = generateSequence(7);
    expect(b.steps.map((s) => [s.actor, s.label, s.request.body?.toString("hex") ?? ""])).toEqual(a.steps.map((s) => [s.actor, s.label, s.request.body?.toString("hex") ?? ""]));
    const fixed = Array.from({ length: FIXED_SEEDS }, (_, i) => i + 1);
    const codes = new Set(fixed.flatMap((seed) => generateSequence(seed).steps.map((s) => s.request.code)));
    for (const code of [100, 101, 102, 103, 104, 105, 106, 205, 206, 216, 217, 219, 224, 304, 311, 312, 313, 319, 322, 327, 901, 904]) {
      expect(codes.has(code), `code ${code} generated`).toBe(true);
    }
  });
});

/** A query step and JSON answers, for checking allow-list entries without servers. */
function queryStep(code: number, extFields: Record<string, string> = {}): DiffStep {
  return {
    index: 0,
    actor: "client",
    label: `code ${code}`,
    request: { code, extFields, version: rm.MQVersion.V5_3_3, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.JSON, oneway: false },
    tags: [],
  };
}

function jsonAnswer(body: unknown): Answer {
  return { code: rm.ResponseCode.SUCCESS, extFields: {}, body: Buffer.from(JSON.stringify(body), "utf8") };
}

describe("differential allow-list", () => {
  const route = (brokerAddrs: Record<string, string>, queue: Record<string, number>): Answer =>
    jsonAnswer({
      brokerDatas: [{ brokerAddrs, brokerName: "b", cluster: "c", enableActingMaster: false }],
      filterServerTable: {},
      queueDatas: [{ brokerName: "b", perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4, ...queue }],
    });
  const slaveOnly = { "1": "10.0.0.2:10911" };
  const withMaster = { "0": "10.0.0.1:10911", "1": "10.0.0.2:10911" };
  const compareRoute = (java: Answer, ours: Answer): ReturnType<typeof compareAnswers> =>
    compareAnswers(queryStep(rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: "t" }), java, ours, ALLOW_LIST);

  it("differential allow-list: failover-routes-from-slave absorbs only the write bit of a master-less broker name's perm", () => {
    const absorbed = compareRoute(route(slaveOnly, { perm: 6 }), route(slaveOnly, { perm: 4 }));
    expect(absorbed.fields).toEqual([]);
    expect(absorbed.allowed).toContain("failover-routes-from-slave");
    expect(compareRoute(route(withMaster, { perm: 6 }), route(withMaster, { perm: 4 })).fields).not.toEqual([]);
    expect(compareRoute(route(slaveOnly, { perm: 6 }), route(slaveOnly, { perm: 7 })).fields).not.toEqual([]);
    expect(compareRoute(route(slaveOnly, { perm: 6 }), route(slaveOnly, { perm: 4, readQueueNums: 8 })).fields).not.toEqual([]);
  });

  it("differential allow-list: refused-registration-empty-broker drops only Java's address-less BrokerData", () => {
    const cluster = (names: Record<string, Record<string, string>>, clusters: Record<string, string[]>): Answer =>
      jsonAnswer({
        brokerAddrTable: Object.fromEntries(Object.entries(names).map(([name, brokerAddrs]) => [name, { brokerAddrs, brokerName: name, cluster: "c", enableActingMaster: false }])),
        clusterAddrTable: clusters,
      });
    const step = queryStep(rm.RequestCode.GET_BROKER_CLUSTER_INFO);
    const ours = cluster({ a: withMaster }, { c: ["a"] });
    const absorbed = compareAnswers(step, cluster({ a: withMaster, x: {} }, { c: ["a", "x"] }), ours, ALLOW_LIST);
    expect(absorbed.fields).toEqual([]);
    expect(absorbed.allowed).toEqual(["refused-registration-empty-broker"]);
    expect(compareAnswers(step, cluster({ a: withMaster, x: {} }, { c: ["a", "x"], d: ["x"] }), ours, ALLOW_LIST).fields).toEqual([]);
    expect(compareAnswers(step, cluster({ a: withMaster, x: slaveOnly }, { c: ["a", "x"] }), ours, ALLOW_LIST).fields).not.toEqual([]);
    expect(compareAnswers(step, cluster({ a: withMaster }, { c: ["a"] }), cluster({ a: withMaster, x: {} }, { c: ["a", "x"] }), ALLOW_LIST).fields).not.toEqual([]);
  });
});

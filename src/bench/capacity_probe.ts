// A focused measurement of one capacity workload on one of our nodes, for profiling a change
// without the whole of figure 7: start a node (remoting on; under --cpu-prof with --profile),
// register the workload over remoting, then read RSS, time GET_ALL_TOPIC_LIST_FROM_NAMESERVER and
// run routes at 256 connections. Prints one JSON object.
//   node dist/bench/capacity_probe.js [smoke|20k|100k] [--profile] [--seconds=N]
import * as rm from "../protocol/remoting/index.js";
import type { BenchContext } from "./context.js";
import { NO_EXPIRY_MS } from "./fig6_java.js";
import { memoryOf, metricSum, openRegistrationConnections, runQueryLoad, startOurs, timeRequests } from "./sides.js";
import { RawRemoting } from "./remoting_client.js";
import { ProcessTracker, round3, summarize } from "./util.js";
import {
  CAPACITY_100K_WORKLOAD,
  CAPACITY_20K_WORKLOAD,
  REGISTRATION_CONNECTIONS,
  SMOKE_WORKLOAD,
  queryFrames,
  registerAll,
  workloadFrames,
} from "./workloads.js";

/** Connections of the route run, as figure 7's. */
const CONNECTIONS = 256;
/** Distinct topics asked, as figure 7's. */
const QUERY_TOPICS = 8_192;
const TOPIC_LIST_REPEATS = 5;
const MIB = 2 ** 20;

const argv = process.argv.slice(2);
const workload = { smoke: SMOKE_WORKLOAD, "20k": CAPACITY_20K_WORKLOAD, "100k": CAPACITY_100K_WORKLOAD }[argv.find((arg) => !arg.startsWith("--")) ?? "100k"];
if (workload === undefined) throw new Error(`workload must be smoke, 20k or 100k: ${argv.join(" ")}`);
const secondsArg = argv.find((arg) => arg.startsWith("--seconds="));
const seconds = secondsArg === undefined ? 5 : Number(secondsArg.slice("--seconds=".length));
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number: ${secondsArg}`);

const procs = new ProcessTracker();
const ctx: BenchContext = { procs, quick: true, serfBin: null, etcdBin: null, java: null, profile: argv.includes("--profile"), log: (line) => console.error(line) };
try {
  const server = await startOurs(ctx);
  const conns = await openRegistrationConnections(server.port, REGISTRATION_CONNECTIONS);
  const loaded = await server.phase("load", () => registerAll(conns, workloadFrames(workload, NO_EXPIRY_MS)));
  const afterLoad = memoryOf(server);
  const probe = await RawRemoting.open(server.port);
  const list = await server.phase("topic list", () => timeRequests(probe, rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {}, TOPIC_LIST_REPEATS));
  const topics = list.body ? rm.decodeTopicList(list.body).topicList.length : 0;
  probe.close();
  const skipped = server.httpPort === null ? null : await metricSum(server.httpPort, "namesrv_registration_topics_skipped_total");
  const frames = queryFrames(workload, QUERY_TOPICS, 29);
  const query = await server.phase("routes", () => runQueryLoad(server, frames, CONNECTIONS, seconds * 1000, 2_000));
  const end = memoryOf(server);
  for (const conn of conns) conn.close();
  const profile = await server.stop();
  console.log(
    JSON.stringify(
      {
        workload: workload.name,
        loadMs: loaded.ms,
        loadFailures: loaded.failures,
        skipped,
        rssAfterLoadMiB: round3(afterLoad.rssBytes / MIB),
        peakRssMiB: round3(end.peakRssBytes / MIB),
        topicList: { topics, bytes: list.bodyBytes, ms: summarize(list.samplesMs) },
        routes: { connections: CONNECTIONS, throughput: query.throughput, failures: query.failures, latencyMs: query.latencyMs, cpuSecondsPer100k: query.cpuSecondsPer100k },
        profile,
      },
      null,
      1,
    ),
  );
} finally {
  await procs.killAll();
}

// A focused measurement of a node restarted empty catching up from a peer, for profiling
// replication without the whole of figure 7: two nodes, the workload registered over remoting on
// node 1 only (node 2 gets it by gossip), node 2 killed and started again empty; times its
// readiness and the moment its counts equal node 1's. With --profile both node processes run
// under --cpu-prof (node 1 from the start, node 2 from its restart) and the summaries of the
// catch-up window are printed. With --heartbeats the brokers declare a 10 s expiry and heartbeat
// node 1 every second (as in figure 7), so the restarted node must keep them alive from its peer's
// evidence while it catches up; --nodes=3 restarts the third of three. Prints one JSON object.
//   node dist/bench/catchup_probe.js [smoke|20k|100k] [--profile] [--heartbeats] [--nodes=3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isReady, respawnNode, startCluster, stopGracefully, type NodeProc } from "./cluster.js";
import { NO_EXPIRY_MS } from "./fig6_java.js";
import { monotonicUs, summarizeProfile, type ProfileWindow } from "./profile.js";
import { openRegistrationConnections, tableCounts } from "./sides.js";
import { nowMs, ProcessTracker, round3, sleep, waitFor } from "./util.js";
import { CAPACITY_100K_WORKLOAD, CAPACITY_20K_WORKLOAD, REGISTRATION_CONNECTIONS, SMOKE_WORKLOAD, connectionOf, heartbeatFrame, registerAll, workloadFrames } from "./workloads.js";

/** How long the restarted node may take to be complete before the probe gives up. */
const CATCH_UP_TIMEOUT_MS = 180_000;
/** How long node 2 may take to hold node 1's counts after the load. */
const SETTLE_TIMEOUT_MS = 300_000;
const POLL_MS = 100;
const PROFILE_EXIT_TIMEOUT_MS = 30_000;
/** With --heartbeats: the brokers' declared expiry and heartbeat period, as figure 7's. */
const HEARTBEAT_EXPIRY_MS = 10_000;
const HEARTBEAT_MS = 1_000;

const argv = process.argv.slice(2);
const workload = { smoke: SMOKE_WORKLOAD, "20k": CAPACITY_20K_WORKLOAD, "100k": CAPACITY_100K_WORKLOAD }[argv.find((arg) => !arg.startsWith("--")) ?? "100k"];
if (workload === undefined) throw new Error(`workload must be smoke, 20k or 100k: ${argv.join(" ")}`);
const profile = argv.includes("--profile");
const heartbeats = argv.includes("--heartbeats");
const nodeCount = argv.includes("--nodes=3") ? 3 : 2;

async function counts(node: NodeProc): Promise<{ topics: number; brokers: number }> {
  const { topics, brokers } = await tableCounts(node);
  return { topics, brokers };
}

const procs = new ProcessTracker();
const profileDirs = profile ? [mkdtempSync(join(tmpdir(), "catchup-prof-")), mkdtempSync(join(tmpdir(), "catchup-prof-"))] : [];
const flags = (index: number): string[] => (profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDirs[index] as string}`] : []);
try {
  const nodes = await startCluster(procs, { count: nodeCount, remoting: true, nodeFlags: flags(0) });
  const first = nodes[0] as NodeProc;
  const second = nodes[nodeCount - 1] as NodeProc;
  const conns = await openRegistrationConnections(first.remotingPort ?? 0, REGISTRATION_CONNECTIONS);
  const beats = Array.from({ length: workload.brokers }, (_, index) => heartbeatFrame(index));
  const timer = heartbeats ? setInterval(() => beats.forEach((frame, index) => connectionOf(conns, index).oneway(frame)), HEARTBEAT_MS) : null;
  const t0 = nowMs();
  const loaded = await registerAll(conns, workloadFrames(workload, heartbeats ? HEARTBEAT_EXPIRY_MS : NO_EXPIRY_MS));
  const loadMs = round3(nowMs() - t0);
  const want = await counts(first);
  await waitFor("node 2 settled", SETTLE_TIMEOUT_MS, async () => {
    const now = await counts(second);
    return now.topics === want.topics && now.brokers === want.brokers;
  });
  const settledMs = round3(nowMs() - t0);
  await procs.kill(second.process);
  const restartAtUs = monotonicUs();
  const r0 = nowMs();
  const fresh = respawnNode(procs, second, nodes.slice(0, nodeCount - 1).map((node) => node.addr), { remoting: true, nodeFlags: flags(1), logLevel: "info" });
  let readyMs: number | null = null;
  let completeMs: number | null = null;
  let last = { topics: 0, brokers: 0 };
  try {
    await waitFor("restarted node complete", CATCH_UP_TIMEOUT_MS, async () => {
      if (fresh.process.exited) throw new Error("restarted node exited");
      if (readyMs === null && (await isReady(fresh))) readyMs = round3(nowMs() - r0);
      last = await counts(fresh);
      if (readyMs !== null && last.topics === want.topics && last.brokers === want.brokers) {
        completeMs = round3(nowMs() - r0);
        return true;
      }
      await sleep(POLL_MS);
      return false;
    });
  } catch (error) {
    console.error(`${(error as Error).message}: it had ${last.topics} topics and ${last.brokers} brokers, node 1 ${want.topics} and ${want.brokers}`);
  }
  const window: ProfileWindow = { name: "catch-up", fromUs: restartAtUs, toUs: monotonicUs() };
  if (timer) clearInterval(timer);
  const logged = new Map<string, number>();
  for (const event of fresh.events) logged.set(event.msg, (logged.get(event.msg) ?? 0) + 1);
  for (const conn of conns) conn.close();
  const profiles: unknown[] = [];
  if (profile) {
    await stopGracefully(procs, first, PROFILE_EXIT_TIMEOUT_MS);
    await stopGracefully(procs, fresh, PROFILE_EXIT_TIMEOUT_MS);
    profiles.push({ node: "sender", windows: summarizeProfile(profileDirs[0] as string, [window]) });
    profiles.push({ node: "restarted", windows: summarizeProfile(profileDirs[1] as string, [window]) });
  }
  const restartedLog = Object.fromEntries(logged);
  console.log(JSON.stringify({ workload: workload.name, nodes: nodeCount, heartbeats, loadMs, loadFailures: loaded.failures, settledMs, want, readyMs, completeMs, last, restartedLog, profiles }, null, 1));
} finally {
  await procs.killAll();
  for (const dir of profileDirs) rmSync(dir, { recursive: true, force: true });
}

// Goal: `namesrv status` shows the cluster through one node and its exit code tells healthy
// (0) from nodes that disagree or a member down (1) and from no node reachable (3); its
// addresses come from --namesrv, else NAMESRV_ADDR; wipe-write-perm / add-write-perm reach every
// node. Method: three nodes of the built CLI on 127.0.0.1. The third is then restarted from a
// data dir holding a KV tombstone older than TOMBSTONE_MS: it keeps it until its first sweep
// (a minute), while the others refuse it as expired, a real disagreement in one record; then it
// is killed (a member down).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TOMBSTONE_MS } from "../../src/limits.js";
import { CLI_PATH, runCli, spawnCli, type CliProcess } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

const running: CliProcess[] = [];

function start(args: string[]): CliProcess {
  const process = spawnCli(args);
  running.push(process);
  return process;
}

async function status(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.arrayBuffer();
  return response.status;
}

/** Runs the CLI with extra environment variables. */
async function runWithEnv(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const code = await withDeadline("namesrv to exit", new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode))));
  return { code, stdout: out };
}

afterEach(async () => {
  for (const process of running.splice(0)) {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill("SIGKILL");
    await process.exited;
  }
});

describe("namesrv status", () => {
  it("status: healthy exits 0, disagreeing nodes 1 naming the record, a node down 1, nothing reachable 3; wipe/add write perm everywhere", async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const peersOf = (port: number): string[] => ports.filter((other) => other !== port).flatMap((other) => ["--peer", `127.0.0.1:${other}`]);
    const base = (index: number): string[] => ["start", "--id", `ns${index + 1}`, "--host", "127.0.0.1", "--port", String(ports[index]), "--remoting-port", "off", ...peersOf(ports[index] as number)];
    start(base(0));
    start(base(1));
    let third = start(base(2));
    for (const port of ports) await waitFor(`node ${port} ready`, async () => ((await status(port, "/readyz")) === 200 ? true : undefined), 15_000);
    start(["broker", "--namesrv", ports.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", "DefaultCluster", "--broker-name", "broker-a", "--broker-id", "0", "--addr", "127.0.0.1:10911", "--topic", "TopicA:4", "--heartbeat-ms", "200"]);
    for (const port of ports) await waitFor(`TopicA on ${port}`, async () => ((await status(port, "/v1/routes/TopicA")) === 200 ? true : undefined));
    const ns1 = `127.0.0.1:${ports[0]}`;

    const healthy = await waitFor("status healthy", async () => {
      const result = await runCli(["status", "--namesrv", ns1]);
      return result.code === 0 ? result : undefined;
    });
    expect(healthy.stdout).toContain("cluster through ns1: HEALTHY (3 members)");
    expect(healthy.stdout).toContain("agreement: 3 reporting nodes agree");
    expect(healthy.stdout).toMatch(/DefaultCluster\s+1\s+1/);
    const viaEnv = await runWithEnv(["status", "--json"], { NAMESRV_ADDR: `127.0.0.1:${ports[1]}` });
    expect(viaEnv.code).toBe(0);
    const report = JSON.parse(viaEnv.stdout) as { status: { nodeId: string; members: unknown[]; healthy: boolean } };
    expect(report.status).toMatchObject({ nodeId: "ns2", healthy: true });
    expect(report.status.members).toHaveLength(3);

    const wiped = await runCli(["wipe-write-perm", "broker-a", "--namesrv", ns1]);
    expect(wiped).toMatchObject({ code: 0 });
    expect(wiped.stdout).toContain("wiped write permission of broker-a");
    for (const port of ports) {
      await waitFor(`perm 4 on ${port}`, async () => {
        const route = JSON.parse((await runCli(["route", "TopicA", "--namesrv", `127.0.0.1:${port}`, "--json"])).stdout) as { queueDatas: { perm: number }[] };
        return route.queueDatas[0]?.perm === 4 ? true : undefined;
      });
    }
    expect((await runCli(["add-write-perm", "broker-a", "--namesrv", ns1])).code).toBe(0);

    third.child.kill("SIGTERM");
    await third.exited;
    const dataDir = mkdtempSync(join(tmpdir(), "namesrv-status-"));
    try {
      const stale = { type: "kv", namespace: "NS", key: "stale", value: null, stamp: { wallMs: Date.now() - TOMBSTONE_MS - 3_600_000, logical: 0, nodeId: "ns3" } };
      writeFileSync(join(dataDir, "kv.json"), JSON.stringify({ format: 1, records: [stale] }));
      third = start([...base(2), "--data-dir", dataDir]);
      await waitFor("ns3 ready again", async () => ((await status(ports[2] as number, "/readyz")) === 200 ? true : undefined), 15_000);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const disagree = await waitFor("status reports the disagreement", async () => {
      const result = await runCli(["status", "--namesrv", ns1, "--json"]);
      const parsed = JSON.parse(result.stdout) as { status: { agreement: { agree: boolean; records: { id: string; versions: Record<string, string | null> }[] } } };
      return result.code === 1 && parsed.status.agreement.records.some((record) => record.id === "k|NS|stale") ? parsed : undefined;
    }, 15_000);
    const record = disagree.status.agreement.records.find((entry) => entry.id === "k|NS|stale");
    expect(record?.versions).toMatchObject({ ns1: null, ns2: null });
    expect(record?.versions["ns3"]).toMatch(/^[0-9a-f]{16}$/);
    const text = await runCli(["status", "--namesrv", ns1]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("NODES DISAGREE");
    expect(text.stdout).toMatch(/k\|NS\|stale\s+kv/);

    third.child.kill("SIGKILL");
    await third.exited;
    const down = await waitFor("status shows ns3 down", async () => {
      const result = await runCli(["status", "--namesrv", ns1]);
      return result.code === 1 && result.stdout.includes("NODE DOWN") ? result : undefined;
    });
    expect(down.stdout).toMatch(/ns3\s+\S+\s+down/);

    const nowhere = await runCli(["status", "--namesrv", `127.0.0.1:${await freePort()}`]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toContain("no name server reachable");
  });
});

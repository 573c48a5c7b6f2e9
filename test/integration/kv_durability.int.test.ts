// Goal: a KV put or delete acknowledged on any port (native, remoting, HTTP) is durable on the
// node that took it: a node killed -9 right after the acknowledgement still has it after a
// restart. What a kill in the middle of a write leaves behind loads. A full or read-only disk
// answers each write with KV_NOT_DURABLE naming the file and the errno code on every port,
// logs once, shows in the metrics, keeps serving the value from memory, writes again once the
// disk recovers, and a stop on a read-only disk exits 0 after saying what was not flushed.
// Method: the built CLI with --data-dir, SIGKILL sent as soon as the reply arrives; the disk
// faults on a small tmpfs (mount needs root, which CI is), filled or remounted read-only.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../src/errors.js";
import { RequestCode } from "../../src/protocol/codes.js";
import { RequestCode as RemotingCode } from "../../src/protocol/remoting/codes.js";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { linesWith } from "./helpers/logs.js";
import { openNative } from "./helpers/native.js";
import { connectRemoting } from "./helpers/remoting_client.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

/** Size of the tmpfs of the disk-fault test: kv.json of a few keys and room to fill. */
const TMPFS_BYTES = 256 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  readonly cli: CliProcess;
  readonly httpPort: number;
  readonly remotingPort: number;
}

/** Starts `namesrv start --data-dir dir` on free ports and waits until it listens. */
async function startNode(dir: string): Promise<Node> {
  const cli = spawnCli(["start", "--id", "d1", "--host", "127.0.0.1", "--port", "0", "--remoting-port", "0", "--data-dir", dir]);
  cleanups.push(async () => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
    await cli.exited;
  });
  const listening = await cli.waitForLog("listening");
  return { cli, httpPort: Number(listening["httpPort"]), remotingPort: Number(listening["remotingPort"]) };
}

/** SIGKILL, and wait for the exit. */
async function kill(node: Node): Promise<void> {
  node.cli.child.kill("SIGKILL");
  expect((await withDeadline("kill -9", node.cli.exited)).signal).toBe("SIGKILL");
}

/** The value of ns/key over HTTP, or null (404). */
async function valueOf(node: Node, key: string): Promise<string | null> {
  const response = await fetch(`http://127.0.0.1:${node.httpPort}/v1/kv/ns/${key}`);
  if (response.status === 404) return null;
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: string }).value;
}

/** A native KV request: its code and message. */
async function nativeWrite(node: Node, code: number, body: Record<string, string>): Promise<{ code: number; message: string }> {
  const conn = await openNative(node.httpPort);
  await conn.hello();
  const reply = await conn.request(code, body);
  await conn.close();
  return { code: reply.code, message: String((reply.body as { message?: string } | null)?.message ?? "") };
}

/** A remoting KV request: its code and remark. */
async function remotingWrite(node: Node, code: number, extFields: Record<string, string>): Promise<{ code: number; remark: string }> {
  const client = await connectRemoting(node.remotingPort);
  const reply = await client.ask(code, extFields);
  client.close();
  return { code: reply.code, remark: reply.remark ?? "" };
}

/** POST /v1/admin/kv-put or kv-delete: the status and the error name, if any. */
async function httpWrite(node: Node, write: "kv-put" | "kv-delete", body: Record<string, string>): Promise<{ status: number; name: string | null; message: string }> {
  const response = await fetch(`http://127.0.0.1:${node.httpPort}/v1/admin/${write}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { error?: { name: string; message: string } };
  return { status: response.status, name: answer.error?.name ?? null, message: answer.error?.message ?? "" };
}

/** One metric sample's value from /metrics. */
async function metric(node: Node, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name} `));
  expect(line, name).toBeDefined();
  return Number(line?.split(" ")[1]);
}

describe("kv durability", () => {
  it("kv: a put or delete acknowledged on the native, remoting or HTTP port survives kill -9 right after the ack", async () => {
    const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-durable-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    let node = await startNode(dir);
    expect(await nativeWrite(node, RequestCode.KV_PUT, { namespace: "ns", key: "native", value: "n1" })).toEqual({ code: ErrorCode.OK, message: "" });
    await kill(node);

    node = await startNode(dir);
    expect(await valueOf(node, "native")).toBe("n1");
    expect((await remotingWrite(node, RemotingCode.PUT_KV_CONFIG, { namespace: "ns", key: "remoting", value: "r1" })).code).toBe(0);
    await kill(node);

    node = await startNode(dir);
    expect(await valueOf(node, "remoting")).toBe("r1");
    expect((await remotingWrite(node, RemotingCode.DELETE_KV_CONFIG, { namespace: "ns", key: "native" })).code).toBe(0);
    await kill(node);

    node = await startNode(dir);
    expect(await valueOf(node, "native")).toBeNull();
    expect(await httpWrite(node, "kv-put", { namespace: "ns", key: "http", value: "h1" })).toEqual({ status: 200, name: null, message: "" });
    await kill(node);

    node = await startNode(dir);
    expect(await valueOf(node, "http")).toBe("h1");
    expect(await nativeWrite(node, RequestCode.KV_DELETE, { namespace: "ns", key: "http" })).toEqual({ code: ErrorCode.OK, message: "" });
    await kill(node);

    node = await startNode(dir);
    expect([await valueOf(node, "http"), await valueOf(node, "remoting")]).toEqual([null, "r1"]);
    expect(linesWith(node.cli.lines(), "kv records loaded")[0]).toMatchObject({ records: 3 });
  });

  it("kv: a temp file left by a kill in the middle of a write (truncated) does not stop the load, and is removed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-durable-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let node = await startNode(dir);
    expect((await nativeWrite(node, RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "kept" })).code).toBe(ErrorCode.OK);
    await kill(node);
    // What a kill between the temp file's write and its rename leaves: the old kv.json and a cut temp.
    const whole = await readFile(join(dir, "kv.json"), "utf8");
    await writeFile(join(dir, "kv.json.tmp-999999"), whole.slice(0, Math.floor(whole.length / 2)));

    node = await startNode(dir);
    expect(await valueOf(node, "k")).toBe("kept");
    expect(await readdir(dir)).toEqual(["kv.json"]);
    expect(linesWith(node.cli.lines(), "kv temp file of an interrupted write removed")[0]).toMatchObject({ path: join(dir, "kv.json.tmp-999999") });
  });

  it.skipIf(process.getuid?.() !== 0)(
    "kv: a full then read-only disk answers KV_NOT_DURABLE on every port, logs once, keeps serving, recovers, and stops cleanly",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-tmpfs-"));
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES}`, "tmpfs", dir]);
      cleanups.push(async () => {
        execFileSync("umount", ["-l", dir]);
        await rm(dir, { recursive: true, force: true });
      });
      const node = await startNode(dir);
      expect((await nativeWrite(node, RequestCode.KV_PUT, { namespace: "ns", key: "before", value: "b" })).code).toBe(ErrorCode.OK);

      // Full: cat stops at ENOSPC, which is the point.
      execFileSync("sh", ["-c", `cat /dev/zero > '${dir}/fill' 2>/dev/null; true`]);
      const path = join(dir, "kv.json");
      const native = await nativeWrite(node, RequestCode.KV_PUT, { namespace: "ns", key: "full", value: "f" });
      expect(native.code).toBe(ErrorCode.KV_NOT_DURABLE);
      expect(native.message).toContain(`not durable on this node: writing '${path}' failed with ENOSPC`);
      const remoting = await remotingWrite(node, RemotingCode.PUT_KV_CONFIG, { namespace: "ns", key: "full2", value: "f2" });
      expect(remoting.code).toBe(1);
      expect(remoting.remark).toContain("failed with ENOSPC");
      const http = await httpWrite(node, "kv-put", { namespace: "ns", key: "full3", value: "f3" });
      expect({ status: http.status, name: http.name }).toEqual({ status: 503, name: "KV_NOT_DURABLE" });
      // Kept in memory and served; the failure is in the metrics and in one log line.
      expect([await valueOf(node, "full"), await valueOf(node, "full2"), await valueOf(node, "full3")]).toEqual(["f", "f2", "f3"]);
      expect(await metric(node, "namesrv_kv_disk_ok")).toBe(0);
      expect(await metric(node, "namesrv_kv_write_failures_total")).toBeGreaterThanOrEqual(3);
      expect(linesWith(node.cli.lines(), "kv write failed")).toHaveLength(1);
      expect(linesWith(node.cli.lines(), "kv write failed")[0]).toMatchObject({ level: "error", path, code: "ENOSPC" });

      // Room again: the retry writes what is in memory and the metric clears.
      await rm(join(dir, "fill"));
      await waitFor("namesrv_kv_disk_ok back to 1", async () => ((await metric(node, "namesrv_kv_disk_ok")) === 1 ? true : undefined));
      const onDisk = await readFile(path, "utf8");
      for (const value of ['"f"', '"f2"', '"f3"']) expect(onDisk).toContain(value);
      expect(linesWith(node.cli.lines(), "kv writes recovered")).toHaveLength(1);

      // Read-only, then told to stop: exit 0, with what stays unflushed said in the log.
      execFileSync("mount", ["-o", "remount,ro", dir]);
      const readOnly = await nativeWrite(node, RequestCode.KV_PUT, { namespace: "ns", key: "ro", value: "r" });
      expect(readOnly.code).toBe(ErrorCode.KV_NOT_DURABLE);
      expect(readOnly.message).toContain("failed with EROFS");
      node.cli.child.kill("SIGTERM");
      expect(await withDeadline("stop", node.cli.exited)).toEqual({ code: 0, signal: null });
      const unflushed = node.cli.lines().find((line) => String(line.msg).startsWith("kv changes not flushed at shutdown"));
      expect(unflushed).toMatchObject({ level: "error", path, code: "EROFS", changesUnflushed: 1 });
      expect(linesWith(node.cli.lines(), "shutdown failed")).toEqual([]);

      // What was acknowledged is there after a restart; the write answered KV_NOT_DURABLE is not.
      execFileSync("mount", ["-o", "remount,rw", dir]);
      const again = await startNode(dir);
      expect([await valueOf(again, "before"), await valueOf(again, "full"), await valueOf(again, "ro")]).toEqual(["b", "f", null]);
    },
  );
});

// etcd 3.4 peer: three members on loopback, driven through the v3 JSON gateway on the client
// port (POST /v3/kv/put, /v3/kv/range with serializable reads).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { ProcessTracker, freePorts, waitFor, type Tracked } from "./util.js";

export interface EtcdMember {
  readonly name: string;
  readonly clientPort: number;
  readonly process: Tracked;
}

export interface EtcdCluster {
  readonly members: EtcdMember[];
  readonly dataDir: string;
}

/** POSTs JSON to an etcd member's gateway. */
export function etcdPost(port: number, path: string, body: unknown): Promise<unknown> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", timeout: 5_000, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) } },
      (res) => {
        let out = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (out += chunk));
        res.on("end", () => {
          try {
            resolve(JSON.parse(out) as unknown);
          } catch (error) {
            reject(new Error(`etcd ${path}: ${out.slice(0, 200)}`, { cause: error }));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`etcd ${path} timed out`)));
    req.on("error", reject);
    req.end(text);
  });
}

/** Starts three members and waits until a write through member 1 succeeds. */
export async function startEtcd(procs: ProcessTracker, etcdBin: string): Promise<EtcdCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-etcd-"));
  const ports = await freePorts(6);
  const names = ["m1", "m2", "m3"];
  const peerUrl = (index: number): string => `http://127.0.0.1:${ports[3 + index] as number}`;
  const initialCluster = names.map((name, index) => `${name}=${peerUrl(index)}`).join(",");
  const members = names.map((name, index) => {
    const clientUrl = `http://127.0.0.1:${ports[index] as number}`;
    const proc = procs.start(`etcd-${name}`, etcdBin, [
      "--name", name, "--data-dir", join(dataDir, name),
      "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", peerUrl(index), "--initial-advertise-peer-urls", peerUrl(index),
      "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "bench",
      "--logger", "zap", "--log-level", "error",
    ]);
    return { name, clientPort: ports[index] as number, process: proc };
  });
  await waitFor("etcd cluster", 30_000, async () => {
    if (members.some((member) => member.process.exited)) throw new Error("an etcd member exited while starting");
    try {
      await etcdPost(members[0]?.clientPort ?? 0, "/v3/kv/put", { key: b64("health"), value: b64("ok") });
      return true;
    } catch {
      return false;
    }
  });
  return { members, dataDir };
}

export async function stopEtcd(procs: ProcessTracker, cluster: EtcdCluster): Promise<void> {
  await Promise.all(cluster.members.map((member) => procs.kill(member.process)));
  rmSync(cluster.dataDir, { recursive: true, force: true });
}

export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

// Real name-server processes on loopback for the bench: `node dist/cli/main.js start` with
// ports picked free, peers wired, readiness and a full peer mesh awaited, logs parsed.
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { ProcessTracker, freePorts, waitFor, type Tracked } from "./util.js";

/** The namesrv CLI, built next to the bench. */
export const CLI_PATH = fileURLToPath(new URL("../cli/main.js", import.meta.url));

/** One running name server. */
export interface NodeProc {
  readonly id: string;
  readonly port: number;
  readonly remotingPort: number | null;
  readonly addr: string;
  readonly process: Tracked;
  /** Parsed pino lines this node logged at warn or above, with their epoch ms time. */
  readonly events: { time: number; msg: string; fields: Record<string, unknown> }[];
}

/** Options for a cluster. */
export interface ClusterOptions {
  readonly count: number;
  readonly remoting?: boolean;
  readonly logLevel?: string;
  /** How many of the first nodes every node names as seed peers. @default count (all) */
  readonly seedCount?: number;
  readonly nodeArgs?: readonly string[];
  /** Node.js flags before the script (for example --cpu-prof). */
  readonly nodeFlags?: readonly string[];
}

/** GET on 127.0.0.1:port, resolving with status and body (bounded by a timeout). */
export function httpGet(port: number, path: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Starts `count` nodes and waits until every one is ready and linked to every other. */
export async function startCluster(procs: ProcessTracker, options: ClusterOptions): Promise<NodeProc[]> {
  const ports = await freePorts(options.count * 2);
  const seedCount = Math.min(options.seedCount ?? options.count, options.count);
  const nodes: NodeProc[] = [];
  for (let index = 0; index < options.count; index++) {
    const port = ports[index] as number;
    const remotingPort = options.remoting ? (ports[options.count + index] as number) : null;
    const peers: string[] = [];
    for (let seed = 0; seed < seedCount; seed++) if (seed !== index) peers.push(`127.0.0.1:${ports[seed] as number}`);
    nodes.push(spawnNode(procs, { id: `n${index + 1}`, port, remotingPort, peers }, options));
  }
  const readyMs = 20_000 + options.count * 1_000;
  await waitFor(`${options.count} nodes ready`, readyMs, async () => {
    for (const node of nodes) {
      if (node.process.exited) throw new Error(`node ${node.id} exited while starting`);
      if (!(await isReady(node))) return false;
    }
    return true;
  });
  if (options.count > 1) {
    await waitFor(`full peer mesh of ${options.count}`, readyMs, async () => {
      for (const node of nodes) if ((await peersUp(node.port)) < options.count - 1) return false;
      return true;
    });
  }
  return nodes;
}

/** True once the node answers /readyz with 200. */
export async function isReady(node: NodeProc): Promise<boolean> {
  const ready = await httpGet(node.port, "/readyz", 1_000).catch(() => ({ status: 0, body: "" }));
  return ready.status === 200;
}

/**
 * Starts a node again, empty, with the id and ports of `node` (which must have been stopped)
 * and the given peers; returns at once, without waiting for readiness.
 */
export function respawnNode(procs: ProcessTracker, node: NodeProc, peers: readonly string[], options: Omit<ClusterOptions, "count">): NodeProc {
  return spawnNode(procs, { id: node.id, port: node.port, remotingPort: node.remotingPort, peers }, options);
}

function spawnNode(procs: ProcessTracker, where: { id: string; port: number; remotingPort: number | null; peers: readonly string[] }, options: Omit<ClusterOptions, "count">): NodeProc {
  const { id, port, remotingPort, peers } = where;
  const args = [
    ...(options.nodeFlags ?? []),
    CLI_PATH,
    "start",
    "--id",
    id,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--remoting-port",
    remotingPort === null ? "off" : String(remotingPort),
    "--log-level",
    options.logLevel ?? "warn",
    ...(peers.length > 0 ? ["--peer", peers.join(",")] : []),
    ...(options.nodeArgs ?? []),
  ];
  const events: NodeProc["events"] = [];
  const proc = procs.start(`namesrv-${id}`, process.execPath, args, {
    onLine: (line) => {
      if (!line.startsWith("{")) return;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (typeof parsed["time"] === "number" && typeof parsed["msg"] === "string") {
          events.push({ time: parsed["time"], msg: parsed["msg"], fields: parsed });
        }
      } catch {
        // A line that is not JSON is not a log record of ours; it carries no event.
        return;
      }
    },
  });
  return { id, port, remotingPort, addr: `127.0.0.1:${port}`, process: proc, events };
}

/** Number of peers a node reports up in /metrics. */
export async function peersUp(port: number): Promise<number> {
  const metrics = await httpGet(port, "/metrics").catch(() => ({ status: 0, body: "" }));
  let up = 0;
  for (const line of metrics.body.split("\n")) if (line.startsWith("namesrv_peer_up{") && line.trim().endsWith(" 1")) up += 1;
  return up;
}

/**
 * Stops a node with SIGTERM and waits up to `timeoutMs` for it to exit on its own (a node under
 * `--cpu-prof` writes its profile only then), then SIGKILLs whatever is left.
 */
export async function stopGracefully(procs: ProcessTracker, node: NodeProc, timeoutMs: number): Promise<void> {
  procs.signal(node.process, "SIGTERM");
  await waitFor(`node ${node.id} exited`, timeoutMs, () => node.process.exited).catch(() => undefined);
  await stopCluster(procs, [node]);
}

/** Stops the nodes (SIGKILL by pid). */
export async function stopCluster(procs: ProcessTracker, nodes: readonly NodeProc[]): Promise<void> {
  await Promise.all(nodes.map((node) => procs.kill(node.process)));
}

// A real cluster for the browser test: name server nodes and broker agents spawned from the
// built CLI (dist/cli/main.js) on 127.0.0.1, tracked by pid and killed at the end, with an admin
// token in a temporary file. Waits are conditions with deadlines.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCli, type CliProcess } from "../../integration/helpers/cli.js";
import { freePort } from "../../integration/helpers/ports.js";
import { waitFor } from "../../integration/helpers/wait.js";

/** A node of the cluster. */
export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly process: CliProcess;
}

/** A broker agent. */
export interface ClusterBroker {
  readonly name: string;
  readonly addr: string;
  readonly topics: readonly string[];
  readonly process: CliProcess;
}

/** A started cluster. */
export interface TestCluster {
  readonly nodes: readonly ClusterNode[];
  readonly brokers: ClusterBroker[];
  readonly adminToken: string;
  readonly dir: string;
  /** Starts a broker agent registered with every node. */
  startBroker(name: string, addrPort: number, topics: readonly string[]): ClusterBroker;
  /** Kills everything started (SIGCONT first, for stopped processes) and removes the temp dir. */
  stop(): Promise<void>;
}

/** The broker expiry of the test nodes: short, so that a stopped broker would go quickly too. */
export const TEST_BROKER_EXPIRY_MS = 3_000;

/** JSON GET of a node's HTTP API. */
export async function getNode<T>(port: number, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: (await response.json()) as T };
}

/** Starts `count` nodes peered with each other, each with the admin token. */
export async function startCluster(count: number): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "namesrv-browser-"));
  const adminToken = `admin-${process.pid}-${Date.now().toString(36)}-token`;
  const tokenFile = join(dir, "admin.tokens");
  writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  const ports: number[] = [];
  for (let index = 0; index < count; index++) ports.push(await freePort());
  const processes: CliProcess[] = [];
  const nodes = ports.map((port, index) => {
    const peers = ports.filter((other) => other !== port).map((other) => `127.0.0.1:${other}`);
    const args = ["start", "--id", `ns${index + 1}`, "--host", "127.0.0.1", "--port", String(port), "--remoting-port", "off"];
    args.push("--broker-expiry-ms", String(TEST_BROKER_EXPIRY_MS), "--admin-token-file", tokenFile, "--log-level", "warn");
    for (const peer of peers) args.push("--peer", peer);
    const process = spawnCli(args);
    processes.push(process);
    return { id: `ns${index + 1}`, port, process };
  });
  const brokers: ClusterBroker[] = [];
  const cluster: TestCluster = {
    nodes,
    brokers,
    adminToken,
    dir,
    startBroker(name, addrPort, topics) {
      const args = ["broker", "--namesrv", ports.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", "DefaultCluster"];
      args.push("--broker-name", name, "--broker-id", "0", "--addr", `127.0.0.1:${addrPort}`, "--heartbeat-ms", "200", "--log-level", "warn");
      for (const topic of topics) args.push("--topic", topic);
      const process = spawnCli(args);
      processes.push(process);
      const broker = { name, addr: `127.0.0.1:${addrPort}`, topics, process };
      brokers.push(broker);
      return broker;
    },
    async stop() {
      for (const process of processes) {
        if (process.child.exitCode === null && process.child.signalCode === null) {
          process.child.kill("SIGCONT");
          process.child.kill("SIGKILL");
        }
      }
      await Promise.all(processes.map((process) => process.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const node of nodes) {
      await waitFor(`${node.id} ready`, async () => ((await getNode(node.port, "/readyz")).status === 200 ? true : undefined), 15_000);
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Waits until every node routes `topic`. */
export async function waitRoutedEverywhere(cluster: TestCluster, topic: string): Promise<void> {
  for (const node of cluster.nodes) {
    await waitFor(`${topic} routed by ${node.id}`, async () => ((await getNode(node.port, `/v1/routes/${topic}`)).status === 200 ? true : undefined));
  }
}

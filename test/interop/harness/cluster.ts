// Our own nodes for the interop tests: n nodes of the built CLI (dist/cli/main.js) on
// 127.0.0.1, peered over WebSocket, each with a fixed remoting port (so a node can be
// restarted on the same address brokers were given). Reuses the integration helpers for
// spawning the CLI, free ports and waiting; every node is tracked for killAll().
import { get as httpsGet } from "node:https";
import { spawnCli, type CliProcess } from "../../integration/helpers/cli.js";
import { freePort } from "../../integration/helpers/ports.js";
import { waitFor, withDeadline } from "../../integration/helpers/wait.js";
import { trackProcess } from "./java.js";

/** Deadline for a node to answer /readyz 200. */
const NODE_READY_DEADLINE_MS = 30_000;

/** One of our nodes. */
export interface OurNode {
  readonly id: string;
  readonly httpPort: number;
  readonly remotingPort: number;
  /** "127.0.0.1:remotingPort", what brokers, clients and mqadmin are given. */
  readonly remotingAddr: string;
  /** "http://127.0.0.1:httpPort" ("https://" when the nodes run with TLS). */
  readonly httpUrl: string;
  /** The CA that verifies the node's certificate, when it runs with TLS. */
  readonly tlsCa: string | null;
  /** The running process (replaced by restart()). */
  cli: CliProcess;
}

/** A running cluster of our nodes. */
export interface OurCluster {
  readonly nodes: OurNode[];
  /** Every node's remoting address. */
  readonly remotingAddrs: string[];
  /** SIGKILLs node i and starts it again on the same ports, empty (KV in memory); resolves when it is ready. */
  restart(index: number): Promise<OurNode>;
  /** SIGKILLs every node. */
  stop(): Promise<void>;
}

async function ready(url: string, tlsCa: string | null): Promise<boolean> {
  if (tlsCa !== null) return (await httpsStatus(`${url}/readyz`, tlsCa)) === 200;
  try {
    const response = await fetch(`${url}/readyz`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** GET over HTTPS trusting `ca`: the status and body (status 0 when unreachable). */
export function httpsText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const request = httpsGet(url, { ca, timeout: 5_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", () => resolve({ status: 0, body: "" }));
    request.on("timeout", () => request.destroy());
  });
}

async function httpsStatus(url: string, ca: string): Promise<number> {
  return (await httpsText(url, ca)).status;
}

/** Waits until the node answers /readyz with 200; fails early if it exits. */
export async function waitReady(node: OurNode, deadlineMs = NODE_READY_DEADLINE_MS): Promise<void> {
  let exited = false;
  void node.cli.exited.then(() => (exited = true));
  await waitFor(`node ${node.id} ready`, async () => {
    if (exited) throw new Error(`node ${node.id} exited: ${node.cli.stderr().slice(-2000)} ${node.cli.stdout().slice(-2000)}`);
    return (await ready(node.httpUrl, node.tlsCa)) ? true : undefined;
  }, deadlineMs);
}

/**
 * Starts n of our nodes (each peered with all others) and waits until every one is ready.
 * `tlsCa`: the nodes run with TLS (extraArgs carry the certificate flags); readiness is checked
 * over HTTPS trusting this CA.
 */
export async function startOurCluster(n = 3, options: { extraArgs?: readonly string[]; logLevel?: string; tlsCa?: string } = {}): Promise<OurCluster> {
  const httpPorts: number[] = [];
  const remotingPorts: number[] = [];
  for (let i = 0; i < n; i++) {
    httpPorts.push(await freePort());
    remotingPorts.push(await freePort());
  }
  const spawnNode = (index: number): CliProcess => {
    const peers = httpPorts.filter((_, other) => other !== index).map((port) => `127.0.0.1:${port}`);
    const args = [
      "start",
      "--id", `n${index + 1}`,
      "--host", "127.0.0.1",
      "--port", String(httpPorts[index]),
      "--remoting-port", String(remotingPorts[index]),
      "--log-level", options.logLevel ?? "info",
      ...(peers.length > 0 ? ["--peer", peers.join(",")] : []),
      ...(options.extraArgs ?? []),
    ];
    const cli = spawnCli(args);
    const pid = cli.child.pid ?? 0;
    trackProcess(
      {
        pid,
        running: () => cli.child.exitCode === null && cli.child.signalCode === null,
        kill: async () => {
          if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL");
          await cli.exited;
        },
      },
      cli.exited,
    );
    return cli;
  };
  const nodes: OurNode[] = httpPorts.map((httpPort, index) => ({
    id: `n${index + 1}`,
    httpPort,
    remotingPort: remotingPorts[index] as number,
    remotingAddr: `127.0.0.1:${remotingPorts[index]}`,
    httpUrl: `${options.tlsCa === undefined ? "http" : "https"}://127.0.0.1:${httpPort}`,
    tlsCa: options.tlsCa ?? null,
    cli: spawnNode(index),
  }));
  const killNode = async (node: OurNode): Promise<void> => {
    if (node.cli.child.exitCode === null && node.cli.child.signalCode === null) node.cli.child.kill("SIGKILL");
    await withDeadline(`node ${node.id} to exit`, node.cli.exited);
  };
  try {
    await Promise.all(nodes.map((node) => waitReady(node)));
  } catch (error) {
    await Promise.all(nodes.map(killNode));
    throw error;
  }
  return {
    nodes,
    remotingAddrs: nodes.map((node) => node.remotingAddr),
    restart: async (index) => {
      const node = nodes[index];
      if (node === undefined) throw new Error(`no node ${index}`);
      await killNode(node);
      node.cli = spawnNode(index);
      await waitReady(node);
      return node;
    },
    stop: async () => {
      await Promise.all(nodes.map(killNode));
    },
  };
}

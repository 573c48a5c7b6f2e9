// A chaos cluster: the network, the proxy, the nodes (each with a tmpfs data dir in a private
// mount namespace, held by a small holder process), the broker agents and the workload, and
// the primitive faults on them. Everything it starts is tracked and removed by tearDown().
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentLinkEvent, History, KvOp, KvSample, RouteSample } from "./history.js";
import { AddressPlan, HUB_ADDR, NODE_PORT, Network, installRules, removeRules, rulesFor, run, type LinkAction } from "./net.js";
import { Processes, type Proc } from "./procs.js";
import type { ProxyConfig, ProxyRequest } from "./proxy_main.js";
import type { WorkloadConfig } from "./workload_main.js";
import type { DisturbedLink } from "./history.js";

/** Size of each node's KV tmpfs: kv.json of the chaos keys is a few KiB; "full" fills the rest. */
export const KV_TMPFS_BYTES = 1024 * 1024;
/** A helper that does not report ready within this has failed. */
export const HELPER_READY_MS = 15_000;
/** The shared topic every broker serves: one route answer shows every routed broker. */
export const SHARED_TOPIC = "ChaosShared";
/** KV namespace the workload writes. */
export const KV_NAMESPACE = "chaos";
/** Cluster name of the brokers. */
const CLUSTER_NAME = "ChaosCluster";
/** Port in each broker's address (nothing listens: only routes carry it). */
const BROKER_PORT = 10_911;
/** Queues of the shared topic and of each broker's own topic. */
const SHARED_TOPIC_QUEUES = 4;
const OWN_TOPIC_QUEUES = 2;

/** The repository root: the nearest folder above this file with a package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no package.json above the chaos harness");
    dir = parent;
  }
  return dir;
}

/** Settings of one cluster. */
export interface ClusterSettings {
  readonly plan: AddressPlan;
  readonly runDir: string;
  readonly brokerExpiryMs: number;
  readonly heartbeatMs: number;
  /** Extra node config fields (the broken-build proof sets a slow suspicion here). */
  readonly nodeOverrides: Readonly<Record<string, unknown>>;
  /** The proxy swallows all peer traffic (the broken-build proof). */
  readonly blackholePeers: boolean;
  readonly workload: Omit<WorkloadConfig, "nodes" | "topic" | "kvNamespace" | "originNs">;
  readonly origin: bigint;
  readonly history: History;
  readonly log: (message: string) => void;
}

/** The running cluster and its primitive faults. */
export class Cluster {
  readonly net: Network;
  readonly procs: Processes;
  private readonly root = repoRoot();
  private readonly nodeProcs = new Map<string, Proc>();
  private readonly brokerProcs = new Map<string, Proc>();
  private readonly holders = new Map<string, Proc>();
  private proxy: Proc | null = null;
  private workload: Proc | null = null;
  private proxyWaiters = new Map<number, (answer: Record<string, unknown>) => void>();
  private nextProxyCommand = 1;
  private readonly cliPath: string;

  constructor(readonly settings: ClusterSettings) {
    this.net = new Network(settings.plan);
    mkdirSync(join(settings.runDir, "logs"), { recursive: true });
    this.procs = new Processes(join(settings.runDir, "logs"), () => this.nowMs(), (event) => settings.history.processes.push(event));
    this.cliPath = join(this.root, "dist", "cli", "main.js");
    for (const node of settings.plan.nodes) settings.history.nodeLogs[node] = { kvWriteFailed: 0, startFailed: 0, selfPreservation: 0 };
  }

  /** Milliseconds of CLOCK_MONOTONIC since the run's origin. */
  nowMs(): number {
    return Number(process.hrtime.bigint() - this.settings.origin) / 1e6;
  }

  private chaosProgram(name: string): string {
    return join(this.root, "dist", "chaos", "test", "chaos", `${name}.js`);
  }

  /** Network, proxy, holders, nodes, brokers, workload. */
  async start(): Promise<void> {
    const { plan } = this.settings;
    for (const path of [this.cliPath, this.chaosProgram("proxy_main"), this.chaosProgram("workload_main")]) {
      if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build and the chaos build first`);
    }
    await this.net.setUp();
    await this.startProxy();
    await Promise.all(plan.nodes.map((node) => this.startHolder(node)));
    for (const node of plan.nodes) this.spawnNode(node, 0);
    for (const broker of plan.brokers) this.spawnBroker(broker);
    this.startWorkload();
  }

  // ---- Nodes ------------------------------------------------------------------------------

  private dataDir(node: string): string {
    return join(this.settings.runDir, "data", node);
  }

  private async startHolder(node: string): Promise<void> {
    const dir = this.dataDir(node);
    mkdirSync(dir, { recursive: true });
    const script = `mount -t tmpfs -o size=${KV_TMPFS_BYTES} tmpfs '${dir}' && echo mounted && exec sleep infinity`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`holder of ${node} did not mount its tmpfs`)), HELPER_READY_MS);
      const holder = this.procs.spawn(`holder-${node}`, "ip", ["netns", "exec", this.settings.plan.netns(node), "sh", "-c", script], {
        stdout: (line) => {
          if (line !== "mounted") return;
          clearTimeout(timer);
          resolve();
        },
      }, false);
      this.holders.set(node, holder);
    });
  }

  private nodeConfigFile(node: string): string {
    const { plan } = this.settings;
    const file = join(this.settings.runDir, "config", `${node}.json`);
    mkdirSync(dirname(file), { recursive: true });
    const config = {
      id: node,
      host: plan.addr(node),
      port: NODE_PORT,
      remotingPort: null,
      peers: plan.nodes.filter((other) => other !== node).map((other) => plan.peerAddr(other)),
      advertiseAddr: plan.peerAddr(node),
      brokerExpiryMs: this.settings.brokerExpiryMs,
      dataDir: this.dataDir(node),
      logLevel: "info",
      ...this.settings.nodeOverrides,
    };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    return file;
  }

  /** Starts a node (its holder's namespaces) with a clock offset. */
  spawnNode(node: string, clockOffsetMs: number): Proc {
    const holder = this.holders.get(node);
    if (!holder) throw new Error(`node ${node} has no holder`);
    const args = ["-t", String(holder.pid), "-n", "-m", process.execPath, this.cliPath, "start", "--config", this.nodeConfigFile(node)];
    if (clockOffsetMs !== 0) args.push("--clock-offset-ms", String(clockOffsetMs));
    const counts = this.settings.history.nodeLogs[node];
    const proc = this.procs.spawn(node, "nsenter", args, {
      stdout: (line) => {
        if (!counts) return;
        if (line.includes('"kv write failed"')) counts.kvWriteFailed += 1;
        if (line.includes('"start failed"')) counts.startFailed += 1;
        if (line.includes('"self-preservation on')) counts.selfPreservation += 1;
      },
    }, true, { clockOffsetMs });
    this.nodeProcs.set(node, proc);
    return proc;
  }

  node(node: string): Proc {
    const proc = this.nodeProcs.get(node);
    if (!proc) throw new Error(`no process for ${node}`);
    return proc;
  }

  /** Runs a shell command in a node's mount namespace (its tmpfs). */
  async inNodeMounts(node: string, script: string): Promise<void> {
    const holder = this.holders.get(node);
    if (!holder) throw new Error(`node ${node} has no holder`);
    await run("nsenter", ["-t", String(holder.pid), "-m", "sh", "-c", script]);
  }

  /** The KV directory of a node (inside its mount namespace). */
  kvDir(node: string): string {
    return this.dataDir(node);
  }

  // ---- Brokers ----------------------------------------------------------------------------

  spawnBroker(broker: string): Proc {
    const { plan } = this.settings;
    const args = [
      "netns", "exec", plan.netns(broker), process.execPath, this.cliPath, "broker",
      "--namesrv", plan.nodes.map((node) => plan.directAddr(node)).join(","),
      "--cluster", CLUSTER_NAME,
      "--broker-name", broker,
      "--broker-id", "0",
      "--addr", `${plan.addr(broker)}:${BROKER_PORT}`,
      "--topic", `${SHARED_TOPIC}:${SHARED_TOPIC_QUEUES}`,
      "--topic", `Chaos-${broker}:${OWN_TOPIC_QUEUES}`,
      "--heartbeat-ms", String(this.settings.heartbeatMs),
      "--log-level", "info",
    ];
    const proc = this.procs.spawn(broker, "ip", args, { stderr: (line) => this.onAgentLine(broker, line) });
    this.brokerProcs.set(broker, proc);
    return proc;
  }

  broker(broker: string): Proc {
    const proc = this.brokerProcs.get(broker);
    if (!proc) throw new Error(`no process for ${broker}`);
    return proc;
  }

  private onAgentLine(broker: string, line: string): void {
    let fields: { msg?: string; addr?: string };
    try {
      fields = JSON.parse(line) as { msg?: string; addr?: string };
    } catch {
      return; // Not a log line (a stack trace of a crash is in the log file).
    }
    const node = this.settings.plan.nodes.find((candidate) => this.settings.plan.directAddr(candidate) === fields.addr);
    if (!node) return;
    const kind: AgentLinkEvent["kind"] | null =
      fields.msg === "registered with name server"
        ? "registered"
        : fields.msg === "name server connection lost" || fields.msg === "name server lost our registration, registering"
          ? "lost"
          : null;
    if (kind) this.settings.history.agentLinks.push({ broker, node, kind, atMs: this.nowMs() });
  }

  // ---- Proxy ------------------------------------------------------------------------------

  private async startProxy(): Promise<void> {
    const { plan } = this.settings;
    const config: ProxyConfig = {
      listeners: plan.nodes.map((node) => ({ node, host: HUB_ADDR, port: plan.proxyPort(node), targetHost: plan.addr(node), targetPort: NODE_PORT })),
      nodeOfAddress: Object.fromEntries(plan.nodes.flatMap((node) => [[plan.addr(node), node], [plan.proxyAlias(node), node]])),
      aliasOf: Object.fromEntries(plan.nodes.map((node) => [node, plan.proxyAlias(node)])),
      blackhole: this.settings.blackholePeers,
    };
    let listening = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the proxy did not listen")), HELPER_READY_MS);
      this.proxy = this.procs.spawn("proxy", "ip", ["netns", "exec", plan.netns("hub"), process.execPath, this.chaosProgram("proxy_main"), JSON.stringify(config)], {
        stdout: (line) => {
          const message = JSON.parse(line) as Record<string, unknown>;
          if (message["event"] === "listening" && ++listening === plan.nodes.length) {
            clearTimeout(timer);
            resolve();
          } else if (message["event"] === "done") {
            this.proxyWaiters.get(message["id"] as number)?.(message);
          } else if (message["event"] === "error") this.settings.log(`proxy: ${String(message["error"])}`);
        },
      }, false);
    });
  }

  /** Sends a command to the proxy and waits for its answer. */
  async proxyCommand(command: ProxyRequest): Promise<Record<string, unknown>> {
    const proxy = this.proxy;
    if (!proxy?.child.stdin) throw new Error("the proxy is not running");
    const id = this.nextProxyCommand++;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.proxyWaiters.set(id, resolve));
    proxy.child.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    const result = await answer;
    this.proxyWaiters.delete(id);
    return result;
  }

  // ---- Links ------------------------------------------------------------------------------

  /** Drops (or randomly drops) every packet of these links, as fault `faultId`. */
  async cut(faultId: number, links: readonly DisturbedLink[], action: LinkAction): Promise<string[]> {
    const rules = rulesFor(this.settings.plan, links, action);
    await installRules(this.settings.plan, faultId, rules);
    return [...rules.keys()];
  }

  /** Removes fault `faultId`'s rules from these nodes' namespaces. */
  async uncut(faultId: number, nodes: readonly string[]): Promise<void> {
    await removeRules(this.settings.plan, faultId, nodes);
  }

  // ---- Workload ---------------------------------------------------------------------------

  private startWorkload(): void {
    const { plan, history } = this.settings;
    const config: WorkloadConfig = {
      ...this.settings.workload,
      nodes: Object.fromEntries(plan.nodes.map((node) => [node, plan.directAddr(node)])),
      topic: SHARED_TOPIC,
      kvNamespace: KV_NAMESPACE,
      originNs: this.settings.origin.toString(),
    };
    this.workload = this.procs.spawn("workload", "ip", ["netns", "exec", plan.netns("client"), process.execPath, this.chaosProgram("workload_main"), JSON.stringify(config)], {
      stdout: (line) => {
        const record = JSON.parse(line) as { t: string } & Record<string, unknown>;
        const { t, ...rest } = record;
        if (t === "route") history.routes.push(rest as unknown as RouteSample);
        else if (t === "kv") history.kvReads.push(rest as unknown as KvSample);
        else if (t === "kvop") history.kvOps.push(rest as unknown as KvOp);
      },
      stderr: (line) => this.settings.log(`workload: ${line}`),
      stdoutUnlogged: true,
    }, false);
  }

  /** Ends the KV writers (the final state then stays put). */
  stopWrites(): void {
    this.workload?.child.stdin?.write(`${JSON.stringify({ op: "stopWrites" })}\n`);
  }

  // ---- Teardown ---------------------------------------------------------------------------

  /** Stops the workload, every process, and deletes the namespaces. Safe to call twice. */
  async tearDown(): Promise<string[]> {
    this.workload?.child.stdin?.end();
    this.proxy?.child.stdin?.end();
    await this.procs.stopAll();
    return await this.net.tearDown();
  }

  /** Immediate kill of everything (Ctrl-C), then the namespaces. */
  async abort(): Promise<void> {
    this.procs.killAll();
    await this.procs.stopAll();
    await this.net.tearDown();
  }
}

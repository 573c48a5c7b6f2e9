// The chaos network: one network namespace per node, per broker and for the clients, each
// with a veth to a bridge inside a hub namespace, where the delay proxy runs. Addresses are
// private ones of our own (10.77.0.0/16) and exist only inside these namespaces; nothing is
// added to the machine's own namespace but the namespace names. Faults are iptables chains
// in the nodes' namespaces, one chain per fault, so faults overlap and heal independently.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { DisturbedLink } from "./history.js";

const execFileAsync = promisify(execFile);

/** Prefix of every namespace and interface a run makes (the cleanup looks for it). */
export const NAME_PREFIX = "gnc";
/** The hub's address on the bridge: the proxy listens here. */
export const HUB_ADDR = "10.77.0.1";
/** Prefix length of every address: one flat layer-2 segment. */
const PREFIX_LENGTH = 16;
/** HTTP + WebSocket port of every node (each node has its own address). */
export const NODE_PORT = 9877;
/** Proxy port for node i is PROXY_PORT_BASE + i: peers reach node i there. */
export const PROXY_PORT_BASE = 20_000;
/** A command of the plumbing (ip, iptables) that takes longer than this has hung. */
const COMMAND_TIMEOUT_MS = 20_000;

/** Addresses and names of one run. */
export class AddressPlan {
  constructor(
    /** Short id of the run, part of every name (netns and interface names are bounded). */
    readonly runId: string,
    readonly nodeCount: number,
    readonly brokerCount: number,
  ) {}

  get nodes(): string[] {
    return Array.from({ length: this.nodeCount }, (_, index) => `n${index + 1}`);
  }
  get brokers(): string[] {
    return Array.from({ length: this.brokerCount }, (_, index) => `b${index + 1}`);
  }
  /** Namespace of an endpoint ("n1", "b2", "client", "hub"). */
  netns(endpoint: string): string {
    return `${NAME_PREFIX}${this.runId}-${endpoint}`;
  }
  /** The endpoint's own address. */
  addr(endpoint: string): string {
    if (endpoint === "client") return "10.77.3.1";
    if (endpoint === "hub") return HUB_ADDR;
    return endpoint.startsWith("n") ? `10.77.1.${indexOf(endpoint)}` : `10.77.2.${indexOf(endpoint)}`;
  }
  /** The address the proxy uses towards other nodes on behalf of node `node`. */
  proxyAlias(node: string): string {
    return `10.77.101.${indexOf(node)}`;
  }
  /** Where peers reach `node` (through the proxy). */
  peerAddr(node: string): string {
    return `${HUB_ADDR}:${this.proxyPort(node)}`;
  }
  proxyPort(node: string): number {
    return PROXY_PORT_BASE + indexOf(node);
  }
  /** Where brokers and clients reach `node` (directly). */
  directAddr(node: string): string {
    return `${this.addr(node)}:${NODE_PORT}`;
  }
  /** The node whose own or proxy-alias address this is, if any. */
  nodeOfAddress(address: string): string | null {
    for (const node of this.nodes) if (address === this.addr(node) || address === this.proxyAlias(node)) return node;
    return null;
  }
}

function indexOf(endpoint: string): number {
  const index = Number(endpoint.slice(1));
  if (!Number.isInteger(index) || index < 1 || index > 250) throw new Error(`endpoint '${endpoint}' has no index in 1..250`);
  return index;
}

/** Runs a command; rejects with its stderr on a non-zero exit. */
export async function run(command: string, args: readonly string[], input?: string): Promise<string> {
  if (input === undefined) {
    const { stdout } = await execFileAsync(command, [...args], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err.trim().slice(0, 500)}`));
    });
    child.stdin.end(input);
  });
}

/** Namespaces made so far, for teardown (also after a failed setup). */
export class Network {
  private readonly made: string[] = [];
  constructor(readonly plan: AddressPlan) {}

  /** Makes the hub with its bridge and one namespace + veth per endpoint. */
  async setUp(): Promise<void> {
    const { plan } = this;
    const hub = plan.netns("hub");
    await this.addNetns(hub);
    const bridge = `${NAME_PREFIX}${plan.runId}br`;
    await run("ip", ["-n", hub, "link", "add", bridge, "type", "bridge"]);
    await run("ip", ["-n", hub, "link", "set", bridge, "up"]);
    await run("ip", ["-n", hub, "link", "set", "lo", "up"]);
    await run("ip", ["-n", hub, "addr", "add", `${HUB_ADDR}/${PREFIX_LENGTH}`, "dev", bridge]);
    for (const node of plan.nodes) await run("ip", ["-n", hub, "addr", "add", `${plan.proxyAlias(node)}/${PREFIX_LENGTH}`, "dev", bridge]);
    for (const endpoint of [...plan.nodes, ...plan.brokers, "client"]) {
      const ns = plan.netns(endpoint);
      await this.addNetns(ns);
      const inner = `${NAME_PREFIX}${plan.runId}${endpoint.slice(0, 4)}`;
      const outer = `${inner}h`;
      await run("ip", ["link", "add", inner, "netns", ns, "type", "veth", "peer", "name", outer, "netns", hub]);
      await run("ip", ["-n", hub, "link", "set", outer, "master", bridge, "up"]);
      await run("ip", ["-n", ns, "addr", "add", `${plan.addr(endpoint)}/${PREFIX_LENGTH}`, "dev", inner]);
      await run("ip", ["-n", ns, "link", "set", inner, "up"]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
  }

  /** Deletes every namespace this run made (their veths and the bridge go with them). */
  async tearDown(): Promise<string[]> {
    const problems: string[] = [];
    for (const ns of this.made.splice(0).reverse()) {
      try {
        await run("ip", ["netns", "del", ns]);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    return problems;
  }

  private async addNetns(ns: string): Promise<void> {
    await run("ip", ["netns", "add", ns]);
    this.made.push(ns);
  }
}

/** How packets of a set of links are treated. */
export type LinkAction = { readonly kind: "drop" } | { readonly kind: "loss"; readonly probability: number };

/**
 * iptables rules, grouped by namespace, that act on every packet from `link.from` to
 * `link.to`. Every link has a node at one end and the rule lives in that node's namespace:
 * at the receiving node's INPUT (matching the sender's own address, its proxy alias, and the
 * proxy port of the sender for connections the receiver dialed), or at the sending node's
 * OUTPUT towards a broker.
 */
export function rulesFor(plan: AddressPlan, links: readonly DisturbedLink[], action: LinkAction): Map<string, string[]> {
  const target = action.kind === "drop" ? "-j DROP" : `-m statistic --mode random --probability ${action.probability.toFixed(3)} -j DROP`;
  const rules = new Map<string, string[]>();
  const add = (node: string, rule: string): void => {
    const list = rules.get(node) ?? [];
    list.push(rule);
    rules.set(node, list);
  };
  for (const { from, to } of links) {
    if (to.startsWith("n") && from.startsWith("n")) {
      add(to, `INPUT -s ${plan.proxyAlias(from)} ${target}`);
      add(to, `INPUT -s ${HUB_ADDR} -p tcp --sport ${plan.proxyPort(from)} ${target}`);
    } else if (to.startsWith("n")) {
      add(to, `INPUT -s ${plan.addr(from)} ${target}`);
    } else {
      add(from, `OUTPUT -d ${plan.addr(to)} ${target}`);
    }
  }
  return rules;
}

/** Installs one fault's rules as chains F<id>-IN / F<id>-OUT in each node namespace. */
export async function installRules(plan: AddressPlan, faultId: number, rules: Map<string, string[]>): Promise<void> {
  await Promise.all(
    [...rules].map(([node, list]) => {
      const lines = ["*filter", `:F${faultId}I - [0:0]`, `:F${faultId}O - [0:0]`];
      for (const rule of list) {
        const [chain, ...rest] = rule.split(" ");
        lines.push(`-A F${faultId}${chain === "INPUT" ? "I" : "O"} ${rest.join(" ")}`);
      }
      lines.push(`-I INPUT -j F${faultId}I`, `-I OUTPUT -j F${faultId}O`, "COMMIT", "");
      return run("ip", ["netns", "exec", plan.netns(node), "iptables-restore", "-w", "--noflush"], lines.join("\n"));
    }),
  );
}

/** Removes one fault's chains. */
export async function removeRules(plan: AddressPlan, faultId: number, nodes: Iterable<string>): Promise<void> {
  await Promise.all(
    [...nodes].map((node) => {
      const lines = [
        "*filter",
        `-D INPUT -j F${faultId}I`,
        `-D OUTPUT -j F${faultId}O`,
        `-F F${faultId}I`,
        `-F F${faultId}O`,
        `-X F${faultId}I`,
        `-X F${faultId}O`,
        "COMMIT",
        "",
      ];
      return run("ip", ["netns", "exec", plan.netns(node), "iptables-restore", "-w", "--noflush"], lines.join("\n"));
    }),
  );
}

/** Namespaces left by earlier runs that were killed before their teardown. */
export async function leftoverNamespaces(): Promise<string[]> {
  const text = await run("ip", ["netns", "list"]);
  return text
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => new RegExp(`^${NAME_PREFIX}[0-9a-f]{4}-`).test(name));
}

/** Process ids running inside a namespace. */
export async function pidsIn(ns: string): Promise<number[]> {
  const text = await run("ip", ["netns", "pids", ns]);
  return text.split("\n").filter((line) => /^\d+$/.test(line.trim())).map(Number);
}

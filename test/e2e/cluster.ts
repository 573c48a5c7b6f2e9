// The compose cluster the end-to-end tests run against (started by scripts/e2e-compose.sh):
// settings from the environment, its containers, network and CA, broker and rogue
// containers, log lines. Imports nothing of src/.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LogLine, parseJsonLines } from "../integration/helpers/logs.js";
import { waitFor } from "../integration/helpers/wait.js";
import { docker, dockerOk, inspect, logsOf, run } from "./docker.js";
import { HttpsProbe, type Nodes } from "./probes.js";

const env = process.env;
const num = (name: string, fallback: number): number => Number(env[name] ?? fallback);

/** The three nodes of docker-compose.yml. */
export const NODES = ["ns1", "ns2", "ns3"] as const;
/** A node's compose service name. */
export type NodeName = (typeof NODES)[number];

/** Settings of the run (scripts/e2e-compose.sh passes them on). */
export const SETTINGS = {
  project: env["COMPOSE_PROJECT_NAME"] ?? "gossip-namesrv-e2e",
  compose: (env["COMPOSE"] ?? "docker compose").split(" "),
  healthyTimeoutS: num("HEALTHY_TIMEOUT_S", 120),
  requireRemoting: env["E2E_REQUIRE_REMOTING"] !== "0",
  /** Expiry the paused broker declares. */
  pauseExpiryMs: num("PAUSE_EXPIRY_MS", 3000),
  /** How long ns2 stays killed. */
  killHoldMs: num("KILL_HOLD_MS", 4000),
  /** ns2 must be ready within this after `docker start`. */
  restartReadyBudgetMs: num("RESTART_READY_BUDGET_MS", 10_000),
  /** How long ns3 is cut off: past the 3 s peer-down time, within the nodes' 10 s expiry. */
  partitionMs: num("PARTITION_MS", 8000),
  /** brokerExpiryMs in cluster-config/ns*.json. */
  nodeExpiryMs: 10_000,
  httpPort: { ns1: num("NS1_HTTP_PORT", 9877), ns2: num("NS2_HTTP_PORT", 19877), ns3: num("NS3_HTTP_PORT", 29877) },
  remotingPort: { ns1: num("NS1_REMOTING_PORT", 9876), ns2: num("NS2_REMOTING_PORT", 19876), ns3: num("NS3_REMOTING_PORT", 29876) },
} as const;

/** The image every node, broker and rogue container runs (docker-compose.yml's NAMESRV_IMAGE). */
export const IMAGE = env["NAMESRV_IMAGE"] ?? "gossip-namesrv:local";
/** Broker and rogue containers carry this label; scripts/e2e-compose.sh removes them. */
export const BROKER_LABEL = `gossip-namesrv-e2e.project=${SETTINGS.project}`;
/** The nodes' addresses on the compose network, for brokers. */
export const ALL_NS = "ns1:9877,ns2:9877,ns3:9877";

const startMs = Number(env["E2E_T0_MS"] ?? Date.now());

/** Prints one line as `[e2e  12.3s] ...`, timed from the start of scripts/e2e-compose.sh. */
export function say(line: string): void {
  const seconds = ((Date.now() - startMs) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[e2e ${seconds}s] ${line}\n`);
}

/** `docker compose ARGS...` of the project. */
export function compose(...args: string[]): ReturnType<typeof run> {
  return run([...SETTINGS.compose, ...args]);
}

/** Host base URL of a node's published HTTP port. */
export function urlOf(node: NodeName): string {
  return `https://127.0.0.1:${SETTINGS.httpPort[node]}`;
}

/** `{ns1: url, ...}` of the given nodes. */
export function nodesOf(...names: NodeName[]): Nodes {
  return Object.fromEntries(names.map((name) => [name, urlOf(name)]));
}

async function healthOf(node: NodeName): Promise<string> {
  const id = (await compose("ps", "-q", node)).stdout.trim();
  if (id === "") return "missing";
  return inspect(id, "{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}").catch(() => "missing");
}

/** Log lines of a container since sinceMs with this msg (and, if given, containing match). */
export interface LogHits {
  count: number;
  hits: { atMs: number; brokerKey: string; reason: string }[];
}

/** The running cluster: container ids (cached: v2's `ps -q` omits stopped ones), network, CA. */
export class Cluster {
  readonly cid: Record<NodeName, string> = { ns1: "", ns2: "", ns3: "" };
  /** Broker name -> container id. */
  readonly bcid: Record<string, string> = {};
  /** Broker name -> epoch ms just before its `docker run`. */
  readonly bt: Record<string, number> = {};
  network = "";
  credentialsVolume = "";
  caFile = "";
  http = new HttpsProbe("");
  private caDir = "";

  /** Waits until all three containers are healthy, then learns ids, network and CA. */
  async setUp(): Promise<void> {
    const t = Date.now();
    say(`step: wait healthy (deadline ${SETTINGS.healthyTimeoutS}s) ...`);
    let line = "";
    const healthy = await waitFor("healthy", async () => {
      const states = await Promise.all(NODES.map(healthOf));
      line = NODES.map((node, i) => `${node}=${states[i]}`).join(" ");
      return states.every((state) => state === "healthy") ? true : undefined;
    }, SETTINGS.healthyTimeoutS * 1000).catch(() => false);
    const seconds = Math.round((Date.now() - t) / 1000);
    say(healthy ? `  all healthy after ${seconds}s: ${line}` : `  not healthy after ${SETTINGS.healthyTimeoutS}s: ${line}`);
    if (!healthy) throw new Error(`cluster not healthy: ${line}`);
    say(`step: wait healthy ok (${Date.now() - t} ms)`);
    for (const node of NODES) this.cid[node] = (await compose("ps", "-q", node)).stdout.trim();
    this.network = (await inspect(this.cid.ns1, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")).split(" ")[0] ?? "";
    say(`network ${this.network}; containers: ${NODES.map((n) => `${n}=${this.cid[n].slice(0, 12)}`).join(" ")}`);
    const mounts = '{{range .Mounts}}{{if eq .Destination "/credentials"}}{{.Name}}{{end}}{{end}}';
    this.credentialsVolume = await inspect(this.cid.ns1, mounts);
    const caPem = await dockerOk("exec", this.cid.ns1, "node", "-e", READ_CA_SCRIPT);
    this.caDir = await mkdtemp(join(tmpdir(), "e2e-ca-"));
    this.caFile = join(this.caDir, "ca.pem");
    await writeFile(this.caFile, `${caPem}\n`, { mode: 0o644 });
    this.http = new HttpsProbe(caPem);
    say(`credentials volume ${this.credentialsVolume}; CA copied to ${this.caFile} (TLS + cluster secret + tokens on)`);
  }

  async tearDown(): Promise<void> {
    this.http.close();
    if (this.caDir !== "") await rm(this.caDir, { recursive: true, force: true });
  }

  /**
   * A broker agent in its own container on the compose network (so it can be paused, killed
   * and partitioned), addr NAME:10911.
   */
  async startBroker(name: string, namesrvs: string, ...agentArgs: string[]): Promise<void> {
    this.bt[name] = Date.now();
    this.bcid[name] = await dockerOk("run", "-d", "--init", "--name", `${SETTINGS.project}-brk-${name}`, "--hostname", name,
      "--label", BROKER_LABEL, "--network", this.network, "-v", `${this.credentialsVolume}:/credentials:ro`, IMAGE,
      "broker", "--namesrv", namesrvs, "--cluster", "E2E", "--broker-name", name, "--broker-id", "0",
      "--addr", `${name}:10911`, "--tls-ca-file", "/credentials/ca.pem", "--token-file", "/credentials/broker.token", ...agentArgs);
  }

  /**
   * A container that holds only the public CA certificate (at /tmp/trusted-ca.pem), none of
   * the cluster's secrets or tokens; created, not started. Resolves with its id.
   */
  async rogue(name: string, runArgs: string[], imageArgs: string[]): Promise<string> {
    const id = await dockerOk("create", "--init", "--name", `${SETTINGS.project}-rogue-${name}`, "--hostname", name,
      "--label", BROKER_LABEL, "--network", this.network, ...runArgs, IMAGE, ...imageArgs);
    await dockerOk("cp", this.caFile, `${id}:/tmp/trusted-ca.pem`);
    return id;
  }

  /** GET from inside a node's container (works while it is cut off): "STATUS BODY". */
  async execGet(node: NodeName, path: string): Promise<string> {
    const result = await docker("exec", this.cid[node], "node", "-e", EXEC_GET_SCRIPT, path);
    return (result.stdout + result.stderr).trim();
  }

  /** Whether something listens on 9876 inside the node's container. */
  async remotingListens(node: NodeName): Promise<boolean> {
    return (await docker("exec", this.cid[node], "node", "-e", CONNECT_9876_SCRIPT)).code === 0;
  }

  /** A node's "broker offline" log lines since sinceMs that contain match. */
  async offlineLines(node: NodeName, sinceMs: number, match: string): Promise<LogHits> {
    return logHits(await logsOf(this.cid[node]), sinceMs, "broker offline", match);
  }
}

/** JSON log lines of a container's log since sinceMs with this msg and containing match. */
export function logHits(text: string, sinceMs: number, msg: string, match = ""): LogHits {
  const lines = parseJsonLines(text).filter((line: LogLine) => {
    const time = Number(line["time"]);
    return time >= sinceMs && line.msg === msg && (match === "" || JSON.stringify(line).includes(match));
  });
  const hit = (line: LogLine) => ({ atMs: Number(line["time"]) - sinceMs, brokerKey: String(line["brokerKey"]), reason: String(line["reason"]) });
  return { count: lines.length, hits: lines.slice(0, 10).map(hit) };
}

// Scripts run by the image's node inside a container; their inputs are argv, never spliced in.
const READ_CA_SCRIPT = 'process.stdout.write(require("fs").readFileSync("/credentials/ca.pem", "utf8"))';
const EXEC_GET_SCRIPT = `fetch("https://127.0.0.1:9877" + process.argv[1], { signal: AbortSignal.timeout(2000) })
  .then(async (r) => console.log(r.status + " " + (await r.text()).slice(0, 200)), (e) => console.log("000 " + e.message));`;
const CONNECT_9876_SCRIPT = `const s = require("net").connect(9876, "127.0.0.1");
s.setTimeout(3000, () => process.exit(1));
s.on("connect", () => { s.destroy(); process.exit(0); });
s.on("error", () => process.exit(1));`;

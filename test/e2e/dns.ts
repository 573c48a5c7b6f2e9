// The compose check of discovery through DNS, the mechanics a Kubernetes headless Service has:
// ns1..ns3 share the network alias `namesrv` (docker-compose.yml). A fourth node, ns4, that
// knows only `--peer-dns namesrv:9877` (and carries the alias itself, as a pod is in its own
// headless record) joins: ns1..ns3 see it as a peer, it links to all three and never to itself,
// and it serves their routes. A broker given only `--namesrv namesrv:9877 --dns-lookup`
// registers with every node. Imports nothing of src/.
import { expect } from "vitest";
import { parseJsonLines } from "../integration/helpers/logs.js";
import { waitFor } from "../integration/helpers/wait.js";
import { BROKER_LABEL, type Cluster, IMAGE, NODES, SETTINGS, logHits, nodesOf, say, urlOf } from "./cluster.js";
import { S_ALL, msAfter } from "./checks.js";
import { docker, dockerOk, logsOf } from "./docker.js";
import { describeRoute, routeOf, routeSpec, watch } from "./probes.js";

/** ns4 is linked both ways within this of its `docker run` (it resolves the alias every 5 s). */
const JOIN_DEADLINE_MS = 30_000;
/** The DNS broker is routed by every node within this of its `docker run`. */
const ROUTED_DEADLINE_MS = 20_000;
/** The fourth node's name: its network alias and the address it advertises. */
const NS4 = "ns4";

/** ns4 as ns1..ns3 run, but with no peer list: only the alias to resolve. */
function ns4Args(): string[] {
  return ["start", "--id", NS4, "--peer-dns", "namesrv:9877", "--advertise-addr", `${NS4}:9877`,
    "--cluster-secret-file", "/credentials/cluster.secret", "--broker-token-file", "/credentials/broker.token",
    "--admin-token-file", "/credentials/admin.token", "--tls-cert-file", "/credentials/node.pem",
    "--tls-key-file", "/credentials/node-key.pem", "--tls-ca-file", "/credentials/ca.pem",
    "--remoting-acl-file", "/credentials/remoting-acl.json", "--remoting-tls-mode", "permissive"];
}

/** The peers a node counts up, from its namesrv_peer_up lines. */
function upPeersOf(metricText: string): string[] {
  return [...metricText.matchAll(/namesrv_peer_up\{peer="([^"]+)"\} 1/g)].map((match) => match[1] as string).sort();
}

/** GET from inside a container over its own TLS port: the whole body ("000 ..." when unreachable). */
async function execGetAll(id: string, path: string): Promise<string> {
  const result = await docker("exec", id, "node", "-e", EXEC_GET_ALL_SCRIPT, path);
  return (result.stdout + result.stderr).trim();
}

/** Starts ns4, checks it joins and serves, then a DNS broker; removes both. */
export async function checkPeerDns(cluster: Cluster): Promise<void> {
  const http = cluster.http;
  const t = Date.now();
  const ns4 = await dockerOk("run", "-d", "--init", "--name", `${SETTINGS.project}-${NS4}`, "--hostname", NS4, "--label", BROKER_LABEL,
    "--network", cluster.network, "--network-alias", NS4, "--network-alias", "namesrv", "-e", "NODE_EXTRA_CA_CERTS=/credentials/ca.pem",
    "-v", `${cluster.credentialsVolume}:/credentials:ro`, IMAGE, ...ns4Args());
  say(`  docker run ${NS4}: --peer-dns namesrv:9877 --advertise-addr ${NS4}:9877 (no --peer), aliases ${NS4} and namesrv`);
  try {
    const seenBy: Record<string, number | null> = { ns1: null, ns2: null, ns3: null };
    let ns4Peers: string[] = [];
    await waitFor("ns4 linked both ways", async () => {
      for (const node of NODES) {
        if (seenBy[node] === null && upPeersOf(await http.metricLines(urlOf(node), "namesrv_peer_up")).includes(NS4)) seenBy[node] = Date.now();
      }
      ns4Peers = upPeersOf(await execGetAll(ns4, "/metrics"));
      return Object.values(seenBy).every((at) => at !== null) && ns4Peers.join() === NODES.join() ? true : undefined;
    }, JOIN_DEADLINE_MS).catch((error: unknown) => say(`  ${String(error)}`));
    say(`  ns4 counted up by each node, ms after its docker run: ${msAfter(seenBy, t)}`);
    say(`  ns4 counts up: ${ns4Peers.join(", ") || "none"}`);
    expect.soft(seenBy, "ns1..ns3 see ns4 as a peer").not.toContain(null);
    expect.soft(ns4Peers, "ns4's peers").toEqual([...NODES]);
    const ns4Logs = await logsOf(ns4);
    // The alias lists ns4 itself too (as a pod is in its own headless record): four addresses.
    const answers = parseJsonLines(ns4Logs).filter((line) => line.msg === "peer dns answer changed");
    const addresses = (answers.at(-1)?.["addresses"] ?? []) as string[];
    say(`  ns4 log 'peer dns answer changed': ${answers.length} lines, last ${JSON.stringify(addresses)}; 'node ready': ${logHits(ns4Logs, 0, "node ready").hits.map((h) => h.reason).join(", ") || "none"}`);
    expect.soft(addresses, "namesrv resolves to ns1..ns4").toHaveLength(NODES.length + 1);
    const route = await execGetAll(ns4, `/v1/routes/${S_ALL.topic}`);
    say(`  ns4 /v1/routes/${S_ALL.topic} -> ${route.slice(0, 120)}`);
    expect.soft(route.startsWith("200 ") && S_ALL.brokers.every((name) => route.includes(`"${name}"`)), "ns4 serves e2e-all").toBe(true);
    await brokerThroughAlias(cluster);
  } finally {
    await docker("rm", "-f", ns4);
  }
}

/** A broker given only the alias, with --dns-lookup: registered with every node, routed by all. */
async function brokerThroughAlias(cluster: Cluster): Promise<void> {
  const spec = routeSpec("e2e-dns=b-dns");
  const watching = watch(cluster.http, nodesOf(...NODES), spec, ROUTED_DEADLINE_MS);
  await cluster.startBroker("b-dns", "namesrv:9877", "--dns-lookup", "--topic", "e2e-dns:4");
  const tBroker = cluster.bt["b-dns"] ?? 0;
  const routed = await watching;
  say(`  b-dns (--namesrv namesrv:9877 --dns-lookup) routed, ms after its docker run: ${msAfter(routed.atMs, tBroker)}`);
  expect.soft(routed.atMs, "b-dns routed by every node").not.toContain(null);
  const id = cluster.bcid["b-dns"] ?? "";
  let registered: string[] = [];
  await waitFor("b-dns registered with ns1..ns3", async () => {
    const lines = parseJsonLines(await logsOf(id)).filter((line) => line.msg === "registered with name server");
    registered = [...new Set(lines.map((line) => String(line["nodeId"])))].sort();
    return NODES.every((node) => registered.includes(node)) ? true : undefined;
  }, ROUTED_DEADLINE_MS).catch((error: unknown) => say(`  ${String(error)}`));
  say(`  b-dns registered with (its own log): ${registered.join(", ")}`);
  expect.soft(registered, "b-dns registered with every node").toEqual(expect.arrayContaining([...NODES]));
  for (const node of NODES) {
    const shown = describeRoute(await routeOf(cluster.http, urlOf(node), spec.topic));
    expect.soft(shown, `${node} /v1/routes/e2e-dns`).toBe("b-dns@b-dns:10911");
  }
  await docker("rm", "-f", id);
}

// Run by the image's node inside a container; the path is argv, never spliced in.
const EXEC_GET_ALL_SCRIPT = `fetch("https://127.0.0.1:9877" + process.argv[1], { signal: AbortSignal.timeout(2000) })
  .then(async (r) => console.log(r.status + " " + (await r.text())), (e) => console.log("000 " + e.message));`;

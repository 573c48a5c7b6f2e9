// The remoting-port rogue of the compose checks: a container on the compose network with no ACL
// account runs scripts/remoting-rogue.mjs against every node's remoting port (permissive TLS;
// it speaks plain text): a spoofed UNREGISTER_BROKER (104) of b-all-a, DELETE_TOPIC_IN_NAMESRV
// (216) of e2e-all, WIPE_WRITE_PERM_OF_BROKER (205) of b-all-a and PUT_KV_CONFIG (100). Every one
// must get NO_PERMISSION; e2e-all must keep both brokers and their write permission on every
// node, the KV key must exist nowhere, and ns1 must count the refusals. Imports nothing of src/.
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { NODES, say, urlOf, type Cluster } from "./cluster.js";
import { S_ALL } from "./checks.js";
import { docker, dockerOk } from "./docker.js";
import { describeRoute, routeOf, satisfies } from "./probes.js";

/** The rogue's program; it needs only node built-ins, so the image's node runs it. */
const ROGUE_SCRIPT = fileURLToPath(new URL("../../scripts/remoting-rogue.mjs", import.meta.url));
/** Write permission bit of a queue's perm (PermName.PERM_WRITE). */
const PERM_WRITE = 2;

/** Runs the rogue, then checks every node's e2e-all route, the KV key and ns1's refusal count. */
export async function checkRemotingRogue(cluster: Cluster): Promise<void> {
  const id = await cluster.rogue("rogue-remoting", ["--entrypoint", "node"], [
    "/tmp/remoting-rogue.mjs", "--addrs", NODES.map((node) => `${node}:9876`).join(","),
    "--cluster", "E2E", "--broker", "b-all-a", "--addr", "b-all-a:10911", "--topic", S_ALL.topic,
  ]);
  await dockerOk("cp", ROGUE_SCRIPT, `${id}:/tmp/remoting-rogue.mjs`);
  const result = await docker("start", "-a", id);
  say(`  rogue container's spoofed 104, 216, 205, 100 per node (reply codes; 16 = NO_PERMISSION): ${(result.stdout + result.stderr).trim()}`);
  expect.soft(result.code, "every spoofed write answered NO_PERMISSION").toBe(0);
  await docker("rm", "-f", id);
  for (const node of NODES) {
    const route = await routeOf(cluster.http, urlOf(node), S_ALL.topic);
    const answer = await cluster.http.get(`${urlOf(node)}/v1/routes/${S_ALL.topic}`);
    const perms = answer.status === 200 ? (JSON.parse(answer.body) as { queueDatas: { perm: number }[] }).queueDatas.map((queue) => queue.perm) : [];
    say(`  ${node} ${S_ALL.topic} after the spoofs: ${describeRoute(route)}, queue perms ${JSON.stringify(perms)}`);
    expect.soft(satisfies(route, S_ALL), `${node} still routes both brokers`).toBe(true);
    expect.soft(perms.length > 0 && perms.every((perm) => (perm & PERM_WRITE) !== 0), `${node} keeps write permission`).toBe(true);
    const kv = await cluster.http.get(`${urlOf(node)}/v1/kv/e2e-rogue/k`);
    expect.soft(kv.status, `${node} spoofed KV key`).toBe(404);
  }
  const refusals = await cluster.http.metricLines(urlOf("ns1"), "namesrv_auth_refusals_total");
  say(`  ns1 remoting refusals: ${refusals.split("; ").filter((line) => line.includes('role="remoting"')).join("; ")}`);
  expect.soft(refusals, "ns1 remoting refusals").toContain('role="remoting",reason="aclSignatureMissing"');
}

// Goal: with security on (cluster secret, broker and admin tokens, remoting ACL accounts), the
// attack of the remoting-port issue fails on every node: a fresh connection's spoofed
// UNREGISTER_BROKER (104), DELETE_TOPIC_IN_NAMESRV (216), WIPE_WRITE_PERM_OF_BROKER (205) and
// PUT_KV_CONFIG (100) against a native-agent broker and a remoting broker are refused with
// NO_PERMISSION on both nodes and change nothing anywhere; the same requests signed by a broker
// account (a leaked broker credential) are refused for admin codes and, for 104, answered as for
// an unknown broker without effect; the brokers' own signed writes still work.
// Method: two built CLI nodes peered over WebSocket with the secret; the broker agent CLI with
// the broker token on both; a remoting broker signing with the broker account on node 1; the
// attack from fresh connections to both nodes; then an admin-signed KV put on node 2 as a
// gossip barrier (one ordered link: once node 1 has it, it has everything node 2 sent before),
// and every route, permission and KV key checked on both nodes, refusals in metrics and logs.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, type CliProcess } from "./helpers/cli.js";
import { linesWith } from "./helpers/logs.js";
import { freePort } from "./helpers/ports.js";
import { connectRemoting, registration, type RemotingClient } from "./helpers/remoting_client.js";
import { waitFor } from "./helpers/wait.js";

const NO_PERMISSION = 16;
const BROKER_ACCOUNT = { accessKey: "rocketmq-broker", secretKey: "broker-secret-for-tests", role: "broker" };
const ADMIN_ACCOUNT = { accessKey: "rocketmq-admin", secretKey: "admin-secret-for-tests", role: "admin" };
const AGENT = { clusterName: "C", brokerAddr: "10.0.0.9:10911", brokerName: "agent-a" };
const REMOTE = { clusterName: "C", brokerAddr: "127.0.0.1:30911", brokerName: "remote-r" };
const TOPICS = { [AGENT.brokerName]: "TopicAgent", [REMOTE.brokerName]: "TopicRemote" } as Record<string, string>;

const running: CliProcess[] = [];
const http: number[] = [];
const remoting: number[] = [];
let dir: string;
let broker: RemotingClient;

async function routeOf(port: number, topic: string): Promise<{ status: number; perms: number[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/routes/${topic}`);
  if (response.status !== 200) return { status: response.status, perms: [] };
  const route = (await response.json()) as { queueDatas: Array<{ perm: number }> };
  return { status: 200, perms: route.queueDatas.map((queue) => queue.perm) };
}

async function kvStatus(port: number, namespace: string, key: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/v1/kv/${namespace}/${key}`)).status;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

async function refusals(port: number, reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("namesrv_auth_refusals_total{") && candidate.includes('role="remoting"') && candidate.includes(`reason="${reason}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "remoting-secure-"));
  writeFileSync(join(dir, "cluster.secret"), "cluster-secret-for-tests-0123456789\n", { mode: 0o600 });
  writeFileSync(join(dir, "broker.token"), "broker-token-for-tests-0123456789\n", { mode: 0o600 });
  writeFileSync(join(dir, "admin.token"), "admin-token-for-tests-0123456789\n", { mode: 0o600 });
  writeFileSync(join(dir, "acl.json"), JSON.stringify([BROKER_ACCOUNT, ADMIN_ACCOUNT]), { mode: 0o600 });
  for (let index = 0; index < 2; index++) {
    http.push(await freePort());
    remoting.push(await freePort());
  }
  for (let index = 0; index < 2; index++) {
    running.push(
      spawnCli([
        "start", "--id", `s${index + 1}`, "--host", "127.0.0.1", "--port", String(http[index]), "--remoting-port", String(remoting[index]),
        "--peer", `127.0.0.1:${http[1 - index]}`, "--cluster-secret-file", join(dir, "cluster.secret"),
        "--broker-token-file", join(dir, "broker.token"), "--admin-token-file", join(dir, "admin.token"), "--remoting-acl-file", join(dir, "acl.json"),
      ]),
    );
  }
  for (const port of http) await waitFor(`:${port} ready`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined));
  running.push(
    spawnCli([
      "broker", "--namesrv", http.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", AGENT.clusterName, "--broker-name", AGENT.brokerName,
      "--broker-id", "0", "--addr", AGENT.brokerAddr, "--heartbeat-ms", "200", "--topic", "TopicAgent", "--token-file", join(dir, "broker.token"),
    ]),
  );
  broker = await connectRemoting(remoting[0] as number);
  const { extFields, body } = registration(REMOTE, ["TopicRemote", "TBW102"]);
  expect((await broker.ask(103, extFields, { body, sign: BROKER_ACCOUNT })).code).toBe(0);
  for (const port of http) {
    for (const topic of ["TopicAgent", "TopicRemote"]) await waitFor(`${topic} on :${port}`, async () => ((await routeOf(port, topic)).status === 200 ? true : undefined));
  }
});

afterAll(async () => {
  broker?.close();
  for (const process of running) {
    process.child.kill("SIGKILL");
    await process.exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("remoting port with security on", () => {
  it("secure: spoofed 104, 216, 205 and 100 from fresh connections are refused on both nodes and change nothing anywhere", async () => {
    const remarks = new Set<string>();
    for (const port of remoting) {
      const rogue = await connectRemoting(port);
      for (const target of [AGENT, REMOTE]) {
        const answers = [
          await rogue.ask(104, { ...target, brokerId: "0" }),
          await rogue.ask(216, { topic: TOPICS[target.brokerName] as string }),
          await rogue.ask(205, { brokerName: target.brokerName }),
          await rogue.ask(100, { namespace: "rogue", key: target.brokerName, value: "spoofed" }),
        ];
        for (const answer of answers) {
          expect(answer.code, answer.remark).toBe(NO_PERMISSION);
          remarks.add(answer.remark ?? "");
        }
      }
      // A leaked broker credential: admin codes refused by role; a 104 from another connection has no effect.
      const insider = await connectRemoting(port);
      for (const target of [AGENT, REMOTE]) {
        expect((await insider.ask(104, { ...target, brokerId: "0" }, { sign: BROKER_ACCOUNT })).code).toBe(0);
        expect((await insider.ask(216, { topic: TOPICS[target.brokerName] as string }, { sign: BROKER_ACCOUNT })).code).toBe(NO_PERMISSION);
        expect((await insider.ask(205, { brokerName: target.brokerName }, { sign: BROKER_ACCOUNT })).code).toBe(NO_PERMISSION);
        expect((await insider.ask(100, { namespace: "rogue", key: "insider", value: "x" }, { sign: BROKER_ACCOUNT })).code).toBe(NO_PERMISSION);
      }
      rogue.close();
      insider.close();
    }
    console.log(`secure: refusal remarks: ${[...remarks].join(" | ")}`);
    // Gossip barrier: an admin-signed put on node 2, after every spoof, reaches node 1.
    const admin = await connectRemoting(remoting[1] as number);
    expect((await admin.ask(100, { namespace: "barrier", key: "k", value: "after-spoofs" }, { sign: ADMIN_ACCOUNT })).code).toBe(0);
    admin.close();
    await waitFor("the barrier on node 1", async () => ((await kvStatus(http[0] as number, "barrier", "k")) === 200 ? true : undefined));
    for (const port of http) {
      for (const topic of ["TopicAgent", "TopicRemote"]) {
        const route = await routeOf(port, topic);
        expect(route.status, `${topic} on :${port}`).toBe(200);
        expect(route.perms, `${topic} write permission on :${port}`).toEqual([6]);
      }
      for (const key of [AGENT.brokerName, REMOTE.brokerName, "insider"]) expect(await kvStatus(port, "rogue", key)).toBe(404);
    }
    for (const port of http) {
      expect(await refusals(port, "aclSignatureMissing"), `:${port}`).toBe(8);
      expect(await refusals(port, "aclRoleNotAllowed"), `:${port}`).toBe(6);
      expect(await metric(port, "namesrv_unregistrations_refused_total"), `:${port}`).toBeGreaterThanOrEqual(1);
    }
    // One log line per connection and reason: eight refusals of the unsigned rogue, one warn line.
    const lines = linesWith((running[1] as CliProcess).lines(), "remoting request refused");
    expect(lines.filter((line) => line["reason"] === "aclSignatureMissing")).toHaveLength(1);
    expect(lines.filter((line) => line["reason"] === "aclRoleNotAllowed")).toHaveLength(1);
  });

  it("secure: an unsigned registration is refused and routed nowhere; a badly signed one too", async () => {
    const fake = { clusterName: "C", brokerAddr: "127.0.0.1:40911", brokerName: "fake-f" };
    const rogue = await connectRemoting(remoting[1] as number);
    const { extFields, body } = registration(fake, ["TopicFake"]);
    const unsigned = await rogue.ask(103, extFields, { body });
    expect(unsigned.code).toBe(NO_PERMISSION);
    expect(unsigned.remark).toBe("REGISTER_BROKER (code 103) needs a RocketMQ ACL signature (AccessKey, Signature) of a broker or admin account");
    const guessed = await rogue.ask(103, extFields, { body, sign: { accessKey: BROKER_ACCOUNT.accessKey, secretKey: "a-guessed-secret" } });
    expect(guessed.code).toBe(NO_PERMISSION);
    rogue.close();
    for (const port of http) expect((await routeOf(port, "TopicFake")).status).toBe(404);
  });

  it("secure: the remoting broker's own signed unregistration still removes it from every node", async () => {
    expect((await broker.ask(104, { ...REMOTE, brokerId: "0" }, { sign: BROKER_ACCOUNT })).code).toBe(0);
    for (const port of http) await waitFor(`remote broker gone on :${port}`, async () => ((await routeOf(port, "TopicRemote")).status === 404 ? true : undefined));
    for (const port of http) expect((await routeOf(port, "TopicAgent")).status).toBe(200);
  });
});

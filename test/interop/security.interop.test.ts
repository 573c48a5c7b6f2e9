// Goal: the remoting port with security on, against the real Apache RocketMQ 5.5.0 from Maven
// Central: a broker that signs with `innerClientAuthenticationCredentials` registers, heartbeats
// (BROKER_HEARTBEAT, acting-master mode) and unregisters; the same broker without credentials is
// refused and routed nowhere; mqadmin with the admin account (conf/tools.yml) wipes and adds write
// permission, without it cannot; with `--remoting-tls-mode enforcing` every Java process talks
// TLS (`-Dtls.enable=true`, verifying our certificate against the CA) and a plain-text mqadmin is
// refused.
// Method: two of our nodes with a cluster secret, ACL accounts (broker, admin), the fixtures'
// certificate (127.0.0.1) on both ports and TLS enforcing on the remoting port; Java brokers and
// mqadmin with TLS client properties; our nodes' metrics and routes read over HTTPS. The tests
// run in order and share the brokers. Every wait has a deadline; measured times are printed.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../integration/helpers/wait.js";
import { httpsText, startOurCluster, type OurCluster, type OurNode } from "./harness/cluster.js";
import { freeBrokerPort, javaTempDir, killAll, runMqadmin, startJavaBroker, type JavaBroker } from "./harness/java.js";

const CLUSTER = "SecureCluster";
const BROKER_ACCOUNT = { accessKey: "rocketmq-broker", secretKey: "broker-secret-for-interop" };
const ADMIN_ACCOUNT = { accessKey: "rocketmq-admin", secretKey: "admin-secret-for-interop" };
const FIXTURES = new URL("../fixtures/tls/", import.meta.url);
const CA_PATH = new URL("ca.pem", FIXTURES).pathname;
const CA = readFileSync(CA_PATH, "utf8");
/** A Java client that speaks TLS to name servers and verifies their certificate against our CA. */
const TLS_CLIENT = {
  "tls.enable": "true",
  "tls.test.mode.enable": "false",
  "tls.client.authServer": "true",
  "tls.client.trustCertPath": CA_PATH,
  // The broker's own server: plain text (its TLS test mode would need a self-signed certificate).
  "tls.server.mode": "disabled",
};

let dir: string;
let ours: OurCluster;
let signed: JavaBroker;
let unsigned: JavaBroker | undefined;
let adminHome: string;

function report(text: string): void {
  console.log(`interop security: ${text}`);
}

async function metric(node: OurNode, name: string, labels = ""): Promise<number> {
  const { body } = await httpsText(`${node.httpUrl}/metrics`, CA);
  const line = body.split("\n").find((candidate) => candidate.startsWith(name) && candidate.includes(labels) && !candidate.startsWith("#"));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Perms of one broker's queues in a topic's route on a node ([] when not routed). */
async function permsOf(node: OurNode, topic: string, brokerName: string): Promise<number[]> {
  const { status, body } = await httpsText(`${node.httpUrl}/v1/routes/${topic}`, CA);
  if (status !== 200) return [];
  const route = JSON.parse(body) as { queueDatas: Array<{ brokerName: string; perm: number }> };
  return route.queueDatas.filter((queue) => queue.brokerName === brokerName).map((queue) => queue.perm);
}

async function routed(node: OurNode, brokerName: string): Promise<boolean> {
  const { body } = await httpsText(`${node.httpUrl}/v1/cluster`, CA);
  return body.includes(`"${brokerName}"`);
}

/** The first line of a Java process's output that says why it failed. */
function failureLine(text: string): string {
  const line = text.split("\n").find((candidate) => /CODE: ?\d+|NO_PERMISSION|Exception/.test(candidate)) ?? text.trim().split("\n")[0] ?? "";
  return line.trim().slice(0, 240);
}

function mqadmin(args: readonly string[], options: { account?: boolean; tls?: boolean } = {}): ReturnType<typeof runMqadmin> {
  const { account = true, tls = true } = options;
  return runMqadmin(args, { props: tls ? TLS_CLIENT : {}, ...(account ? { home: adminHome } : {}) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "interop-security-"));
  writeFileSync(join(dir, "cluster.secret"), "cluster-secret-for-interop-0123456789\n", { mode: 0o600 });
  writeFileSync(join(dir, "acl.json"), JSON.stringify([{ ...BROKER_ACCOUNT, role: "broker" }, { ...ADMIN_ACCOUNT, role: "admin" }]), { mode: 0o600 });
  ours = await startOurCluster(2, {
    tlsCa: CA,
    extraArgs: [
      "--cluster-secret-file", join(dir, "cluster.secret"), "--remoting-acl-file", join(dir, "acl.json"),
      "--tls-cert-file", new URL("node.pem", FIXTURES).pathname, "--tls-key-file", new URL("node-key.pem", FIXTURES).pathname,
      "--tls-ca-file", CA_PATH, "--remoting-tls-mode", "enforcing",
    ],
  });
  // mqadmin reads the account from $ROCKETMQ_HOME/conf/tools.yml.
  adminHome = javaTempDir("mqadmin-admin");
  mkdirSync(join(adminHome, "conf"), { recursive: true });
  writeFileSync(join(adminHome, "conf", "tools.yml"), `accessKey: ${ADMIN_ACCOUNT.accessKey}\nsecretKey: ${ADMIN_ACCOUNT.secretKey}\n`);
  const began = performance.now();
  signed = await startJavaBroker({
    name: "secure-a",
    cluster: CLUSTER,
    brokerId: 0,
    listenPort: await freeBrokerPort(),
    namesrvAddrs: ours.remotingAddrs,
    props: TLS_CLIENT,
    extraConf: {
      innerClientAuthenticationCredentials: JSON.stringify(BROKER_ACCOUNT),
      // A 5.x broker also stores that account as a user of its own; without a provider it does not start.
      authenticationMetadataProvider: "org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider",
      // Heartbeats (BROKER_HEARTBEAT every second) besides the registrations.
      enableSlaveActingMaster: "true",
      compatibleWithOldNameSrv: "false",
    },
  });
  report(`signed broker booted and registered with both nodes over TLS in ${Math.round(performance.now() - began)} ms`);
});

afterAll(async () => {
  await killAll();
  await ours?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("interop: the remoting port with security on", () => {
  it("security: a broker signing with innerClientAuthenticationCredentials registers and heartbeats on every node over TLS", async () => {
    for (const node of ours.nodes) await waitFor(`secure-a routed by ${node.id}`, async () => ((await routed(node, "secure-a")) ? true : undefined), 30_000);
    const before = await Promise.all(ours.nodes.map((node) => metric(node, "namesrv_heartbeats_total ")));
    await waitFor("three signed heartbeats on each node", async () => {
      const now = await Promise.all(ours.nodes.map((node) => metric(node, "namesrv_heartbeats_total ")));
      return now.every((value, index) => value >= (before[index] as number) + 3) ? now : undefined;
    }, 15_000);
    for (const node of ours.nodes) expect(await metric(node, "namesrv_auth_refusals_total", 'reason="aclSignatureInvalid"')).toBe(0);
    report(`secure-a routed by both nodes; heartbeats accepted: ${(await Promise.all(ours.nodes.map((node) => metric(node, "namesrv_heartbeats_total ")))).join(", ")}`);
  });

  it("security: the same broker without credentials is refused and routed nowhere", async () => {
    const refusedBefore = await Promise.all(ours.nodes.map((node) => metric(node, "namesrv_auth_refusals_total", 'reason="aclSignatureMissing"')));
    unsigned = await startJavaBroker({
      name: "secure-b",
      cluster: CLUSTER,
      brokerId: 0,
      listenPort: await freeBrokerPort(),
      namesrvAddrs: ours.remotingAddrs,
      props: TLS_CLIENT,
      awaitRegistration: false,
    });
    await waitFor("the unsigned registration refused on both nodes", async () => {
      const now = await Promise.all(ours.nodes.map((node) => metric(node, "namesrv_auth_refusals_total", 'reason="aclSignatureMissing"')));
      return now.every((value, index) => value > (refusedBefore[index] as number)) ? true : undefined;
    }, 60_000);
    for (const node of ours.nodes) expect(await routed(node, "secure-b")).toBe(false);
    expect(unsigned.registrations()).toBe(0);
    const log = join(unsigned.dir, "logs", "rocketmq.log");
    const refusal = existsSync(log) ? failureLine(readFileSync(log, "utf8").split("\n").filter((line) => /CODE: 16|NO_PERMISSION|needs a RocketMQ ACL/.test(line)).join("\n")) : "(no log)";
    report(`secure-b (no credentials) refused by both nodes; its own words: ${refusal}`);
    await unsigned.kill();
  });

  it("security: mqadmin with the admin account wipes and adds write permission; without it, it cannot", async () => {
    const [node1, node2] = ours.nodes as [OurNode, OurNode];
    const writable = (perms: number[]): boolean => perms.length > 0 && perms.every((perm) => (perm & 2) !== 0);
    expect(writable(await permsOf(node2, "TBW102", "secure-a"))).toBe(true);
    const refused = await mqadmin(["wipeWritePerm", "-b", "secure-a", "-n", node1.remotingAddr], { account: false });
    report(`wipeWritePerm without the account: ${failureLine(refused.stdout + refused.stderr)}`);
    expect(refused.stdout + refused.stderr).not.toMatch(/wipe write perm of broker\[secure-a\] in name ?server\[[^\]]+\] OK/);
    expect(await metric(node1, "namesrv_auth_refusals_total", 'reason="aclSignatureMissing"')).toBeGreaterThan(0);
    expect(writable(await permsOf(node2, "TBW102", "secure-a"))).toBe(true);
    const wiped = await mqadmin(["wipeWritePerm", "-b", "secure-a", "-n", node1.remotingAddr]);
    report(`wipeWritePerm with the admin account: ${wiped.stdout.trim().replace(/\n/g, " | ")}`);
    expect(wiped.stdout).toMatch(/wipe write perm of broker\[secure-a\] in name ?server\[[^\]]+\] OK/);
    for (const node of ours.nodes) {
      await waitFor(`write permission wiped on ${node.id}`, async () => {
        const perms = await permsOf(node, "TBW102", "secure-a");
        return perms.length > 0 && perms.every((perm) => (perm & 2) === 0) ? true : undefined;
      });
    }
    const added = await mqadmin(["addWritePerm", "-b", "secure-a", "-n", node2.remotingAddr]);
    expect(added.stdout).toMatch(/add write perm of broker\[secure-a\] in name ?server\[[^\]]+\] OK/);
    for (const node of ours.nodes) await waitFor(`write permission back on ${node.id}`, async () => (writable(await permsOf(node, "TBW102", "secure-a")) ? true : undefined));
  });

  it("security: the Java client reads routes over TLS in enforcing mode; a plain-text client is refused", async () => {
    const node = ours.nodes[0] as OurNode;
    const began = performance.now();
    const overTls = await mqadmin(["topicRoute", "-t", "TBW102", "-n", node.remotingAddr], { account: false });
    report(`mqadmin topicRoute over TLS (${Math.round(performance.now() - began)} ms incl. JVM start): ${overTls.stdout.replace(/\s+/g, " ").slice(0, 160)}`);
    expect(overTls.stdout).toContain('"brokerName":"secure-a"');
    const refusedBefore = await metric(node, "namesrv_auth_refusals_total", 'reason="plainTextRefused"');
    const plain = await mqadmin(["topicRoute", "-t", "TBW102", "-n", node.remotingAddr], { account: false, tls: false });
    report(`mqadmin topicRoute in plain text: ${failureLine(plain.stdout + plain.stderr)}`);
    expect(plain.stdout).not.toContain('"brokerName":"secure-a"');
    expect(await metric(node, "namesrv_auth_refusals_total", 'reason="plainTextRefused"')).toBeGreaterThan(refusedBefore);
  });

  it("security: the signed broker's shutdown unregisters it from every node at once", async () => {
    const began = performance.now();
    const gone = Promise.all(
      ours.nodes.map(async (node) => {
        await waitFor(`secure-a gone from ${node.id}`, async () => ((await routed(node, "secure-a")) ? undefined : true), 30_000);
        return Math.round(performance.now() - began);
      }),
    );
    await signed.stop();
    const exitedMs = Math.round(performance.now() - began);
    const goneMs = await gone;
    report(`secure-a SIGTERM: process exited after ${exitedMs} ms; gone from ${goneMs.map((ms, index) => `node ${index + 1} after ${ms} ms`).join(", ")}`);
    for (const ms of goneMs) expect(ms).toBeLessThanOrEqual(exitedMs + 1_000);
    for (const node of ours.nodes) expect(await metric(node, "namesrv_unregistrations_total ")).toBeGreaterThanOrEqual(1);
  });
});

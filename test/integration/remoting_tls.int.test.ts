// Goal: TLS on the remoting port as RocketMQ's tls.server.mode: "permissive" serves plain text
// and TLS on one port (told apart by the first byte), "enforcing" closes plain-text connections
// without a reply and serves TLS, "disabled" closes a TLS handshake; each refusal is counted and
// logged; `--remoting-tls-mode` without a certificate is a configuration error naming the field.
// Method: startServer in-process with the test fixtures' certificate (127.0.0.1, localhost),
// clients by hand with our codec over node:net and node:tls (verifying the certificate against
// the fixture CA); the TLS handshake time is measured and printed.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { localConfig, type RemotingTlsMode } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { runCli } from "./helpers/cli.js";
import { captureLogger, linesWith, type LogLine } from "./helpers/logs.js";
import { connectRemoting } from "./helpers/remoting_client.js";
import { withDeadline } from "./helpers/wait.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");
const TLS = { cert: fixture("node.pem"), key: fixture("node-key.pem"), ca: fixture("ca.pem") };
const CLUSTER_INFO = 106;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(mode: RemotingTlsMode): Promise<{ running: RunningServer; lines: LogLine[]; port: number }> {
  const { logger, lines } = captureLogger("debug");
  const running = await startServer(localConfig({ tls: TLS, remotingTlsMode: mode }), { logger });
  cleanups.push(() => running.close());
  return { running, lines, port: running.remotingPort as number };
}

async function refusalCount(running: RunningServer, reason: string): Promise<number> {
  const line = (await running.metrics.text()).split("\n").find((candidate) => candidate.includes(`role="remoting",reason="${reason}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("remoting TLS", () => {
  it("remoting TLS: permissive serves plain text and TLS on the same port", async () => {
    const { port } = await node("permissive");
    const plain = await connectRemoting(port);
    expect((await plain.ask(CLUSTER_INFO)).code).toBe(0);
    plain.close();
    const started = performance.now();
    const secure = await connectRemoting(port, { tlsCa: TLS.ca });
    const handshakeMs = performance.now() - started;
    expect((await secure.ask(CLUSTER_INFO)).code).toBe(0);
    const answer = await secure.ask(105, { topic: "NoSuchTopic" });
    expect(answer.code).toBe(17);
    secure.close();
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const begin = performance.now();
      const client = await connectRemoting(port, { tlsCa: TLS.ca });
      times.push(performance.now() - begin);
      client.close();
    }
    times.sort((a, b) => a - b);
    console.log(`remoting TLS: first handshake ${handshakeMs.toFixed(1)} ms; 20 more: median ${(times[10] as number).toFixed(1)} ms, max ${(times[19] as number).toFixed(1)} ms (ECDSA P-256, TLS 1.3, loopback)`);
  });

  it("remoting TLS: enforcing closes plain text without a reply, counts and logs it, and serves TLS", async () => {
    const { running, lines, port } = await node("enforcing");
    const plain = await connectRemoting(port);
    await expect(plain.ask(CLUSTER_INFO)).rejects.toThrow(/closed without a reply/);
    await withDeadline("plain connection closed", plain.closed);
    expect(await refusalCount(running, "plainTextRefused")).toBe(1);
    expect(linesWith(lines, "remoting connection refused").filter((line) => line["reason"] === "plainTextRefused")).toHaveLength(1);
    const secure = await connectRemoting(port, { tlsCa: TLS.ca });
    expect((await secure.ask(CLUSTER_INFO)).code).toBe(0);
    secure.close();
  });

  it("remoting TLS: disabled closes a TLS handshake and serves plain text", async () => {
    const { running, port } = await node("disabled");
    await expect(connectRemoting(port, { tlsCa: TLS.ca })).rejects.toThrow();
    expect(await refusalCount(running, "tlsNotEnabled")).toBe(1);
    const plain = await connectRemoting(port);
    expect((await plain.ask(CLUSTER_INFO)).code).toBe(0);
    plain.close();
  });

  it("remoting TLS: --remoting-tls-mode without a certificate, or an unknown mode, exits 2 naming the field", async () => {
    const missing = await runCli(["start", "--port", "0", "--remoting-port", "0", "--remoting-tls-mode", "enforcing"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("'remotingTlsMode' needs the node's certificate: 'tls' (--tls-cert-file and --tls-key-file), got 'enforcing'");
    const unknown = await runCli(["start", "--port", "0", "--remoting-port", "0", "--remoting-tls-mode", "strict"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'remotingTlsMode' must be one of disabled|permissive|enforcing, got 'strict'");
  });
});

// Goal: SIGTERM drains a node (issue 16, scope 4): it answers not ready at once, exits 0 within
// DRAIN_TIMEOUT_MS, and the other nodes lose no route, log no suspicion and no "peer down", but
// "peer left"; the broker agents take the close as "the node is leaving", not as a lost
// connection, and a restarted node rejoins. Method: three real node processes and three broker
// agents (each registered with all three) from the built CLI on 127.0.0.1; every route is read
// from the other two nodes continuously from before the signal until well past the brokers'
// expiry after the exit; the nodes' JSON log lines are read for the message names the failure
// detector, replication and the peer dialer use.
import { afterEach, describe, expect, it } from "vitest";
import { connect, type Socket } from "node:net";
import { DRAIN_TIMEOUT_MS, SHUTDOWN_GRACE_MS, SUSPICION_MS } from "../../src/limits.js";
import { CliGroup, type CliProcess } from "./helpers/cli.js";
import { linesWith, parseJsonLines, type LogLine } from "./helpers/logs.js";
import { httpStatus } from "./helpers/http.js";
import { freePort } from "./helpers/ports.js";
import { waitFor, withDeadline } from "./helpers/wait.js";

/** Broker expiry of these nodes: short, so that a route lost by expiry would show in the test. */
const EXPIRY_MS = 2_000;
const TOPICS = ["DrainA", "DrainB", "DrainC"] as const;
/** Log lines of a node that would mean it took the drain for a failure (at any level). */
const ALARMS = ["peer down", "peer suspect", "peer silent; link closed", "broker suspected", "broker offline", "self-preservation on: cut off from peers, evictions held"];
/** Longest time from SIGTERM until the node no longer answers ready: one poll, not the drain bound. */
const NOT_READY_WITHIN_MS = 1_000;

const group = new CliGroup();

function startNode(index: number, ports: readonly number[]): CliProcess {
  const peers = ports.filter((_, other) => other !== index).map((port) => `127.0.0.1:${port}`);
  const args = ["start", "--id", `n${index + 1}`, "--host", "127.0.0.1", "--port", String(ports[index]), "--remoting-port", "0"];
  args.push("--peer", peers.join(","), "--broker-expiry-ms", String(EXPIRY_MS), "--log-level", "debug");
  return group.spawn(args);
}

function startBroker(index: number, ports: readonly number[]): CliProcess {
  const args = ["broker", "--namesrv", ports.map((port) => `127.0.0.1:${port}`).join(","), "--cluster", "C"];
  args.push("--broker-name", `drain-${index}`, "--broker-id", "0", "--addr", `10.0.1.${index + 1}:10911`, "--heartbeat-ms", "200");
  args.push("--topic", `${TOPICS[index]}:4`);
  return group.spawn(args);
}

/** /readyz: 200 ready, 503 not ready, 0 refused. */
function readyStatus(port: number): Promise<number> {
  return httpStatus(port, "/readyz");
}

/** A route query: 200 routed, 404 no route, 503 not ready, 0 unreachable. */
function routeStatus(port: number, topic: string): Promise<number> {
  return httpStatus(port, `/v1/routes/${topic}`);
}

async function routedEverywhere(ports: readonly number[]): Promise<boolean> {
  const statuses = await Promise.all(ports.flatMap((port) => TOPICS.map((topic) => routeStatus(port, topic))));
  return statuses.every((status) => status === 200);
}

/** Reads every route from `ports` in a loop until stopped; collects every answer that was not 200. */
function watchRoutes(ports: readonly number[]): { stop(): Promise<{ reads: number; misses: string[] }> } {
  let stopping = false;
  let reads = 0;
  const misses: string[] = [];
  const loop = (async () => {
    while (!stopping) {
      for (const port of ports) {
        for (const topic of TOPICS) {
          const status = await routeStatus(port, topic);
          reads += 1;
          if (status !== 200) misses.push(`:${port} ${topic} -> ${status} at ${Date.now()}`);
        }
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return { reads, misses };
    },
  };
}

/** Alarm lines, and any line at warn or above logged since `sinceMs`. */
function alarmsOf(process: CliProcess, sinceMs: number): string[] {
  const alarming = (line: LogLine): boolean =>
    ALARMS.includes(String(line.msg)) || (Number(line["time"]) >= sinceMs && ["warn", "error", "fatal"].includes(String(line.level)));
  return process.lines().filter(alarming).map((line) => JSON.stringify(line));
}

/** A socket upgraded to WebSocket that then reads and writes nothing (never answers a close frame). */
async function silentWebSocket(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  let answer = "";
  socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const key = Buffer.from("drain-test-key16").toString("base64");
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await waitFor("websocket upgrade", () => (answer.startsWith("HTTP/1.1 101") ? true : undefined));
  return socket;
}

describe("drain", () => {
  afterEach(() => group.stopAll());

  it(
    "drain: SIGTERM makes a node not ready at once and exit 0 within DRAIN_TIMEOUT_MS; the others lose no route and raise no alarm",
    async () => {
      const ports = [await freePort(), await freePort(), await freePort()];
      const nodes = ports.map((_, index) => startNode(index, ports));
      for (const port of ports) await waitFor(`node :${port} ready`, async () => ((await readyStatus(port)) === 200 ? true : undefined));
      const brokers = TOPICS.map((_, index) => startBroker(index, ports));
      await waitFor("every topic routed on every node", async () => ((await routedEverywhere(ports)) ? true : undefined));
      const [n1, n2, n3] = nodes as [CliProcess, CliProcess, CliProcess];
      const p3 = ports[2] as number;
      const others = ports.slice(0, 2);

      const watch = watchRoutes(others);
      const signalledAt = Date.now();
      n3.child.kill("SIGTERM");
      await waitFor("node 3 not ready", async () => ((await readyStatus(p3)) !== 200 ? true : undefined), NOT_READY_WITHIN_MS);
      const notReadyMs = Date.now() - signalledAt;
      const { code, signal } = await withDeadline("node 3 to exit", n3.exited, DRAIN_TIMEOUT_MS);
      const exitMs = Date.now() - signalledAt;
      // Past the brokers' expiry and the suspicion timeout after the exit: a route lost to a
      // wrong verdict (suspicion, expiry of a broker the node heard) would show by then.
      await waitFor("the watch window after the exit", () => (Date.now() - signalledAt > exitMs + EXPIRY_MS + SUSPICION_MS + 1_000 ? true : undefined), EXPIRY_MS + 5_000);
      const { reads, misses } = await watch.stop();
      console.log(`node 3 not ready ${notReadyMs} ms after SIGTERM, exited (code ${code}) after ${exitMs} ms; ${reads} route reads on nodes 1 and 2, ${misses.length} not 200`);

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(DRAIN_TIMEOUT_MS);
      expect(misses).toEqual([]);
      expect(reads).toBeGreaterThan(100);
      for (const node of [n1, n2]) {
        expect(alarmsOf(node, signalledAt)).toEqual([]);
        expect(linesWith(node.lines(), "peer left").map((line) => line["peerId"])).toEqual(["n3"]);
      }
      expect(linesWith(n3.lines(), "node leaving")).toHaveLength(1);
      expect(linesWith(n3.lines(), "stopped")).toHaveLength(1);
      for (const broker of brokers) {
        const lines = parseJsonLines(broker.stderr());
        expect(linesWith(lines, "name server leaving; redialing it later").map((line) => line["addr"])).toEqual([`127.0.0.1:${p3}`]);
        expect(linesWith(lines, "name server connection lost")).toEqual([]);
      }

      // The peers keep redialing: a restarted node 3 rejoins, pulls a snapshot and routes everything.
      startNode(2, ports);
      await waitFor("restarted node 3 routes every topic", async () => ((await routedEverywhere([p3])) ? true : undefined));
      for (const node of [n1, n2]) {
        await waitFor("peer up n3 again", () => (linesWith(node.lines(), "peer up").filter((line) => line["peerId"] === "n3").length >= 2 ? true : undefined));
      }
    },
    60_000,
  );

  it("drain: a second SIGTERM while the drain waits for a silent client exits at once with code 1", async () => {
    const port = await freePort();
    const node = startNode(0, [port]);
    await waitFor("node ready", async () => ((await readyStatus(port)) === 200 ? true : undefined));
    // A WebSocket client that never answers the close frame: the drain waits for it up to
    // SHUTDOWN_GRACE_MS, which leaves time to send the second signal.
    const silent = await silentWebSocket(port);
    node.child.kill("SIGTERM");
    await node.waitForLog("draining");
    const secondAt = Date.now();
    node.child.kill("SIGTERM");
    const { code } = await withDeadline("node to exit", node.exited, DRAIN_TIMEOUT_MS);
    silent.destroy();
    expect(code).toBe(1);
    expect(Date.now() - secondAt).toBeLessThan(SHUTDOWN_GRACE_MS);
    expect(linesWith(node.lines(), "second signal; exiting at once")).toHaveLength(1);
    expect(linesWith(node.lines(), "stopped")).toEqual([]);
  });
});

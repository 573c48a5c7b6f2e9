// Serf peers: agents on loopback, and a client of Serf's RPC protocol (msgpack over TCP:
// handshake, event, stream, members). Event arrival times come from the RPC event stream.
import { Socket } from "node:net";
import { Packr, UnpackrStream } from "msgpackr";
import { ProcessTracker, freePorts, nowMs, sleep, waitFor, type Tracked } from "./util.js";

/** Serf RPC protocol version the agent speaks (serf 0.x: 1). */
const SERF_RPC_VERSION = 1;
/** Time for a serf agent to open its RPC port. */
const SERF_START_MS = 15_000;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, structuredClone: false, moreTypes: false, int64AsType: "number" });

/** One event record off the stream. */
export interface SerfEvent {
  readonly Event: string;
  readonly Name?: string;
  readonly LTime?: number;
  readonly Members?: readonly { Name: string }[];
}

interface PendingCall {
  readonly bodyExpected: boolean;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** A Serf RPC connection. */
export class SerfRpc {
  private readonly socket: Socket;
  private seq = 0;
  private readonly pending = new Map<number, PendingCall>();
  private readonly streams = new Map<number, (event: SerfEvent, atMs: number) => void>();
  private awaitingBodyFor: number | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    const stream = new UnpackrStream({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });
    socket.pipe(stream);
    stream.on("data", (value: unknown) => this.onObject(value));
    stream.on("error", (error: Error) => this.failAll(error));
    socket.on("error", (error) => this.failAll(error));
    socket.on("close", () => this.failAll(new Error("serf rpc closed")));
  }

  /** Connects and handshakes. */
  static async connect(port: number): Promise<SerfRpc> {
    const socket = new Socket();
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    const rpc = new SerfRpc(socket);
    await rpc.call("handshake", { Version: SERF_RPC_VERSION }, false);
    return rpc;
  }

  /** Sends a user event. */
  async userEvent(name: string, payload: Uint8Array, coalesce: boolean): Promise<void> {
    await this.call("event", { Name: name, Payload: Buffer.from(payload), Coalesce: coalesce }, false);
  }

  /** Members as the agent sees them. */
  async members(): Promise<{ Name: string; Status: string }[]> {
    const body = (await this.call("members", undefined, true)) as { Members: { Name: string; Status: string }[] };
    return body.Members;
  }

  /** Asks the agent to join another (addr "127.0.0.1:port"). */
  async join(addrs: readonly string[]): Promise<void> {
    await this.call("join", { Existing: addrs, Replay: false }, true);
  }

  /** Subscribes to events of `type` ("user", "member-failed", "*"); `onEvent` gets each with its arrival time. */
  async stream(type: string, onEvent: (event: SerfEvent, atMs: number) => void): Promise<void> {
    const seq = this.seq++;
    this.streams.set(seq, onEvent);
    await this.send(seq, "stream", { Type: type }, false);
  }

  close(): void {
    this.socket.destroy();
  }

  private call(command: string, body: unknown, bodyExpected: boolean): Promise<unknown> {
    return this.send(this.seq++, command, body, bodyExpected);
  }

  private send(seq: number, command: string, body: unknown, bodyExpected: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { bodyExpected, resolve, reject });
      const header = packr.pack({ Command: command, Seq: seq });
      this.socket.write(body === undefined ? header : Buffer.concat([header, packr.pack(body)]));
    });
  }

  private onObject(value: unknown): void {
    const atMs = nowMs();
    if (this.awaitingBodyFor !== null) {
      const seq = this.awaitingBodyFor;
      this.awaitingBodyFor = null;
      const call = this.pending.get(seq);
      if (call) {
        this.pending.delete(seq);
        call.resolve(value);
        return;
      }
      this.streams.get(seq)?.(value as SerfEvent, atMs);
      return;
    }
    const header = value as { Seq?: number; Error?: string };
    const seq = header.Seq ?? -1;
    const call = this.pending.get(seq);
    if (call) {
      if (header.Error) {
        this.pending.delete(seq);
        call.reject(new Error(`serf rpc: ${header.Error}`));
      } else if (call.bodyExpected) {
        this.awaitingBodyFor = seq;
      } else {
        this.pending.delete(seq);
        call.resolve(null);
      }
      return;
    }
    if (this.streams.has(seq)) this.awaitingBodyFor = seq;
  }

  private failAll(error: Error): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/** One running serf agent. */
export interface SerfAgent {
  readonly name: string;
  readonly bindPort: number;
  readonly rpcPort: number;
  readonly process: Tracked;
  rpc: SerfRpc | null;
}

/** Starts a serf agent on loopback; joins `joinPort` when given. */
export async function startSerfAgent(procs: ProcessTracker, serfBin: string, name: string, joinPort: number | null): Promise<SerfAgent> {
  const [bindPort, rpcPort] = (await freePorts(2)) as [number, number];
  const args = [
    "agent",
    `-node=${name}`,
    `-bind=127.0.0.1:${bindPort}`,
    `-rpc-addr=127.0.0.1:${rpcPort}`,
    "-log-level=err",
    "-profile=lan",
    ...(joinPort !== null ? [`-join=127.0.0.1:${joinPort}`] : []),
  ];
  const proc = procs.start(`serf-${name}`, serfBin, args);
  const agent: SerfAgent = { name, bindPort, rpcPort, process: proc, rpc: null };
  agent.rpc = await waitFor(`serf ${name} rpc`, SERF_START_MS, async () => {
    if (proc.exited) throw new Error(`serf agent ${name} exited`);
    try {
      return await SerfRpc.connect(rpcPort);
    } catch {
      return null;
    }
  });
  return agent;
}

/** Starts `count` agents, each joining the first; waits until all see `count` alive members. */
export async function startSerfCluster(procs: ProcessTracker, serfBin: string, count: number, prefix = "s"): Promise<SerfAgent[]> {
  const first = await startSerfAgent(procs, serfBin, `${prefix}1`, null);
  const agents = [first];
  const rest = await Promise.all(Array.from({ length: count - 1 }, (_, index) => startSerfAgent(procs, serfBin, `${prefix}${index + 2}`, first.bindPort)));
  agents.push(...rest);
  await waitFor(`serf cluster of ${count}`, 30_000 + count * 500, async () => {
    for (const agent of agents) {
      const members = await (agent.rpc as SerfRpc).members();
      if (members.filter((member) => member.Status === "alive").length < count) return false;
    }
    return true;
  });
  return agents;
}

/** Stops agents (SIGKILL by pid) and closes their RPC connections. */
export async function stopSerf(procs: ProcessTracker, agents: readonly SerfAgent[]): Promise<void> {
  for (const agent of agents) agent.rpc?.close();
  await Promise.all(agents.map((agent) => procs.kill(agent.process)));
  await sleep(50);
}

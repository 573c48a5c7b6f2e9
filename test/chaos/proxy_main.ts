// The fault-injecting TCP proxy between nodes (the kernel here has no netem). It runs in the
// hub namespace: peers reach node i at HUB:PROXY_PORT_BASE+i, and the proxy dials node i from
// the caller's alias address, so iptables rules in the nodes' namespaces still see who talks
// to whom. Each direction of each node pair can be delayed; bytes keep their order, a healed
// delay lets queued bytes out on their schedule. Commands come as JSON lines on stdin, answers
// go as JSON lines to stdout. `--blackhole` swallows every peer byte (the broken-build proof).
import { createServer, connect, type Socket } from "node:net";
import { createInterface } from "node:readline";

/** Queued bytes of one direction above which its source is paused (back-pressure). */
const QUEUE_BYTES_HIGH = 4 * 1024 * 1024;
/** Poll period while waiting for a healed link's queue to drain. */
const DRAIN_POLL_MS = 10;
/** A drain that takes longer than this is reported as failed (the link is stuck elsewhere). */
const DRAIN_DEADLINE_MS = 30_000;

/** Proxy configuration, passed as the first argument (JSON). */
export interface ProxyConfig {
  /** One listener per node. */
  readonly listeners: readonly { readonly node: string; readonly host: string; readonly port: number; readonly targetHost: string; readonly targetPort: number }[];
  /** Source address -> node id (own and alias addresses). */
  readonly nodeOfAddress: Readonly<Record<string, string>>;
  /** Node id -> alias address the proxy dials from on that node's behalf. */
  readonly aliasOf: Readonly<Record<string, string>>;
  readonly blackhole: boolean;
}

/** A request to the proxy: set a link's delay (0 heals it), or wait until its queue is empty. */
export type ProxyRequest =
  | { readonly op: "delay"; readonly from: string; readonly to: string; readonly ms: number }
  | { readonly op: "drain"; readonly from: string; readonly to: string };
/** A command on stdin: a request with the id its answer carries. */
export type ProxyCommand = ProxyRequest & { readonly id: number };

/** One direction of one proxied connection. */
class Direction {
  private readonly queue: { at: number; chunk: Buffer }[] = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    readonly key: string,
    private readonly source: Socket,
    private readonly sink: Socket,
    private readonly delayMs: () => number,
  ) {
    source.on("data", (chunk: Buffer) => this.push(chunk));
    source.on("end", () => {
      this.ended = true;
      this.pump();
    });
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  private push(chunk: Buffer): void {
    const now = Date.now();
    const at = Math.max(this.lastAt, now + this.delayMs());
    this.lastAt = at;
    this.queue.push({ at, chunk });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > QUEUE_BYTES_HIGH) this.source.pause();
    this.pump();
  }

  private pump(): void {
    const now = Date.now();
    while (this.queue.length > 0 && (this.queue[0] as { at: number }).at <= now) {
      const { chunk } = this.queue.shift() as { at: number; chunk: Buffer };
      this.queuedBytes -= chunk.length;
      if (!this.sink.destroyed) this.sink.write(chunk);
    }
    if (this.queuedBytes <= QUEUE_BYTES_HIGH && this.source.isPaused()) this.source.resume();
    if (this.queue.length === 0) {
      if (this.ended && !this.sink.destroyed) this.sink.end();
      return;
    }
    if (this.timer === null) {
      const waitMs = Math.max(0, (this.queue[0] as { at: number }).at - now);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, waitMs);
    }
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? "{}") as ProxyConfig;
  const delays = new Map<string, number>();
  const directions = new Set<Direction>();
  for (const listener of config.listeners) {
    const server = createServer({ pauseOnConnect: true }, (client) => {
      const from = config.nodeOfAddress[client.remoteAddress?.replace(/^::ffff:/, "") ?? ""] ?? "unknown";
      if (config.blackhole) {
        client.on("data", () => undefined);
        client.on("error", () => client.destroy());
        client.resume();
        return;
      }
      accept(client, from, listener.node, listener.targetHost, listener.targetPort, config.aliasOf[from], delays, directions);
    });
    server.on("error", (error) => report({ event: "error", error: error.message }));
    server.listen({ host: listener.host, port: listener.port }, () => report({ event: "listening", node: listener.node }));
  }
  const input = createInterface({ input: process.stdin });
  input.on("line", (line) => {
    const command = JSON.parse(line) as ProxyCommand;
    const key = `${command.from}>${command.to}`;
    if (command.op === "delay") {
      if (command.ms > 0) delays.set(key, command.ms);
      else delays.delete(key);
      report({ event: "done", id: command.id });
      return;
    }
    const deadline = Date.now() + DRAIN_DEADLINE_MS;
    const poll = (): void => {
      const busy = [...directions].some((direction) => direction.key === key && !direction.idle);
      if (!busy || Date.now() > deadline) report({ event: "done", id: command.id, drained: !busy });
      else setTimeout(poll, DRAIN_POLL_MS);
    };
    poll();
  });
  // The runner closes stdin to stop us.
  input.on("close", () => process.exit(0));
}

function accept(
  client: Socket,
  from: string,
  to: string,
  host: string,
  port: number,
  localAddress: string | undefined,
  delays: Map<string, number>,
  directions: Set<Direction>,
): void {
  const upstream = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const forward = new Direction(`${from}>${to}`, client, upstream, () => delays.get(`${from}>${to}`) ?? 0);
  const backward = new Direction(`${to}>${from}`, upstream, client, () => delays.get(`${to}>${from}`) ?? 0);
  directions.add(forward);
  directions.add(backward);
  const close = (): void => {
    forward.stop();
    backward.stop();
    directions.delete(forward);
    directions.delete(backward);
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", close);
  upstream.on("close", close);
  upstream.on("connect", () => client.resume());
}

function report(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

main();

// In-memory twins of the scheduler and the connection for unit tests (and later the
// simulator): simulated time, scripted name servers, no sockets. Never used in production.
import type { Clock } from "../core/clock.js";
import { ConnectionClosedError, TimeoutError, type NsError } from "../errors.js";
import { REQUEST_TIMEOUT_MS } from "../limits.js";
import { requestCodeName } from "../protocol/codes.js";
import type { Role } from "../protocol/messages/hello.js";
import { NodeLeavingError } from "./client_errors.js";
import type { Scheduler, TimerHandle } from "./scheduler.js";
import type { ClientConnection, ConnectionEvents, Dialer } from "./transport.js";

/** Rounds of microtasks flushed between fired timers; enough for a few chained awaits. */
const MICROTASK_ROUNDS = 50;

/** Lets pending promise callbacks run. */
export async function flushMicrotasks(rounds = MICROTASK_ROUNDS): Promise<void> {
  for (let round = 0; round < rounds; round++) await Promise.resolve();
}

/** A scheduler and clock on simulated time: timers fire only in advanceMs(). */
export class FakeScheduler implements Scheduler, Clock {
  private now: number;
  private nextId = 1;
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>();
  /** Every delay ever requested, in order, for backoff assertions. */
  readonly delaysMs: number[] = [];

  constructor(startMs = 1_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.delaysMs.push(delayMs);
    this.timers.set(id, { atMs: this.now + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Timers waiting. */
  get pendingCount(): number {
    return this.timers.size;
  }

  /** Advances time, firing due timers in order and flushing microtasks after each. */
  async advanceMs(ms: number): Promise<void> {
    const endMs = this.now + ms;
    await flushMicrotasks();
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.atMs <= endMs && timer.atMs < dueAt) {
          dueAt = timer.atMs;
          dueId = id;
        }
      }
      const timer = this.timers.get(dueId);
      if (!timer) break;
      this.timers.delete(dueId);
      this.now = Math.max(this.now, timer.atMs);
      timer.callback();
      await flushMicrotasks();
    }
    this.now = endMs;
    await flushMicrotasks();
  }
}

/** How a fake node answers one request. */
export type FakeReply = { readonly ok: unknown } | { readonly error: NsError } | { readonly hang: true };

/** One request a fake node received. */
export interface FakeRequest {
  readonly code: number;
  readonly codeName: string;
  readonly body: unknown;
  readonly role: Role;
  readonly conn: FakeConnection;
}

/** A scripted name server. */
export class FakeNode {
  ready = true;
  /** While true, dials fail with ConnectionClosedError (refused). */
  down = false;
  readonly requests: FakeRequest[] = [];
  readonly connections: FakeConnection[] = [];
  handler: (code: number, body: unknown) => FakeReply = () => ({ ok: {} });

  constructor(
    readonly addr: string,
    readonly nodeId: string,
  ) {}

  /** Open connections. */
  get openConnections(): FakeConnection[] {
    return this.connections.filter((conn) => !conn.closed);
  }

  /** Requests of one code name, e.g. "HEARTBEAT". */
  requestsOf(codeName: string): FakeRequest[] {
    return this.requests.filter((request) => request.codeName === codeName);
  }

  /** Pushes to every open connection. */
  push(code: number, body: unknown): void {
    for (const conn of this.openConnections) conn.events.onPush(code, body);
  }

  /** Closes every connection from the node side (a crash or restart). */
  dropConnections(): void {
    for (const conn of this.openConnections) conn.closeFromNode(new ConnectionClosedError(`node ${this.addr} closed the connection`));
  }

  /** Closes every connection as a draining node does (close code 1001, going away). */
  leave(): void {
    for (const conn of this.openConnections) conn.closeFromNode(new NodeLeavingError(`node ${this.addr} is shutting down`));
  }
}

/** The client end of a connection to a FakeNode. */
export class FakeConnection implements ClientConnection {
  readonly nodeId: string;
  readonly ready: boolean;
  private isClosed = false;
  private readonly pending = new Set<(error: Error) => void>();

  constructor(
    readonly node: FakeNode,
    readonly role: Role,
    readonly events: ConnectionEvents,
    private readonly scheduler: Scheduler,
  ) {
    this.nodeId = node.nodeId;
    this.ready = node.ready;
  }

  get addr(): string {
    return this.node.addr;
  }
  get closed(): boolean {
    return this.isClosed;
  }

  request(code: number, body: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError(`connection to ${this.addr} is closed`));
    this.node.requests.push({ code, codeName: requestCodeName(code), body, role: this.role, conn: this });
    const reply = this.node.handler(code, body);
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.scheduler.setTimer(timeoutMs, () => {
        this.pending.delete(fail);
        reject(new TimeoutError(`no answer from ${this.addr} within ${timeoutMs} ms`));
      });
      const fail = (error: Error): void => {
        this.scheduler.clearTimer(timer);
        reject(error);
      };
      this.pending.add(fail);
      if ("hang" in reply) return;
      void Promise.resolve().then(() => {
        if (!this.pending.delete(fail)) return;
        this.scheduler.clearTimer(timer);
        if ("ok" in reply) resolve(reply.ok);
        else reject(reply.error);
      });
    });
  }

  close(): void {
    this.finish(null);
  }

  /** The node side closes: pending requests fail and the owner hears onClose(error). */
  closeFromNode(error: Error): void {
    this.finish(error);
  }

  private finish(error: Error | null): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const fail of [...this.pending]) fail(new ConnectionClosedError(`connection to ${this.addr} closed`, { cause: error ?? undefined }));
    this.pending.clear();
    this.events.onClose(error);
  }
}

/** A set of fake nodes and a Dialer reaching them. */
export class FakeNetwork {
  readonly nodes = new Map<string, FakeNode>();
  /** Every dial attempt, in order, by address. */
  readonly dials: string[] = [];

  constructor(private readonly scheduler: Scheduler) {}

  /** Adds a node at `addr`. */
  addNode(addr: string, nodeId = addr): FakeNode {
    const node = new FakeNode(addr, nodeId);
    this.nodes.set(addr, node);
    return node;
  }

  /** The node at `addr`; throws when absent (a test bug). */
  node(addr: string): FakeNode {
    const node = this.nodes.get(addr);
    if (!node) throw new Error(`no fake node at ${addr}`);
    return node;
  }

  readonly dialer: Dialer = async (addr, role, events) => {
    this.dials.push(addr);
    await Promise.resolve();
    const node = this.nodes.get(addr);
    if (!node || node.down) throw new ConnectionClosedError(`connection to ${addr} failed: connect ECONNREFUSED`);
    const conn = new FakeConnection(node, role, events, this.scheduler);
    node.connections.push(conn);
    return conn;
  };
}

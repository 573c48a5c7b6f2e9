// NodeHost: owns the NameServerNode on behalf of the shell. Every core call goes through
// run(), which reads the clock, calls the core, then carries out the queued effects in order.
import type { Effect } from "../core/effects.js";
import type { Clock } from "../core/clock.js";
import type { NameServerNode } from "../core/node.js";
import type { ConnectionId } from "../model/types.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import { unreachable } from "../assert.js";
import { LimitExceededError } from "../errors.js";
import type { Logger } from "./logger.js";

/** What a connection must offer for effects to reach it. */
export interface EffectTarget {
  /** Sends a ROUTE_CHANGED push frame. */
  push(body: RouteChangedPush): void;
  /** Closes the connection because the core asked to. */
  closeByCore(reason: string): void;
}

/** Effects addressed to peers: carried out by the gossip shell. */
export type PeerEffect = Extract<Effect, { kind: "peerSend" } | { kind: "dialPeer" }>;

/** Optional hooks for effects the server does not carry out itself. */
export interface NodeHostHooks {
  /** Messages for peers and peers to dial (the gossip shell); dropped when absent. */
  readonly onGossip?: (effect: PeerEffect) => void;
  /** KV records changed (KV persistence): the core's kvChanged effect. */
  readonly onKvChanged?: () => void;
  /**
   * Resolves once every KV change so far is durable on this node (KV persistence); rejects
   * with KvNotDurableError when it cannot be. Absent (no --data-dir): writes are acknowledged
   * at once.
   */
  readonly kvDurable?: () => Promise<void>;
  /** Every core log record, after it was logged (the server's events timeline reads them). */
  readonly onCoreLog?: (msg: string, fields: Readonly<Record<string, unknown>>) => void;
}

/**
 * Local KV writes waiting for the disk at once, all ports together: one write of kv.json covers
 * them all, so this bounds only the memory of their pending answers (a few hundred bytes each).
 * Past it a write is refused (LIMIT_EXCEEDED) before it changes anything.
 */
export const KV_WRITES_WAITING_MAX = 10_000;

/** Upper bound on effect-draining rounds in one run(): effects that cause effects must settle. */
const EFFECT_ROUNDS_MAX = 64;

/** Runs core calls and carries out their effects. */
export class NodeHost {
  private readonly targets = new Map<ConnectionId, EffectTarget>();
  private nextConnId: ConnectionId = 1;
  private draining = false;
  private kvWritesWaiting = 0;

  constructor(
    readonly node: NameServerNode,
    readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hooks: NodeHostHooks = {},
  ) {}

  /** Allocates a connection id and registers where its effects go. */
  attach(target: EffectTarget): ConnectionId {
    const connId = this.nextConnId;
    this.nextConnId += 1;
    this.targets.set(connId, target);
    return connId;
  }

  /** Forgets a closed connection and tells the core. */
  detach(connId: ConnectionId): void {
    if (!this.targets.delete(connId)) return;
    this.run((nowMs) => this.node.connectionClosed(connId, nowMs));
  }

  /** Number of attached connections. */
  get connectionCount(): number {
    return this.targets.size;
  }

  /** Calls the core with the current time, then carries out its effects (also when it throws). */
  run<T>(call: (nowMs: number) => T): T {
    try {
      return call(this.clock.nowMs());
    } finally {
      this.drain();
    }
  }

  /**
   * Runs a local KV put or delete, the same for every port, and resolves once it is durable on
   * this node: the change is applied (and gossiped) at once, the answer waits for the disk.
   * Rejects with KvNotDurableError when the write to disk fails (the change stays applied), and
   * with LimitExceededError, changing nothing, when KV_WRITES_WAITING_MAX writes already wait.
   */
  async writeKv(call: (nowMs: number) => void): Promise<void> {
    if (this.kvWritesWaiting >= KV_WRITES_WAITING_MAX) {
      throw new LimitExceededError("KV_WRITES_WAITING_MAX", `at most ${KV_WRITES_WAITING_MAX} kv writes may wait for the disk at once`);
    }
    this.run(call);
    const durable = this.hooks.kvDurable;
    if (!durable) return;
    this.kvWritesWaiting += 1;
    try {
      await durable();
    } finally {
      this.kvWritesWaiting -= 1;
    }
  }

  /** Carries out queued effects; a nested call (an effect causing a core call) is a no-op. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let round = 0; round < EFFECT_ROUNDS_MAX; round += 1) {
        const effects = this.node.takeEffects();
        if (effects.length === 0) return;
        for (const effect of effects) this.carryOut(effect);
      }
      this.logger.error({ roundsMax: EFFECT_ROUNDS_MAX }, "effects did not settle");
    } finally {
      this.draining = false;
    }
  }

  private carryOut(effect: Effect): void {
    switch (effect.kind) {
      case "push":
        this.targets.get(effect.connId)?.push(effect.body);
        return;
      case "closeConnection":
        this.targets.get(effect.connId)?.closeByCore(effect.reason);
        return;
      case "peerSend":
      case "dialPeer":
        this.hooks.onGossip?.(effect);
        return;
      case "log":
        this.logger[effect.level](effect.fields, effect.msg);
        this.hooks.onCoreLog?.(effect.msg, effect.fields);
        return;
      case "kvChanged":
        this.hooks.onKvChanged?.();
        return;
      default:
        unreachable(effect);
    }
  }
}

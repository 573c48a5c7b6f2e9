// RouteClient: route lookups for producers and consumers. Asks one name server (picked with
// the injected Rng), fails over to the next on retriable errors within one call, caches
// routes, and keeps route subscriptions across reconnects. Time, randomness and timers are
// injected (Clock, Rng, Scheduler, Dialer) so the logic runs in the simulator unchanged.
import type { Clock, Rng } from "../core/clock.js";
import { backoffMs, nextIndex } from "../core/clock.js";
import type { ClusterInfo, TopicRouteData } from "../model/types.js";
import {
  ConnectionClosedError,
  LimitExceededError,
  NotFoundError,
  NotReadyError,
  NsError,
} from "../errors.js";
import {
  REDIAL_BACKOFF_MS_MAX,
  REDIAL_BACKOFF_MS_MIN,
  REDIAL_JITTER_RATIO,
} from "../limits.js";
import { PushCode, RequestCode } from "../protocol/codes.js";
import type { RouteChangedPush } from "../protocol/messages/subscribe.js";
import { checkKvKey, checkKvValue, checkName, checkTopic } from "../protocol/validate.js";
import { NameServersUnavailableError, NodeLeavingError, type AttemptFailure } from "./client_errors.js";
import { LISTENERS_PER_TOPIC_MAX, ROUTE_CACHE_ENTRIES_MAX, SUBSCRIBED_TOPICS_PER_CLIENT_MAX } from "./client_limits.js";
import { NativeConnection } from "./connection.js";
import { resolvingDialer } from "./name_server_dns.js";
import { systemResolver } from "../transport/dns.js";
import {
  decodeClusterInfoResponse,
  decodeCountResponse,
  decodeKvTableResponse,
  decodeKvValueResponse,
  decodeRouteChangedPush,
  decodeRouteResponse,
  decodeTopicsResponse,
} from "./responses.js";
import { RealScheduler, silentLogger, type ClientLogger, type Scheduler, type TimerHandle } from "./scheduler.js";
import type { ClientConnection, Dialer } from "./transport.js";
import { checkRouteClientOptions, type RouteClientOptions, type Settings } from "./route_client_options.js";

export { checkRouteClientOptions, type RouteClientOptions } from "./route_client_options.js";

export type RouteListener = (change: RouteChangedPush) => void;

/** A live subscription; `unsubscribe()` stops its listener. */
export interface RouteSubscription {
  readonly topics: readonly string[];
  unsubscribe(): void;
}

interface CachedRoute {
  readonly route: TopicRouteData;
  readonly expiresAtMs: number;
}

interface TopicFollow {
  revision: string | null;
  /** The last push delivered, handed to listeners that join a topic already followed. */
  last: RouteChangedPush | null;
  readonly listeners: Set<RouteListener>;
}

interface Current {
  readonly conn: ClientConnection;
  readonly index: number;
}

/** Route lookups, admin calls and route subscriptions against a name server cluster. */
export class RouteClient {
  private readonly settings: Settings;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly scheduler: Scheduler;
  private readonly dialer: Dialer;
  private readonly logger: ClientLogger;
  private current: Current | null = null;
  private readonly dialing = new Map<number, Promise<ClientConnection>>();
  private readonly cache = new Map<string, CachedRoute>();
  private readonly follows = new Map<string, TopicFollow>();
  private redialTimer: TimerHandle | null = null;
  private redialAttempt = 0;
  private redialIndex = 0;
  private isClosed = false;

  constructor(options: RouteClientOptions) {
    this.settings = checkRouteClientOptions(options);
    this.clock = options.clock;
    this.rng = options.rng;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger ?? silentLogger;
    const dialer =
      options.dialer ??
      NativeConnection.dialer({
        scheduler: this.scheduler,
        requestTimeoutMs: this.settings.requestTimeoutMs,
        connectTimeoutMs: this.settings.requestTimeoutMs,
        logger: this.logger,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      });
    this.dialer = this.settings.dnsLookup ? resolvingDialer(dialer, options.resolver ?? systemResolver, this.rng, this.logger) : dialer;
  }

  /** The name servers this client uses, validated and de-duplicated. */
  get nameServers(): readonly string[] {
    return this.settings.nameServers;
  }

  /** The node the client is connected to now, if any. */
  get connectedAddr(): string | null {
    return this.current && !this.current.conn.closed ? this.current.conn.addr : null;
  }

  // ---- Queries ---------------------------------------------------------------------------

  /**
   * The route of `topic`, from the cache while it is younger than cacheMs. Throws
   * NotFoundError when the topic has no route (not retried elsewhere: every ready node
   * answers the same), NameServersUnavailableError when no node answered.
   */
  async getRoute(topic: string): Promise<TopicRouteData> {
    checkTopic("topic", topic);
    const cached = this.cache.get(topic);
    if (cached && this.clock.nowMs() < cached.expiresAtMs) return cached.route;
    try {
      const route = await this.call(RequestCode.GET_ROUTE, { topic }, decodeRouteResponse);
      this.cacheRoute(topic, route);
      return route;
    } catch (error) {
      if (error instanceof NotFoundError) this.cache.delete(topic);
      throw error;
    }
  }

  /** Drops a cached route so the next getRoute asks a node. */
  invalidate(topic: string): void {
    this.cache.delete(topic);
  }

  /** brokerAddrTable and clusterAddrTable of the cluster. */
  getClusterInfo(): Promise<ClusterInfo> {
    return this.call(RequestCode.GET_CLUSTER_INFO, {}, decodeClusterInfoResponse);
  }

  /** Topic names, sorted; only those of `clusterName` when given. */
  getTopics(clusterName?: string): Promise<string[]> {
    const body = clusterName === undefined ? {} : { clusterName: checkName("clusterName", clusterName) };
    return this.call(RequestCode.GET_TOPICS, body, decodeTopicsResponse);
  }

  // ---- KV and admin ----------------------------------------------------------------------

  /** The value of a KV key, or null when absent. */
  async kvGet(namespace: string, key: string): Promise<string | null> {
    const body = { namespace: checkKvKey("namespace", namespace), key: checkKvKey("key", key) };
    try {
      return await this.call(RequestCode.KV_GET, body, decodeKvValueResponse);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  /** Sets a KV key; one node takes it and the cluster replicates it. */
  async kvPut(namespace: string, key: string, value: string): Promise<void> {
    const body = { namespace: checkKvKey("namespace", namespace), key: checkKvKey("key", key), value: checkKvValue("value", value) };
    await this.call(RequestCode.KV_PUT, body, () => undefined);
  }

  /** Deletes a KV key (no error when absent). */
  async kvDelete(namespace: string, key: string): Promise<void> {
    const body = { namespace: checkKvKey("namespace", namespace), key: checkKvKey("key", key) };
    await this.call(RequestCode.KV_DELETE, body, () => undefined);
  }

  /** Every key of a namespace; empty when the namespace holds none. */
  async kvList(namespace: string): Promise<Record<string, string>> {
    const body = { namespace: checkKvKey("namespace", namespace) };
    try {
      return await this.call(RequestCode.KV_LIST, body, decodeKvTableResponse);
    } catch (error) {
      if (error instanceof NotFoundError) return {};
      throw error;
    }
  }

  /** Deletes a topic from every broker, or from one cluster's brokers. */
  async deleteTopic(topic: string, clusterName?: string): Promise<void> {
    const body = { topic: checkTopic("topic", topic), clusterName: clusterName === undefined ? null : checkName("clusterName", clusterName) };
    await this.call(RequestCode.DELETE_TOPIC, body, () => undefined);
    this.cache.delete(topic);
  }

  /** Removes write permission from a broker name's topics; returns how many topics changed. */
  wipeWritePerm(brokerName: string): Promise<number> {
    const body = { brokerName: checkName("brokerName", brokerName) };
    return this.call(RequestCode.WIPE_WRITE_PERM, body, (b) => decodeCountResponse(b, "wipe write perm"));
  }

  /** Gives write permission back to a broker name's topics; returns how many changed. */
  addWritePerm(brokerName: string): Promise<number> {
    const body = { brokerName: checkName("brokerName", brokerName) };
    return this.call(RequestCode.ADD_WRITE_PERM, body, (b) => decodeCountResponse(b, "add write perm"));
  }

  // ---- Subscriptions ---------------------------------------------------------------------

  /**
   * Follows route changes of `topics`. Resolves once a node acknowledged the subscription
   * (the node then pushes the current route of each topic); from then on the client keeps
   * it across reconnects, resuming from the revision it holds. Rejects (and forgets the
   * subscription) when no node answered.
   */
  async subscribe(topics: readonly string[], listener: RouteListener): Promise<RouteSubscription> {
    const names = [...new Set(topics.map((topic, index) => checkTopic(`topics[${index}]`, topic)))];
    const fresh = names.filter((topic) => !this.follows.has(topic));
    if (this.follows.size + fresh.length > SUBSCRIBED_TOPICS_PER_CLIENT_MAX) {
      throw new LimitExceededError("SUBSCRIBED_TOPICS_PER_CLIENT_MAX", `a client may follow at most ${SUBSCRIBED_TOPICS_PER_CLIENT_MAX} topics, got ${this.follows.size + fresh.length}`);
    }
    for (const topic of names) {
      const listeners = this.follows.get(topic)?.listeners.size ?? 0;
      if (listeners >= LISTENERS_PER_TOPIC_MAX) {
        throw new LimitExceededError("LISTENERS_PER_TOPIC_MAX", `topic '${topic}' has ${listeners} listeners already`);
      }
    }
    for (const topic of names) {
      const follow = this.follows.get(topic) ?? { revision: null, last: null, listeners: new Set<RouteListener>() };
      follow.listeners.add(listener);
      this.follows.set(topic, follow);
    }
    const heldBefore = new Map(names.map((topic) => [topic, this.follows.get(topic)?.revision ?? null]));
    const subscription: RouteSubscription = { topics: names, unsubscribe: () => this.unsubscribe(names, listener) };
    try {
      // Topics followed already keep their revision: the node then pushes only changes, and
      // the new listener gets the last known route from us below.
      const body = { topics: names.map((topic) => ({ topic, revision: this.follows.get(topic)?.revision ?? null })) };
      await this.call(RequestCode.SUBSCRIBE, body, (b) => decodeCountResponse(b, "subscribe"));
    } catch (error) {
      subscription.unsubscribe();
      throw error;
    }
    for (const topic of names) {
      // Only when no push reached the listener meanwhile (that push was newer).
      const last = fresh.includes(topic) ? null : (this.follows.get(topic)?.last ?? null);
      if (last && last.revision === heldBefore.get(topic)) this.deliver(listener, last);
    }
    return subscription;
  }

  /** Topics followed now, with the revision held for each. */
  subscribedTopics(): Map<string, string | null> {
    return new Map([...this.follows].map(([topic, follow]) => [topic, follow.revision]));
  }

  /** Closes the connection and stops redialing; later calls reject. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.cancelRedial();
    const current = this.current;
    this.current = null;
    current?.conn.close("route client closed");
    this.follows.clear();
    this.cache.clear();
  }

  // ---- Failover --------------------------------------------------------------------------

  /**
   * Sends one request to one node, failing over to the next node (in list order from a
   * random start, or from the connected node) on retriable errors. Non-retriable errors
   * (not found, invalid argument) are thrown at once.
   */
  private async call<T>(code: number, body: unknown, decode: (answer: unknown) => T): Promise<T> {
    if (this.isClosed) throw new ConnectionClosedError("route client is closed");
    const count = this.settings.nameServers.length;
    const live = this.current && !this.current.conn.closed ? this.current : null;
    const start = live ? live.index : nextIndex(this.rng, count);
    const failures: AttemptFailure[] = [];
    for (let step = 0; step < count; step++) {
      const index = (start + step) % count;
      const addr = this.settings.nameServers[index] as string;
      try {
        const conn = await this.connectionTo(index);
        return decode(await conn.request(code, body, this.settings.requestTimeoutMs));
      } catch (error) {
        if (!(error instanceof NsError) || !error.retriable) throw error;
        if (this.isClosed) throw error;
        failures.push({ addr, error });
        this.logger.warn({ addr, code, err: error.message }, "name server failed, trying the next");
        this.dropConnection(index);
      }
    }
    throw new NameServersUnavailableError(failures);
  }

  /** The open connection to node `index`, dialling it (once, shared) when needed. */
  private connectionTo(index: number): Promise<ClientConnection> {
    if (this.current && this.current.index === index && !this.current.conn.closed) {
      return Promise.resolve(this.current.conn);
    }
    let dialing = this.dialing.get(index);
    if (!dialing) {
      dialing = this.dial(index);
      this.dialing.set(index, dialing);
      const forget = (): void => {
        this.dialing.delete(index);
      };
      dialing.then(forget, forget);
    }
    return dialing;
  }

  private async dial(index: number): Promise<ClientConnection> {
    const addr = this.settings.nameServers[index] as string;
    const holder: { conn: ClientConnection | null } = { conn: null };
    const conn = await this.dialer(addr, "client", {
      onPush: (code, body) => this.onPush(holder.conn, code, body),
      onClose: (error) => this.onConnectionClosed(holder.conn, error),
    });
    holder.conn = conn;
    if (this.isClosed) {
      conn.close("route client closed");
      throw new ConnectionClosedError("route client is closed");
    }
    if (!conn.ready) {
      conn.close("node not ready");
      throw new NotReadyError(`name server ${addr} (node ${conn.nodeId}) is not ready yet`);
    }
    const previous = this.current;
    this.current = { conn, index };
    if (previous && previous.conn !== conn) previous.conn.close("switched to another name server");
    this.logger.debug({ addr, nodeId: conn.nodeId }, "connected to name server");
    if (this.follows.size > 0) await this.resubscribe(conn);
    return conn;
  }

  /** Re-sends every followed topic with the revision held, so the node pushes only changes. */
  private async resubscribe(conn: ClientConnection): Promise<void> {
    const topics = [...this.follows].map(([topic, follow]) => ({ topic, revision: follow.revision }));
    try {
      await conn.request(RequestCode.SUBSCRIBE, { topics }, this.settings.requestTimeoutMs);
      this.redialAttempt = 0;
      this.cancelRedial();
      this.logger.info({ addr: conn.addr, topics: topics.length }, "route subscriptions resumed");
    } catch (error) {
      if (this.current?.conn === conn) this.current = null;
      conn.close("resubscribe failed");
      throw error;
    }
  }

  /** Closes the connection to node `index` after a failure there; keeps subscriptions alive. */
  private dropConnection(index: number): void {
    const current = this.current;
    if (!current || current.index !== index) return;
    this.current = null;
    current.conn.close("failing over");
    this.redialIndex = index + 1;
    this.scheduleRedial();
  }

  private onConnectionClosed(conn: ClientConnection | null, error: Error | null): void {
    if (!conn || this.current?.conn !== conn) return;
    this.current = null;
    this.redialIndex = this.settings.nameServers.indexOf(conn.addr) + 1;
    if (error instanceof NodeLeavingError) {
      // A draining node: move the subscriptions to the next node now, without backing off.
      this.logger.info({ addr: conn.addr }, "name server leaving; moving to the next");
      this.redialAttempt = 0;
      this.cancelRedial();
      this.redial();
      return;
    }
    this.logger.warn({ addr: conn.addr, err: error?.message ?? null }, "name server connection lost");
    this.scheduleRedial();
  }

  // ---- Redial (subscriptions only) -------------------------------------------------------

  private scheduleRedial(): void {
    if (this.isClosed || this.follows.size === 0 || this.redialTimer !== null) return;
    const delayMs = backoffMs(this.rng, this.redialAttempt, REDIAL_BACKOFF_MS_MIN, REDIAL_BACKOFF_MS_MAX, REDIAL_JITTER_RATIO);
    this.redialAttempt += 1;
    this.redialTimer = this.scheduler.setTimer(delayMs, () => {
      this.redialTimer = null;
      this.redial();
    });
  }

  private redial(): void {
    if (this.isClosed || this.follows.size === 0) return;
    if (this.current && !this.current.conn.closed) return;
    const index = this.redialIndex % this.settings.nameServers.length;
    this.connectionTo(index).then(
      (conn) => this.logger.info({ addr: conn.addr }, "reconnected to name server"),
      (error: unknown) => {
        this.logger.warn({ addr: this.settings.nameServers[index], err: (error as Error).message }, "redial failed");
        this.redialIndex = index + 1;
        this.scheduleRedial();
      },
    );
  }

  private cancelRedial(): void {
    if (this.redialTimer === null) return;
    this.scheduler.clearTimer(this.redialTimer);
    this.redialTimer = null;
  }

  // ---- Pushes and cache -------------------------------------------------------------------

  private onPush(conn: ClientConnection | null, code: number, body: unknown): void {
    if (!conn || this.current?.conn !== conn) return;
    if (code !== PushCode.ROUTE_CHANGED) {
      this.logger.debug({ addr: conn.addr, code }, "unknown push ignored");
      return;
    }
    let push: RouteChangedPush;
    try {
      push = decodeRouteChangedPush(body);
    } catch (error) {
      this.logger.warn({ addr: conn.addr, err: (error as Error).message }, "malformed push ignored");
      return;
    }
    const follow = this.follows.get(push.topic);
    if (!follow || follow.revision === push.revision) return;
    follow.revision = push.revision;
    follow.last = push;
    if (push.route) this.cacheRoute(push.topic, push.route);
    else this.cache.delete(push.topic);
    for (const listener of [...follow.listeners]) this.deliver(listener, push);
  }

  private deliver(listener: RouteListener, push: RouteChangedPush): void {
    try {
      listener(push);
    } catch (error) {
      this.logger.error({ topic: push.topic, err: (error as Error).message }, "route listener threw");
    }
  }

  private unsubscribe(topics: readonly string[], listener: RouteListener): void {
    const gone: string[] = [];
    for (const topic of topics) {
      const follow = this.follows.get(topic);
      if (!follow || !follow.listeners.delete(listener) || follow.listeners.size > 0) continue;
      this.follows.delete(topic);
      gone.push(topic);
    }
    if (this.follows.size === 0) this.cancelRedial();
    const conn = this.current?.conn;
    if (gone.length === 0 || !conn || conn.closed) return;
    conn.request(RequestCode.UNSUBSCRIBE, { topics: gone }, this.settings.requestTimeoutMs).then(
      () => undefined,
      (error: unknown) => this.logger.debug({ addr: conn.addr, err: (error as Error).message }, "unsubscribe failed"),
    );
  }

  private cacheRoute(topic: string, route: TopicRouteData): void {
    if (this.settings.cacheMs === 0) return;
    this.cache.delete(topic);
    if (this.cache.size >= ROUTE_CACHE_ENTRIES_MAX) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(topic, { route, expiresAtMs: this.clock.nowMs() + this.settings.cacheMs });
  }
}

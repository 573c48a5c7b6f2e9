// BrokerAgent: the broker side of registration. Keeps one connection to EVERY name server,
// registers in full on connect and every registerIntervalMs, heartbeats (bootEpoch, seq)
// every heartbeatMs, redials with backoff and jitter, and unregisters on stop(). Time,
// randomness, timers and connections are injected so the loop runs in the simulator.
import type { Clock, Rng } from "../core/clock.js";
import { backoffMs } from "../core/clock.js";
import type { TopicConfig } from "../model/types.js";
import { NsError } from "../errors.js";
import {
  REDIAL_BACKOFF_MS_MAX,
  REDIAL_BACKOFF_MS_MIN,
  REDIAL_JITTER_RATIO,
} from "../limits.js";
import { RequestCode } from "../protocol/codes.js";
import { AGENT_REGISTER_RETRY_MS, AGENT_STOP_WAIT_MS, NAME_SERVER_DNS_INTERVAL_MS, NAME_SERVERS_MAX } from "../client/client_limits.js";
import { DnsWatch, systemResolver, type DnsChange } from "../transport/dns.js";
import { ipVersionOf } from "../transport/addresses.js";
import { NodeLeavingError } from "../client/client_errors.js";
import { NativeConnection } from "../client/connection.js";
import { decodeHeartbeatResponse, decodeRegisterResponse } from "../client/responses.js";
import { RealScheduler, silentLogger, type ClientLogger, type Scheduler, type TimerHandle } from "../client/scheduler.js";
import type { ClientConnection, Dialer } from "../client/transport.js";
import { checkBrokerAgentOptions, checkTopics, type AgentEvent, type AgentSettings, type BrokerAgentOptions, type TopicConfigInput } from "./agent_options.js";

export {
  type AgentEvent,
  checkBrokerAgentOptions,
  checkTopics,
  type AgentSettings,
  type BrokerAgentOptions,
  type TopicConfigInput,
} from "./agent_options.js";

/** The agent's view of one name server. */
export interface AgentLinkStatus {
  readonly addr: string;
  readonly connected: boolean;
  readonly registered: boolean;
  readonly nodeId: string | null;
}


interface Link {
  readonly addr: string;
  /** With dnsLookup: the name the node's TLS certificate is checked against. */
  readonly tlsServerName: string | null;
  /** With dnsLookup: gone from DNS; dropped (never redialed) once its connection closes. */
  retired: boolean;
  conn: ClientConnection | null;
  registered: boolean;
  everConnected: boolean;
  attempt: number;
  closeReason: string | null;
  redialTimer: TimerHandle | null;
  heartbeatTimer: TimerHandle | null;
  registerTimer: TimerHandle | null;
  heartbeatInFlight: boolean;
  registerInFlight: boolean;
  registerAgain: boolean;
}

/** Registers a broker with every name server and keeps it alive there. */
export class BrokerAgent {
  private readonly settings: AgentSettings;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly scheduler: Scheduler;
  private readonly dialer: Dialer;
  private readonly logger: ClientLogger;
  private readonly onEvent: (event: AgentEvent) => void;
  private readonly links: Link[];
  /** With dnsLookup: one watch per name server entry. */
  private readonly watches: DnsWatch[];
  private topics: readonly TopicConfig[];
  private bootEpoch = 0;
  private seq = 0;
  private counter = 0;
  private started = false;
  private stopping: Promise<void> | null = null;

  constructor(options: BrokerAgentOptions) {
    this.settings = checkBrokerAgentOptions(options);
    this.topics = this.settings.topics;
    this.clock = options.clock;
    this.rng = options.rng;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger ?? silentLogger;
    this.onEvent = options.onEvent ?? (() => undefined);
    this.dialer =
      options.dialer ??
      NativeConnection.dialer({
        scheduler: this.scheduler,
        requestTimeoutMs: this.settings.requestTimeoutMs,
        connectTimeoutMs: this.settings.requestTimeoutMs,
        logger: this.logger,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      });
    const dnsLookup = this.settings.dnsLookup;
    this.links = dnsLookup ? [] : this.settings.nameServers.map((addr) => newLink(addr, null));
    const resolver = options.resolver ?? systemResolver;
    this.watches = !dnsLookup ? [] : this.settings.nameServers.map((target) => {
      const watch: DnsWatch = new DnsWatch({
        target, resolver, scheduler: this.scheduler, intervalMs: NAME_SERVER_DNS_INTERVAL_MS, addressesMax: NAME_SERVERS_MAX,
        logger: this.logger, onChange: (change) => this.onDnsChange(watch.hostName, change),
      });
      return watch;
    });
  }

  /** The validated settings. */
  get config(): AgentSettings {
    return this.settings;
  }

  /** The boot epoch (clock reading at start); 0 before start. */
  get epoch(): number {
    return this.bootEpoch;
  }

  /** The last heartbeat sequence number used. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Per name server: connected, registered, node id. */
  status(): AgentLinkStatus[] {
    return this.links.map((link) => ({
      addr: link.addr,
      connected: link.conn !== null && !link.conn.closed,
      registered: link.registered,
      nodeId: link.conn?.nodeId ?? null,
    }));
  }

  /** Dials every name server concurrently; registration follows each connect. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.bootEpoch = this.clock.nowMs();
    this.logger.info({ bootEpoch: this.bootEpoch, nameServers: this.settings.nameServers, dnsLookup: this.settings.dnsLookup }, "broker agent starting");
    for (const link of this.links) this.connect(link);
    for (const watch of this.watches) watch.start();
  }

  /** Replaces the topic set: bumps the dataVersion counter and re-registers everywhere. */
  setTopics(topics: readonly TopicConfigInput[]): void {
    this.topics = checkTopics(topics);
    this.counter += 1;
    if (!this.started || this.stopping) return;
    for (const link of this.links) if (link.conn && !link.conn.closed) this.register(link);
  }

  /**
   * Unregisters from every connected node (bounded by AGENT_STOP_WAIT_MS) and closes all
   * connections. Resolves when done; never rejects. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  // ---- Connection lifecycle --------------------------------------------------------------

  /**
   * A name server entry's addresses changed (dnsLookup): new ones are dialed, vanished ones
   * retired; a retired link keeps its connection (and registration) until it closes.
   */
  private onDnsChange(host: string, change: DnsChange): void {
    if (this.stopping) return;
    this.logger.info({ name: host, added: change.added, removed: change.removed }, "name server addresses changed");
    for (const addr of change.added) {
      const link = this.links.find((candidate) => candidate.addr === addr);
      if (link) link.retired = false;
      else if (this.links.length >= NAME_SERVERS_MAX) this.logger.warn({ addr, linksMax: NAME_SERVERS_MAX }, "name server address not used: too many");
      else {
        const added = newLink(addr, ipVersionOf(host) === 0 ? host : null);
        this.links.push(added);
        this.connect(added);
      }
    }
    for (const addr of change.removed) {
      const link = this.links.find((candidate) => candidate.addr === addr);
      if (!link || this.watches.some((watch) => watch.addresses.includes(addr))) continue;
      link.retired = true;
      if (link.conn === null) this.dropLink(link);
    }
  }

  /** Forgets a retired link: no redial, no status. */
  private dropLink(link: Link): void {
    this.clearTimer(link, "redialTimer");
    const index = this.links.indexOf(link);
    if (index >= 0) this.links.splice(index, 1);
  }

  private connect(link: Link): void {
    const holder: { conn: ClientConnection | null } = { conn: null };
    const events = { onPush: () => undefined, onClose: (error: Error | null) => this.onClosed(link, holder.conn, error) };
    const dialing = link.tlsServerName === null ? this.dialer(link.addr, "broker", events) : this.dialer(link.addr, "broker", events, link.tlsServerName);
    dialing.then(
      (conn) => {
        holder.conn = conn;
        this.onConnected(link, conn);
      },
      (error: unknown) => {
        this.logger.debug({ addr: link.addr, err: (error as Error).message }, "name server dial failed");
        this.scheduleRedial(link);
      },
    );
  }

  private onConnected(link: Link, conn: ClientConnection): void {
    if (this.stopping) {
      conn.close("broker agent stopping");
      return;
    }
    link.conn = conn;
    link.closeReason = null;
    if (link.everConnected) {
      this.logger.info({ addr: link.addr, nodeId: conn.nodeId }, "name server reconnected");
      this.emit({ kind: "reconnected", addr: link.addr, nodeId: conn.nodeId });
    }
    link.everConnected = true;
    this.register(link);
  }

  private onClosed(link: Link, conn: ClientConnection | null, error: Error | null): void {
    if (!conn || link.conn !== conn) return;
    const reason = link.closeReason ?? error?.message ?? "closed";
    link.conn = null;
    link.registered = false;
    link.heartbeatInFlight = false;
    link.registerInFlight = false;
    link.registerAgain = false;
    this.clearTimer(link, "heartbeatTimer");
    this.clearTimer(link, "registerTimer");
    if (this.stopping) return;
    // A draining node is no failure: the registrations with the other nodes carry on, and this
    // address is redialed as usual, so the node is found again once it is back.
    if (error instanceof NodeLeavingError) this.logger.info({ addr: link.addr, reason }, "name server leaving; redialing it later");
    else this.logger.warn({ addr: link.addr, reason }, "name server connection lost");
    this.emit({ kind: "lost", addr: link.addr, reason });
    this.scheduleRedial(link);
  }

  /** Closes a link after a failure; onClosed then schedules the redial. */
  private drop(link: Link, reason: string): void {
    if (!link.conn) return;
    link.closeReason = reason;
    link.conn.close(reason);
  }

  private scheduleRedial(link: Link): void {
    if (this.stopping || link.redialTimer !== null) return;
    if (link.retired) return this.dropLink(link);
    const delayMs = backoffMs(this.rng, link.attempt, REDIAL_BACKOFF_MS_MIN, REDIAL_BACKOFF_MS_MAX, REDIAL_JITTER_RATIO);
    link.attempt += 1;
    link.redialTimer = this.scheduler.setTimer(delayMs, () => {
      link.redialTimer = null;
      if (!this.stopping) this.connect(link);
    });
  }

  // ---- Registration and heartbeats -------------------------------------------------------

  private register(link: Link): void {
    const conn = link.conn;
    if (!conn || this.stopping) return;
    if (link.registerInFlight) {
      link.registerAgain = true;
      return;
    }
    link.registerInFlight = true;
    this.clearTimer(link, "registerTimer");
    const seq = this.nextSeq();
    conn.request(RequestCode.REGISTER_BROKER, this.registrationBody(seq), this.settings.requestTimeoutMs).then(
      (body) => this.onRegistered(link, conn, seq, body),
      (error: unknown) => this.onRegisterFailed(link, conn, error as Error),
    );
  }

  private onRegistered(link: Link, conn: ClientConnection, seq: number, body: unknown): void {
    if (link.conn !== conn || this.stopping) return;
    link.registerInFlight = false;
    let contentChanged = false;
    try {
      contentChanged = decodeRegisterResponse(body).contentChanged;
    } catch (error) {
      this.logger.warn({ addr: link.addr, err: (error as Error).message }, "malformed register answer");
    }
    const first = !link.registered;
    link.registered = true;
    link.attempt = 0;
    const fields = { addr: link.addr, nodeId: conn.nodeId, seq, contentChanged };
    if (first) this.logger.info(fields, "registered with name server");
    else this.logger.debug(fields, "re-registered with name server");
    this.emit({ kind: "registered", addr: link.addr, nodeId: conn.nodeId, seq });
    if (link.heartbeatTimer === null) this.scheduleHeartbeat(link);
    if (link.registerAgain) {
      link.registerAgain = false;
      this.register(link);
      return;
    }
    link.registerTimer = this.scheduler.setTimer(this.settings.registerIntervalMs, () => {
      link.registerTimer = null;
      this.register(link);
    });
  }

  private onRegisterFailed(link: Link, conn: ClientConnection, error: Error): void {
    if (link.conn !== conn || this.stopping) return;
    link.registerInFlight = false;
    if (error instanceof NsError && error.retriable) {
      this.logger.warn({ addr: link.addr, err: error.message }, "registration failed, reconnecting");
      this.drop(link, `registration failed: ${error.message}`);
      return;
    }
    // Refused for good (e.g. invalid argument): retry slowly; reconnecting would not help.
    this.logger.error({ addr: link.addr, err: error.message }, "registration refused");
    this.emit({ kind: "registerFailed", addr: link.addr, error });
    link.registerTimer = this.scheduler.setTimer(AGENT_REGISTER_RETRY_MS, () => {
      link.registerTimer = null;
      this.register(link);
    });
  }

  private scheduleHeartbeat(link: Link): void {
    link.heartbeatTimer = this.scheduler.setTimer(this.settings.heartbeatMs, () => {
      link.heartbeatTimer = null;
      if (!link.conn || this.stopping) return;
      // Re-arm first so the cadence does not drift by the round trip.
      this.scheduleHeartbeat(link);
      this.heartbeat(link);
    });
  }

  private heartbeat(link: Link): void {
    const conn = link.conn;
    // A registration in flight carries evidence itself; an unanswered heartbeat is not doubled.
    if (!conn || link.heartbeatInFlight || link.registerInFlight) return;
    link.heartbeatInFlight = true;
    const body = {
      clusterName: this.settings.clusterName,
      brokerAddr: this.settings.brokerAddr,
      bootEpoch: this.bootEpoch,
      seq: this.nextSeq(),
    };
    conn.request(RequestCode.HEARTBEAT, body, this.settings.requestTimeoutMs).then(
      (answer) => {
        if (link.conn !== conn || this.stopping) return;
        link.heartbeatInFlight = false;
        let registered = true;
        try {
          registered = decodeHeartbeatResponse(answer).registered;
        } catch (error) {
          this.logger.warn({ addr: link.addr, err: (error as Error).message }, "malformed heartbeat answer");
        }
        if (registered) return;
        this.logger.info({ addr: link.addr, nodeId: conn.nodeId }, "name server lost our registration, registering");
        link.registered = false;
        this.register(link);
      },
      (error: unknown) => {
        if (link.conn !== conn || this.stopping) return;
        link.heartbeatInFlight = false;
        const err = error as Error;
        if (err instanceof NsError && err.retriable) {
          this.logger.warn({ addr: link.addr, err: err.message }, "heartbeat failed, reconnecting");
          this.drop(link, `heartbeat failed: ${err.message}`);
        } else {
          this.logger.warn({ addr: link.addr, err: err.message }, "heartbeat refused, registering");
          this.register(link);
        }
      },
    );
  }

  private registrationBody(seq: number): Record<string, unknown> {
    const s = this.settings;
    const body: Record<string, unknown> = {
      clusterName: s.clusterName,
      brokerAddr: s.brokerAddr,
      brokerName: s.brokerName,
      brokerId: s.brokerId,
      haServerAddr: s.haServerAddr,
      dataVersion: { timestamp: this.bootEpoch, counter: this.counter, stateVersion: 0 },
      topics: this.topics,
      bootEpoch: this.bootEpoch,
      seq,
    };
    if (s.zoneName !== null) body["zoneName"] = s.zoneName;
    if (s.heartbeatTimeoutMs !== null) body["heartbeatTimeoutMs"] = s.heartbeatTimeoutMs;
    return body;
  }

  // ---- Stop --------------------------------------------------------------------------------

  private async doStop(): Promise<void> {
    for (const watch of this.watches) watch.stop();
    for (const link of this.links) {
      this.clearTimer(link, "redialTimer");
      this.clearTimer(link, "heartbeatTimer");
      this.clearTimer(link, "registerTimer");
    }
    if (!this.started) return;
    const seq = this.nextSeq();
    const body = {
      clusterName: this.settings.clusterName,
      brokerAddr: this.settings.brokerAddr,
      brokerName: this.settings.brokerName,
      brokerId: this.settings.brokerId,
      bootEpoch: this.bootEpoch,
      seq,
    };
    const waitMs = Math.min(this.settings.requestTimeoutMs, AGENT_STOP_WAIT_MS);
    const answers = this.links
      .filter((link) => link.conn !== null && !link.conn.closed)
      .map((link) => {
        const conn = link.conn as ClientConnection;
        return conn.request(RequestCode.UNREGISTER_BROKER, body, waitMs).then(
          () => this.logger.info({ addr: link.addr, seq }, "unregistered from name server"),
          (error: unknown) => this.logger.warn({ addr: link.addr, err: (error as Error).message }, "unregister failed"),
        );
      });
    await Promise.all(answers);
    for (const link of this.links) {
      const conn = link.conn;
      link.conn = null;
      link.registered = false;
      conn?.close("broker agent stopped");
    }
    this.logger.info({ bootEpoch: this.bootEpoch, seq }, "broker agent stopped");
  }

  // ---- Helpers -------------------------------------------------------------------------------

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private clearTimer(link: Link, which: "redialTimer" | "heartbeatTimer" | "registerTimer"): void {
    const timer = link[which];
    if (timer === null) return;
    this.scheduler.clearTimer(timer);
    link[which] = null;
  }

  private emit(event: AgentEvent): void {
    try {
      this.onEvent(event);
    } catch (error) {
      this.logger.error({ kind: event.kind, err: (error as Error).message }, "agent event handler threw");
    }
  }
}

/** A link not dialed yet. */
function newLink(addr: string, tlsServerName: string | null): Link {
  return {
    addr,
    tlsServerName,
    retired: false,
    conn: null,
    registered: false,
    everConnected: false,
    attempt: 0,
    closeReason: null,
    redialTimer: null,
    heartbeatTimer: null,
    registerTimer: null,
    heartbeatInFlight: false,
    registerInFlight: false,
    registerAgain: false,
  };
}

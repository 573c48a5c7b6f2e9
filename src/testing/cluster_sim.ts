// ClusterSim: N NameServerNodes, simulated brokers and route subscribers on a SimNetwork,
// driven by SimClock from one seed (TigerBeetle's VOPR, etcd-io/raft's in-memory network).
// It carries out every core Effect; peer frames are structured-cloned and re-validated with
// the protocol decoders (sim_delivery.ts), so the simulator exercises those too. Test-only:
// never exported from src/index.ts; the core and protocol, no shell code (ShellSim runs those).
import { assert } from "../assert.js";
import * as limits from "../limits.js";
import { nextIndex, SeededRng } from "../core/clock.js";
import type { Effect } from "../core/effects.js";
import { defaultNodeOptions, NameServerNode, type NodeOptions } from "../core/node.js";
import type { ConnectionId } from "../model/types.js";
import {
  SimBroker,
  SimClient,
  SimNodeHost,
  type BrokerSpec,
  type ClusterSimOptions,
  type DeltasInterceptor,
  type SimLogLine,
  type WirePayload,
} from "./sim_actors.js";
import { applyBrokerRequest, applyPeerFrame, type BrokerRequestContext } from "./sim_delivery.js";
import { SimBrokerDriver } from "./sim_brokers.js";
import { SimClock } from "./sim_clock.js";
import { SimNetwork } from "./sim_network.js";

/** Log lines kept in memory; the tail is printed when a check fails. */
export const SIM_LOG_LINES_MAX = 20_000;
/** Inputs queued for one paused node (its kernel buffers); above it the checker fails. */
export const SIM_INBOX_MAX = 200_000;
export {
  SimBroker,
  SimClient,
  SimNodeHost,
  type BrokerSpec,
  type ClusterSimOptions,
  type DeltasInterceptor,
  type SimConnection,
  type SimLogLine,
} from "./sim_actors.js";

/** Port every simulated node advertises. */
const SIM_PEER_PORT = 9877;

/** The simulated cluster. */
export class ClusterSim {
  readonly seed: number;
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly hosts: SimNodeHost[] = [];
  readonly brokers = new Map<string, SimBroker>();
  readonly clients = new Map<string, SimClient>();
  /** KV namespaces written through the sim, for convergence checks. */
  readonly kvNamespaces = new Set<string>();
  readonly logs: SimLogLine[] = [];
  readonly counters = { peerFrames: 0, staleFrames: 0, dialRequests: 0, brokerErrors: 0, inboxPeak: 0 };
  private readonly rng: SeededRng;
  private readonly options: ClusterSimOptions;
  private readonly samplers: ((nowMs: number) => void)[] = [];
  private readonly interceptors = new Map<string, DeltasInterceptor>();
  private nextConnectionId = 1;
  private readonly brokerDriver: SimBrokerDriver = new SimBrokerDriver(this);

  constructor(options: Partial<ClusterSimOptions> & { seed: number }) {
    this.options = { nodeCount: 3, network: {}, node: {}, ...options };
    this.seed = options.seed;
    this.rng = new SeededRng(options.seed);
    this.clock = new SimClock(0);
    this.network = new SimNetwork(this.clock, this.rng.nextU32(), this.options.network);
    this.network.attach({
      deliver: (from, to, payload, stale) => this.deliver(from, to, payload as WirePayload, stale),
      sessionUp: (a, b) => this.onSessionUp(a, b),
      sessionDown: (a, b, reason) => this.onSessionDown(a, b, reason),
    });
    for (let index = 1; index <= this.options.nodeCount; index++) {
      const id = `n${index}`;
      this.hosts.push(new SimNodeHost(id, `${id}:${SIM_PEER_PORT}`, this.options.legacyNodes?.includes(id) === true));
    }
    for (const host of this.hosts) this.startNode(host);
    for (const a of this.hosts) for (const b of this.hosts) if (a.id < b.id) this.network.addSession(a.id, b.id);
    this.scheduleSampling();
  }

  // ---- Time ----------------------------------------------------------------------------------

  /** Simulated now. */
  get nowMs(): number {
    return this.clock.nowMs();
  }

  /** Runs the simulation for `ms` of simulated time. */
  advanceMs(ms: number): void {
    this.clock.runUntil(this.clock.nowMs() + ms);
  }

  /** Advances until `done()` holds (checked every tick) or `maxMs` passed; returns the ms taken or null. */
  advanceUntil(done: () => boolean, maxMs: number): number | null {
    const start = this.nowMs;
    while (this.nowMs - start <= maxMs) {
      if (done()) return this.nowMs - start;
      this.advanceMs(limits.TICK_MS);
    }
    return null;
  }

  /** Advances until every node is ready (the startup grace, or a snapshot). */
  boot(): void {
    const took = this.advanceUntil(() => this.hosts.every((host) => !host.running || host.node?.isReady() === true), 4 * limits.STARTUP_GRACE_MS);
    assert(took !== null, "nodes did not become ready");
  }

  /** Calls `sampler(now)` every TICK_MS of simulated time (checkers hook in here). */
  onSample(sampler: (nowMs: number) => void): void {
    this.samplers.push(sampler);
  }

  /** A deterministic generator for scripts (random schedules). */
  random(): SeededRng {
    return this.rng;
  }

  // ---- Nodes -----------------------------------------------------------------------------------

  /** The host of a node id. */
  host(id: string): SimNodeHost {
    const host = this.hosts.find((candidate) => candidate.id === id);
    assert(host, `no node ${id}`);
    return host;
  }

  /** The running node of an id (throws while stopped). */
  node(id: string): NameServerNode {
    const node = this.host(id).node;
    assert(node, `node ${id} is stopped`);
    return node;
  }

  /** Node ids. */
  get nodeIds(): string[] {
    return this.hosts.map((host) => host.id);
  }

  /** Crash: the process dies, its sockets close, its state is lost. */
  stopNode(id: string): void {
    const host = this.host(id);
    if (!host.running) return;
    this.log(host.id, "warn", "sim: node stopped", {});
    host.node = null;
    host.paused = false;
    host.incarnation += 1;
    host.inbox.length = 0;
    host.openConnections.clear();
    for (const broker of this.brokers.values()) {
      const connection = broker.connections.get(id);
      if (connection) connection.open = false;
    }
    for (const client of this.clients.values()) if (client.connection?.nodeId === id) client.connection.open = false;
    this.network.crash(id);
  }

  /** Starts a stopped node with empty state; it is not ready until a snapshot or the grace. */
  restartNode(id: string): void {
    const host = this.host(id);
    if (host.running) return;
    this.startNode(host);
    this.network.setAvailable(id, true);
  }

  /** SIGSTOP: no ticks, no input processed; input queues up and is processed on resume. */
  pauseNode(id: string): void {
    const host = this.host(id);
    if (!host.running || host.paused) return;
    host.paused = true;
    this.network.setAvailable(id, false);
  }

  /** SIGCONT: processes the queued input in order, then ticks on as usual. */
  resumeNode(id: string): void {
    const host = this.host(id);
    if (!host.running || !host.paused) return;
    host.paused = false;
    while (host.inbox.length > 0 && !host.paused && host.running) (host.inbox.shift() as () => void)();
    this.network.setAvailable(id, true);
  }

  /** The expiry nodes apply to a broker (declared, else the node default for its origin). */
  brokerExpiryMs(broker: SimBroker): number {
    const defaults = { ...defaultNodeOptions("n0"), ...this.options.node };
    if (broker.registration.heartbeatTimeoutMs !== null) return broker.registration.heartbeatTimeoutMs;
    return broker.origin === "native" ? defaults.brokerExpiryMs : defaults.remotingBrokerExpiryMs;
  }

  /** Every node running, unpaused and ready; every session up; nothing partitioned. */
  fullyHealthy(): boolean {
    if (this.network.partitioned) return false;
    for (const a of this.hosts) {
      if (!a.serving) return false;
      for (const b of this.hosts) if (a.id < b.id && !this.network.isSessionUp(a.id, b.id)) return false;
    }
    return true;
  }

  /** Intercepts the deltas a node receives (for tests that break merge on purpose). */
  interceptDeltas(id: string, interceptor: DeltasInterceptor): void {
    this.interceptors.set(id, interceptor);
  }

  // ---- Network faults (scripts read like the design's) ----------------------------------------

  /** Blocks traffic both ways between two groups of endpoints (nodes, brokers, clients). */
  partition(left: readonly string[], right: readonly string[]): void {
    this.network.partition(left, right);
  }

  /** Cuts a node off from every other endpoint: peers, brokers and clients. */
  isolate(id: string): void {
    this.network.partition([id], this.endpoints().filter((name) => name !== id));
  }

  /** One-way: frames from `from` no longer reach `to`. */
  cut(from: string, to: string): void {
    this.network.cut(from, to);
  }

  /** Removes every partition and cut. */
  heal(): void {
    this.network.heal();
  }

  /** Every endpoint name. */
  endpoints(): string[] {
    return [...this.nodeIds, ...this.brokers.keys(), ...this.clients.keys()];
  }

  // ---- Brokers (sim_brokers.ts) --------------------------------------------------------------

  /** A fresh connection id (brokers and clients share one sequence). */
  allocateConnectionId(): ConnectionId {
    return this.nextConnectionId++;
  }

  /** Adds a broker; it connects and registers on its first heartbeat round (right away). */
  addBroker(spec: BrokerSpec): SimBroker {
    return this.brokerDriver.add(spec);
  }

  /** The broker of a name. */
  broker(name: string): SimBroker {
    return this.brokerDriver.get(name);
  }

  /** Crash: its connections close (each node gets a FIN unless the path is blocked). */
  killBroker(name: string): void {
    this.brokerDriver.kill(name);
  }

  /** Silent: stops heartbeating, connections stay open (SIGSTOP, or a hung process). */
  pauseBroker(name: string): void {
    this.brokerDriver.pause(name);
  }

  /** Heartbeats again with the next sequence number of the same boot. */
  resumeBroker(name: string): void {
    this.brokerDriver.resume(name);
  }

  /** Graceful stop: unregisters from every node it is connected to, then closes. */
  unregisterBroker(name: string): void {
    this.brokerDriver.unregister(name);
  }

  /** A new boot of a dead or unregistered broker: a higher bootEpoch, seq from 0. */
  restartBroker(name: string): void {
    this.brokerDriver.restart(name);
  }

  /** The broker changes its topics: a new dataVersion, registered on its next round. */
  setBrokerTopics(name: string, topics: readonly string[]): void {
    this.brokerDriver.setTopics(name, topics);
  }

  /** A 5.x broker creates a topic and sends an incremental registration to `nodes` (default: all). */
  createTopic(name: string, topicName: string, nodes?: readonly string[]): void {
    this.brokerDriver.createTopic(name, topicName, nodes);
  }

  // ---- Clients ------------------------------------------------------------------------------

  /** A route subscriber on one node. */
  addClient(name: string, nodeId: string, topics: readonly string[]): SimClient {
    const client = new SimClient(name, nodeId, topics);
    this.clients.set(name, client);
    const host = this.host(nodeId);
    if (host.running) {
      client.connection = { connId: this.allocateConnectionId(), nodeId, incarnation: host.incarnation, openedAtMs: this.nowMs, open: true };
      this.network.sendDatagram(name, nodeId, {
        type: "request",
        incarnation: host.incarnation,
        connId: client.connection.connId,
        request: { kind: "subscribe", topics },
      } satisfies WirePayload);
    }
    return client;
  }

  // ---- Admin --------------------------------------------------------------------------------

  /** KV put on one node (throws while it is stopped or paused: the request would time out). */
  kvPut(nodeId: string, namespace: string, key: string, value: string): void {
    this.kvNamespaces.add(namespace);
    this.adminWrite(nodeId, (node) => node.kvPut(namespace, key, value, this.nowMs));
  }

  /** KV delete on one node. */
  kvDelete(nodeId: string, namespace: string, key: string): void {
    this.kvNamespaces.add(namespace);
    this.adminWrite(nodeId, (node) => node.kvDelete(namespace, key, this.nowMs));
  }

  /** Topic deletion on one node. */
  deleteTopic(nodeId: string, topic: string, clusterName: string | null = null): void {
    this.adminWrite(nodeId, (node) => node.deleteTopic(topic, clusterName, this.nowMs));
  }

  /** Write-permission wipe or add on one node. */
  setWritePerm(nodeId: string, brokerName: string, writable: boolean): void {
    this.adminWrite(nodeId, (node) => (writable ? node.addWritePerm(brokerName, this.nowMs) : node.wipeWritePerm(brokerName, this.nowMs)));
  }

  /** The last `lines` log lines, formatted. */
  logTail(lines = 60, untilMs = Number.POSITIVE_INFINITY): string {
    return this.logs
      .filter((line) => line.atMs <= untilMs)
      .slice(-lines)
      .map((line) => `${line.atMs} ${line.nodeId} ${line.level} ${line.msg} ${JSON.stringify(line.fields)}`)
      .join("\n");
  }

  // ---- Internals: nodes ---------------------------------------------------------------------

  private nodeOptions(host: SimNodeHost): NodeOptions {
    return {
      ...defaultNodeOptions(host.id),
      peersConfigured: true,
      advertiseAddr: host.addr,
      seeds: this.hosts.filter((other) => other !== host).map((other) => other.addr),
      ...this.options.node,
    };
  }

  private startNode(host: SimNodeHost): void {
    host.incarnation += 1;
    host.paused = false;
    host.startedAtMs = this.nowMs;
    host.node = new NameServerNode(this.nodeOptions(host), new SeededRng(this.rng.nextU32()), this.nowMs);
    this.drain(host);
    const incarnation = host.incarnation;
    const loop = (): void => {
      if (host.incarnation !== incarnation || !host.node) return;
      if (!host.paused) {
        host.node.tick(this.nowMs);
        this.drain(host);
      }
      this.clock.schedule(this.nowMs + limits.TICK_MS, loop);
    };
    this.clock.schedule(this.nowMs + 1 + nextIndex(this.rng, limits.TICK_MS), loop);
  }

  /** An admin write on a running node, and its effects. */
  private adminWrite(nodeId: string, write: (node: NameServerNode) => void): void {
    const host = this.host(nodeId);
    assert(host.node && !host.paused, `node ${nodeId} cannot take admin writes now`);
    write(host.node);
    this.drain(host);
  }

  /** Runs an input on a node now, or queues it while the node is paused. */
  private input(host: SimNodeHost, incarnation: number, run: (node: NameServerNode) => void): void {
    if (host.incarnation !== incarnation || !host.node) return;
    if (host.paused) {
      host.inbox.push(() => this.input(host, incarnation, run));
      this.counters.inboxPeak = Math.max(this.counters.inboxPeak, host.inbox.length);
      return;
    }
    run(host.node);
    this.drain(host);
  }

  /** Carries out a node's effects, in order. */
  private drain(host: SimNodeHost): void {
    const node = host.node;
    if (!node) return;
    for (const effect of node.takeEffects()) this.carryOut(host, effect);
  }

  private carryOut(host: SimNodeHost, effect: Effect): void {
    switch (effect.kind) {
      case "peerSend": {
        const peer = this.hosts.find((candidate) => candidate.id === effect.peerId);
        if (!peer) return;
        const payload: WirePayload = { type: "peer", incarnation: peer.incarnation, message: effect.message };
        this.network.sendOnSession(host.id, peer.id, payload, effect.message.type === "deltas");
        return;
      }
      case "push": {
        const client = [...this.clients.values()].find((candidate) => candidate.connection?.connId === effect.connId);
        if (client) this.network.sendDatagram(host.id, client.name, { type: "push", topic: effect.body.topic, route: effect.body.route } satisfies WirePayload);
        return;
      }
      case "closeConnection": {
        this.log(host.id, "info", "sim: connection closed by node", { connId: effect.connId, reason: effect.reason });
        host.openConnections.delete(effect.connId);
        for (const broker of this.brokers.values()) {
          for (const connection of broker.connections.values()) if (connection.connId === effect.connId) connection.open = false;
        }
        host.node?.connectionClosed(effect.connId, this.nowMs);
        return;
      }
      case "dialPeer":
        this.counters.dialRequests += 1;
        return;
      case "log":
        this.log(host.id, effect.level, effect.msg, effect.fields);
        return;
    }
  }

  private log(nodeId: string, level: string, msg: string, fields: Readonly<Record<string, unknown>>): void {
    if (this.logs.length >= SIM_LOG_LINES_MAX) this.logs.splice(0, SIM_LOG_LINES_MAX / 2);
    this.logs.push({ atMs: this.nowMs, nodeId, level, msg, fields });
  }

  private onSessionUp(a: string, b: string): void {
    const hostA = this.host(a);
    const hostB = this.host(b);
    this.log(a, "info", "sim: session up", { peer: b });
    this.input(hostA, hostA.incarnation, (node) => node.peerConnected(b, hostB.addr, this.nowMs, hostA.featuresOf(hostB)));
    this.input(hostB, hostB.incarnation, (node) => node.peerConnected(a, hostA.addr, this.nowMs, hostB.featuresOf(hostA)));
  }

  private onSessionDown(a: string, b: string, reason: string): void {
    const hostA = this.host(a);
    const hostB = this.host(b);
    this.log(a, "info", "sim: session down", { peer: b, reason });
    this.input(hostA, hostA.incarnation, (node) => node.peerDisconnected(b, this.nowMs));
    this.input(hostB, hostB.incarnation, (node) => node.peerDisconnected(a, this.nowMs));
  }

  private deliver(from: string, to: string, payload: WirePayload, stale: boolean): void {
    switch (payload.type) {
      case "peer": {
        const host = this.host(to);
        this.counters.peerFrames += 1;
        if (stale) this.counters.staleFrames += 1;
        this.input(host, payload.incarnation, (node) => applyPeerFrame(node, from, payload.message, this.interceptors.get(to), this.nowMs, host.legacy ? host.refused : null));
        return;
      }
      case "request": {
        const host = this.host(to);
        this.input(host, payload.incarnation, (node) => applyBrokerRequest(host, node, payload.connId, payload.request, this.requestContext(host, from, payload.connId)));
        return;
      }
      case "heartbeatReply": {
        const broker = this.brokers.get(to);
        if (!broker || payload.registered || !broker.active) return;
        const connection = broker.connections.get(payload.nodeId);
        if (connection?.open && connection.connId === payload.connId) {
          this.brokerDriver.sendRegistration(broker, connection);
        }
        return;
      }
      case "push": {
        this.clients.get(to)?.pushes.push({ atMs: this.nowMs, topic: payload.topic, route: payload.route });
        return;
      }
    }
  }

  /** What a broker request on `host` from `from` may do besides changing the node. */
  private requestContext(host: SimNodeHost, from: string, connId: ConnectionId): BrokerRequestContext {
    return {
      broker: this.brokers.get(from),
      nowMs: this.nowMs,
      reply: (registered) =>
        this.network.sendDatagram(host.id, from, { type: "heartbeatReply", nodeId: host.id, connId, registered } satisfies WirePayload),
      refused: (kind, error) => {
        this.counters.brokerErrors += 1;
        this.log(host.id, "warn", "sim: request refused", { from, kind, error: error.message });
      },
    };
  }

  private scheduleSampling(): void {
    const sample = (): void => {
      for (const sampler of this.samplers) sampler(this.nowMs);
      this.clock.schedule(this.nowMs + limits.TICK_MS, sample);
    };
    this.clock.schedule(limits.TICK_MS, sample);
  }
}

// ShellSim: the real shells in simulated time. Each node is the production wiring of
// server.ts (NameServerNode, NodeHost, PeerHub, PeerDialer, NativeAcceptor and its sessions);
// brokers are real BrokerAgents; their sockets are SimWire links and their timers fire on one
// SimClock, so a seed replays exactly and faults (partitions, resets, crashes) hit the code
// that runs in production rather than the simulator's own actors. Test-only.
import { BrokerAgent } from "../broker_agent/agent.js";
import type { TopicConfigInput } from "../broker_agent/agent_options.js";
import { NativeConnection } from "../client/connection.js";
import { RouteClient } from "../client/route_client.js";
import { flushMicrotasks } from "../client/fake_transport.js";
import { defaultConfig } from "../config/config.js";
import { SeededRng, type Rng } from "../core/clock.js";
import { NameServerNode } from "../core/node.js";
import { PeerDialer } from "../gossip/peer_dialer.js";
import { PeerHub, type PeerLink } from "../gossip/peer_hub.js";
import { Authenticator } from "../host/auth.js";
import { createLogger } from "../host/logger.js";
import { NodeHost } from "../host/node_host.js";
import { TICK_MS } from "../limits.js";
import type { Scheduler, TimerHandle } from "../model/time.js";
import type { TopicRouteData } from "../model/types.js";
import type { Frame } from "../protocol/frame.js";
import { ServerMetrics } from "../server/metrics.js";
import { NativeAcceptor } from "../server/native_acceptor.js";
import type { InboundPeerLink } from "../server/native_session.js";
import { nodeOptionsOf } from "../server/server.js";
import { SimClock } from "./sim_clock.js";
import { SimWire } from "./sim_wire.js";

/** Timers of one simulated process on the shared SimClock; a crash halts them all. */
export class SimScheduler implements Scheduler {
  private nextId = 1;
  private readonly live = new Set<number>();
  private halted = false;

  constructor(private readonly clock: SimClock) {}

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    if (this.halted) return { id };
    this.live.add(id);
    this.clock.schedule(this.clock.nowMs() + Math.max(0, delayMs), () => {
      if (this.live.delete(id) && !this.halted) callback();
    });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.live.delete(handle.id);
  }

  /** The process is gone: no timer of it fires again. */
  halt(): void {
    this.halted = true;
    this.live.clear();
  }
}

/** One name server as server.ts wires it, on the simulated wire. */
export class ShellNode {
  readonly node: NameServerNode;
  readonly host: NodeHost;
  readonly hub: PeerHub;
  readonly scheduler: SimScheduler;
  private crashed = false;

  constructor(
    private readonly sim: ShellSim,
    readonly id: string,
    readonly addr: string,
    peers: readonly string[],
  ) {
    const { clock, wire } = sim;
    // Production timers (expiry, suspicion), no start-up grace: the run starts with every node.
    const secrets = sim.clusterSecret === null ? [] : [sim.clusterSecret];
    const config = defaultConfig({ id, host: "127.0.0.1", port: 0, peers: [...peers], remotingPort: null, startupGraceMs: 0, logLevel: "fatal", clusterSecrets: secrets });
    const logger = createLogger("fatal", id);
    const rng = new SeededRng(sim.nextSeed());
    this.scheduler = new SimScheduler(clock);
    this.node = new NameServerNode(nodeOptionsOf(config), rng, clock.nowMs());
    let hub: PeerHub | null = null;
    this.host = new NodeHost(this.node, clock, logger, { onGossip: (effect) => hub?.carryOut(effect) });
    hub = new PeerHub(this.host, logger);
    this.hub = hub;
    const peerHub = hub;
    const auth = new Authenticator(config);
    const acceptPeer = (inbound: InboundPeerLink): { onFrame: (frame: Frame) => void; onClose: () => void } => {
      const link: PeerLink = { peerId: inbound.peerId, direction: "inbound", send: (bytes) => inbound.send(bytes), close: (reason) => inbound.close(reason) };
      peerHub.linkUp(link, inbound.peerAddr);
      return { onFrame: (frame) => peerHub.onFrame(link, frame), onClose: () => peerHub.linkDown(link) };
    };
    const metrics: ServerMetrics = new ServerMetrics({ node: this.node, connectionsByRole: () => sessions.countRoles() });
    const sessions: NativeAcceptor = new NativeAcceptor({ config, host: this.host, logger, metrics, auth, acceptPeer, scheduler: this.scheduler });
    wire.listen(addr, id, (connection) => sessions.accept(connection));
    const dialer = new PeerDialer(hub, {
      selfId: id,
      advertiseAddr: addr,
      clock,
      rng,
      logger,
      auth,
      scheduler: this.scheduler,
      dial: (options) => wire.dial(id, options),
    });
    hub.setDialer(dialer);
    for (const peer of peers) hub.carryOut({ kind: "dialPeer", addr: peer });
    this.tick();
  }

  /** The node crashes: its links reset, its timers stop, it accepts nothing. */
  crash(): void {
    this.crashed = true;
    this.scheduler.halt();
    this.sim.wire.unlisten(this.addr);
    this.sim.wire.kill(this.id);
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  /** The route this node answers for `topic`, or null. */
  route(topic: string): TopicRouteData | null {
    return this.node.findRoute(topic);
  }

  private tick(): void {
    this.scheduler.setTimer(TICK_MS, () => {
      this.host.run((nowMs) => this.node.tick(nowMs));
      this.tick();
    });
  }
}

/** A real BrokerAgent on the simulated wire. */
export class ShellBroker {
  readonly agent: BrokerAgent;
  readonly scheduler: SimScheduler;
  private topicList: TopicConfigInput[];
  private crashed = false;

  constructor(
    private readonly sim: ShellSim,
    readonly brokerName: string,
    nameServers: readonly string[],
    topics: readonly string[],
  ) {
    const { clock, wire } = sim;
    this.scheduler = new SimScheduler(clock);
    this.topicList = topics.map(topicConfig);
    const scheduler = this.scheduler;
    this.agent = new BrokerAgent({
      nameServers,
      clusterName: "DefaultCluster",
      brokerName,
      brokerId: 0,
      brokerAddr: `${wire.ipOf(brokerName)}:10911`,
      topics: this.topicList,
      clock,
      rng: new SeededRng(sim.nextSeed()),
      scheduler,
      dialer: NativeConnection.dialer({ scheduler, dial: (options) => wire.dial(brokerName, options) }),
    });
    this.agent.start();
  }

  get topics(): string[] {
    return this.topicList.map((topic) => topic.topicName);
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  /** The broker creates a topic: the agent registers its new topic set. */
  addTopic(topic: string): void {
    this.topicList = [...this.topicList, topicConfig(topic)];
    this.agent.setTopics(this.topicList);
  }

  /** The broker process dies without unregistering. */
  crash(): void {
    this.crashed = true;
    this.scheduler.halt();
    this.sim.wire.kill(this.brokerName);
  }
}

function topicConfig(topicName: string): TopicConfigInput {
  return { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6 };
}

/** Options of a ShellSim. */
export interface ShellSimOptions {
  readonly seed: number;
  readonly nodes: number;
  /** One-way delay of the wire, in ms. @default 1..20 */
  readonly delayMsMin?: number;
  readonly delayMsMax?: number;
  /** A cluster secret for every node (peers then authenticate). @default none */
  readonly clusterSecret?: string;
}

/** Real nodes and brokers over one SimWire and one SimClock. */
export class ShellSim {
  readonly clock = new SimClock(0);
  readonly rng: Rng;
  readonly wire: SimWire;
  readonly nodes: ShellNode[] = [];
  readonly brokers: ShellBroker[] = [];
  readonly clusterSecret: string | null;
  private clientCount = 0;

  constructor(options: ShellSimOptions) {
    this.rng = new SeededRng(options.seed);
    this.clusterSecret = options.clusterSecret ?? null;
    this.wire = new SimWire(this.clock, this.rng, { delayMsMin: options.delayMsMin ?? 1, delayMsMax: options.delayMsMax ?? 20 });
    const addrs = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}.sim:9877`);
    addrs.forEach((addr, i) => {
      this.nodes.push(new ShellNode(this, `n${i + 1}`, addr, addrs.filter((other) => other !== addr)));
    });
  }

  /** A seed for one actor's own Rng, drawn from the run's. */
  nextSeed(): number {
    return this.rng.nextU32();
  }

  /** Starts a broker that registers with `nameServers` (every node when omitted). */
  addBroker(brokerName: string, topics: readonly string[], nameServers?: readonly string[]): ShellBroker {
    const broker = new ShellBroker(this, brokerName, nameServers ?? this.nodes.map((node) => node.addr), topics);
    this.brokers.push(broker);
    return broker;
  }

  /** A real RouteClient (producer or consumer side) that asks `nameServers` (every node when omitted). */
  addClient(nameServers?: readonly string[]): RouteClient {
    const endpoint = `client-${++this.clientCount}`;
    const scheduler = new SimScheduler(this.clock);
    return new RouteClient({
      nameServers: nameServers ?? this.nodes.map((node) => node.addr),
      clock: this.clock,
      rng: new SeededRng(this.nextSeed()),
      scheduler,
      dialer: NativeConnection.dialer({ scheduler, dial: (options) => this.wire.dial(endpoint, options) }),
    });
  }

  /** Runs the cluster until `promise` settles; rejects if `deadlineMs` passes first. */
  async settle<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    if (!(await this.runUntil(() => settled, deadlineMs, 10))) throw new Error(`not settled within ${deadlineMs} simulated ms`);
    return watched;
  }

  /** Runs every event due in the next `ms`, letting promise callbacks run after each. */
  async runFor(ms: number): Promise<void> {
    const untilMs = this.clock.nowMs() + ms;
    await flushMicrotasks();
    while (this.clock.runNext(untilMs)) await flushMicrotasks();
  }

  /** Runs until `condition` holds, checked every `stepMs`; false if `deadlineMs` passes first. */
  async runUntil(condition: () => boolean, deadlineMs: number, stepMs = 100): Promise<boolean> {
    const endMs = this.clock.nowMs() + deadlineMs;
    while (!condition()) {
      if (this.clock.nowMs() >= endMs) return false;
      await this.runFor(stepMs);
    }
    return true;
  }

  /** Live nodes whose route for `topic` lacks `brokerName` (empty when every one has it). */
  nodesMissing(topic: string, brokerName: string): string[] {
    return this.nodes
      .filter((node) => !node.isCrashed && !(node.route(topic)?.brokerDatas.some((data) => data.brokerName === brokerName) ?? false))
      .map((node) => node.id);
  }

  /** Live nodes that still route `topic` to `brokerName`. */
  nodesRouting(topic: string, brokerName: string): string[] {
    return this.nodes
      .filter((node) => !node.isCrashed && (node.route(topic)?.brokerDatas.some((data) => data.brokerName === brokerName) ?? false))
      .map((node) => node.id);
  }
}

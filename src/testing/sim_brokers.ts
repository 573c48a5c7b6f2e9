// The simulated brokers of a ClusterSim: our agent (native) or a RocketMQ broker (remoting),
// each with its heartbeat loop, connections to nodes, full, incremental and split
// registrations, crashes, pauses, graceful stops and restarts. Test-only.
import { assert } from "../assert.js";
import * as limits from "../limits.js";
import type { BrokerRegistration, ConnectionId, Evidence } from "../model/types.js";
import { SimBroker, TEMPLATE_TOPIC, type BrokerRequest, type BrokerSpec, type SimConnection, type SimNodeHost, type WirePayload } from "./sim_actors.js";
import type { SimClock } from "./sim_clock.js";
import type { SimNetwork } from "./sim_network.js";

/** What the broker driver needs of the simulation. */
export interface SimWorld {
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly brokers: Map<string, SimBroker>;
  readonly nodeIds: string[];
  readonly nowMs: number;
  host(id: string): SimNodeHost;
  allocateConnectionId(): ConnectionId;
}

/** Drives every simulated broker. */
export class SimBrokerDriver {
  private nextBrokerIndex = 1;

  constructor(private readonly world: SimWorld) {}


  /** Adds a broker; it connects and registers on its first heartbeat round (right away). */
  add(spec: BrokerSpec): SimBroker {
    assert(!this.world.brokers.has(spec.name), `broker ${spec.name} exists`);
    const origin = spec.origin ?? "native";
    const index = this.nextBrokerIndex++;
    const named = spec.topics ?? [`Topic-${spec.name}`];
    const topics = origin === "remoting" && !named.includes(TEMPLATE_TOPIC) ? [...named, TEMPLATE_TOPIC] : named;
    const registration: BrokerRegistration = {
      clusterName: spec.clusterName ?? "DefaultCluster",
      brokerAddr: `10.0.${Math.floor(index / 250)}.${index % 250}:10911`,
      brokerName: spec.brokerName ?? spec.name,
      brokerId: spec.brokerId ?? 0,
      haServerAddr: `10.0.${Math.floor(index / 250)}.${index % 250}:10912`,
      zoneName: null,
      enableActingMaster: false,
      heartbeatTimeoutMs: spec.heartbeatTimeoutMs ?? null,
      dataVersion: { timestamp: this.world.nowMs + 1, counter: 1, stateVersion: 0 },
      topics: topics.map((topicName) => ({ topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false })),
    };
    const heartbeatMs = spec.heartbeatMs ?? (origin === "native" ? limits.BROKER_HEARTBEAT_MS : limits.BROKER_REGISTER_INTERVAL_MS);
    const broker = new SimBroker(spec.name, origin, spec.nodes ?? this.world.nodeIds, heartbeatMs, registration, this.world.nowMs + 1);
    broker.lastTransitionMs = this.world.nowMs;
    broker.splitSize = origin === "remoting" ? (spec.splitRegistrationSize ?? null) : null;
    this.world.brokers.set(spec.name, broker);
    this.startBrokerLoop(broker);
    return broker;
  }

  /** The broker of a name. */
  get(name: string): SimBroker {
    const broker = this.world.brokers.get(name);
    assert(broker, `no broker ${name}`);
    return broker;
  }

  /** Crash: its connections close (each node gets a FIN unless the path is blocked). */
  kill(name: string): void {
    const broker = this.get(name);
    if (broker.state === "dead") return;
    this.closeBrokerConnections(broker);
    this.transition(broker, "dead");
  }

  /** Silent: stops heartbeating, connections stay open (SIGSTOP, or a hung process). */
  pause(name: string): void {
    const broker = this.get(name);
    if (broker.state === "running") this.transition(broker, "paused");
  }

  /** Heartbeats again with the next sequence number of the same boot. */
  resume(name: string): void {
    const broker = this.get(name);
    if (broker.state !== "paused") return;
    this.transition(broker, "running");
    this.startBrokerLoop(broker);
  }

  /** Graceful stop: unregisters from every node it is connected to, then closes. */
  unregister(name: string): void {
    const broker = this.get(name);
    if (broker.state === "dead" || broker.state === "unregistered") return;
    broker.seq += 1;
    for (const connection of broker.connections.values()) {
      if (connection.open) this.sendRequest(broker, connection, { kind: "unregister", evidence: broker.evidence() });
    }
    this.closeBrokerConnections(broker);
    this.transition(broker, "unregistered");
  }

  /** A new boot of a dead or unregistered broker: a higher bootEpoch, seq from 0. */
  restart(name: string): void {
    const broker = this.get(name);
    if (broker.state === "running" || broker.state === "paused") this.closeBrokerConnections(broker);
    broker.bootEpoch = Math.max(broker.bootEpoch + 1, this.world.nowMs);
    broker.seq = 0;
    this.transition(broker, "running");
    this.startBrokerLoop(broker);
  }

  /** The broker changes its topics: a new dataVersion, registered on its next round. */
  setTopics(name: string, topics: readonly string[]): void {
    const broker = this.get(name);
    const { dataVersion } = broker.registration;
    broker.registration = {
      ...broker.registration,
      dataVersion: { ...dataVersion, timestamp: Math.max(dataVersion.timestamp, this.world.nowMs), counter: dataVersion.counter + 1 },
      topics: topics.map((topicName) => ({ topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false })),
    };
    broker.contentDirty = true;
  }

  /**
   * A 5.x broker creates a topic: the topic joins its table with the next DataVersion, and an
   * incremental registration carrying only it goes to `nodes` (default: every node it holds an
   * open connection to). Its later periodic registrations carry the whole table, same version.
   */
  createTopic(name: string, topicName: string, nodes?: readonly string[]): void {
    const broker = this.get(name);
    const { dataVersion } = broker.registration;
    const topic = { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0, order: false };
    const next = { ...dataVersion, counter: dataVersion.counter + 1 };
    broker.registration = { ...broker.registration, dataVersion: next, topics: [...broker.registration.topics, topic] };
    if (!broker.active) return;
    const incremental = { ...broker.registration, topics: [topic] };
    for (const nodeId of nodes ?? broker.nodes) {
      const connection = broker.connections.get(nodeId);
      if (connection?.open !== true) continue;
      this.sendRequest(broker, connection, { kind: "register", registration: incremental, evidence: broker.evidence() });
    }
  }

  // ---- Internals ----------------------------------------------------------------------------

  private transition(broker: SimBroker, state: SimBroker["state"]): void {
    broker.state = state;
    broker.generation += 1;
    broker.lastTransitionMs = this.world.nowMs;
  }

  private startBrokerLoop(broker: SimBroker): void {
    const generation = broker.generation;
    const round = (): void => {
      if (broker.generation !== generation || !broker.active) return;
      this.brokerRound(broker);
      this.world.clock.schedule(this.world.nowMs + broker.heartbeatMs, round);
    };
    this.world.clock.schedule(this.world.nowMs, round);
  }

  /** One heartbeat round: (re)connect where needed, register on new connections, heartbeat on old. */
  private brokerRound(broker: SimBroker): void {
    if (broker.origin === "native") broker.seq += 1;
    broker.lastSentMs = this.world.nowMs;
    const fullRegistration = broker.contentDirty;
    broker.contentDirty = false;
    for (const nodeId of broker.nodes) {
      const host = this.world.host(nodeId);
      let connection = broker.connections.get(nodeId);
      const usable = connection?.open === true && connection.incarnation === host.incarnation && host.running;
      if (!usable) {
        if (!this.canConnect(broker.name, host)) continue;
        connection = { connId: this.world.allocateConnectionId(), nodeId, incarnation: host.incarnation, openedAtMs: this.world.nowMs, open: true };
        broker.connections.set(nodeId, connection);
        this.sendRegistration(broker, connection);
      } else if (connection && broker.origin === "native" && !fullRegistration) {
        this.sendRequest(broker, connection, { kind: "heartbeat", evidence: broker.evidence() as Evidence });
      } else if (connection) {
        this.sendRegistration(broker, connection);
      }
    }
  }

  /** A connect needs a round trip and an accepting process. */
  private canConnect(endpoint: string, host: SimNodeHost): boolean {
    return host.running && !host.paused && !this.world.network.isBlocked(endpoint, host.id) && !this.world.network.isBlocked(host.id, endpoint);
  }

  /** A full registration: one request, or one per chunk for a splitting broker (same DataVersion). */
  sendRegistration(broker: SimBroker, connection: SimConnection): void {
    const { registration } = broker;
    const size = broker.splitSize ?? Math.max(1, registration.topics.length);
    for (let start = 0; start === 0 || start < registration.topics.length; start += size) {
      const chunk = { ...registration, topics: registration.topics.slice(start, start + size) };
      this.sendRequest(broker, connection, { kind: "register", registration: chunk, evidence: broker.evidence() });
    }
  }

  private sendRequest(broker: SimBroker, connection: SimConnection, request: BrokerRequest): void {
    const payload: WirePayload = { type: "request", incarnation: connection.incarnation, connId: connection.connId, request };
    // A close is a FIN: the kernel retransmits it, so only a blocked path stops it, never random loss.
    this.world.network.sendDatagram(broker.name, connection.nodeId, payload, request.kind !== "close");
  }

  private closeBrokerConnections(broker: SimBroker): void {
    for (const connection of broker.connections.values()) {
      if (connection.open) this.sendRequest(broker, connection, { kind: "close" });
      connection.open = false;
    }
    broker.connections.clear();
  }
}

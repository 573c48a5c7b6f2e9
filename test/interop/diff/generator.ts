// Seeded generator of RocketMQ remoting request sequences for the differential test: simulated
// brokers (masters, slaves, prime slaves in acting-master mode, a 4.x broker, a broker that
// splits its registration) and clients (versions below and above 401) send what real ones send.
// Pure: the same seed gives the same steps, byte for byte; no clock, no Math.random, no I/O. The
// generator models only the senders, never the name server's answers: those are what the test
// compares.
//
// Senders keep to what real ones do where Java and we differ by design (the differences are
// listed in docs/rocketmq-compatibility.md): broker names are unique per name server; a
// broker's DataVersion never goes back; a slave syncs its topic table from its master
// (SlaveSynchronize), so before a master unregisters or crashes each running slave has
// registered the master's current table (after the master's own periodic full registration if
// topics were deleted on the name servers); a 4.x slave does not start while its master is
// down, nor registers again then after a topic deletion.
import { SeededRng, nextIndex, nextUnit } from "../../../src/core/clock.js";
import * as rm from "../../../src/protocol/remoting/index.js";

// ---- Public shapes ---------------------------------------------------------------------------

/** One request as the generator wants it sent. */
export interface DiffRequest {
  readonly code: number;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** MQVersion ordinal of the sender. */
  readonly version: number;
  readonly language: number;
  readonly serializeType: rm.SerializeType;
  /** Flag bit 1: the server sends no response. */
  readonly oneway: boolean;
}

/** What a step exercises beyond its code; the allow-list and the report read these. */
export type StepTag =
  | "register-full"
  | "register-unchanged"
  | "register-incremental"
  | "register-split"
  | "malformed-topic"
  | "malformed-repair"
  | "unregister-duplicate"
  | "register-before-first"
  | "crash"
  | "cleanup";

/** One request of a sequence, sent on the connection of `actor`. */
export interface DiffStep {
  readonly index: number;
  /** The simulated broker instance or client whose connection carries the request. */
  readonly actor: string;
  /** A one-line description for failure reports. */
  readonly label: string;
  readonly request: DiffRequest;
  readonly tags: readonly StepTag[];
  /** On UNREGISTER_BROKER: the instance that leaves; the runner waits until both servers agree. */
  readonly unregister?: BrokerInstanceRef;
  /**
   * A broker process crash before this step: the runner closes `actor`'s connection on both
   * servers and waits until both have dropped `target` (Java on the channel close, we on the
   * connection's loss), then sends the step's request.
   */
  readonly disconnectFirst?: { readonly actor: string; readonly target: BrokerInstanceRef };
}

/** One broker instance as the name servers key it. */
export interface BrokerInstanceRef {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerAddr: string;
}

/** A generated sequence and the names it uses (all unique to the seed). */
export interface DiffSequence {
  readonly seed: number;
  readonly steps: readonly DiffStep[];
  readonly features: Readonly<SeedFeatures>;
  /** Actor names of this seed: the runner closes their connections after the seed. */
  readonly actors: readonly string[];
}

/** Scenario switches drawn from the seed. */
export interface SeedFeatures {
  /** The 4.x broker (version 399, no enableActingMaster header) sends zlib-compressed bodies. */
  readonly compressedOldBroker: boolean;
  /** A malformed topic name inside a good registration, up to twice per sequence. */
  readonly malformedTopics: boolean;
}

/** Options of generateSequence. */
export interface GeneratorOptions {
  /**
   * Requests before the clean-up tail (which unregisters everything and deletes KV entries).
   * @default 220
   */
  readonly requests?: number;
  /**
   * Topics per chunk of a split registration: a real broker's splitRegistrationSize (800),
   * scaled down so a chunked table stays a few requests.
   * @default 8
   */
  readonly splitChunkTopics?: number;
}

/** Least requests per sequence the differential test asks for. */
export const REQUESTS_PER_SEQUENCE_MIN = 200;

// ---- Wire constants the simulated senders use -----------------------------------------------

/** MQVersion ordinals senders claim. */
const VERSION_5 = rm.MQVersion.V5_3_3;
const VERSION_4_9_3 = rm.MQVersion.V4_9_3;
const VERSION_4_0 = rm.MQVersion.V4_0_0;
/** Java KV namespace whose table brokers get back on registration. */
export const ORDER_TOPIC_CONFIG_NAMESPACE = "ORDER_TOPIC_CONFIG";
/** Heartbeat timeout an acting-master broker declares (brokerNotActiveTimeoutMillis, raised so a
 *  slow seed never expires it on the Java side in the middle of a sequence). */
const ACTING_MASTER_TIMEOUT_MS = 60_000;
/** Topics every 5.x broker registers besides its own. */
const SYSTEM_TOPICS = ["TBW102", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC"];
/** Permission values brokers use: RW, R, W, RW+inherit. */
const PERMS = [6, 6, 6, 6, 4, 2, 7];
const QUEUE_NUMS = [1, 2, 4, 8, 8, 16];

// ---- Generator model -------------------------------------------------------------------------

interface TopicSpec {
  readonly name: string;
  readonly read: number;
  readonly write: number;
  readonly perm: number;
  readonly sysFlag: number;
  readonly order: boolean;
}

interface DataVersion {
  readonly counter: number;
  readonly stateVersion: number;
  readonly timestamp: number;
}

interface Group {
  readonly name: string;
  readonly cluster: string;
  /** null: a 4.x broker, which sends no enableActingMaster header. */
  readonly actingMaster: boolean | null;
  readonly zone: string | null;
  /** enableSplitRegistration=true. */
  readonly split: boolean;
  /** 4.x broker sending zlib-compressed bodies (header compressed=true). */
  readonly compressed: boolean;
  readonly version: number;
  readonly instances: Instance[];
  /**
   * Counts the master's registrations and topic table changes: a slave whose table was synced
   * at an older count, or which registered such a table, lags behind its master.
   */
  masterEpoch: number;
  /**
   * A DELETE_TOPIC_IN_NAMESRV reached this group's cluster since the master's last full
   * registration, which is what brings a topic the master still has back on Java's name server.
   */
  deletedSinceMasterFull: boolean;
}

interface Instance {
  readonly group: Group;
  readonly actor: string;
  readonly addr: string;
  readonly haAddr: string;
  id: number;
  /** Registered, from the senders' point of view. */
  up: boolean;
  /** Its topic config table; a slave's is a copy of the master's as of its last sync. */
  table: Map<string, TopicSpec>;
  /** A slave: the group's masterEpoch when its table was last synced from the master. */
  tableEpoch: number;
  /** A slave: the tableEpoch of its last full registration (null: none since it started). */
  registeredEpoch: number | null;
  dv: DataVersion;
  /** DataVersion of its last full registration. */
  lastSentDv: DataVersion | null;
  /** DataVersion of its last registration of any kind (a DataVersion never goes back). */
  lastRegisteredDv: DataVersion | null;
}

interface ClientSpec {
  readonly actor: string;
  readonly version: number;
  readonly language: number;
  readonly serializeType: rm.SerializeType;
  /** Sends acceptStandardJsonOnly=true on route queries. */
  readonly standardOnly: boolean;
}

/** Generates the steps of one seed. Deterministic: same seed and options, same steps. */
export function generateSequence(seed: number, options: GeneratorOptions = {}): DiffSequence {
  const generator = new SequenceGenerator(seed, options.splitChunkTopics ?? 8);
  generator.run(Math.max(options.requests ?? 220, REQUESTS_PER_SEQUENCE_MIN));
  return generator.result();
}

/**
 * The steps every suite sends once before the seeds: a permanent ORDER_TOPIC_CONFIG entry, so
 * that namespace never goes empty between seeds (Java keeps an emptied namespace and answers
 * every later registration with `{"table":{}}`, which would leak one seed into the next).
 */
export function preludeSteps(): DiffStep[] {
  return [
    {
      index: 0,
      actor: "prelude",
      label: "put kv ORDER_TOPIC_CONFIG/DiffKeep (kept for the whole suite)",
      request: plainRequest(rm.RequestCode.PUT_KV_CONFIG, { namespace: ORDER_TOPIC_CONFIG_NAMESPACE, key: "DiffKeep", value: "keep:1" }),
      tags: [],
    },
  ];
}

function plainRequest(code: number, extFields: Record<string, string>, body?: Buffer): DiffRequest {
  const request: DiffRequest = {
    code,
    extFields,
    version: VERSION_5,
    language: rm.LanguageCode.JAVA,
    serializeType: rm.SerializeType.JSON,
    oneway: false,
    ...(body === undefined ? {} : { body }),
  };
  return request;
}

type Event = readonly [weight: number, run: () => void];

class SequenceGenerator {
  private readonly rng: SeededRng;
  private readonly steps: DiffStep[] = [];
  private readonly groups: Group[] = [];
  private readonly clients: ClientSpec[];
  private readonly admin: ClientSpec;
  private readonly features: SeedFeatures;
  private readonly tag: string;
  private readonly clusterA: string;
  private readonly clusterB: string;
  /** Every topic name any broker of this seed ever had, in first-seen order. */
  private readonly topicsSeen: string[] = [];
  private readonly kv = new Map<string, Map<string, string>>();
  private readonly namespaces: string[];
  private clockMs: number;
  private topicCounter = 0;
  private malformedLeft: number;
  /** Broker crashes left in this sequence (each costs our suspicion time, ~300 ms). */
  private crashesLeft = 2;

  constructor(
    private readonly seed: number,
    private readonly splitChunkTopics: number,
  ) {
    this.rng = new SeededRng(0x9e37_79b9 ^ Math.imul(seed, 0x85eb_ca6b));
    this.tag = `s${seed}`;
    this.clusterA = `DiffA_${this.tag}`;
    this.clusterB = `DiffB_${this.tag}`;
    this.clockMs = 1_700_000_000_000 + seed * 10_000_000;
    this.features = {
      compressedOldBroker: this.chance(0.5),
      malformedTopics: this.chance(0.5),
    };
    this.malformedLeft = this.features.malformedTopics ? 2 : 0;
    this.namespaces = [`DiffNs_${this.tag}_a`, `DiffNs_${this.tag}_b`, ORDER_TOPIC_CONFIG_NAMESPACE];
    this.clients = [
      { actor: `client-v5_${this.tag}`, version: VERSION_5, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.JSON, standardOnly: false },
      { actor: `client-v4.9.3_${this.tag}`, version: VERSION_4_9_3, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.JSON, standardOnly: false },
      { actor: `client-v4.9.3-std_${this.tag}`, version: VERSION_4_9_3, language: rm.LanguageCode.GO, serializeType: rm.SerializeType.JSON, standardOnly: true },
      { actor: `client-v4.0-node_${this.tag}`, version: VERSION_4_0, language: rm.LanguageCode.NODE_JS, serializeType: rm.SerializeType.JSON, standardOnly: false },
      { actor: `client-v5-binary_${this.tag}`, version: VERSION_5, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.ROCKETMQ, standardOnly: false },
    ];
    this.admin = { actor: `admin_${this.tag}`, version: VERSION_5, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.JSON, standardOnly: false };
    this.buildGroups();
  }

  // ---- Randomness ----------------------------------------------------------------------------

  private chance(p: number): boolean {
    return nextUnit(this.rng) < p;
  }

  private pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[nextIndex(this.rng, items.length)] as T;
  }

  private between(min: number, max: number): number {
    return min + nextIndex(this.rng, max - min + 1);
  }

  private tick(): number {
    this.clockMs += this.between(1, 1_500);
    return this.clockMs;
  }

  private nextVersion(dv: DataVersion): DataVersion {
    return { counter: dv.counter + 1, stateVersion: 0, timestamp: this.tick() };
  }

  // ---- World -----------------------------------------------------------------------------------

  private buildGroups(): void {
    let host = 0;
    const addGroup = (spec: Omit<Group, "instances" | "masterEpoch" | "deletedSinceMasterFull">, ids: readonly number[]): Group => {
      const group: Group = { ...spec, masterEpoch: 0, deletedSinceMasterFull: false, instances: [] };
      const table = this.initialTable(group);
      const dv: DataVersion = { counter: this.between(0, 40), stateVersion: 0, timestamp: this.tick() };
      for (const id of ids) {
        host += 1;
        const ip = `10.${(this.seed >>> 8) & 0xff}.${this.seed & 0xff}.${host}`;
        group.instances.push({
          group,
          actor: `${spec.name}@${spec.cluster}#${host}`,
          addr: `${ip}:10911`,
          haAddr: `${ip}:10912`,
          id,
          up: false,
          table: new Map(table),
          tableEpoch: 0,
          registeredEpoch: null,
          dv,
          lastSentDv: null,
          lastRegisteredDv: null,
        });
      }
      this.groups.push(group);
      return group;
    };
    const t = this.tag;
    addGroup({ name: `ga_${t}`, cluster: this.clusterA, actingMaster: false, zone: null, split: false, compressed: false, version: VERSION_5 }, [0, 1]);
    addGroup({ name: `gb_${t}`, cluster: this.clusterA, actingMaster: true, zone: null, split: false, compressed: false, version: VERSION_5 }, [0, 1, 2]);
    addGroup({ name: `gc_${t}`, cluster: this.clusterB, actingMaster: false, zone: `zone-b_${t}`, split: true, compressed: false, version: VERSION_5 }, [0]);
    addGroup(
      { name: `go_${t}`, cluster: this.clusterB, actingMaster: null, zone: null, split: false, compressed: this.features.compressedOldBroker, version: VERSION_4_9_3 },
      [0, 1],
    );
    // No broker name is shared by two clusters: RocketMQ requires broker names to be unique per
    // name server, and Java merges such instances into one BrokerData (the first cluster, the
    // last address) and ignores the other one's unregistration.
  }

  private initialTable(group: Group): Map<string, TopicSpec> {
    const table = new Map<string, TopicSpec>();
    const add = (spec: TopicSpec): void => {
      table.set(spec.name, spec);
      this.seen(spec.name);
    };
    for (const name of [...SYSTEM_TOPICS, group.name, group.cluster]) add({ name, read: 8, write: 8, perm: 6, sysFlag: 0, order: false });
    const business = group.split ? this.between(14, 22) : this.between(2, 6);
    for (let i = 0; i < business; i++) add(this.newTopic(group));
    return table;
  }

  /** A new topic: plain, or one of the legal-but-unusual shapes (retry, DLQ, system prefix, dots
   *  and pipes, 127 characters). The unit flags follow the name, so a topic has one sysFlag on
   *  every broker (Java answers 311-313 from the first QueueData in HashMap order). */
  private newTopic(group: Group): TopicSpec {
    this.topicCounter += 1;
    const n = this.topicCounter;
    const t = this.tag;
    const shapes = [
      `T_${t}_${n}`,
      `T_${t}_${n}`,
      `%RETRY%cg_${t}_${n}`,
      `%DLQ%cg_${t}_${n}`,
      `rmq_sys_${t}_${n}`,
      `a.b-c|d_${t}_${n}`,
      `L${n}_${t}_`.padEnd(127, "x"),
    ];
    const unit = group.compressed ? 0 : this.pick([0, 0, 0, 0, 1, 2, 3]);
    const base = this.pick(shapes);
    const name = unit === 0 || base.length > 120 ? base : `${base}_u${unit}`;
    return {
      name,
      read: this.pick(QUEUE_NUMS),
      write: this.pick(QUEUE_NUMS),
      perm: this.pick(PERMS),
      sysFlag: name.endsWith("_u1") ? 1 : name.endsWith("_u2") ? 2 : name.endsWith("_u3") ? 3 : 0,
      order: this.chance(0.1),
    };
  }

  private seen(name: string): void {
    if (!this.topicsSeen.includes(name)) this.topicsSeen.push(name);
  }

  private master(group: Group): Instance | undefined {
    return group.instances.find((instance) => instance.id === 0);
  }

  private allInstances(): Instance[] {
    return this.groups.flatMap((group) => group.instances);
  }

  // ---- Steps -----------------------------------------------------------------------------------

  private push(
    actor: ClientSpec | Instance,
    label: string,
    request: Omit<DiffRequest, "version" | "language" | "serializeType" | "oneway"> & Partial<DiffRequest>,
    extra: Partial<Pick<DiffStep, "tags" | "unregister" | "disconnectFirst">> = {},
  ): void {
    const sender = "group" in actor
      ? { version: actor.group.version, language: rm.LanguageCode.JAVA, serializeType: rm.SerializeType.JSON }
      : { version: actor.version, language: actor.language, serializeType: actor.serializeType };
    const full: DiffRequest = { oneway: false, ...sender, ...request };
    const step: DiffStep = { index: this.steps.length, actor: actor.actor, label, request: full, tags: extra.tags ?? [] };
    this.steps.push({
      ...step,
      ...(extra.unregister === undefined ? {} : { unregister: extra.unregister }),
      ...(extra.disconnectFirst === undefined ? {} : { disconnectFirst: extra.disconnectFirst }),
    });
  }

  private instanceRef(instance: Instance): BrokerInstanceRef {
    return { clusterName: instance.group.cluster, brokerName: instance.group.name, brokerAddr: instance.addr };
  }

  private brokerHeader(instance: Instance): Record<string, string> {
    return { brokerName: instance.group.name, brokerAddr: instance.addr, clusterName: instance.group.cluster, brokerId: String(instance.id) };
  }

  /**
   * REGISTER_BROKER as BrokerOuterAPI.registerBrokerAll builds it. A registration by the master
   * moves the group's masterEpoch on: the slaves lag behind until they sync and register again.
   */
  private register(instance: Instance, topics: readonly TopicSpec[], dv: DataVersion, label: string, tags: StepTag[]): void {
    const group = instance.group;
    // A broker's DataVersion never goes back (in either order RocketMQ and we compare it in).
    const last = instance.lastRegisteredDv;
    if (last !== null && (compareVersion(dv, last) < 0 || compareVersionByTime(dv, last) < 0)) {
      throw new Error(`generator: ${instance.actor} would register DataVersion ${JSON.stringify(dv)} after ${JSON.stringify(last)}`);
    }
    instance.lastRegisteredDv = dv;
    if (instance.id === 0) group.masterEpoch += 1;
    const body = this.registerBody(group, topics, dv);
    const ext: Record<string, string> = {
      ...this.brokerHeader(instance),
      haServerAddr: instance.haAddr,
      compressed: group.compressed ? "true" : "false",
      bodyCrc32: String(rm.bodyCrc32(body)),
    };
    if (group.actingMaster !== null) ext["enableActingMaster"] = String(group.actingMaster);
    if (group.actingMaster === true) ext["heartbeatTimeoutMillis"] = String(ACTING_MASTER_TIMEOUT_MS);
    if (group.zone !== null) ext["__ZONE_NAME"] = group.zone;
    this.push(instance, `${label} ${group.name}/${instance.id} ${instance.addr} (${topics.length} topics, counter ${dv.counter})`, { code: rm.RequestCode.REGISTER_BROKER, extFields: ext, body }, { tags });
  }

  private registerBody(group: Group, topics: readonly TopicSpec[], dv: DataVersion): Buffer {
    const table = new Map<string, rm.TopicConfig>();
    for (const t of topics) {
      table.set(t.name, {
        topicName: t.name,
        readQueueNums: t.read,
        writeQueueNums: t.write,
        perm: t.perm,
        topicFilterType: "SINGLE_TAG",
        topicSysFlag: t.sysFlag,
        order: t.order,
        attributes: new Map(),
      });
    }
    const body: rm.RegisterBrokerBody = {
      topicConfigSerializeWrapper: { topicConfigTable: table, dataVersion: { ...dv }, topicQueueMappingInfoMap: new Map() },
      filterServerList: [],
    };
    return group.compressed ? rm.encodeCompressedRegisterBrokerBody(body, group.version) : rm.encodeRegisterBrokerBody(body);
  }

  /**
   * A periodic full registration (forceRegister=true). A broker with enableSplitRegistration
   * sends its table in chunks as BrokerController.registerBrokerAll does: each chunk's wrapper
   * shares the broker's DataVersion, which TopicConfigManager.buildSerializeWrapper bumps right
   * after building it, before the body is encoded, so every chunk carries a new counter and
   * the remainder (possibly empty) goes last.
   */
  private fullRegistration(instance: Instance): void {
    const group = instance.group;
    if (group.split) {
      const topics = [...instance.table.values()];
      for (let start = 0; start + this.splitChunkTopics <= topics.length; start += this.splitChunkTopics) {
        instance.dv = this.nextVersion(instance.dv);
        this.register(instance, topics.slice(start, start + this.splitChunkTopics), instance.dv, "register split chunk", ["register-split"]);
      }
      instance.dv = this.nextVersion(instance.dv);
      const rest = topics.slice(topics.length - (topics.length % this.splitChunkTopics));
      this.register(instance, rest, instance.dv, "register split remainder", ["register-split"]);
    } else {
      const unchanged = instance.lastSentDv !== null && sameVersion(instance.lastSentDv, instance.dv);
      const tags: StepTag[] = unchanged ? ["register-full", "register-unchanged"] : ["register-full"];
      this.register(instance, [...instance.table.values()], instance.dv, unchanged ? "re-register unchanged" : "register full", tags);
    }
    instance.lastSentDv = instance.dv;
    instance.registeredEpoch = instance.tableEpoch;
    if (instance.id === 0) group.deletedSinceMasterFull = false;
    instance.up = true;
  }

  /**
   * Running slaves (or `only`, a slave starting up) copy their running master's topic table and
   * DataVersion (SlaveSynchronize). A DataVersion never goes back on one instance: a slave that
   * moved on while its master was down takes the table with a newer version of its own.
   */
  private slaveSync(group: Group, only?: Instance): void {
    const master = this.master(group);
    if (!master?.up) return;
    for (const instance of group.instances) {
      if (instance === master || (only === undefined ? !instance.up : instance !== only)) continue;
      instance.table = new Map(master.table);
      instance.tableEpoch = group.masterEpoch;
      const newer = compareVersion(master.dv, instance.dv) >= 0 && compareVersionByTime(master.dv, instance.dv) >= 0;
      instance.dv = newer ? master.dv : this.nextVersion(instance.dv);
    }
  }

  /** Whether a slave's table, as synced and as last registered, is its master's current one. */
  private inStep(slave: Instance): boolean {
    return slave.tableEpoch === slave.group.masterEpoch && slave.registeredEpoch === slave.group.masterEpoch;
  }

  /**
   * Before a master unregisters or crashes: each running slave that lags behind syncs the
   * master's table and registers it in full, as it would have within its sync and registration
   * periods. Both name servers then hold the same table from master and slaves, so the routes
   * after the master leaves agree, although Java keeps the master's queue data and we show the
   * slave's registration. If topics were deleted on the name servers since the master's last
   * full registration, that periodic registration comes first (on Java it brings back a deleted
   * topic the master still has; a slave's registration does not while its master runs).
   */
  private slavesCatchUp(master: Instance): void {
    if (master.id !== 0) return;
    const running = master.group.instances.some((slave) => slave !== master && slave.up);
    if (running && master.group.deletedSinceMasterFull) this.fullRegistration(master);
    for (const slave of master.group.instances) {
      if (slave === master || !slave.up || this.inStep(slave)) continue;
      this.slaveSync(master.group, slave);
      this.fullRegistration(slave);
    }
  }

  /**
   * Whether a stopped instance may start now: a master always; a slave while its master runs
   * (it syncs first when it lags behind); with the master down only a 5.x slave whose table is
   * the master's last one (a 4.x slave registering without its master would be routed by us
   * from its own registration, while Java never takes topics from a 4.x slave).
   */
  private canStart(instance: Instance): boolean {
    if (instance.id === 0 || this.master(instance.group)?.up === true) return true;
    return instance.group.actingMaster !== null && instance.tableEpoch === instance.group.masterEpoch;
  }

  private unregister(instance: Instance, tags: StepTag[] = []): void {
    if (instance.up) this.slavesCatchUp(instance);
    const group = instance.group;
    const target = this.instanceRef(instance);
    const label = instance.up ? "unregister" : "unregister again (not registered)";
    this.push(instance, `${label} ${group.name}/${instance.id} ${instance.addr}`, { code: rm.RequestCode.UNREGISTER_BROKER, extFields: this.brokerHeader(instance) }, {
      tags: instance.up ? tags : [...tags, "unregister-duplicate"],
      unregister: target,
    });
    instance.up = false;
  }

  // ---- Events ----------------------------------------------------------------------------------

  run(requests: number): void {
    // Start-up: each group's instances in id order, sometimes the other way round.
    for (const group of this.groups) {
      const order = [...group.instances].sort((a, b) => a.id - b.id);
      // Sometimes a 5.x slave is up before its master (Java then treats it as the prime slave);
      // a 4.x slave never registers before its master.
      if (this.chance(0.25) && group.actingMaster !== null) order.reverse();
      for (const instance of order) this.fullRegistration(instance);
    }
    const events: Event[] = [
      [22, () => this.queryRoute()],
      [5, () => this.queryClusterInfo()],
      [9, () => this.queryTopicList()],
      [3, () => this.queryMemberGroup()],
      [1, () => this.push(this.admin, "get namesrv config", { code: rm.RequestCode.GET_NAMESRV_CONFIG, extFields: {} })],
      [10, () => this.reRegister()],
      [8, () => this.createTopics()],
      [3, () => this.updateTopic()],
      [3, () => this.slaveSync(this.pick(this.groups))],
      [4, () => this.queryDataVersion()],
      [4, () => this.heartbeat()],
      [3, () => this.shutdownBroker()],
      [1, () => this.unregisterAny()],
      [5, () => this.restartBroker()],
      [4, () => this.registerTopic()],
      [6, () => this.kvEvent()],
      [3, () => this.permEvent()],
      [3, () => this.deleteTopic()],
      [1, () => this.malformedRegistration()],
      [1, () => this.promoteSlave()],
      [1, () => this.crashAndRestart()],
      [1, () => this.registerBeforeFirst()],
      [1, () => this.oddRequest()],
    ];
    const total = events.reduce((sum, [weight]) => sum + weight, 0);
    while (this.steps.length < requests) {
      let roll = nextIndex(this.rng, total);
      for (const [weight, fire] of events) {
        if (roll < weight) {
          fire();
          break;
        }
        roll -= weight;
      }
    }
    this.cleanup();
  }

  private client(): ClientSpec {
    return this.pick(this.clients);
  }

  private queryRoute(): void {
    const client = this.client();
    const roll = nextUnit(this.rng);
    const topic =
      roll < 0.8 ? this.pick(this.topicsSeen) : roll < 0.9 ? this.pick(SYSTEM_TOPICS) : `NoSuchTopic_${this.tag}_${this.between(1, 3)}`;
    const ext: Record<string, string> = { topic };
    if (client.standardOnly) ext["acceptStandardJsonOnly"] = "true";
    if (this.chance(0.1)) {
      ext["__ZONE_MODE"] = "true";
      ext["__ZONE_NAME"] = this.chance(0.7) ? `zone-b_${this.tag}` : `zone-none_${this.tag}`;
    }
    this.push(client, `route of ${topic} (client version ${client.version})`, { code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: ext });
  }

  private queryClusterInfo(): void {
    this.push(this.client(), "cluster info", { code: rm.RequestCode.GET_BROKER_CLUSTER_INFO, extFields: {} });
  }

  private queryTopicList(): void {
    const client = this.client();
    const roll = nextIndex(this.rng, 6);
    if (roll === 0) this.push(client, "all topics", { code: rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, extFields: {} });
    else if (roll === 1) {
      const cluster = this.pick([this.clusterA, this.clusterB, this.clusterB, `NoCluster_${this.tag}`]);
      this.push(client, `topics of cluster ${cluster}`, { code: rm.RequestCode.GET_TOPICS_BY_CLUSTER, extFields: { cluster } });
    } else if (roll === 2) this.push(client, "system topics", { code: rm.RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, extFields: {} });
    else {
      const code = this.pick([rm.RequestCode.GET_UNIT_TOPIC_LIST, rm.RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, rm.RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST]);
      this.push(client, `unit topic list ${code}`, { code, extFields: {} });
    }
  }

  private queryMemberGroup(): void {
    const group = this.pick(this.groups);
    const brokerName = this.chance(0.85) ? group.name : `ghost_${this.tag}`;
    const clusterName = this.chance(0.8) ? group.cluster : this.pick([this.clusterA, this.clusterB]);
    this.push(this.client(), `member group ${clusterName}/${brokerName}`, { code: rm.RequestCode.GET_BROKER_MEMBER_GROUP, extFields: { clusterName, brokerName } });
  }

  /** The periodic registration of a running broker; sometimes with forceRegister=false, which
   *  asks QUERY_DATA_VERSION first; slaves often sync from their master just before. */
  private reRegister(): void {
    // A 4.x slave whose master is down does not register again after a topic deletion on the
    // name servers: Java takes no topics from a 4.x slave, we would route the deleted topic again.
    const up = this.allInstances().filter(
      (instance) => instance.up && !(instance.group.actingMaster === null && instance.id !== 0 && this.master(instance.group)?.up !== true && instance.group.deletedSinceMasterFull),
    );
    if (up.length === 0) return this.restartBroker();
    const instance = this.pick(up);
    if (instance.id !== 0 && this.chance(0.6)) this.slaveSync(instance.group);
    if (this.chance(0.2)) this.queryDataVersionOf(instance, instance.dv);
    this.fullRegistration(instance);
  }

  /**
   * Topic creation on a running master (auto-create on send, a consumer's %RETRY% topic,
   * mqadmin updateTopic): TopicConfigManager bumps the DataVersion and
   * BrokerController.registerIncrementBrokerData sends a REGISTER_BROKER holding only the new
   * topics, with that DataVersion; the next periodic full registration carries the same one.
   */
  private createTopics(): void {
    const group = this.pick(this.groups);
    const master = this.master(group);
    if (!master?.up) return this.restartBroker();
    const created = Array.from({ length: this.chance(0.8) ? 1 : 2 }, () => this.newTopic(group));
    for (const topic of created) {
      master.table.set(topic.name, topic);
      this.seen(topic.name);
    }
    master.dv = this.nextVersion(master.dv);
    this.sendTopicChange(master, created);
  }

  /** A 5.x broker registers a topic change incrementally; a 4.x broker registers in full. */
  private sendTopicChange(master: Instance, changed: readonly TopicSpec[]): void {
    if (master.group.version >= rm.MQVersion.V5_0_0) {
      this.register(master, changed, master.dv, "register incremental", ["register-incremental"]);
    } else this.fullRegistration(master);
  }

  /** mqadmin updateTopic on an existing topic: new perm or queue numbers, sent incrementally. */
  private updateTopic(): void {
    const group = this.pick(this.groups);
    const master = this.master(group);
    if (!master?.up || master.table.size === 0) return this.createTopics();
    const old = this.pick([...master.table.values()]);
    const updated: TopicSpec = { ...old, perm: this.pick(PERMS), read: this.pick(QUEUE_NUMS), write: this.pick(QUEUE_NUMS) };
    master.table.set(old.name, updated);
    master.dv = this.nextVersion(master.dv);
    this.sendTopicChange(master, [updated]);
  }

  private queryDataVersion(): void {
    const instance = this.pick(this.allInstances());
    const stale = instance.lastSentDv !== null && this.chance(0.25) ? instance.lastSentDv : instance.dv;
    this.queryDataVersionOf(instance, this.chance(0.1) ? { ...stale, counter: stale.counter + 1000 } : stale);
  }

  private queryDataVersionOf(instance: Instance, dv: DataVersion): void {
    this.push(instance, `query data version ${instance.group.name}/${instance.id} counter ${dv.counter}${instance.up ? "" : " (not registered)"}`, {
      code: rm.RequestCode.QUERY_DATA_VERSION,
      extFields: this.brokerHeader(instance),
      body: rm.encodeDataVersion({ ...dv }),
    });
  }

  /** BROKER_HEARTBEAT as acting-master brokers send it: oneway normally, sometimes sync. */
  private heartbeat(): void {
    const instance = this.pick(this.allInstances());
    const oneway = this.chance(0.6);
    this.push(instance, `heartbeat ${oneway ? "oneway " : ""}${instance.group.name}/${instance.id}${instance.up ? "" : " (not registered)"}`, {
      code: rm.RequestCode.BROKER_HEARTBEAT,
      extFields: { ...this.brokerHeader(instance), epoch: "0", maxOffset: "0", confirmOffset: "0", heartbeatTimeoutMills: "60000", electionPriority: "0" },
      oneway,
    });
  }

  /** UNREGISTER_BROKER for any instance, often one that is not registered (sent twice). */
  private unregisterAny(): void {
    const instances = this.allInstances();
    this.unregister(this.pick([...instances.filter((instance) => !instance.up), this.pick(instances)]));
  }

  private shutdownBroker(): void {
    const up = this.allInstances().filter((instance) => instance.up);
    if (up.length <= 2) return this.restartBroker();
    this.unregister(this.pick(up));
  }

  /**
   * A stopped broker starts again: it loads its table and DataVersion from disk; a slave whose
   * master runs syncs from it first when it lags behind (else mostly). `which` (a crashed
   * instance) is restarted if it may start now (see canStart), else another one.
   */
  private restartBroker(which?: Instance): void {
    const down = this.allInstances().filter((instance) => !instance.up && this.canStart(instance));
    if (down.length === 0) return this.reRegister();
    const instance = which !== undefined && down.includes(which) ? which : this.pick(down);
    const masterUp = this.master(instance.group)?.up === true;
    if (instance.id !== 0 && masterUp && (instance.tableEpoch !== instance.group.masterEpoch || this.chance(0.7))) this.slaveSync(instance.group, instance);
    this.fullRegistration(instance);
  }

  /**
   * REGISTER_TOPIC_IN_NAMESRV, as a broker with enableSingleTopicRegister sends it when it
   * creates or updates a topic (instead of an incremental REGISTER_BROKER); sometimes naming a
   * broker the name servers do not know, alone or after a known one (Java applies the known
   * queue data and stops at the unknown one).
   */
  private registerTopic(): void {
    // Single-topic registration is a 5.x broker feature.
    const group = this.pick(this.groups.filter((g) => g.version >= rm.MQVersion.V5_0_0));
    const master = this.master(group);
    const roll = nextUnit(this.rng);
    const queueData = (brokerName: string, t: TopicSpec): rm.QueueData => ({ brokerName, perm: t.perm, readQueueNums: t.read, writeQueueNums: t.write, topicSysFlag: t.sysFlag });
    let topic: TopicSpec;
    let queueDatas: rm.QueueData[];
    let label: string;
    if (roll < 0.6 && master?.up) {
      const existing = master.table.size > 0 && this.chance(0.4) ? this.pick([...master.table.values()]) : undefined;
      topic = existing ? { ...existing, perm: this.pick(PERMS), read: this.pick(QUEUE_NUMS) } : this.newTopic(group);
      master.table.set(topic.name, topic);
      master.dv = this.nextVersion(master.dv);
      group.masterEpoch += 1;
      this.seen(topic.name);
      queueDatas = [queueData(group.name, topic)];
      label = `register topic ${topic.name} on ${group.name} (${existing ? "update" : "new"})`;
    } else if (roll < 0.85) {
      topic = this.chance(0.5) || this.topicsSeen.length === 0 ? this.newTopic(group) : this.topicSpecOf(this.pick(this.topicsSeen));
      queueDatas = [queueData(`ghost_${this.tag}`, topic)];
      label = `register topic ${topic.name} on unknown broker ghost_${this.tag}`;
    } else {
      if (!master?.up || master.table.size === 0) return this.registerTopicGhostOnly();
      const existing = this.pick([...master.table.values()]);
      topic = { ...existing, perm: this.pick(PERMS) };
      master.table.set(topic.name, topic);
      master.dv = this.nextVersion(master.dv);
      group.masterEpoch += 1;
      queueDatas = [queueData(group.name, topic), queueData(`ghost_${this.tag}`, topic)];
      label = `register topic ${topic.name} on ${group.name} then on unknown broker ghost_${this.tag}`;
    }
    const body = rm.encodeTopicRouteData({ queueDatas, brokerDatas: [], filterServerTable: new Map() }, "legacy");
    const sender = master?.up ? master : this.admin;
    this.push(sender, label, { code: rm.RequestCode.REGISTER_TOPIC_IN_NAMESRV, extFields: { topic: topic.name }, body });
  }

  private registerTopicGhostOnly(): void {
    const topic = this.newTopic(this.pick(this.groups));
    const queueDatas: rm.QueueData[] = [{ brokerName: `ghost_${this.tag}`, perm: 6, readQueueNums: topic.read, writeQueueNums: topic.write, topicSysFlag: topic.sysFlag }];
    const body = rm.encodeTopicRouteData({ queueDatas, brokerDatas: [], filterServerTable: new Map() }, "legacy");
    this.push(this.admin, `register topic ${topic.name} on unknown broker ghost_${this.tag}`, { code: rm.RequestCode.REGISTER_TOPIC_IN_NAMESRV, extFields: { topic: topic.name }, body });
  }

  /** Any broker's spec of a topic, or a plain one (for names no broker holds any more). */
  private topicSpecOf(name: string): TopicSpec {
    for (const instance of this.allInstances()) {
      const spec = instance.table.get(name);
      if (spec) return spec;
    }
    return { name, read: 4, write: 4, perm: 6, sysFlag: name.endsWith("_u1") ? 1 : name.endsWith("_u2") ? 2 : name.endsWith("_u3") ? 3 : 0, order: false };
  }

  private kvEvent(): void {
    const namespace = this.pick(this.namespaces);
    const table = this.kv.get(namespace) ?? new Map<string, string>();
    this.kv.set(namespace, table);
    const keys = namespace === ORDER_TOPIC_CONFIG_NAMESPACE ? this.topicsSeen.slice(0, 6) : ["k0", "k1", "k2", "k3"];
    const key = this.chance(0.7) && table.size > 0 ? this.pick([...table.keys()]) : this.pick(keys);
    const roll = nextIndex(this.rng, 5);
    const actor = this.chance(0.5) ? this.admin : this.client();
    if (roll <= 1) {
      const value = namespace === ORDER_TOPIC_CONFIG_NAMESPACE ? `${this.pick(this.groups).name}:${this.pick(QUEUE_NUMS)}` : `v${this.between(0, 999)}`;
      table.set(key, value);
      this.push(actor, `put kv ${namespace}/${key}=${value}`, { code: rm.RequestCode.PUT_KV_CONFIG, extFields: { namespace, key, value } });
    } else if (roll === 2) {
      this.push(actor, `get kv ${namespace}/${key}`, { code: rm.RequestCode.GET_KV_CONFIG, extFields: { namespace, key } });
    } else if (roll === 3) {
      table.delete(key);
      this.push(actor, `delete kv ${namespace}/${key}`, { code: rm.RequestCode.DELETE_KV_CONFIG, extFields: { namespace, key } });
    } else {
      const listed = this.chance(0.85) ? namespace : `DiffNs_${this.tag}_never`;
      this.push(actor, `kv list ${listed}`, { code: rm.RequestCode.GET_KVLIST_BY_NAMESPACE, extFields: { namespace: listed } });
    }
  }

  private permEvent(): void {
    const brokerName = this.chance(0.9) ? this.pick(this.groups).name : `ghost_${this.tag}`;
    const wipe = this.chance(0.6);
    this.push(this.admin, `${wipe ? "wipe" : "add"} write perm of ${brokerName}`, {
      code: wipe ? rm.RequestCode.WIPE_WRITE_PERM_OF_BROKER : rm.RequestCode.ADD_WRITE_PERM_OF_BROKER,
      extFields: { brokerName },
    });
  }

  /**
   * mqadmin deleteTopic: the topic is first deleted on the running masters of the cluster
   * (their DataVersion moves on, so their next registration no longer has it; their slaves lag
   * behind until they sync), then on the name servers. Sometimes only the name servers are told
   * (a bare DELETE_TOPIC_IN_NAMESRV): the broker's next registration, changed or not, brings the
   * topic back on Java's name server (RouteInfoManager re-adds a topic the broker name lacks).
   */
  private deleteTopic(): void {
    if (this.topicsSeen.length === 0) return;
    const topic = this.chance(0.9) ? this.pick(this.topicsSeen) : this.pick(SYSTEM_TOPICS);
    const withCluster = this.chance(0.5);
    const cluster = withCluster ? this.pick([this.clusterA, this.clusterB, this.clusterB, `NoCluster_${this.tag}`]) : null;
    const brokerSide = this.chance(0.7);
    for (const group of this.groups) {
      if (cluster !== null && group.cluster !== cluster) continue;
      group.deletedSinceMasterFull = true;
      const master = this.master(group);
      if (!brokerSide || !master?.up || !master.table.has(topic)) continue;
      master.table.delete(topic);
      master.dv = this.nextVersion(master.dv);
      group.masterEpoch += 1;
      // The running slaves sync the deletion (SlaveSynchronize runs more often than brokers
      // register), so none registers the deleted topic again.
      this.slaveSync(group);
    }
    const ext: Record<string, string> = { topic };
    if (cluster !== null) ext["clusterName"] = cluster;
    this.push(this.admin, `delete topic ${topic}${cluster === null ? "" : ` in ${cluster}`}${brokerSide ? "" : " (name servers only)"}`, { code: rm.RequestCode.DELETE_TOPIC_IN_NAMESRV, extFields: ext });
  }

  /**
   * A good incremental registration with one topic name RocketMQ's TopicValidator rejects
   * (whitespace, '#', '/', longer than 512 characters). Java's name server stores any name; we
   * skip a name with whitespace or over 512 characters (intended, allow-listed) and keep the
   * rest. The route of the bad name is asked once; then the name is deleted on the name servers
   * and the registration is sent again without it, so both servers hold the same state again.
   */
  private malformedRegistration(): void {
    if (this.malformedLeft === 0) return this.createTopics();
    const group = this.pick(this.groups.filter((g) => !g.split && g.version >= rm.MQVersion.V5_0_0));
    const master = this.master(group);
    if (!master?.up) return this.restartBroker();
    this.malformedLeft -= 1;
    const good = this.newTopic(group);
    const badNames = [`bad topic_${this.tag}`, `bad\ttab_${this.tag}`, `bad#hash_${this.tag}`, `bad/slash_${this.tag}`, `M_${this.tag}_`.padEnd(513, "y")];
    const bad: TopicSpec = { name: this.pick(badNames), read: 4, write: 4, perm: 6, sysFlag: 0, order: false };
    const shown = JSON.stringify(bad.name.slice(0, 40));
    master.table.set(good.name, good);
    this.seen(good.name);
    master.dv = this.nextVersion(master.dv);
    this.register(master, [good, bad], master.dv, `register incremental with malformed topic ${shown}`, ["register-incremental", "malformed-topic"]);
    this.push(this.client(), `route of malformed topic ${shown}`, { code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: { topic: bad.name } }, { tags: ["malformed-topic"] });
    this.push(this.admin, `delete malformed topic ${shown}`, { code: rm.RequestCode.DELETE_TOPIC_IN_NAMESRV, extFields: { topic: bad.name } }, { tags: ["malformed-repair"] });
    this.register(master, [good], master.dv, "register incremental again without the malformed topic", ["register-incremental", "malformed-repair"]);
  }

  /**
   * Controller-mode failover on the non-acting group: with the master down, the slave
   * re-registers as id 0 on its own address (Java first drops its old id there), and the old
   * master comes back later as the slave.
   */
  private promoteSlave(): void {
    const group = this.groups.find((g) => g.actingMaster === false && g.instances.length === 2);
    if (!group) return this.reRegister();
    const master = this.master(group);
    const slave = group.instances.find((instance) => instance.id !== 0);
    if (!master || !slave) return this.reRegister();
    if (master.up) return this.unregister(master);
    if (!slave.up) return this.restartBroker();
    master.id = slave.id;
    slave.id = 0;
    slave.dv = this.nextVersion(slave.dv);
    this.fullRegistration(slave);
  }

  /**
   * A broker process dies (its connection closes; both name servers drop it, Java through the
   * channel-close housekeeping, we when the connection is lost), a client looks at the cluster,
   * and the broker starts again.
   */
  private crashAndRestart(): void {
    const up = this.allInstances().filter((instance) => instance.up);
    if (up.length <= 2 || this.crashesLeft === 0) return this.reRegister();
    this.crashesLeft -= 1;
    const instance = this.pick(up);
    this.slavesCatchUp(instance);
    this.push(this.client(), `cluster info after ${instance.group.name}/${instance.id} ${instance.addr} crashed`, { code: rm.RequestCode.GET_BROKER_CLUSTER_INFO, extFields: {} }, {
      tags: ["crash"],
      disconnectFirst: { actor: instance.actor, target: this.instanceRef(instance) },
    });
    instance.up = false;
    if (this.chance(0.5)) this.queryRouteOfGroup(instance.group);
    this.restartBroker(instance);
  }

  /**
   * A running 5.x master the name servers no longer hold (as after a name-server restart or an
   * expiry) creates one topic and registers it incrementally before its next full registration:
   * RouteInfoManager's guard answers "register broker failed" for a broker id it does not know
   * when the table has exactly one topic. A client looks at the cluster; the periodic full
   * registration follows.
   */
  private registerBeforeFirst(): void {
    const down = this.allInstances().filter((i) => !i.up && i.id === 0 && i.group.version >= rm.MQVersion.V5_0_0 && !i.group.split);
    if (down.length === 0) return this.shutdownBroker();
    // Mostly a broker name with no running instance (its slaves stop first when needed), whose
    // BrokerData is then gone on both servers.
    const master = this.pick(down);
    if (this.chance(0.7)) for (const slave of master.group.instances) if (slave.up) this.unregister(slave);
    const topic = this.newTopic(master.group);
    master.table.set(topic.name, topic);
    this.seen(topic.name);
    master.dv = this.nextVersion(master.dv);
    this.register(master, [topic], master.dv, "register incremental before the first full registration", ["register-incremental", "register-before-first"]);
    this.queryClusterInfo();
    this.fullRegistration(master);
  }

  private queryRouteOfGroup(group: Group): void {
    const topics = [...(this.master(group) ?? group.instances[0] as Instance).table.keys()];
    if (topics.length === 0) return this.queryClusterInfo();
    const client = this.client();
    const topic = this.pick(topics);
    const ext: Record<string, string> = { topic };
    if (client.standardOnly) ext["acceptStandardJsonOnly"] = "true";
    this.push(client, `route of ${topic} (client version ${client.version})`, { code: rm.RequestCode.GET_ROUTEINFO_BY_TOPIC, extFields: ext });
  }

  /** Requests a client may send that no handler path above covers. */
  private oddRequest(): void {
    if (this.chance(0.5)) {
      this.push(this.admin, "unknown request code 777", { code: 777, extFields: {} });
    } else {
      this.push(this.admin, "update namesrv config with a black-listed key", {
        code: rm.RequestCode.UPDATE_NAMESRV_CONFIG,
        extFields: {},
        body: Buffer.from("kvConfigPath=/nowhere/kv.json\n", "utf8"),
      });
    }
  }

  /** The tail: every broker leaves, every KV entry of this seed is deleted, a last look. */
  private cleanup(): void {
    // Slaves leave before their master, so no slave is left alone behind it.
    for (const group of this.groups) {
      const leaving = group.instances.filter((instance) => instance.up).sort((a, b) => b.id - a.id);
      for (const instance of leaving) this.unregister(instance, ["cleanup"]);
    }
    for (const [namespace, table] of this.kv) {
      for (const key of [...table.keys()].sort()) {
        this.push(this.admin, `delete kv ${namespace}/${key} (clean-up)`, { code: rm.RequestCode.DELETE_KV_CONFIG, extFields: { namespace, key } }, { tags: ["cleanup"] });
      }
    }
    this.push(this.admin, "cluster info (clean-up)", { code: rm.RequestCode.GET_BROKER_CLUSTER_INFO, extFields: {} }, { tags: ["cleanup"] });
    this.push(this.admin, "all topics (clean-up)", { code: rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, extFields: {} }, { tags: ["cleanup"] });
  }

  result(): DiffSequence {
    const actors = new Set(this.steps.map((step) => step.actor));
    return { seed: this.seed, steps: this.steps, features: this.features, actors: [...actors] };
  }
}

/** DataVersion order as RocketMQ's DataVersion.compare: stateVersion, counter, timestamp. */
function compareVersion(a: DataVersion, b: DataVersion): number {
  return a.stateVersion - b.stateVersion || a.counter - b.counter || a.timestamp - b.timestamp;
}

/** DataVersion order as our node merges registrations: stateVersion, timestamp, counter. */
function compareVersionByTime(a: DataVersion, b: DataVersion): number {
  return a.stateVersion - b.stateVersion || a.timestamp - b.timestamp || a.counter - b.counter;
}

function sameVersion(a: DataVersion, b: DataVersion): boolean {
  return a.counter === b.counter && a.stateVersion === b.stateVersion && a.timestamp === b.timestamp;
}

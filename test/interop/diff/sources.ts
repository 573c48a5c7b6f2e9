// Answer sources of the differential test: a live name server over remoting (the Java one or
// one of our nodes), a mirror that repeats another source's answers, and a deliberately wrong
// wrapper that proves the comparison can fail. A source also knows how to wait until an
// UNREGISTER_BROKER has taken effect on it, polling GET_BROKER_CLUSTER_INFO with a deadline.
import * as rm from "../../../src/protocol/remoting/index.js";
import { waitFor } from "../../integration/helpers/wait.js";
import type { Answer } from "./compare.js";
import type { BrokerInstanceRef, DiffStep } from "./generator.js";
import { ClientPool } from "./remoting_client.js";

/** Deadline for an unregistered broker to leave a server's cluster info. */
export const SETTLE_DEADLINE_MS = 10_000;

/** A broker instance an UNREGISTER_BROKER names. */
export type UnregisterTarget = BrokerInstanceRef;

/** Something that answers the steps of a sequence. */
export interface AnswerSource {
  readonly name: string;
  /** Sends the step's request on its actor's connection; null for a oneway request. */
  send(step: DiffStep): Promise<Answer | null>;
  /**
   * After an UNREGISTER_BROKER or a broker's connection closed: resolves true once `target` is
   * gone from this server's GET_BROKER_CLUSTER_INFO (and every unregister queued before it has
   * been applied), false when the deadline passed first.
   */
  settleUnregister(target: UnregisterTarget): Promise<boolean>;
  /** Closes the connections of these actors (after a seed). */
  closeActors(actors: readonly string[]): Promise<void>;
  /** Closes everything. */
  close(): Promise<void>;
}

/** Connection name of the harness's own requests (cluster-info polls, the barrier broker). */
const HARNESS_ACTOR = "__harness";

/**
 * The broker the Java barrier registers and unregisters. Java applies UNREGISTER_BROKER later,
 * in batches, from one FIFO queue (BatchUnregistrationService): once this broker's unregister,
 * queued after the step's, has left the cluster info, the step's has been applied too.
 */
const BARRIER = { clusterName: "DiffBarrier", brokerName: "diff-barrier", brokerAddr: "127.0.0.1:9", brokerId: "0" };

/** A name server reached over remoting on 127.0.0.1. */
export class LiveSource implements AnswerSource {
  private readonly pool: ClientPool;

  /**
   * @param asyncUnregister the server applies UNREGISTER_BROKER asynchronously (Java): settling
   *   then also runs the barrier above.
   */
  constructor(
    readonly name: string,
    port: number,
    private readonly asyncUnregister: boolean,
  ) {
    this.pool = new ClientPool(name, port);
  }

  async send(step: DiffStep): Promise<Answer | null> {
    const client = await this.pool.get(step.actor);
    const r = step.request;
    const input = { code: r.code, extFields: r.extFields, body: r.body, version: r.version, language: r.language, serializeType: r.serializeType };
    if (r.oneway) {
      client.oneway(input);
      return null;
    }
    return client.request(input);
  }

  /** One harness request (not part of any sequence). */
  async harnessRequest(code: number, extFields: Record<string, string> = {}, body?: Buffer): Promise<rm.RemotingCommand> {
    const client = await this.pool.get(HARNESS_ACTOR);
    return client.request({ code, extFields, body, version: rm.MQVersion.CURRENT });
  }

  /** The broker addresses in this server's cluster info, by broker name. */
  async clusterAddresses(): Promise<Map<string, string[]>> {
    const answer = await this.harnessRequest(rm.RequestCode.GET_BROKER_CLUSTER_INFO);
    const info = rm.decodeClusterInfo(answer.body);
    return new Map([...info.brokerAddrTable].map(([name, data]) => [name, [...data.brokerAddrs.values()]]));
  }

  async settleUnregister(target: UnregisterTarget): Promise<boolean> {
    try {
      if (this.asyncUnregister) await this.barrier();
      await waitFor(`${this.name}: ${target.brokerAddr} gone from cluster info`, async () => {
        const addresses = await this.clusterAddresses();
        const present = [...addresses.values()].some((list) => list.includes(target.brokerAddr));
        return present ? undefined : true;
      }, SETTLE_DEADLINE_MS);
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("timed out")) return false;
      throw error;
    }
  }

  private async barrier(): Promise<void> {
    const body = rm.encodeRegisterBrokerBody({
      topicConfigSerializeWrapper: { topicConfigTable: new Map(), dataVersion: { counter: 0, stateVersion: 0, timestamp: 0 }, topicQueueMappingInfoMap: new Map() },
      filterServerList: [],
    });
    const header = { brokerName: BARRIER.brokerName, brokerAddr: BARRIER.brokerAddr, clusterName: BARRIER.clusterName, brokerId: BARRIER.brokerId };
    const registered = await this.harnessRequest(rm.RequestCode.REGISTER_BROKER, { ...header, haServerAddr: BARRIER.brokerAddr, enableActingMaster: "false" }, body);
    if (registered.code !== 0) throw new Error(`${this.name}: barrier registration answered ${registered.code} ${registered.remark ?? ""}`);
    const unregistered = await this.harnessRequest(rm.RequestCode.UNREGISTER_BROKER, header);
    if (unregistered.code !== 0) throw new Error(`${this.name}: barrier unregister answered ${unregistered.code} ${unregistered.remark ?? ""}`);
    await waitFor(`${this.name}: unregister queue drained`, async () => ((await this.clusterAddresses()).has(BARRIER.brokerName) ? undefined : true), SETTLE_DEADLINE_MS);
  }

  async closeActors(actors: readonly string[]): Promise<void> {
    const names = new Set(actors);
    await this.pool.close((actor) => names.has(actor));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * Records another source's answers so a MirrorSource can repeat them: the reference of the
 * "can the check fail" test, whose candidate is a wrong wrapper around that mirror.
 */
export class TeeSource implements AnswerSource {
  private readonly answers = new Map<number, Promise<Answer | null>>();

  constructor(private readonly inner: AnswerSource) {}

  get name(): string {
    return this.inner.name;
  }

  send(step: DiffStep): Promise<Answer | null> {
    const answer = this.inner.send(step);
    this.answers.set(step.index, answer);
    return answer;
  }

  /** The answer recorded for a step (once). */
  take(index: number): Promise<Answer | null> {
    const answer = this.answers.get(index);
    if (answer === undefined) throw new Error(`no recorded answer for step ${index}`);
    this.answers.delete(index);
    return answer;
  }

  settleUnregister(target: UnregisterTarget): Promise<boolean> {
    return this.inner.settleUnregister(target);
  }

  closeActors(actors: readonly string[]): Promise<void> {
    return this.inner.closeActors(actors);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Answers exactly what a TeeSource recorded for the same step. */
export class MirrorSource implements AnswerSource {
  constructor(private readonly tee: TeeSource) {}

  get name(): string {
    return `mirror of ${this.tee.name}`;
  }

  send(step: DiffStep): Promise<Answer | null> {
    return this.tee.take(step.index);
  }

  async settleUnregister(): Promise<boolean> {
    return true;
  }

  async closeActors(): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * A deliberately wrong name server: route answers keep a broker's queues only for the topics of
 * that broker's latest REGISTER_BROKER, as a server would that replaced a broker's topics with
 * each registration instead of merging them (so an incremental registration hides every older
 * topic). Everything else passes through unchanged.
 */
export class TopicsReplacedSource implements AnswerSource {
  private readonly lastTopics = new Map<string, Set<string>>();

  constructor(private readonly inner: AnswerSource) {}

  get name(): string {
    return `${this.inner.name} with topics replaced per registration`;
  }

  async send(step: DiffStep): Promise<Answer | null> {
    const answer = await this.inner.send(step);
    const r = step.request;
    if (r.code === rm.RequestCode.REGISTER_BROKER && answer?.code === 0) this.recordRegistration(step);
    if (r.code !== rm.RequestCode.GET_ROUTEINFO_BY_TOPIC || answer === null || answer.code !== 0) return answer;
    const topic = r.extFields["topic"] as string;
    const route = rm.decodeTopicRouteData(answer.body);
    const kept = (brokerName: string): boolean => this.lastTopics.get(brokerName)?.has(topic) ?? true;
    const trimmed: rm.TopicRouteData = {
      ...route,
      queueDatas: route.queueDatas.filter((q) => kept(q.brokerName)),
      brokerDatas: route.brokerDatas.filter((b) => kept(b.brokerName)),
    };
    if (trimmed.queueDatas.length === 0 || trimmed.brokerDatas.length === 0) {
      const spec = rm.getRouteInfoByTopicNotExist(topic);
      return { code: spec.code, remark: spec.remark, extFields: {} };
    }
    const mode = rm.routeJsonMode(r.version, r.extFields["acceptStandardJsonOnly"] === "true");
    return { ...answer, body: rm.encodeTopicRouteData(trimmed, mode) };
  }

  private recordRegistration(step: DiffStep): void {
    const r = step.request;
    const body = rm.decodeRegisterBrokerBody(r.body, r.extFields["compressed"] === "true", r.version);
    const topics = new Set(body.topicConfigSerializeWrapper.topicConfigTable.keys());
    // Only topics of a master or the prime slave reach routes; a plain slave's registration
    // would replace nothing on such a server either, so only master registrations count here.
    if (r.extFields["brokerId"] === "0") this.lastTopics.set(r.extFields["brokerName"] as string, topics);
  }

  settleUnregister(target: UnregisterTarget): Promise<boolean> {
    return this.inner.settleUnregister(target);
  }

  closeActors(actors: readonly string[]): Promise<void> {
    return this.inner.closeActors(actors);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

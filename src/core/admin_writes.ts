// What operators write: KV entries, topic deletions and write-permission wipes and adds, each
// a record for the replication part to apply, plus the KV reads with RocketMQ's not-found
// rules and the persisted KV records loaded at start. Pure.
import { LimitExceededError, NotFoundError } from "../errors.js";
import type { KvRecord } from "../model/records.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { NodeContext } from "./node_context.js";
import type { Replication } from "./replication.js";

/** The admin part of a node. */
export class AdminWrites {
  constructor(
    private readonly ctx: NodeContext,
    private readonly registry: BrokerRegistry,
    private readonly replication: Replication,
  ) {}

  kvPut(namespace: string, key: string, value: string, nowMs: number): void {
    this.ctx.admin.checkPut(namespace, key);
    this.replication.apply({ type: "kv", namespace, key, value, stamp: this.ctx.hlc.now(nowMs) }, nowMs, null);
  }

  kvGet(namespace: string, key: string): string {
    const value = this.ctx.admin.kvGet(namespace, key);
    if (value === undefined) throw new NotFoundError(`no kv entry '${key}' in namespace '${namespace}'`);
    return value;
  }

  kvDelete(namespace: string, key: string, nowMs: number): void {
    if (this.ctx.admin.kvGet(namespace, key) === undefined) return;
    this.replication.apply({ type: "kv", namespace, key, value: null, stamp: this.ctx.hlc.now(nowMs) }, nowMs, null);
  }

  kvList(namespace: string): Record<string, string> {
    // As RocketMQ keeps a namespace once written, one whose keys were all deleted lists empty.
    if (!this.ctx.admin.hasNamespace(namespace)) throw new NotFoundError(`no kv entries in namespace '${namespace}'`);
    return this.ctx.admin.kvList(namespace);
  }

  loadKvRecords(records: readonly KvRecord[], nowMs: number): void {
    for (const record of records) {
      this.ctx.hlc.observe(record.stamp);
      this.replication.apply(record, nowMs, null, false);
    }
  }

  deleteTopic(topic: string, clusterName: string | null, nowMs: number): void {
    const { admin, options } = this.ctx;
    if (!admin.hasTopicDelete(topic, clusterName) && admin.topicDeleteCount >= options.topicsMax) {
      throw new LimitExceededError("TOPICS_MAX", `this node keeps at most ${options.topicsMax} topic deletions`);
    }
    this.replication.apply({ type: "topicDelete", topic, clusterName, stamp: this.ctx.hlc.now(nowMs) }, nowMs, null);
  }

  /** Sets or clears the write bit on every queue of a broker name; returns the topics touched. */
  setWritePerm(brokerName: string, writable: boolean, nowMs: number): number {
    this.replication.apply({ type: "perm", brokerName, writable, stamp: this.ctx.hlc.now(nowMs) }, nowMs, null);
    return this.registry.routes.topicsOf(brokerName).length;
  }
}

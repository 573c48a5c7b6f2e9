// Failure detection of a node: crash suspicion from connection claims, per-broker expiry
// deadlines checked every tick, self-preservation while cut off from every peer, compensation
// of the node's own pauses, SWIM-style refutation of crash verdicts, and how often heartbeat
// evidence is shared. Pure; works on the broker registry's entries.
import { assert } from "../assert.js";
import * as limits from "../limits.js";
import type { BrokerEntry, RecordSink } from "./broker_entry.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { NodeContext } from "./node_context.js";
import { compareEvidence, type InstanceRecord, type LivenessRecord, type ReplicatedRecord } from "../model/records.js";
import type { OfflineReason } from "../model/types.js";

/** Suspicion, expiry, self-preservation and refutation. */
export class FailureDetector {
  private degraded = false;
  /** Evictions by expiry since this node last had a peer: self-preservation counts them. */
  private isolatedEvictions = 0;
  private records: RecordSink | null = null;

  constructor(
    private readonly ctx: NodeContext,
    private readonly registry: BrokerRegistry,
  ) {}

  /** Connects replication, which carries the verdicts (once, by the node). */
  link(records: RecordSink): void {
    this.records = records;
  }

  /** True while self-preservation holds back expiry evictions. */
  isDegraded(): boolean {
    return this.degraded;
  }

  /** A peer link came up: this node is no longer isolated. */
  peerContact(): void {
    this.isolatedEvictions = 0;
  }

  /** Suspect a live broker that no node holds a connection to any more. */
  updateSuspicion(entry: BrokerEntry, nowMs: number): void {
    // Every connection claim vouches, also one of a peer our own link to is down: the claim
    // may have reached us through a relay while that peer still hears the broker. A stale
    // claim (the holder died) is caught by expiry, as the broker's evidence stops with it.
    const held = [...entry.holders.values()].some((holder) => holder.connected);
    const live = this.registry.isLive(entry);
    if (live && !held && entry.holders.size > 0) {
      if (entry.suspectSinceMs === null) {
        entry.suspectSinceMs = nowMs;
        this.ctx.counters.suspicionsRaised += 1;
        this.ctx.log("info", "broker suspected", { brokerKey: entry.key });
      }
    } else if (entry.suspectSinceMs !== null) {
      entry.suspectSinceMs = null;
      if (held) this.ctx.counters.suspicionsCleared += 1;
    }
  }

  /** Re-judges every broker's suspicion (a peer's claims started or stopped counting). */
  recheckSuspicions(nowMs: number): void {
    for (const entry of this.registry.brokers.values()) this.updateSuspicion(entry, nowMs);
  }

  /** Moves a broker's expiry deadline: newer evidence was learned. */
  refreshExpiry(entry: BrokerEntry, nowMs: number): void {
    entry.expiresAtMs = nowMs + this.expiryOf(entry);
  }

  /** The broker's declared expiry, else the node's default for its port. */
  expiryOf(entry: BrokerEntry): number {
    const { options } = this.ctx;
    const instance = entry.instance;
    if (!instance) return options.brokerExpiryMs;
    if (instance.header.heartbeatTimeoutMs !== null) return instance.header.heartbeatTimeoutMs;
    return instance.origin === "remoting" ? options.remotingBrokerExpiryMs : options.brokerExpiryMs;
  }

  /** The tick loop ran late by `gapMs`: this node paused, so every deadline moves by the gap. */
  compensatePause(gapMs: number, nowMs: number): void {
    const shiftMs = gapMs - limits.TICK_MS;
    this.ctx.counters.pauseCompensations += 1;
    for (const entry of this.registry.brokers.values()) {
      entry.expiresAtMs += shiftMs;
      if (entry.suspectSinceMs !== null) entry.suspectSinceMs += shiftMs;
    }
    this.ctx.log("warn", "tick loop paused; deadlines shifted", { gapMs, nowMs });
  }

  /**
   * Checks every broker's deadlines and collects old tombstones. Self-preservation: a node cut
   * off from every peer that would expire a large share of its brokers assumes it is the one
   * partitioned, and waits.
   */
  checkDeadlines(nowMs: number, isolated: boolean): void {
    if (!isolated) {
      this.isolatedEvictions = 0;
      this.setDegraded(false);
    }
    let live = 0;
    const overdue: BrokerEntry[] = [];
    for (const entry of this.registry.brokers.values()) {
      if (this.registry.isLive(entry)) {
        live += 1;
        if (entry.suspectSinceMs !== null && nowMs - entry.suspectSinceMs >= this.ctx.options.suspicionMs) {
          this.evict(entry, "connectionClosed", nowMs);
        } else if (nowMs >= entry.expiresAtMs) overdue.push(entry);
      } else if (entry.offlineSinceMs !== null && nowMs - entry.offlineSinceMs >= limits.TOMBSTONE_MS) {
        this.registry.forget(entry);
      }
    }
    if (overdue.length === 0) return;
    // Count what this isolation already evicted too, or each eviction would shrink the
    // population until the guard no longer applies and the rest go as well.
    if (isolated && live + this.isolatedEvictions >= limits.SELF_PRESERVATION_BROKERS_MIN) {
      const share = (this.isolatedEvictions + overdue.length) / (live + this.isolatedEvictions);
      if (share > limits.SELF_PRESERVATION_RATIO) {
        this.ctx.counters.selfPreservationSkips += 1;
        this.setDegraded(true);
        return;
      }
    }
    if (isolated) this.isolatedEvictions += overdue.length;
    for (const entry of overdue) this.evict(entry, "expired", nowMs);
  }

  /**
   * Corrects remote claims this node knows to be wrong: its own stale "connected" claim
   * from before a restart, and a crash verdict on a broker it still holds a connection to
   * (SWIM-style refutation with evidence newer than the verdict's).
   */
  answerRemote(stored: ReplicatedRecord, nowMs: number): void {
    if (stored.type !== "holder" && stored.type !== "liveness") return;
    const { ctx } = this;
    const entry = this.registry.get(stored.brokerKey);
    if (!entry) return;
    const replication = this.wired();
    if (stored.type === "holder") {
      if (stored.nodeId === ctx.nodeId && stored.connected && entry.connId === null) {
        replication.apply({ type: "holder", brokerKey: entry.key, nodeId: ctx.nodeId, connected: false, stamp: ctx.hlc.now(nowMs) }, nowMs, null);
      }
      return;
    }
    if (stored.alive || stored.reason !== "connectionClosed" || entry.connId === null || !entry.instance) return;
    const next = { epoch: stored.evidence.epoch, seq: stored.evidence.seq + 1 };
    const fresh = ctx.stampEvidence(nowMs);
    const evidence = entry.instance.origin === "remoting" && compareEvidence(fresh, next) > 0 ? fresh : next;
    ctx.counters.refutations += 1;
    ctx.log("info", "crash verdict refuted", { brokerKey: entry.key });
    const session = stored.session;
    replication.apply({ type: "liveness", brokerKey: entry.key, session, alive: true, reason: null, evidence }, nowMs, null);
  }

  /**
   * A peer's verdict of a later session than the broker's live one here, while this node hears
   * the broker itself: its registering connection is open, a request on it came within the
   * broker's expiry and carried newer evidence than the verdict's. Session numbers count the
   * offline/online cycles a node saw, so a node that spent a partition apart can bring back a
   * verdict numbered above the live session of the nodes that kept hearing the broker; merged
   * as it is, it would take the broker off them until its next registration. Refuted instead,
   * before it lands: the broker's header and topics here move into the session after the
   * verdict's, alive with the evidence heard here, which outweighs the verdict everywhere. An
   * unregistration is never refuted: the broker itself ended its session. An expiry verdict of
   * the live session is not taken while this node has newer news (defersExpiry). Returns true
   * when it refuted or deferred (the verdict is then not applied). `fromLegacy`: the verdict comes
   * from a peer without PEER_HEARD, whose record is fed liveness records this node never gets.
   */
  refuteVerdict(verdict: LivenessRecord, nowMs: number, fromLegacy = false): boolean {
    if (verdict.alive || verdict.reason === "unregistered") return false;
    const entry = this.registry.get(verdict.brokerKey);
    if (!entry || !this.registry.isLive(entry)) return false;
    if (this.defersExpiry(entry, verdict, nowMs, fromLegacy)) return true;
    if (entry.connId === null) return false;
    const live = entry.liveness as LivenessRecord;
    const instance = entry.instance as InstanceRecord;
    if (verdict.session <= live.session || compareEvidence(live.evidence, verdict.evidence) <= 0) return false;
    if (nowMs - entry.heardAtMs >= this.expiryOf(entry)) return false;
    const { ctx } = this;
    const records = this.wired();
    const session = verdict.session + 1;
    const stamp = ctx.hlc.now(nowMs);
    const routed = this.registry.viewOf(entry).session;
    const topics = [...entry.topics.values()].filter((record) => record.session >= routed);
    // Header and topics first, liveness last: the broker is routed again once the whole session is in place.
    records.apply({ ...instance, session, stamp }, nowMs, null);
    for (const record of topics) records.apply({ ...record, session, stamp }, nowMs, null);
    records.apply({ type: "liveness", brokerKey: entry.key, session, alive: true, reason: null, evidence: live.evidence }, nowMs, null);
    ctx.counters.refutations += 1;
    ctx.log("info", "offline verdict of a later session refuted", { brokerKey: entry.key, verdictSession: verdict.session, reason: verdict.reason, session });
    return true;
  }

  /**
   * An expiry verdict of the broker's live session, with no newer evidence than this node's, from
   * a peer that stopped hearing of it for a whole expiry, while this node heard it itself or was
   * vouched for it within half an expiry:
   * this node knows newer than the verdict's writer, so it does not take the verdict (its own
   * deadline stands, and expires the broker if the news stops). Vouches move deadlines, not the
   * liveness record's evidence, so without this a verdict could win here on equal evidence. The
   * writer learns better from the node that hears the broker (its record's evidence is newer). A
   * verdict of a peer without PEER_HEARD is deferred whatever its evidence: the nodes that hear
   * the broker send that peer their records (newer than this node's, which bits never move), so
   * a peer cut off from them would otherwise take the broker off this node for a round.
   */
  private defersExpiry(entry: BrokerEntry, verdict: LivenessRecord, nowMs: number, fromLegacy: boolean): boolean {
    const live = entry.liveness as LivenessRecord;
    if (verdict.reason !== "expired" || verdict.session !== live.session) return false;
    if (!fromLegacy && compareEvidence(verdict.evidence, live.evidence) > 0) return false;
    if (nowMs - Math.max(entry.heardAtMs, entry.vouchedAtMs) >= this.expiryOf(entry) / 2) return false;
    this.ctx.counters.expiryVerdictsDeferred += 1;
    return true;
  }

  private evict(entry: BrokerEntry, reason: OfflineReason, nowMs: number): void {
    const { evidence, session } = entry.liveness as LivenessRecord;
    if (reason === "expired") this.ctx.counters.evictionsExpired += 1;
    else this.ctx.counters.evictionsConnectionClosed += 1;
    this.wired().apply({ type: "liveness", brokerKey: entry.key, session, alive: false, reason, evidence }, nowMs, null);
  }

  private setDegraded(degraded: boolean): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.ctx.log("warn", degraded ? "self-preservation on: cut off from peers, evictions held" : "self-preservation off", {});
  }

  private wired(): RecordSink {
    assert(this.records !== null, "failure detector used before the node linked it");
    return this.records;
  }
}

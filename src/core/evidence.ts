// Compact liveness evidence between nodes (PEER_HEARD): instead of one liveness record per broker
// per share, a node tells each peer "I hear these brokers, as of now" as bits of a bitmap over its
// evidence table (broker keys by index, each key sent once per link until acknowledged). A
// receiver moves the expiry deadline of each live broker named to (its receive time - the age)
// + the broker's expiry, never back, and never revives an offline one: freshness travels, records
// do not, so nothing here can outweigh an offline verdict. Evidence heard through a peer is relayed
// (hops + 1, at most EVIDENCE_RELAY_HOPS_MAX), so a cut link is bridged and evidence that bounces
// around a loop dies out. A peer whose hello did not announce `heard` (a node from before
// PEER_HEARD) gets, at the same share slots, the liveness records of the brokers this node hears
// itself instead, as nodes did before, and its records' fresher evidence is relayed here as bits.
// Pure: the node calls it with the time; frames go out as effects.
import * as limits from "../limits.js";
import type { BrokerEntry } from "./broker_entry.js";
import type { BrokerRegistry } from "./broker_registry.js";
import type { FailureDetector } from "./failure_detector.js";
import type { GossipState } from "./gossip.js";
import type { NodeContext } from "./node_context.js";
import { bitmapIndexes, encodeBitmap, type HeardGroup, type PeerHeard } from "../protocol/messages/heard.js";
import { PeerFeature } from "../protocol/messages/hello.js";

/** What this node knows of one broker's freshness besides its own hearing (entry.heardAtMs). */
interface Freshness {
  /** The share slot (time / the broker's share interval) last looked at. */
  slot: number;
  /** When this node last looked: evidence newer than it goes out at the next slot. */
  checkedAtMs: number;
  /** Freshest evidence learned from a peer, in this node's clock; its relay hops; when learned. */
  relayFreshAtMs: number;
  relayHops: number;
  relayLearnedAtMs: number;
}

/** A peer's evidence table as received here. */
interface PeerTable {
  gen: number;
  keys: string[];
}

/** What this node knows a peer holds of its own table. */
interface PeerSync {
  ackGen: number;
  ackCount: number;
  /** This node's copy of the peer's table changed since it last told the peer. */
  ackOwed: boolean;
}

/** Sender and receiver of PEER_HEARD. */
export class EvidenceShares {
  private gen: number;
  private keys: string[] = [];
  private indexOf = new Map<string, number>();
  private readonly freshness = new Map<string, Freshness>();
  private readonly tables = new Map<string, PeerTable>();
  private readonly syncs = new Map<string, PeerSync>();
  private nextShareMs: number;

  constructor(
    private readonly ctx: NodeContext,
    private readonly registry: BrokerRegistry,
    private readonly detector: FailureDetector,
    private readonly gossip: GossipState,
    nowMs: number,
  ) {
    // Distinct across restarts of a node (a restart takes more than a millisecond).
    this.gen = Math.max(0, Math.floor(nowMs));
    this.nextShareMs = nowMs;
  }

  /** Every EVIDENCE_SHARE_MS: the brokers whose share slot came up with news go to every up peer. */
  tick(nowMs: number): void {
    if (nowMs < this.nextShareMs) return;
    this.nextShareMs = (Math.floor(nowMs / limits.EVIDENCE_SHARE_MS) + 1) * limits.EVIDENCE_SHARE_MS;
    // A full table starts over only when that frees room: some of its brokers are gone.
    if (this.keys.length >= limits.EVIDENCE_TABLE_MAX && this.registry.brokers.size < limits.EVIDENCE_TABLE_MAX) this.newGeneration(nowMs);
    const vouches = this.due(nowMs);
    const groups = this.group(vouches);
    for (const peer of this.gossip.upPeers()) {
      if (!peer.features.has(PeerFeature.HEARD)) {
        this.queueRecords(peer.nodeId, vouches);
        continue;
      }
      const sync = this.syncOf(peer.nodeId);
      if (groups.length > 0 || sync.ackOwed) this.send(peer.nodeId, groups);
    }
    if (this.freshness.size > this.registry.brokers.size) {
      for (const key of this.freshness.keys()) if (!this.registry.get(key)) this.freshness.delete(key);
    }
  }

  /**
   * A link to a peer came up: it gets this node's whole table and every broker fresh here within
   * its expiry at once (its deadlines may have run on while the link was down).
   */
  peerUp(peerId: string, nowMs: number): void {
    const sync = this.syncOf(peerId);
    sync.ackGen = -1;
    sync.ackCount = 0;
    const vouches: Vouch[] = [];
    for (const entry of this.registry.brokers.values()) {
      if (!this.registry.isLive(entry)) continue;
      const relay = this.freshness.get(entry.key);
      const expiryMs = this.detector.expiryOf(entry);
      if (nowMs - entry.heardAtMs < expiryMs) vouches.push({ entry, hops: 0, ageMs: nowMs - entry.heardAtMs });
      else if (relay && relay.relayHops < limits.EVIDENCE_RELAY_HOPS_MAX && nowMs - relay.relayFreshAtMs < expiryMs) {
        vouches.push({ entry, hops: relay.relayHops + 1, ageMs: nowMs - relay.relayFreshAtMs });
      }
    }
    if (this.gossip.peerHas(peerId, PeerFeature.HEARD)) this.send(peerId, this.group(vouches));
    else this.queueRecords(peerId, vouches);
  }

  /**
   * A peer's pushed liveness record brought fresher evidence of a live broker (a peer without
   * PEER_HEARD shares evidence so): this node's peers learn it as relayed bits, as from a vouch.
   */
  recordEvidence(key: string, nowMs: number): void {
    const entry = this.registry.get(key);
    if (entry && this.registry.isLive(entry)) this.refresh(entry, nowMs, 0, nowMs);
  }

  /** A peer's PEER_HEARD: learn its table and acknowledgement, refresh the deadlines it vouches for. */
  onHeard(peerId: string, heard: PeerHeard, nowMs: number): void {
    this.gossip.counters.heardFramesReceived += 1;
    const table = this.learnTable(peerId, heard);
    const sync = this.syncOf(peerId);
    const ack = heard.ack;
    const valid = ack !== null && ack.gen === this.gen && ack.count <= this.keys.length;
    sync.ackGen = valid ? ack.gen : -1;
    sync.ackCount = valid ? ack.count : 0;
    for (const group of heard.groups) {
      for (const index of bitmapIndexes(group.bitmap)) {
        const key = table.keys[index];
        if (key === undefined) {
          this.gossip.counters.heardVouchesUnknown += 1;
          continue;
        }
        this.gossip.counters.heardVouchesReceived += 1;
        const entry = this.registry.get(key);
        if (entry && this.registry.isLive(entry)) this.refresh(entry, nowMs - group.ageMs, group.hops, nowMs);
      }
    }
  }

  /** The broker was fresh at `freshAtMs` (this node's clock): its deadline moves there + its expiry, never back. */
  private refresh(entry: BrokerEntry, freshAtMs: number, hops: number, nowMs: number): void {
    entry.expiresAtMs = Math.max(entry.expiresAtMs, freshAtMs + this.detector.expiryOf(entry));
    entry.vouchedAtMs = Math.max(entry.vouchedAtMs, freshAtMs);
    const state = this.stateOf(entry.key, nowMs);
    if (freshAtMs > state.relayFreshAtMs) {
      state.relayFreshAtMs = freshAtMs;
      state.relayHops = hops;
      state.relayLearnedAtMs = nowMs;
    }
  }

  /**
   * Vouches due now: every live broker whose share slot (EVIDENCE_SHARES_PER_EXPIRY per expiry,
   * a multiple of EVIDENCE_SHARE_MS, so brokers of one expiry share together) came up, with
   * evidence newer than the last look: heard here (hops 0), else learned from a peer (relayed).
   */
  private due(nowMs: number): Vouch[] {
    const vouches: Vouch[] = [];
    for (const entry of this.registry.brokers.values()) {
      if (!this.registry.isLive(entry)) continue;
      const intervalMs = this.shareIntervalOf(entry);
      const slot = Math.floor(nowMs / intervalMs);
      const state = this.stateOf(entry.key, nowMs);
      if (slot === state.slot) continue;
      const since = state.checkedAtMs;
      state.slot = slot;
      state.checkedAtMs = nowMs;
      if (entry.heardAtMs >= since) vouches.push({ entry, hops: 0, ageMs: nowMs - entry.heardAtMs });
      else if (state.relayLearnedAtMs >= since && state.relayHops < limits.EVIDENCE_RELAY_HOPS_MAX) {
        vouches.push({ entry, hops: state.relayHops + 1, ageMs: nowMs - state.relayFreshAtMs });
      }
    }
    return vouches;
  }

  /**
   * For a peer without PEER_HEARD: the liveness record of each broker vouched for that this node
   * heard itself (its record carries the evidence heard here; a relayed vouch moved only a deadline,
   * so its record has nothing newer), one per broker per share, through the peer's bounded outbox.
   */
  private queueRecords(peerId: string, vouches: readonly Vouch[]): void {
    for (const { entry, hops } of vouches) {
      if (hops === 0 && entry.liveness?.alive === true) this.gossip.enqueueFor(peerId, entry.liveness);
    }
  }

  /** Groups vouches by hops and age, the age rounded up to half the broker's share interval. */
  private group(vouches: readonly Vouch[]): HeardGroup[] {
    const byClass = new Map<string, { hops: number; ageMs: number; indexes: number[] }>();
    for (const { entry, hops, ageMs } of vouches) {
      const expiryMs = this.detector.expiryOf(entry);
      const quantumMs = Math.max(1, this.shareIntervalOf(entry) / 2);
      const rounded = Math.min(limits.BROKER_EXPIRY_MS_MAX, Math.ceil(Math.max(0, ageMs) / quantumMs) * quantumMs);
      if (rounded >= expiryMs) continue;
      const index = this.indexFor(entry.key);
      if (index === null) continue;
      const name = `${hops}/${rounded}`;
      let group = byClass.get(name);
      if (!group) {
        if (byClass.size >= limits.EVIDENCE_GROUPS_PER_FRAME_MAX) continue;
        byClass.set(name, (group = { hops, ageMs: rounded, indexes: [] }));
      }
      group.indexes.push(index);
      this.gossip.counters.heardVouchesSent += 1;
    }
    return [...byClass.values()].map((group) => ({ hops: group.hops, ageMs: group.ageMs, bitmap: encodeBitmap(group.indexes) }));
  }

  private send(peerId: string, groups: readonly HeardGroup[]): void {
    const sync = this.syncOf(peerId);
    const base = sync.ackGen === this.gen ? sync.ackCount : 0;
    const table = this.tables.get(peerId);
    const body: PeerHeard = {
      gen: this.gen,
      base,
      // Keys ride with vouches only; an acknowledgement alone needs none.
      keys: groups.length > 0 ? this.keys.slice(base) : [],
      ack: table ? { gen: table.gen, count: table.keys.length } : null,
      groups,
    };
    sync.ackOwed = false;
    this.gossip.counters.heardFramesSent += 1;
    this.ctx.effects.push({ kind: "peerSend", peerId, message: { type: "heard", body } });
  }

  /** Applies the keys of a frame to this node's copy of the sender's table. */
  private learnTable(peerId: string, heard: PeerHeard): PeerTable {
    let table = this.tables.get(peerId);
    const before = table ? `${table.gen}/${table.keys.length}` : "";
    if (heard.base === 0 && (heard.keys.length > 0 || !table || table.gen !== heard.gen)) {
      // The whole table from index 0: it replaces whatever this node held of the sender's.
      table = { gen: heard.gen, keys: [...heard.keys] };
    } else if (!table || table.gen !== heard.gen) {
      // Keys of a generation this node holds none of: start empty; the acknowledgement asks for all.
      table = { gen: heard.gen, keys: [] };
    } else if (heard.base <= table.keys.length) {
      for (let offset = 0; offset < heard.keys.length; offset++) {
        const index = heard.base + offset;
        const key = heard.keys[offset] as string;
        if (index < table.keys.length) {
          if (table.keys[index] === key) continue;
          // A sender never moves an index within a generation; start over rather than misname.
          this.ctx.log("warn", "peer evidence table contradicts itself; asking for it again", { peerId, index });
          table = { gen: heard.gen, keys: [] };
          break;
        }
        table.keys.push(key);
      }
    }
    if (table.keys.length > limits.EVIDENCE_TABLE_MAX) table.keys.length = limits.EVIDENCE_TABLE_MAX;
    if (!this.tables.has(peerId) && this.tables.size >= limits.PEERS_MAX) this.tables.delete(this.tables.keys().next().value as string);
    this.tables.set(peerId, table);
    if (`${table.gen}/${table.keys.length}` !== before || heard.base > table.keys.length) this.syncOf(peerId).ackOwed = true;
    return table;
  }

  private indexFor(key: string): number | null {
    const known = this.indexOf.get(key);
    if (known !== undefined) return known;
    if (this.keys.length >= limits.EVIDENCE_TABLE_MAX) return null;
    this.indexOf.set(key, this.keys.length);
    this.keys.push(key);
    return this.keys.length - 1;
  }

  /** A full table starts over with a new generation: peers' acknowledgements no longer match, so they get every key again. */
  private newGeneration(nowMs: number): void {
    this.gen = Math.max(this.gen + 1, Math.floor(nowMs));
    this.keys = [];
    this.indexOf = new Map();
    this.ctx.log("info", "evidence table full; new generation", { gen: this.gen });
  }

  private shareIntervalOf(entry: BrokerEntry): number {
    const shares = Math.floor(this.detector.expiryOf(entry) / limits.EVIDENCE_SHARES_PER_EXPIRY / limits.EVIDENCE_SHARE_MS);
    return Math.max(1, shares) * limits.EVIDENCE_SHARE_MS;
  }

  private stateOf(key: string, nowMs: number): Freshness {
    let state = this.freshness.get(key);
    if (!state) {
      state = { slot: Number.NaN, checkedAtMs: Number.NEGATIVE_INFINITY, relayFreshAtMs: Number.NEGATIVE_INFINITY, relayHops: 0, relayLearnedAtMs: Number.NEGATIVE_INFINITY };
      this.freshness.set(key, state);
    }
    if (Number.isNaN(state.slot)) {
      // First look: align with the broker's share slots from now on.
      const entry = this.registry.get(key);
      state.slot = entry ? Math.floor(nowMs / this.shareIntervalOf(entry)) : Number.NaN;
    }
    return state;
  }

  private syncOf(peerId: string): PeerSync {
    let sync = this.syncs.get(peerId);
    if (!sync) {
      if (this.syncs.size >= limits.PEERS_MAX) this.syncs.delete(this.syncs.keys().next().value as string);
      sync = { ackGen: -1, ackCount: 0, ackOwed: false };
      this.syncs.set(peerId, sync);
    }
    return sync;
  }
}

/** One broker vouched for: relay hops and age. */
interface Vouch {
  readonly entry: BrokerEntry;
  readonly hops: number;
  readonly ageMs: number;
}

// The replication side of a node: a digest index over every record (bucket hashes for
// anti-entropy), peers with bounded, de-duplicated outboxes, and the member list.
// Pure and deterministic: the node calls it with the time; it returns what to send.
import * as limits from "../limits.js";
import { nextIndex, type Rng } from "./clock.js";
import { DigestIndex } from "./digest_index.js";
import { recordId, type ReplicatedRecord } from "../model/records.js";
import type { PeerFeature } from "../protocol/messages/hello.js";

/** Counters for metrics. */
export interface GossipCounters {
  deltasSent: number;
  deltasReceived: number;
  deltasRelayed: number;
  digestsSent: number;
  digestsReceived: number;
  digestBucketsMismatched: number;
  recordsRepaired: number;
  outboxDropped: number;
  /** PEER_HEARD frames sent, and brokers vouched for in them (once per frame, whatever the peers). */
  heardFramesSent: number;
  heardVouchesSent: number;
  /** PEER_HEARD frames received, brokers vouched for in them, and vouches naming an index whose key this node lacks. */
  heardFramesReceived: number;
  heardVouchesReceived: number;
  heardVouchesUnknown: number;
}

/** A peer as this node sees it. */
export interface PeerView {
  readonly nodeId: string;
  up: boolean;
  /** What the peer's hello answer announced on its latest link (none: a node from before them). */
  features: ReadonlySet<PeerFeature>;
  /** Queued records by identity: the newest version of each, flushed at the end of the request. */
  readonly outbox: Map<string, ReplicatedRecord>;
}

/** What to send to one peer now. */
export interface OutboundBatch {
  readonly peerId: string;
  readonly records: readonly ReplicatedRecord[];
}

/** One PEER_SUMMARY frame's content. */
export interface SummaryFrame {
  readonly buckets: number[];
  readonly entries: [number, number, number, number][];
}

/** Digest index, peers and outboxes. */
export class GossipState {
  readonly counters: GossipCounters = {
    deltasSent: 0,
    deltasReceived: 0,
    deltasRelayed: 0,
    digestsSent: 0,
    digestsReceived: 0,
    digestBucketsMismatched: 0,
    recordsRepaired: 0,
    outboxDropped: 0,
    heardFramesSent: 0,
    heardVouchesSent: 0,
    heardFramesReceived: 0,
    heardVouchesReceived: 0,
    heardVouchesUnknown: 0,
  };
  readonly peers = new Map<string, PeerView>();
  /** Known member addresses ("host:port" of nodes' HTTP+WebSocket ports). */
  readonly members = new Set<string>();
  /** Every stored record's bucket and hashes (the 64-bit id hash names it in summaries and wants). */
  private readonly index = new DigestIndex();

  constructor(
    private readonly selfId: string,
    private readonly outboxMax: number,
  ) {}

  // ---- Digest index -------------------------------------------------------------------------

  /** Records a stored record's new version in the digest. */
  indexRecord(record: ReplicatedRecord): void {
    this.index.put(record);
  }

  /** Removes a collected record (this identity, any version) from the digest. */
  unindexRecord(record: ReplicatedRecord): void {
    this.index.remove(record);
  }

  /** The XOR of every bucket's pair: equal roots, equal digests (but for a 2^-64 chance). */
  root(): [number, number] {
    let low = 0;
    let high = 0;
    for (let bucket = 0; bucket < limits.DIGEST_BUCKETS; bucket++) {
      low = (low ^ (this.index.bucketLow[bucket] as number)) >>> 0;
      high = (high ^ (this.index.bucketHigh[bucket] as number)) >>> 0;
    }
    return [low, high];
  }

  /** Bucket hashes for a PEER_DIGEST. */
  digest(): [number, number][] {
    const result: [number, number][] = [];
    for (let bucket = 0; bucket < limits.DIGEST_BUCKETS; bucket++) {
      result.push([this.index.bucketLow[bucket] as number, this.index.bucketHigh[bucket] as number]);
    }
    return result;
  }

  /** Buckets whose hash differs from a peer's digest. */
  diff(remote: readonly (readonly [number, number])[]): number[] {
    const result: number[] = [];
    for (let bucket = 0; bucket < limits.DIGEST_BUCKETS; bucket++) {
      const pair = remote[bucket];
      if (!pair || pair[0] !== this.index.bucketLow[bucket] || pair[1] !== this.index.bucketHigh[bucket]) result.push(bucket);
    }
    this.counters.digestBucketsMismatched += result.length;
    return result;
  }

  /** Records stored in a bucket. */
  bucketSize(bucket: number): number {
    return this.index.bucketSizes[bucket] as number;
  }

  /** Every stored record in the given buckets, in sending order (see livenessLast). */
  recordsIn(buckets: readonly number[]): ReplicatedRecord[] {
    return livenessLast(this.index.recordsIn(buckets));
  }

  /**
   * Summary frames of the records in `buckets`: id and version hashes, whole buckets per frame,
   * at most SUMMARY_ENTRIES_PER_FRAME_MAX entries each (a bigger bucket gets a frame of its own
   * and is cut there; the rest of it is repaired in a later round).
   */
  summarize(buckets: readonly number[]): SummaryFrame[] {
    const { index } = this;
    const byBucket = index.slotsByBucket(buckets);
    const frames: SummaryFrame[] = [];
    let current: SummaryFrame = { buckets: [], entries: [] };
    for (const bucket of buckets) {
      const entries = byBucket.get(bucket) ?? [];
      if (current.buckets.length > 0 && current.entries.length + entries.length > limits.SUMMARY_ENTRIES_PER_FRAME_MAX) {
        frames.push(current);
        current = { buckets: [], entries: [] };
      }
      current.buckets.push(bucket);
      for (const slot of entries.slice(0, limits.SUMMARY_ENTRIES_PER_FRAME_MAX - current.entries.length)) {
        current.entries.push([index.idHigh(slot), index.idLow(slot), index.versionHigh(slot), index.versionLow(slot)]);
      }
    }
    if (current.buckets.length > 0) frames.push(current);
    return frames;
  }

  /**
   * Compares a peer's summary with the records here: which of ours to send (the peer lacks
   * them or holds another version) and which ids to want (we lack them or hold another version).
   */
  compareSummary(buckets: readonly number[], entries: readonly (readonly [number, number, number, number])[]): {
    send: ReplicatedRecord[];
    want: [number, number][];
  } {
    const theirs = new Map<number, number>();
    for (const [idHigh, idLow, high, low] of entries) theirs.set(key53(idHigh, idLow), key53(high, low));
    const ours = new Map<number, number>();
    const send: ReplicatedRecord[] = [];
    const { index } = this;
    for (const list of index.slotsByBucket(buckets).values()) {
      for (const slot of list) {
        const key = key53(index.idHigh(slot), index.idLow(slot));
        const version = key53(index.versionHigh(slot), index.versionLow(slot));
        ours.set(key, version);
        if (theirs.get(key) !== version) send.push(index.record(slot));
      }
    }
    const want: [number, number][] = [];
    for (const [idHigh, idLow, high, low] of entries) {
      if (ours.get(key53(idHigh, idLow)) !== key53(high, low)) want.push([idHigh, idLow]);
    }
    return { send, want };
  }

  /** Our records of `buckets` whose id hash is in `ids`. */
  recordsWanted(buckets: readonly number[], ids: readonly (readonly [number, number])[]): ReplicatedRecord[] {
    const wanted = new Set(ids.map(([high, low]) => key53(high, low)));
    const result: ReplicatedRecord[] = [];
    const { index } = this;
    for (const slots of index.slotsByBucket(buckets).values()) {
      for (const slot of slots) if (wanted.has(key53(index.idHigh(slot), index.idLow(slot)))) result.push(index.record(slot));
    }
    return result;
  }

  /**
   * The readable identity and version hash of every record in `buckets`, sorted by bucket and
   * id, at most `limit` (for operators comparing two nodes' buckets; replication never reads it).
   */
  describeBuckets(buckets: readonly number[], limit: number): { bucket: number; id: string; version: string }[] {
    const result: { bucket: number; id: string; version: string }[] = [];
    const { index } = this;
    for (const [bucket, slots] of index.slotsByBucket(buckets)) {
      for (const slot of slots) result.push({ bucket, id: recordId(index.record(slot)), version: hex32(index.versionHigh(slot)) + hex32(index.versionLow(slot)) });
    }
    result.sort((a, b) => a.bucket - b.bucket || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return result.slice(0, Math.max(0, limit));
  }

  /** Number of records indexed. */
  get recordCount(): number {
    return this.index.size;
  }

  // ---- Peers and outboxes -------------------------------------------------------------------

  /** A link to a peer came up (or another link to it), announcing `features` (a restarted peer may announce others). */
  peerUp(nodeId: string, features: readonly PeerFeature[]): PeerView {
    let peer = this.peers.get(nodeId);
    if (!peer) {
      peer = { nodeId, up: true, features: new Set(), outbox: new Map() };
      this.peers.set(nodeId, peer);
    }
    peer.up = true;
    peer.features = new Set(features);
    return peer;
  }

  /** Whether an up peer announced a feature. */
  peerHas(nodeId: string, feature: PeerFeature): boolean {
    const peer = this.peers.get(nodeId);
    return peer?.up === true && peer.features.has(feature);
  }

  /** Whether an up peer did not announce a feature (an unknown or down peer is neither). */
  peerLacks(nodeId: string, feature: PeerFeature): boolean {
    const peer = this.peers.get(nodeId);
    return peer?.up === true && !peer.features.has(feature);
  }

  /** The last link to a peer went down; its outbox is dropped (anti-entropy repairs on return). */
  peerDown(nodeId: string): void {
    const peer = this.peers.get(nodeId);
    if (!peer) return;
    peer.up = false;
    peer.outbox.clear();
  }

  /** Peers with a live link. */
  upPeers(): PeerView[] {
    return [...this.peers.values()].filter((peer) => peer.up);
  }

  /** Whether a given node is a peer with a live link. */
  isUp(nodeId: string): boolean {
    return this.peers.get(nodeId)?.up === true;
  }

  /** Queues a changed record for every up peer except the one it came from. */
  enqueue(record: ReplicatedRecord, fromPeer: string | null): void {
    const id = recordId(record);
    for (const peer of this.peers.values()) if (peer.up && peer.nodeId !== fromPeer) this.queue(peer, id, record);
    if (fromPeer !== null) this.counters.deltasRelayed += 1;
  }

  /** Queues a record for one up peer (liveness evidence for a peer without PEER_HEARD). */
  enqueueFor(nodeId: string, record: ReplicatedRecord): void {
    const peer = this.peers.get(nodeId);
    if (peer?.up === true) this.queue(peer, recordId(record), record);
  }

  /** Into one outbox, bounded by the outbox limit (an overflow is dropped and counted; anti-entropy repairs). */
  private queue(peer: PeerView, id: string, record: ReplicatedRecord): void {
    if (!peer.outbox.has(id) && peer.outbox.size >= this.outboxMax) {
      this.counters.outboxDropped += 1;
      return;
    }
    // Delete first so that the newest version moves to the back of the queue.
    peer.outbox.delete(id);
    peer.outbox.set(id, record);
  }

  /** Batches to send now: every queued record (of one peer, or of all). */
  flush(onlyPeer: string | null = null): OutboundBatch[] {
    const batches: OutboundBatch[] = [];
    for (const peer of this.peers.values()) {
      if (!peer.up || peer.outbox.size === 0 || (onlyPeer !== null && peer.nodeId !== onlyPeer)) continue;
      const records = livenessLast([...peer.outbox.values()]);
      peer.outbox.clear();
      for (let start = 0; start < records.length; start += limits.DELTAS_PER_FRAME_MAX) {
        batches.push({ peerId: peer.nodeId, records: records.slice(start, start + limits.DELTAS_PER_FRAME_MAX) });
      }
      this.counters.deltasSent += records.length;
    }
    return batches;
  }

  /** Total records waiting in all outboxes. */
  outboxDepth(): number {
    let depth = 0;
    for (const peer of this.peers.values()) depth += peer.outbox.size;
    return depth;
  }

  /** A random up peer for anti-entropy, or null. */
  randomUpPeer(rng: Rng): string | null {
    const up = this.upPeers();
    if (up.length === 0) return null;
    return (up[nextIndex(rng, up.length)] as PeerView).nodeId;
  }

  /** Adds member addresses; returns those not seen before. */
  learnMembers(addresses: readonly string[]): string[] {
    const fresh: string[] = [];
    for (const address of addresses) {
      if (this.members.has(address) || this.members.size >= limits.PEERS_MAX) continue;
      this.members.add(address);
      fresh.push(address);
    }
    return fresh;
  }

  get selfNodeId(): string {
    return this.selfId;
  }

}

/**
 * A 64-bit hash (two uint32 halves) folded to a 53-bit number, so that it keys a Map without a
 * string. Two of a million records share an id key with probability ~5e-5; the pair's versions
 * then differ, so the repair sends and wants both: one extra record, never a missed one.
 */
function key53(high: number, low: number): number {
  return (high >>> 11) * 0x1_0000_0000 + low;
}

function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/**
 * Orders records for sending: liveness and connection claims after every header and topic,
 * order kept otherwise. A peer applies a frame in order and frames arrive in order, so a
 * broker's new session reaches it whole (header and topics, then the liveness that makes it
 * the routed one) instead of as a liveness it cannot route yet.
 */
export function livenessLast(records: ReplicatedRecord[]): ReplicatedRecord[] {
  const first: ReplicatedRecord[] = [];
  const last: ReplicatedRecord[] = [];
  for (const record of records) (record.type === "liveness" || record.type === "holder" ? last : first).push(record);
  return last.length === 0 ? records : first.concat(last);
}

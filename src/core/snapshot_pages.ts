// Paged snapshots and bounded repair rounds: which buckets a ready node sends a starting peer
// as the next page of its snapshot (and whether more follow), what a starting node waits for,
// and which differing buckets one anti-entropy round between ready nodes repairs. Pure; the
// replication side sends the records and pulls.
import * as limits from "../limits.js";
import { nextIndex } from "./clock.js";
import type { GossipState } from "./gossip.js";
import type { NodeContext } from "./node_context.js";

/**
 * A snapshot this node pages to a starting peer: the buckets sent so far, and its order of the
 * buckets (from `offset` in steps of `stride`, odd, so every bucket once: DIGEST_BUCKETS is a
 * power of two).
 */
interface SnapshotStream {
  readonly sent: Uint8Array;
  readonly offset: number;
  readonly stride: number;
}

/** Both sides of paged snapshots, and the repair rounds' bucket choice. */
export class SnapshotPages {
  /** Snapshots being paged to starting peers, by peer (at most one per peer, so PEERS_MAX). */
  private readonly streams = new Map<string, SnapshotStream>();
  /** Peers whose next snapshot page this starting node has asked for (at most PEERS_MAX). */
  private readonly awaiting = new Set<string>();
  /** When this starting node last asked for or got a snapshot page. */
  private lastPageMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: NodeContext,
    private readonly gossip: GossipState,
  ) {}

  /**
   * Whether a peer's snapshot is on its way: a page was asked for within the startup grace. The
   * grace is for a node that finds no peer to pull from; one whose snapshot is still arriving
   * waits for it (DESIGN §4: it never serves a partial table as truth), unless pages stop
   * coming for a whole grace.
   */
  arriving(nowMs: number): boolean {
    return this.awaiting.size > 0 && nowMs - this.lastPageMs < this.ctx.options.startupGraceMs;
  }

  /** This starting node asked a peer for (the next page of) its snapshot. */
  asked(peerId: string, nowMs: number): void {
    this.awaiting.add(peerId);
    this.lastPageMs = nowMs;
  }

  /** A peer's pull arrived: the page asked for is in. */
  answered(peerId: string): void {
    this.awaiting.delete(peerId);
  }

  /** A snapshot this node paged to a peer is over (the peer is ready, or its link restarted). */
  endStream(peerId: string): void {
    this.streams.delete(peerId);
  }

  /** A peer's link went down: nothing is paged to it or awaited from it. */
  peerGone(peerId: string): void {
    this.streams.delete(peerId);
    this.awaiting.delete(peerId);
  }

  /**
   * The next page of a starting peer's snapshot: whole buckets that differ from its digest and
   * were not sent in this snapshot yet, up to SNAPSHOT_PAGE_RECORDS_MAX records
   * (`snapshotPageRecordsMax`, at least one bucket), and whether more follow. The peer asks for
   * each next page once it took this one, so the snapshot is paced by its receiver; a record
   * that changes here after its bucket was sent goes as a delta like any other. Each stream
   * walks the buckets in an order of its own (a random start and stride), so two nodes paging to
   * the same starting peer mostly send different buckets, and skip those the other sent (the
   * digest shows them; in one direction both would walk into the same buckets once one caught
   * up with the other).
   */
  nextPage(peerId: string, remote: readonly (readonly [number, number])[]): { buckets: number[]; more: boolean } {
    let stream = this.streams.get(peerId);
    if (!stream) {
      const { rng } = this.ctx;
      stream = { sent: new Uint8Array(limits.DIGEST_BUCKETS), offset: nextIndex(rng, limits.DIGEST_BUCKETS), stride: 2 * nextIndex(rng, limits.DIGEST_BUCKETS / 2) + 1 };
      this.streams.set(peerId, stream);
    }
    const differing = new Uint8Array(limits.DIGEST_BUCKETS);
    for (const bucket of this.gossip.diff(remote)) differing[bucket] = 1;
    const buckets: number[] = [];
    let records = 0;
    let more = false;
    for (let step = 0; step < limits.DIGEST_BUCKETS; step++) {
      const bucket = (stream.offset + step * stream.stride) % limits.DIGEST_BUCKETS;
      if (stream.sent[bucket] === 1 || differing[bucket] !== 1) continue;
      const size = this.gossip.bucketSize(bucket);
      if (buckets.length > 0 && records + size > this.ctx.options.snapshotPageRecordsMax) {
        more = true;
        break;
      }
      buckets.push(bucket);
      stream.sent[bucket] = 1;
      records += size;
    }
    if (!more) this.streams.delete(peerId);
    return { buckets, more };
  }

  /**
   * The differing buckets one round between ready nodes repairs: from a random one on, whole
   * buckets up to SUMMARY_ENTRIES_PER_FRAME_MAX records (`repairRoundRecordsMax`), the rest in
   * later rounds. While three nodes took the same 1.6 million topic records (each stamping its
   * own copy), every bucket differed in every round, and a round over all of them (summaries of
   * every record, both sides' maps of them, then records by the hundred thousand) held a node's
   * event loop for seconds each second: registrations waited past a minute.
   */
  repairRound(buckets: readonly number[]): number[] {
    const start = nextIndex(this.ctx.rng, buckets.length);
    const round: number[] = [];
    let records = 0;
    for (let step = 0; step < buckets.length; step++) {
      const bucket = buckets[(start + step) % buckets.length] as number;
      const size = this.gossip.bucketSize(bucket);
      if (round.length > 0 && records + size > this.ctx.options.repairRoundRecordsMax) break;
      round.push(bucket);
      records += size;
    }
    return round;
  }
}

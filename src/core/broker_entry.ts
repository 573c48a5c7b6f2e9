// The shape of one broker instance's entry in a node, and the narrow interfaces through which
// the parts of a node reach each other (so that the registry, failure detector and replication
// import no cycle). Types only.
import type { HolderRecord, InstanceRecord, LivenessRecord, ReplicatedRecord, Stamp, TopicRecord } from "../model/records.js";
import type { ConnectionId } from "../model/types.js";

/** One broker instance (cluster, addr) as this node knows it. */
export interface BrokerEntry {
  readonly key: string;
  /** The header of the broker's latest registration. */
  instance: InstanceRecord | null;
  /** Topic records by topic name: the current session's, and at most one per name. */
  readonly topics: Map<string, TopicRecord>;
  liveness: LivenessRecord | null;
  readonly holders: Map<string, HolderRecord>;
  /** Local only: the connection this broker last spoke on here, if still open. */
  connId: ConnectionId | null;
  /** Local only: when this node last learned newer evidence, plus the broker's expiry. */
  expiresAtMs: number;
  /** Local only: since when no node holds a connection to this live broker. */
  suspectSinceMs: number | null;
  /** Local only: when it went offline here (tombstone collection). */
  offlineSinceMs: number | null;
  /**
   * Local only: a later session's liveness arrived alive before that session's header, while
   * the broker was routed here: the previous session's header and topics stay routed until
   * the new header arrives (peers send a session's liveness and its header apart).
   */
  headerPending: boolean;
  /** Local only: when this node last heard the broker itself (a request on its connection). */
  heardAtMs: number;
  /** Local only: the freshest moment a peer's vouch (PEER_HEARD) placed the broker at, on this node's clock. */
  vouchedAtMs: number;
  /** Local only: when this node last compared a full registration's topics with its records. */
  topicsCheckedAt: Stamp | null;
}

/** Where a part applies the records it writes: replication, which indexes and gossips them. */
export interface RecordSink {
  /** Applies a record; true when it changed state. */
  apply(record: ReplicatedRecord, nowMs: number, fromPeer: string | null): boolean;
  /** A record collected or made dead here leaves the digest. */
  unindex(record: ReplicatedRecord): void;
}

/** What the registry tells the failure detector. */
export interface SuspicionHooks {
  updateSuspicion(entry: BrokerEntry, nowMs: number): void;
  refreshExpiry(entry: BrokerEntry, nowMs: number): void;
}

/** What the registry tells the pushes: these topics' routes changed. */
export interface RouteChanges {
  markDirty(topics: Iterable<string>): void;
}

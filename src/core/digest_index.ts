// The digest index of a node's records: for every stored record its bucket, the 64-bit hash of
// its identity and the 64-bit hash of identity + version, and the XOR of the latter per bucket.
// A node of 1,000 brokers x 1,600 topics holds 1.6 million records, so the index keeps no object,
// no id string and no Map entry per record: hashes sit in typed-array columns by slot, a record's
// slot is found through an open-addressing table of slot numbers probed from its id hash, and
// the hashes are computed over the id's parts without building it. Values equal model/hash.ts's fnv1a64 and
// fnv1a32 of recordId(record) (+ "#" + version), so digests match nodes that build the strings.
// Pure.
import { DIGEST_BUCKETS } from "../limits.js";
import { recordId, type ReplicatedRecord, type Stamp } from "../model/records.js";
import type { DataVersion } from "../model/types.js";

/** Slots the columns start with; they double as records come. */
const INITIAL_SLOTS = 1_024;
/** Cells of the lookup table at the start; it doubles to stay at most half full. */
const INITIAL_CELLS = 2 * INITIAL_SLOTS;
/** Columns of the hash table, per slot. */
const ID_HIGH = 0;
const ID_LOW = 1;
const VERSION_HIGH = 2;
const VERSION_LOW = 3;
const HASHES_PER_SLOT = 4;

/** The stored records and their hashes. */
export class DigestIndex {
  /** Linear-probing table of slot + 1 (0: empty), from the id hash; at most half full. */
  private cells = new Int32Array(INITIAL_CELLS);
  private records: (ReplicatedRecord | null)[] = [];
  private buckets = new Uint16Array(INITIAL_SLOTS);
  private hashes = new Uint32Array(INITIAL_SLOTS * HASHES_PER_SLOT);
  private readonly freeSlots: number[] = [];
  private count = 0;
  /** XOR of the version hashes of each bucket's records, as uint32 halves. */
  readonly bucketLow = new Uint32Array(DIGEST_BUCKETS);
  readonly bucketHigh = new Uint32Array(DIGEST_BUCKETS);
  /** Records indexed per bucket. */
  readonly bucketSizes = new Uint32Array(DIGEST_BUCKETS);

  /** Records indexed. */
  get size(): number {
    return this.count;
  }

  /** Stores a record's new version (or its first). */
  put(record: ReplicatedRecord): void {
    hashIdentity(record);
    const idHigh = lane.high >>> 0;
    const idLow = lane.low >>> 0;
    let cell = this.find(record, idHigh, idLow);
    let slot = this.cells[cell] as number;
    if (slot === 0) {
      if (2 * (this.count + 1) > this.cells.length) {
        this.growCells();
        cell = this.find(record, idHigh, idLow);
      }
      slot = this.allocate();
      this.buckets[slot] = idLow % DIGEST_BUCKETS;
      this.hashes[slot * HASHES_PER_SLOT + ID_HIGH] = idHigh;
      this.hashes[slot * HASHES_PER_SLOT + ID_LOW] = idLow;
      this.cells[cell] = slot + 1;
      this.count += 1;
      const bucket = idLow % DIGEST_BUCKETS;
      this.bucketSizes[bucket] = (this.bucketSizes[bucket] as number) + 1;
    } else {
      slot -= 1;
      this.xorSlot(slot);
    }
    this.records[slot] = record;
    feed("#");
    feed(versionOf(record));
    this.hashes[slot * HASHES_PER_SLOT + VERSION_HIGH] = lane.high >>> 0;
    this.hashes[slot * HASHES_PER_SLOT + VERSION_LOW] = lane.low >>> 0;
    this.xorSlot(slot);
  }

  /** Removes the record with this record's identity, if stored. */
  remove(record: ReplicatedRecord): void {
    hashIdentity(record);
    const cell = this.find(record, lane.high >>> 0, lane.low >>> 0);
    const slot = (this.cells[cell] as number) - 1;
    if (slot < 0) return;
    this.xorSlot(slot);
    const bucket = this.buckets[slot] as number;
    this.bucketSizes[bucket] = (this.bucketSizes[bucket] as number) - 1;
    this.vacate(cell);
    this.records[slot] = null;
    this.freeSlots.push(slot);
    this.count -= 1;
  }

  /** The records in `buckets`, in slot order (the order they were first indexed, but for reused slots). */
  recordsIn(buckets: readonly number[]): ReplicatedRecord[] {
    const wanted = bucketMask(buckets);
    const result: ReplicatedRecord[] = [];
    for (let slot = 0; slot < this.records.length; slot++) {
      const record = this.records[slot];
      if (record !== null && record !== undefined && wanted[this.buckets[slot] as number] === 1) result.push(record);
    }
    return result;
  }

  /** The slots of the records in `buckets`, by bucket, in slot order. */
  slotsByBucket(buckets: readonly number[]): Map<number, number[]> {
    const wanted = bucketMask(buckets);
    const result = new Map<number, number[]>();
    for (let slot = 0; slot < this.records.length; slot++) {
      const bucket = this.buckets[slot] as number;
      if (wanted[bucket] !== 1 || this.records[slot] === null) continue;
      let list = result.get(bucket);
      if (!list) result.set(bucket, (list = []));
      list.push(slot);
    }
    return result;
  }

  /** The record in a slot (a slot slotsByBucket just listed). */
  record(slot: number): ReplicatedRecord {
    return this.records[slot] as ReplicatedRecord;
  }

  /** The identity hash of a slot's record, as uint32 halves. */
  idHigh(slot: number): number {
    return this.hashes[slot * HASHES_PER_SLOT + ID_HIGH] as number;
  }

  idLow(slot: number): number {
    return this.hashes[slot * HASHES_PER_SLOT + ID_LOW] as number;
  }

  /** The identity + version hash of a slot's record, as uint32 halves. */
  versionHigh(slot: number): number {
    return this.hashes[slot * HASHES_PER_SLOT + VERSION_HIGH] as number;
  }

  versionLow(slot: number): number {
    return this.hashes[slot * HASHES_PER_SLOT + VERSION_LOW] as number;
  }

  /** The cell holding the record of this identity, or the empty cell where it would go. */
  private find(record: ReplicatedRecord, idHigh: number, idLow: number): number {
    const mask = this.cells.length - 1;
    for (let cell = home(idHigh, idLow, mask); ; cell = (cell + 1) & mask) {
      const slot = (this.cells[cell] as number) - 1;
      if (slot < 0) return cell;
      const hashes = this.hashes;
      if (hashes[slot * HASHES_PER_SLOT + ID_HIGH] === idHigh && hashes[slot * HASHES_PER_SLOT + ID_LOW] === idLow && sameIdentity(this.records[slot] as ReplicatedRecord, record)) {
        return cell;
      }
    }
  }

  /** Empties a cell, moving later cells of the same run back so that every probe still finds them. */
  private vacate(cell: number): void {
    const mask = this.cells.length - 1;
    let hole = cell;
    this.cells[hole] = 0;
    for (let next = (hole + 1) & mask; this.cells[next] !== 0; next = (next + 1) & mask) {
      const slot = (this.cells[next] as number) - 1;
      const start = home(this.idHigh(slot), this.idLow(slot), mask);
      // The entry may fill the hole unless its home lies cyclically within (hole, next].
      const reachable = hole <= next ? start > hole && start <= next : start > hole || start <= next;
      if (reachable) continue;
      this.cells[hole] = slot + 1;
      this.cells[next] = 0;
      hole = next;
    }
  }

  private growCells(): void {
    const cells = new Int32Array(this.cells.length * 2);
    const mask = cells.length - 1;
    for (let slot = 0; slot < this.records.length; slot++) {
      if (this.records[slot] === null) continue;
      let cell = home(this.idHigh(slot), this.idLow(slot), mask);
      while (cells[cell] !== 0) cell = (cell + 1) & mask;
      cells[cell] = slot + 1;
    }
    this.cells = cells;
  }

  private allocate(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.records.length;
    if (slot === this.buckets.length) {
      const buckets = new Uint16Array(slot * 2);
      buckets.set(this.buckets);
      this.buckets = buckets;
      const hashes = new Uint32Array(slot * 2 * HASHES_PER_SLOT);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.records.push(null);
    return slot;
  }

  private xorSlot(slot: number): void {
    const bucket = this.buckets[slot] as number;
    this.bucketHigh[bucket] = ((this.bucketHigh[bucket] as number) ^ (this.hashes[slot * HASHES_PER_SLOT + VERSION_HIGH] as number)) >>> 0;
    this.bucketLow[bucket] = ((this.bucketLow[bucket] as number) ^ (this.hashes[slot * HASHES_PER_SLOT + VERSION_LOW] as number)) >>> 0;
  }
}

/** The first cell a record's id hash probes. */
function home(idHigh: number, idLow: number, mask: number): number {
  return (Math.imul(idHigh ^ idLow, 0x9e3779b1) >>> 0) & mask;
}

/** Whether two records are versions of one fact: recordId equality, without building ids for topics. */
function sameIdentity(a: ReplicatedRecord, b: ReplicatedRecord): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "topic" && b.type === "topic") return a.brokerKey === b.brokerKey && a.topicName === b.topicName;
  return recordId(a) === recordId(b);
}

/** A 0/1 flag per bucket: whether it is one of `buckets`. */
function bucketMask(buckets: readonly number[]): Uint8Array {
  const wanted = new Uint8Array(DIGEST_BUCKETS);
  for (const bucket of buckets) if (bucket >= 0 && bucket < DIGEST_BUCKETS) wanted[bucket] = 1;
  return wanted;
}

/**
 * The two FNV-1a lanes of fnv1a64 (the low one is fnv1a32), fed one string after another as if
 * they were one: the state of the hash being computed (the index is synchronous, one at a time).
 */
const lane = { low: 0, high: 0, at: 0 };

function feed(text: string): void {
  let { low, high, at } = lane;
  for (let index = 0; index < text.length; index++, at++) {
    const unit = text.charCodeAt(index);
    low = Math.imul(low ^ unit, 0x01000193);
    high = Math.imul(high ^ (unit + at), 0x01000193);
  }
  lane.low = low;
  lane.high = high;
  lane.at = at;
}

/** Starts the lanes over the record's recordId, without building it for a topic record. */
function hashIdentity(record: ReplicatedRecord): void {
  lane.low = 0x811c9dc5;
  lane.high = 0x050c5d1f;
  lane.at = 0;
  if (record.type !== "topic") {
    feed(recordId(record));
    return;
  }
  feed("c|");
  feed(record.brokerKey);
  feed("|");
  feed(record.topicName);
}

/** A short string that changes whenever a record's version changes. */
function versionOf(record: ReplicatedRecord): string {
  switch (record.type) {
    case "instance": {
      const { dataVersion } = record.header;
      return `${record.session}.${dataVersionText(dataVersion)}.${stampText(record.stamp)}`;
    }
    case "topic": {
      const config = record.config;
      const shape = config === null ? "-" : `${config.readQueueNums}.${config.writeQueueNums}.${config.perm}.${config.topicSysFlag}.${config.order}`;
      return `${record.session}.${dataVersionText(record.dataVersion)}.${stampText(record.stamp)}.${shape}`;
    }
    case "liveness":
      // An alive broker's evidence moves with every heartbeat (for a remoting broker even its
      // epoch: a clock reading of the node that heard it, different on every node), so in the
      // digest it would make every exchange ship every record again (profiled: 2 MB/s per node
      // at 1,000 brokers and 80,000 topics). PEER_HEARD carries freshness; the digest repairs
      // state changes (session, alive/offline), and an offline verdict keeps its evidence.
      return record.alive ? `${record.session}.alive` : `${record.session}.${record.reason}.${record.evidence.epoch}.${record.evidence.seq}`;
    case "holder":
      return `${record.connected}.${record.stamp.wallMs}.${record.stamp.logical}.${record.stamp.nodeId}`;
    case "kv":
      return `${record.value === null ? "-" : `+${record.value.length}:${record.value}`}.${record.stamp.wallMs}.${record.stamp.logical}.${record.stamp.nodeId}`;
    case "topicDelete":
      return `${record.clusterName ?? ""}.${record.stamp.wallMs}.${record.stamp.logical}.${record.stamp.nodeId}`;
    case "perm":
      return `${record.writable}.${record.stamp.wallMs}.${record.stamp.logical}.${record.stamp.nodeId}`;
  }
}

function stampText(stamp: Stamp): string {
  return `${stamp.wallMs}.${stamp.logical}.${stamp.nodeId}`;
}

function dataVersionText(version: DataVersion): string {
  return `${version.stateVersion}.${version.timestamp}.${version.counter}`;
}

// PEER_HEARD (23): compact liveness evidence, name server to name server, one-way (envelope id 0).
// "I hear these brokers, as of now": brokers are named by their index in the sender's evidence
// table, and each index's key travels once per link (until the receiver acknowledges it).
// Wire, v1:
//   PEER_HEARD {gen: int, base: int, keys: [brokerKey], ack: {gen: int, count: int} | null,
//     groups: [{hops, ageMs, bitmap}, ...]}
//   gen: the generation of the sender's table (indexes never change within one).
//   keys: the sender's table from index `base` on (base 0: the whole table, replacing any older
//     copy the receiver holds).
//   ack: how much of the receiver's own table the sender holds (its gen and the count of keys from
//     index 0), so that the receiver sends only what is missing; null when it holds none.
//   groups: brokers vouched for. bitmap (msgpack bin): bit i (byte i >> 3, bit i & 7) names index i;
//     hops: relays since the node that heard the broker itself (0: the sender heard it); ageMs: how
//     long before the frame was sent the evidence was fresh, at most (rounded up).
import { InvalidArgumentError } from "../../errors.js";
import { BROKER_EXPIRY_MS_MAX, EVIDENCE_GROUPS_PER_FRAME_MAX, EVIDENCE_RELAY_HOPS_MAX, EVIDENCE_TABLE_MAX } from "../../limits.js";
import { checkBrokerKey } from "./gossip.js";
import { arr, fieldsOf, int } from "../validate.js";

const INT_MAX = Number.MAX_SAFE_INTEGER;
/** Bytes of a bitmap that names every index of a full table. */
const BITMAP_BYTES_MAX = Math.ceil(EVIDENCE_TABLE_MAX / 8);

/** One group of vouched brokers: the same relay hops and age. */
export interface HeardGroup {
  readonly hops: number;
  readonly ageMs: number;
  readonly bitmap: Uint8Array;
}

/** PEER_HEARD body. */
export interface PeerHeard {
  readonly gen: number;
  readonly base: number;
  readonly keys: readonly string[];
  readonly ack: { readonly gen: number; readonly count: number } | null;
  readonly groups: readonly HeardGroup[];
}

/** Validates a PEER_HEARD body. */
export function decodePeerHeard(body: unknown): PeerHeard {
  const fields = fieldsOf(body, "peer heard");
  const gen = int(fields, "gen", 0, INT_MAX);
  const base = int(fields, "base", 0, EVIDENCE_TABLE_MAX);
  const keys = arr(fields, "keys", EVIDENCE_TABLE_MAX - base).map((key, index) => checkBrokerKey(`keys[${index}]`, key));
  let ack: PeerHeard["ack"] = null;
  if (fields["ack"] !== null && fields["ack"] !== undefined) {
    const ackFields = fieldsOf(fields["ack"], "ack");
    ack = { gen: int(ackFields, "gen", 0, INT_MAX), count: int(ackFields, "count", 0, EVIDENCE_TABLE_MAX) };
  }
  const groups = arr(fields, "groups", EVIDENCE_GROUPS_PER_FRAME_MAX).map((raw, index) => decodeGroup(raw, `groups[${index}]`));
  return { gen, base, keys, ack, groups };
}

function decodeGroup(raw: unknown, path: string): HeardGroup {
  const fields = fieldsOf(raw, path);
  const bitmap = fields["bitmap"];
  if (!(bitmap instanceof Uint8Array) || bitmap.length > BITMAP_BYTES_MAX) {
    const got = bitmap instanceof Uint8Array ? `${bitmap.length} bytes` : bitmap;
    throw InvalidArgumentError.format(`${path}.bitmap`, `must be binary of at most ${BITMAP_BYTES_MAX} bytes`, got);
  }
  return { hops: int(fields, "hops", 0, EVIDENCE_RELAY_HOPS_MAX), ageMs: int(fields, "ageMs", 0, BROKER_EXPIRY_MS_MAX), bitmap };
}

/** A bitmap naming `indexes` (each below EVIDENCE_TABLE_MAX). */
export function encodeBitmap(indexes: readonly number[]): Uint8Array {
  let top = -1;
  for (const index of indexes) if (index > top) top = index;
  const bitmap = new Uint8Array((top >> 3) + 1);
  for (const index of indexes) bitmap[index >> 3] = (bitmap[index >> 3] as number) | (1 << (index & 7));
  return top < 0 ? new Uint8Array(0) : bitmap;
}

/** The indexes a bitmap names, ascending. */
export function bitmapIndexes(bitmap: Uint8Array): number[] {
  const indexes: number[] = [];
  for (let byte = 0; byte < bitmap.length; byte++) {
    const bits = bitmap[byte] as number;
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) if ((bits & (1 << bit)) !== 0) indexes.push((byte << 3) | bit);
  }
  return indexes;
}

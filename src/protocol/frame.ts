// The native frame envelope {v, kind, code, id, body} and the one configured Packr.
// Pure: bytes <-> envelope, with the size check before decoding. Imports no I/O.
import { Packr } from "msgpackr";
import { assert } from "../assert.js";
import { FrameTooLargeError, ProtocolError } from "../errors.js";
import { FRAME_BYTES_MAX, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from "../limits.js";
import { FrameKind } from "./codes.js";

/**
 * The one Packr: plain maps as JS objects, no record structures, no sequential mode,
 * so that every frame decodes on its own. Integers stay numbers (no BigInt surprises
 * below 2^53); Date and other extensions are not used by the protocol.
 */
const packr = new Packr({
  useRecords: false,
  structuredClone: false,
  mapsAsObjects: true,
  moreTypes: false,
  bundleStrings: false,
  int64AsType: "number",
});

/** A decoded frame. `code` is a RequestCode (request), ErrorCode (response) or PushCode (push). */
export interface Frame {
  readonly v: number;
  readonly kind: FrameKind;
  readonly code: number;
  /** Correlation id: a response carries its request's id; pushes carry 0. */
  readonly id: number;
  readonly body: unknown;
}

/** Largest correlation id; ids wrap below it. */
export const FRAME_ID_MAX = 0xffff_ffff;

/**
 * Encoded bodies of frozen objects. A frozen body cannot change, so its bytes are reused:
 * the core hands out the same frozen route until it changes, and a busy node answers the
 * same route many thousand times a second. Weak keys: dropped with the route.
 */
const frozenBodies = new WeakMap<object, Uint8Array>();
/** The msgpack encoding of nil: the placeholder a cached body replaces. */
const MSGPACK_NIL = 0xc0;

/** Encodes a frame; the caller guarantees the body is plain data. */
export function encodeFrame(frame: Frame, bytesMax = FRAME_BYTES_MAX): Uint8Array {
  const body = frame.body;
  let bytes: Uint8Array;
  if (typeof body === "object" && body !== null && Object.isFrozen(body)) {
    let encoded = frozenBodies.get(body);
    if (!encoded) frozenBodies.set(body, (encoded = packr.pack(body)));
    // `body` is the map's last key, so its value is the last byte(s): nil here, spliced out.
    const head = packr.pack({ v: frame.v, kind: frame.kind, code: frame.code, id: frame.id, body: null });
    assert(head[head.length - 1] === MSGPACK_NIL, "msgpack placeholder must end the frame");
    bytes = Buffer.concat([head.subarray(0, head.length - 1), encoded]);
  } else {
    bytes = packr.pack({ v: frame.v, kind: frame.kind, code: frame.code, id: frame.id, body });
  }
  if (bytes.length > bytesMax) throw new FrameTooLargeError(bytes.length, bytesMax);
  return bytes;
}

/** Decodes and checks an envelope. Throws ProtocolError/FrameTooLargeError; the caller closes. */
export function decodeFrame(bytes: Uint8Array, bytesMax = FRAME_BYTES_MAX): Frame {
  if (bytes.length > bytesMax) throw new FrameTooLargeError(bytes.length, bytesMax);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    throw new ProtocolError(`frame is not valid msgpack: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("frame must be a msgpack map {v, kind, code, id, body}");
  }
  const { v, kind, code, id, body } = value as Record<string, unknown>;
  if (!isInt(v) || v < 1) throw new ProtocolError(`frame field 'v' must be a positive integer, got ${String(v)}`);
  if (kind !== FrameKind.REQUEST && kind !== FrameKind.RESPONSE && kind !== FrameKind.PUSH) {
    throw new ProtocolError(`frame field 'kind' must be 0, 1 or 2, got ${String(kind)}`);
  }
  if (!isInt(code) || code < 0) throw new ProtocolError(`frame field 'code' must be a non-negative integer`);
  if (!isInt(id) || id < 0 || id > FRAME_ID_MAX) throw new ProtocolError(`frame field 'id' must be 0..${FRAME_ID_MAX}`);
  return { v, kind, code, id, body };
}

/** Picks the highest version both sides speak, or null when the ranges do not meet. */
export function negotiateVersion(peerMin: number, peerMax: number): number | null {
  const version = Math.min(peerMax, PROTOCOL_VERSION_MAX);
  return version >= Math.max(peerMin, PROTOCOL_VERSION_MIN) ? version : null;
}

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

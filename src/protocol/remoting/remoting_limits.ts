// Bounds of the RocketMQ remoting codec, named, each with a one-line reason.
// Imports only src/limits.ts and assert; relationships are checked when the module loads.
import { assert } from "../../assert.js";
import { REMOTING_FRAME_BYTES_MAX } from "../../limits.js";

/** Bytes taken by the int32 length prefix of every frame. */
export const REMOTING_LENGTH_PREFIX_BYTES = 4;
/**
 * Largest value of the `length` prefix: Netty compares its 16 MiB limit against
 * `length + 4`, so Java accepts at most 16777212 here (ROCKETMQ.md §1.1).
 */
export const REMOTING_FRAME_LENGTH_MAX = REMOTING_FRAME_BYTES_MAX - REMOTING_LENGTH_PREFIX_BYTES;
/** Header length lives in the low 24 bits of the second int, so it cannot exceed this. */
export const REMOTING_HEADER_BYTES_MAX = 0xff_ffff;
/** Nesting of JSON we parse: TopicRouteData is 5 deep; 64 leaves room and stops stack abuse. */
export const JSON_DEPTH_MAX = 64;
/**
 * Inflated size of a compressed RegisterBrokerBody: 60k topics x ~150 B of TopicConfig text
 * is ~9 MiB; 64 MiB allows 4x that and still stops a zlib bomb.
 */
export const REGISTER_BODY_INFLATED_BYTES_MAX = 64 * 1024 * 1024;
/** Longest exception text we put into a remark, so a hostile value cannot bloat replies. */
export const REMARK_CHARS_MAX = 1024;

assert(REMOTING_FRAME_LENGTH_MAX > REMOTING_HEADER_BYTES_MAX / 2, "frame limit leaves room for a header");
assert(REGISTER_BODY_INFLATED_BYTES_MAX >= REMOTING_FRAME_BYTES_MAX, "an uncompressed-size body fits when inflated");

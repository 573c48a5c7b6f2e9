// Type checks for parsed JSON bodies: each reads one field and throws InvalidArgumentError
// naming the field path and quoting the value. Used by the body decoders only.
import { InvalidArgumentError } from "../../errors.js";
import type { JsonObject, JsonValue } from "./json.js";

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** The value as an object, or an error naming `path`. */
export function asObject(value: JsonValue | undefined, path: string): JsonObject {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    throw InvalidArgumentError.format(path, "must be a JSON object", value);
  }
  return value;
}

/** The value as an array, or an error naming `path`. */
export function asArray(value: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(value)) throw InvalidArgumentError.format(path, "must be a JSON array", value);
  return value;
}

/** A string, or an error naming `path`. */
export function asString(value: JsonValue | undefined, path: string): string {
  if (typeof value !== "string") throw InvalidArgumentError.format(path, "must be a string", value);
  return value;
}

/** An optional string: absent and null give undefined. */
export function optString(value: JsonValue | undefined, path: string): string | undefined {
  return value === undefined || value === null ? undefined : asString(value, path);
}

/** A Java int (absent/null -> `fallback`, as an unset Java primitive). */
export function asInt(value: JsonValue | undefined, path: string, fallback = 0): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw InvalidArgumentError.format(path, "must be an int32", value);
  }
  return value;
}

/** A Java long that JS can hold exactly (|v| <= 2^53-1); absent/null -> `fallback`. */
export function asLong(value: JsonValue | undefined, path: string, fallback = 0): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw InvalidArgumentError.format(path, "must be an integer within ±(2^53-1)", value);
  }
  return value;
}

/** A boolean; absent/null -> `fallback`. */
export function asBool(value: JsonValue | undefined, path: string, fallback = false): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw InvalidArgumentError.format(path, "must be a boolean", value);
  return value;
}

/** An array of strings (null items are rejected). */
export function asStringArray(value: JsonValue | undefined, path: string): string[] {
  return asArray(value, path).map((item, index) => asString(item, `${path}[${index}]`));
}

/** A JSON object with string values as a Map (null values skipped, as fastjson would omit them). */
export function asStringMap(value: JsonValue | undefined, path: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [key, item] of Object.entries(asObject(value, path))) {
    if (item === null) continue;
    map.set(key, asString(item, `${path}.${key}`));
  }
  return map;
}

/** Parses a map key written as a Java Long/Integer (bare or quoted). */
export function asIntKey(key: string, path: string, bits: 32 | 53): number {
  const value = /^-?\d{1,19}$/.test(key) ? Number(key) : Number.NaN;
  const ok = bits === 32 ? Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX : Number.isSafeInteger(value);
  if (!ok) throw InvalidArgumentError.format(`${path} key`, bits === 32 ? "must be an int32" : "must be an integer", key);
  return value;
}

// Hand-written validators for message bodies: unknown -> typed fields, or an
// InvalidArgumentError that names the field, the rule and the value. Pure.
import { InvalidArgumentError } from "../errors.js";
import { ADDR_CHARS_MAX, KV_KEY_CHARS_MAX, KV_VALUE_CHARS_MAX, NAME_CHARS_MAX, TOPIC_NAME_CHARS_MAX } from "../limits.js";

/** A message body as a plain object. */
export type Fields = Readonly<Record<string, unknown>>;

/** The characters RocketMQ's TopicValidator allows, plus '.' for our own names. */
const NAME_PATTERN = /^[A-Za-z0-9%|_.-]+$/;
/** host:port, host being a name, IPv4 or [IPv6]. */
const ADDR_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** Checks that a body is a map; `what` names the message. */
export function fieldsOf(body: unknown, what: string): Fields {
  if (typeof body !== "object" || body === null || Array.isArray(body) || body instanceof Uint8Array) {
    throw InvalidArgumentError.format(what, "body must be a map", body);
  }
  return body as Fields;
}

/** A required string of bounded length. */
export function str(fields: Fields, field: string, charsMax: number, charsMin = 1): string {
  const value = fields[field];
  if (typeof value !== "string" || value.length < charsMin || value.length > charsMax) {
    throw InvalidArgumentError.format(field, `must be a string of ${charsMin}..${charsMax} chars`, value);
  }
  return value;
}

/** An optional string; undefined and null give null. */
export function optStr(fields: Fields, field: string, charsMax: number): string | null {
  const value = fields[field];
  if (value === undefined || value === null) return null;
  return str(fields, field, charsMax, 0);
}

/** A required integer in [min, max]. */
export function int(fields: Fields, field: string, min: number, max: number): number {
  const value = fields[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw InvalidArgumentError.format(field, `must be an integer in ${min}..${max}`, value);
  }
  return value;
}

/** An optional integer in [min, max]; undefined and null give null. */
export function optInt(fields: Fields, field: string, min: number, max: number): number | null {
  const value = fields[field];
  if (value === undefined || value === null) return null;
  return int(fields, field, min, max);
}

/** An optional boolean with a default. */
export function bool(fields: Fields, field: string, fallback: boolean): boolean {
  const value = fields[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw InvalidArgumentError.format(field, "must be a boolean", value);
  return value;
}

/** A required array of at most `itemsMax` items. */
export function arr(fields: Fields, field: string, itemsMax: number): readonly unknown[] {
  const value = fields[field];
  if (!Array.isArray(value)) throw InvalidArgumentError.format(field, "must be an array", value);
  if (value.length > itemsMax) {
    throw InvalidArgumentError.format(field, `must have at most ${itemsMax} items`, `${value.length} items`);
  }
  return value;
}

/** Whether a topic name holds whitespace or a control character (logs, the 4.x text codec, URLs). */
function hasForbiddenTopicChar(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const unit = value.charCodeAt(index);
    if (unit <= 0x20 || unit === 0x7f || (unit >= 0x80 && /\s/.test(value.charAt(index)))) return true;
  }
  return false;
}

/**
 * Checks a topic name: 1..TOPIC_NAME_CHARS_MAX characters, no whitespace or control character. The
 * Java NameServer checks nothing, and brokers register names outside TopicValidator's
 * alphabet (POP retry topics `%RETRY%group+topic`), so only what would harm us is refused.
 */
export function checkTopic(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > TOPIC_NAME_CHARS_MAX || hasForbiddenTopicChar(value)) {
    throw InvalidArgumentError.format(field, `must be 1..${TOPIC_NAME_CHARS_MAX} chars, no whitespace or control characters`, value);
  }
  return value;
}

/** Checks a cluster or broker name. */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > NAME_CHARS_MAX || !NAME_PATTERN.test(value)) {
    throw InvalidArgumentError.format(field, `must be 1..${NAME_CHARS_MAX} chars of [A-Za-z0-9%|_.-]`, value);
  }
  return value;
}

/** Checks a "host:port" address. */
export function checkAddr(field: string, value: unknown): string {
  const match = typeof value === "string" && value.length <= ADDR_CHARS_MAX ? ADDR_PATTERN.exec(value) : null;
  const port = match ? Number(match[1]) : 0;
  if (!match || port < 1 || port > 65_535) {
    throw InvalidArgumentError.format(field, "must be host:port with a port in 1..65535", value);
  }
  return value as string;
}

/** Checks a KV namespace or key. */
export function checkKvKey(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > KV_KEY_CHARS_MAX) {
    throw InvalidArgumentError.format(field, `must be a string of 1..${KV_KEY_CHARS_MAX} chars`, value);
  }
  return value;
}

/** Checks a KV value. */
export function checkKvValue(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length > KV_VALUE_CHARS_MAX) {
    throw InvalidArgumentError.format(field, `must be a string of at most ${KV_VALUE_CHARS_MAX} chars`, value);
  }
  return value;
}

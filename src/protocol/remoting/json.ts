// fastjson-compatible JSON for RocketMQ bodies: a lenient reader (bare integer keys, bounded
// depth, no eval) and a writer with fastjson's `legacy` default output and `standard` mode (§3.0).
import { InvalidArgumentError } from "../../errors.js";
import { JSON_DEPTH_MAX } from "./remoting_limits.js";

/** A parsed JSON value. Integers outside ±(2^53−1) come back as bigint so nothing is rounded. */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
/** A parsed JSON object. Bare keys (`{0:"a"}`) arrive as their text ("0"). */
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Parses JSON as fastjson 1.x reads it: standard JSON plus unquoted keys (`{0:"a",k:1}`),
 * single-quoted strings and raw control characters inside strings.
 * @throws InvalidArgumentError naming `field` and the offset, on any syntax error or when
 *   nesting exceeds JSON_DEPTH_MAX.
 */
export function parseLenientJson(text: string, field = "json"): JsonValue {
  const reader = new JsonReader(text, field);
  reader.skipSpace();
  const value = reader.readValue(0);
  reader.skipSpace();
  if (reader.pos !== text.length) throw reader.fail("must end after one value");
  return value;
}

const BARE_KEY = /[A-Za-z0-9_$.-]/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class JsonReader {
  pos = 0;
  constructor(
    private readonly text: string,
    private readonly field: string,
  ) {}

  fail(rule: string): InvalidArgumentError {
    const near = this.text.slice(this.pos, this.pos + 16);
    return InvalidArgumentError.format(this.field, `${rule} (json offset ${this.pos})`, near);
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x0c && c !== 0x08) return;
      this.pos += 1;
    }
  }

  readValue(depth: number): JsonValue {
    const c = this.text[this.pos];
    if (c === "{") return this.readObject(depth + 1);
    if (c === "[") return this.readArray(depth + 1);
    if (c === '"' || c === "'") return this.readString();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.readNumber();
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    throw this.fail(c === undefined ? "must not end here" : "must hold a JSON value here");
  }

  private checkDepth(depth: number): void {
    if (depth > JSON_DEPTH_MAX) throw this.fail(`must nest at most ${JSON_DEPTH_MAX} deep`);
  }

  private readObject(depth: number): JsonObject {
    this.checkDepth(depth);
    this.pos += 1;
    const result: JsonObject = {};
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos += 1;
      return result;
    }
    for (;;) {
      this.skipSpace();
      const key = this.readKey();
      this.skipSpace();
      if (this.text[this.pos] !== ":") throw this.fail("must have ':' after an object key");
      this.pos += 1;
      this.skipSpace();
      setOwn(result, key, this.readValue(depth));
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos += 1;
      if (next === "}") return result;
      if (next !== ",") {
        this.pos -= 1;
        throw this.fail("must have ',' or '}' after an object value");
      }
    }
  }

  private readKey(): string {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.readString();
    const start = this.pos;
    while (this.pos < this.text.length && BARE_KEY.test(this.text[this.pos] as string)) this.pos += 1;
    if (this.pos === start) throw this.fail("must have an object key here");
    return this.text.slice(start, this.pos);
  }

  private readArray(depth: number): JsonValue[] {
    this.checkDepth(depth);
    this.pos += 1;
    const result: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos += 1;
      return result;
    }
    for (;;) {
      this.skipSpace();
      result.push(this.readValue(depth));
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos += 1;
      if (next === "]") return result;
      if (next !== ",") {
        this.pos -= 1;
        throw this.fail("must have ',' or ']' after an array item");
      }
    }
  }

  private readNumber(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (match === null) throw this.fail("must be a number here");
    const token = match[0];
    this.pos += token.length;
    const value = Number(token);
    if (/^-?\d+$/.test(token) && !Number.isSafeInteger(value)) return BigInt(token);
    return value;
  }

  private readString(): string {
    const quote = this.text[this.pos];
    this.pos += 1;
    let out = "";
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) throw this.fail("must close the string");
      const c = this.text[this.pos];
      if (c === quote) {
        out += this.text.slice(chunkStart, this.pos);
        this.pos += 1;
        return out;
      }
      if (c === "\\") {
        out += this.text.slice(chunkStart, this.pos);
        out += this.readEscape();
        chunkStart = this.pos;
      } else {
        this.pos += 1;
      }
    }
  }

  private readEscape(): string {
    const c = this.text[this.pos + 1];
    this.pos += 2;
    switch (c) {
      case '"': case "'": case "\\": case "/": return c;
      case "b": return "\b";
      case "f": return "\f";
      case "n": return "\n";
      case "r": return "\r";
      case "t": return "\t";
      case "u": {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.fail("must have 4 hex digits after \\u");
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        this.pos -= 2;
        throw this.fail("must use a known string escape");
    }
  }
}

const LITERALS: readonly (readonly [string, JsonValue])[] = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** Sets an own property, also for the key "__proto__" (which plain assignment would not store). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// ---- Writer -------------------------------------------------------------------------------

/**
 * A map whose keys are Java Integer or Long. JS objects cannot tell "0" from 0, so callers wrap
 * integer-keyed maps (BrokerData.brokerAddrs, currIdMap) in this to get fastjson's key form.
 */
export class IntKeyMap {
  readonly entries: readonly (readonly [number | bigint, JsonOut])[];
  constructor(entries: Iterable<readonly [number | bigint, JsonOut]>) {
    this.entries = [...entries];
  }
}

/** A map with arbitrary string keys (Java HashMap<String,...>): sorted in standard mode. */
export class StringKeyMap {
  readonly entries: readonly (readonly [string, JsonOut])[];
  constructor(entries: Iterable<readonly [string, JsonOut]>) {
    this.entries = [...entries];
  }
}

/**
 * A value the writer accepts. Plain objects are Java beans: write their properties in the order
 * given (build them alphabetically, as fastjson's SortField does). `undefined`/`null` properties
 * and map values are left out, as fastjson does by default.
 */
export type JsonOut =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | readonly JsonOut[]
  | IntKeyMap
  | StringKeyMap
  | { readonly [key: string]: JsonOut };

/**
 * `legacy`: fastjson defaults (integer map keys unquoted, non-ASCII raw).
 * `standard`: fastjson with BrowserCompatible + MapSortField (quoted keys, maps sorted by key,
 * `/` as `\/`, control chars and every char >= 0x7F as `\uXXXX`, longs beyond 2^53 quoted).
 */
export type JsonMode = "legacy" | "standard";

/** Writes `value` as fastjson would; see JsonMode. */
export function writeJson(value: JsonOut, mode: JsonMode = "legacy"): string {
  const parts: string[] = [];
  writeValue(value, mode, parts);
  return parts.join("");
}

function writeValue(value: JsonOut, mode: JsonMode, out: string[]): void {
  if (value === null || value === undefined) out.push("null");
  else if (typeof value === "boolean") out.push(value ? "true" : "false");
  else if (typeof value === "number") out.push(writeNumber(value));
  else if (typeof value === "bigint") out.push(writeBigint(value, mode));
  else if (typeof value === "string") out.push(writeString(value, mode));
  else if (Array.isArray(value)) writeArray(value as readonly JsonOut[], mode, out);
  else if (value instanceof IntKeyMap) writeIntKeyMap(value, mode, out);
  else if (value instanceof StringKeyMap) writeStringKeyMap(value, mode, out);
  else writeEntries(Object.entries(value as { readonly [key: string]: JsonOut }), mode, out);
}

function writeNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw InvalidArgumentError.format("json number", "must be finite", value);
  }
  return String(value);
}

const JS_SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function writeBigint(value: bigint, mode: JsonMode): string {
  const text = value.toString();
  const unsafe = value > JS_SAFE_MAX || value < -JS_SAFE_MAX;
  return mode === "standard" && unsafe ? `"${text}"` : text;
}

function writeArray(items: readonly JsonOut[], mode: JsonMode, out: string[]): void {
  out.push("[");
  items.forEach((item, index) => {
    if (index > 0) out.push(",");
    writeValue(item, mode, out);
  });
  out.push("]");
}

function writeEntries(entries: readonly (readonly [string, JsonOut])[], mode: JsonMode, out: string[]): void {
  out.push("{");
  let first = true;
  for (const [key, item] of entries) {
    if (item === undefined || item === null) continue;
    if (!first) out.push(",");
    first = false;
    out.push(writeString(key, mode), ":");
    writeValue(item, mode, out);
  }
  out.push("}");
}

function writeStringKeyMap(map: StringKeyMap, mode: JsonMode, out: string[]): void {
  const entries = mode === "standard" ? [...map.entries].sort(compareStringKeys) : map.entries;
  writeEntries(entries, mode, out);
}

function compareStringKeys(a: readonly [string, JsonOut], b: readonly [string, JsonOut]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function writeIntKeyMap(map: IntKeyMap, mode: JsonMode, out: string[]): void {
  const entries =
    mode === "standard" ? [...map.entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : map.entries;
  out.push("{");
  let first = true;
  for (const [key, item] of entries) {
    if (item === undefined || item === null) continue;
    if (!first) out.push(",");
    first = false;
    out.push(mode === "standard" ? `"${key.toString()}"` : key.toString(), ":");
    writeValue(item, mode, out);
  }
  out.push("}");
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function hex4(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Escapes one string. Legacy keeps non-ASCII raw; standard is BrowserCompatible. */
export function writeString(value: string, mode: JsonMode): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we escape
  const pattern = mode === "standard" ? /["\\/\u0000-\u001f\u007f-\uffff]/g : /["\\\u0000-\u001f]/g;
  const escaped = value.replace(pattern, (ch) => {
    if (mode === "standard") {
      if (ch === '"' || ch === "\\" || ch === "/") return `\\${ch}`;
      return hex4(ch.charCodeAt(0));
    }
    return SHORT_ESCAPES[ch] ?? hex4(ch.charCodeAt(0));
  });
  return `"${escaped}"`;
}

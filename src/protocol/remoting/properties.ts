// Java-properties text for UPDATE_NAMESRV_CONFIG (parse, as java.util.Properties.load) and
// GET_NAMESRV_CONFIG (format, as MixAll.properties2String with sorting). Pure.
import { InvalidArgumentError } from "../../errors.js";

const ESCAPES: Readonly<Record<string, string>> = { t: "\t", n: "\n", r: "\r", f: "\f" };

/** Splits text into logical lines: `\n`, `\r` or `\r\n` end a line; an odd trailing `\` continues it. */
function logicalLines(text: string): string[] {
  const physical = text.split(/\r\n|\r|\n/);
  const lines: string[] = [];
  let current: string | undefined;
  for (const raw of physical) {
    const line = current === undefined ? raw : raw.replace(/^[ \t\f]+/, "");
    const joined = (current ?? "") + line;
    const trailing = /\\+$/.exec(joined)?.[0].length ?? 0;
    if (trailing % 2 === 1) {
      current = joined.slice(0, -1);
    } else {
      lines.push(joined);
      current = undefined;
    }
  }
  if (current !== undefined) lines.push(current);
  return lines;
}

function unescape(text: string, lineIndex: number): string {
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    i += 1;
    if (next === undefined) break;
    if (next === "u") {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw InvalidArgumentError.format(`properties line ${lineIndex + 1}`, "must use \\uXXXX escapes", text);
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += ESCAPES[next] ?? next;
    }
  }
  return out;
}

/** Index where the key ends: the first unescaped `=`, `:` or whitespace. */
function keyEnd(line: string): number {
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (c === "\\") i += 1;
    else if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") return i;
  }
  return line.length;
}

/**
 * Parses Java-properties text (UTF-8; Java itself reads ISO-8859-1 here, so non-ASCII differs).
 * Later keys win. Comment lines start with `#` or `!`.
 * @throws InvalidArgumentError on a malformed \uXXXX escape (Java: "string2Properties error").
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  logicalLines(text).forEach((raw, index) => {
    const line = raw.replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) return;
    const end = keyEnd(line);
    let rest = line.slice(end).replace(/^[ \t\f]+/, "");
    if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]+/, "");
    result.set(unescape(line.slice(0, end), index), unescape(rest, index));
  });
  return result;
}

/**
 * Formats properties as GET_NAMESRV_CONFIG's body: `key=value\n` per entry, sorted by key
 * (UTF-16 order, as Java's TreeMap), with no escaping.
 */
export function formatProperties(properties: ReadonlyMap<string, string>): string {
  const keys = [...properties.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((key) => `${key}=${properties.get(key) as string}\n`).join("");
}

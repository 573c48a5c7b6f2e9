// Goal: Java-properties parsing follows java.util.Properties.load and formatting follows
// MixAll.properties2String (sorted key=value lines). Method: hand-written texts.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../errors.js";
import { formatProperties, parseProperties } from "./properties.js";

describe("properties", () => {
  it("properties: parses =, : and whitespace separators, comments and blank lines", () => {
    const text = "# comment\n! also\n\na=1\nb : 2\nc 3\n  d=\ne=x=y\r\nf=last";
    expect(parseProperties(text)).toEqual(
      new Map([
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
        ["d", ""],
        ["e", "x=y"],
        ["f", "last"],
      ]),
    );
  });
  it("properties: joins continuation lines and unescapes", () => {
    expect(parseProperties("key=one \\\n    two\nk\\=x=\\u0041\\t")).toEqual(
      new Map([
        ["key", "one two"],
        ["k=x", "A\t"],
      ]),
    );
  });
  it("properties: later keys win", () => {
    expect(parseProperties("a=1\na=2").get("a")).toBe("2");
  });
  it("properties: rejects a malformed \\u escape", () => {
    expect(() => parseProperties("a=\\u12")).toThrow(InvalidArgumentError);
  });
  it("properties: formats sorted key=value lines without escaping", () => {
    expect(formatProperties(new Map([["b", "2"], ["a", "x=y"], ["B", ""]]))).toBe("B=\na=x=y\nb=2\n");
  });
});

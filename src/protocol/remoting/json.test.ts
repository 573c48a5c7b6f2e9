// Goal: the lenient reader accepts what fastjson writes (bare integer keys) and rejects garbage
// with InvalidArgumentError; the writer reproduces fastjson's legacy and standard output.
// Method: hand-written inputs and exact expected strings from ROCKETMQ.md §3.0.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../errors.js";
import { IntKeyMap, StringKeyMap, parseLenientJson, writeJson } from "./json.js";
import { JSON_DEPTH_MAX } from "./remoting_limits.js";

describe("json reader", () => {
  it("json: reads bare integer keys as fastjson writes them", () => {
    expect(parseLenientJson('{0:"a",1:"b",-2:"c"}')).toEqual({ "0": "a", "1": "b", "-2": "c" });
  });
  it("json: reads standard JSON, escapes and single quotes", () => {
    expect(parseLenientJson(' {"a":[1,-2.5e3,true,false,null],"b":"x\\u0041\\n\\/",\'c\':\'d\'} ')).toEqual({
      a: [1, -2500, true, false, null],
      b: "xA\n/",
      c: "d",
    });
  });
  it("json: keeps integers beyond 2^53 exact as bigint", () => {
    expect(parseLenientJson("9007199254740993")).toBe(9007199254740993n);
  });
  it("json: stores a __proto__ key as an own property", () => {
    const value = parseLenientJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
  });
  it.each([
    ["empty", ""],
    ["trailing garbage", "{} x"],
    ["unclosed object", '{"a":1'],
    ["unclosed string", '"abc'],
    ["bad escape", '"\\q"'],
    ["bad unicode", '"\\u12"'],
    ["missing colon", '{"a" 1}'],
    ["bare word value", "{a:b}"],
    ["trailing comma", "[1,]"],
  ])("json: rejects %s with InvalidArgumentError", (_name, text) => {
    expect(() => parseLenientJson(text)).toThrow(InvalidArgumentError);
  });
  it("json: bounds nesting at JSON_DEPTH_MAX", () => {
    const ok = "[".repeat(JSON_DEPTH_MAX) + "]".repeat(JSON_DEPTH_MAX);
    expect(() => parseLenientJson(ok)).not.toThrow();
    const deep = "[".repeat(JSON_DEPTH_MAX + 1) + "]".repeat(JSON_DEPTH_MAX + 1);
    expect(() => parseLenientJson(deep)).toThrow(/nest at most/);
    expect(() => parseLenientJson("[".repeat(100_000))).toThrow(InvalidArgumentError);
  });
});

describe("json writer", () => {
  const addrs = new IntKeyMap([
    [1, "10.0.0.2:10911"],
    [0, "10.0.0.1:10911"],
  ]);
  it("json: legacy writes integer keys bare in the given order", () => {
    expect(writeJson({ brokerAddrs: addrs }, "legacy")).toBe('{"brokerAddrs":{1:"10.0.0.2:10911",0:"10.0.0.1:10911"}}');
  });
  it("json: standard quotes integer keys and sorts them numerically", () => {
    const many = new IntKeyMap([
      [10, "x"],
      [2, "y"],
    ]);
    expect(writeJson(many, "standard")).toBe('{"2":"y","10":"x"}');
    expect(writeJson({ brokerAddrs: addrs }, "standard")).toBe('{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}}');
  });
  it("json: standard sorts string-keyed maps, legacy keeps their order", () => {
    const map = new StringKeyMap([
      ["b", 1],
      ["a", 2],
    ]);
    expect(writeJson(map, "standard")).toBe('{"a":2,"b":1}');
    expect(writeJson(map, "legacy")).toBe('{"b":1,"a":2}');
  });
  it("json: leaves out null and undefined properties and map values", () => {
    expect(writeJson({ a: null, b: undefined, c: 1, m: new IntKeyMap([[0, null]]) })).toBe('{"c":1,"m":{}}');
    expect(writeJson([null, 1])).toBe("[null,1]");
  });
  it("json: legacy escapes quotes, backslash and control chars, keeps non-ASCII raw", () => {
    expect(writeJson('a"b\\c\n\u0001/é€')).toBe('"a\\"b\\\\c\\n\\u0001/é€"');
  });
  it("json: standard escapes '/', control chars and every char >= 0x7F as \\uXXXX", () => {
    expect(writeJson('a/b\n\u007fé€"', "standard")).toBe('"a\\/b\\u000A\\u007F\\u00E9\\u20AC\\""');
  });
  it("json: standard quotes longs beyond ±(2^53-1); legacy does not", () => {
    expect(writeJson(9007199254740993n, "standard")).toBe('"9007199254740993"');
    expect(writeJson(9007199254740993n, "legacy")).toBe("9007199254740993");
    expect(writeJson(5n, "standard")).toBe("5");
  });
  it("json: round-trips through the reader", () => {
    const text = writeJson({ a: [1, "x"], m: new IntKeyMap([[3, { z: true }]]) });
    expect(parseLenientJson(text)).toEqual({ a: [1, "x"], m: { "3": { z: true } } });
  });
  it("json: rejects non-finite numbers", () => {
    expect(() => writeJson(Number.NaN)).toThrow(InvalidArgumentError);
  });
});

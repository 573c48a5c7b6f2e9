// Goal: kv.json parsing accepts what the server writes and rejects anything else with the
// offending field named. Method: parseKvFile on hand-built strings (the I/O half is
// exercised by test/integration/server_kv.int.test.ts).
import { describe, expect, it } from "vitest";
import { parseKvFile } from "./kv_file.js";

const STAMP = { wallMs: 5, logical: 0, nodeId: "n1" };

describe("kv_file", () => {
  it("kv_file: parses records, tombstones included", () => {
    const text = JSON.stringify({
      format: 1,
      records: [
        { type: "kv", namespace: "ns", key: "a", value: "1", stamp: STAMP },
        { type: "kv", namespace: "ns", key: "b", value: null, stamp: STAMP },
      ],
    });
    expect(parseKvFile(text)).toEqual([
      { type: "kv", namespace: "ns", key: "a", value: "1", stamp: STAMP },
      { type: "kv", namespace: "ns", key: "b", value: null, stamp: STAMP },
    ]);
  });

  it("kv_file: rejects invalid JSON, wrong format and bad records naming the field", () => {
    expect(() => parseKvFile("{not json")).toThrow(/not valid JSON/);
    expect(() => parseKvFile(JSON.stringify({ format: 2, records: [] }))).toThrow(/'format'/);
    expect(() => parseKvFile(JSON.stringify({ format: 1, records: {} }))).toThrow(/'records' must be an array/);
    const badKey = { format: 1, records: [{ type: "kv", namespace: "ns", key: "", value: "1", stamp: STAMP }] };
    expect(() => parseKvFile(JSON.stringify(badKey))).toThrow(/'records\[0\]\.key'/);
    const badStamp = { format: 1, records: [{ type: "kv", namespace: "ns", key: "k", value: "1", stamp: { wallMs: -1 } }] };
    expect(() => parseKvFile(JSON.stringify(badStamp))).toThrow(/'wallMs'/);
  });
});

// Goal: REGISTER_BROKER bodies decode in all three forms (JSON, zlib-compressed per §3.7 with and
// without the >=413 mapping part, bare pre-37 wrapper). Method: bodies built by hand with the
// exact byte layout and deflateSync, plus CRC checks and malformed streams.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../errors.js";
import { bodyCrc32 } from "./crc32.js";
import {
  type RegisterBrokerBody,
  type TopicConfig,
  compressedLayout,
  decodeRegisterBrokerBody,
  decodeTopicConfigText,
  encodeCompressedRegisterBrokerBody,
  encodeRegisterBrokerBody,
  encodeTopicConfigSerializeWrapper,
  encodeTopicConfigText,
} from "./register_body.js";

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value, 0);
  return b;
}
function prefixed(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([int32(bytes.length), bytes]);
}

/** The §3.7 layout written out by hand, independent of compressedLayout(). */
function handLayout(withMapping: boolean): Buffer {
  const parts = [
    prefixed('{"counter":5,"stateVersion":2,"timestamp":1700000000000}'),
    int32(2),
    prefixed('TopicA 8 8 6 SINGLE_TAG {"k":"v"}'),
    prefixed("TopicB 4 2 4 MULTI_TAG {}"),
    prefixed('["10.0.0.5:1"]'),
  ];
  if (withMapping) {
    parts.push(int32(1), prefixed('{"bname":"broker-a","currIdMap":{0:0,1:1},"dirty":false,"epoch":7,"scope":"__global__","topic":"TopicA","totalQueues":2}'));
  }
  return Buffer.concat(parts);
}

const topicA: TopicConfig = {
  topicName: "TopicA",
  readQueueNums: 8,
  writeQueueNums: 8,
  perm: 6,
  topicFilterType: "SINGLE_TAG",
  topicSysFlag: 0,
  order: false,
  attributes: new Map([["k", "v"]]),
};
const topicB: TopicConfig = { ...topicA, topicName: "TopicB", readQueueNums: 4, writeQueueNums: 2, perm: 4, topicFilterType: "MULTI_TAG", attributes: new Map<string, string>() };
const mapping = {
  topic: "TopicA",
  scope: "__global__",
  totalQueues: 2,
  bname: "broker-a",
  epoch: 7,
  dirty: false,
  currIdMap: new Map([
    [0, 0],
    [1, 1],
  ]),
};
const expectedBody = (withMapping: boolean): RegisterBrokerBody => ({
  topicConfigSerializeWrapper: {
    dataVersion: { counter: 5, stateVersion: 2, timestamp: 1_700_000_000_000 },
    topicConfigTable: new Map<string, TopicConfig>([
      ["TopicA", topicA],
      ["TopicB", topicB],
    ]),
    topicQueueMappingInfoMap: withMapping ? new Map([["TopicA", mapping]]) : new Map(),
  },
  filterServerList: ["10.0.0.5:1"],
});

describe("register_body: compressed form", () => {
  it("register_body: decodes a hand-built zlib body with the >=413 mapping part", () => {
    const body = deflateSync(handLayout(true), { level: 9 });
    expect(decodeRegisterBrokerBody(body, true, 479)).toEqual(expectedBody(true));
  });
  it("register_body: below version 413 the mapping part is not read", () => {
    const body = deflateSync(handLayout(false), { level: 9 });
    expect(decodeRegisterBrokerBody(body, true, 400)).toEqual(expectedBody(false));
  });
  it("register_body: our layout equals the hand-built bytes and encodes the same body", () => {
    expect(compressedLayout(expectedBody(true), 479).equals(handLayout(true))).toBe(true);
    expect(compressedLayout(expectedBody(false), 412).equals(handLayout(false))).toBe(true);
    const encoded = encodeCompressedRegisterBrokerBody(expectedBody(true), 479);
    expect(encoded[0]).toBe(0x78);
    expect(decodeRegisterBrokerBody(encoded, true, 479)).toEqual(expectedBody(true));
  });
  it("register_body: CRC of the compressed bytes is what the broker puts in bodyCrc32", () => {
    const body = deflateSync(handLayout(true), { level: 9 });
    const crc = bodyCrc32(body);
    expect(crc).toBeGreaterThanOrEqual(0);
    expect(crc).toBeLessThanOrEqual(0x7fffffff);
    const flipped = Buffer.from(body);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(bodyCrc32(flipped)).not.toBe(crc);
  });
  it.each([
    ["not zlib", () => Buffer.from("plain text")],
    ["raw deflate without the zlib wrapper", () => deflateSync(handLayout(true)).subarray(2)],
    ["a truncated stream", () => deflateSync(handLayout(true).subarray(0, 30))],
    ["a missing mapping part at version >= 413", () => deflateSync(handLayout(false))],
    ["a negative topic count", () => deflateSync(Buffer.concat([prefixed("{}"), int32(-1)]))],
    ["a huge topic count", () => deflateSync(Buffer.concat([prefixed("{}"), int32(1_000_000)]))],
    ["a topic with 4 parts", () => deflateSync(Buffer.concat([prefixed("{}"), int32(1), prefixed("T 1 1 6"), prefixed("[]"), int32(0)]))],
    ["a non-numeric queue count", () => deflateSync(Buffer.concat([prefixed("{}"), int32(1), prefixed("T x 1 6 SINGLE_TAG "), prefixed("[]"), int32(0)]))],
  ])("register_body: rejects %s with InvalidArgumentError", (_name, build) => {
    expect(() => decodeRegisterBrokerBody(build(), true, 479)).toThrow(InvalidArgumentError);
  });
  it("register_body: a bad filterServerList JSON is ignored as Java does", () => {
    const layout = Buffer.concat([prefixed("{}"), int32(0), prefixed("not json"), int32(0)]);
    expect(decodeRegisterBrokerBody(deflateSync(layout), true, 479).filterServerList).toEqual([]);
  });
});

describe("register_body: TopicConfig text", () => {
  it("register_body: encodes name, queues, perm, filter type and attributes with single spaces", () => {
    expect(encodeTopicConfigText(topicA)).toBe('TopicA 8 8 6 SINGLE_TAG {"k":"v"}');
  });
  it("register_body: does not carry topicSysFlag and order", () => {
    const decoded = decodeTopicConfigText(encodeTopicConfigText({ ...topicA, topicSysFlag: 3, order: true }));
    expect(decoded.topicSysFlag).toBe(0);
    expect(decoded.order).toBe(false);
  });
  it("register_body: decodes a config with no attributes part (trailing space only)", () => {
    expect(decodeTopicConfigText("TopicB 4 2 4 MULTI_TAG ")).toEqual(topicB);
  });
  it("register_body: ignores an attributes part that is not a JSON map", () => {
    expect(decodeTopicConfigText("T 1 1 6 SINGLE_TAG {bad").attributes).toEqual(new Map());
    expect(decodeTopicConfigText('T 1 1 6 SINGLE_TAG {"a": "b"}').attributes).toEqual(new Map());
  });
  it("register_body: rejects an unknown filter type", () => {
    expect(() => decodeTopicConfigText("T 1 1 6 TAGS")).toThrow(/topicFilterType' must be SINGLE_TAG or MULTI_TAG/);
  });
});

describe("register_body: JSON forms", () => {
  it("register_body: uncompressed RegisterBrokerBody round-trips, bare integer keys in currIdMap", () => {
    const body = expectedBody(true);
    const json = encodeRegisterBrokerBody(body);
    expect(json.toString()).toContain('"currIdMap":{0:0,1:1}');
    expect(json.toString().startsWith('{"filterServerList":["10.0.0.5:1"],"topicConfigSerializeWrapper":{"dataVersion":')).toBe(true);
    const decoded = decodeRegisterBrokerBody(json, false, 479);
    // Java always writes the (normally empty) detail map; it comes back as carried-through JSON.
    expect(decoded).toEqual({ ...body, topicConfigSerializeWrapper: { ...body.topicConfigSerializeWrapper, topicQueueMappingDetailMap: {} } });
  });
  it("register_body: decodes a 5.x broker's JSON with Java defaults for missing TopicConfig fields", () => {
    const text =
      '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":9},' +
      '"topicConfigTable":{"T":{"topicName":"T","order":true,"topicSysFlag":1}},"topicQueueMappingDetailMap":{"T":{"hostedQueues":{0:[]}}}}}';
    const decoded = decodeRegisterBrokerBody(Buffer.from(text), false, 479);
    expect(decoded.topicConfigSerializeWrapper.topicConfigTable.get("T")).toEqual({
      topicName: "T",
      readQueueNums: 16,
      writeQueueNums: 16,
      perm: 6,
      topicFilterType: "SINGLE_TAG",
      topicSysFlag: 1,
      order: true,
      attributes: new Map(),
    });
    expect(decoded.filterServerList).toEqual([]);
  });
  it("register_body: below version 37 the body is a bare TopicConfigSerializeWrapper", () => {
    const wrapper = { ...expectedBody(false).topicConfigSerializeWrapper };
    const bytes = encodeTopicConfigSerializeWrapper(wrapper);
    expect(bytes.toString().startsWith('{"dataVersion":')).toBe(true);
    expect(decodeRegisterBrokerBody(bytes, false, 36)).toEqual({ topicConfigSerializeWrapper: wrapper });
  });
  it("register_body: an empty body is an empty table with a zero DataVersion", () => {
    expect(decodeRegisterBrokerBody(undefined, false, 479)).toEqual({
      topicConfigSerializeWrapper: {
        topicConfigTable: new Map(),
        dataVersion: { counter: 0, stateVersion: 0, timestamp: 0 },
        topicQueueMappingInfoMap: new Map(),
      },
    });
  });
  it("register_body: a compressed body sent with compressed=false fails as JSON (5.x quirk)", () => {
    const body = encodeCompressedRegisterBrokerBody(expectedBody(true), 479);
    expect(() => decodeRegisterBrokerBody(body, false, 479)).toThrow(InvalidArgumentError);
  });
  it("register_body: rejects a wrong type with the field path", () => {
    const text = '{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":{"perm":"x"}}}}';
    expect(() => decodeRegisterBrokerBody(Buffer.from(text), false, 479)).toThrow(
      /'RegisterBrokerBody.topicConfigSerializeWrapper.topicConfigTable.T.perm' must be an int32, got 'x'/,
    );
  });
});

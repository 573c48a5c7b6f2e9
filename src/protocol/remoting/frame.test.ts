// Goal: both header serializations decode and encode byte-exactly (ROCKETMQ.md §1), and every
// malformed input fails with ProtocolError or FrameTooLargeError, never a crash or a hang.
// Method: golden hex fixtures from test/fixtures/protocol/remoting plus hand-built bad frames.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FrameTooLargeError, InvalidArgumentError, ProtocolError } from "../../errors.js";
import { LanguageCode, SerializeType } from "./codes.js";
import { type RemotingCommand, RemotingFrameDecoder, decodeCommand, encodeCommand, isOneway, isResponse } from "./frame.js";
import { REMOTING_FRAME_LENGTH_MAX } from "./remoting_limits.js";

function fixtureHex(name: string): Buffer {
  const text = readFileSync(new URL(`../../../test/fixtures/protocol/remoting/${name}`, import.meta.url), "utf8");
  return Buffer.from(
    text
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("")
      .replace(/\s+/g, ""),
    "hex",
  );
}

const routeRequest: RemotingCommand = {
  code: 105,
  language: LanguageCode.JAVA,
  version: 479,
  opaque: 7,
  flag: 0,
  extFields: { topic: "TopicTest" },
  serializeType: SerializeType.JSON,
};

/** A frame with the given length prefix and raw rest. */
function rawFrame(length: number, rest: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(length, 0);
  return Buffer.concat([prefix, rest]);
}

/** A frame around a header of `type`, length computed. */
function frameWith(type: number, header: Buffer, body = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(8);
  out.writeInt32BE(4 + header.length + body.length, 0);
  out.writeUInt32BE(((type << 24) | header.length) >>> 0, 4);
  return Buffer.concat([out, header, body]);
}

function decodeAll(bytes: Buffer): RemotingCommand[] {
  return new RemotingFrameDecoder().push(bytes);
}

describe("frame golden bytes", () => {
  it("frame: JSON header encodes to the §1.1 example byte for byte", () => {
    expect(encodeCommand(routeRequest).equals(fixtureHex("get_routeinfo_json_header.hex"))).toBe(true);
  });
  it("frame: binary header encodes to the §1.1 example byte for byte", () => {
    const bytes = encodeCommand({ ...routeRequest, serializeType: SerializeType.ROCKETMQ });
    expect(bytes.toString("hex")).toBe(fixtureHex("get_routeinfo_binary_header.hex").toString("hex"));
  });
  it("frame: decodes both fixtures to the same command", () => {
    expect(decodeAll(fixtureHex("get_routeinfo_json_header.hex"))).toEqual([routeRequest]);
    expect(decodeAll(fixtureHex("get_routeinfo_binary_header.hex"))).toEqual([
      { ...routeRequest, serializeType: SerializeType.ROCKETMQ },
    ]);
  });
  it("frame: JSON response with remark and body round-trips and matches fastjson order", () => {
    const response: RemotingCommand = {
      code: 17,
      language: LanguageCode.JAVA,
      version: 479,
      opaque: 7,
      flag: 1,
      remark: "No topic",
      extFields: {},
      body: Buffer.from("{}"),
      serializeType: SerializeType.JSON,
    };
    const bytes = encodeCommand(response);
    const headerText = bytes.subarray(8, 8 + (bytes.readUInt32BE(4) & 0xffffff)).toString("utf8");
    expect(headerText).toBe(
      '{"code":17,"flag":1,"language":"JAVA","opaque":7,"remark":"No topic","serializeTypeCurrentRPC":"JSON","version":479}',
    );
    expect(decodeAll(bytes)).toEqual([response]);
  });
  it("frame: binary header with remark, several ext entries and a body round-trips", () => {
    const cmd: RemotingCommand = {
      code: -3,
      language: LanguageCode.GO,
      version: 401,
      opaque: -5,
      flag: 3,
      remark: "héllo",
      extFields: { a: "1", "ключ": "значение" },
      body: Buffer.from([1, 2, 3]),
      serializeType: SerializeType.ROCKETMQ,
    };
    expect(decodeAll(encodeCommand(cmd))).toEqual([cmd]);
  });
  it("frame: isResponse reads bit 0 and isOneway bit 1", () => {
    expect([0, 1, 2, 3].map((flag) => [isResponse({ flag }), isOneway({ flag })])).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]);
  });
});

describe("frame JSON header leniency", () => {
  it("frame: accepts language as a number and unknown names as OTHER", () => {
    const numeric = frameWith(0, Buffer.from('{"code":106,"language":9,"opaque":1}'));
    expect(decodeAll(numeric)[0]?.language).toBe(LanguageCode.GO);
    const unknown = frameWith(0, Buffer.from('{"code":106,"language":"COBOL","opaque":1}'));
    expect(decodeAll(unknown)[0]?.language).toBe(LanguageCode.OTHER);
  });
  it("frame: converts non-string ext values to strings and drops nulls", () => {
    const bytes = frameWith(0, Buffer.from('{"code":103,"extFields":{"brokerId":0,"compressed":false,"x":null}}'));
    expect(decodeAll(bytes)[0]?.extFields).toEqual({ brokerId: "0", compressed: "false" });
  });
  it("frame: missing header fields take Java's defaults", () => {
    expect(decodeAll(frameWith(0, Buffer.from("{}")))).toEqual([
      { code: 0, language: 0, version: 0, opaque: 0, flag: 0, extFields: {}, serializeType: 0 },
    ]);
  });
  it("frame: binary ext entries with an empty value are dropped, as Java reads them as null", () => {
    const bytes = encodeCommand({ ...routeRequest, extFields: { topic: "" }, serializeType: SerializeType.ROCKETMQ });
    expect(decodeAll(bytes)[0]?.extFields).toEqual({});
  });
});

describe("frame negative space", () => {
  it.each([
    ["zero length", rawFrame(0, Buffer.alloc(0))],
    ["length 3", rawFrame(3, Buffer.alloc(3))],
    ["negative length", rawFrame(-1, Buffer.alloc(0))],
  ])("frame: rejects %s with ProtocolError", (_name, bytes) => {
    expect(() => decodeAll(bytes)).toThrow(ProtocolError);
  });
  it("frame: rejects a length over the limit before buffering it", () => {
    const decoder = new RemotingFrameDecoder();
    expect(() => decoder.push(rawFrame(REMOTING_FRAME_LENGTH_MAX + 1, Buffer.alloc(0)))).toThrow(FrameTooLargeError);
    expect(decoder.bufferedByteCount).toBe(0);
  });
  it("frame: accepts a length exactly at a lowered limit and rejects one over it", () => {
    const cmd = encodeCommand(routeRequest);
    const length = cmd.readInt32BE(0);
    expect(new RemotingFrameDecoder({ frameLengthMax: length }).push(cmd)).toHaveLength(1);
    expect(() => new RemotingFrameDecoder({ frameLengthMax: length - 1 }).push(cmd)).toThrow(FrameTooLargeError);
    expect(() => new RemotingFrameDecoder({ frameLengthMax: REMOTING_FRAME_LENGTH_MAX + 1 })).toThrow(InvalidArgumentError);
  });
  it("frame: rejects a header longer than the frame (bad header length)", () => {
    const rest = Buffer.alloc(8);
    rest.writeUInt32BE(100, 0);
    expect(() => decodeAll(rawFrame(8, rest))).toThrow(/bad header length: 100/);
  });
  it("frame: rejects unknown serialize types", () => {
    expect(() => decodeAll(frameWith(2, Buffer.from("{}")))).toThrow(/unknown serialize type 2/);
    expect(() => decodeAll(frameWith(0xff, Buffer.from("{}")))).toThrow(ProtocolError);
  });
  it.each([
    ["not JSON", "{code:"],
    ["an array", "[1]"],
    ["a string code", '{"code":"abc"}'],
    ["a fractional opaque", '{"opaque":1.5}'],
    ["an int64 flag", '{"flag":4294967296}'],
    ["extFields as array", '{"extFields":[1]}'],
    ["language as object", '{"language":{}}'],
  ])("frame: rejects a JSON header that is %s", (_name, text) => {
    expect(() => decodeAll(frameWith(0, Buffer.from(text)))).toThrow(ProtocolError);
  });
  it("frame: rejects binary headers whose lengths overrun", () => {
    const good = encodeCommand({ ...routeRequest, remark: "r", serializeType: SerializeType.ROCKETMQ });
    const header = Buffer.from(good.subarray(8));
    const shortHeader = header.subarray(0, 10);
    expect(() => decodeAll(frameWith(1, shortHeader))).toThrow(ProtocolError);
    const remarkTooLong = Buffer.from(header);
    remarkTooLong.writeInt32BE(1000, 13);
    expect(() => decodeAll(frameWith(1, remarkTooLong))).toThrow(/remark length/);
    const extTooLong = Buffer.from(header);
    extTooLong.writeInt32BE(1000, 18);
    expect(() => decodeAll(frameWith(1, extTooLong))).toThrow(/ext length/);
    const keyTooLong = Buffer.from(header);
    keyTooLong.writeInt16BE(100, 22);
    expect(() => decodeAll(frameWith(1, keyTooLong))).toThrow(/key length/);
    const valueTooLong = Buffer.from(header);
    valueTooLong.writeInt32BE(100, 29);
    expect(() => decodeAll(frameWith(1, valueTooLong))).toThrow(/value length/);
  });
  it("frame: stays failed after an error", () => {
    const decoder = new RemotingFrameDecoder();
    expect(() => decoder.push(rawFrame(1, Buffer.alloc(1)))).toThrow(ProtocolError);
    expect(() => decoder.push(encodeCommand(routeRequest))).toThrow(/already failed/);
  });
  it("frame: encodeCommand rejects values that do not fit the binary header", () => {
    expect(() => encodeCommand({ ...routeRequest, code: 40_000, serializeType: SerializeType.ROCKETMQ })).toThrow(
      InvalidArgumentError,
    );
    expect(() => encodeCommand({ ...routeRequest, opaque: 2 ** 31 })).toThrow(InvalidArgumentError);
  });
});

describe("frame streaming", () => {
  const frames = [
    encodeCommand(routeRequest),
    encodeCommand({ ...routeRequest, opaque: 8, serializeType: SerializeType.ROCKETMQ, body: Buffer.from("xyz") }),
    encodeCommand({ ...routeRequest, opaque: 9, flag: 2 }),
  ];
  const stream = Buffer.concat(frames);

  it("frame: decodes frames split into single bytes", () => {
    const decoder = new RemotingFrameDecoder();
    const out: RemotingCommand[] = [];
    for (const byte of stream) out.push(...decoder.push(Buffer.from([byte])));
    expect(out.map((c) => c.opaque)).toEqual([7, 8, 9]);
    expect(out[1]?.body?.toString()).toBe("xyz");
    expect(decoder.bufferedByteCount).toBe(0);
  });
  it("frame: decodes many frames from one chunk and keeps a partial tail", () => {
    const decoder = new RemotingFrameDecoder();
    const cut = stream.length - 5;
    expect(decoder.push(stream.subarray(0, cut)).map((c) => c.opaque)).toEqual([7, 8]);
    expect(decoder.bufferedByteCount).toBe((frames[2] as Buffer).length - 5);
    expect(decoder.push(stream.subarray(cut)).map((c) => c.opaque)).toEqual([9]);
  });
  it("frame: a truncated frame yields nothing and holds at most one frame", () => {
    const decoder = new RemotingFrameDecoder();
    const first = frames[0] as Buffer;
    expect(decoder.push(first.subarray(0, first.length - 1))).toEqual([]);
    expect(decoder.bufferedByteCount).toBe(first.length - 1);
  });
  it("frame: body bytes do not alias the pushed chunk", () => {
    const decoder = new RemotingFrameDecoder();
    const chunk = Buffer.from(frames[1] as Buffer);
    const [cmd] = decoder.push(chunk);
    chunk.fill(0);
    expect(cmd?.body?.toString()).toBe("xyz");
  });
  it("frame: decodeCommand works on a single frame without its prefix", () => {
    expect(decodeCommand((frames[0] as Buffer).subarray(4))).toEqual(routeRequest);
    expect(() => decodeCommand(Buffer.alloc(2))).toThrow(ProtocolError);
  });
});

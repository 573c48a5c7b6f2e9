// Goal: the frame decoder never crashes, hangs or over-buffers on hostile input, and every valid
// command round-trips. Method: fast-check over thousands of random, mutated and re-chunked frames.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameTooLargeError, InvalidArgumentError, ProtocolError } from "../../errors.js";
import { SerializeType } from "./codes.js";
import { type RemotingCommand, RemotingFrameDecoder, encodeCommand } from "./frame.js";

const FUZZ_FRAME_LENGTH_MAX = 4096;

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const int16 = fc.integer({ min: -0x8000, max: 0x7fff });
const extKey = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== "__proto__");

const commandArb: fc.Arbitrary<RemotingCommand> = fc
  .record({
    serializeType: fc.constantFrom(SerializeType.JSON, SerializeType.ROCKETMQ),
    code: int16,
    language: fc.integer({ min: 0, max: 13 }),
    version: int16,
    opaque: int32,
    flag: int32,
    remark: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
    extFields: fc.dictionary(extKey, fc.string({ minLength: 1, maxLength: 20 }), { maxKeys: 5 }),
    body: fc.option(fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)), { nil: undefined }),
  })
  .map((r) => {
    const cmd: RemotingCommand = {
      code: r.code,
      language: r.language,
      version: r.version,
      opaque: r.opaque,
      flag: r.flag,
      extFields: r.extFields,
      serializeType: r.serializeType,
    };
    if (r.remark !== undefined) cmd.remark = r.remark;
    if (r.body !== undefined) cmd.body = r.body;
    return cmd;
  });

/** Splits bytes at the given cut points (sorted, deduplicated, in range). */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    out.push(bytes.subarray(start, point));
    start = point;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** Feeds chunks; returns decoded commands or the allowed error. Anything else fails the test. */
function feed(chunks: Buffer[]): { commands: RemotingCommand[]; error?: Error } {
  const decoder = new RemotingFrameDecoder({ frameLengthMax: FUZZ_FRAME_LENGTH_MAX });
  const commands: RemotingCommand[] = [];
  try {
    for (const piece of chunks) {
      commands.push(...decoder.push(piece));
      expect(decoder.bufferedByteCount).toBeLessThanOrEqual(4 + FUZZ_FRAME_LENGTH_MAX);
    }
    return { commands };
  } catch (error) {
    const allowed =
      error instanceof ProtocolError || error instanceof FrameTooLargeError || error instanceof InvalidArgumentError;
    if (!allowed) throw error;
    return { commands, error: error as Error };
  }
}

describe("frame fuzz", () => {
  it("frame: valid commands round-trip through any chunking", () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (cmds, cuts) => {
        const stream = Buffer.concat(cmds.map(encodeCommand));
        const result = feed(chunk(stream, cuts));
        expect(result.error).toBeUndefined();
        expect(result.commands).toEqual(cmds);
      }),
      { numRuns: 2000 },
    );
  });

  it("frame: random bytes fail only with codec errors", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        feed(chunk(Buffer.from(bytes), cuts));
      }),
      { numRuns: 3000 },
    );
  });

  it("frame: mutated valid frames fail only with codec errors", () => {
    const mutation = fc.record({
      index: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      truncate: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(commandArb, fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 4 }), (cmd, mutations, cuts) => {
        let bytes = Buffer.from(encodeCommand(cmd));
        for (const m of mutations) {
          bytes[m.index % bytes.length] = m.value;
          if (m.truncate !== undefined) bytes = bytes.subarray(0, m.truncate % (bytes.length + 1));
        }
        feed(chunk(bytes, cuts));
      }),
      { numRuns: 3000 },
    );
  });

  it("frame: mutated JSON header text fails only with codec errors", () => {
    fc.assert(
      fc.property(commandArb, fc.nat(), fc.constantFrom("{", "}", "[", '"', ":", ",", "\\", "0", "-", "a", " ", "\u0000"), (cmd, at, ch) => {
        const bytes = encodeCommand({ ...cmd, serializeType: SerializeType.JSON });
        const headerLength = bytes.readUInt32BE(4) & 0xffffff;
        const position = 8 + (at % headerLength);
        bytes[position] = ch.charCodeAt(0);
        feed([bytes]);
      }),
      { numRuns: 3000 },
    );
  });

  it("frame: a length prefix beyond the limit never buffers", () => {
    fc.assert(
      fc.property(fc.integer({ min: FUZZ_FRAME_LENGTH_MAX + 1, max: 0x7fff_ffff }), (length) => {
        const prefix = Buffer.alloc(4);
        prefix.writeInt32BE(length, 0);
        const result = feed([prefix, Buffer.alloc(64)]);
        expect(result.error).toBeInstanceOf(FrameTooLargeError);
      }),
      { numRuns: 500 },
    );
  });
});

// Goal: crc32 matches java.util.zip.CRC32 and bodyCrc32 applies RocketMQ's 0x7FFFFFFF mask.
// Method: the standard check vector, edge inputs, and a bitwise reference implementation.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyCrc32, crc32 } from "./crc32.js";

function referenceCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32", () => {
  it("crc32: matches the CRC-32 check value of '123456789'", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });
  it("crc32: bodyCrc32 masks the top bit as UtilAll.crc32 does", () => {
    expect(bodyCrc32(Buffer.from("123456789"))).toBe(0x4bf43926);
    expect(bodyCrc32(Buffer.alloc(0))).toBe(0);
  });
  it("crc32: table version equals the bitwise reference", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => crc32(bytes) === referenceCrc32(bytes)));
  });
});

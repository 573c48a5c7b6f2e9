// Goal: the native envelope decodes exactly what it encodes, refuses everything else with a
// ProtocolError or FrameTooLargeError, and stays byte-compatible with recorded fixtures.
// Method: round trips, hand-built bad frames, golden hex fixtures, and fast-check garbage.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { FrameTooLargeError, ProtocolError } from "../errors.js";
import { FrameKind, RequestCode } from "./codes.js";
import { decodeFrame, encodeFrame, negotiateVersion } from "./frame.js";
import { decodeHello, PEER_FEATURES } from "./messages/hello.js";

const plain = new Packr({ useRecords: false, mapsAsObjects: true });
const fixture = (name: string): Uint8Array =>
  Buffer.from(readFileSync(new URL(`../../test/fixtures/protocol/native/${name}.hex`, import.meta.url), "utf8").trim(), "hex");

describe("frame", () => {
  it("frame: round-trips a request", () => {
    const frame = { v: 1, kind: FrameKind.REQUEST, code: RequestCode.GET_ROUTE, id: 7, body: { topic: "TopicA" } };
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it("frame: a frozen body is encoded once and gives the same bytes as a plain one", () => {
    const body = { queueDatas: [{ brokerName: "b", perm: 6 }], brokerDatas: [], filterServerTable: {} };
    const frozen = Object.freeze({ ...body });
    const frame = { v: 1, kind: FrameKind.RESPONSE, code: 0, id: 300_000, body };
    const plainBytes = encodeFrame(frame);
    expect(encodeFrame({ ...frame, body: frozen })).toEqual(plainBytes);
    expect(encodeFrame({ ...frame, id: 2, body: frozen })).toEqual(encodeFrame({ ...frame, id: 2 }));
    expect(decodeFrame(encodeFrame({ ...frame, body: frozen })).body).toEqual(body);
  });

  it("frame: matches the golden HELLO and GET_ROUTE fixtures", () => {
    const hello = { v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: { versionMin: 1, versionMax: 1, role: "client" } };
    expect(Buffer.from(encodeFrame(hello)).toString("hex")).toBe(Buffer.from(fixture("hello_v1")).toString("hex"));
    expect(decodeFrame(fixture("get_route_v1"))).toEqual({ v: 1, kind: 0, code: RequestCode.GET_ROUTE, id: 2, body: { topic: "TopicA" } });
  });

  it("frame: a peer hello from before features (golden) and one with them (golden) decode to what each node takes", () => {
    const legacy = decodeFrame(fixture("hello_peer_v1"));
    expect(legacy).toMatchObject({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1 });
    expect(decodeHello(legacy.body)).toMatchObject({ role: "peer", nodeId: "n2", advertiseAddr: "ns2:9877", features: [] });
    // A node of the first build with features (heard, rootDigest); later builds append names.
    const first = { versionMin: 1, versionMax: 1, role: "peer", nodeId: "n2", advertiseAddr: "ns2:9877", features: ["heard", "rootDigest"] };
    const bytes = encodeFrame({ v: 1, kind: FrameKind.REQUEST, code: RequestCode.HELLO, id: 1, body: first });
    expect(Buffer.from(bytes).toString("hex")).toBe(Buffer.from(fixture("hello_peer_features_v1")).toString("hex"));
    expect(decodeHello(decodeFrame(bytes).body).features).toEqual(["heard", "rootDigest"]);
    expect(PEER_FEATURES).toEqual(["heard", "rootDigest", "snapshotPages"]);
  });

  it("frame: refuses a frame over the limit before decoding it", () => {
    const bytes = encodeFrame({ v: 1, kind: 0, code: 5, id: 1, body: { topic: "x".repeat(100) } });
    expect(() => decodeFrame(bytes, bytes.length - 1)).toThrow(FrameTooLargeError);
    expect(() => encodeFrame({ v: 1, kind: 0, code: 5, id: 1, body: "y".repeat(100) }, 50)).toThrow(FrameTooLargeError);
  });

  it("frame: refuses envelopes that are not {v, kind, code, id, body}", () => {
    const bad: unknown[] = [
      [1, 0, 5, 1, {}],
      "hello",
      { v: 0, kind: 0, code: 5, id: 1 },
      { v: 1, kind: 3, code: 5, id: 1 },
      { v: 1, kind: 0, code: -1, id: 1 },
      { v: 1, kind: 0, code: 5, id: 2 ** 32 },
      { v: 1, kind: 0, code: 1.5, id: 1 },
    ];
    for (const value of bad) expect(() => decodeFrame(plain.pack(value))).toThrow(ProtocolError);
    expect(() => decodeFrame(new Uint8Array([0xc1]))).toThrow(ProtocolError);
  });

  it("frame: random bytes never throw anything but a ProtocolError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeFrame(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("frame: negotiates the highest shared version or none", () => {
    expect(negotiateVersion(1, 5)).toBe(1);
    expect(negotiateVersion(2, 5)).toBeNull();
  });
});

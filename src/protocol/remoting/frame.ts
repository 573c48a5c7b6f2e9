// RocketMQ remoting frames (ROCKETMQ.md §1): RemotingCommand, its JSON and ROCKETMQ binary
// headers, encodeCommand and the streaming RemotingFrameDecoder. Pure: no sockets, no timers.
//
// Wire grammar (all ints big-endian):
//   frame      = length:int32 typeAndLen:int32 header:bytes(headerLen) body:bytes(length-4-headerLen)
//   typeAndLen = serializeType:uint8 << 24 | headerLen:uint24      serializeType 0 = JSON, 1 = ROCKETMQ
//   JSON hdr   = {"code":int,"extFields":{str:str},"flag":int,"language":"JAVA","opaque":int,
//                 "remark":str,"serializeTypeCurrentRPC":"JSON","version":int}   (remark/extFields optional)
//   binary hdr = code:int16 language:int8 version:int16 opaque:int32 flag:int32
//                remarkLen:int32 remark:utf8 extLen:int32 { keyLen:int16 key:utf8 valLen:int32 val:utf8 }*
import { InvalidArgumentError, FrameTooLargeError, ProtocolError } from "../../errors.js";
import { LanguageCode, RemotingFlag, SerializeType, languageFromName, languageName } from "./codes.js";
import { type JsonObject, parseLenientJson, writeJson } from "./json.js";
import {
  REMOTING_FRAME_LENGTH_MAX,
  REMOTING_HEADER_BYTES_MAX,
  REMOTING_LENGTH_PREFIX_BYTES,
} from "./remoting_limits.js";

/** One decoded remoting command, request or response. */
export interface RemotingCommand {
  /** Request code (requests) or response code (responses). */
  code: number;
  /** LanguageCode byte of the sender (0 = JAVA). */
  language: number;
  /** MQVersion ordinal of the sender. */
  version: number;
  /** Request id, echoed in the response. int32. */
  opaque: number;
  /** Bit 0 = response, bit 1 = oneway. int32. */
  flag: number;
  /** Free text, normally an error message. Absent when Java would send null. */
  remark?: string;
  /** Custom header fields. Empty when the sender sent none (Java: null). */
  extFields: Record<string, string>;
  /** Body bytes. Absent when the body is empty (Java: null). */
  body?: Buffer;
  /** Header serialization this command arrived in, or is to be sent in. */
  serializeType: SerializeType;
}

/** True when the flag marks a response (bit 0). */
export function isResponse(cmd: Pick<RemotingCommand, "flag">): boolean {
  return (cmd.flag & RemotingFlag.RESPONSE) !== 0;
}

/** True when the flag marks a oneway request (bit 1): the server must not answer. */
export function isOneway(cmd: Pick<RemotingCommand, "flag">): boolean {
  return (cmd.flag & RemotingFlag.ONEWAY) !== 0;
}

// ---- Encoding -------------------------------------------------------------------------------

/**
 * Encodes one command as a complete frame, length prefix included.
 * JSON headers are written as fastjson writes them (alphabetical properties, language by name,
 * remark left out when absent, extFields left out when empty).
 * @throws InvalidArgumentError when a field does not fit its wire type or the frame is too long.
 */
export function encodeCommand(cmd: RemotingCommand): Buffer {
  const header = cmd.serializeType === SerializeType.ROCKETMQ ? encodeBinaryHeader(cmd) : encodeJsonHeader(cmd);
  if (header.length > REMOTING_HEADER_BYTES_MAX) {
    throw InvalidArgumentError.format("header", `must be at most ${REMOTING_HEADER_BYTES_MAX} bytes`, header.length);
  }
  const bodyBytes = cmd.body?.length ?? 0;
  const length = 4 + header.length + bodyBytes;
  if (length > REMOTING_FRAME_LENGTH_MAX) {
    throw InvalidArgumentError.format("frame length", `must be at most ${REMOTING_FRAME_LENGTH_MAX}`, length);
  }
  const out = Buffer.allocUnsafe(REMOTING_LENGTH_PREFIX_BYTES + length);
  out.writeInt32BE(length, 0);
  out.writeUInt32BE(((cmd.serializeType << 24) | header.length) >>> 0, 4);
  header.copy(out, 8);
  if (cmd.body !== undefined) cmd.body.copy(out, 8 + header.length);
  return out;
}

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw InvalidArgumentError.format(field, `must be an integer in ${min}..${max}`, value);
  }
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

function encodeJsonHeader(cmd: RemotingCommand): Buffer {
  checkInt("code", cmd.code, INT32_MIN, INT32_MAX);
  checkInt("version", cmd.version, INT32_MIN, INT32_MAX);
  checkInt("opaque", cmd.opaque, INT32_MIN, INT32_MAX);
  checkInt("flag", cmd.flag, INT32_MIN, INT32_MAX);
  checkInt("language", cmd.language, 0, 0xff);
  const hasExt = Object.keys(cmd.extFields).length > 0;
  const text = writeJson({
    code: cmd.code,
    extFields: hasExt ? cmd.extFields : undefined,
    flag: cmd.flag,
    language: languageName(cmd.language) ?? cmd.language,
    opaque: cmd.opaque,
    remark: cmd.remark,
    serializeTypeCurrentRPC: "JSON",
    version: cmd.version,
  });
  return Buffer.from(text, "utf8");
}

function encodeBinaryHeader(cmd: RemotingCommand): Buffer {
  checkInt("code", cmd.code, -0x8000, 0x7fff);
  checkInt("language", cmd.language, 0, 0xff);
  checkInt("version", cmd.version, -0x8000, 0x7fff);
  checkInt("opaque", cmd.opaque, INT32_MIN, INT32_MAX);
  checkInt("flag", cmd.flag, INT32_MIN, INT32_MAX);
  const remark = Buffer.from(cmd.remark ?? "", "utf8");
  const entries: Buffer[] = [];
  for (const [key, value] of Object.entries(cmd.extFields)) {
    const keyBytes = Buffer.from(key, "utf8");
    const valueBytes = Buffer.from(value, "utf8");
    checkInt("ext key bytes", keyBytes.length, 0, 0x7fff);
    const entry = Buffer.allocUnsafe(2 + keyBytes.length + 4 + valueBytes.length);
    entry.writeInt16BE(keyBytes.length, 0);
    keyBytes.copy(entry, 2);
    entry.writeInt32BE(valueBytes.length, 2 + keyBytes.length);
    valueBytes.copy(entry, 6 + keyBytes.length);
    entries.push(entry);
  }
  const ext = Buffer.concat(entries);
  const out = Buffer.allocUnsafe(2 + 1 + 2 + 4 + 4 + 4 + remark.length + 4 + ext.length);
  let pos = out.writeInt16BE(cmd.code, 0);
  pos = out.writeUInt8(cmd.language, pos);
  pos = out.writeInt16BE(cmd.version, pos);
  pos = out.writeInt32BE(cmd.opaque, pos);
  pos = out.writeInt32BE(cmd.flag, pos);
  pos = out.writeInt32BE(remark.length, pos);
  pos += remark.copy(out, pos);
  pos = out.writeInt32BE(ext.length, pos);
  ext.copy(out, pos);
  return out;
}

// ---- Decoding -------------------------------------------------------------------------------

/**
 * Decodes one frame without its 4-byte length prefix (what Netty hands RemotingCommand.decode).
 * @throws ProtocolError on a bad header length, unknown serialize type or malformed header.
 */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new ProtocolError(`frame of ${frame.length} bytes is shorter than 4`);
  const typeAndLength = frame.readUInt32BE(0);
  const headerLength = typeAndLength & 0xff_ffff;
  const serializeType = (typeAndLength >>> 24) & 0xff;
  if (headerLength > frame.length - 4) {
    throw new ProtocolError(`decode error, bad header length: ${headerLength} (frame has ${frame.length - 4})`);
  }
  const header = frame.subarray(4, 4 + headerLength);
  let fields: HeaderFields;
  if (serializeType === SerializeType.JSON) fields = decodeJsonHeader(header);
  else if (serializeType === SerializeType.ROCKETMQ) fields = decodeBinaryHeader(header);
  else throw new ProtocolError(`unknown serialize type ${serializeType}`);
  const cmd: RemotingCommand = { ...fields, serializeType };
  if (frame.length > 4 + headerLength) cmd.body = Buffer.from(frame.subarray(4 + headerLength));
  return cmd;
}

type HeaderFields = Omit<RemotingCommand, "serializeType" | "body">;

function jsonInt(header: JsonObject, field: string): number {
  const value = header[field];
  if (value === undefined || value === null) return 0;
  const number = typeof value === "string" && /^[+-]?\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < INT32_MIN || number > INT32_MAX) {
    throw new ProtocolError(`json header '${field}' must be an int32, got ${JSON.stringify(String(value)).slice(0, 64)}`);
  }
  return number;
}

function jsonLanguage(header: JsonObject): number {
  const value = header["language"];
  if (value === undefined || value === null) return LanguageCode.JAVA;
  if (typeof value === "string") {
    // Unknown names (a newer client's enum) are kept as OTHER rather than closing the connection.
    return languageFromName(value) ?? LanguageCode.OTHER;
  }
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xff) return value;
  throw new ProtocolError(`json header 'language' must be a LanguageCode name or byte, got ${String(value).slice(0, 64)}`);
}

/** Java reads ext values as strings; non-string JSON values are converted as fastjson would. */
function extValueText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return writeJson(value as never);
}

function decodeJsonHeader(header: Buffer): HeaderFields {
  let parsed;
  try {
    parsed = parseLenientJson(header.toString("utf8"), "json header");
  } catch (error) {
    throw new ProtocolError(`malformed json header: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ProtocolError("json header must be an object");
  }
  const extFields: Record<string, string> = {};
  const ext = parsed["extFields"];
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== "object" || Array.isArray(ext)) throw new ProtocolError("json header 'extFields' must be an object");
    for (const [key, value] of Object.entries(ext)) {
      const text = extValueText(value);
      if (text !== undefined) Object.defineProperty(extFields, key, { value: text, enumerable: true, writable: true, configurable: true });
    }
  }
  const remark = parsed["remark"];
  const fields: HeaderFields = {
    code: jsonInt(parsed, "code"),
    language: jsonLanguage(parsed),
    version: jsonInt(parsed, "version"),
    opaque: jsonInt(parsed, "opaque"),
    flag: jsonInt(parsed, "flag"),
    extFields,
  };
  if (remark !== undefined && remark !== null) fields.remark = typeof remark === "string" ? remark : String(remark);
  return fields;
}

const BINARY_FIXED_BYTES = 2 + 1 + 2 + 4 + 4 + 4;

function decodeBinaryHeader(header: Buffer): HeaderFields {
  if (header.length < BINARY_FIXED_BYTES + 4) {
    throw new ProtocolError(`binary header of ${header.length} bytes is shorter than ${BINARY_FIXED_BYTES + 4}`);
  }
  const code = header.readInt16BE(0);
  const language = header.readUInt8(2);
  const version = header.readInt16BE(3);
  const opaque = header.readInt32BE(5);
  const flag = header.readInt32BE(9);
  const remarkLength = header.readInt32BE(13);
  let pos = 17;
  if (remarkLength < 0 || remarkLength > header.length - pos - 4) {
    throw new ProtocolError(`binary header remark length ${remarkLength} exceeds the header`);
  }
  const remark = remarkLength > 0 ? header.toString("utf8", pos, pos + remarkLength) : undefined;
  pos += remarkLength;
  const extLength = header.readInt32BE(pos);
  pos += 4;
  if (extLength < 0 || extLength !== header.length - pos) {
    throw new ProtocolError(`binary header ext length ${extLength} does not match the ${header.length - pos} bytes left`);
  }
  const fields: HeaderFields = { code, language, version, opaque, flag, extFields: decodeBinaryExt(header, pos) };
  if (remark !== undefined) fields.remark = remark;
  return fields;
}

/** Reads ext entries to the end of the header. Java decodes a 0-length string as null, so an
 *  entry with an empty key or value is dropped here (the header field then counts as missing). */
function decodeBinaryExt(header: Buffer, start: number): Record<string, string> {
  const ext: Record<string, string> = {};
  let pos = start;
  while (pos < header.length) {
    if (pos + 2 > header.length) throw new ProtocolError("binary header ext entry truncated in the key length");
    const keyLength = header.readInt16BE(pos);
    pos += 2;
    if (keyLength < 0 || pos + keyLength + 4 > header.length) {
      throw new ProtocolError(`binary header ext key length ${keyLength} exceeds the header`);
    }
    const key = header.toString("utf8", pos, pos + keyLength);
    pos += keyLength;
    const valueLength = header.readInt32BE(pos);
    pos += 4;
    if (valueLength < 0 || valueLength > header.length - pos) {
      throw new ProtocolError(`binary header ext value length ${valueLength} exceeds the header`);
    }
    const value = header.toString("utf8", pos, pos + valueLength);
    pos += valueLength;
    if (keyLength > 0 && valueLength > 0) {
      Object.defineProperty(ext, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return ext;
}

// ---- Streaming decoder ------------------------------------------------------------------------

/** Options of RemotingFrameDecoder. */
export interface RemotingFrameDecoderOptions {
  /**
   * Largest `length` prefix accepted; may only lower the hard maximum.
   * @default REMOTING_FRAME_LENGTH_MAX (16777212, as Java's 16 MiB frame limit)
   */
  frameLengthMax?: number;
}

/**
 * Splits a TCP byte stream into RemotingCommands. Feed every chunk to push(); it returns the
 * commands completed by that chunk. Any error is final: the decoder stays failed and the caller
 * closes the connection, as the Java server does. It buffers at most one incomplete frame, whose
 * length was already checked against the limit.
 */
export class RemotingFrameDecoder {
  private readonly frameLengthMax: number;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private frameLength: number | undefined;
  private failure: Error | undefined;

  constructor(options: RemotingFrameDecoderOptions = {}) {
    const max = options.frameLengthMax ?? REMOTING_FRAME_LENGTH_MAX;
    checkInt("frameLengthMax", max, 4, REMOTING_FRAME_LENGTH_MAX);
    this.frameLengthMax = max;
  }

  /** Bytes held for a frame not yet complete; never more than 4 + frameLengthMax. */
  get bufferedByteCount(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds bytes and returns every command they complete, in order.
   * @throws FrameTooLargeError when a length prefix exceeds frameLengthMax
   * @throws ProtocolError on a bad length, bad header, or after an earlier failure
   */
  push(chunk: Buffer): RemotingCommand[] {
    if (this.failure !== undefined) {
      throw new ProtocolError("frame decoder already failed", { cause: this.failure });
    }
    try {
      return this.drain(chunk);
    } catch (error) {
      this.failure = error as Error;
      this.chunks = [];
      this.bufferedBytes = 0;
      throw error;
    }
  }

  private drain(chunk: Buffer): RemotingCommand[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const commands: RemotingCommand[] = [];
    for (;;) {
      if (this.frameLength === undefined) {
        if (this.bufferedBytes < REMOTING_LENGTH_PREFIX_BYTES) break;
        this.frameLength = this.readLength();
      }
      const total = REMOTING_LENGTH_PREFIX_BYTES + this.frameLength;
      if (this.bufferedBytes < total) break;
      const frame = this.take(total);
      this.frameLength = undefined;
      commands.push(decodeCommand(frame.subarray(REMOTING_LENGTH_PREFIX_BYTES)));
    }
    return commands;
  }

  private readLength(): number {
    const prefix = this.peek(REMOTING_LENGTH_PREFIX_BYTES);
    const length = prefix.readInt32BE(0);
    if (length < 4) throw new ProtocolError(`bad frame length ${length}: must be at least 4`);
    if (length > this.frameLengthMax) {
      throw new FrameTooLargeError(length + REMOTING_LENGTH_PREFIX_BYTES, this.frameLengthMax + REMOTING_LENGTH_PREFIX_BYTES);
    }
    return length;
  }

  /** The first `bytes` buffered bytes; joins only the leading chunks needed to cover them. */
  private peek(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= bytes) return first.subarray(0, bytes);
    let count = 0;
    let covered = 0;
    while (covered < bytes) {
      covered += (this.chunks[count] as Buffer).length;
      count += 1;
    }
    this.chunks = [Buffer.concat(this.chunks.slice(0, count)), ...this.chunks.slice(count)];
    return (this.chunks[0] as Buffer).subarray(0, bytes);
  }

  private take(bytes: number): Buffer {
    const joined = this.peek(bytes);
    const first = this.chunks[0] as Buffer;
    const rest = first.subarray(bytes);
    this.chunks = rest.length > 0 ? [rest, ...this.chunks.slice(1)] : this.chunks.slice(1);
    this.bufferedBytes -= bytes;
    return joined;
  }
}

// REGISTER_BROKER bodies (ROCKETMQ.md §3.6, §3.7): TopicConfig (JSON and its custom text
// form), RegisterBrokerBody as JSON or zlib-compressed, and the bare pre-3.0.11 wrapper.
//
// Compressed grammar (zlib stream, Deflater BEST_COMPRESSION; ints big-endian), once inflated:
//   int32 len, DataVersion JSON
//   int32 topicCount, topicCount x (int32 len, "name read write perm filterType [attributesJSON]")
//   int32 len, filterServerList JSON array
//   only when brokerVersion >= 413: int32 mappingCount, mappingCount x (int32 len, TopicQueueMappingInfo JSON)
// eslint-disable-next-line no-restricted-imports -- zlib is pure computation, allowed in this codec
import { deflateSync, inflateSync, constants as zlibConstants } from "node:zlib";
import { InvalidArgumentError } from "../../errors.js";
import {
  type DataVersion,
  type TopicQueueMappingInfo,
  ZERO_DATA_VERSION,
  dataVersionFromJson,
  dataVersionToJson,
  mappingInfoFromJson,
  mappingInfoToJson,
  parseBody,
} from "./bodies.js";
import { MQVersion } from "./codes.js";
import { type JsonOut, type JsonValue, StringKeyMap, parseLenientJson, writeJson } from "./json.js";
import { REGISTER_BODY_INFLATED_BYTES_MAX } from "./remoting_limits.js";
import { asBool, asInt, asObject, asString, asStringArray, asStringMap, optString } from "./validate.js";

// ---- TopicConfig ------------------------------------------------------------------------------

/** How a topic filters by tag. */
export type TopicFilterType = "SINGLE_TAG" | "MULTI_TAG";

/** A broker's topic configuration (§3.6). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  attributes: ReadonlyMap<string, string>;
}

/** Java's TopicConfig defaults: 16 read and write queues, perm RW (6), SINGLE_TAG. */
export const TOPIC_CONFIG_DEFAULTS = Object.freeze({
  readQueueNums: 16,
  writeQueueNums: 16,
  perm: 6,
  topicFilterType: "SINGLE_TAG" as TopicFilterType,
  topicSysFlag: 0,
  order: false,
});

function filterType(value: JsonValue | undefined, path: string): TopicFilterType {
  if (value === undefined || value === null) return TOPIC_CONFIG_DEFAULTS.topicFilterType;
  if (value === "SINGLE_TAG" || value === "MULTI_TAG") return value;
  throw InvalidArgumentError.format(path, "must be SINGLE_TAG or MULTI_TAG", value);
}

/** Reads a TopicConfig from JSON; absent fields take Java's defaults, topicName falls back to `key`. */
export function topicConfigFromJson(value: JsonValue | undefined, path: string, key?: string): TopicConfig {
  const o = asObject(value, path);
  const name = optString(o["topicName"], `${path}.topicName`) ?? key;
  if (name === undefined) throw InvalidArgumentError.format(`${path}.topicName`, "must be a string", undefined);
  return {
    topicName: name,
    readQueueNums: asInt(o["readQueueNums"], `${path}.readQueueNums`, TOPIC_CONFIG_DEFAULTS.readQueueNums),
    writeQueueNums: asInt(o["writeQueueNums"], `${path}.writeQueueNums`, TOPIC_CONFIG_DEFAULTS.writeQueueNums),
    perm: asInt(o["perm"], `${path}.perm`, TOPIC_CONFIG_DEFAULTS.perm),
    topicFilterType: filterType(o["topicFilterType"], `${path}.topicFilterType`),
    topicSysFlag: asInt(o["topicSysFlag"], `${path}.topicSysFlag`),
    order: asBool(o["order"], `${path}.order`),
    attributes: o["attributes"] == null ? new Map() : asStringMap(o["attributes"], `${path}.attributes`),
  };
}

/** The JSON writer form of a TopicConfig (fastjson property order). */
export function topicConfigToJson(t: TopicConfig): JsonOut {
  return {
    attributes: new StringKeyMap(t.attributes),
    order: t.order,
    perm: t.perm,
    readQueueNums: t.readQueueNums,
    topicFilterType: t.topicFilterType,
    topicName: t.topicName,
    topicSysFlag: t.topicSysFlag,
    writeQueueNums: t.writeQueueNums,
  };
}

/** `Integer.parseInt` semantics: optional sign, decimal digits, int32 range. */
function javaParseInt(text: string, path: string): number {
  const value = /^[+-]?\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
    throw InvalidArgumentError.format(path, "must be an int32", text);
  }
  return value;
}

/**
 * TopicConfig.encode(): `name SP read SP write SP perm SP filterType SP [attributes JSON]`.
 * topicSysFlag and order are not carried.
 */
export function encodeTopicConfigText(t: TopicConfig): string {
  const attributes = writeJson(new StringKeyMap(t.attributes));
  return `${t.topicName} ${t.readQueueNums} ${t.writeQueueNums} ${t.perm} ${t.topicFilterType} ${attributes}`;
}

/**
 * TopicConfig.decode(): split on single spaces (trailing empty parts dropped, as Java's split),
 * at least 5 parts; a 6th part is an attributes JSON map whose parse errors are ignored.
 */
export function decodeTopicConfigText(text: string, path = "TopicConfig"): TopicConfig {
  const parts = text.split(" ");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length < 5) throw InvalidArgumentError.format(path, "must have at least 5 space-separated parts", text);
  const [name, read, write, perm, type, attributesText] = parts as [string, string, string, string, string, string?];
  let attributes: Map<string, string> = new Map();
  if (attributesText !== undefined) {
    try {
      attributes = asStringMap(parseLenientJson(attributesText, `${path}.attributes`), `${path}.attributes`);
    } catch (error) {
      // Java ignores a bad attributes part; so do we, keeping the topic with no attributes.
      if (!(error instanceof InvalidArgumentError)) throw error;
    }
  }
  return {
    topicName: name,
    readQueueNums: javaParseInt(read, `${path}.readQueueNums`),
    writeQueueNums: javaParseInt(write, `${path}.writeQueueNums`),
    perm: javaParseInt(perm, `${path}.perm`),
    topicFilterType: filterType(type, `${path}.topicFilterType`),
    topicSysFlag: 0,
    order: false,
    attributes,
  };
}

// ---- RegisterBrokerBody -----------------------------------------------------------------------

/** TopicConfigAndMappingSerializeWrapper (the plain TopicConfigSerializeWrapper has no mapping fields). */
export interface TopicConfigWrapper {
  topicConfigTable: ReadonlyMap<string, TopicConfig>;
  dataVersion: DataVersion;
  mappingDataVersion?: DataVersion;
  /** topic -> this broker's mapping, static topics only. */
  topicQueueMappingInfoMap: ReadonlyMap<string, TopicQueueMappingInfo>;
  /** Carried through unparsed: the name server never reads it. */
  topicQueueMappingDetailMap?: JsonValue;
}

/** Body of REGISTER_BROKER. `filterServerList` absent means "leave unchanged" (old brokers). */
export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigWrapper;
  filterServerList?: string[];
}

function emptyWrapper(): TopicConfigWrapper {
  return { topicConfigTable: new Map(), dataVersion: { ...ZERO_DATA_VERSION }, topicQueueMappingInfoMap: new Map() };
}

function wrapperFromJson(value: JsonValue | undefined, path: string): TopicConfigWrapper {
  const o = asObject(value, path);
  const topics = new Map<string, TopicConfig>();
  if (o["topicConfigTable"] != null) {
    for (const [key, item] of Object.entries(asObject(o["topicConfigTable"], `${path}.topicConfigTable`))) {
      if (item !== null) topics.set(key, topicConfigFromJson(item, `${path}.topicConfigTable.${key}`, key));
    }
  }
  const mappings = new Map<string, TopicQueueMappingInfo>();
  if (o["topicQueueMappingInfoMap"] != null) {
    for (const [key, item] of Object.entries(asObject(o["topicQueueMappingInfoMap"], `${path}.topicQueueMappingInfoMap`))) {
      if (item !== null) mappings.set(key, mappingInfoFromJson(item, `${path}.topicQueueMappingInfoMap.${key}`));
    }
  }
  const wrapper: TopicConfigWrapper = {
    topicConfigTable: topics,
    // A missing dataVersion is a fresh Java DataVersion (timestamp = now); pure code uses zeros.
    dataVersion: o["dataVersion"] == null ? { ...ZERO_DATA_VERSION } : dataVersionFromJson(o["dataVersion"], `${path}.dataVersion`),
    topicQueueMappingInfoMap: mappings,
  };
  if (o["mappingDataVersion"] != null) {
    wrapper.mappingDataVersion = dataVersionFromJson(o["mappingDataVersion"], `${path}.mappingDataVersion`);
  }
  if (o["topicQueueMappingDetailMap"] != null) wrapper.topicQueueMappingDetailMap = o["topicQueueMappingDetailMap"];
  return wrapper;
}

function wrapperToJson(w: TopicConfigWrapper, withMapping: boolean): JsonOut {
  const base: Record<string, JsonOut> = {
    dataVersion: dataVersionToJson(w.dataVersion),
  };
  if (withMapping) {
    base["mappingDataVersion"] = w.mappingDataVersion === undefined ? undefined : dataVersionToJson(w.mappingDataVersion);
  }
  base["topicConfigTable"] = new StringKeyMap([...w.topicConfigTable].map(([k, t]) => [k, topicConfigToJson(t)] as const));
  if (withMapping) {
    base["topicQueueMappingDetailMap"] = (w.topicQueueMappingDetailMap ?? {}) as JsonOut;
    base["topicQueueMappingInfoMap"] = new StringKeyMap(
      [...w.topicQueueMappingInfoMap].map(([k, m]) => [k, mappingInfoToJson(m)] as const),
    );
  }
  return base;
}

/**
 * Decodes a REGISTER_BROKER body as the Java name server does (§2.3 step 2):
 * empty -> empty table with a zero DataVersion; `version` < 37 -> bare TopicConfigSerializeWrapper
 * JSON (filterServerList absent); otherwise RegisterBrokerBody, compressed when `compressed`.
 * @throws InvalidArgumentError naming the field on any malformed part.
 */
export function decodeRegisterBrokerBody(body: Buffer | undefined, compressed: boolean, version: number): RegisterBrokerBody {
  if (body === undefined || body.length === 0) return { topicConfigSerializeWrapper: emptyWrapper() };
  if (version < MQVersion.V3_0_11) {
    return { topicConfigSerializeWrapper: wrapperFromJson(parseBody(body, "TopicConfigSerializeWrapper"), "TopicConfigSerializeWrapper") };
  }
  if (compressed) return decodeCompressedRegisterBrokerBody(body, version);
  const o = asObject(parseBody(body, "RegisterBrokerBody"), "RegisterBrokerBody");
  const wrapperJson = o["topicConfigSerializeWrapper"];
  return {
    topicConfigSerializeWrapper:
      wrapperJson == null ? emptyWrapper() : wrapperFromJson(wrapperJson, "RegisterBrokerBody.topicConfigSerializeWrapper"),
    filterServerList:
      o["filterServerList"] == null ? [] : asStringArray(o["filterServerList"], "RegisterBrokerBody.filterServerList"),
  };
}

/** Encodes a RegisterBrokerBody as uncompressed JSON (what 5.x brokers send). */
export function encodeRegisterBrokerBody(body: RegisterBrokerBody): Buffer {
  const text = writeJson({
    filterServerList: body.filterServerList ?? [],
    topicConfigSerializeWrapper: wrapperToJson(body.topicConfigSerializeWrapper, true),
  });
  return Buffer.from(text, "utf8");
}

/** Encodes the bare TopicConfigSerializeWrapper JSON that brokers older than 3.0.11 send. */
export function encodeTopicConfigSerializeWrapper(wrapper: TopicConfigWrapper): Buffer {
  return Buffer.from(writeJson(wrapperToJson(wrapper, false)), "utf8");
}

/** Reads the inflated stream of §3.7 with bounds checks on every length. */
class ByteReader {
  private pos = 0;
  constructor(private readonly bytes: Buffer) {}

  int(what: string): number {
    if (this.pos + 4 > this.bytes.length) {
      throw InvalidArgumentError.format("RegisterBrokerBody", `must hold an int32 ${what} at byte ${this.pos}`, this.bytes.length);
    }
    const value = this.bytes.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  text(what: string): string {
    const length = this.int(`${what} length`);
    if (length < 0 || length > this.bytes.length - this.pos) {
      throw InvalidArgumentError.format("RegisterBrokerBody", `${what} length must fit the ${this.bytes.length - this.pos} bytes left`, length);
    }
    const value = this.bytes.toString("utf8", this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  count(what: string, minBytesEach: number): number {
    const count = this.int(what);
    if (count < 0 || count * minBytesEach > this.bytes.length - this.pos) {
      throw InvalidArgumentError.format("RegisterBrokerBody", `${what} must fit the bytes left`, count);
    }
    return count;
  }
}

function inflateBody(body: Buffer): Buffer {
  try {
    return inflateSync(body, { maxOutputLength: REGISTER_BODY_INFLATED_BYTES_MAX });
  } catch (error) {
    throw new InvalidArgumentError(
      `'RegisterBrokerBody' must be a zlib stream inflating to at most ${REGISTER_BODY_INFLATED_BYTES_MAX} bytes, got ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Decodes the compressed form of §3.7; the mapping part is read only when `version` >= 413. */
export function decodeCompressedRegisterBrokerBody(body: Buffer, version: number): RegisterBrokerBody {
  const reader = new ByteReader(inflateBody(body));
  const wrapper = emptyWrapper();
  wrapper.dataVersion = dataVersionFromJson(parseLenientJson(reader.text("dataVersion"), "dataVersion"));
  const topics = new Map<string, TopicConfig>();
  const topicCount = reader.count("topicCount", 4);
  for (let i = 0; i < topicCount; i += 1) {
    const topic = decodeTopicConfigText(reader.text("topicConfig"), `topicConfig[${i}]`);
    topics.set(topic.topicName, topic);
  }
  wrapper.topicConfigTable = topics;
  const filterText = reader.text("filterServerList");
  let filterServerList: string[] = [];
  try {
    filterServerList = asStringArray(parseLenientJson(filterText, "filterServerList"), "filterServerList");
  } catch (error) {
    // Java logs a bad filterServerList JSON and carries on with an empty list.
    if (!(error instanceof InvalidArgumentError)) throw error;
  }
  if (version >= MQVersion.V5_0_0) {
    const mappings = new Map<string, TopicQueueMappingInfo>();
    const mappingCount = reader.count("mappingCount", 4);
    for (let i = 0; i < mappingCount; i += 1) {
      const info = mappingInfoFromJson(parseLenientJson(reader.text("mapping"), `mapping[${i}]`), `mapping[${i}]`);
      mappings.set(asString(info.topic, `mapping[${i}].topic`), info);
    }
    wrapper.topicQueueMappingInfoMap = mappings;
  }
  return { topicConfigSerializeWrapper: wrapper, filterServerList };
}

function lengthPrefixed(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const out = Buffer.allocUnsafe(4 + bytes.length);
  out.writeInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

function int32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(value, 0);
  return out;
}

/**
 * Builds the uncompressed byte layout of §3.7 (before zlib). Exposed for tests and for
 * encodeCompressedRegisterBrokerBody; the mapping part is written when `version` >= 413.
 */
export function compressedLayout(body: RegisterBrokerBody, version: number): Buffer {
  const wrapper = body.topicConfigSerializeWrapper;
  const parts: Buffer[] = [lengthPrefixed(writeJson(dataVersionToJson(wrapper.dataVersion))), int32(wrapper.topicConfigTable.size)];
  for (const topic of wrapper.topicConfigTable.values()) parts.push(lengthPrefixed(encodeTopicConfigText(topic)));
  parts.push(lengthPrefixed(writeJson(body.filterServerList ?? [])));
  if (version >= MQVersion.V5_0_0) {
    parts.push(int32(wrapper.topicQueueMappingInfoMap.size));
    for (const info of wrapper.topicQueueMappingInfoMap.values()) parts.push(lengthPrefixed(writeJson(mappingInfoToJson(info))));
  }
  return Buffer.concat(parts);
}

/** Encodes the compressed form of §3.7 (zlib wrapper, best compression, as Java's Deflater(9)). */
export function encodeCompressedRegisterBrokerBody(body: RegisterBrokerBody, version: number): Buffer {
  return deflateSync(compressedLayout(body, version), { level: zlibConstants.Z_BEST_COMPRESSION });
}

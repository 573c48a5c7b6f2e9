// Building responses to RocketMQ requests: ResponseSpec (what a handler decides) and
// buildResponse (the RemotingCommand sent back). Generic Java remarks live here too (§1.7, §1.8).
import { LanguageCode, MQVersion, RemotingFlag, ResponseCode, SerializeType } from "./codes.js";
import type { RemotingCommand } from "./frame.js";
import { REMARK_CHARS_MAX } from "./remoting_limits.js";

/** What a handler answers: a response code and optional remark, ext fields and body. */
export interface ResponseSpec {
  code: number;
  remark?: string;
  extFields?: Record<string, string>;
  body?: Buffer;
}

/** Options of buildResponse. */
export interface BuildResponseOptions {
  /**
   * Header serialization of the response. A default Java name server always answers JSON,
   * whatever the request used; mirroring the request is also valid (ROCKETMQ.md §1.5).
   * @default SerializeType.JSON
   */
  serializeType?: SerializeType;
  /**
   * `version` written into the response.
   * @default MQVersion.CURRENT (479, Java 5.3.3)
   */
  version?: number;
}

/**
 * Wraps a ResponseSpec into the response command for `request`: same opaque, response flag set,
 * language JAVA. Do not send it when isOneway(request): Java never answers oneway requests.
 */
export function buildResponse(
  request: Pick<RemotingCommand, "opaque">,
  spec: ResponseSpec,
  options: BuildResponseOptions = {},
): RemotingCommand {
  const response: RemotingCommand = {
    code: spec.code,
    language: LanguageCode.JAVA,
    version: options.version ?? MQVersion.CURRENT,
    opaque: request.opaque,
    flag: RemotingFlag.RESPONSE,
    extFields: { ...(spec.extFields ?? {}) },
    serializeType: options.serializeType ?? SerializeType.JSON,
  };
  if (spec.remark !== undefined) response.remark = spec.remark;
  if (spec.body !== undefined && spec.body.length > 0) response.body = spec.body;
  return response;
}

/** SUCCESS with optional ext fields and body. */
export function successSpec(extFields?: Record<string, string>, body?: Buffer): ResponseSpec {
  const spec: ResponseSpec = { code: ResponseCode.SUCCESS };
  if (extFields !== undefined) spec.extFields = extFields;
  if (body !== undefined) spec.body = body;
  return spec;
}

/** SYSTEM_ERROR with a remark (remark absent when Java sends null). */
export function systemErrorSpec(remark?: string): ResponseSpec {
  return remark === undefined ? { code: ResponseCode.SYSTEM_ERROR } : { code: ResponseCode.SYSTEM_ERROR, remark };
}

/** REQUEST_CODE_NOT_SUPPORTED, remark `" request type <code> not supported"` (leading space is Java's). */
export function requestCodeNotSupportedSpec(code: number): ResponseSpec {
  return { code: ResponseCode.REQUEST_CODE_NOT_SUPPORTED, remark: ` request type ${code} not supported` };
}

/** SYSTEM_BUSY as the Java server sends it when its pool queue is full. */
export function systemBusySpec(): ResponseSpec {
  return { code: ResponseCode.SYSTEM_BUSY, remark: "[OVERLOAD]system busy, start flow control for a while" };
}

/** GO_AWAY, sent during graceful shutdown to requests whose version is above V5_3_1. */
export function goAwaySpec(): ResponseSpec {
  return { code: ResponseCode.GO_AWAY, remark: "please go away" };
}

/** Cuts an exception text to REMARK_CHARS_MAX characters for a remark. */
export function clipRemark(text: string): string {
  return text.length > REMARK_CHARS_MAX ? `${text.slice(0, REMARK_CHARS_MAX - 3)}...` : text;
}

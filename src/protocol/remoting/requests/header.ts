// Reading typed request headers from extFields the way RemotingCommand.decodeCommandCustomHeader
// does (ROCKETMQ.md §1.7), and the results every request decoder returns.
import { InvalidArgumentError } from "../../../errors.js";
import type { RemotingCommand } from "../frame.js";
import { type ResponseSpec, clipRemark, systemErrorSpec } from "../response.js";

/** Outcome of decoding a request: the typed request, or the response Java would send instead. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; response: ResponseSpec };

/** Java's class names in the remark of a missing required field (§1.7). */
const REMOTING_COMMAND_EXCEPTION = "org.apache.rocketmq.remoting.exception.RemotingCommandException";
/**
 * First stack frame Java appends (UtilAll.exceptionSimpleDesc). The line number of the throw in
 * 5.3.x is not given by ROCKETMQ.md, so it is left out, which is how Java prints a frame without
 * line information. UNVERIFIED against a live 5.3.x server.
 */
const DECODE_FRAME = "org.apache.rocketmq.remoting.protocol.RemotingCommand.decodeCommandCustomHeaderDirectly(RemotingCommand.java)";

/**
 * Remark of SYSTEM_ERROR for a missing @CFNotNull field: the exception's toString(), ", ", first
 * stack frame. The message text is `the custom field <name> is null` (angle brackets literal).
 *
 * Caveat: in the Java 5.x source that text is thrown inside a try/catch(Throwable) that only logs
 * it, and the check is skipped entirely when a request carries no extFields; the handler then
 * runs with null fields. We follow ROCKETMQ.md §1.7 and reject the request with SYSTEM_ERROR.
 */
export function missingFieldRemark(field: string): string {
  return `${REMOTING_COMMAND_EXCEPTION}: the custom field <${field}> is null, ${DECODE_FRAME}`;
}

/** Thrown inside readHeader only; turned into the SYSTEM_ERROR response for the field. */
class HeaderFieldError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly remark: string,
  ) {
    super(message);
    this.name = "HeaderFieldError";
  }
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const LONG_DIGITS = /^[+-]?\d{1,19}$/;

/** Java Integer.parseInt / Long.parseLong semantics, limited to JS-safe longs. */
function parseJavaInteger(text: string, bits: 32 | 64): number | undefined {
  if (!LONG_DIGITS.test(text)) return undefined;
  const value = Number(text);
  if (bits === 32) return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? value : undefined;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Typed access to one request's extFields; required fields throw into readHeader. */
export class HeaderReader {
  constructor(private readonly ext: Readonly<Record<string, string>>) {}

  /** The raw ext value, own properties only. */
  raw(name: string): string | undefined {
    return Object.hasOwn(this.ext, name) ? this.ext[name] : undefined;
  }

  /** A @CFNotNull String. */
  requiredString(name: string): string {
    const value = this.raw(name);
    if (value === undefined) throw new HeaderFieldError(`'${name}' is required`, missingFieldRemark(name));
    return value;
  }

  /** An optional String. */
  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  /**
   * A @CFNotNull Long/Integer. Java logs a value that fails to parse and leaves the field null,
   * which later fails in the handler; we answer SYSTEM_ERROR at once with our own remark.
   */
  requiredInteger(name: string, bits: 32 | 64): number {
    const text = this.requiredString(name);
    const value = parseJavaInteger(text, bits);
    if (value === undefined) {
      const rule = bits === 32 ? "must be an int32" : "must be a long within ±(2^53-1)";
      throw new HeaderFieldError(`'${name}' ${rule}`, clipRemark(`the custom field <${name}> ${rule}, got '${text}'`));
    }
    return value;
  }

  /** An optional Long/Integer; absent or unparsable gives `fallback` (Java keeps the default). */
  optionalInteger(name: string, bits: 32 | 64): number | undefined;
  optionalInteger(name: string, bits: 32 | 64, fallback: number): number;
  optionalInteger(name: string, bits: 32 | 64, fallback?: number): number | undefined {
    const text = this.raw(name);
    return (text === undefined ? undefined : parseJavaInteger(text, bits)) ?? fallback;
  }

  /** An optional Boolean: Boolean.parseBoolean, so only "true" (any case) is true. */
  optionalBoolean(name: string): boolean | undefined;
  optionalBoolean(name: string, fallback: boolean): boolean;
  optionalBoolean(name: string, fallback?: boolean): boolean | undefined {
    const text = this.raw(name);
    return text === undefined ? fallback : text.toLowerCase() === "true";
  }
}

/**
 * Runs `read` over the ext fields. Required fields are checked in the order `read` asks for
 * them (Java's order is HashSet order, i.e. unspecified, when several are missing).
 */
export function readHeader<T>(ext: Readonly<Record<string, string>>, read: (reader: HeaderReader) => T): DecodeResult<T> {
  try {
    return { ok: true, value: read(new HeaderReader(ext)) };
  } catch (error) {
    if (error instanceof HeaderFieldError) return { ok: false, response: systemErrorSpec(error.remark) };
    throw error;
  }
}

/**
 * Decodes a request body with `decode`; a malformed body (InvalidArgumentError) becomes
 * SYSTEM_ERROR with `remark` or, if none is given, the error message (Java sends fastjson's
 * exception text, which we cannot reproduce).
 */
export function readBody<T>(decode: () => T, remark?: string): DecodeResult<T> {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      return { ok: false, response: systemErrorSpec(remark ?? clipRemark(error.message)) };
    }
    throw error;
  }
}

/** Decodes a header-only request: `{kind, header}` built from the ext fields. */
export function decodeHeaderOnly<K extends string, H>(
  cmd: RemotingCommand,
  kind: K,
  decodeHeader: (ext: Readonly<Record<string, string>>) => DecodeResult<H>,
): DecodeResult<{ kind: K; header: H }> {
  const header = decodeHeader(cmd.extFields);
  return header.ok ? { ok: true, value: { kind, header: header.value } } : header;
}

/** The empty header of requests that carry no custom fields. */
export type EmptyHeader = Record<string, never>;

/** Decodes a request that has no header fields and no body. */
export function decodeEmpty<K extends string>(kind: K): DecodeResult<{ kind: K; header: EmptyHeader }> {
  return { ok: true, value: { kind, header: {} } };
}

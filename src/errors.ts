// Typed operating errors and the one append-only table of native wire error codes.
// Imports nothing but assert: every layer (core, protocol, shells, client) may use it.

/** Longest excerpt of an offending value quoted in an error message. */
const QUOTED_VALUE_CHARS_MAX = 64;

/** Renders a value for an error message, cut to QUOTED_VALUE_CHARS_MAX characters. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = `'${value}'`;
  else if (value === undefined) text = "undefined";
  else if (typeof value === "bigint") text = `${value}n`;
  else if (value instanceof Uint8Array) text = `<${value.length} bytes>`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch (error) {
      text = `<unprintable ${(error as Error).name}>`;
    }
  }
  return text.length > QUOTED_VALUE_CHARS_MAX ? `${text.slice(0, QUOTED_VALUE_CHARS_MAX - 3)}...` : text;
}

/**
 * Native wire error codes. Only append: the numbers are the protocol.
 * Each has a class below and an entry in docs/errors.md (a unit test checks both).
 */
export const ErrorCode = {
  OK: 0,
  INTERNAL: 1,
  INVALID_ARGUMENT: 2,
  PROTOCOL: 3,
  FRAME_TOO_LARGE: 4,
  LIMIT_EXCEEDED: 5,
  NOT_FOUND: 6,
  TIMEOUT: 7,
  CONNECTION_CLOSED: 8,
  UNSUPPORTED_REQUEST: 9,
  NOT_READY: 10,
  UNSUPPORTED_VERSION: 11,
  CONFIG: 12,
  UNAUTHORIZED: 13,
  KV_NOT_DURABLE: 14,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every operating error: a stable wire code and whether retrying may help. */
export class NsError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  constructor(code: ErrorCode, message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NsError";
    this.code = code;
    this.retriable = retriable;
  }
}

/** A request field breaks a rule; the message names the field and quotes the value. */
export class InvalidArgumentError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INVALID_ARGUMENT, message, false, options);
    this.name = "InvalidArgumentError";
  }
  /** `'topic' must be 1..512 chars, no whitespace or control characters, got 'a b'` */
  static format(field: string, rule: string, value: unknown): InvalidArgumentError {
    return new InvalidArgumentError(`'${field}' ${rule}, got ${quote(value)}`);
  }
}

/** Bytes that are not a valid frame or envelope; the connection is closed. */
export class ProtocolError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PROTOCOL, message, false, options);
    this.name = "ProtocolError";
  }
}

/** A frame longer than the configured maximum. */
export class FrameTooLargeError extends NsError {
  constructor(bytes: number, bytesMax: number) {
    super(ErrorCode.FRAME_TOO_LARGE, `frame of ${bytes} bytes exceeds the limit of ${bytesMax} bytes`, false);
    this.name = "FrameTooLargeError";
  }
}

/** A named limit would be exceeded; the request is refused and counted. */
export class LimitExceededError extends NsError {
  readonly limit: string;
  constructor(limit: string, message: string) {
    super(ErrorCode.LIMIT_EXCEEDED, message, true);
    this.name = "LimitExceededError";
    this.limit = limit;
  }
}

/** The topic, key or namespace asked for does not exist. */
export class NotFoundError extends NsError {
  constructor(message: string) {
    super(ErrorCode.NOT_FOUND, message, false);
    this.name = "NotFoundError";
  }
}

/** A request got no answer in time. */
export class TimeoutError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TIMEOUT, message, true, options);
    this.name = "TimeoutError";
  }
}

/** The connection closed before the answer arrived. */
export class ConnectionClosedError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CONNECTION_CLOSED, message, true, options);
    this.name = "ConnectionClosedError";
  }
}

/** The request code is unknown to this node. */
export class UnsupportedRequestError extends NsError {
  constructor(message: string) {
    super(ErrorCode.UNSUPPORTED_REQUEST, message, false);
    this.name = "UnsupportedRequestError";
  }
}

/** The node has not yet pulled a snapshot from a peer nor waited out its startup grace. */
export class NotReadyError extends NsError {
  constructor(message: string) {
    super(ErrorCode.NOT_READY, message, true);
    this.name = "NotReadyError";
  }
}

/** No protocol version is shared by both sides of the hello. */
export class UnsupportedVersionError extends NsError {
  constructor(message: string) {
    super(ErrorCode.UNSUPPORTED_VERSION, message, false);
    this.name = "UnsupportedVersionError";
  }
}

/** Configuration is invalid; `problems` lists every problem found, not just the first. */
export class ConfigError extends NsError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(ErrorCode.CONFIG, `invalid configuration:\n  - ${problems.join("\n  - ")}`, false);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The caller lacks the credentials this request needs. */
export class UnauthorizedError extends NsError {
  constructor(message: string) {
    super(ErrorCode.UNAUTHORIZED, message, false);
    this.name = "UnauthorizedError";
  }
}

/**
 * A KV put or delete was applied in memory (and gossiped to the peers) but could not be written
 * to this node's kv.json (a full or read-only disk): it is not durable here. The node keeps
 * retrying the write; the message names the file and the errno code.
 */
export class KvNotDurableError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.KV_NOT_DURABLE, message, true, options);
    this.name = "KvNotDurableError";
  }
}

/** Any failure we did not expect but must not crash on (e.g. a bug in a peer). */
export class InternalError extends NsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INTERNAL, message, true, options);
    this.name = "InternalError";
  }
}

/**
 * RocketMQ remoting response codes an operating error is answered with (ROCKETMQ.md §2.2):
 * what RocketMQ clients expect for the same condition.
 */
export const RemotingCode = {
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  NO_PERMISSION: 16,
} as const;
export type RemotingCode = (typeof RemotingCode)[keyof typeof RemotingCode];

/** One row of the wire error table: the native code, and how each other port answers it. */
export interface ErrorCodeEntry {
  readonly code: ErrorCode;
  readonly name: string;
  readonly retriable: boolean;
  readonly make: (message: string) => NsError;
  /** HTTP status of the JSON error on the HTTP port. */
  readonly httpStatus: number;
  /** Remoting response code; the remark carries the message. */
  readonly remotingCode: RemotingCode;
}

/** The wire error table: code -> name, retriable flag and constructor. */
export const ERROR_TABLE: readonly ErrorCodeEntry[] = [
  { code: ErrorCode.INTERNAL, name: "INTERNAL", retriable: true, make: (m) => new InternalError(m), httpStatus: 500, remotingCode: RemotingCode.SYSTEM_ERROR },
  {
    code: ErrorCode.INVALID_ARGUMENT,
    name: "INVALID_ARGUMENT",
    retriable: false,
    make: (m) => new InvalidArgumentError(m),
    httpStatus: 400,
    remotingCode: RemotingCode.SYSTEM_ERROR,
  },
  { code: ErrorCode.PROTOCOL, name: "PROTOCOL", retriable: false, make: (m) => new ProtocolError(m), httpStatus: 400, remotingCode: RemotingCode.SYSTEM_ERROR },
  {
    code: ErrorCode.FRAME_TOO_LARGE,
    name: "FRAME_TOO_LARGE",
    retriable: false,
    make: (m) => Object.assign(new FrameTooLargeError(0, 0), { message: m }),
    httpStatus: 413,
    remotingCode: RemotingCode.SYSTEM_ERROR,
  },
  {
    code: ErrorCode.LIMIT_EXCEEDED,
    name: "LIMIT_EXCEEDED",
    retriable: true,
    make: (m) => new LimitExceededError("unknown", m),
    httpStatus: 429,
    remotingCode: RemotingCode.SYSTEM_BUSY,
  },
  { code: ErrorCode.NOT_FOUND, name: "NOT_FOUND", retriable: false, make: (m) => new NotFoundError(m), httpStatus: 404, remotingCode: RemotingCode.SYSTEM_ERROR },
  { code: ErrorCode.TIMEOUT, name: "TIMEOUT", retriable: true, make: (m) => new TimeoutError(m), httpStatus: 504, remotingCode: RemotingCode.SYSTEM_BUSY },
  {
    code: ErrorCode.CONNECTION_CLOSED,
    name: "CONNECTION_CLOSED",
    retriable: true,
    make: (m) => new ConnectionClosedError(m),
    httpStatus: 503,
    remotingCode: RemotingCode.SYSTEM_ERROR,
  },
  {
    code: ErrorCode.UNSUPPORTED_REQUEST,
    name: "UNSUPPORTED_REQUEST",
    retriable: false,
    make: (m) => new UnsupportedRequestError(m),
    httpStatus: 400,
    remotingCode: RemotingCode.REQUEST_CODE_NOT_SUPPORTED,
  },
  { code: ErrorCode.NOT_READY, name: "NOT_READY", retriable: true, make: (m) => new NotReadyError(m), httpStatus: 503, remotingCode: RemotingCode.SYSTEM_BUSY },
  {
    code: ErrorCode.UNSUPPORTED_VERSION,
    name: "UNSUPPORTED_VERSION",
    retriable: false,
    make: (m) => new UnsupportedVersionError(m),
    httpStatus: 400,
    remotingCode: RemotingCode.SYSTEM_ERROR,
  },
  { code: ErrorCode.CONFIG, name: "CONFIG", retriable: false, make: (m) => new ConfigError([m]), httpStatus: 500, remotingCode: RemotingCode.SYSTEM_ERROR },
  {
    code: ErrorCode.UNAUTHORIZED,
    name: "UNAUTHORIZED",
    retriable: false,
    make: (m) => new UnauthorizedError(m),
    httpStatus: 401,
    remotingCode: RemotingCode.NO_PERMISSION,
  },
  {
    code: ErrorCode.KV_NOT_DURABLE,
    name: "KV_NOT_DURABLE",
    retriable: true,
    make: (m) => new KvNotDurableError(m),
    httpStatus: 503,
    remotingCode: RemotingCode.SYSTEM_ERROR,
  },
];

/** The table row of a code (INTERNAL's for an unknown one). */
export function errorEntry(code: number): ErrorCodeEntry {
  return ERROR_TABLE.find((entry) => entry.code === code) ?? (ERROR_TABLE[0] as ErrorCodeEntry);
}

/** Turns a wire error code and message back into the matching error class. */
export function errorFromCode(code: number, message: string): NsError {
  const entry = ERROR_TABLE.find((e) => e.code === code);
  return entry ? entry.make(message) : new InternalError(`unknown error code ${code}: ${message}`);
}

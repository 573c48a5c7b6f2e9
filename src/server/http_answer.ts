// What an HTTP handler answers before it is written, and the JSON helpers every handler file
// shares (kept apart from http.ts so that the handler files import no cycle).

/** An HTTP answer before it is written. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The parts of a request a handler may read besides its path and query. */
export interface HttpRequestInfo {
  /** The `Authorization` header, or null. */
  readonly authorization: string | null;
  /** The body of a POST (UTF-8), or null. */
  readonly body: string | null;
  readonly contentType: string | null;
  /** The `Origin` header of a browser's request, or null. */
  readonly origin: string | null;
  /** The `Host` header, or null. */
  readonly hostHeader: string | null;
}

/** No headers, no body: a request as the tests and probes send it. */
export const EMPTY_REQUEST: HttpRequestInfo = Object.freeze({ authorization: null, body: null, contentType: null, origin: null, hostHeader: null });

export const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON answer. */
export function json(status: number, value: unknown): HttpAnswer {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value) };
}

/** A JSON error answer `{"error": {code, name, message}}`. */
export function errorAnswer(status: number, name: string, message: string, code: number | null = null): HttpAnswer {
  return json(status, { error: { code, name, message } });
}

/** The token of `Authorization: Bearer <token>`, or null when absent or malformed. */
export function bearerToken(authorization: string | null): string | null {
  const match = authorization === null ? null : /^Bearer\s+(\S+)$/i.exec(authorization);
  return match ? (match[1] as string) : null;
}

// The page's side of the node's JSON API (docs/protocol.md, "HTTP on the same port"): reads with
// the read token where one is set, admin writes with the admin token, and a polling hook. The
// tokens live in this tab's sessionStorage only and go nowhere but this node.
import { useEffect, useRef, useState } from "preact/hooks";

/** A refused or failed request: the node's error name and message, or the network's. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const READ_TOKEN_KEY = "namesrv.readToken";
const ADMIN_TOKEN_KEY = "namesrv.adminToken";

/** The tokens of this tab. */
export const tokens = {
  read(): string {
    return sessionStorage.getItem(READ_TOKEN_KEY) ?? "";
  },
  admin(): string {
    return sessionStorage.getItem(ADMIN_TOKEN_KEY) ?? "";
  },
  set(read: string, admin: string): void {
    sessionStorage.setItem(READ_TOKEN_KEY, read.trim());
    sessionStorage.setItem(ADMIN_TOKEN_KEY, admin.trim());
  },
};

function headers(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { accept: "application/json", ...(token === "" ? {} : { authorization: `Bearer ${token}` }), ...extra };
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, "BAD_ANSWER", `the node answered ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const error = (body as { error?: { name?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.name ?? `HTTP ${response.status}`, error?.message ?? `HTTP ${response.status}`);
  }
  return body as T;
}

/** GET a /v1 path with the read token (the admin token also reads). */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const token = tokens.read() || tokens.admin();
  let response: Response;
  try {
    response = await fetch(path, { headers: headers(token), cache: "no-store", ...(signal ? { signal } : {}) });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "UNREACHABLE", `this node did not answer: ${(error as Error).message}`);
  }
  return answer<T>(response);
}

/** POST an admin write (/v1/admin/<name>) with the admin token. */
export async function adminWrite<T>(name: string, body: Record<string, string>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`v1/admin/${name}`, {
      method: "POST",
      headers: headers(tokens.admin(), { "content-type": "application/json" }),
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "UNREACHABLE", `this node did not answer: ${(error as Error).message}`);
  }
  return answer<T>(response);
}

/** What a poll shows: the latest answer, the latest error, and when the answer came. */
export interface Polled<T> {
  readonly data: T | null;
  readonly error: ApiError | null;
  readonly atMs: number | null;
}

/**
 * GETs `path` now and then `periodMs` after each answer, while mounted and `path` is not null.
 * The page stays at most one period plus a round trip behind.
 */
export function usePoll<T>(path: string | null, periodMs: number, refreshKey = 0): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: null, error: null, atMs: null });
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    if (path === null) return undefined;
    let timer: number | undefined;
    const controller = new AbortController();
    const run = async (): Promise<void> => {
      try {
        const data = await getJson<T>(path, controller.signal);
        if (live.current) setState({ data, error: null, atMs: Date.now() });
      } catch (error) {
        if ((error as Error).name === "AbortError") return;
        if (live.current) setState((previous) => ({ ...previous, error: error as ApiError }));
      }
      if (live.current) timer = window.setTimeout(() => void run(), periodMs);
    };
    void run();
    return () => {
      live.current = false;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [path, periodMs, refreshKey]);
  return state;
}

// The built dashboard (dist/dashboard: index.html and assets/*), read into memory once at start
// and served with strict headers: a content security policy that allows only this origin (no
// CDN, works offline), no framing, no sniffing; hashed asset names are cached, the page is not.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { LimitExceededError, NotFoundError } from "../errors.js";
import { DASHBOARD_BYTES_MAX, DASHBOARD_FILES_MAX } from "../limits.js";
import type { HttpAnswer } from "./http_answer.js";

/** Content types by file extension (anything else is not served; the build makes text files only). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Headers of every dashboard file. uPlot sets inline styles, hence style-src 'unsafe-inline'. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** Files of the built page. */
export class DashboardAssets {
  private constructor(private readonly files: ReadonlyMap<string, string>) {}

  /**
   * Reads `dir` (index.html at its top, files one level down in assets/); null when there is no
   * index.html. LimitExceededError past DASHBOARD_FILES_MAX files or DASHBOARD_BYTES_MAX bytes.
   */
  static load(dir: string): DashboardAssets | null {
    const files = new Map<string, string>();
    let bytes = 0;
    const add = (name: string): void => {
      if (CONTENT_TYPES[extname(name)] === undefined) return;
      const content = readFileSync(join(dir, name), "utf8");
      bytes += Buffer.byteLength(content, "utf8");
      if (files.size >= DASHBOARD_FILES_MAX || bytes > DASHBOARD_BYTES_MAX) {
        throw new LimitExceededError("DASHBOARD_BYTES_MAX", `the dashboard in '${dir}' exceeds ${DASHBOARD_FILES_MAX} files or ${DASHBOARD_BYTES_MAX} bytes`);
      }
      files.set(name, content);
    };
    try {
      if (!statSync(join(dir, "index.html")).isFile()) return null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
    add("index.html");
    const assetsDir = join(dir, "assets");
    let names: string[] = [];
    try {
      names = readdirSync(assetsDir).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const name of names) if (statSync(join(assetsDir, name)).isFile()) add(`assets/${name}`);
    return new DashboardAssets(files);
  }

  /** From files in memory (tests). */
  static of(files: Readonly<Record<string, string>>): DashboardAssets {
    return new DashboardAssets(new Map(Object.entries(files)));
  }

  /** The answer for one file ("index.html" or "assets/<name>"); NotFoundError when absent. */
  answer(name: string): HttpAnswer {
    const content = this.files.get(name);
    if (content === undefined) throw new NotFoundError(`no dashboard file '${name.slice(0, 64)}'`);
    const immutable = name.startsWith("assets/");
    return {
      status: 200,
      contentType: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
      body: content,
      headers: { ...SECURITY_HEADERS, "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-store" },
    };
  }

  /** Names of the files held. */
  names(): string[] {
    return [...this.files.keys()].sort();
  }
}

// Headless Chromium for the browser tests: Debian's chromium (CHROMIUM_PATH overrides the path)
// driven by playwright-core, never a downloaded browser. A fresh profile per run, no network
// beyond 127.0.0.1 (no QUIC, no background or component traffic, no sync).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Where Debian installs chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH_DEFAULT = "/usr/bin/chromium";

/** The flags every run passes. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** A launched browser with its profile directory. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches chromium with a fresh --user-data-dir (playwright passes it from `userDataDir`). */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "namesrv-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env["CHROMIUM_PATH"] ?? CHROMIUM_PATH_DEFAULT,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    viewport,
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * WCAG contrast checks run in the page, as a string so that this Node-side file needs no DOM
 * types: for every element matching `selector` with own text, the ratio of its text colour to
 * the first opaque background up its ancestors. Resolves with the lowest ratio found and where.
 */
export const CONTRAST_SCRIPT = `(() => {
  const parse = (text) => { const m = text.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(',').map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.9) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  let worst = { ratio: 99, where: '' };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own || el.offsetParent === null) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color); if (!fg) continue;
    const bg = bgOf(el);
    const opacity = Number(style.opacity);
    if (opacity < 1) continue;
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, where: el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40) };
  }
  return worst;
})()`;

/** In-page check: the document is no wider than the viewport (no horizontal page scroll). */
export const OVERFLOW_SCRIPT = "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })";

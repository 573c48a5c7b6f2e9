// Goal: with dataDir set, KV survives a restart (written atomically, flushed on close) and a
// corrupt kv.json is moved aside with an error log line, never silently dropped.
// Method: startServer in-process on a temp dir; KV_PUT over raw frames; restart; read over HTTP.
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { localConfig } from "../../src/config/config.js";
import { ErrorCode } from "../../src/errors.js";
import { RequestCode } from "../../src/protocol/codes.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import { captureLogger, linesWith } from "./helpers/logs.js";
import { openNative } from "./helpers/native.js";
import { waitFor } from "./helpers/wait.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string): Promise<{ running: RunningServer; lines: ReturnType<typeof captureLogger>["lines"] }> {
  const { logger, lines } = captureLogger("debug");
  const running = await startServer(localConfig({ dataDir }), { logger });
  cleanups.push(() => running.close());
  return { running, lines };
}

describe("server kv persistence", () => {
  it("server: KV written through the native port survives a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-"));
    const first = await start(dir);
    const conn = await openNative(first.running.httpPort);
    await conn.hello();
    expect((await conn.request(RequestCode.KV_PUT, { namespace: "ORDER_TOPIC_CONFIG", key: "orders", value: "broker-a:4" })).code).toBe(ErrorCode.OK);
    expect((await conn.request(RequestCode.KV_PUT, { namespace: "ns", key: "gone", value: "x" })).code).toBe(ErrorCode.OK);
    expect((await conn.request(RequestCode.KV_DELETE, { namespace: "ns", key: "gone" })).code).toBe(ErrorCode.OK);
    await waitFor("kv.json written", async () => {
      const text = await readFile(join(dir, "kv.json"), "utf8").catch(() => "");
      return text.includes("broker-a:4") ? text : undefined;
    });
    await first.running.close();

    const second = await start(dir);
    const response = await fetch(`http://127.0.0.1:${second.running.httpPort}/v1/kv/ORDER_TOPIC_CONFIG/orders`);
    expect(await response.json()).toEqual({ namespace: "ORDER_TOPIC_CONFIG", key: "orders", value: "broker-a:4" });
    expect((await fetch(`http://127.0.0.1:${second.running.httpPort}/v1/kv/ns/gone`)).status).toBe(404);
    expect(linesWith(second.lines, "kv records loaded")[0]).toMatchObject({ records: 2 });
  });

  it("server: a put right before close is flushed on close", async () => {
    const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-"));
    const first = await start(dir);
    const conn = await openNative(first.running.httpPort);
    await conn.hello();
    await conn.request(RequestCode.KV_PUT, { namespace: "ns", key: "k", value: "last" });
    await first.running.close();
    expect(await readFile(join(dir, "kv.json"), "utf8")).toContain('"last"');
  });

  it("server: a corrupt kv.json is moved aside and reported", async () => {
    const dir = await mkdtemp(join(tmpdir(), "namesrv-kv-"));
    await writeFile(join(dir, "kv.json"), "{ this is not json");
    const { running, lines } = await start(dir);
    const logged = linesWith(lines, "kv file corrupt; moved aside, starting with empty kv")[0];
    expect(logged).toMatchObject({ level: "error" });
    expect(String(logged?.["problem"])).toContain("not valid JSON");
    const files = await readdir(dir);
    expect(files.some((name) => name.startsWith("kv.json.corrupt-"))).toBe(true);
    expect(files).not.toContain("kv.json");
    expect((await fetch(`http://127.0.0.1:${running.httpPort}/readyz`)).status).toBe(200);
  });
});

// Goal: kv.json parsing accepts what the server writes and rejects anything else with the
// offending field named; a local write is answered only once the write that holds it is done
// (temp written, fsynced, renamed, directory fsynced); concurrent writes share one write; a
// failing disk rejects the waiting writers with the file and the errno code, is logged once,
// retried every KV_WRITE_RETRY_MS and cleared on recovery; what a kill leaves behind loads.
// Method: KvFile over an in-memory KvFs that records every call and fails or holds calls on
// demand, and a scheduler whose timers fire only when the test says (the real file system and
// process kills are exercised by test/integration/kv_durability.int.test.ts).
import { describe, expect, it } from "vitest";
import { ErrorCode, KvNotDurableError } from "../errors.js";
import type { Logger } from "../host/logger.js";
import type { KvRecord } from "../model/records.js";
import type { Scheduler, TimerHandle } from "../model/time.js";
import { KV_WRITE_DELAY_MS, KV_WRITE_RETRY_MS, KvFile, parseKvFile, type KvFileHandle, type KvFs } from "./kv_file.js";

const STAMP = { wallMs: 5, logical: 0, nodeId: "n1" };
const DIR = "/data";
const PATH = "/data/kv.json";
const TEMP = "/data/kv.json.tmp-42";

type Op = "open" | "writeFile" | "sync" | "close" | "rename" | "unlink";

/** An in-memory file system: files by path, every call logged, failures and holds injected. */
class MemoryFs implements KvFs {
  readonly files = new Map<string, string>();
  readonly calls: string[] = [];
  /** Calls of this kind throw an error with this errno code. */
  readonly failing = new Map<Op, string>();
  /** While set, file syncs wait for it (a write held in flight). */
  hold: Promise<void> | null = null;

  async mkdir(): Promise<void> {}
  async stat(path: string): Promise<{ size: number }> {
    const text = this.files.get(path);
    if (text === undefined) throw errno("ENOENT", `no such file or directory, stat '${path}'`);
    return { size: text.length };
  }
  async readFile(path: string): Promise<string> {
    return this.files.get(path) ?? "";
  }
  async readdir(): Promise<string[]> {
    return [...this.files.keys()].map((path) => path.slice(DIR.length + 1));
  }
  async open(path: string, flags: "w" | "r"): Promise<KvFileHandle> {
    this.step("open", `open ${path} ${flags}`);
    if (flags === "w") this.files.set(path, "");
    return {
      writeFile: async (data) => {
        this.step("writeFile", `write ${path}`);
        this.files.set(path, data);
      },
      sync: async () => {
        if (this.hold) await this.hold;
        this.step("sync", `sync ${path}`);
      },
      close: async () => this.step("close", `close ${path}`),
    };
  }
  async rename(from: string, to: string): Promise<void> {
    this.step("rename", `rename ${from} ${to}`);
    this.files.set(to, this.files.get(from) ?? "");
    this.files.delete(from);
  }
  async unlink(path: string): Promise<void> {
    this.step("unlink", `unlink ${path}`);
    if (!this.files.delete(path)) throw errno("ENOENT", `no such file or directory, unlink '${path}'`);
  }
  /** Writes of kv.json done so far (renames onto it). */
  get renames(): number {
    return this.calls.filter((call) => call === `rename ${TEMP} ${PATH}`).length;
  }
  private step(op: Op, call: string): void {
    const code = this.failing.get(op);
    if (code !== undefined) throw errno(code, `${code === "ENOSPC" ? "no space left on device" : "read-only file system"}, ${op}`);
    this.calls.push(call);
  }
}

function errno(code: string, text: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${text}`), { code });
}

/** Timers that fire only in fire(). */
class ManualScheduler implements Scheduler {
  private nextId = 1;
  readonly timers = new Map<number, { delayMs: number; callback: () => void }>();
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { delayMs, callback });
    return { id };
  }
  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }
  delays(): number[] {
    return [...this.timers.values()].map((timer) => timer.delayMs);
  }
  fire(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const timer of due) timer.callback();
  }
}

interface Line {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** Lets the fake file system's promises settle (they finish in microtasks). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const fs = new MemoryFs();
  const scheduler = new ManualScheduler();
  const lines: Line[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) => void lines.push({ level, msg, fields });
  const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") } as unknown as Logger;
  const records: KvRecord[] = [];
  let nowMs = 1_000;
  const file = new KvFile(DIR, () => records, logger, () => nowMs, { fs, scheduler, pid: 42 });
  /** A local write: the change, then the wait for the disk (what NodeHost.writeKv does). */
  const put = (key: string, value: string): Promise<void> => {
    records.push({ type: "kv", namespace: "ns", key, value, stamp: STAMP });
    file.markDirty();
    return file.whenDurable();
  };
  const onDisk = (): string[] => parseKvFile(fs.files.get(PATH) ?? '{"format":1,"records":[]}').map((record) => record.key);
  return { fs, scheduler, lines, file, records, put, onDisk, advance: (ms: number) => (nowMs += ms) };
}

/** The outcome of a promise once the fake I/O settled: "pending", "resolved" or the error. */
async function outcome(promise: Promise<unknown>): Promise<"pending" | "resolved" | Error> {
  let result: "pending" | "resolved" | Error = "pending";
  promise.then(
    () => (result = "resolved"),
    (error: Error) => (result = error),
  );
  await settle();
  return result;
}

describe("kv_file", () => {
  it("kv_file: parses records, tombstones included", () => {
    const text = JSON.stringify({
      format: 1,
      records: [
        { type: "kv", namespace: "ns", key: "a", value: "1", stamp: STAMP },
        { type: "kv", namespace: "ns", key: "b", value: null, stamp: STAMP },
      ],
    });
    expect(parseKvFile(text)).toEqual([
      { type: "kv", namespace: "ns", key: "a", value: "1", stamp: STAMP },
      { type: "kv", namespace: "ns", key: "b", value: null, stamp: STAMP },
    ]);
  });

  it("kv_file: rejects invalid JSON, wrong format and bad records naming the field", () => {
    expect(() => parseKvFile("{not json")).toThrow(/not valid JSON/);
    expect(() => parseKvFile(JSON.stringify({ format: 2, records: [] }))).toThrow(/'format'/);
    expect(() => parseKvFile(JSON.stringify({ format: 1, records: {} }))).toThrow(/'records' must be an array/);
    const badKey = { format: 1, records: [{ type: "kv", namespace: "ns", key: "", value: "1", stamp: STAMP }] };
    expect(() => parseKvFile(JSON.stringify(badKey))).toThrow(/'records\[0\]\.key'/);
    const badStamp = { format: 1, records: [{ type: "kv", namespace: "ns", key: "k", value: "1", stamp: { wallMs: -1 } }] };
    expect(() => parseKvFile(JSON.stringify(badStamp))).toThrow(/'wallMs'/);
  });

  it("kv_file: a local write resolves only after temp write, fsync, rename and directory fsync", async () => {
    const { fs, put, onDisk } = setup();
    let release = (): void => undefined;
    fs.hold = new Promise((resolve) => (release = resolve));
    const durable = put("a", "1");
    expect(await outcome(durable)).toBe("pending");
    expect(onDisk()).toEqual([]);
    fs.hold = null;
    release();
    expect(await outcome(durable)).toBe("resolved");
    expect(fs.calls).toEqual([
      `open ${TEMP} w`,
      `write ${TEMP}`,
      `sync ${TEMP}`,
      `close ${TEMP}`,
      `rename ${TEMP} ${PATH}`,
      `open ${DIR} r`,
      `sync ${DIR}`,
      `close ${DIR}`,
    ]);
    expect(onDisk()).toEqual(["a"]);
  });

  it("kv_file: writes arriving during a write share the next one: one in flight, one pending", async () => {
    const { fs, put, onDisk } = setup();
    let release = (): void => undefined;
    fs.hold = new Promise((resolve) => (release = resolve));
    const first = put("a", "1");
    await settle();
    const later = [put("b", "2"), put("c", "3"), put("d", "4")];
    expect(await outcome(Promise.all(later))).toBe("pending");
    expect(fs.renames).toBe(0);
    fs.hold = null;
    release();
    expect(await outcome(first)).toBe("resolved");
    expect(await outcome(Promise.all(later))).toBe("resolved");
    expect(fs.renames).toBe(2);
    expect(onDisk()).toEqual(["a", "b", "c", "d"]);
  });

  it("kv_file: a change from a peer is written after KV_WRITE_DELAY_MS; a local write does not wait for the window", async () => {
    const { fs, scheduler, file, records, put, onDisk } = setup();
    records.push({ type: "kv", namespace: "ns", key: "peer", value: "p", stamp: STAMP });
    file.markDirty();
    await settle();
    expect(fs.renames).toBe(0);
    expect(scheduler.delays()).toEqual([KV_WRITE_DELAY_MS]);
    scheduler.fire();
    await settle();
    expect(onDisk()).toEqual(["peer"]);
    file.markDirty();
    expect(await outcome(put("local", "l"))).toBe("resolved");
    expect(scheduler.delays()).toEqual([]);
    expect(onDisk()).toEqual(["peer", "local"]);
    expect(await outcome(file.whenDurable())).toBe("resolved");
    expect(fs.renames).toBe(2);
  });

  it("kv_file: a full disk rejects the writer naming the file and ENOSPC, logs once, retries, and recovers", async () => {
    const { fs, scheduler, lines, file, put, onDisk, advance } = setup();
    expect(await outcome(put("a", "1"))).toBe("resolved");
    fs.failing.set("writeFile", "ENOSPC");
    const failed = await outcome(put("b", "2"));
    expect(failed).toBeInstanceOf(KvNotDurableError);
    const error = failed as KvNotDurableError;
    expect(error.code).toBe(ErrorCode.KV_NOT_DURABLE);
    expect(error.message).toBe(
      `kv change applied in memory but not durable on this node: writing '${PATH}' failed with ENOSPC (no space left on device, writeFile); retrying every ${KV_WRITE_RETRY_MS} ms`,
    );
    expect(fs.files.has(TEMP)).toBe(false);
    expect(file.status()).toEqual({ ok: false, writeFailuresTotal: 1 });
    expect(await outcome(put("c", "3"))).toBeInstanceOf(KvNotDurableError);
    expect(scheduler.delays()).toEqual([KV_WRITE_RETRY_MS]);
    scheduler.fire();
    await settle();
    expect(file.status()).toEqual({ ok: false, writeFailuresTotal: 3 });
    expect(lines.filter((line) => line.msg === "kv write failed")).toEqual([
      { level: "error", msg: "kv write failed", fields: { path: PATH, code: "ENOSPC", error: "no space left on device, writeFile", retryMs: KV_WRITE_RETRY_MS } },
    ]);
    expect(onDisk()).toEqual(["a"]);

    fs.failing.clear();
    advance(2_500);
    scheduler.fire();
    await settle();
    expect(onDisk()).toEqual(["a", "b", "c"]);
    expect(file.status()).toEqual({ ok: true, writeFailuresTotal: 3 });
    expect(lines.filter((line) => line.msg === "kv writes recovered")).toEqual([
      { level: "warn", msg: "kv writes recovered", fields: { path: PATH, code: "ENOSPC", failedForMs: 2_500 } },
    ]);
    expect(scheduler.delays()).toEqual([]);
    expect(await outcome(put("d", "4"))).toBe("resolved");
  });

  it("kv_file: a read-only disk fails at the temp file's open; the message names EROFS", async () => {
    const { fs, put } = setup();
    fs.failing.set("open", "EROFS");
    const failed = await outcome(put("a", "1"));
    expect((failed as Error).message).toContain(`writing '${PATH}' failed with EROFS (read-only file system, open)`);
  });

  it("kv_file: load removes temps a killed write left (a truncated one included) and reads kv.json", async () => {
    const { fs, lines, file } = setup();
    fs.files.set(PATH, JSON.stringify({ format: 1, records: [{ type: "kv", namespace: "ns", key: "a", value: "1", stamp: STAMP }] }));
    fs.files.set("/data/kv.json.tmp-7", '{"format":1,"records":[{"type":"kv","namesp');
    fs.files.set("/data/kv.json.tmp-8", "");
    const loaded = await file.load();
    expect(loaded.map((record) => record.key)).toEqual(["a"]);
    expect([...fs.files.keys()]).toEqual([PATH]);
    expect(lines.filter((line) => line.msg === "kv temp file of an interrupted write removed").map((line) => line.fields["path"])).toEqual([
      "/data/kv.json.tmp-7",
      "/data/kv.json.tmp-8",
    ]);
  });

  it("kv_file: load without kv.json (killed before the first rename) is an empty table", async () => {
    const { fs, file } = setup();
    fs.files.set("/data/kv.json.tmp-7", '{"format":1,"rec');
    expect(await file.load()).toEqual([]);
    expect(fs.files.size).toBe(0);
  });

  it("kv_file: flush on a failing disk resolves and logs what stays in memory; with a healthy disk it writes", async () => {
    const failing = setup();
    failing.fs.failing.set("rename", "EROFS");
    expect(await outcome(failing.put("a", "1"))).toBeInstanceOf(KvNotDurableError);
    failing.records.push({ type: "kv", namespace: "ns", key: "b", value: "2", stamp: STAMP });
    failing.file.markDirty();
    await failing.file.flush();
    const logged = failing.lines.filter((line) => line.msg.startsWith("kv changes not flushed at shutdown"));
    expect(logged).toEqual([
      {
        level: "error",
        msg: "kv changes not flushed at shutdown; none was acknowledged as durable here",
        fields: { path: PATH, code: "EROFS", error: "read-only file system, rename", changesUnflushed: 2 },
      },
    ]);
    expect(failing.scheduler.delays()).toEqual([]);

    const healthy = setup();
    healthy.records.push({ type: "kv", namespace: "ns", key: "peer", value: "p", stamp: STAMP });
    healthy.file.markDirty();
    await healthy.file.flush();
    expect(healthy.onDisk()).toEqual(["peer"]);
    expect(healthy.scheduler.delays()).toEqual([]);
  });

  it("kv_file: no change pending, nothing to wait for", async () => {
    const { fs, file } = setup();
    expect(await outcome(file.whenDurable())).toBe("resolved");
    expect(fs.calls).toEqual([]);
  });
});

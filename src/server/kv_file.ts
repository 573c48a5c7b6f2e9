// KV persistence for --data-dir: <dataDir>/kv.json, loaded at start and written atomically
// (temp file, fsync, rename, fsync dir). A local KV write is acknowledged once a write that
// includes it is done (whenDurable); changes learned from peers are written shortly after.
// A corrupt file is logged and moved aside to kv.json.corrupt-<ms>, never silently dropped.
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { KvRecord, Stamp } from "../model/records.js";
import type { Scheduler, TimerHandle } from "../model/time.js";
import { InvalidArgumentError, KvNotDurableError } from "../errors.js";
import { checkKvKey, checkKvValue, fieldsOf, int, str } from "../protocol/validate.js";
import { RealScheduler } from "../transport/timers.js";
import type { Logger } from "../host/logger.js";

/** File name inside the data directory. */
export const KV_FILE_NAME = "kv.json";
/** Prefix of the temporary file a write goes through (`kv.json.tmp-<pid>`); leftovers are removed at load. */
export const KV_TEMP_PREFIX = `${KV_FILE_NAME}.tmp-`;
/**
 * Changes learned from peers within this window are written together: bounds write load under
 * a burst of gossip. A local write waits for no window: its requester waits for the disk.
 */
export const KV_WRITE_DELAY_MS = 50;
/**
 * While writes fail (a full or read-only disk), the pending state is written again this often:
 * a recovered disk holds the state within a second, and a failing one costs one attempt a second.
 */
export const KV_WRITE_RETRY_MS = 1_000;
/** Largest kv.json we read back: far above realistic KV tables, far below memory trouble. */
export const KV_FILE_BYTES_MAX = 512 * 1024 * 1024;
/** Format version written into the file. */
const KV_FILE_FORMAT = 1;

/** An open file, as far as KvFile uses one. */
export interface KvFileHandle {
  writeFile(data: string, encoding: "utf8"): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file system calls KvFile makes: node:fs/promises by default, a fake in unit tests. */
export interface KvFs {
  mkdir(path: string): Promise<void>;
  stat(path: string): Promise<{ size: number }>;
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  open(path: string, flags: "w" | "r"): Promise<KvFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** node:fs/promises behind KvFs. */
export const NODE_KV_FS: KvFs = {
  mkdir: async (path) => void (await mkdir(path, { recursive: true })),
  stat: (path) => stat(path),
  readFile: (path) => readFile(path, "utf8"),
  readdir: (path) => readdir(path),
  open: (path, flags) => open(path, flags, 0o644),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
};

/** Optional collaborators of KvFile. */
export interface KvFileDeps {
  /** @default NODE_KV_FS */
  readonly fs?: KvFs;
  /** @default real timers */
  readonly scheduler?: Scheduler;
  /** Distinguishes this process's temp file. @default process.pid */
  readonly pid?: number;
}

/** What the metrics show of the file. */
export interface KvDiskStatus {
  /** False from a failed write until the next write succeeds. */
  readonly ok: boolean;
  /** Writes of kv.json that failed since start. */
  readonly writeFailuresTotal: number;
}

/** A local write waiting for a write of kv.json that includes change number `seq`. */
interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The failure state: set by the first failed write, cleared by the next good one. */
interface Failure {
  readonly code: string;
  readonly message: string;
  readonly sinceMs: number;
}

/**
 * Loads and saves the KV records of one node. Changes are numbered as they are noted; a write
 * takes the records and the number of the last change at its start, so every change up to that
 * number is on disk when it succeeds. At most one write is in flight; whatever arrives meanwhile
 * waits for the next one, so concurrent writes share one fsync and the cost stays bounded.
 * The waiters are bounded by the node host (KV_WRITES_WAITING_MAX).
 */
export class KvFile {
  readonly path: string;
  private readonly fs: KvFs;
  private readonly scheduler: Scheduler;
  private readonly tempPath: string;
  /** Number of the last change noted, and of the last one known to be on disk. */
  private changeSeq = 0;
  private writtenSeq = 0;
  private inFlight: Promise<void> | null = null;
  private timer: TimerHandle | null = null;
  private waiters: Waiter[] = [];
  private failure: Failure | null = null;
  private writeFailures = 0;
  private closing = false;

  constructor(
    private readonly dir: string,
    private readonly records: () => readonly KvRecord[],
    private readonly logger: Logger,
    private readonly nowMs: () => number,
    deps: KvFileDeps = {},
  ) {
    this.path = join(dir, KV_FILE_NAME);
    this.fs = deps.fs ?? NODE_KV_FS;
    this.scheduler = deps.scheduler ?? new RealScheduler();
    this.tempPath = join(dir, `${KV_TEMP_PREFIX}${deps.pid ?? process.pid}`);
  }

  /**
   * Reads kv.json; a missing file is an empty table, a corrupt one is moved aside and logged.
   * Temp files left by a process killed while writing are removed first (never read: a temp
   * file is complete only once renamed).
   */
  async load(): Promise<KvRecord[]> {
    await this.fs.mkdir(this.dir);
    await this.removeTemps();
    let text: string;
    try {
      const size = (await this.fs.stat(this.path)).size;
      if (size > KV_FILE_BYTES_MAX) return await this.moveAside(`file of ${size} bytes exceeds ${KV_FILE_BYTES_MAX}`);
      text = await this.fs.readFile(this.path);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return [];
      throw error;
    }
    try {
      const records = parseKvFile(text);
      this.logger.info({ path: this.path, records: records.length }, "kv records loaded");
      return records;
    } catch (error) {
      return await this.moveAside((error as Error).message);
    }
  }

  /** Notes a change (a local write or a peer's); it is written within KV_WRITE_DELAY_MS. */
  markDirty(): void {
    this.changeSeq += 1;
    if (this.inFlight === null) this.next();
  }

  /**
   * Resolves once every change noted so far is on disk, starting a write at once if none is in
   * flight; rejects with KvNotDurableError (naming the file and the errno code) when the write
   * that should have included them fails.
   */
  whenDurable(): Promise<void> {
    if (this.changeSeq <= this.writtenSeq) return Promise.resolve();
    const seq = this.changeSeq;
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    if (this.inFlight === null) this.startWrite();
    return promise;
  }

  /** Whether the disk took the last write, and how many writes failed. */
  status(): KvDiskStatus {
    return { ok: this.failure === null, writeFailuresTotal: this.writeFailures };
  }

  /**
   * Writes any pending change and waits for it (clean shutdown); never rejects. A change that
   * cannot be written is logged with the file and the errno code: it was never acknowledged as
   * durable (its requester was told KV_NOT_DURABLE, or it came from a peer that holds it).
   */
  async flush(): Promise<void> {
    this.closing = true;
    this.clearTimer();
    while (this.inFlight) await this.inFlight;
    if (this.changeSeq > this.writtenSeq) this.startWrite();
    while (this.inFlight) await this.inFlight;
    if (this.changeSeq <= this.writtenSeq) return;
    const failure = this.failure;
    this.logger.error(
      { path: this.path, code: failure?.code, error: failure?.message, changesUnflushed: this.changeSeq - this.writtenSeq },
      "kv changes not flushed at shutdown; none was acknowledged as durable here",
    );
  }

  /** After a write: the next one at once for waiting writers, else a timer while changes are pending. */
  private next(): void {
    if (this.waiters.length > 0) return this.startWrite();
    if (this.closing || this.timer !== null || this.changeSeq <= this.writtenSeq) return;
    const delayMs = this.failure === null ? KV_WRITE_DELAY_MS : KV_WRITE_RETRY_MS;
    this.timer = this.scheduler.setTimer(delayMs, () => {
      this.timer = null;
      if (this.inFlight === null) this.startWrite();
    });
  }

  private startWrite(): void {
    this.clearTimer();
    const seq = this.changeSeq;
    // Taken now, in the same turn as seq: the write holds exactly the changes up to seq.
    const text = JSON.stringify({ format: KV_FILE_FORMAT, records: this.records() });
    this.inFlight = this.write(text)
      .then(
        () => this.written(seq),
        (error: unknown) => this.failed(seq, error),
      )
      .finally(() => {
        this.inFlight = null;
        this.next();
      });
  }

  private written(seq: number): void {
    this.writtenSeq = Math.max(this.writtenSeq, seq);
    for (const waiter of this.settle(seq)) waiter.resolve();
    if (this.failure === null) return;
    const failedForMs = this.nowMs() - this.failure.sinceMs;
    this.logger.warn({ path: this.path, code: this.failure.code, failedForMs }, "kv writes recovered");
    this.failure = null;
  }

  private failed(seq: number, error: unknown): void {
    this.writeFailures += 1;
    const code = errnoOf(error) ?? (error as Error).name;
    const raw = String((error as Error).message ?? error);
    const detail = raw.startsWith(`${code}: `) ? raw.slice(code.length + 2) : raw;
    const message = `kv change applied in memory but not durable on this node: writing '${this.path}' failed with ${code} (${detail}); retrying every ${KV_WRITE_RETRY_MS} ms`;
    for (const waiter of this.settle(seq)) waiter.reject(new KvNotDurableError(message, { cause: error }));
    if (this.failure !== null) return;
    this.failure = { code, message: detail, sinceMs: this.nowMs() };
    // One line when the failure starts ("kv writes recovered" when it ends), not one per write.
    this.logger.error({ path: this.path, code, error: detail, retryMs: KV_WRITE_RETRY_MS }, "kv write failed");
  }

  /** Removes and returns the waiters whose changes the write up to `seq` covered. */
  private settle(seq: number): Waiter[] {
    const done = this.waiters.filter((waiter) => waiter.seq <= seq);
    this.waiters = this.waiters.filter((waiter) => waiter.seq > seq);
    return done;
  }

  private async write(text: string): Promise<void> {
    try {
      const file = await this.fs.open(this.tempPath, "w");
      try {
        await file.writeFile(text, "utf8");
        await file.sync();
      } finally {
        await file.close();
      }
      await this.fs.rename(this.tempPath, this.path);
      const dir = await this.fs.open(this.dir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (error) {
      // A partial temp file would hold space on a full disk; it may well be gone or unremovable.
      await this.fs.unlink(this.tempPath).catch((unlinkError: unknown) => {
        if (errnoOf(unlinkError) !== "ENOENT") this.logger.debug({ path: this.tempPath, error: String(unlinkError) }, "kv temp file not removed");
      });
      throw error;
    }
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    this.scheduler.clearTimer(this.timer);
    this.timer = null;
  }

  /** Removes temp files of earlier processes (killed while writing); a failure is logged, not fatal. */
  private async removeTemps(): Promise<void> {
    const temps = (await this.fs.readdir(this.dir)).filter((name) => name.startsWith(KV_TEMP_PREFIX));
    for (const name of temps) {
      try {
        await this.fs.unlink(join(this.dir, name));
        this.logger.info({ path: join(this.dir, name) }, "kv temp file of an interrupted write removed");
      } catch (error) {
        this.logger.warn({ path: join(this.dir, name), error: String(error) }, "kv temp file of an interrupted write not removed");
      }
    }
  }

  private async moveAside(problem: string): Promise<KvRecord[]> {
    const aside = `${this.path}.corrupt-${this.nowMs()}`;
    await this.fs.rename(this.path, aside);
    this.logger.error({ path: this.path, movedTo: aside, problem }, "kv file corrupt; moved aside, starting with empty kv");
    return [];
  }
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Parses and validates kv.json; throws with the first problem found. */
export function parseKvFile(text: string): KvRecord[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`kv file is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const fields = fieldsOf(value, "kv file");
  int(fields, "format", KV_FILE_FORMAT, KV_FILE_FORMAT);
  const list = fields["records"];
  if (!Array.isArray(list)) throw InvalidArgumentError.format("records", "must be an array", list);
  return list.map((raw, index) => parseKvRecord(raw, `records[${index}]`));
}

function parseKvRecord(raw: unknown, path: string): KvRecord {
  const fields = fieldsOf(raw, path);
  if (fields["type"] !== "kv") throw InvalidArgumentError.format(`${path}.type`, "must be 'kv'", fields["type"]);
  const value = fields["value"];
  const stampFields = fieldsOf(fields["stamp"], `${path}.stamp`);
  const stamp: Stamp = {
    wallMs: int(stampFields, "wallMs", 0, Number.MAX_SAFE_INTEGER),
    logical: int(stampFields, "logical", 0, Number.MAX_SAFE_INTEGER),
    nodeId: str(stampFields, "nodeId", 64),
  };
  return {
    type: "kv",
    namespace: checkKvKey(`${path}.namespace`, fields["namespace"]),
    key: checkKvKey(`${path}.key`, fields["key"]),
    value: value === null ? null : checkKvValue(`${path}.value`, value),
    stamp,
  };
}

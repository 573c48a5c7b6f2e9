// KV persistence for --data-dir: <dataDir>/kv.json, loaded at start, written atomically
// (temp file, fsync, rename, fsync dir) shortly after each change and on shutdown.
// A corrupt file is logged and moved aside to kv.json.corrupt-<ms>, never silently dropped.
import { mkdir, open, readFile, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import type { KvRecord, Stamp } from "../model/records.js";
import { InvalidArgumentError } from "../errors.js";
import { checkKvKey, checkKvValue, fieldsOf, int, str } from "../protocol/validate.js";
import type { Logger } from "../host/logger.js";

/** File name inside the data directory. */
export const KV_FILE_NAME = "kv.json";
/** Changes within this window are written together: bounds write load under bursts of puts. */
export const KV_WRITE_DELAY_MS = 50;
/** Largest kv.json we read back: far above realistic KV tables, far below memory trouble. */
export const KV_FILE_BYTES_MAX = 512 * 1024 * 1024;
/** Format version written into the file. */
const KV_FILE_FORMAT = 1;

/** Loads and saves the KV records of one node. */
export class KvFile {
  readonly path: string;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly dir: string,
    private readonly records: () => readonly KvRecord[],
    private readonly logger: Logger,
    private readonly nowMs: () => number,
  ) {
    this.path = join(dir, KV_FILE_NAME);
  }

  /** Reads kv.json; a missing file is an empty table, a corrupt one is moved aside and logged. */
  async load(): Promise<KvRecord[]> {
    await mkdir(this.dir, { recursive: true });
    let text: string;
    try {
      const size = (await stat(this.path)).size;
      if (size > KV_FILE_BYTES_MAX) return await this.moveAside(`file of ${size} bytes exceeds ${KV_FILE_BYTES_MAX}`);
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
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

  /** Notes a change; the write follows within KV_WRITE_DELAY_MS. */
  markDirty(): void {
    this.dirty = true;
    if (this.timer === null && this.writing === null) {
      this.timer = setTimeout(() => this.startWrite(), KV_WRITE_DELAY_MS);
    }
  }

  /** Writes any pending change now and waits for it (clean shutdown). Rejects when the write fails. */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing) await this.writing.catch(() => undefined);
    if (this.dirty) {
      this.dirty = false;
      await this.write();
    }
  }

  private startWrite(): void {
    this.timer = null;
    this.writing = this.writeWhileDirty()
      .catch((error: unknown) => {
        this.dirty = true;
        this.logger.error({ path: this.path, error: (error as Error).message }, "kv write failed");
      })
      .finally(() => {
        this.writing = null;
      });
  }

  private async writeWhileDirty(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      await this.write();
    }
  }

  private async write(): Promise<void> {
    const text = JSON.stringify({ format: KV_FILE_FORMAT, records: this.records() });
    const temp = `${this.path}.tmp-${process.pid}`;
    const file = await open(temp, "w", 0o644);
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async moveAside(problem: string): Promise<KvRecord[]> {
    const aside = `${this.path}.corrupt-${this.nowMs()}`;
    await rename(this.path, aside);
    this.logger.error({ path: this.path, movedTo: aside, problem }, "kv file corrupt; moved aside, starting with empty kv");
    return [];
  }
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

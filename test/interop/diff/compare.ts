// Normalising and comparing two name servers' answers to the same request: response code,
// remark where clients read it (error answers), the ext fields clients read, and the body as
// JSON semantics (parsed leniently, so fastjson's bare integer keys compare equal to quoted
// ones; the JSON form itself is compared separately). Arrays whose order Java leaves to HashMap
// iteration are sorted first. Intended differences are applied from the allow-list.
import * as rm from "../../../src/protocol/remoting/index.js";
import type { DiffStep } from "./generator.js";

/** An answer as a server sent it (the fields of a RemotingCommand the test looks at). */
export interface Answer {
  readonly code: number;
  readonly remark?: string | undefined;
  readonly extFields: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
}

/** An answer reduced to what is compared. */
export interface NormalAnswer {
  code: number;
  /** Only on error answers (code != 0): that is where clients read it. */
  remark: string | null;
  /** Only the ext fields clients read for this request code. */
  ext: Record<string, string>;
  /** Parsed JSON (or properties, or raw text when unparsable); null when absent. */
  body: rm.JsonValue | null;
  /** Whether integer-keyed maps came as fastjson's bare keys (`legacy`) or quoted (`standard`). */
  bodyForm: "legacy" | "standard" | null;
}

/** One differing field. */
export interface FieldDifference {
  readonly path: string;
  readonly reference: string;
  readonly candidate: string;
}

/** An intended difference: applied to both normal answers, or accepting what remains. */
export interface AllowEntry {
  /** Stable id, printed when the entry applies. */
  readonly id: string;
  /** One line: why the difference is intended. */
  readonly reason: string;
  /** Rewrites both answers before comparing; returns true when it changed anything. */
  readonly normalise?: (step: DiffStep, reference: NormalAnswer, candidate: NormalAnswer) => boolean;
  /** True when the differences left after normalising are exactly this intended one. */
  readonly accepts?: (step: DiffStep, reference: NormalAnswer, candidate: NormalAnswer, fields: readonly FieldDifference[]) => boolean;
}

/** Ext fields clients read, per request code (everything else in ext is ignored). */
const CLIENT_READ_EXT: Readonly<Record<number, readonly string[]>> = {
  [rm.RequestCode.REGISTER_BROKER]: ["haServerAddr", "masterAddr"],
  [rm.RequestCode.GET_KV_CONFIG]: ["value"],
  [rm.RequestCode.WIPE_WRITE_PERM_OF_BROKER]: ["wipeTopicCount"],
  [rm.RequestCode.ADD_WRITE_PERM_OF_BROKER]: ["addTopicCount"],
  [rm.RequestCode.QUERY_DATA_VERSION]: ["changed"],
};

/** Codes answered with a topic list. */
const TOPIC_LIST_CODES: ReadonlySet<number> = new Set([
  rm.RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
  rm.RequestCode.GET_TOPICS_BY_CLUSTER,
  rm.RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS,
  rm.RequestCode.GET_UNIT_TOPIC_LIST,
  rm.RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST,
  rm.RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
]);

/** Placeholder for GET_SYSTEM_TOPIC_LIST_FROM_NS's brokerAddr, which Java takes from the first
 *  broker in HashMap order: which one is not part of the contract. */
export const SOME_BROKER_ADDR = "<the address of some registered broker>";

/** Reduces an answer to what is compared (see the file comment). */
export function normaliseAnswer(step: DiffStep, answer: Answer): NormalAnswer {
  const code = step.request.code;
  const ext: Record<string, string> = {};
  for (const name of CLIENT_READ_EXT[code] ?? []) {
    const value = answer.extFields[name];
    if (value !== undefined) ext[name] = value;
  }
  const text = answer.body === undefined || answer.body.length === 0 ? null : answer.body.toString("utf8");
  let body: rm.JsonValue | null = null;
  let bodyForm: NormalAnswer["bodyForm"] = null;
  if (text !== null) {
    if (code === rm.RequestCode.GET_NAMESRV_CONFIG) {
      body = Object.fromEntries(rm.parseProperties(text));
    } else {
      try {
        body = rm.parseLenientJson(text, "body");
        bodyForm = jsonForm(text);
      } catch {
        body = `<unparsable> ${text}`;
      }
    }
  }
  if (body !== null && typeof body === "object" && !Array.isArray(body)) sortHashMapOrder(code, body);
  return { code: answer.code, remark: answer.code === 0 ? null : (answer.remark ?? null), ext, body, bodyForm };
}

/** Bare integer keys (`{0:"a"}`) are fastjson's default form; quoted ones are standard JSON. */
function jsonForm(text: string): NormalAnswer["bodyForm"] {
  if (/[{,]-?\d+:/.test(text)) return "legacy";
  if (/[{,]"-?\d+":/.test(text)) return "standard";
  return null;
}

function byBrokerName(a: rm.JsonValue, b: rm.JsonValue): number {
  const name = (v: rm.JsonValue): string => (v !== null && typeof v === "object" && !Array.isArray(v) ? String(v["brokerName"]) : "");
  const left = name(a);
  const right = name(b);
  if (left !== right) return left < right ? -1 : 1;
  const l = stableText(a);
  const r = stableText(b);
  return l < r ? -1 : l > r ? 1 : 0;
}

function sortStrings(value: rm.JsonValue | undefined): void {
  if (Array.isArray(value)) value.sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/** Sorts the arrays whose order Java leaves to HashMap/HashSet iteration. */
function sortHashMapOrder(code: number, body: rm.JsonObject): void {
  if (code === rm.RequestCode.GET_ROUTEINFO_BY_TOPIC) {
    const queues = body["queueDatas"];
    const brokers = body["brokerDatas"];
    if (Array.isArray(queues)) queues.sort(byBrokerName);
    if (Array.isArray(brokers)) brokers.sort(byBrokerName);
  } else if (code === rm.RequestCode.GET_BROKER_CLUSTER_INFO) {
    const clusters = body["clusterAddrTable"];
    if (clusters !== null && typeof clusters === "object" && !Array.isArray(clusters)) {
      for (const names of Object.values(clusters)) sortStrings(names);
    }
  } else if (TOPIC_LIST_CODES.has(code)) {
    sortStrings(body["topicList"]);
    if (code === rm.RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS && typeof body["brokerAddr"] === "string") {
      body["brokerAddr"] = SOME_BROKER_ADDR;
    }
  }
}

/** A key-order-independent text of a JSON value (numbers and bigints alike). */
export function stableText(value: rm.JsonValue | undefined): string {
  if (value === undefined) return "<absent>";
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableText).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${stableText(value[key])}`).join(",")}}`;
}

/** Differing paths diffJson lists at most (an allow-list entry that reads them sees no more). */
export const FIELD_DIFFERENCES_MAX = 24;

/** The differing paths of two JSON values (at most `limit`). */
export function diffJson(reference: rm.JsonValue | undefined, candidate: rm.JsonValue | undefined, path: string, out: FieldDifference[], limit = FIELD_DIFFERENCES_MAX): void {
  if (out.length >= limit) return;
  const isObject = (v: rm.JsonValue | undefined): v is rm.JsonObject => v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
  if (isObject(reference) && isObject(candidate)) {
    const keys = [...new Set([...Object.keys(reference), ...Object.keys(candidate)])].sort();
    for (const key of keys) diffJson(reference[key], candidate[key], `${path}.${key}`, out, limit);
    return;
  }
  if (Array.isArray(reference) && Array.isArray(candidate) && reference.length === candidate.length) {
    reference.forEach((item, index) => diffJson(item, candidate[index], `${path}[${index}]`, out, limit));
    return;
  }
  const left = stableText(reference);
  const right = stableText(candidate);
  if (left === right) return;
  if (isStringArray(reference) && isStringArray(candidate)) {
    // A topic list: name what only one side has rather than printing both lists.
    const onlyIn = (a: readonly string[], b: readonly string[]): string[] => {
      const others = new Set(b);
      return a.filter((item) => !others.has(item));
    };
    const onlyRef = onlyIn(reference, candidate);
    const onlyCand = onlyIn(candidate, reference);
    if (onlyRef.length > 0 || onlyCand.length > 0) {
      const text = (only: string[], all: readonly string[]): string => `only here ${JSON.stringify(only)} (of ${all.length})`;
      out.push({ path, reference: text(onlyRef, reference), candidate: text(onlyCand, candidate) });
      return;
    }
  }
  out.push({ path, reference: left, candidate: right });
}

function isStringArray(value: rm.JsonValue | undefined): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** The differences between two normal answers. */
export function diffAnswers(reference: NormalAnswer, candidate: NormalAnswer): FieldDifference[] {
  const out: FieldDifference[] = [];
  if (reference.code !== candidate.code) out.push({ path: "code", reference: String(reference.code), candidate: String(candidate.code) });
  if (reference.remark !== candidate.remark) {
    out.push({ path: "remark", reference: JSON.stringify(reference.remark), candidate: JSON.stringify(candidate.remark) });
  }
  diffJson(reference.ext, candidate.ext, "ext", out);
  diffJson(reference.body ?? undefined, candidate.body ?? undefined, "body", out);
  if (reference.bodyForm !== candidate.bodyForm && reference.body !== null && candidate.body !== null) {
    out.push({ path: "bodyForm", reference: String(reference.bodyForm), candidate: String(candidate.bodyForm) });
  }
  return out;
}

/** The outcome of comparing one step. */
export interface StepComparison {
  /** Differences no allow-list entry explains (empty = equal). */
  readonly fields: readonly FieldDifference[];
  /** Ids of the allow-list entries that applied. */
  readonly allowed: readonly string[];
}

/** Compares one step's answers, applying the allow-list. */
export function compareAnswers(step: DiffStep, reference: Answer, candidate: Answer, allowList: readonly AllowEntry[]): StepComparison {
  const ref = normaliseAnswer(step, reference);
  const cand = normaliseAnswer(step, candidate);
  const allowed: string[] = [];
  for (const entry of allowList) if (entry.normalise?.(step, ref, cand)) allowed.push(entry.id);
  const fields = diffAnswers(ref, cand);
  if (fields.length === 0) return { fields, allowed };
  const accepting = allowList.find((entry) => entry.accepts?.(step, ref, cand, fields));
  if (accepting) return { fields: [], allowed: [...allowed, accepting.id] };
  return { fields, allowed };
}

// ---- Printing ----------------------------------------------------------------------------------

const PRINT_BODY_CHARS = 1_500;

/** A request, printable. */
export function describeRequest(step: DiffStep): string {
  const r = step.request;
  const body = r.body === undefined ? "" : ` body ${clip(bodyText(r.code, r.body), PRINT_BODY_CHARS)}`;
  const kind = r.serializeType === rm.SerializeType.ROCKETMQ ? " binary-header" : "";
  return `code ${r.code} version ${r.version}${kind}${r.oneway ? " oneway" : ""} ext ${JSON.stringify(r.extFields)}${body}`;
}

function bodyText(code: number, body: Buffer): string {
  // A compressed registration body is zlib: show its size rather than bytes.
  return code === rm.RequestCode.REGISTER_BROKER && body[0] === 0x78 ? `<zlib ${body.length} bytes>` : body.toString("utf8");
}

/** An answer, printable. */
export function describeAnswer(answer: Answer | null): string {
  if (answer === null) return "(no answer)";
  const remark = answer.remark === undefined ? "" : ` remark ${JSON.stringify(answer.remark)}`;
  const ext = Object.keys(answer.extFields).length === 0 ? "" : ` ext ${JSON.stringify(answer.extFields)}`;
  const body = answer.body === undefined ? "" : ` body ${clip(answer.body.toString("utf8"), PRINT_BODY_CHARS)}`;
  return `code ${answer.code}${remark}${ext}${body}`;
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars)}... (${text.length} chars)`;
}
